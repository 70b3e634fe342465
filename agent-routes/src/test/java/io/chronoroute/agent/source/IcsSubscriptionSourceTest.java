package io.chronoroute.agent.source;

import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import com.sun.net.httpserver.HttpServer;
import io.chronoroute.agent.AgentProperties;
import io.chronoroute.agent.Ics;
import io.chronoroute.agent.collect.ChangeBatch;
import io.chronoroute.agent.collect.ChangeCollector;
import io.chronoroute.agent.collect.CollectSummary;
import io.chronoroute.agent.state.AgentState;
import io.chronoroute.agent.state.OutboxEntry;
import io.chronoroute.agent.update.UpdateFailedException;
import io.chronoroute.processors.model.CalendarEvent;
import io.chronoroute.processors.model.EventTime;
import io.chronoroute.processors.sync.SyncKey;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * {@link IcsSubscriptionSource} against a local HTTP server (JDK {@link HttpServer}): conditional GET, a changed feed
 * as upserts and deletions, every kind of broken answer kept from deleting anything, secrets never logged, and the
 * refusal of writes.
 */
class IcsSubscriptionSourceTest {

    static final String AGENT = "agent-1";
    static final String SOURCE = "holidays";
    static final String PASSWORD = "pw-Sekr3t-9f1";
    static final String TOKEN = "tok-abc123XYZ";

    @TempDir
    Path tmp;
    AgentState state;
    ChangeCollector collector;
    SourceRegistry registry;
    IcsSubscriptionSource source;
    HttpServer server;
    ListAppender<ILoggingEvent> log;
    final List<Logger> watched = new ArrayList<>();

    /** What the server answers next; each request is recorded with its headers. */
    volatile int status = 200;
    volatile String body = "";
    volatile String contentType = "text/calendar; charset=utf-8";
    volatile String etag = null;
    final List<Map<String, List<String>>> requests = new CopyOnWriteArrayList<>();

    @BeforeEach
    void setUp() throws IOException {
        AgentProperties props = new AgentProperties(AGENT, "t", "test", URI.create("http://127.0.0.1:1"), null,
                Duration.ofSeconds(30), Duration.ofSeconds(1), Duration.ofSeconds(1), 5000, 20, Duration.ofSeconds(5),
                Duration.ofMinutes(1), "Europe/Berlin");
        state = AgentState.open(tmp.resolve("data"));
        collector = new ChangeCollector(state, props);
        registry = new SourceRegistry();
        source = new IcsSubscriptionSource(state, registry, props, Clock.systemUTC());
        server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
        server.createContext("/", ex -> {
            requests.add(Map.copyOf(ex.getRequestHeaders()));
            String inm = ex.getRequestHeaders().getFirst("If-None-Match");
            if (etag != null) {
                ex.getResponseHeaders().add("ETag", etag);
            }
            if (etag != null && etag.equals(inm)) {
                ex.sendResponseHeaders(304, -1);
                ex.close();
                return;
            }
            byte[] b = body.getBytes(StandardCharsets.UTF_8);
            ex.getResponseHeaders().add("Content-Type", contentType);
            ex.sendResponseHeaders(status, b.length == 0 ? -1 : b.length);
            try (OutputStream out = ex.getResponseBody()) {
                out.write(b);
            }
        });
        server.start();
        log = new ListAppender<>();
        log.start();
        for (Class<?> c : List.of(IcsSubscriptionSource.class, SourceRegistry.class, ChangeCollector.class)) {
            Logger l = (Logger) LoggerFactory.getLogger(c);
            l.addAppender(log);
            watched.add(l);
        }
    }

    @AfterEach
    void tearDown() {
        watched.forEach(l -> l.detachAppender(log));
        server.stop(0);
        state.close();
    }

    private String feedUrl() {
        return "http://127.0.0.1:" + server.getAddress().getPort() + "/feeds/team.ics?token=" + TOKEN;
    }

    private void register(String url) {
        source.register(SOURCE, url, "reader", PASSWORD, "", 5_000L);
    }

    private SourceConfig config() {
        return registry.find(SOURCE).orElseThrow();
    }

    /** One poll as the route does it: read, collect, commit. */
    private CollectSummary poll() {
        List<ChangeBatch> batches = source.poll(SOURCE);
        CollectSummary s = collector.collect(batches);
        source.commit(SOURCE);
        return s;
    }

    private Map<String, OutboxEntry> outbox() {
        return state.read(tx -> tx.outboxHead(10_000));
    }

    private void acknowledgeEverything() {
        state.write(tx -> {
            tx.outboxHead(10_000).forEach((k, e) -> tx.removeOutboxIfVersion(k, e.version()));
            return null;
        });
    }

    private static String key(String uid) {
        return new SyncKey(AGENT, SOURCE, uid, null).value();
    }

    private long currentSize() {
        return state.read(AgentState.Tx::currentSize);
    }

