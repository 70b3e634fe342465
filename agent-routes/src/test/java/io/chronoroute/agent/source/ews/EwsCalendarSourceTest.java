package io.chronoroute.agent.source.ews;

import com.sun.net.httpserver.HttpServer;
import io.chronoroute.agent.AgentProperties;
import io.chronoroute.agent.collect.ChangeBatch;
import io.chronoroute.agent.collect.ChangeCollector;
import io.chronoroute.agent.collect.CollectSummary;
import io.chronoroute.agent.source.CalendarSource;
import io.chronoroute.agent.source.SourceConfig;
import io.chronoroute.agent.source.SourceRegistry;
import io.chronoroute.agent.state.AgentState;
import io.chronoroute.agent.update.UpdateFailedException;
import io.chronoroute.processors.model.CalendarEvent;
import io.chronoroute.processors.model.EventTime;
import io.chronoroute.providers.ews.EwsClient;
import io.chronoroute.providers.ews.EwsSettings;
import io.chronoroute.testsupport.RequestJournal;
import io.chronoroute.testsupport.ews.FakeEwsServer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.w3c.dom.Element;

import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.LocalDateTime;
import java.util.List;
import java.util.function.Predicate;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * {@link EwsCalendarSource} against the schema-validating {@link FakeEwsServer} (every request valid against the EWS
 * schema, or the fake answers ErrorSchemaValidation): full read with a series, its exception and a deleted
 * occurrence; delta after edits; a restart resuming from the persisted sync state; an expired state read in full
 * without duplicates; outages that delete nothing; write-back with SendToNone; the ChangeKey conflict path; rename.
 */
class EwsCalendarSourceTest {

    static final String AGENT = "agent-ews";
    static final String SOURCE = "exchange";
    static final String USER = "alice";
    static final String PASSWORD = "Ews-Pw-7q!";
    static final java.time.ZoneId BERLIN = java.time.ZoneId.of("Europe/Berlin");
    static final Instant SERIES_START = Instant.parse("2026-01-05T08:00:00Z"); // Monday 09:00 Europe/Berlin
    static final Instant MOVED = SERIES_START.plus(Duration.ofDays(7));
    static final Instant GONE = SERIES_START.plus(Duration.ofDays(14));

    @TempDir
    Path tmp;
    FakeEwsServer ews;
    AgentProperties props;
    AgentState state;
    ChangeCollector collector;
    SourceRegistry registry;
    EwsCalendarSource source;
    String seriesId;
    String single1;
    String single2;

    @BeforeEach
    void setUp() throws Exception {
        ews = FakeEwsServer.builder().credentials(USER, PASSWORD).build().start();
        props = new AgentProperties(AGENT, "t", "test", URI.create("http://127.0.0.1:1"), null,
                Duration.ofSeconds(30), Duration.ofSeconds(1), Duration.ofSeconds(1), 5000, 20, Duration.ofSeconds(5),
                Duration.ofMinutes(1), "Europe/Berlin");
        state = AgentState.open(tmp.resolve("data"));
        collector = new ChangeCollector(state, props);
        startAgent();
        single1 = ews.userCreate("Dentist", Instant.parse("2026-02-02T10:00:00Z"),
                Instant.parse("2026-02-02T11:00:00Z"), "uid-dentist");
        single2 = ews.userCreate("Lunch", Instant.parse("2026-02-03T12:00:00Z"),
                Instant.parse("2026-02-03T13:00:00Z"), "uid-lunch");
        seriesId = createSeries();
        ews.userEditOccurrence(seriesId, MOVED, "Subject", "Weekly (moved room)");
        ews.userDeleteOccurrence(seriesId, GONE);
    }

    @AfterEach
    void tearDown() {
        ews.close();
        state.close();
    }

    /** A fresh source bean on the same agent state, as after a restart of the agent. */
    private void startAgent() {
        registry = new SourceRegistry();
        source = new EwsCalendarSource(state, registry, props, Clock.systemUTC());
        register(true);
    }

    private void register(boolean allowUpdates) {
        register(ews.url(), allowUpdates, "");
    }

    private void register(String url, boolean allowUpdates, String calendars) {
        source.register(SOURCE, url, USER, PASSWORD, "", "basic", "", calendars, "Europe/Berlin", allowUpdates,
                5_000L);
    }

    private SourceConfig config() {
        return registry.find(SOURCE).orElseThrow();
    }

