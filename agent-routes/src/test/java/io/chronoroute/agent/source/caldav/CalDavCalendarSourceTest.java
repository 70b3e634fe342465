package io.chronoroute.agent.source.caldav;

import com.sun.net.httpserver.HttpServer;
import io.chronoroute.agent.AgentProperties;
import io.chronoroute.agent.collect.ChangeBatch;
import io.chronoroute.agent.collect.ChangeCollector;
import io.chronoroute.agent.source.CalendarSource;
import io.chronoroute.agent.source.SourceConfig;
import io.chronoroute.agent.source.SourceRegistry;
import io.chronoroute.agent.state.AgentState;
import io.chronoroute.agent.state.StoredEvent;
import io.chronoroute.agent.update.UpdateFailedException;
import io.chronoroute.processors.model.CalendarEvent;
import io.chronoroute.processors.model.EventTime;
import io.chronoroute.providers.caldav.CalDavClient;
import io.chronoroute.providers.caldav.CalDavSettings;
import io.chronoroute.testsupport.caldav.RadicaleLauncher;
import org.apache.camel.CamelContext;
import org.apache.camel.impl.DefaultCamelContext;
import org.apache.camel.support.PluginHelper;
import org.apache.camel.support.ResourceHelper;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.PrintStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.LocalDate;
import java.time.ZoneId;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import java.util.stream.Collectors;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

/**
 * {@link CalDavCalendarSource} against a real Radicale (one for the class; each test its own user, so its own
 * calendars): discovery of several calendars, full read, delta by sync-collection, restart from the persisted token,
 * an invalid token, the ETag fallback, outages and non-XML answers, write-back with If-Match (VALARM and unknown
 * properties kept, a 412 in between), rename by PROPPATCH, and a {@code discover caldav} YAML loaded by Camel.
 */
class CalDavCalendarSourceTest {

    static final String AGENT = "agent-1";
    static RadicaleLauncher radicale;
    static final AtomicInteger USERS = new AtomicInteger();

    @TempDir
    Path tmp;
    AgentState state;
    AgentProperties props;
    ChangeCollector collector;
    SourceRegistry registry;
    CalDavCalendarSource source;
    String user;

    @BeforeAll
    static void startRadicale() {
        radicale = RadicaleLauncher.start(Duration.ofSeconds(20));
    }

    @AfterAll
    static void stopRadicale() {
        if (radicale != null) {
            radicale.close();
        }
    }

    @BeforeEach
    void setUp() {
        props = new AgentProperties(AGENT, "t", "test", URI.create("http://127.0.0.1:1"), null,
                Duration.ofSeconds(30), Duration.ofSeconds(1), Duration.ofSeconds(1), 5000, 20, Duration.ofSeconds(5),
                Duration.ofMinutes(1), "Europe/Berlin");
        state = AgentState.open(tmp.resolve("data"));
        collector = new ChangeCollector(state, props);
        registry = new SourceRegistry();
        source = new CalDavCalendarSource(state, registry, props, Clock.systemUTC());
        user = "user" + USERS.incrementAndGet();
    }

    @AfterEach
    void tearDown() {
        state.close();
    }

    // ------------------------------------------------------------------ helpers

    CalDavClient calendar(String base, String segment, String name, String color) throws Exception {
        CalDavClient c = new CalDavClient(new CalDavSettings(base + user + "/" + segment + "/", user, user, null,
                true, name, Duration.ofSeconds(10)), w -> { });
        c.mkcalendar();
        if (color != null) {
            c.setNameAndColor(null, color);
        }
        return c;
    }

    CalDavClient calendar(String segment, String name, String color) throws Exception {
        return calendar(radicale.baseUrl(), segment, name, color);
    }