    private static final String TWO = Ics.calendar(Ics.vevent("u1", "Standup", "20250610T070000Z"),
            Ics.vevent("u2", "Review", "20250611T120000Z"));

    @Test
    void firstReadThen304ThenAChangedFeedIsOneUpsertAndOneDelete() {
        register(feedUrl());
        body = Ics.calendar(Ics.vevent("u1", "Standup", "20250610T070000Z"),
                Ics.vevent("u2", "Review", "20250611T120000Z"), Ics.vevent("u3", "Retro", "20250612T120000Z"));
        etag = "\"v1\"";

        CollectSummary first = poll();
        assertThat(first.upserted()).isEqualTo(3);
        assertThat(requests.get(0)).doesNotContainKey("If-none-match");
        assertThat(requests.get(0).get("Authorization")).containsExactly("Basic "
                + Base64.getEncoder().encodeToString(("reader:" + PASSWORD).getBytes(StandardCharsets.UTF_8)));
        JsonAssert.origin(state.read(tx -> tx.current(key("u1"))).event(), SOURCE);
        acknowledgeEverything();

        // unchanged: the conditional GET is answered 304, nothing is read or collected
        List<ChangeBatch> notModified = source.poll(SOURCE);
        assertThat(requests.get(1).get("If-none-match")).containsExactly("\"v1\"");
        assertThat(notModified).isEmpty();
        source.commit(SOURCE);
        assertThat(outbox()).isEmpty();

        // one event edited, one removed
        body = Ics.calendar(Ics.vevent("u1", "Standup (moved)", "20250610T080000Z"),
                Ics.vevent("u2", "Review", "20250611T120000Z"));
        etag = "\"v2\"";
        CollectSummary changed = poll();
        assertThat(changed.upserted()).isEqualTo(1);
        assertThat(changed.deleted()).isEqualTo(1);
        assertThat(outbox().get(key("u1")).isUpsert()).isTrue();
        assertThat(outbox().get(key("u3")).isUpsert()).isFalse();
        assertThat(outbox()).doesNotContainKey(key("u2"));

        CalendarSource.SourceState st = source.state(config());
        assertThat(st.kind()).isEqualTo("ics-subscription");
        assertThat(st.writable()).isFalse();
        assertThat(st.lastRead()).isNotNull();
        assertThat(st.cursorAge(Instant.now())).isNotNull().isLessThan(Duration.ofMinutes(1));
        assertThat(st.lastError()).isNull();
        assertThat(registry.stateOf(config()).kind()).isEqualTo("ics-subscription");
    }

    @Test
    void aRestartResumesFromThePersistedCursor() {
        register(feedUrl());
        body = TWO;
        etag = "\"v1\"";
        poll();
        // a new bean on the same state (an agent restart): its first request is conditional, answered 304
        SourceRegistry again = new SourceRegistry();
        IcsSubscriptionSource restarted = new IcsSubscriptionSource(state, again,
                new AgentProperties(AGENT, "t", "test", URI.create("http://127.0.0.1:1"), null, Duration.ofSeconds(30),
                        Duration.ofSeconds(1), Duration.ofSeconds(1), 5000, 20, Duration.ofSeconds(5),
                        Duration.ofMinutes(1), "Europe/Berlin"), Clock.systemUTC());
        restarted.register(SOURCE, feedUrl(), "reader", PASSWORD, "", 5_000L);
        assertThat(restarted.poll(SOURCE)).isEmpty();
        assertThat(requests.get(1).get("If-none-match")).containsExactly("\"v1\"");
    }

    @Test
    void brokenAnswersDeleteNothingAndAreReportedInTheState() throws IOException {
        register(feedUrl());
        body = TWO;
        poll();
        acknowledgeEverything();
        assertThat(currentSize()).isEqualTo(2);

        status = 500;
        body = "Internal Server Error";
        assertKeptWithError("HTTP 500");

        status = 200;
        contentType = "text/html";
        body = "<html><body>Please sign in</body></html>";
        assertKeptWithError("not a complete iCalendar feed");
        assertThat(source.state(config()).lastError()).contains("text/html");

        contentType = "text/calendar";
        body = TWO.substring(0, TWO.indexOf("END:VCALENDAR"));
        assertKeptWithError("END:VCALENDAR");

        body = TWO.substring(0, TWO.length() / 2);
        assertKeptWithError("not a complete iCalendar feed");

        int port;
        try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            port = s.getLocalPort();
        }
        register("http://127.0.0.1:" + port + "/feeds/team.ics?token=" + TOKEN);
        assertKeptWithError("cannot be reached");

