package io.chronoroute.master.rest;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.chronoroute.master.ChronorouteMasterApplication;
import io.chronoroute.processors.ical.ICalCodec;
import io.chronoroute.processors.model.CalendarEvent;
import io.chronoroute.processors.wire.WireJson;
import io.chronoroute.testsupport.MutableClock;
import io.chronoroute.testsupport.browser.Browser;
import io.chronoroute.testsupport.google.FakeGoogleCalendar;
import org.apache.camel.test.spring.junit5.CamelSpringBootTest;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.io.TempDir;
import org.openqa.selenium.By;
import org.openqa.selenium.WebDriver;
import org.openqa.selenium.WebElement;
import org.openqa.selenium.support.ui.ExpectedConditions;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.boot.test.context.TestConfiguration;
import org.springframework.boot.test.web.server.LocalServerPort;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Primary;
import org.springframework.test.context.DynamicPropertyRegistry;
import org.springframework.test.context.DynamicPropertySource;

import java.io.IOException;
import java.net.CookieManager;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneId;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * The web console at {@code /} in a real headless Chromium (Debian's chromium + chromium-driver) against an
 * in-process master: its login, session and CSRF rules over plain HTTP, then a user's day in the browser (log in,
 * the demo calendars, a recurring event, edit, a manual conflict, held deletions, an agent going offline), at
 * 1280 px and 390 px. The master's clock is a {@link MutableClock}, so "offline" needs no waiting. Screenshots:
 * {@code target/console-screenshots/}. Writing through an agent into its folder and the feed: e2e ConsoleEditIT.
 */
