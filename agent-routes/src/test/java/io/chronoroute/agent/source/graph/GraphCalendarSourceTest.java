package io.chronoroute.agent.source.graph;

import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
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
import io.chronoroute.processors.model.Origin;
import io.chronoroute.processors.sync.SyncKey;
import io.chronoroute.processors.wire.WireJson;
import io.chronoroute.providers.common.Backoff;
import io.chronoroute.providers.graph.GraphClient;
import io.chronoroute.testsupport.MutableClock;
import io.chronoroute.testsupport.RequestJournal;
import io.chronoroute.testsupport.graph.FakeGraph;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.slf4j.LoggerFactory;

import java.net.URI;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.nio.file.Files;
import java.time.Duration;
import java.time.Instant;
import java.time.LocalDate;
import java.time.LocalDateTime;
import java.time.ZoneId;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.CopyOnWriteArrayList;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * {@link GraphCalendarSource} against the stateful fake Graph (test-support): full read, deltas from the delta
 * link, a series with an exception and a cancelled occurrence, a restart resuming from the persisted link, 410 as a
 * full read without duplicates, outages deleting nothing, write-back (create with the UID kept, update of only the
 * changed fields, occurrences, delete, 412, base_hash), meetings left alone, rename, secrets never logged. Waits are
 * virtual; nothing sleeps.
 */
class GraphCalendarSourceTest {

    static final String AGENT = "agent-m";
    static final String SOURCE = "work-m365";
    static final String USER = "ada@contoso.example";
    static final ObjectMapper JSON = new ObjectMapper();

    @TempDir
    Path tmp;
    final MutableClock clock = MutableClock.at("2026-11-30T08:00:00Z");
    final List<Duration> waits = new CopyOnWriteArrayList<>();
    FakeGraph graph;
    AgentProperties props;
    AgentState state;
    ChangeCollector collector;
    SourceRegistry registry;
    GraphCalendarSource source;
    SourceConfig config;
    String cal;
    ListAppender<ILoggingEvent> log;
    final List<Logger> watched = new ArrayList<>();

    @BeforeEach
    void setUp() {
        graph = FakeGraph.builder().clock(clock).client("client-m1", "csecret-Mq71-never-logged").build().start();
        graph.addMailbox(USER);
        cal = graph.defaultCalendarId(USER);
        props = new AgentProperties(AGENT, "t", "test", URI.create("http://127.0.0.1:1"), null,
                Duration.ofSeconds(30), Duration.ofSeconds(1), Duration.ofSeconds(1), 5000, 20, Duration.ofSeconds(5),
                Duration.ofMinutes(1), "UTC");
        state = AgentState.open(tmp.resolve("data"));
        collector = new ChangeCollector(state, props);
        log = new ListAppender<>();
        log.start();
        for (Class<?> c : List.of(GraphCalendarSource.class, GraphClient.class, SourceRegistry.class,
                ChangeCollector.class)) {
            Logger l = (Logger) LoggerFactory.getLogger(c);
            l.addAppender(log);
            watched.add(l);
        }
        start(true);
    }

    @AfterEach
    void tearDown() {
        watched.forEach(l -> l.detachAppender(log));
        graph.close();
        state.close();
    }

    /** A fresh source bean on the same state (an agent start), registered as the route does. */
    void start(boolean allowUpdates) {
        registry = new SourceRegistry();
        source = new GraphCalendarSource(state, registry, props, clock, d -> {
            waits.add(d);
            clock.advance(d);
        });
        source.backoff(new Backoff(Duration.ofSeconds(1), Duration.ofSeconds(16), 4, () -> 0.5));
        source.register(SOURCE, graph.tenant(), graph.clientId(), graph.clientSecret(), "", USER, "default",
                "Europe/Berlin", allowUpdates, graph.graphUrl(), graph.authorityUrl(), 5000L, 50.0);
        config = registry.find(SOURCE).orElseThrow();
    }