    static String ics(String uid, String summary, String extra) {
        return "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//test//EN\r\nBEGIN:VEVENT\r\nUID:" + uid + "\r\n"
                + "DTSTAMP:20261201T080000Z\r\nDTSTART:20261210T090000Z\r\nDTEND:20261210T100000Z\r\nSUMMARY:"
                + summary + "\r\n" + (extra == null ? "" : extra) + "END:VEVENT\r\nEND:VCALENDAR\r\n";
    }

    static String href(CalDavClient c, String uid) {
        return c.collectionPath() + uid + ".ics";
    }

    CalDavCalendarSource.Settings settings(String url, String calendars, boolean writable, String mode) {
        return CalDavCalendarSource.settings("dav", url, user, user, calendars, null, writable, mode, 10_000L);
    }

    SourceConfig register(String url, String calendars, boolean writable, String mode) {
        return source.register(settings(url, calendars, writable, mode));
    }

    /** One poll as the route does it: read, collect, commit. */
    List<ChangeBatch> poll(SourceConfig cfg) {
        List<ChangeBatch> batches = source.read(cfg);
        collector.collect(batches);
        source.committed(cfg);
        return batches;
    }

    Map<String, StoredEvent> current() {
        Map<String, StoredEvent> m = new java.util.TreeMap<>();
        state.read(tx -> tx.findCurrent(e -> {
            m.put(e.event().path("uid").asText(), e);
            return false;
        }));
        return m;
    }

    long eventCount() {
        return state.read(tx -> tx.currentSize());
    }

    static List<String> kinds(List<ChangeBatch> batches) {
        return batches.stream().map(b -> b.kind() + " " + b.file().substring(b.file().lastIndexOf('/') + 1)).sorted()
                .toList();
    }

    static CalendarEvent event(String uid, String summary) {
        return CalendarEvent.builder().uid(uid).title(summary)
                .start(EventTime.ofInstant(java.time.Instant.parse("2026-12-11T09:00:00Z"), "UTC"))
                .end(EventTime.ofInstant(java.time.Instant.parse("2026-12-11T10:00:00Z"), "UTC")).build();
    }

    CalendarEvent stored(String href, String uid) throws Exception {
        String body = new CalDavClient(CalDavSettings.of(radicale.baseUrl(), user, user), w -> { }).get(href).body();
        return io.chronoroute.processors.ical.ICalCodec.parse(body, null).stream().filter(e -> e.uid().equals(uid)
                && e.recurrenceId() == null).findFirst().orElseThrow();
    }

    // ------------------------------------------------------------------ reading

    @Test
    void discoversEveryEventCalendarAndReadsThemFullThenOnlyTheDelta() throws Exception {
        CalDavClient work = calendar("work", "Work", "#FF0000FF");
        CalDavClient home = calendar("home", "Home", null);
        work.put(href(work, "w1"), ics("w1", "Standup", null), null, true);
        work.put(href(work, "w2"), ics("w2", "Review", null), null, true);
        work.put(href(work, "w3"), ics("w3", "Retro", null), null, true);
        home.put(href(home, "h1"), ics("h1", "Dentist", null), null, true);
        SourceConfig cfg = register(radicale.baseUrl() + user + "/", "", false, "auto");

        List<ChangeBatch> first = poll(cfg);
        assertThat(kinds(first)).containsExactly("PARSED h1.ics", "PARSED w1.ics", "PARSED w2.ics", "PARSED w3.ics");
        assertThat(eventCount()).isEqualTo(4);
        assertThat(source.calendarsOf("dav")).extracting(m -> m.get("calendar_name") + " " + m.get("color")
                + " " + m.get("calendar_id")).containsExactlyInAnyOrder("Work #FF0000FF dav/work", "Home null dav/home");
        assertThat(first.stream().flatMap(b -> b.events().stream()).map(e -> e.origin().calendarName() + ":"
                + e.origin().providerId()).toList()).contains("Work:/" + user + "/work/w1.ics", "Home:/" + user
                + "/home/h1.ics");
        assertThat(source.state(cfg).lastError()).isNull();
        assertThat(source.state(cfg).cursorAt()).isNotNull();

        assertThat(poll(cfg)).as("nothing changed").isEmpty();

        work.put(href(work, "w4"), ics("w4", "Planning", null), null, true);
        CalDavClient.Resource w2 = work.get(href(work, "w2"));
        work.put(w2.href(), w2.body().replace("Review", "Review (moved)"), w2.etag(), false);
        work.delete(href(work, "w3"), null);
        List<ChangeBatch> delta = poll(cfg);
        assertThat(kinds(delta)).containsExactly("PARSED w2.ics", "PARSED w4.ics", "REMOVED w3.ics");
        assertThat(current()).containsOnlyKeys("h1", "w1", "w2", "w4");
        assertThat(current().get("w2").event().path("title").asText()).isEqualTo("Review (moved)");

        // a restart: a new bean on the same state resumes from the persisted tokens
        SourceRegistry registry2 = new SourceRegistry();
        CalDavCalendarSource restarted = new CalDavCalendarSource(state, registry2, props, Clock.systemUTC());
        SourceConfig cfg2 = restarted.register(settings(radicale.baseUrl() + user + "/", "", false, "auto"));
        assertThat(restarted.read(cfg2)).as("no change since the persisted token").isEmpty();
        home.put(href(home, "h2"), ics("h2", "Gym", null), null, true);
        assertThat(kinds(restarted.read(cfg2))).containsExactly("PARSED h2.ics");
    }