    /** A weekly series (10 Mondays, W. Europe Standard Time) created by "Outlook": raw CreateItem. */
    private String createSeries() throws Exception {
        EwsClient client = new EwsClient(EwsSettings.of(ews.url(), USER, PASSWORD), write -> { });
        Element msg = EwsClient.check(client.call("<m:CreateItem SendMeetingInvitations=\"SendToNone\"><m:Items>"
                + "<t:CalendarItem><t:Subject>Weekly</t:Subject><t:Body BodyType=\"Text\">Agenda</t:Body>"
                + "<t:UID>uid-weekly</t:UID><t:Start>2026-01-05T08:00:00Z</t:Start><t:End>2026-01-05T08:30:00Z</t:End>"
                + "<t:LegacyFreeBusyStatus>Busy</t:LegacyFreeBusyStatus><t:Location>Room 1</t:Location>"
                + "<t:Recurrence><t:WeeklyRecurrence><t:Interval>1</t:Interval><t:DaysOfWeek>Monday</t:DaysOfWeek>"
                + "</t:WeeklyRecurrence><t:NumberedRecurrence><t:StartDate>2026-01-05</t:StartDate>"
                + "<t:NumberOfOccurrences>10</t:NumberOfOccurrences></t:NumberedRecurrence></t:Recurrence>"
                + "<t:StartTimeZone Id=\"W. Europe Standard Time\"/><t:EndTimeZone Id=\"W. Europe Standard Time\"/>"
                + "</t:CalendarItem></m:Items></m:CreateItem>", true).get(0));
        return EwsClient.firstLocal(msg, "ItemId").getAttribute("Id");
    }

    /** One poll as the route does it: read, collect, commit. */
    private CollectSummary poll() {
        List<ChangeBatch> batches = source.poll(SOURCE);
        CollectSummary s = collector.collect(batches);
        source.commit(SOURCE);
        return s;
    }

    private long current() {
        return state.<Long>read(AgentState.Tx::currentSize);
    }

    private List<CalendarEvent> eventsOf(List<ChangeBatch> batches, String uid) {
        return batches.stream().flatMap(b -> b.events().stream()).filter(e -> uid.equals(e.uid())).toList();
    }

    private long requests(Predicate<RequestJournal.Entry> p) {
        return ews.journal().count(p);
    }

    private static Predicate<RequestJournal.Entry> op(String name) {
        return e -> name.equals(e.operation());
    }

    @Test
    void fullReadGivesSeriesWithExceptionAndDeletedOccurrenceInIanaZones() {
        List<ChangeBatch> batches = source.poll(SOURCE);
        assertThat(batches).hasSize(3).allMatch(b -> b.kind() == ChangeBatch.Kind.PARSED);
        List<CalendarEvent> weekly = eventsOf(batches, "uid-weekly");
        assertThat(weekly).hasSize(2);
        CalendarEvent master = weekly.get(0);
        assertThat(master.recurrenceId()).isNull();
        assertThat(master.title()).isEqualTo("Weekly");
        assertThat(master.description()).isEqualTo("Agenda");
        assertThat(master.location()).isEqualTo("Room 1");
        assertThat(master.start()).isEqualTo(EventTime.ofZoned(LocalDateTime.parse("2026-01-05T09:00:00"), BERLIN));
        assertThat(master.rrules()).containsExactly("FREQ=WEEKLY;BYDAY=MO;COUNT=10");
        assertThat(master.exdates()).containsExactly(EventTime.ofZoned(LocalDateTime.parse("2026-01-19T09:00:00"), BERLIN));
        CalendarEvent exception = weekly.get(1);
        assertThat(exception.title()).isEqualTo("Weekly (moved room)");
        assertThat(exception.recurrenceId()).isEqualTo(EventTime.ofZoned(LocalDateTime.parse("2026-01-12T09:00:00"), BERLIN));
        assertThat(master.origin().source()).isEqualTo(SOURCE);
        assertThat(master.origin().calendarId()).isEqualTo(SOURCE);
        assertThat(master.origin().calendarName()).isEqualTo("calendar");
        assertThat(master.origin().providerId()).isEqualTo(seriesId);
        assertThat(eventsOf(batches, "uid-dentist")).singleElement()
                .satisfies(e -> assertThat(e.title()).isEqualTo("Dentist"));
        collector.collect(batches);
        source.commit(SOURCE);
        assertThat(current()).isEqualTo(4);
        CalendarSource.SourceState st = source.state(config());
        assertThat(st.kind()).isEqualTo("ews");
        assertThat(st.writable()).isTrue();
        assertThat(st.lastRead()).isNotNull();
        assertThat(st.cursorAt()).isNotNull();
        assertThat(st.lastError()).isNull();
    }