        // back: the failure is over, nothing was lost
        register(feedUrl());
        body = TWO;
        poll();
        assertThat(source.state(config()).lastError()).isNull();
        assertThat(state.<List<String>>read(tx -> tx.failedOf(SOURCE))).isEmpty();
        assertThat(currentSize()).isEqualTo(2);
        assertThat(outbox()).isEmpty();
    }

    private void assertKeptWithError(String reason) {
        CollectSummary s = poll();
        assertThat(s.deleted()).isZero();
        assertThat(currentSize()).isEqualTo(2);
        assertThat(outbox()).isEmpty();
        assertThat(source.state(config()).lastError()).contains(reason);
        assertThat(state.<List<String>>read(tx -> tx.failedOf(SOURCE))).containsExactly(IcsSubscriptionSource.FEED);
    }

    @Test
    void anEmptyCalendarIsTakenAsEmptiedOnlyWhenAnsweredTwiceInARow() {
        register(feedUrl());
        body = TWO;
        poll();
        acknowledgeEverything();

        body = Ics.calendar();
        CollectSummary once = poll();
        assertThat(once.deleted()).isZero();
        assertThat(currentSize()).isEqualTo(2);
        assertThat(source.state(config()).lastError()).contains("empty calendar");

        // the events come back: the empty answer was a glitch
        body = TWO;
        poll();
        assertThat(currentSize()).isEqualTo(2);
        body = Ics.calendar();
        assertThat(poll().deleted()).isZero();

        // an error in between: not "twice in a row"
        status = 500;
        poll();
        status = 200;
        assertThat(poll().deleted()).isZero();
        assertThat(currentSize()).isEqualTo(2);

        CollectSummary twice = poll();
        assertThat(twice.deleted()).isEqualTo(2);
        assertThat(currentSize()).isZero();
        assertThat(source.state(config()).lastError()).isNull();
    }

    @Test
    void credentialsAndTokensAreNeverLoggedNorReported() throws IOException {
        String withUserInfo = feedUrl().replace("http://", "http://reader:" + PASSWORD + "@");
        source.register(SOURCE, withUserInfo, "", "", "", 5_000L);
        body = TWO;
        poll();
        status = 500;
        poll();
        int port;
        try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            port = s.getLocalPort();
        }
        register("webcal://127.0.0.1:" + port + "/calendar/ical/team%40example.com/private-" + TOKEN
                + "/basic.ics?token=" + TOKEN);
        poll();

        assertThat(log.list).isNotEmpty();
        for (ILoggingEvent e : log.list) {
            assertThat(e.getFormattedMessage()).doesNotContain(PASSWORD).doesNotContain(TOKEN);
        }
        assertThat(log.list).anyMatch(e -> e.getFormattedMessage().contains("/feeds/team.ics?***"));
        assertThat(log.list).anyMatch(e -> e.getFormattedMessage().contains("/private-***/basic.ics?***"));
        String reported = String.valueOf(source.state(config()).lastError())
                + state.read(tx -> tx.failedFiles()) + state.read(tx -> tx.allProblems());
        assertThat(reported).doesNotContain(PASSWORD).doesNotContain(TOKEN);
        assertThat(source.settingsOf(SOURCE).toString()).doesNotContain(PASSWORD).doesNotContain(TOKEN);
        // the userinfo was used as basic auth, not sent in the URL
        assertThat(requests.get(0).get("Authorization")).containsExactly("Basic "
                + Base64.getEncoder().encodeToString(("reader:" + PASSWORD).getBytes(StandardCharsets.UTF_8)));
        assertThat(IcsSubscriptionSource.masked(URI.create(withUserInfo))).isEqualTo("http://***@127.0.0.1:"
                + server.getAddress().getPort() + "/feeds/team.ics?***");
    }

    @Test
    void writesAndRenamesAreRefusedPermanentlyWithTheReason() {
        register(feedUrl());
        CalendarEvent e = CalendarEvent.builder().uid("u1").title("x")
                .start(EventTime.ofInstant(Instant.parse("2025-06-10T07:00:00Z"), "UTC")).build();
        assertThatThrownBy(() -> source.applyEventUpdate(config(), "update", e, null))
                .isInstanceOfSatisfying(UpdateFailedException.class, ex -> {
                    assertThat(ex.permanent()).isTrue();
                    assertThat(ex.getMessage()).contains("'" + SOURCE + "'").contains("ICS subscription")
                            .contains("read-only");
                });
        assertThatThrownBy(() -> source.renameCalendar(config(), config().name(), "New name", null))
                .isInstanceOfSatisfying(UpdateFailedException.class, ex -> assertThat(ex.permanent()).isTrue());
        assertThat(source.refusal(config())).contains("read-only");
        assertThat(source.state(config()).notWritableReason()).isEqualTo(source.refusal(config()));
    }

    /** Small assertions on the wire JSON of a stored event. */
    static final class JsonAssert {
        static void origin(com.fasterxml.jackson.databind.JsonNode event, String source) {
            assertThat(event.path("source").asText()).isEqualTo(source);
            assertThat(event.path("provider").asText()).isEqualTo("ics-subscription");
            assertThat(event.path("calendar_id").asText()).isEqualTo(source);
        }
    }
}