    @Test
    void anInvalidSyncTokenIsAFullReadWithoutDuplicates() throws Exception {
        CalDavClient cal = calendar("cal", "Cal", null);
        cal.put(href(cal, "a"), ics("a", "A", null), null, true);
        cal.put(href(cal, "b"), ics("b", "B", null), null, true);
        SourceConfig cfg = register(radicale.baseUrl() + user + "/cal/", "", false, "auto");
        poll(cfg);
        long outbox = state.read(tx -> tx.outboxSize());
        String prefix = CalDavCalendarSource.metaPrefix("dav", "/" + user + "/cal/");
        state.write(tx -> {
            tx.putMeta(prefix + "token", "http://radicale.org/ns/sync/0000000000000000000000000000000000000000");
            return null;
        });
        cal.put(href(cal, "c"), ics("c", "C", null), null, true);
        List<ChangeBatch> batches = poll(cfg);
        assertThat(kinds(batches)).as("only what changed is sent on").containsExactly("PARSED c.ics");
        assertThat(eventCount()).isEqualTo(3);
        assertThat((long) state.read(tx -> tx.outboxSize())).isEqualTo(outbox + 1);
        assertThat(source.state(cfg).lastError()).isNull();
        assertThat(poll(cfg)).isEmpty();
    }

    @Test
    void etagListingFallbackReadsOnlyTheChangedResources() throws Exception {
        CalDavClient cal = calendar("cal", "Cal", null);
        cal.put(href(cal, "a"), ics("a", "A", null), null, true);
        cal.put(href(cal, "b"), ics("b", "B", null), null, true);
        cal.put(href(cal, "c"), ics("c", "C", null), null, true);
        SourceConfig cfg = register(radicale.baseUrl() + user + "/", "Cal", false, "etag");
        assertThat(kinds(poll(cfg))).containsExactly("PARSED a.ics", "PARSED b.ics", "PARSED c.ics");
        assertThat(source.etagMode("dav", "/" + user + "/cal/")).isTrue();
        assertThat(poll(cfg)).isEmpty();
        CalDavClient.Resource b = cal.get(href(cal, "b"));
        cal.put(b.href(), b.body().replace("SUMMARY:B", "SUMMARY:B2"), b.etag(), false);
        cal.delete(href(cal, "c"), null);
        assertThat(kinds(poll(cfg))).containsExactly("PARSED b.ics", "REMOVED c.ics");
        assertThat(current()).containsOnlyKeys("a", "b");
        // restart: the persisted ETags are the cursor
        CalDavCalendarSource restarted = new CalDavCalendarSource(state, new SourceRegistry(), props, Clock.systemUTC());
        SourceConfig cfg2 = restarted.register(settings(radicale.baseUrl() + user + "/", "Cal", false, "etag"));
        cal.put(href(cal, "d"), ics("d", "D", null), null, true);
        assertThat(kinds(restarted.read(cfg2))).containsExactly("PARSED d.ics");
    }

