package io.chronoroute.agent.source.google;

import io.chronoroute.testsupport.google.FakeGoogleTokenEndpoint;

import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
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
import io.chronoroute.testsupport.MutableClock;
import io.chronoroute.testsupport.RequestJournal;
import io.chronoroute.testsupport.google.FakeGoogleCalendar;
import io.chronoroute.testsupport.google.GoogleWrite;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.net.URI;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.time.LocalDate;
import java.time.LocalDateTime;
import java.time.ZoneId;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * {@link GoogleCalendarSource} against the stateful fake Google Calendar (test-support) and a tiny OAuth token
 * endpoint: full read, deltas from the sync token, series with a changed and a cancelled occurrence, a restart
 * resuming from the persisted token, 410 as a full read without duplicates, outages deleting nothing, quota waits,
 * write-back (create/update/delete, always sendUpdates=none, only the changed fields, 412 re-read), rename, and
 * secrets never logged. Waits are virtual (the sleeper advances the clock); nothing sleeps.
 */
class GoogleCalendarSourceTest {

    static final String AGENT = "agent-g";
    static final String SOURCE = "work-google";
    static final String CLIENT_ID = "client-g1";
    static final String CLIENT_SECRET = "csecret-Zx81-never-logged";
    static final String REFRESH_TOKEN = "rtoken-Qp55-never-logged";
    static final ObjectMapper JSON = new ObjectMapper();

    @TempDir
    Path tmp;
    final MutableClock clock = MutableClock.at("2026-11-30T08:00:00Z");
    final List<Duration> waits = new CopyOnWriteArrayList<>();
    FakeGoogleCalendar fake;
    FakeGoogleTokenEndpoint tokens;
    AgentProperties props;
    AgentState state;
    ChangeCollector collector;
    SourceRegistry registry;
    GoogleCalendarSource source;
    SourceConfig config;
    String cal;
    ListAppender<ILoggingEvent> log;
    final List<Logger> watched = new ArrayList<>();

    @BeforeEach
    void setUp() throws IOException {
        fake = FakeGoogleCalendar.builder().clock(clock).build().start();
        cal = fake.primaryCalendarId();
        tokens = new FakeGoogleTokenEndpoint(CLIENT_ID, CLIENT_SECRET, REFRESH_TOKEN, null);
        props = new AgentProperties(AGENT, "t", "test", URI.create("http://127.0.0.1:1"), null,
                Duration.ofSeconds(30), Duration.ofSeconds(1), Duration.ofSeconds(1), 5000, 20, Duration.ofSeconds(5),
                Duration.ofMinutes(1), "UTC");
        state = AgentState.open(tmp.resolve("data"));
        collector = new ChangeCollector(state, props);
        log = new ListAppender<>();
        log.start();
        for (Class<?> c : List.of(GoogleCalendarSource.class, GoogleCalls.class, SourceRegistry.class,
                ChangeCollector.class)) {
            Logger l = (Logger) LoggerFactory.getLogger(c);
            l.addAppender(log);
            watched.add(l);
        }
        start("primary", true);
    }

    @AfterEach
    void tearDown() {
        watched.forEach(l -> l.detachAppender(log));
        fake.close();
        tokens.close();
        state.close();
    }

    /** A fresh source bean on the same state (an agent start), registered as the route does. */
    void start(String calendars, boolean allowUpdates) {
        registry = new SourceRegistry();
        source = new GoogleCalendarSource(state, registry, props, clock, d -> {
            waits.add(d);
            clock.advance(d);
        });
        source.backoff(new Backoff(Duration.ofSeconds(1), Duration.ofSeconds(16), 4, () -> 0.5));
        source.register(SOURCE, CLIENT_ID, CLIENT_SECRET, REFRESH_TOKEN, calendars, "", allowUpdates,
                fake.baseUrl(), tokens.uri(), 5000L, 10.0);
        config = registry.find(SOURCE).orElseThrow();
    }