    List<ChangeBatch> poll() {
        List<ChangeBatch> batches = source.read(config);
        collector.collect(batches);
        source.committed(config);
        return batches;
    }

    List<CalendarEvent> held() {
        return state.read(tx -> {
            List<CalendarEvent> out = new ArrayList<>();
            tx.filesOf(SOURCE).values().forEach(f -> f.keys().forEach(k -> {
                StoredEvent e = tx.current(k);
                if (e != null) {
                    try {
                        out.add(WireJson.readEvent(e.event(), null));
                    } catch (Exception ex) {
                        throw new IllegalStateException(ex);
                    }
                }
            }));
            return out;
        });
    }

    CalendarEvent held(String uid, EventTime rid) {
        return held().stream().filter(e -> e.uid().equals(uid) && Objects.equals(SyncKey.ridText(e.recurrenceId()),
                SyncKey.ridText(rid))).findFirst().orElse(null);
    }

    String storedHash(CalendarEvent e) {
        String key = SyncKey.of(AGENT, e.withOrigin(new Origin(AGENT, SOURCE, null, null, null, null))).value();
        return state.read(tx -> tx.current(key)).hash();
    }

    long outbox() {
        return state.read(tx -> tx.outboxSize());
    }

    String link() {
        return state.read(tx -> tx.meta(GraphCalendarSource.deltaKey(SOURCE, cal)));
    }

    ObjectNode timed(String subject, String start, String end, String zone) {
        ObjectNode n = JSON.createObjectNode().put("subject", subject);
        n.putObject("start").put("dateTime", start).put("timeZone", zone);
        n.putObject("end").put("dateTime", end).put("timeZone", zone);
        return n;
    }

    ObjectNode weekly(String subject) {
        ObjectNode e = timed(subject, "2026-12-07T09:00:00", "2026-12-07T09:15:00", "W. Europe Standard Time");
        ObjectNode rec = e.putObject("recurrence");
        rec.putObject("pattern").put("type", "weekly").put("interval", 1).put("firstDayOfWeek", "monday")
                .putArray("daysOfWeek").add("monday");
        rec.putObject("range").put("type", "numbered").put("startDate", "2026-12-07").put("numberOfOccurrences", 5);
        return e;
    }

    List<RequestJournal.Entry> deltas() {
        return graph.journal().matching(e -> e.operation().equals("events.delta"));
    }

    List<RequestJournal.Entry> writes() {
        return graph.journal().matching(e -> !e.method().equals("GET") && !e.operation().startsWith("token"));
    }

    // ------------------------------------------------------------------ reading