    @Test
    void anOutageOrANonXmlAnswerDeletesNothingAndIsTheLastError() throws Exception {
        RadicaleLauncher own = RadicaleLauncher.start(Duration.ofSeconds(20));
        SourceConfig cfg;
        try {
            CalDavClient cal = calendar(own.baseUrl(), "cal", "Cal", null);
            cal.put(href(cal, "a"), ics("a", "A", null), null, true);
            cfg = register(own.baseUrl() + user + "/cal/", "", false, "auto");
            poll(cfg);
            assertThat(eventCount()).isEqualTo(1);
        } finally {
            own.close();
        }
        assertThat(poll(cfg)).isEmpty();
        assertThat(eventCount()).isEqualTo(1);
        assertThat(source.state(cfg).lastError()).contains("ConnectException");

        HttpServer html = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
        AtomicInteger status = new AtomicInteger(200);
        html.createContext("/", ex -> {
            byte[] b = "<html><body>Please log in</body>".getBytes(StandardCharsets.UTF_8);
            ex.getResponseHeaders().add("Content-Type", "text/html");
            ex.sendResponseHeaders(status.get(), b.length);
            ex.getResponseBody().write(b);
            ex.close();
        });
        html.start();
        try {
            SourceConfig other = register("http://127.0.0.1:" + html.getAddress().getPort() + "/" + user + "/cal/",
                    "", false, "auto");
            assertThat(poll(other)).isEmpty();
            assertThat(source.state(other).lastError()).contains("not DAV XML");
            status.set(503);
            assertThat(poll(other)).isEmpty();
            assertThat(source.state(other).lastError()).contains("503");
            assertThat(eventCount()).isEqualTo(1);
        } finally {
            html.stop(0);
        }
    }

    // ------------------------------------------------------------------ writing

    @Test
    void writeBackCreatesUpdatesAndDeletesKeepingWhatTheModelDoesNotCarry() throws Exception {
        CalDavClient cal = calendar("cal", "Cal", null);
        String alarm = "X-SOMETHING;X-P=1:kept value\r\nBEGIN:VALARM\r\nACTION:DISPLAY\r\nDESCRIPTION:Reminder\r\n"
                + "TRIGGER:-PT15M\r\nEND:VALARM\r\n";
        cal.put(href(cal, "a"), ics("a", "A", alarm), null, true);
        SourceConfig cfg = register(radicale.baseUrl() + user + "/cal/", "", true, "auto");
        poll(cfg);

        CalendarSource.Applied created = source.applyEventUpdate(cfg, "create", event("new-1", "Created"), null);
        assertThat(created.outcome()).startsWith("created new-1");
        collector.collect(created.reread());
        String createdHref = created.reread().get(0).file();
        assertThat(stored(createdHref, "new-1").title()).isEqualTo("Created");

        String base = ChangeCollector.hashOnTheWire(stored(href(cal, "a"), "a"));
        CalendarEvent edit = stored(href(cal, "a"), "a").toBuilder().title("A edited").build();
        CalendarSource.Applied updated = source.applyEventUpdate(cfg, "update", edit, base);
        collector.collect(updated.reread());
        String text = cal.get(href(cal, "a")).body();
        assertThat(text).contains("SUMMARY:A edited", "X-SOMETHING;X-P=1:kept value", "BEGIN:VALARM",
                "TRIGGER:-PT15M", "SEQUENCE:0");
        assertThat(current().get("a").event().path("title").asText()).isEqualTo("A edited");

        // edited in the calendar since the master's base: refused, nothing written
        String masterBase = ChangeCollector.hashOnTheWire(stored(href(cal, "a"), "a"));
        CalDavClient.Resource theirs = cal.get(href(cal, "a"));
        cal.put(theirs.href(), theirs.body().replace("SUMMARY:A edited", "SUMMARY:Their title"), theirs.etag(), false);
        String etag = cal.get(href(cal, "a")).etag();
        assertThatThrownBy(() -> source.applyEventUpdate(cfg, "update", edit.toBuilder().title("Stale").build(),
                masterBase)).isInstanceOfSatisfying(UpdateFailedException.class, e ->
                assertThat(e.permanent()).isTrue());
        assertThat(cal.get(href(cal, "a")).etag()).isEqualTo(etag);

        CalendarSource.Applied deleted = source.applyEventUpdate(cfg, "delete", event("new-1", null), null);
        collector.collect(deleted.reread());
        assertThat(cal.get(createdHref)).isNull();
        assertThat(current()).containsOnlyKeys("a");
        assertThat(kinds(poll(cfg))).as("only their edit; our own writes read back unchanged")
                .containsExactly("PARSED a.ics");
        assertThat(poll(cfg)).isEmpty();
    }