    /** One poll as the route runs it: read, collect, commit. */
    List<ChangeBatch> poll() {
        List<ChangeBatch> batches = source.read(config);
        collector.collect(batches);
        source.committed(config);
        return batches;
    }

    /** The events the agent holds for the source now. */
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
        return held().stream().filter(e -> e.uid().equals(uid) && java.util.Objects.equals(
                SyncKey.ridText(e.recurrenceId()), SyncKey.ridText(rid))).findFirst().orElse(null);
    }

    String storedHash(CalendarEvent e) {
        String key = SyncKey.of(AGENT, e.withOrigin(new Origin(AGENT, SOURCE, null, null, null, null))).value();
        return state.read(tx -> tx.current(key)).hash();
    }

    String token(String calendar) {
        return state.read(tx -> tx.meta(GoogleCalendarSource.tokenKey(SOURCE, calendar)));
    }

    long outbox() {
        return state.read(tx -> tx.outboxSize());
    }

    ObjectNode timed(String summary, String start, String end, String zone) {
        ObjectNode n = JSON.createObjectNode().put("summary", summary);
        n.putObject("start").put("dateTime", start).put("timeZone", zone);
        n.putObject("end").put("dateTime", end).put("timeZone", zone);
        return n;
    }

    List<RequestJournal.Entry> lists() {
        return fake.journal().matching(e -> "events.list".equals(e.operation()));
    }

    // ------------------------------------------------------------------ reading

    @Test
    void fullReadThenOnlyTheChangesFromTheSyncToken() {
        ObjectNode meeting = fake.userCreate(cal, timed("Planning", "2026-12-03T10:00:00+01:00",
                "2026-12-03T11:00:00+01:00", "Europe/Berlin"));
        ObjectNode holiday = JSON.createObjectNode().put("summary", "Holiday");
        holiday.putObject("start").put("date", "2026-12-24");
        holiday.putObject("end").put("date", "2026-12-26");
        ObjectNode holidayDraft = holiday;
        holiday = null;
        final ObjectNode holidayEvent = fake.userCreate(cal, holidayDraft);

        List<ChangeBatch> first = poll();
        assertThat(first).hasSize(2).allMatch(b -> b.kind() == ChangeBatch.Kind.PARSED);
        assertThat(first).extracting(ChangeBatch::file).containsExactlyInAnyOrder(cal + "/" + meeting.get("id").asText(),
                cal + "/" + holidayEvent.get("id").asText());
        CalendarEvent m = held(meeting.get("iCalUID").asText(), null);
        assertThat(m.title()).isEqualTo("Planning");
        assertThat(m.start()).isEqualTo(EventTime.ofInstant(Instant.parse("2026-12-03T09:00:00Z"), "Europe/Berlin"));
        assertThat(m.origin().calendarId()).isEqualTo(SOURCE);
        assertThat(m.origin().provider()).isEqualTo("google");
        CalendarEvent h = held(holidayEvent.get("iCalUID").asText(), null);
        assertThat(h.start()).isEqualTo(EventTime.ofDate(LocalDate.of(2026, 12, 24)));
        assertThat(h.end()).isEqualTo(EventTime.ofDate(LocalDate.of(2026, 12, 26)));
        RequestJournal.Entry full = lists().get(0);
        assertThat(full.query()).contains("singleEvents=false").contains("showDeleted=true").doesNotContain("syncToken");

        assertThat(poll()).isEmpty();
        assertThat(lists().get(lists().size() - 1).query()).contains("syncToken=");

        fake.userEditSummary(cal, meeting.get("id").asText(), "Planning (moved)");
        ObjectNode added = fake.userCreate(cal, timed("Review", "2026-12-04T15:00:00Z", "2026-12-04T16:00:00Z", "UTC"));
        List<ChangeBatch> delta = poll();
        assertThat(delta).extracting(ChangeBatch::file).containsExactlyInAnyOrder(
                cal + "/" + meeting.get("id").asText(), cal + "/" + added.get("id").asText());
        assertThat(held(meeting.get("iCalUID").asText(), null).title()).isEqualTo("Planning (moved)");

        fake.userDelete(cal, holidayEvent.get("id").asText());
        List<ChangeBatch> deletion = poll();
        assertThat(deletion).singleElement().satisfies(b -> {
            assertThat(b.kind()).isEqualTo(ChangeBatch.Kind.REMOVED);
            assertThat(b.file()).isEqualTo(cal + "/" + holidayEvent.get("id").asText());
        });
        assertThat(held()).extracting(CalendarEvent::title).containsExactlyInAnyOrder("Planning (moved)", "Review");
        assertThat(source.state(config).lastError()).isNull();
        assertThat(source.state(config).cursorAt()).isNotNull();
        assertThat(fake.writes()).isEmpty();
    }

    @Test
    void seriesWithAChangedAndACancelledOccurrenceIsOneFile() {
        ObjectNode body = timed("Standup", "2026-12-07T09:00:00+01:00", "2026-12-07T09:15:00+01:00", "Europe/Berlin");
        body.putArray("recurrence").add("RRULE:FREQ=WEEKLY;COUNT=5");
        ObjectNode series = fake.userCreate(cal, body);
        String id = series.get("id").asText();
        String uid = series.get("iCalUID").asText();
        poll();
        assertThat(held()).hasSize(1);

        // the 2nd occurrence moved by an hour, the 3rd deleted, in Google's UI ("this event only")
        ObjectNode moved = JSON.createObjectNode().put("summary", "Standup (late)");
        moved.putObject("start").put("dateTime", "2026-12-14T10:00:00+01:00").put("timeZone", "Europe/Berlin");
        moved.putObject("end").put("dateTime", "2026-12-14T10:15:00+01:00").put("timeZone", "Europe/Berlin");
        fake.userEdit(cal, id + "_20261214T080000Z", moved);
        fake.userDelete(cal, id + "_20261221T080000Z");

        List<ChangeBatch> delta = poll();
        assertThat(delta).singleElement().satisfies(b -> {
            assertThat(b.file()).isEqualTo(cal + "/" + id);
            assertThat(b.events()).hasSize(2);
        });
        CalendarEvent master = held(uid, null);
        assertThat(master.rrules()).containsExactly("FREQ=WEEKLY;COUNT=5");
        assertThat(master.exdates()).containsExactly(
                EventTime.ofInstant(Instant.parse("2026-12-21T08:00:00Z"), "Europe/Berlin"));
        EventTime rid = EventTime.ofInstant(Instant.parse("2026-12-14T08:00:00Z"), "Europe/Berlin");
        CalendarEvent override = held(uid, rid);
        assertThat(override.title()).isEqualTo("Standup (late)");
        assertThat(override.start().instant()).isEqualTo(Instant.parse("2026-12-14T09:00:00Z"));
        assertThat(override.origin().providerId()).isEqualTo(cal + "/" + id + "_20261214T080000Z");

        // the whole series deleted: the file goes
        fake.userDelete(cal, id);
        assertThat(poll()).singleElement().extracting(ChangeBatch::kind).isEqualTo(ChangeBatch.Kind.REMOVED);
        assertThat(held()).isEmpty();
    }

    @Test
    void aRestartResumesFromThePersistedSyncToken() {
        fake.userCreate(cal, timed("One", "2026-12-03T10:00:00Z", "2026-12-03T11:00:00Z", "UTC"));
        poll();
        int before = lists().size();

        start("primary", true); // a new bean on the same state: the agent restarted
        assertThat(poll()).isEmpty();
        assertThat(lists()).hasSize(before + 1);
        assertThat(lists().get(before).query()).contains("syncToken=");

        ObjectNode two = fake.userCreate(cal, timed("Two", "2026-12-04T10:00:00Z", "2026-12-04T11:00:00Z", "UTC"));
        assertThat(poll()).singleElement().extracting(ChangeBatch::file).isEqualTo(cal + "/" + two.get("id").asText());
    }

    @Test
    void aReadThatWasNotCollectedIsReadAgain() {
        fake.userCreate(cal, timed("One", "2026-12-03T10:00:00Z", "2026-12-03T11:00:00Z", "UTC"));
        assertThat(source.read(config)).hasSize(1); // the collect failed: no commit
        assertThat(poll()).hasSize(1);              // read again, from no token
        assertThat(held()).hasSize(1);
    }

    @Test
    void anExpiredSyncTokenIsAFullReadWithoutDuplicates() {
        ObjectNode keep = fake.userCreate(cal, timed("Keep", "2026-12-03T10:00:00Z", "2026-12-03T11:00:00Z", "UTC"));
        ObjectNode gone = fake.userCreate(cal, timed("Gone", "2026-12-04T10:00:00Z", "2026-12-04T11:00:00Z", "UTC"));
        poll();
        fake.userDelete(cal, gone.get("id").asText());
        fake.userCreate(cal, timed("New", "2026-12-05T10:00:00Z", "2026-12-05T11:00:00Z", "UTC"));
        fake.invalidateSyncTokens();
        long outboxBefore = outbox();

        List<ChangeBatch> batches = poll();
        assertThat(fake.journal().matching(e -> "events.list".equals(e.operation()) && e.status() == 410)).hasSize(1);
        assertThat(held()).extracting(CalendarEvent::title).containsExactlyInAnyOrder("Keep", "New");
        assertThat(batches).filteredOn(b -> b.kind() == ChangeBatch.Kind.REMOVED).singleElement()
                .extracting(ChangeBatch::file).isEqualTo(cal + "/" + gone.get("id").asText());
        // "Keep" was read again but is unchanged: nothing new to send for it; "New" is one more entry, the deletion
        // of "Gone" replaces its pending upsert (the outbox holds one entry per event)
        assertThat(outbox()).isEqualTo(outboxBefore + 1);
        assertThat(held(keep.get("iCalUID").asText(), null)).isNotNull();
        assertThat(poll()).isEmpty();
    }

    @Test
    void anOutageOrRevokedCredentialsDeleteNothing() {
        fake.userCreate(cal, timed("One", "2026-12-03T10:00:00Z", "2026-12-03T11:00:00Z", "UTC"));
        poll();
        String token = token(cal);

        fake.failNext(4, 503, "backendError", 0);
        assertThat(poll()).isEmpty();
        assertThat(source.state(config).lastError()).contains("503");
        assertThat(held()).hasSize(1);
        assertThat(token(cal)).isEqualTo(token);
        assertThat(waits).hasSize(3); // 4 attempts, backoff between them, virtual

        // 401: the access token is refreshed and the request tried once more; still 401 = the grant is revoked
        fake.failNext(2, 401, "authError", 0);
        assertThat(poll()).isEmpty();
        assertThat(source.state(config).lastError()).contains("credentials");
        assertThat(held()).hasSize(1);
        assertThat(waits).hasSize(3); // not retried with backoff
        assertThat(token(cal)).isEqualTo(token);

        assertThat(poll()).isEmpty();
        assertThat(source.state(config).lastError()).isNull();
        assertThat(held()).hasSize(1);
    }

    @Test
    void theSourceRecoversAfterAnOutage() {
        fake.userCreate(cal, timed("One", "2026-12-03T10:00:00Z", "2026-12-03T11:00:00Z", "UTC"));
        poll();
        fake.failNext(4, 500, "backendError", 0);
        assertThat(poll()).isEmpty();
        assertThat(source.state(config).lastError()).isNotNull();
        fake.userCreate(cal, timed("Two", "2026-12-04T10:00:00Z", "2026-12-04T11:00:00Z", "UTC"));
        assertThat(poll()).hasSize(1);
        assertThat(source.state(config).lastError()).isNull();
        assertThat(held()).hasSize(2);
    }

    @Test
    void rateLimitsAreWaitedOutWithBackoffAndRetryAfter() {
        fake.userCreate(cal, timed("One", "2026-12-03T10:00:00Z", "2026-12-03T11:00:00Z", "UTC"));
        fake.failNext(1, 429, "rateLimitExceeded", 7);
        fake.failNext(1, 403, "userRateLimitExceeded", 0);
        assertThat(poll()).hasSize(1);
        assertThat(source.state(config).lastError()).isNull();
        assertThat(waits).anySatisfy(d -> assertThat(d).isGreaterThanOrEqualTo(Duration.ofSeconds(7)));
        assertThat(waits.size()).isGreaterThanOrEqualTo(2);
    }

    @Test
    void severalCalendarsAreReadEachWithItsOwnToken() throws Exception {
        String team = fake.createCalendar("Team");
        fake.userCreate(cal, timed("Mine", "2026-12-03T10:00:00Z", "2026-12-03T11:00:00Z", "UTC"));
        fake.userCreate(team, timed("Ours", "2026-12-03T12:00:00Z", "2026-12-03T13:00:00Z", "UTC"));
        start("*", true);
        poll();
        assertThat(held()).extracting(e -> e.origin().calendarId() + ":" + e.origin().calendarName() + ":" + e.title())
                .containsExactlyInAnyOrder(cal + ":" + cal + ":Mine", team + ":Team:Ours");
        assertThat(token(team)).isNotNull();
        assertThat(poll()).isEmpty();
        // one of several calendars is named by the id its events report (Google's); an unknown one is refused
        assertThatThrownBy(() -> source.renameCalendar(config, config.name(), "x", null))
                .isInstanceOfSatisfying(UpdateFailedException.class, e -> assertThat(e.permanent()).isTrue());
        source.renameCalendar(config, team, "Team (renamed)", null);
        assertThat(fake.calendarListEntry(team).path("summary").asText()).isEqualTo("Team (renamed)");
    }

    @Test
    void eventsTheMastersGoogleDestinationWroteAreNotRead() {
        ObjectNode copy = timed("Consolidated copy", "2026-12-03T10:00:00Z", "2026-12-03T11:00:00Z", "UTC");
        copy.putObject("extendedProperties").putObject("private").put("chronorouteOwner", "master-1");
        fake.userCreate(cal, copy);
        fake.userCreate(cal, timed("Mine", "2026-12-03T12:00:00Z", "2026-12-03T13:00:00Z", "UTC"));
        poll();
        assertThat(held()).extracting(CalendarEvent::title).containsExactly("Mine");
    }

    // ------------------------------------------------------------------ writing

    CalendarEvent.Builder event(String uid, String title, String start, String end) {
        return CalendarEvent.builder().uid(uid).title(title)
                .start(EventTime.ofInstant(Instant.parse(start), "Europe/Berlin"))
                .end(EventTime.ofInstant(Instant.parse(end), "Europe/Berlin"));
    }

    @Test
    void writeBackCreatesUpdatesAndDeletesWithoutNotifyingAnyone() throws Exception {
        CalendarSource.Applied created = source.applyEventUpdate(config, "create",
                event("from-master-1@example.org", "Offsite", "2026-12-10T09:00:00Z", "2026-12-10T17:00:00Z")
                        .description("Bring laptops").build(), null);
        assertThat(created.outcome()).startsWith("created");
        assertThat(created.reread()).singleElement().satisfies(b -> assertThat(b.events()).singleElement()
                .satisfies(e -> assertThat(e.title()).isEqualTo("Offsite")));
        collector.collect(created.reread());
        ObjectNode stored = fake.storedEvents(cal).get(0);
        assertThat(stored.get("iCalUID").asText()).isEqualTo("from-master-1@example.org");
        assertThat(stored.path("start").path("timeZone").asText()).isEqualTo("Europe/Berlin");
        String id = stored.get("id").asText();

        // a person adds a reminder and a private property we do not model: they must survive our update
        ObjectNode extra = JSON.createObjectNode();
        extra.putObject("reminders").put("useDefault", false).putArray("overrides").addObject()
                .put("method", "popup").put("minutes", 30);
        extra.putObject("extendedProperties").putObject("private").put("crm", "deal-42");
        extra.put("colorId", "5");
        fake.userEdit(cal, id, extra);
        poll();
        CalendarEvent current = held("from-master-1@example.org", null);
        String base = storedHash(current);

        CalendarSource.Applied updated = source.applyEventUpdate(config, "update",
                current.toBuilder().title("Offsite (Berlin)").build(), base);
        assertThat(updated.outcome()).startsWith("updated").contains("summary").doesNotContain("start");
        collector.collect(updated.reread());
        ObjectNode after = fake.storedEvents(cal).get(0);
        assertThat(after.get("summary").asText()).isEqualTo("Offsite (Berlin)");
        assertThat(after.path("extendedProperties").path("private").path("crm").asText()).isEqualTo("deal-42");
        assertThat(after.path("reminders").path("overrides").size()).isEqualTo(1);
        assertThat(after.path("colorId").asText()).isEqualTo("5");
        assertThat(after.path("description").asText()).isEqualTo("Bring laptops");
        RequestJournal.Entry patch = fake.journal().matching(e -> "events.patch".equals(e.operation())).get(0);
        assertThat(JSON.readTree(patch.body()).properties()).extracting(java.util.Map.Entry::getKey)
                .containsExactly("summary");
        assertThat(held("from-master-1@example.org", null).title()).isEqualTo("Offsite (Berlin)");
        assertThat(poll()).allMatch(b -> b.kind() == ChangeBatch.Kind.PARSED); // our own write, read once more

        // the same update again: nothing to write
        assertThat(source.applyEventUpdate(config, "update", held("from-master-1@example.org", null), null).outcome())
                .startsWith("already applied");

        // a field the master cleared is cleared in Google (JSON null in the patch), the rest stays
        CalendarSource.Applied cleared = source.applyEventUpdate(config, "update",
                held("from-master-1@example.org", null).toBuilder().description(null).build(), null);
        collector.collect(cleared.reread());
        assertThat(fake.storedEvents(cal).get(0).has("description")).isFalse();
        assertThat(fake.storedEvents(cal).get(0).path("extendedProperties").path("private").path("crm").asText())
                .isEqualTo("deal-42");
        assertThat(held("from-master-1@example.org", null).description()).isNull();

        CalendarSource.Applied deleted = source.applyEventUpdate(config, "delete",
                CalendarEvent.builder().uid("from-master-1@example.org").start(EventTime.ofDate(LocalDate.EPOCH)).build(),
                storedHash(held("from-master-1@example.org", null)));
        assertThat(deleted.outcome()).startsWith("deleted");
        collector.collect(deleted.reread());
        assertThat(held()).isEmpty();
        assertThat(fake.storedEvents(cal).get(0).get("status").asText()).isEqualTo("cancelled");
        assertThat(source.applyEventUpdate(config, "delete", CalendarEvent.builder().uid("from-master-1@example.org")
                .start(EventTime.ofDate(LocalDate.EPOCH)).build(), null).outcome()).startsWith("already gone");

        assertThat(fake.writes()).extracting(GoogleWrite::operation)
                .containsExactly("events.insert", "events.patch", "events.patch", "events.delete");
        assertThat(fake.writes()).extracting(GoogleWrite::sendUpdates).containsOnly("none");
    }

    @Test
    void anOccurrenceIsUpdatedAndDeletedAsItsInstance() throws Exception {
        ObjectNode body = timed("Standup", "2026-12-07T09:00:00+01:00", "2026-12-07T09:15:00+01:00", "Europe/Berlin");
        body.putArray("recurrence").add("RRULE:FREQ=WEEKLY;COUNT=5");
        ObjectNode series = fake.userCreate(cal, body);
        String id = series.get("id").asText();
        String uid = series.get("iCalUID").asText();
        poll();
        CalendarEvent master = held(uid, null);

        EventTime rid = EventTime.ofInstant(Instant.parse("2026-12-14T08:00:00Z"), "Europe/Berlin");
        CalendarEvent override = master.toBuilder().rrules(List.of()).recurrenceId(rid).title("Standup (demo)")
                .start(EventTime.ofZoned(LocalDateTime.parse("2026-12-14T11:00:00"), ZoneId.of("Europe/Berlin")))
                .end(EventTime.ofZoned(LocalDateTime.parse("2026-12-14T11:30:00"), ZoneId.of("Europe/Berlin")))
                .build();
        CalendarSource.Applied applied = source.applyEventUpdate(config, "update", override, null);
        assertThat(applied.outcome()).startsWith("updated");
        collector.collect(applied.reread());
        assertThat(held(uid, rid).title()).isEqualTo("Standup (demo)");
        assertThat(fake.writes()).singleElement().satisfies(w -> {
            assertThat(w.eventId()).isEqualTo(id + "_20261214T080000Z");
            assertThat(w.sendUpdates()).isEqualTo("none");
        });

        EventTime third = EventTime.ofInstant(Instant.parse("2026-12-21T08:00:00Z"), "Europe/Berlin");
        CalendarSource.Applied cancelled = source.applyEventUpdate(config, "delete",
                CalendarEvent.builder().uid(uid).recurrenceId(third).start(third).build(), null);
        assertThat(cancelled.outcome()).contains("cancelled");
        collector.collect(cancelled.reread());
        assertThat(held(uid, null).exdates()).containsExactly(third);
        assertThat(held()).hasSize(2);
        assertThat(fake.storedEvents(cal)).anySatisfy(e -> {
            assertThat(e.get("id").asText()).isEqualTo(id + "_20261221T080000Z");
            assertThat(e.get("status").asText()).isEqualTo("cancelled");
        });
        assertThat(poll()).allMatch(b -> b.kind() == ChangeBatch.Kind.PARSED);
        assertThat(held()).hasSize(2);
    }

    @Test
    void anUpdateWhoseBaseChangedIsRefused() throws Exception {
        ObjectNode e = fake.userCreate(cal, timed("Draft", "2026-12-03T10:00:00Z", "2026-12-03T11:00:00Z", "UTC"));
        poll();
        CalendarEvent read = held(e.get("iCalUID").asText(), null);
        String base = storedHash(read);
        fake.userEditSummary(cal, e.get("id").asText(), "Edited by a person");

        assertThatThrownBy(() -> source.applyEventUpdate(config, "update", read.toBuilder().title("From master").build(),
                base)).isInstanceOfSatisfying(UpdateFailedException.class, ex -> {
                    assertThat(ex.permanent()).isTrue();
                    assertThat(ex.getMessage()).contains("changed in Google since");
                });
        assertThat(fake.writes()).isEmpty();
    }

    @Test
    void a412ReReadsThenRefusesAChangedEventOrRetriesAnUnchangedOne() throws Exception {
        ObjectNode e = fake.userCreate(cal, timed("Draft", "2026-12-03T10:00:00Z", "2026-12-03T11:00:00Z", "UTC"));
        String id = e.get("id").asText();
        poll();
        CalendarEvent read = held(e.get("iCalUID").asText(), null);
        String base = storedHash(read);

        // a person changes only what we do not model (the colour) between our read and our write: retried once
        fake.beforeNextWrite(() -> fake.userEdit(cal, id, JSON.createObjectNode().put("colorId", "3")));
        CalendarSource.Applied ok = source.applyEventUpdate(config, "update",
                read.toBuilder().title("Final").build(), base);
        assertThat(ok.outcome()).startsWith("updated");
        assertThat(fake.journal().matching(j -> "events.patch".equals(j.operation())))
                .extracting(RequestJournal.Entry::status).containsExactly(412, 200);
        assertThat(fake.storedEvents(cal).get(0).get("summary").asText()).isEqualTo("Final");
        assertThat(fake.storedEvents(cal).get(0).get("colorId").asText()).isEqualTo("3");
        collector.collect(ok.reread());

        // a person changes the title between our read and our write: refused, their version stays
        CalendarEvent now = held(e.get("iCalUID").asText(), null);
        fake.beforeNextWrite(() -> fake.userEditSummary(cal, id, "Person's title"));
        assertThatThrownBy(() -> source.applyEventUpdate(config, "update", now.toBuilder().title("Master's").build(),
                storedHash(now))).isInstanceOfSatisfying(UpdateFailedException.class,
                ex -> assertThat(ex.permanent()).isTrue());
        assertThat(fake.storedEvents(cal).get(0).get("summary").asText()).isEqualTo("Person's title");
    }

    @Test
    void renameAndRecolourTheCalendar() throws Exception {
        fake.userCreate(cal, timed("One", "2026-12-03T10:00:00Z", "2026-12-03T11:00:00Z", "UTC"));
        poll();
        CalendarSource.Applied applied = source.renameCalendar(config, config.name(), "Work (Google)", "#00AA55");
        collector.collect(applied.reread());
        assertThat(fake.calendar(cal).get("summary").asText()).isEqualTo("Work (Google)");
        assertThat(fake.calendarListEntry(cal).get("backgroundColor").asText()).isEqualTo("#00aa55");
        assertThat(fake.journal().matching(j -> "calendarList.patch".equals(j.operation())).get(0).query())
                .contains("colorRgbFormat=true");
        assertThat(applied.reread()).isEmpty();
        fake.userCreate(cal, timed("Two", "2026-12-04T10:00:00Z", "2026-12-04T11:00:00Z", "UTC"));
        assertThat(poll()).singleElement().satisfies(b -> assertThat(b.events()).singleElement()
                .satisfies(ev -> assertThat(ev.origin().calendarName()).isEqualTo("Work (Google)")));
    }

    @Test
    void aReadOnlySourceRefusesWrites() {
        start("primary", false);
        assertThat(source.refusal(config)).contains("read-only");
        assertThatThrownBy(() -> source.applyEventUpdate(config, "create",
                event("x@y", "X", "2026-12-10T09:00:00Z", "2026-12-10T10:00:00Z").build(), null))
                .isInstanceOfSatisfying(UpdateFailedException.class, ex -> assertThat(ex.permanent()).isTrue());
        assertThat(fake.writes()).isEmpty();
    }

    @Test
    void secretsAreNeverLoggedNorStored() {
        fake.userCreate(cal, timed("One", "2026-12-03T10:00:00Z", "2026-12-03T11:00:00Z", "UTC"));
        poll();
        fake.failNext(4, 500, "backendError", 0);
        poll();
        assertThat(tokens.issued()).isPositive(); // the refresh token was used
        assertThat(log.list).isNotEmpty();
        for (ILoggingEvent ev : log.list) {
            assertThat(ev.getFormattedMessage()).doesNotContain(CLIENT_SECRET).doesNotContain(REFRESH_TOKEN)
                    .doesNotContain("at-1").doesNotContain("at-2");
        }
        assertThat(source.state(config).toString()).doesNotContain(CLIENT_SECRET).doesNotContain(REFRESH_TOKEN);
        assertThat(GoogleSourceSettings.of(SOURCE, CLIENT_ID, CLIENT_SECRET, REFRESH_TOKEN, "", "", true, null, null,
                null, null).toString()).doesNotContain(CLIENT_SECRET).doesNotContain(REFRESH_TOKEN);
    }
}