    @Test
    void fullReadThenOnlyTheChangesFromTheDeltaLink() {
        ObjectNode meeting = graph.userCreate(USER, cal, timed("Planning", "2026-12-03T10:00:00", "2026-12-03T11:00:00",
                "W. Europe Standard Time"));
        ObjectNode allDay = timed("Holiday", "2026-12-24T00:00:00", "2026-12-26T00:00:00", "Europe/Berlin");
        allDay.put("isAllDay", true).put("showAs", "free");
        ObjectNode holiday = graph.userCreate(USER, cal, allDay);

        List<ChangeBatch> first = poll();
        assertThat(first).extracting(ChangeBatch::file).containsExactlyInAnyOrder(
                cal + "/" + meeting.get("id").asText(), cal + "/" + holiday.get("id").asText());
        CalendarEvent m = held(meeting.get("iCalUId").asText(), null);
        assertThat(m.title()).isEqualTo("Planning");
        assertThat(m.start()).isEqualTo(EventTime.ofInstant(Instant.parse("2026-12-03T09:00:00Z"), "Europe/Berlin"));
        assertThat(m.origin().calendarId()).isEqualTo(SOURCE);
        assertThat(m.origin().provider()).isEqualTo("graph");
        CalendarEvent h = held(holiday.get("iCalUId").asText(), null);
        assertThat(h.start()).isEqualTo(EventTime.ofDate(LocalDate.of(2026, 12, 24)));
        assertThat(h.end()).isEqualTo(EventTime.ofDate(LocalDate.of(2026, 12, 26)));
        assertThat(h.transparency()).isEqualTo("TRANSPARENT");
        assertThat(deltas().get(0).query()).isNull();
        assertThat(link()).contains("$deltatoken=");

        assertThat(poll()).isEmpty();
        assertThat(deltas().get(deltas().size() - 1).query()).contains("$deltatoken=");

        graph.userEdit(USER, meeting.get("id").asText(), JSON.createObjectNode().put("subject", "Planning (moved)"));
        ObjectNode added = graph.userCreate(USER, cal, timed("Review", "2026-12-04T15:00:00", "2026-12-04T16:00:00",
                "UTC"));
        assertThat(poll()).extracting(ChangeBatch::file).containsExactlyInAnyOrder(
                cal + "/" + meeting.get("id").asText(), cal + "/" + added.get("id").asText());
        assertThat(held(meeting.get("iCalUId").asText(), null).title()).isEqualTo("Planning (moved)");

        graph.userDelete(USER, holiday.get("id").asText());
        assertThat(poll()).singleElement().satisfies(b -> {
            assertThat(b.kind()).isEqualTo(ChangeBatch.Kind.REMOVED);
            assertThat(b.file()).isEqualTo(cal + "/" + holiday.get("id").asText());
        });
        assertThat(held()).extracting(CalendarEvent::title).containsExactlyInAnyOrder("Planning (moved)", "Review");
        assertThat(source.state(config).lastError()).isNull();
        assertThat(source.state(config).cursorAt()).isNotNull();
        assertThat(writes()).isEmpty();
    }

    @Test
    void seriesWithAnExceptionAndACancelledOccurrenceIsOneFile() {
        ObjectNode series = graph.userCreate(USER, cal, weekly("Standup"));
        String id = series.get("id").asText();
        String uid = series.get("iCalUId").asText();
        poll();
        assertThat(held()).hasSize(1);

        List<ObjectNode> inst = graph.instances(USER, id, Instant.parse("2026-12-01T00:00:00Z"),
                Instant.parse("2027-01-31T00:00:00Z"));
        graph.userEdit(USER, inst.get(1).get("id").asText(), timed("Standup (late)", "2026-12-14T10:00:00",
                "2026-12-14T10:15:00", "Europe/Berlin"));
        graph.userDelete(USER, inst.get(2).get("id").asText());

        assertThat(poll()).singleElement().satisfies(b -> {
            assertThat(b.file()).isEqualTo(cal + "/" + id);
            assertThat(b.events()).hasSize(2);
        });
        CalendarEvent master = held(uid, null);
        assertThat(master.rrules()).containsExactly("FREQ=WEEKLY;COUNT=5;BYDAY=MO");
        assertThat(master.exdates()).containsExactly(EventTime.ofZoned(LocalDateTime.parse("2026-12-21T09:00"),
                ZoneId.of("Europe/Berlin")));
        EventTime rid = EventTime.ofInstant(Instant.parse("2026-12-14T08:00:00Z"), "Europe/Berlin");
        CalendarEvent override = held(uid, rid);
        assertThat(override.title()).isEqualTo("Standup (late)");
        assertThat(override.start().instant()).isEqualTo(Instant.parse("2026-12-14T09:00:00Z"));

        graph.userDelete(USER, id);
        assertThat(poll()).singleElement().extracting(ChangeBatch::kind).isEqualTo(ChangeBatch.Kind.REMOVED);
        assertThat(held()).isEmpty();
    }