    @Test
    void deletingOneOccurrenceAddsAnExdate() throws Exception {
        CalDavClient cal = calendar("cal", "Cal", null);
        cal.put(href(cal, "s"), ics("s", "Weekly", "RRULE:FREQ=WEEKLY;COUNT=5\r\n"), null, true);
        SourceConfig cfg = register(radicale.baseUrl() + user + "/cal/", "", true, "auto");
        poll(cfg);
        CalendarEvent occurrence = event("s", null).toBuilder()
                .recurrenceId(EventTime.ofInstant(java.time.Instant.parse("2026-12-17T09:00:00Z"), "UTC")).build();
        source.applyEventUpdate(cfg, "delete", occurrence, null);
        String text = cal.get(href(cal, "s")).body();
        assertThat(text).contains("RRULE:FREQ=WEEKLY;COUNT=5").containsPattern("EXDATE[^\\r\\n]*20261217T090000Z");
    }

    @Test
    void aPreconditionFailureIsReadAgainAndRefusedOnlyWhenTheEventChanged() throws Exception {
        CalDavClient direct = calendar("cal", "Cal", null);
        direct.put(href(direct, "a"), ics("a", "A", null), null, true);
        // a proxy in front of Radicale that lets a person edit the resource just before our PUT arrives
        AtomicReference<String> editBeforePut = new AtomicReference<>();
        HttpServer proxy = proxy(radicale.baseUrl(), (method, path) -> {
            String edit = "PUT".equals(method) ? editBeforePut.getAndSet(null) : null;
            if (edit != null) {
                CalDavClient.Resource r = direct.get(path);
                direct.put(path, edit.equals("summary") ? r.body().replace("SUMMARY:A", "SUMMARY:Theirs")
                        : r.body().replace("END:VEVENT", "X-THEIR-NOTE:x\r\nEND:VEVENT"), r.etag(), false);
            }
        });
        try {
            String url = "http://127.0.0.1:" + proxy.getAddress().getPort() + "/" + user + "/cal/";
            SourceConfig cfg = register(url, "", true, "auto");
            poll(cfg);
            String base = ChangeCollector.hashOnTheWire(stored(href(direct, "a"), "a"));

            // an edit that does not change the event (a property the model does not carry): applied on the new version
            editBeforePut.set("note");
            CalendarEvent mine = stored(href(direct, "a"), "a").toBuilder().title("Mine").build();
            source.applyEventUpdate(cfg, "update", mine, base);
            assertThat(direct.get(href(direct, "a")).body()).contains("SUMMARY:Mine", "X-THEIR-NOTE:x");

            // an edit of the event itself: refused permanently, their version stays
            String base2 = ChangeCollector.hashOnTheWire(stored(href(direct, "a"), "a"));
            editBeforePut.set("summary");
            CalendarEvent again = stored(href(direct, "a"), "a").toBuilder().title("Mine again").build();
            // the person's edit replaces "SUMMARY:A..." only when the summary starts with A: make it so
            direct.put(href(direct, "a"), direct.get(href(direct, "a")).body().replace("SUMMARY:Mine", "SUMMARY:A2"),
                    direct.get(href(direct, "a")).etag(), false);
            String base3 = ChangeCollector.hashOnTheWire(stored(href(direct, "a"), "a"));
            assertThat(base3).isNotEqualTo(base2);
            assertThatThrownBy(() -> source.applyEventUpdate(cfg, "update", again, base3))
                    .isInstanceOfSatisfying(UpdateFailedException.class, e -> {
                        assertThat(e.permanent()).isTrue();
                        assertThat(e.getMessage()).contains("changed");
                    });
            assertThat(direct.get(href(direct, "a")).body()).contains("SUMMARY:Theirs2").doesNotContain("Mine again");
        } finally {
            proxy.stop(0);
        }
    }

