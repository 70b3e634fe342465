package io.chronoroute.master.calendars;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.chronoroute.master.ChronorouteMasterApplication;
import io.chronoroute.master.destination.DestinationConfig;
import io.chronoroute.master.destination.DestinationSyncService;
import io.chronoroute.master.store.MasterStore;
import io.chronoroute.providers.common.Sleeper;
import org.apache.camel.test.spring.junit5.CamelSpringBootTest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.boot.test.context.TestConfiguration;
import org.springframework.boot.test.web.server.LocalServerPort;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Primary;
import org.springframework.test.context.DynamicPropertyRegistry;
import org.springframework.test.context.DynamicPropertySource;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.CopyOnWriteArrayList;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * {@code GET /calendars}, {@code PUT /calendars/{id}} and the seed forms of {@code receive-updates}, over real HTTP
 * against the whole master (embedded store). Agents are played by heartbeats carrying {@code stats.source_list}.
 * The destinations are a {@link DestinationSyncService} whose {@code renameCalendar} is scripted (one destination
 * renames, the other fails), so what is tested here is the per-destination report, not a provider's API.
 */
@CamelSpringBootTest
@SpringBootTest(classes = {ChronorouteMasterApplication.class, CalendarsApiTest.Destinations.class},
        webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT,
        properties = "chronoroute.routes-dir=" + CalendarsApiTest.ROUTES_DIR)
class CalendarsApiTest {

    static final String ROUTES_DIR = "target/empty-routes-folder";
    static final String ADMIN = "calendars-admin-token-0123456789";
    static final String FEED = "calendars-feed-token-0123456789";
    static final String ENROLL = "calendars-enroll-secret-0123456789";
    static final ObjectMapper JSON = new ObjectMapper();
    /** Calls of the scripted renameCalendar: "destination=name". */
    static final List<String> RENAMES = new CopyOnWriteArrayList<>();