    @Test
    void deltaAfterCreateEditDeleteFetchesOnlyWhatChanged() {
        poll();
        long getItemsBefore = requests(op("GetItem"));
        String added = ews.userCreate("Review", Instant.parse("2026-02-04T09:00:00Z"),
                Instant.parse("2026-02-04T10:00:00Z"), "uid-review");
        ews.userEdit(single1, "Subject", "Dentist (moved)");
        ews.userDelete(single2);
        List<ChangeBatch> batches = source.poll(SOURCE);
        assertThat(batches).extracting(ChangeBatch::kind).containsExactlyInAnyOrder(ChangeBatch.Kind.PARSED,
                ChangeBatch.Kind.PARSED, ChangeBatch.Kind.REMOVED);
        assertThat(batches).anyMatch(b -> b.file().endsWith(added));
        assertThat(eventsOf(batches, "uid-dentist")).singleElement()
                .satisfies(e -> assertThat(e.title()).isEqualTo("Dentist (moved)"));
        assertThat(requests(op("GetItem")) - getItemsBefore).isEqualTo(1); // one batch for both changed items
        CollectSummary s = collector.collect(batches);
        source.commit(SOURCE);
        assertThat(s.upserted()).isEqualTo(2);
        assertThat(s.deleted()).isEqualTo(1);
        assertThat(current()).isEqualTo(4);
        // an exception edited by a person: its series is reported, read again with its exceptions
        ews.userEditOccurrence(seriesId, MOVED, "Location", "Room 9");
        CollectSummary s2 = poll();
        assertThat(s2.upserted()).isEqualTo(1);
        assertThat(s2.unchanged()).isEqualTo(1);
        // nothing changed: one SyncFolderItems and nothing else
        long before = ews.totalRequests();
        assertThat(source.poll(SOURCE)).isEmpty();
        assertThat(ews.totalRequests() - before).isEqualTo(1);
    }

    @Test
    void restartResumesFromThePersistedSyncState() {
        poll();
        assertThat(current()).isEqualTo(4);
        startAgent(); // new bean, same state: as after a restart
        long before = ews.totalRequests();
        List<ChangeBatch> again = source.poll(SOURCE);
        assertThat(again).isEmpty(); // nothing sent again
        assertThat(ews.journal().entries().subList((int) before, ews.journal().size()))
                .extracting(RequestJournal.Entry::operation).containsExactly("GetFolder", "SyncFolderItems");
        ews.userEdit(single1, "Subject", "After restart");
        assertThat(poll().upserted()).isEqualTo(1);
    }

    @Test
    void anInvalidSyncStateIsReadInFullWithoutDuplicatesAndFindsDeletions() {
        poll();
        ews.expireSyncStates();
        ews.userDelete(single2); // deleted while the agent's state was no longer valid
        ews.userEdit(single1, "Subject", "Edited meanwhile");
        CollectSummary s = poll();
        assertThat(s.upserted()).isEqualTo(1);
        assertThat(s.deleted()).isEqualTo(1);
        assertThat(s.unchanged()).isEqualTo(2); // the series and its exception: no duplicate, no re-send
        assertThat(current()).isEqualTo(3);
        assertThat(requests(e -> "SyncFolderItems".equals(e.operation()) && !e.body().contains("<m:SyncState>")))
                .isEqualTo(2); // the first full read, and the one after the invalid state
        assertThat(source.poll(SOURCE)).isEmpty();
    }