    @Test
    void renameIsAProppatchOfNameAndColourAndTheEventsCarryTheNewName() throws Exception {
        CalDavClient cal = calendar("cal", "Old name", "#112233FF");
        cal.put(href(cal, "a"), ics("a", "A", null), null, true);
        SourceConfig cfg = register(radicale.baseUrl() + user + "/cal/", "", true, "auto");
        poll(cfg);
        assertThat(current().get("a").event().path("calendar_id").asText()).isEqualTo("dav");

        CalendarSource.Applied applied = source.renameCalendar(cfg, cfg.name(), "New name", "#00FF00FF");
        collector.collect(applied.reread());
        CalDavClient.CalendarInfo info = cal.calendars(cal.collectionPath(), false).get(0);
        assertThat(info.displayName()).isEqualTo("New name");
        assertThat(info.color()).isEqualTo("#00FF00FF");
        // the events read again carry the new name (the collector's hash leaves the origin out: no upsert)
        assertThat(applied.reread()).singleElement().satisfies(b ->
                assertThat(b.events().get(0).origin().calendarName()).isEqualTo("New name"));
        assertThat(poll(cfg)).isEmpty();

        // renamed on the server by someone else: the next poll reads the calendar again with the new name
        cal.setNameAndColor("Third name", null);
        List<ChangeBatch> again = poll(cfg);
        assertThat(kinds(again)).containsExactly("PARSED a.ics");
        assertThat(again.get(0).events().get(0).origin().calendarName()).isEqualTo("Third name");
        assertThat(source.calendarsOf("dav")).singleElement().satisfies(m ->
                assertThat(m).containsEntry("calendar_name", "Third name").containsEntry("color", "#00FF00FF"));
    }

    @Test
    void aReadOnlySourceRefusesWrites() throws Exception {
        calendar("cal", "Cal", null);
        SourceConfig cfg = register(radicale.baseUrl() + user + "/cal/", "", false, "auto");
        assertThat(source.refusal(cfg)).contains("read-only");
        assertThatThrownBy(() -> source.applyEventUpdate(cfg, "create", event("x", "X"), null))
                .isInstanceOfSatisfying(UpdateFailedException.class, e -> assertThat(e.permanent()).isTrue());
    }

    // ------------------------------------------------------------------ discover