    static {
        try {
            Files.createDirectories(Path.of(ROUTES_DIR));
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    @TempDir
    static Path dataDir;

    @DynamicPropertySource
    static void props(DynamicPropertyRegistry r) {
        r.add("chronoroute.data-dir", () -> dataDir.toString());
        r.add("chronoroute.admin-token", () -> ADMIN);
        r.add("chronoroute.feed-token", () -> FEED);
        r.add("chronoroute.enrollment-secret", () -> ENROLL);
    }

    /** Two destinations: "gcal" (google, calendar "primary") renames; "dav" (caldav) answers an error. */
    @TestConfiguration
    static class Destinations {
        @Bean
        @Primary
        DestinationSyncService scriptedDestinations(MasterStore store) {
            Map<String, DestinationConfig> configs = new LinkedHashMap<>();
            configs.put("gcal", DestinationConfig.defaults("google"));
            configs.put("dav", DestinationConfig.defaults("caldav").withCalendarId("/dav/user/chronoroute/"));
            return new DestinationSyncService(store, configs, List.of(), Clock.systemUTC(), Sleeper.SYSTEM) {
                @Override
                public void renameCalendar(String name, String displayName) {
                    if ("dav".equals(name)) {
                        throw new IllegalStateException("PROPPATCH answered 403");
                    }
                    RENAMES.add(name + "=" + displayName);
                }
            };
        }
    }

    @LocalServerPort
    int port;
    final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

    record Response(int status, String body, HttpResponse<String> raw) {
        JsonNode json() {
            try {
                return JSON.readTree(body);
            } catch (IOException e) {
                throw new AssertionError("not JSON (" + status + "): " + body, e);
            }
        }
    }

    Response send(String method, String path, String token, Object body, String... headers) {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path))
                .timeout(Duration.ofSeconds(30));
        if (token != null) {
            b.header("Authorization", "Bearer " + token);
        }
        for (int i = 0; i + 1 < headers.length; i += 2) {
            b.header(headers[i], headers[i + 1]);
        }
        try {
            if (body != null) {
                b.header("Content-Type", "application/json");
                b.method(method, HttpRequest.BodyPublishers.ofString(
                        body instanceof String s ? s : JSON.writeValueAsString(body)));
            } else {
                b.method(method, HttpRequest.BodyPublishers.noBody());
            }
            HttpResponse<String> r = http.send(b.build(), HttpResponse.BodyHandlers.ofString());
            return new Response(r.statusCode(), r.body(), r);
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    static String uniqueId(String prefix) {
        return prefix + "-" + UUID.randomUUID().toString().substring(0, 8);
    }

    String register(String id) {
        Response r = send("POST", "/sync/agents/register", null,
                Map.of("id", id, "name", "Agent " + id, "environment", "test", "enrollment_secret", ENROLL));
        assertThat(r.status()).as(r.body()).isEqualTo(201);
        return r.json().get("credential").asText();
    }

    static Map<String, Object> event(String uid, String source, String calendarId, String calendarName) {
        Map<String, Object> e = new LinkedHashMap<>();
        e.put("uid", uid);
        e.put("title", "Event " + uid);
        e.put("start", Map.of("date_time", "2026-12-10T09:00:00", "time_zone", "Europe/Berlin"));
        e.put("end", Map.of("date_time", "2026-12-10T10:00:00", "time_zone", "Europe/Berlin"));
        e.put("source", source);
        e.put("calendar_id", calendarId);
        e.put("calendar_name", calendarName);
        e.put("last_modified", "2026-12-01T10:00:00Z");
        return e;
    }

    /** A protocol-2 heartbeat with the agent's source list, as the agent sends it. */
    void heartbeat(String agent, String credential, List<Map<String, Object>> sources, List<Map<String, Object>> changed) {
        Map<String, Object> hb = new LinkedHashMap<>();
        hb.put("timestamp", "2026-12-01T10:00:00Z");
        hb.put("status", "active");
        hb.put("protocol", 2);
        hb.put("batch_id", agent + "-" + UUID.randomUUID());
        hb.put("stats", Map.of("outbox", 0, "rejected", 0, "parse_errors", 0, "source_list", sources));
        hb.put("changed", changed);
        hb.put("deleted", List.of());
        Response r = send("POST", "/sync/agents/" + agent + "/heartbeat", credential, hb);
        assertThat(r.status()).as(r.body()).isEqualTo(200);
    }

    static Map<String, Object> source(String name, String kind, boolean writable) {
        return Map.of("name", name, "kind", kind, "writable", writable);
    }

    /** An agent with a writable ICS folder source (two events) and a read-only Outlook for Mac source (one). */
    record Agent(String id, String credential, String teamCalendar, String macCalendar, String uid) {
    }

    Agent agentWithTwoSources() {
        String id = uniqueId("office");
        String cred = register(id);
        String team = uniqueId("team-cal");
        String mac = uniqueId("mac-cal");
        String uid = uniqueId("uid");
        heartbeat(id, cred, List.of(source("team", "ics-folder", true), source("mac", "olk15", false)),
                List.of(event(uid, "team", team, "Team"), event(uniqueId("uid"), "team", team, "Team"),
                        event(uniqueId("uid"), "mac", mac, "Calendar")));
        return new Agent(id, cred, team, mac, uid);
    }

    JsonNode calendars() {
        Response r = send("GET", "/calendars", ADMIN, null);
        assertThat(r.status()).as(r.body()).isEqualTo(200);
        return r.json().get("calendars");
    }

    static JsonNode find(JsonNode calendars, String id) {
        for (JsonNode c : calendars) {
            if (id.equals(c.path("id").asText())) {
                return c;
            }
        }
        throw new AssertionError("no calendar " + id + " in " + calendars);
    }

    JsonNode pending(Agent a) {
        Response r = send("GET", "/sync/agents/" + a.id() + "/pending-updates", a.credential(), null);
        assertThat(r.status()).as(r.body()).isEqualTo(200);
        return r.json().get("updates");
    }

    // ------------------------------------------------------------------------------------------------ GET /calendars

    @Test
    void listsTheConsolidatedCalendarEachAgentSourceCalendarAndEachDestination() {
        Agent a = agentWithTwoSources();
        assertThat(send("GET", "/calendars", null, null).status()).isEqualTo(401);

        JsonNode all = calendars();
        JsonNode consolidated = all.get(0);
        assertThat(consolidated.get("id").asText()).isEqualTo("consolidated");
        assertThat(consolidated.get("writable").asBoolean()).isTrue();
        assertThat(consolidated.get("event_count").asLong()).isGreaterThanOrEqualTo(3);

        JsonNode team = find(all, a.teamCalendar());
        assertThat(team.get("origin").asText()).isEqualTo("agent");
        assertThat(team.get("agent_id").asText()).isEqualTo(a.id());
        assertThat(team.get("source").asText()).isEqualTo("team");
        assertThat(team.get("calendar_id").asText()).isEqualTo(a.teamCalendar());
        assertThat(team.get("name").asText()).isEqualTo("Team");
        assertThat(team.get("event_count").asLong()).isEqualTo(2);
        assertThat(team.get("kind").asText()).isEqualTo("ics-folder");
        assertThat(team.get("writable").asBoolean()).isTrue();
        assertThat(team.get("not_writable_reason").isNull()).isTrue();
        assertThat(team.get("color").isNull()).as("never reported, never invented").isTrue();

        JsonNode mac = find(all, a.macCalendar());
        assertThat(mac.get("event_count").asLong()).isEqualTo(1);
        assertThat(mac.get("writable").asBoolean()).isFalse();
        assertThat(mac.get("not_writable_reason").asText()).contains("read-only").contains("olk15");

        JsonNode gcal = find(all, "destination:gcal");
        assertThat(gcal.get("origin").asText()).isEqualTo("destination");
        assertThat(gcal.get("kind").asText()).isEqualTo("google");
        assertThat(gcal.get("calendar_id").asText()).isEqualTo("primary");
        JsonNode dav = find(all, "destination:dav");
        assertThat(dav.get("kind").asText()).isEqualTo("caldav");
        assertThat(dav.get("calendar_id").asText()).isEqualTo("/dav/user/chronoroute/");
    }

    @Test
    void agentReportedCalendarFieldsWinAndMissingOnesStayUnknown() {
        String id = uniqueId("reporter");
        String cred = register(id);
        Map<String, Object> full = new LinkedHashMap<>(source("work", "ics-folder", true));
        full.put("calendar_id", "work-" + id);
        full.put("calendar_name", "Work");
        full.put("color", "#FF8800");
        full.put("events", 42);
        heartbeat(id, cred, List.of(full, Map.of("name", "bare")), List.of());
        JsonNode all = calendars();
        JsonNode work = find(all, "work-" + id);
        assertThat(work.get("name").asText()).isEqualTo("Work");
        assertThat(work.get("color").asText()).isEqualTo("#FF8800");
        assertThat(work.get("event_count").asLong()).isEqualTo(42);
        JsonNode bare = find(all, "bare");
        assertThat(bare.get("agent_id").asText()).isEqualTo(id);
        assertThat(bare.get("calendar_id").isNull()).isTrue();
        assertThat(bare.get("kind").isNull()).isTrue();
        assertThat(bare.get("writable").isNull()).isTrue();
        assertThat(bare.get("not_writable_reason").asText()).contains("does not say");
    }

    // ------------------------------------------------------------------------------------ PUT /calendars/consolidated

    @Test
    void renamingTheConsolidatedCalendarRenamesTheFeedAndEveryDestinationEachReported() {
        Response before = send("GET", "/calendar.ics?token=" + FEED, null, null);
        assertThat(before.status()).isEqualTo(200);
        String etag = before.raw().headers().firstValue("ETag").orElseThrow();

        Response r = send("PUT", "/calendars/consolidated", ADMIN, Map.of("name", "Family, all of us", "color", "#3366FF"));
        assertThat(r.status()).as(r.body()).isEqualTo(200);
        JsonNode answer = r.json();
        assertThat(answer.get("status").asText()).isEqualTo("partial");
        assertThat(answer.get("name").asText()).isEqualTo("Family, all of us");
        JsonNode dests = answer.get("destinations");
        assertThat(dests).hasSize(2);
        JsonNode gcal = dests.get(0).get("destination").asText().equals("gcal") ? dests.get(0) : dests.get(1);
        JsonNode dav = gcal == dests.get(0) ? dests.get(1) : dests.get(0);
        assertThat(gcal.get("status").asText()).isEqualTo("renamed");
        assertThat(gcal.get("kind").asText()).isEqualTo("google");
        assertThat(dav.get("status").asText()).isEqualTo("failed");
        assertThat(dav.get("reason").asText()).contains("PROPPATCH answered 403");
        assertThat(RENAMES).contains("gcal=Family, all of us");

        Response feed = send("GET", "/calendar.ics?token=" + FEED, null, null, "If-None-Match", etag);
        assertThat(feed.status()).as("a rename alone is a new feed").isEqualTo(200);
        assertThat(feed.body()).contains("\r\nX-WR-CALNAME:Family\\, all of us\r\n")
                .contains("\r\nX-APPLE-CALENDAR-COLOR:#3366FF\r\n");
        assertThat(feed.body().indexOf("X-WR-CALNAME")).isLessThan(Math.max(feed.body().indexOf("BEGIN:VEVENT"),
                feed.body().indexOf("END:VCALENDAR")));

        JsonNode all = calendars();
        assertThat(find(all, "consolidated").get("name").asText()).isEqualTo("Family, all of us");
        assertThat(find(all, "consolidated").get("color").asText()).isEqualTo("#3366FF");
        assertThat(find(all, "destination:gcal").get("name").asText()).isEqualTo("Family, all of us");
        assertThat(find(all, "destination:dav").get("name").isNull()).as("never renamed").isTrue();
        assertThat(find(all, "destination:dav").get("last_rename").get("status").asText()).isEqualTo("failed");

        // the seed's form: the destination's calendar id with its provider, {changes}
        Response seed = send("PUT", "/calendars/primary?provider=google", ADMIN, Map.of("changes", Map.of("name", "Seed")));
        assertThat(seed.status()).as(seed.body()).isEqualTo(200);
        assertThat(seed.json().get("id").asText()).isEqualTo("consolidated");
        assertThat(send("GET", "/calendar.ics?token=" + FEED, null, null).body()).contains("X-WR-CALNAME:Seed\r\n")
                .contains("X-APPLE-CALENDAR-COLOR:#3366FF");

        Response bad = send("PUT", "/calendars/consolidated", ADMIN, Map.of("color", "blue"));
        assertThat(bad.status()).isEqualTo(400);
        assertThat(bad.json().get("field").asText()).isEqualTo("color");
        assertThat(send("PUT", "/calendars/consolidated", null, Map.of("name", "x")).status()).isEqualTo(401);
    }

    // ------------------------------------------------------------------------------------ PUT an agent's calendar

    @Test
    void renamingAnAgentCalendarQueuesCalendarMetadataForThatAgent() {
        Agent a = agentWithTwoSources();
        Response r = send("PUT", "/calendars/" + a.teamCalendar(), ADMIN, Map.of("name", "Team renamed", "color", "#00FF00"));
        assertThat(r.status()).as(r.body()).isEqualTo(202);
        assertThat(r.json().get("calendars").get(0).get("agent_id").asText()).isEqualTo(a.id());
        String updateId = r.json().get("update_ids").get(0).asText();

        JsonNode pending = pending(a);
        assertThat(pending).hasSize(1);
        JsonNode u = pending.get(0);
        assertThat(u.get("id").asText()).isEqualTo(updateId);
        assertThat(u.get("type").asText()).isEqualTo("calendar_metadata");
        JsonNode data = u.get("data");
        assertThat(data.get("calendar_id").asText()).isEqualTo(a.teamCalendar());
        assertThat(data.get("source").asText()).isEqualTo("team");
        assertThat(data.get("name").asText()).isEqualTo("Team renamed");
        assertThat(data.get("color").asText()).isEqualTo("#00FF00");
        assertThat(data.get("changes").get("name").asText()).isEqualTo("Team renamed");

        Response readOnly = send("PUT", "/calendars/" + a.macCalendar(), ADMIN, Map.of("name", "Nope"));
        assertThat(readOnly.status()).as(readOnly.body()).isEqualTo(409);
        assertThat(readOnly.json().get("error").asText()).isEqualTo("conflict");
        assertThat(readOnly.json().get("reason").asText()).contains("read-only").contains(a.id() + "/mac");

        Response unknown = send("PUT", "/calendars/" + uniqueId("nobody"), ADMIN, Map.of("name", "x"));
        assertThat(unknown.status()).isEqualTo(404);
        assertThat(unknown.json().get("field").asText()).isEqualTo("calendar_id");
        assertThat(unknown.json().get("reason").asText()).contains("GET /calendars");
        Response otherAgent = send("PUT", "/calendars/" + a.teamCalendar() + "?agent_id=" + uniqueId("else"), ADMIN,
                Map.of("name", "x"));
        assertThat(otherAgent.status()).isEqualTo(404);
        assertThat(pending(a)).hasSize(1);
    }

    // ------------------------------------------------------------------------------------------- receive-updates

    @Test
    void receiveUpdatesTakesTheSeedSingleObjectAndDeletesByUidAlone() {
        Agent a = agentWithTwoSources();
        String path = "/sync/agents/" + a.id() + "/receive-updates";

        Response single = send("POST", path, ADMIN,
                "{\"type\":\"event_update\",\"data\":{\"action\":\"delete\",\"event\":{\"uid\":\"" + a.uid() + "\"}}}");
        assertThat(single.status()).as(single.body()).isEqualTo(200);
        assertThat(single.json().get("updates_queued").asInt()).isEqualTo(1);

        Response seedUid = send("POST", path, ADMIN,
                "{\"type\":\"event_update\",\"data\":{\"action\":\"delete\",\"uid\":\"" + a.uid() + "\"}}");
        assertThat(seedUid.status()).as(seedUid.body()).isEqualTo(200);

        // the id GET /sync/events shows for that event
        String eventId = null;
        for (JsonNode e : send("GET", "/sync/events?agent_id=" + a.id(), ADMIN, null).json().get("events")) {
            if (a.uid().equals(e.path("uid").asText())) {
                eventId = e.get("id").asText();
            }
        }
        assertThat(eventId).isNotNull();
        Response seedId = send("POST", path, ADMIN, List.of(Map.of("type", "event_update",
                "data", Map.of("action", "delete", "id", eventId))));
        assertThat(seedId.status()).as(seedId.body()).isEqualTo(200);

        JsonNode pending = pending(a);
        assertThat(pending).hasSize(3);
        for (JsonNode u : pending) {
            assertThat(u.get("type").asText()).isEqualTo("event_update");
            JsonNode data = u.get("data");
            assertThat(data.get("action").asText()).isEqualTo("delete");
            assertThat(data.get("source").asText()).as("found from the agent's events").isEqualTo("team");
            assertThat(data.get("event").get("uid").asText()).isEqualTo(a.uid());
            assertThat(data.has("uid")).isFalse();
        }

        // a uid the master has not seen from this agent: its only writable source
        Response unseen = send("POST", path, ADMIN,
                "{\"type\":\"event_update\",\"data\":{\"action\":\"delete\",\"event\":{\"uid\":\"not-sent-yet\"}}}");
        assertThat(unseen.status()).as(unseen.body()).isEqualTo(200);
        Response noUid = send("POST", path, ADMIN,
                "{\"type\":\"event_update\",\"data\":{\"action\":\"delete\",\"event\":{\"title\":\"x\"}}}");
        assertThat(noUid.status()).isEqualTo(400);
        assertThat(noUid.json().get("field").asText()).isEqualTo("data.event.uid");
        Response badType = send("POST", path, ADMIN, "{\"type\":\"test\",\"data\":{}}");
        assertThat(badType.status()).isEqualTo(400);
        assertThat(badType.json().get("field").asText()).isEqualTo("type");
        assertThat(pending(a)).hasSize(4);
        assertThat(pending(a).get(3).get("data").get("source").asText()).isEqualTo("team");
    }

    @Test
    void aDeleteByUidAloneGoesToEverySourceOfTheAgentHoldingIt() {
        String id = uniqueId("two");
        String cred = register(id);
        String uid = uniqueId("shared");
        heartbeat(id, cred, List.of(source("a", "ics-folder", true), source("b", "ics-folder", true)),
                List.of(event(uid, "a", "cal-a-" + id, "A"), event(uid, "b", "cal-b-" + id, "B")));
        Response r = send("POST", "/sync/agents/" + id + "/receive-updates", ADMIN,
                Map.of("type", "event_update", "data", Map.of("action", "delete", "event", Map.of("uid", uid))));
        assertThat(r.status()).as(r.body()).isEqualTo(200);
        assertThat(r.json().get("updates_queued").asInt()).isEqualTo(2);
        List<String> sources = new ArrayList<>();
        send("GET", "/sync/agents/" + id + "/pending-updates", cred, null).json().get("updates")
                .forEach(u -> sources.add(u.get("data").get("source").asText()));
        assertThat(sources).containsExactlyInAnyOrder("a", "b");

        // two writable sources and a uid neither holds: which one is meant is not known
        Response unknownUid = send("POST", "/sync/agents/" + id + "/receive-updates", ADMIN,
                "{\"type\":\"event_update\",\"data\":{\"action\":\"delete\",\"event\":{\"uid\":\"never-seen\"}}}");
        assertThat(unknownUid.status()).as(unknownUid.body()).isEqualTo(404);
        assertThat(unknownUid.json().get("field").asText()).isEqualTo("data.event.uid");
        assertThat(unknownUid.json().get("reason").asText()).contains("data.source");
    }
}