    @Test
    void anOutageOrABrokenAnswerDeletesNothingAndIsReported() throws Exception {
        poll();
        String url = ews.url();
        register(url.replace("/EWS/", "/nothing/"), true, ""); // HTTP 404
        assertThat(collector.collect(source.poll(SOURCE)).deleted()).isZero();
        assertThat(source.state(config()).lastError()).contains("HTTP404");
        register(url, true, "");
        ews.close();
        assertThat(source.poll(SOURCE)).isEmpty();
        assertThat(current()).isEqualTo(4);
        assertThat(source.state(config()).lastError()).contains("cannot be read");
        assertThat(source.state(config()).lastError()).doesNotContain(PASSWORD);
        HttpServer broken = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
        broken.createContext("/", ex -> {
            byte[] b = "<html><body>Sign in".getBytes(StandardCharsets.UTF_8);
            ex.getResponseHeaders().add("Content-Type", "text/xml");
            ex.sendResponseHeaders(200, b.length);
            try (OutputStream out = ex.getResponseBody()) {
                out.write(b);
            }
        });
        broken.start();
        try {
            register("http://127.0.0.1:" + broken.getAddress().getPort() + "/EWS/Exchange.asmx", true, "");
            assertThat(collector.collect(source.poll(SOURCE)).deleted()).isZero();
            assertThat(source.state(config()).lastError()).contains("not valid XML");
        } finally {
            broken.stop(0);
        }
        assertThat(current()).isEqualTo(4);
    }

    @Test
    void severalCalendarsByNameEachWithItsOwnSyncState() throws Exception {
        String team = ews.createFolder("Team");
        ews.createFolder("Holidays");
        ews.userCreate(team, "Standup", Instant.parse("2026-02-05T08:00:00Z"), Instant.parse("2026-02-05T08:15:00Z"),
                "uid-standup");
        register(ews.url(), true, "calendar, team");
        List<ChangeBatch> batches = source.poll(SOURCE);
        collector.collect(batches);
        source.commit(SOURCE);
        assertThat(current()).isEqualTo(5);
        assertThat(eventsOf(batches, "uid-standup")).singleElement().satisfies(e -> {
            assertThat(e.origin().calendarName()).isEqualTo("Team");
            assertThat(e.origin().calendarId()).startsWith(SOURCE + "/").isNotEqualTo(SOURCE + "/Team");
        });
        // the id stays when the calendar is renamed (derived from the folder id, not the name); the rename names it
        String teamId = eventsOf(batches, "uid-standup").get(0).origin().calendarId();
        assertThat(source.renameCalendar(config(), teamId, "Team (renamed)", null).outcome())
                .contains("renamed to 'Team (renamed)'");
        long before = ews.totalRequests();
        assertThat(source.poll(SOURCE)).isEmpty();
        assertThat(ews.totalRequests() - before).isEqualTo(2); // one SyncFolderItems per calendar
        register(ews.url(), true, "Nope");
        assertThat(source.poll(SOURCE)).isEmpty();
        assertThat(source.state(config()).lastError()).contains("no calendar named 'Nope'");
        assertThat(current()).isEqualTo(5);
    }

    @Test
    void ntlmAuthenticationAsTheDestinationHasIt() {
        try (FakeEwsServer ntlm = FakeEwsServer.builder().ntlm("EXAMPLE", "alice", "Ntlm-Pw-1").build().start()) {
            ntlm.userCreate("Via NTLM", Instant.parse("2026-02-02T10:00:00Z"), Instant.parse("2026-02-02T11:00:00Z"),
                    "uid-ntlm");
            source.register("ntlm-source", ntlm.url(), "alice", "Ntlm-Pw-1", "", "ntlm", "EXAMPLE", "", "", false,
                    5_000L);
            List<ChangeBatch> batches = source.poll("ntlm-source");
            assertThat(eventsOf(batches, "uid-ntlm")).singleElement()
                    .satisfies(e -> assertThat(e.title()).isEqualTo("Via NTLM"));
            assertThat(ntlm.ntlmHandshakes()).isPositive();
            assertThat(ntlm.ntlmFailures()).isZero();
        }
    }

    @Test
    void aCreateGoesToTheCalendarTheMasterNames() throws Exception {
        String team = ews.createFolder("Team");
        register(ews.url(), true, "calendar,Team");
        poll();
        CalendarEvent e = CalendarEvent.builder().uid("uid-team-new").title("Team lunch")
                .start(EventTime.ofZoned(LocalDateTime.parse("2026-03-03T12:00:00"), BERLIN))
                .end(EventTime.ofZoned(LocalDateTime.parse("2026-03-03T13:00:00"), BERLIN))
                .origin(new io.chronoroute.processors.model.Origin(AGENT, SOURCE, SOURCE + "/Team", "Team", "ews", null))
                .build();
        CalendarSource.Applied a = source.applyEventUpdate(config(), "create", e, null);
        assertThat(a.outcome()).contains("calendar 'Team'");
        assertThat(ews.itemIds(team)).hasSize(1);
    }

    // ------------------------------------------------------------------ write-back