    @Test
    void aRestartResumesFromThePersistedDeltaLink() {
        graph.userCreate(USER, cal, timed("One", "2026-12-03T10:00:00", "2026-12-03T11:00:00", "UTC"));
        poll();
        int before = deltas().size();

        start(true);
        assertThat(poll()).isEmpty();
        assertThat(deltas()).hasSize(before + 1);
        assertThat(deltas().get(before).query()).contains("$deltatoken=");

        ObjectNode two = graph.userCreate(USER, cal, timed("Two", "2026-12-04T10:00:00", "2026-12-04T11:00:00", "UTC"));
        assertThat(poll()).singleElement().extracting(ChangeBatch::file).isEqualTo(cal + "/" + two.get("id").asText());
    }

    /** A fresh source bean on the same state, signed in as the user with {@code refreshToken} (delegated, /me). */
    void startDelegated(String refreshToken) {
        registry = new SourceRegistry();
        source = new GraphCalendarSource(state, registry, props, clock, d -> {
            waits.add(d);
            clock.advance(d);
        });
        source.register(SOURCE, graph.tenant(), graph.clientId(), "", refreshToken, "", "default",
                "Europe/Berlin", true, graph.graphUrl(), graph.authorityUrl(), 5000L, 50.0);
        config = registry.find(SOURCE).orElseThrow();
    }

    String storedRefreshToken() {
        return state.read(tx -> tx.meta(GraphRefreshTokens.tokenKey(SOURCE)));
    }