    @Test
    void discoverListsTheCalendarsAndWritesAYamlTheAgentLoads() throws Exception {
        CalDavClient work = calendar("work", "Work", null);
        calendar("home", "Home", null);
        work.put(href(work, "w1"), ics("w1", "One", null), null, true);
        work.put(href(work, "w2"), ics("w2", "Two", null), null, true);
        Path yaml = tmp.resolve("sources/dav.camel.yaml");
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        int code = new CalDavDiscoverer().run(new String[]{"--url", radicale.baseUrl(), "--user", user,
                        "--password-env", "DAV_PW", "--calendars", "Work", "--write-route", yaml.toString(),
                        "--source-name", "dav"}, Map.of("DAV_PW", "s3cret-pw"), new PrintStream(out, true),
                new PrintStream(err, true));
        assertThat(code).as(err.toString()).isZero();
        assertThat(out.toString()).containsPattern("Work\\s+2").doesNotContain("Home");
        String text = Files.readString(yaml);
        assertThat(text).contains("routeTemplateRef: caldav-source", "{{DAV_PW}}", "\"Work\"").doesNotContain("s3cret");

        try (CamelContext camel = new DefaultCamelContext()) {
            Properties p = new Properties();
            p.setProperty("DAV_PW", user);
            camel.getPropertiesComponent().setInitialProperties(p);
            camel.getRegistry().bind("calDavSource", source);
            camel.addRoutes(new org.apache.camel.builder.RouteBuilder() {
                @Override
                public void configure() {
                    from("direct:agent-collect").bean(collector, "collect");
                }
            });
            PluginHelper.getRoutesLoader(camel).loadRoutes(ResourceHelper.fromString("caldav-source.camel.yaml",
                    Files.readString(Path.of("..", "src-routes-yaml", "templates", "agent", "caldav-source.camel.yaml"))),
                    ResourceHelper.fromString("dav.camel.yaml", text));
            camel.start();
            await().atMost(Duration.ofSeconds(15)).until(() -> eventCount() == 2);
            assertThat(registry.find("dav")).isPresent();
            await().atMost(Duration.ofSeconds(5)).until(() -> source.state(registry.find("dav").get()).cursorAt() != null);
        }
        assertThat(new CalDavDiscoverer().run(new String[]{"--url", radicale.baseUrl(), "--password-env", "NOPE"},
                Map.of(), new PrintStream(out), new PrintStream(err))).isEqualTo(2);
    }

    // ------------------------------------------------------------------ a forwarding proxy

    interface BeforeForward {
        void run(String method, String path) throws Exception;
    }

    static HttpServer proxy(String target, BeforeForward hook) throws IOException {
        HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
        HttpServer server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
        server.createContext("/", ex -> {
            try {
                hook.run(ex.getRequestMethod(), ex.getRequestURI().getRawPath());
                byte[] body;
                try (InputStream in = ex.getRequestBody()) {
                    body = in.readAllBytes();
                }
                HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(target).resolve(ex.getRequestURI().toString()))
                        .method(ex.getRequestMethod(), HttpRequest.BodyPublishers.ofByteArray(body));
                for (String h : List.of("Authorization", "Depth", "If-Match", "If-None-Match", "Content-Type")) {
                    String v = ex.getRequestHeaders().getFirst(h);
                    if (v != null) {
                        b.header(h, v);
                    }
                }
                HttpResponse<byte[]> r = http.send(b.build(), HttpResponse.BodyHandlers.ofByteArray());
                r.headers().map().forEach((k, v) -> {
                    if (!k.equalsIgnoreCase("content-length") && !k.equalsIgnoreCase("transfer-encoding")
                            && !k.equalsIgnoreCase("connection") && !k.startsWith(":")) {
                        v.forEach(x -> ex.getResponseHeaders().add(k, x));
                    }
                });
                ex.sendResponseHeaders(r.statusCode(), r.body().length == 0 ? -1 : r.body().length);
                try (OutputStream o = ex.getResponseBody()) {
                    o.write(r.body());
                }
            } catch (Exception e) {
                ex.sendResponseHeaders(502, -1);
            } finally {
                ex.close();
            }
        });
        server.start();
        return server;
    }
}