@CamelSpringBootTest
@SpringBootTest(classes = {ChronorouteMasterApplication.class, WebConsoleTest.ClockConfig.class},
        webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class WebConsoleTest {

    static final String ADMIN = "console-test-admin";
    static final String FEED = "console-test-feed";
    static final String ENROLL = "console-test-enroll";
    static final String PASSWORD = "console-test-password";
    static final MutableClock CLOCK = MutableClock.at("2026-12-01T09:00:00Z");
    static final Duration WAIT = Duration.ofSeconds(20);
    static final Path SHOTS = Path.of("target", "console-screenshots");
    static final ObjectMapper JSON = new ObjectMapper();

    @TempDir
    static Path dataDir;
    static FakeGoogleCalendar google;
    static Browser browser;

    @TestConfiguration
    static class ClockConfig {
        @Bean
        @Primary
        Clock testClock() {
            return CLOCK;
        }
    }

    @BeforeAll
    static void startFakes() {
        google = new FakeGoogleCalendar().start();
    }

    @AfterAll
    static void stop() {
        if (browser != null) {
            browser.close();
        }
        if (google != null) {
            google.close();
        }
    }

    @DynamicPropertySource
    static void props(DynamicPropertyRegistry r) {
        r.add("chronoroute.data-dir", () -> dataDir.toString());
        r.add("chronoroute.admin-token", () -> ADMIN);
        r.add("chronoroute.feed-token", () -> FEED);
        r.add("chronoroute.enrollment-secret", () -> ENROLL);
        r.add("chronoroute.console.password", () -> PASSWORD);
        r.add("chronoroute.conflict-resolution", () -> "manual");
        r.add("chronoroute.destinations.gcal.type", () -> "google");
        r.add("chronoroute.destinations.gcal.google.root-url", () -> google.baseUrl());
        r.add("chronoroute.destinations.gcal.google.access-token", () -> "fake-access-token");
        r.add("chronoroute.destinations.gcal.delete-guard-min-deletes", () -> "1");
        // the master's clock stands still here, so the account's token bucket would never refill: a large one
        r.add("chronoroute.destinations.gcal.rate", () -> "100000");
        r.add("chronoroute.destinations.gcal.burst", () -> "100000");
    }

    @LocalServerPort
    int port;

    String base() {
        return "http://127.0.0.1:" + port;
    }

    // ------------------------------------------------------------------ data as agents send it

    static final Map<String, String> CREDENTIALS = new LinkedHashMap<>();
    static int batch;

    String register(String id, String name) {
        return CREDENTIALS.computeIfAbsent(id, k -> {
            ApiClient.Response r = new ApiClient(port).post("/sync/agents/register", null,
                    Map.of("id", id, "name", name, "enrollment_secret", ENROLL, "interval_minutes", 5));
            assertThat(r.status()).as(r.body()).isEqualTo(201);
            return r.json().get("credential").asText();
        });
    }

    void heartbeat(String agent, List<Map<String, Object>> changed, List<Map<String, Object>> deleted,
                   Map<String, Boolean> sources) {
        List<Map<String, Object>> list = new ArrayList<>();
        sources.forEach((n, w) -> list.add(Map.of("name", n, "writable", w)));
        heartbeatWithSources(agent, changed, deleted, list);
    }

    /** A heartbeat whose {@code stats.source_list} is given as the agent reports it (kind, last read, ...). */
    void heartbeatWithSources(String agent, List<Map<String, Object>> changed, List<Map<String, Object>> deleted,
                              List<Map<String, Object>> list) {
        Map<String, Object> hb = new LinkedHashMap<>();
        hb.put("timestamp", CLOCK.instant().toString());
        hb.put("status", "active");
        hb.put("protocol", 2);
        hb.put("batch_id", agent + "-" + (++batch));
        hb.put("stats", Map.of("outbox", 0, "rejected", 0, "parse_errors", 0, "source_list", list));
        hb.put("changed", changed);
        hb.put("deleted", deleted);
        ApiClient.Response r = new ApiClient(port).post("/sync/agents/" + agent + "/heartbeat", CREDENTIALS.get(agent), hb);
        assertThat(r.status()).as(r.body()).isEqualTo(200);
    }

    static List<Map<String, Object>> demo(String file, String source) throws Exception {
        List<CalendarEvent> events = ICalCodec.parse(Files.readString(Path.of("..", "demo", "ics-exports", file)),
                ZoneId.of("Europe/Berlin"));
        List<Map<String, Object>> out = new ArrayList<>();
        for (CalendarEvent e : events) {
            ObjectNode n = WireJson.writeEvent(e);
            n.put("source", source);
            out.add(JSON.convertValue(n, LinkedHashMap.class));
        }
        return out;
    }

    static final Map<String, Boolean> OFFICE_SOURCES = Map.of("outlook-team", true, "google-personal", false);

    void demoData() throws Exception {
        if (CREDENTIALS.containsKey("office")) {
            return;
        }
        register("office", "Office PC");
        List<Map<String, Object>> all = new ArrayList<>(demo("outlook-team-calendar.ics", "outlook-team"));
        all.addAll(demo("google-personal.ics", "google-personal"));
        heartbeat("office", all, List.of(), OFFICE_SOURCES);
    }

    // ------------------------------------------------------------------ HTTP: login, session, CSRF, fixes

    record Http(HttpClient client, String base) {
        HttpResponse<String> send(String method, String path, String body, String... headers) throws Exception {
            HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(base + path)).timeout(Duration.ofSeconds(30));
            for (int i = 0; i + 1 < headers.length; i += 2) {
                b.header(headers[i], headers[i + 1]);
            }
            b.method(method, body == null ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofString(body));
            return client.send(b.build(), HttpResponse.BodyHandlers.ofString());
        }

        JsonNode session() throws Exception {
            return JSON.readTree(send("GET", "/console/session", null).body());
        }
    }

    @Test
    @Order(1)
    void theConsoleSessionOpensTheAdminApiAndWritesNeedItsCsrfToken() throws Exception {
        demoData();
        Http http = new Http(HttpClient.newBuilder().cookieHandler(new CookieManager()).build(), base());
        assertThat(http.send("GET", "/sync/agents/status", null).statusCode()).isEqualTo(401);
        JsonNode anon = http.session();
        assertThat(anon.get("authenticated").asBoolean()).isFalse();
        assertThat(anon.has("feed_url")).isFalse();
        String csrf = anon.get("csrf_token").asText();

        HttpResponse<String> wrong = http.send("POST", "/console/login", "username=admin&password=nope",
                "Content-Type", "application/x-www-form-urlencoded", "X-CSRF-TOKEN", csrf);
        assertThat(wrong.statusCode()).isEqualTo(401);
        assertThat(wrong.body()).contains("wrong user name or password");
        HttpResponse<String> noCsrf = http.send("POST", "/console/login", "username=admin&password=" + PASSWORD,
                "Content-Type", "application/x-www-form-urlencoded");
        assertThat(noCsrf.statusCode()).isEqualTo(403);
        HttpResponse<String> ok = http.send("POST", "/console/login", "username=admin&password=" + PASSWORD,
                "Content-Type", "application/x-www-form-urlencoded", "X-CSRF-TOKEN", http.session().get("csrf_token").asText());
        assertThat(ok.statusCode()).as(ok.body()).isEqualTo(200);
        String cookie = ok.headers().allValues("Set-Cookie").stream().filter(c -> c.startsWith("JSESSIONID")).findFirst()
                .orElseThrow();
        assertThat(cookie).contains("HttpOnly").contains("SameSite=Lax");

        JsonNode in = http.session();
        assertThat(in.get("authenticated").asBoolean()).isTrue();
        assertThat(in.get("feed_url").asText()).isEqualTo(base() + "/calendar.ics?token=" + FEED);
        String token = in.get("csrf_token").asText();

        // reads with the session; the seed's agent_status map is there for its React component
        HttpResponse<String> status = http.send("GET", "/sync/agents/status", null);
        assertThat(status.statusCode()).isEqualTo(200);
        JsonNode seedMap = JSON.readTree(status.body()).get("agent_status").get("office");
        assertThat(seedMap.get("name").asText()).isEqualTo("Office PC");
        assertThat(seedMap.get("status").asText()).isEqualTo("active");
        assertThat(seedMap.get("last_check_in").asText()).isEqualTo("2026-12-01T09:00:00Z");

        // writes need the session's CSRF token; a forged console pass opens nothing
        HttpResponse<String> forged = http.send("POST", "/sync/destinations/gcal/run", null);
        assertThat(forged.statusCode()).isEqualTo(403);
        assertThat(JSON.readTree(forged.body()).get("reason").asText()).contains("CSRF");
        assertThat(http.send("POST", "/sync/destinations/gcal/run", null, "X-CSRF-TOKEN", "guess").statusCode()).isEqualTo(403);
        HttpResponse<String> run = http.send("POST", "/sync/destinations/gcal/run", null, "X-CSRF-TOKEN", token);
        assertThat(run.statusCode()).as(run.body()).isEqualTo(200);
        HttpClient stranger = HttpClient.newHttpClient();
        HttpResponse<String> pass = stranger.send(HttpRequest.newBuilder(URI.create(base() + "/sync/agents/status"))
                .header("X-Chronoroute-Console-Pass", "anything").build(), HttpResponse.BodyHandlers.ofString());
        assertThat(pass.statusCode()).isEqualTo(401);
        // the bearer API is unchanged
        assertThat(new ApiClient(port).get("/sync/agents/status", ADMIN).status()).isEqualTo(200);
        assertThat(new ApiClient(port).get("/sync/agents/status", "wrong").status()).isEqualTo(401);

        // logout ends the session
        assertThat(http.send("POST", "/console/logout", null, "X-CSRF-TOKEN", token).statusCode()).isEqualTo(200);
        assertThat(http.send("GET", "/sync/agents/status", null).statusCode()).isEqualTo(401);
    }

    @Test
    @Order(2)
    void postGoogleCalendarsAnswersTheAccountsCalendars() {
        ApiClient api = new ApiClient(port);
        ApiClient.Response post = api.post("/sync/config/google/calendars?destination=gcal", ADMIN, null);
        assertThat(post.status()).as(post.body()).isEqualTo(200);
        assertThat(post.json().get("calendars").toString()).contains(FakeGoogleCalendar.DEFAULT_PRIMARY_ID);
        ApiClient.Response get = api.get("/sync/config/google/calendars", ADMIN);
        assertThat(get.status()).isEqualTo(200);
        assertThat(get.json().get("calendars")).isEqualTo(post.json().get("calendars"));
        assertThat(api.post("/sync/config/google/calendars", null, null).status()).isEqualTo(401);
    }

    @Test
    @Order(3)
    void swaggerUiDescribesTheApi() {
        WebDriver d = browser().driver();
        d.get(base() + "/console/api.html");
        browser.waiting(WAIT).until(ExpectedConditions.presenceOfElementLocated(By.cssSelector(".opblock-summary-path")));
        assertThat(d.findElements(By.cssSelector(".opblock-summary-path")).stream()
                .map(e -> e.getText().replace("\u200b", "")))
                .contains("/sync/events/{id}", "/calendar.ics");
        browser.screenshot("swagger-ui");
    }

    // ------------------------------------------------------------------ the browser

    Browser browser() {
        if (browser == null) {
            browser = Browser.start(1280, 900, SHOTS);
        }
        return browser;
    }

    WebElement visible(By by) {
        return browser.waiting(WAIT).until(ExpectedConditions.visibilityOfElementLocated(by));
    }

    @Test
    @Order(4)
    void logInAndSeeTheDemoEventsInTheCalendar() throws Exception {
        demoData();
        WebDriver d = browser().driver();
        d.get(base() + "/#calendar/2026-12-07");
        visible(By.id("login-user")).sendKeys("admin");
        d.findElement(By.id("login-password")).sendKeys(PASSWORD);
        browser.screenshot("login");
        d.findElement(By.id("login-submit")).click();
        visible(By.cssSelector(".fc-event"));
        browser.waiting(WAIT).until(x -> x.findElement(By.id("calendar")).getText().contains("Weekly team sync"));
        String text = d.findElement(By.id("calendar")).getText();
        assertThat(text).contains("Dentist", "Call with the Seattle office", "Company holiday", "New Year's Eve",
                "Weekly team sync");
        assertThat(d.findElement(By.id("feed-url")).getAttribute("value")).isEqualTo(base() + "/calendar.ics?token=" + FEED);
        assertThat(d.getCurrentUrl()).doesNotContain(ADMIN).doesNotContain(PASSWORD);
        browser.screenshot("calendar-1280");
    }

    @Test
    @Order(5)
    void openARecurringEventWithItsOrigins() {
        WebDriver d = browser().driver();
        clickEvent(".fc-daygrid-event", "Weekly team sync");
        visible(By.id("origins-table"));
        String details = d.findElement(By.id("event-details")).getText();
        assertThat(details).contains("Repeats").contains("FREQ=WEEKLY").contains("This occurrence");
        assertThat(details).contains("outlook-team").contains("google-personal").contains("writable").contains("read-only");
        assertThat(d.findElement(By.id("edit-event")).getText()).isEqualTo("Edit series");
        browser.screenshot("recurring-event");
        d.findElement(By.cssSelector("#event-dialog [data-close]")).click();
    }

    @Test
    @Order(6)
    void editAnEventWritesThroughItsWritableOriginAndSaysWhichCannotBeWritten() {
        WebDriver d = browser().driver();
        clickEvent(".fc-daygrid-event", "Seattle");
        visible(By.id("edit-event")).click();
        WebElement title = visible(By.id("ef-title"));
        title.clear();
        title.sendKeys("Call with Seattle (moved room)");
        d.findElement(By.id("ef-save")).click();
        WebElement msg = browser.waiting(WAIT).until(ExpectedConditions.visibilityOfElementLocated(By.cssSelector("#event-message.ok")));
        assertThat(msg.getText()).contains("update sent to office/outlook-team");
        browser.screenshot("edit-saved");
        d.findElement(By.cssSelector("#event-dialog [data-close]")).click();
        // what the office agent receives on its next heartbeat: an event_update for its writable source
        JsonNode history = new ApiClient(port).get("/sync/agents/office/history", ADMIN).json().get("updates");
        assertThat(history.toString()).contains("\"action\":\"update\"").contains("Call with Seattle (moved room)")
                .contains("\"source\":\"outlook-team\"");

        // an event only a read-only calendar holds: the console says so instead of offering an edit
        clickEvent(".fc-daygrid-event", "Dentist");
        assertThat(visible(By.id("not-writable")).getText()).contains("cannot be edited");
        assertThat(d.findElements(By.id("edit-event"))).isEmpty();
        browser.screenshot("read-only-event");
        d.findElement(By.cssSelector("#event-dialog [data-close]")).click();
    }

    @Test
    @Order(7)
    void confirmHeldDeletions() {
        WebDriver d = browser().driver();
        // the destination has the calendar (run in test 1); the personal export now says it has no event at all
        assertThat(new ApiClient(port).post("/sync/destinations/gcal/run", ADMIN, null).status()).isEqualTo(200);
        heartbeat("office", List.of(), personalDeletes(), OFFICE_SOURCES);
        ApiClient.Response held = new ApiClient(port).post("/sync/destinations/gcal/run", ADMIN, null);
        await().atMost(Duration.ofSeconds(60)).untilAsserted(() -> assertThat(destinationState())
                .as("run answered %s", held.body()).isEqualTo("HELD"));
        d.get(base() + "/#destinations");
        visible(By.cssSelector("[data-destination='gcal'] .confirm-deletions"));
        assertThat(d.findElement(By.cssSelector("[data-destination='gcal']")).getText()).contains("HELD").contains("held");
        browser.screenshot("held-deletions");
        clickEvent("[data-destination='gcal'] .confirm-deletions", "Confirm");
        browser.waiting(WAIT).until(x -> x.findElements(By.cssSelector("[data-destination='gcal'] .confirm-deletions")).isEmpty());
        await().atMost(Duration.ofSeconds(60)).until(() -> "OK".equals(destinationState()));
        browser.screenshot("deletions-confirmed");
    }

    String destinationState() {
        return new ApiClient(port).get("/sync/destinations", ADMIN).json().get("destinations").get(0).get("state").asText();
    }

    /** Clicks the calendar entry showing {@code text}; the live refresh may redraw it meanwhile, so it is found again. */
    void clickEvent(String css, String text) {
        browser.waiting(WAIT).ignoring(org.openqa.selenium.StaleElementReferenceException.class).until(x -> {
            WebElement e = x.findElements(By.cssSelector(css)).stream().filter(el -> el.getText().contains(text))
                    .findFirst().orElse(null);
            if (e == null) {
                return false;
            }
            e.click();
            return true;
        });
    }

    /** Deletions of every event the personal export had (what an emptied export folder reports). */
    static List<Map<String, Object>> personalDeletes() {
        List<Map<String, Object>> out = new ArrayList<>();
        try {
            for (Map<String, Object> e : demo("google-personal.ics", "google-personal")) {
                Map<String, Object> del = new LinkedHashMap<>();
                del.put("source", "google-personal");
                del.put("uid", e.get("uid"));
                if (e.get("recurrence_id") != null) {
                    del.put("recurrence_id", e.get("recurrence_id"));
                }
                out.add(del);
            }
        } catch (Exception ex) {
            throw new IllegalStateException(ex);
        }
        return out;
    }

    @Test
    @Order(8)
    void resolveAManualConflict() {
        WebDriver d = browser().driver();
        register("laptop", "Laptop");
        Map<String, Object> mine = new LinkedHashMap<>();
        mine.put("uid", "budget-review@demo.chronoroute");
        mine.put("title", "Budget review");
        mine.put("location", "Room 4");
        mine.put("start", Map.of("date_time", "2026-12-10T10:00:00+01:00", "time_zone", "Europe/Berlin"));
        mine.put("end", Map.of("date_time", "2026-12-10T11:00:00+01:00", "time_zone", "Europe/Berlin"));
        mine.put("last_modified", "2026-11-30T08:00:00Z");
        mine.put("source", "outlook-team");
        heartbeat("office", List.of(mine), List.of(), OFFICE_SOURCES);
        Map<String, Object> theirs = new LinkedHashMap<>(mine);
        theirs.put("title", "Budget review (final)");
        theirs.put("last_modified", "2026-11-30T09:00:00Z");
        theirs.put("source", "laptop-ics");
        heartbeat("laptop", List.of(theirs), List.of(), Map.of("laptop-ics", false));

        d.get(base() + "/#conflicts");
        By budget = By.xpath("//article[contains(@class,'conflict')][.//h3[text()='Budget review']]");
        WebElement card = visible(budget);
        assertThat(card.getText()).contains("Budget review").contains("Budget review (final)").contains("title ≠");
        assertThat(card.findElements(By.cssSelector("td.changed"))).hasSizeGreaterThanOrEqualTo(2);
        browser.screenshot("conflict");
        clickEvent("[data-conflict='" + card.getAttribute("data-conflict") + "'] .take-incoming", "Take incoming");
        browser.waiting(WAIT).until(x -> x.findElements(budget).isEmpty());
        assertThat(d.findElement(By.id("notice")).getText()).contains("Conflict resolved");
        JsonNode events = new ApiClient(port).get("/sync/events?agent_id=laptop", ADMIN).json().get("events");
        assertThat(events.get(0).get("title").asText()).isEqualTo("Budget review (final)");
    }

    @Test
    @Order(9)
    void anAgentThatStopsCallingTurnsOfflineWithoutAReload() {
        WebDriver d = browser().driver();
        // the per-source state an agent reports (issue #10) is shown on its card
        heartbeatWithSources("laptop", List.of(), List.of(), List.of(Map.of("name", "laptop-ics", "writable", false,
                "kind", "ics", "event_count", 1, "last_read", "2026-12-01T08:59:00Z", "cursor_age_seconds", 60,
                "last_error", "folder /home/laptop/exports is missing")));
        d.get(base() + "/#agents");
        By laptopState = By.cssSelector("[data-agent='laptop'] [data-state]");
        browser.waiting(WAIT).until(x -> "online".equals(x.findElement(laptopState).getAttribute("data-state")));
        assertThat(d.findElement(By.cssSelector("[data-agent='office']")).getText())
                .contains("outlook-team — writable").contains("google-personal — read-only").contains("http");
        assertThat(d.findElement(By.cssSelector("[data-agent='laptop']")).getText())
                .contains("laptop-ics (ics) — read-only · 1 events · last read").contains("cursor age 60 s")
                .contains("last error: folder /home/laptop/exports is missing");
        browser.screenshot("agents-online");
        CLOCK.advance(Duration.ofMinutes(20)); // 3 heartbeat intervals (5 min) missed
        browser.waiting(WAIT).until(x -> "offline".equals(x.findElement(laptopState).getAttribute("data-state")));
        browser.screenshot("agents-offline");
    }

    @Test
    @Order(10)
    void narrowScreenAndNoConsoleErrors() {
        WebDriver d = browser().driver();
        d.get(base() + "/#updates");
        visible(By.cssSelector("[aria-label='Updates of office']"));
        assertThat(d.findElement(By.id("updates-body")).getText()).contains("event_update update").contains("pending");
        browser.screenshot("updates-1280");
        browser.resize(390, 844);
        d.get(base() + "/#calendar/2026-12-07");
        browser.waiting(WAIT).until(x -> x.findElement(By.id("calendar")).getText().contains("Weekly team sync"));
        browser.screenshot("calendar-390");
        d.get(base() + "/#agents");
        visible(By.cssSelector("[data-agent='office']"));
        browser.screenshot("agents-390");
        // keyboard: the tabs are links, an event opens with Enter
        d.get(base() + "/#calendar/2026-12-07");
        browser.waiting(WAIT).ignoring(org.openqa.selenium.StaleElementReferenceException.class).until(x -> {
            WebElement ev = x.findElements(By.cssSelector("[data-event-id]")).stream()
                    .filter(e -> e.getText().contains("Weekly team sync")).findFirst().orElse(null);
            if (ev != null) {
                ev.sendKeys(org.openqa.selenium.Keys.ENTER);
            }
            return ev != null;
        });
        visible(By.id("origins-table"));
        browser.screenshot("event-390");
        assertThat(browser.consoleErrors()).isEmpty();
    }
}