    @Test
    void aRestartStartsFromTheNewestRotatedRefreshTokenTheConfiguredOneIsOnlyTheFirst() throws Exception {
        graph.singleUseRefreshTokens(true); // strict: a used refresh token is dead, only the newest works
        String first = graph.issueRefreshToken(USER);
        graph.userCreate(USER, cal, timed("One", "2026-12-03T10:00:00", "2026-12-03T11:00:00", "UTC"));
        startDelegated(first);
        assertThat(poll()).hasSize(1);
        String rotated = storedRefreshToken();
        assertThat(rotated).isNotBlank().isNotEqualTo(first);
        Path file = tmp.resolve("data").resolve("graph-" + SOURCE + ".refresh-token");
        assertThat(Files.readString(file)).contains(rotated);
        if (file.getFileSystem().supportedFileAttributeViews().contains("posix")) {
            assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(file))).isEqualTo("rw-------");
        }

        // restart with the same configuration: the stored newest is used (the configured first one is dead)
        startDelegated(first);
        graph.userCreate(USER, cal, timed("Two", "2026-12-04T10:00:00", "2026-12-04T11:00:00", "UTC"));
        assertThat(poll()).hasSize(1);
        assertThat(source.state(config).lastError()).isNull();
        assertThat(storedRefreshToken()).isNotIn(first, rotated);

        // the state reset: the owner-only file still has the newest
        String newest = storedRefreshToken();
        state.write(tx -> {
            tx.putMeta(GraphRefreshTokens.tokenKey(SOURCE), null);
            tx.putMeta(GraphRefreshTokens.seedKey(SOURCE), null);
            return null;
        });
        assertThat(new GraphRefreshTokens(state).current(SOURCE, first)).isEqualTo(newest);

        // a new sign-in configured (another value): that one is the first again
        String second = graph.issueRefreshToken(USER);
        startDelegated(second);
        graph.userCreate(USER, cal, timed("Three", "2026-12-05T10:00:00", "2026-12-05T11:00:00", "UTC"));
        assertThat(poll()).hasSize(1);
        assertThat(graph.journal().matching(e -> e.operation().startsWith("token")).stream()
                .filter(e -> e.status() == 400)).isEmpty();
        assertThat(log.list).noneMatch(e -> java.util.regex.Pattern.compile("(?<![A-Za-z0-9])rt-[A-Za-z0-9_-]{16}")
                .matcher(e.getFormattedMessage()).find());
    }

    @Test
    void aReadThatWasNotCollectedIsReadAgain() {
        graph.userCreate(USER, cal, timed("One", "2026-12-03T10:00:00", "2026-12-03T11:00:00", "UTC"));
        assertThat(source.read(config)).hasSize(1);
        assertThat(poll()).hasSize(1);
        assertThat(held()).hasSize(1);
    }

    @Test
    void anUnknownDeltaLinkIsAFullReadWithoutDuplicates() {
        ObjectNode keep = graph.userCreate(USER, cal, timed("Keep", "2026-12-03T10:00:00", "2026-12-03T11:00:00", "UTC"));
        ObjectNode gone = graph.userCreate(USER, cal, timed("Gone", "2026-12-04T10:00:00", "2026-12-04T11:00:00", "UTC"));
        poll();
        graph.userDelete(USER, gone.get("id").asText());
        graph.userCreate(USER, cal, timed("New", "2026-12-05T10:00:00", "2026-12-05T11:00:00", "UTC"));
        graph.invalidateDeltaTokens();
        long outboxBefore = outbox();

        List<ChangeBatch> batches = poll();
        assertThat(deltas()).filteredOn(e -> e.status() == 410).hasSize(1);
        assertThat(held()).extracting(CalendarEvent::title).containsExactlyInAnyOrder("Keep", "New");
        assertThat(batches).filteredOn(b -> b.kind() == ChangeBatch.Kind.REMOVED).singleElement()
                .extracting(ChangeBatch::file).isEqualTo(cal + "/" + gone.get("id").asText());
        assertThat(outbox()).isEqualTo(outboxBefore + 1);
        assertThat(held(keep.get("iCalUId").asText(), null)).isNotNull();
        assertThat(poll()).isEmpty();
    }

    @Test
    void anOutageOrRefusedCredentialsDeleteNothing() {
        graph.userCreate(USER, cal, timed("One", "2026-12-03T10:00:00", "2026-12-03T11:00:00", "UTC"));
        poll();
        String link = link();

        graph.failNext(4, 503, "ServiceUnavailable", 0);
        assertThat(poll()).isEmpty();
        assertThat(source.state(config).lastError()).contains("503");
        assertThat(held()).hasSize(1);
        assertThat(link()).isEqualTo(link);
        assertThat(waits).hasSize(3);

        graph.failNext(2, 401, "InvalidAuthenticationToken", 0);
        assertThat(poll()).isEmpty();
        assertThat(source.state(config).lastError()).contains("credentials");
        assertThat(held()).hasSize(1);
        assertThat(link()).isEqualTo(link);

        graph.failNext(1, 429, "ApplicationThrottled", 20);
        assertThat(poll()).isEmpty();
        assertThat(source.state(config).lastError()).isNull();
        assertThat(waits.get(waits.size() - 1)).isGreaterThanOrEqualTo(Duration.ofSeconds(20));
        assertThat(log.list).noneMatch(e -> e.getFormattedMessage().contains(graph.clientSecret()));
    }

    // ------------------------------------------------------------------ writing

    CalendarEvent fromMaster(String uid, String title, String start, String end) {
        return CalendarEvent.builder().uid(uid).title(title)
                .start(EventTime.ofZoned(LocalDateTime.parse(start), ZoneId.of("Europe/Berlin")))
                .end(EventTime.ofZoned(LocalDateTime.parse(end), ZoneId.of("Europe/Berlin")))
                .origin(new Origin(AGENT, SOURCE, SOURCE, null, "graph", null)).build();
    }

    @Test
    void createKeepsTheUidAndARetryCreatesNoDuplicate() throws Exception {
        CalendarEvent e = fromMaster("master-uid-1@chronoroute", "From the master", "2026-12-10T14:00", "2026-12-10T15:00");
        CalendarSource.Applied a = source.applyEventUpdate(config, "create", e, null);
        assertThat(a.outcome()).startsWith("created");
        collector.collect(a.reread());
        assertThat(held("master-uid-1@chronoroute", null).title()).isEqualTo("From the master");
        List<ObjectNode> stored = graph.storedEvents(USER, cal);
        assertThat(stored).singleElement().satisfies(s -> assertThat(s.path("iCalUId").asText())
                .isNotEqualTo("master-uid-1@chronoroute"));
        JsonNode withProp = graph.event(USER, stored.get(0).get("id").asText());
        assertThat(withProp.toString()).contains("master-uid-1@chronoroute");

        // the same create again (e.g. the master retried after a lost answer): found by UID, already applied
        assertThat(source.applyEventUpdate(config, "create", e, null).outcome()).startsWith("already applied");
        assertThat(graph.storedEvents(USER, cal)).hasSize(1);
        // the next poll reads it with the master's UID, unchanged
        poll();
        assertThat(held()).singleElement().extracting(CalendarEvent::uid).isEqualTo("master-uid-1@chronoroute");
        assertThat(graph.messagesSent()).isEmpty();
    }

    @Test
    void updatePatchesOnlyWhatChangedAndDeleteRemoves() throws Exception {
        ObjectNode ev = graph.userCreate(USER, cal, timed("Planning", "2026-12-03T10:00:00", "2026-12-03T11:00:00",
                "Europe/Berlin"));
        poll();
        String uid = ev.get("iCalUId").asText();
        CalendarEvent current = held(uid, null);
        CalendarEvent edited = current.toBuilder().title("Planning (master)").build();
        CalendarSource.Applied a = source.applyEventUpdate(config, "update", edited, storedHash(current));
        assertThat(a.outcome()).startsWith("updated").contains("subject").doesNotContain("start");
        RequestJournal.Entry patch = writes().get(writes().size() - 1);
        assertThat(patch.method()).isEqualTo("PATCH");
        assertThat(patch.body()).contains("subject").doesNotContain("\"start\"");
        collector.collect(a.reread());
        assertThat(held(uid, null).title()).isEqualTo("Planning (master)");

        CalendarSource.Applied d = source.applyEventUpdate(config, "delete", held(uid, null), null);
        assertThat(d.outcome()).startsWith("deleted");
        collector.collect(d.reread());
        assertThat(held()).isEmpty();
        assertThat(graph.storedEvents(USER, cal)).isEmpty();
        assertThat(source.applyEventUpdate(config, "delete", current, null).outcome()).startsWith("already gone");
    }

    @Test
    void occurrencesAreChangedAndCancelledInTheirSeries() throws Exception {
        ObjectNode series = graph.userCreate(USER, cal, weekly("Standup"));
        poll();
        String uid = series.get("iCalUId").asText();
        EventTime rid = EventTime.ofInstant(Instant.parse("2026-12-14T08:00:00Z"), "Europe/Berlin");
        CalendarEvent master = held(uid, null);
        CalendarEvent moved = master.toBuilder().rrules(List.of()).recurrenceId(rid).title("Standup (moved)")
                .start(EventTime.ofZoned(LocalDateTime.parse("2026-12-14T11:00"), ZoneId.of("Europe/Berlin")))
                .end(EventTime.ofZoned(LocalDateTime.parse("2026-12-14T11:15"), ZoneId.of("Europe/Berlin"))).build();
        CalendarSource.Applied a = source.applyEventUpdate(config, "update", moved, null);
        collector.collect(a.reread());
        assertThat(held(uid, rid).title()).isEqualTo("Standup (moved)");

        EventTime third = EventTime.ofInstant(Instant.parse("2026-12-21T08:00:00Z"), "Europe/Berlin");
        CalendarSource.Applied d = source.applyEventUpdate(config, "delete",
                master.toBuilder().rrules(List.of()).recurrenceId(third).build(), null);
        assertThat(d.outcome()).contains("cancelled in its series");
        collector.collect(d.reread());
        assertThat(held(uid, null).exdates()).containsExactly(EventTime.ofZoned(
                LocalDateTime.parse("2026-12-21T09:00"), ZoneId.of("Europe/Berlin")));
        assertThat(graph.instances(USER, series.get("id").asText(), Instant.parse("2026-12-01T00:00:00Z"),
                Instant.parse("2027-01-31T00:00:00Z"))).hasSize(4);
    }

    @Test
    void anEditInOutlookMeanwhileIsA412ThenARefusalAgainstTheBase() throws Exception {
        ObjectNode ev = graph.userCreate(USER, cal, timed("Planning", "2026-12-03T10:00:00", "2026-12-03T11:00:00",
                "Europe/Berlin"));
        poll();
        String uid = ev.get("iCalUId").asText();
        CalendarEvent current = held(uid, null);
        String base = storedHash(current);
        graph.beforeNextWrite(() -> graph.userEdit(USER, ev.get("id").asText(),
                JSON.createObjectNode().put("subject", "Edited in Outlook")));
        assertThatThrownBy(() -> source.applyEventUpdate(config, "update",
                current.toBuilder().title("Ours").build(), base))
                .isInstanceOf(UpdateFailedException.class).hasMessageContaining("changed in Microsoft 365 since")
                .satisfies(e -> assertThat(((UpdateFailedException) e).permanent()).isTrue());
        assertThat(graph.journal().matching(e -> e.status() == 412)).hasSize(1);
        assertThat(graph.event(USER, ev.get("id").asText()).get("subject").asText()).isEqualTo("Edited in Outlook");

        // a stale base without a concurrent edit: refused before writing
        long before = writes().size();
        assertThatThrownBy(() -> source.applyEventUpdate(config, "update", current.toBuilder().title("Ours").build(),
                base)).isInstanceOf(UpdateFailedException.class);
        assertThat(writes()).hasSize((int) before);
    }

    @Test
    void meetingsWithAttendeesAreNotChangedAndReadOnlySourcesRefuse() throws Exception {
        ObjectNode body = timed("Board", "2026-12-03T10:00:00", "2026-12-03T11:00:00", "UTC");
        body.putArray("attendees").addObject().put("type", "required").putObject("emailAddress")
                .put("address", "bob@contoso.example");
        ObjectNode meeting = graph.userCreate(USER, cal, body);
        int sent = graph.messagesSent().size();
        poll();
        CalendarEvent current = held(meeting.get("iCalUId").asText(), null);
        assertThatThrownBy(() -> source.applyEventUpdate(config, "update", current.toBuilder().title("x").build(),
                null)).isInstanceOf(UpdateFailedException.class).hasMessageContaining("attendees");
        assertThatThrownBy(() -> source.applyEventUpdate(config, "delete", current, null))
                .isInstanceOf(UpdateFailedException.class);
        assertThat(graph.messagesSent()).hasSize(sent);

        start(false);
        assertThatThrownBy(() -> source.applyEventUpdate(config, "create", fromMaster("u", "t", "2026-12-10T14:00",
                "2026-12-10T15:00"), null)).isInstanceOf(UpdateFailedException.class).hasMessageContaining("read-only");
    }

    @Test
    void renameSetsTheNameAndTheNearestColourPreset() throws Exception {
        CalendarSource.Applied a = source.renameCalendar(config, SOURCE, "Work (M365)", "#00C000");
        assertThat(a.outcome()).contains("renamed to 'Work (M365)'").contains("lightGreen");
        ObjectNode c = graph.calendar(USER, cal);
        assertThat(c.get("name").asText()).isEqualTo("Work (M365)");
        assertThat(c.get("color").asText()).isEqualTo("lightGreen");
        assertThat(GraphCalendarSource.nearestColor("#FF0000")).isEqualTo("lightRed");
        assertThatThrownBy(() -> source.renameCalendar(config, SOURCE, null, "red"))
                .isInstanceOf(UpdateFailedException.class);
        assertThatThrownBy(() -> source.renameCalendar(config, "other", "x", null))
                .isInstanceOf(UpdateFailedException.class);
    }
}