    /** The event as Exchange holds it now (read through the source's own mapping). */
    private CalendarEvent held(String uid, EventTime rid) throws Exception {
        EwsCalendarSource.Runtime rt = source.runtime(SOURCE);
        EwsCalendarSource.Held h = source.held(rt, config(), uid);
        return source.reread(rt, config(), h.calendar(), h.itemId()).events().stream()
                .filter(e -> java.util.Objects.equals(e.recurrenceId(), rid)).findFirst().orElseThrow();
    }

    @Test
    void writeBackCreatesUpdatesAndDeletesWithoutInvitingAnyone() throws Exception {
        poll();
        CalendarEvent created = CalendarEvent.builder().uid("uid-from-master").title("Planning")
                .description("from the master").location("Room 2")
                .start(EventTime.ofZoned(LocalDateTime.parse("2026-03-02T14:00:00"), BERLIN))
                .end(EventTime.ofZoned(LocalDateTime.parse("2026-03-02T15:00:00"), BERLIN)).build();
        CalendarSource.Applied c = source.applyEventUpdate(config(), "create", created, null);
        assertThat(c.outcome()).startsWith("created uid-from-master");
        assertThat(ews.journal().matching(op("CreateItem")).get(0).body()).contains("SendMeetingInvitations=\"SendToNone\"");
        assertThat(c.reread()).singleElement().satisfies(b -> assertThat(b.events()).singleElement().satisfies(e -> {
            assertThat(e.uid()).isEqualTo("uid-from-master");
            assertThat(e.title()).isEqualTo("Planning");
            assertThat(e.start()).isEqualTo(created.start());
        }));
        assertThat(collector.collect(c.reread()).upserted()).isEqualTo(1);
        String createdId = c.reread().get(0).events().get(0).origin().providerId();
        assertThat(ews.field(createdId, "UID")).isEqualTo("uid-from-master");

        String base = ChangeCollector.hashOnTheWire(c.reread().get(0).events().get(0));
        CalendarSource.Applied u = source.applyEventUpdate(config(), "update",
                created.toBuilder().title("Planning (v2)").build(), base);
        assertThat(u.outcome()).startsWith("updated");
        RequestJournal.Entry update = ews.journal().matching(op("UpdateItem")).get(0);
        assertThat(update.body()).contains("SendMeetingInvitationsOrCancellations=\"SendToNone\"")
                .contains("ChangeKey=").contains("ConflictResolution=\"NeverOverwrite\"");
        assertThat(ews.field(createdId, "Subject")).isEqualTo("Planning (v2)");
        collector.collect(u.reread());

        CalendarSource.Applied d = source.applyEventUpdate(config(), "delete",
                CalendarEvent.builder().uid("uid-from-master").start(created.start()).build(), null);
        assertThat(d.outcome()).startsWith("deleted");
        assertThat(ews.journal().matching(op("DeleteItem")).get(0).body())
                .contains("SendMeetingCancellations=\"SendToNone\"");
        assertThat(ews.itemIds(ews.calendarFolderId())).doesNotContain(createdId);
        assertThat(collector.collect(d.reread()).deleted()).isEqualTo(1);
        assertThat(source.applyEventUpdate(config(), "delete", created, null).outcome()).startsWith("already gone");
    }

    @Test
    void anOccurrenceUpdateKeepsTheSeriesAndItsExceptions() throws Exception {
        poll();
        EventTime third = EventTime.ofZoned(LocalDateTime.parse("2026-01-26T09:00:00"), BERLIN);
        CalendarEvent override = CalendarEvent.builder().uid("uid-weekly").recurrenceId(third).title("Weekly (guest)")
                .start(third).end(EventTime.ofZoned(LocalDateTime.parse("2026-01-26T10:00:00"), BERLIN))
                .build();
        CalendarSource.Applied a = source.applyEventUpdate(config(), "update", override, null);
        assertThat(a.reread()).singleElement().satisfies(b -> assertThat(b.events()).hasSize(3));
        assertThat(ews.occurrences(seriesId, Instant.parse("2026-03-31T00:00:00Z")))
                .filteredOn(FakeEwsServer.Occurrence::exception)
                .extracting(FakeEwsServer.Occurrence::subject)
                .containsExactly("Weekly (moved room)", "Weekly (guest)");
        assertThat(ews.deletedOccurrences(seriesId)).containsExactly(GONE);
        // the series itself updated: its rule unchanged, so no Recurrence is sent and the exceptions stay
        collector.collect(a.reread());
        CalendarEvent master = held("uid-weekly", null);
        source.applyEventUpdate(config(), "update", master.toBuilder().title("Weekly sync").build(),
                ChangeCollector.hashOnTheWire(master));
        assertThat(ews.journal().matching(op("UpdateItem")).get(1).body()).doesNotContain("calendar:Recurrence");
        assertThat(ews.occurrences(seriesId, Instant.parse("2026-03-31T00:00:00Z")))
                .filteredOn(FakeEwsServer.Occurrence::exception).hasSize(2);
        // one occurrence deleted from the master: a deleted occurrence in Exchange
        EventTime fifth = EventTime.ofZoned(LocalDateTime.parse("2026-02-02T09:00:00"), BERLIN);
        source.applyEventUpdate(config(), "delete", CalendarEvent.builder().uid("uid-weekly").recurrenceId(fifth)
                .start(fifth).build(), null);
        assertThat(ews.deletedOccurrences(seriesId)).contains(Instant.parse("2026-02-02T08:00:00Z"));
        assertThat(held("uid-weekly", null).exdates()).hasSize(2);
    }

    @Test
    void aChangeKeyConflictIsReReadThenRefusedWhenTheEventChangedElseRetriedOnce() throws Exception {
        poll();
        CalendarEvent dentist = held("uid-dentist", null);
        String base = ChangeCollector.hashOnTheWire(dentist);
        // a change of a field we do not read (the reminder): new ChangeKey, same content → retried once
        source.beforeUpdate = () -> ews.userEdit(single1, "ReminderMinutesBeforeStart", "30");
        source.applyEventUpdate(config(), "update", dentist.toBuilder().title("Dentist (v2)").build(), base);
        assertThat(ews.count("UpdateItem")).isEqualTo(2);
        assertThat(ews.field(single1, "Subject")).isEqualTo("Dentist (v2)");
        assertThat(ews.field(single1, "ReminderMinutesBeforeStart")).isEqualTo("30");
        // a person edits the subject in between: refused permanently, Exchange keeps the person's version
        CalendarEvent v2 = held("uid-dentist", null);
        source.beforeUpdate = () -> ews.userEdit(single1, "Subject", "Dentist (by a person)");
        assertThatThrownBy(() -> source.applyEventUpdate(config(), "update", v2.toBuilder().title("Dentist (v3)")
                .build(), ChangeCollector.hashOnTheWire(v2)))
                .isInstanceOf(UpdateFailedException.class)
                .satisfies(e -> assertThat(((UpdateFailedException) e).permanent()).isTrue())
                .hasMessageContaining("changed in Exchange since");
        assertThat(ews.field(single1, "Subject")).isEqualTo("Dentist (by a person)");
        // a stale base hash is refused before any write
        long writes = ews.writeCalls();
        assertThatThrownBy(() -> source.applyEventUpdate(config(), "update", v2, ChangeCollector.hashOnTheWire(v2)))
                .isInstanceOf(UpdateFailedException.class);
        assertThat(ews.writeCalls()).isEqualTo(writes);
    }

    @Test
    void readOnlySourceRefusesAndRenameSetsTheFolderName() throws Exception {
        poll();
        CalendarEvent dentist = held("uid-dentist", null);
        register(false);
        assertThat(source.refusal(config())).contains("read-only");
        assertThatThrownBy(() -> source.applyEventUpdate(config(), "update", dentist, null))
                .isInstanceOf(UpdateFailedException.class);
        assertThatThrownBy(() -> source.renameCalendar(config(), config().name(), "Mine", null))
                .isInstanceOf(UpdateFailedException.class);
        register(true);
        CalendarSource.Applied r = source.renameCalendar(config(), config().name(), "Alice (work)", "#FF0000");
        assertThat(ews.folderName(ews.calendarFolderId())).isEqualTo("Alice (work)");
        assertThat(r.outcome()).contains("EWS has no calendar colour");
        assertThat(ews.journal().matching(op("UpdateFolder"))).hasSize(1);
        assertThatThrownBy(() -> source.renameCalendar(config(), config().name(), null, "#00FF00"))
                .isInstanceOf(UpdateFailedException.class).hasMessageContaining("no calendar colour");
        ews.userEdit(single1, "Subject", "x");
        assertThat(eventsOf(source.poll(SOURCE), "uid-dentist").get(0).origin().calendarName())
                .isEqualTo("Alice (work)");
    }
}
