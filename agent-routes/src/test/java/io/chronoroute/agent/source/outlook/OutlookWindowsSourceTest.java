package io.chronoroute.agent.source.outlook;

import com.sun.jna.Platform;
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
import io.chronoroute.processors.model.Origin;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.net.URI;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.LocalDateTime;
import java.time.ZoneId;
import java.util.List;
import java.util.Map;

import static io.chronoroute.agent.source.outlook.OutlookItemMapperTest.recorded;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assumptions.assumeFalse;

/**
 * {@link OutlookWindowsSource} against {@link FakeOutlookSession} (the COM layer replaced; the recorded property sets
 * as the calendar's content): full read, delta by LastModificationTime with deletions from the listing, restart
 * resuming from the collector's index, outage deleting nothing, write-back with the base_hash refusal, occurrences,
 * rename, the read-only refusal, and the clear error on an OS without Outlook.
 */
@SuppressWarnings("unchecked")
class OutlookWindowsSourceTest {

    static final String AGENT = "agent-outlook";
    static final String SOURCE = "outlook";
    static final String CAL = "CAL-DEFAULT";
    static final ZoneId BERLIN = ZoneId.of("Europe/Berlin");

    @TempDir
    Path tmp;
    AgentProperties props;
    AgentState state;
    ChangeCollector collector;
    SourceRegistry registry;
    OutlookWindowsSource source;
    FakeOutlookSession outlook;
    int opens;
    String single;
    String series;
    String birthday;

    @BeforeEach
    void setUp() {
        props = new AgentProperties(AGENT, "t", "test", URI.create("http://127.0.0.1:1"), null,
                Duration.ofSeconds(30), Duration.ofSeconds(1), Duration.ofSeconds(1), 5000, 20, Duration.ofSeconds(5),
                Duration.ofMinutes(1), "Europe/Berlin");
        state = AgentState.open(tmp.resolve("data"));
        collector = new ChangeCollector(state, props);
        outlook = new FakeOutlookSession().folder(CAL, "Calendar", true).folder("CAL-FAMILY", "Family", false);
        single = outlook.userAdd(CAL, recorded("single-timed.json"));
        series = outlook.userAdd(CAL, recorded("series-weekly.json"));
        birthday = outlook.userAdd(CAL, recorded("allday-yearly.json"));
        outlook.userAdd("CAL-FAMILY", recorded("imported-vcal-cancelled.json"));
        startAgent();
    }

    @AfterEach
    void tearDown() {
        state.close();
    }

    private void startAgent() {
        registry = new SourceRegistry();
        source = new OutlookWindowsSource(state, registry, props, Clock.systemUTC(), () -> {
            opens++;
            return outlook;
        });
        register(true, "");
    }

    private void register(boolean allowUpdates, String calendars) {
        source.register(SOURCE, calendars, "", allowUpdates);
    }

    private SourceConfig config() {
        return registry.find(SOURCE).orElseThrow();
    }

    private CollectSummary poll() {
        List<ChangeBatch> batches = source.poll(SOURCE);
        CollectSummary s = collector.collect(batches);
        source.commit(SOURCE);
        return s;
    }

    private long current() {
        return state.<Long>read(AgentState.Tx::currentSize);
    }

    private static List<CalendarEvent> events(List<ChangeBatch> batches) {
        return batches.stream().flatMap(b -> b.events().stream()).toList();
    }

    private CalendarEvent held(String uid, EventTime rid) {
        List<ChangeBatch> all = source.poll(SOURCE);
        collector.collect(all);
        source.commit(SOURCE);
        Map<String, Object> item = null;
        for (Map<String, Map<String, Object>> m : outlook.items.values()) {
            for (Map<String, Object> p : m.values()) {
                if (uid.equals(OutlookItemMapper.uid(p))) {
                    item = p;
                }
            }
        }
        OutlookItemMapper mapper = new OutlookItemMapper(AGENT, SOURCE, SOURCE, "Calendar", null, BERLIN);
        return mapper.events(FakeOutlookSession.copy(item)).stream()
                .filter(e -> rid == null ? e.recurrenceId() == null : rid.equals(e.recurrenceId())).findFirst()
                .orElseThrow();
    }

    @Test
    void fullReadGivesEveryItemOfTheDefaultCalendarAsOneFileEach() {
        List<ChangeBatch> batches = source.poll(SOURCE);
        assertThat(batches).hasSize(3).allMatch(b -> b.kind() == ChangeBatch.Kind.PARSED);
        assertThat(batches).extracting(ChangeBatch::file).allMatch(f -> f.matches("[0-9a-f]{12}/.+"));
        List<CalendarEvent> events = events(batches);
        assertThat(events).hasSize(4); // single, series master + its moved occurrence, birthday
        assertThat(events).allMatch(e -> e.origin().calendarId().equals(SOURCE)
                && e.origin().calendarName().equals("Calendar") && e.origin().provider().equals("outlook"));
        CalendarEvent master = events.stream().filter(CalendarEvent::isRecurringMaster)
                .filter(e -> e.title().equals("Weekly")).findFirst().orElseThrow();
        assertThat(master.rrules()).containsExactly("FREQ=WEEKLY;BYDAY=MO;COUNT=10");
        collector.collect(batches);
        source.commit(SOURCE);
        assertThat(current()).isEqualTo(4);
        CalendarSource.SourceState st = source.state(config());
        assertThat(st.kind()).isEqualTo("outlook");
        assertThat(st.writable()).isTrue();
        assertThat(st.lastRead()).isNotNull();
        assertThat(st.cursorAt()).isNotNull();
        assertThat(st.lastError()).isNull();
    }

    @Test
    void deltaReadsOnlyChangedItemsAndFindsDeletionsInTheListing() {
        poll();
        int before = outlook.itemReads.get();
        outlook.userEdit(single, "Subject", "Dentist (moved)");
        outlook.userDelete(birthday);
        String added = outlook.userAdd(CAL, Map.of("Subject", "Review", "AllDayEvent", false, "IsRecurring", false,
                "StartUTC", "2026-02-04T09:00:00", "EndUTC", "2026-02-04T10:00:00",
                "StartTimeZone", "W. Europe Standard Time", "LastModificationTime", "2026-02-01T08:00:00"));
        List<ChangeBatch> batches = source.poll(SOURCE);
        assertThat(outlook.itemReads.get() - before).isEqualTo(2);
        assertThat(batches).extracting(ChangeBatch::kind).containsExactlyInAnyOrder(ChangeBatch.Kind.PARSED,
                ChangeBatch.Kind.PARSED, ChangeBatch.Kind.REMOVED);
        assertThat(batches).anyMatch(b -> b.file().endsWith("/" + added));
        CollectSummary s = collector.collect(batches);
        source.commit(SOURCE);
        assertThat(s.upserted()).isEqualTo(2);
        assertThat(s.deleted()).isEqualTo(1);
        // a person edits an occurrence: Outlook saves the series, which is read again with its exceptions
        outlook.userEditOccurrence(series, LocalDateTime.parse("2026-01-12T09:00"), "Location", "Room 2");
        CollectSummary s2 = poll();
        assertThat(s2.upserted()).isEqualTo(1);
        assertThat(s2.unchanged()).isEqualTo(1);
        // nothing changed: the listing only, no item opened
        before = outlook.itemReads.get();
        assertThat(source.poll(SOURCE)).isEmpty();
        assertThat(outlook.itemReads.get()).isEqualTo(before);
    }

    @Test
    void aRestartResumesFromTheCollectorsIndex() {
        poll();
        startAgent();
        int before = outlook.itemReads.get();
        assertThat(source.poll(SOURCE)).isEmpty();
        assertThat(outlook.itemReads.get()).isEqualTo(before);
        outlook.userEdit(single, "Subject", "After restart");
        assertThat(poll().upserted()).isEqualTo(1);
    }

    @Test
    void anOutageDeletesNothingAndIsReportedUntilOutlookAnswersAgain() {
        poll();
        outlook.failing = true;
        List<ChangeBatch> batches = source.poll(SOURCE);
        assertThat(batches).isEmpty();
        assertThat(collector.collect(batches).deleted()).isZero();
        assertThat(current()).isEqualTo(4);
        assertThat(source.state(config()).lastError()).contains("Outlook cannot be read").contains("RPC server");
        assertThat(outlook.journal).contains("close"); // the broken session is dropped, a new one opened next time
        outlook.failing = false;
        outlook.userEdit(single, "Subject", "Back");
        assertThat(poll().upserted()).isEqualTo(1);
        assertThat(source.state(config()).lastError()).isNull();
        assertThat(opens).isEqualTo(2);
    }

    @Test
    void anUnknownCalendarNameIsAnErrorAndAllCalendarsHaveTheirOwnIds() {
        register(true, "Holidays");
        assertThat(source.poll(SOURCE)).isEmpty();
        assertThat(source.state(config()).lastError()).contains("no calendar named 'Holidays'");
        register(true, "*");
        List<ChangeBatch> batches = source.poll(SOURCE);
        assertThat(events(batches)).hasSize(5);
        assertThat(events(batches)).extracting(e -> e.origin().calendarId()).allMatch(id -> id.startsWith(SOURCE + "/"))
                .hasSize(5);
        assertThat(events(batches)).filteredOn(e -> e.uid().equals("event-42@example.org")).singleElement()
                .satisfies(e -> assertThat(e.origin().calendarName()).isEqualTo("Family"));
    }

    @Test
    void onAnOsWithoutOutlookTheSourceSaysSoAndDeletesNothing() {
        assumeFalse(Platform.isWindows(), "this checks the refusal on an OS without Outlook");
        OutlookWindowsSource real = new OutlookWindowsSource(state, registry, props, Clock.systemUTC());
        real.register("win", "", "", true);
        SourceConfig cfg = registry.find("win").orElseThrow();
        assertThat(real.read(cfg)).isEmpty();
        assertThat(real.state(cfg).lastError()).contains(ComOutlookSession.NEEDS_WINDOWS);
        assertThatThrownBy(() -> real.applyEventUpdate(cfg, "create", CalendarEvent.builder().uid("u")
                .start(EventTime.ofInstant(Instant.parse("2026-01-01T10:00:00Z"), "UTC")).build(), null))
                .isInstanceOfSatisfying(UpdateFailedException.class, e -> {
                    assertThat(e.getMessage()).contains(ComOutlookSession.NEEDS_WINDOWS);
                    assertThat(e.permanent()).isTrue();
                });
    }

    // ------------------------------------------------------------------ write-back

    @Test
    void createUpdateAndDeleteFromTheMasterWithTheBaseHash() throws Exception {
        poll();
        CalendarEvent created = CalendarEvent.builder().uid("master-1@chronoroute").title("Planning")
                .start(EventTime.ofZoned(LocalDateTime.parse("2026-02-10T14:00"), BERLIN))
                .end(EventTime.ofZoned(LocalDateTime.parse("2026-02-10T15:00"), BERLIN))
                .origin(new Origin("master", SOURCE, SOURCE, "Calendar", "outlook", null)).build();
        CalendarSource.Applied a = source.applyEventUpdate(config(), "create", created, null);
        assertThat(a.outcome()).startsWith("created master-1@chronoroute");
        assertThat(a.reread()).singleElement().satisfies(b -> assertThat(b.events()).singleElement()
                .satisfies(e -> {
                    assertThat(e.uid()).isEqualTo("master-1@chronoroute"); // kept through the user property
                    assertThat(e.start()).isEqualTo(created.start());
                    assertThat(e.title()).isEqualTo("Planning");
                }));
        collector.collect(a.reread());
        assertThat(outlook.journal).noneMatch(j -> j.contains("Send"));
        CalendarEvent now = held("master-1@chronoroute", null);
        String base = ChangeCollector.hashOnTheWire(now);
        CalendarEvent edited = now.toBuilder().title("Planning (moved)").origin(null)
                .start(EventTime.ofZoned(LocalDateTime.parse("2026-02-10T16:00"), BERLIN))
                .end(EventTime.ofZoned(LocalDateTime.parse("2026-02-10T17:00"), BERLIN)).build();
        source.applyEventUpdate(config(), "update", edited, base);
        CalendarEvent after = held("master-1@chronoroute", null);
        assertThat(after.title()).isEqualTo("Planning (moved)");
        assertThat(after.start().instant()).isEqualTo(Instant.parse("2026-02-10T15:00:00Z"));
        // the master's base is stale now: refused, nothing written
        int saves = (int) outlook.journal.stream().filter(j -> j.startsWith("Save")).count();
        assertThatThrownBy(() -> source.applyEventUpdate(config(), "update", edited.toBuilder().title("Stale").build(),
                base)).isInstanceOfSatisfying(UpdateFailedException.class, e -> {
                    assertThat(e.permanent()).isTrue();
                    assertThat(e.getMessage()).contains("changed in Outlook since");
                });
        assertThat(outlook.journal.stream().filter(j -> j.startsWith("Save")).count()).isEqualTo(saves);
        CalendarSource.Applied d = source.applyEventUpdate(config(), "delete", after,
                ChangeCollector.hashOnTheWire(after));
        assertThat(d.reread()).singleElement().satisfies(b -> assertThat(b.kind()).isEqualTo(ChangeBatch.Kind.REMOVED));
        assertThat(collector.collect(d.reread()).deleted()).isEqualTo(1);
        assertThat(source.applyEventUpdate(config(), "delete", after, null).outcome()).startsWith("already gone");
    }

    @Test
    void occurrencesAreChangedAndDeletedInTheirSeriesWhichKeepsItsExceptions() throws Exception {
        poll();
        CalendarEvent master = held(OutlookItemMapper.uid(recorded("series-weekly.json")), null);
        EventTime rid = EventTime.ofZoned(LocalDateTime.parse("2026-01-26T09:00"), BERLIN);
        CalendarEvent occurrence = master.toBuilder().recurrenceId(rid).rrules(List.of()).exdates(List.of())
                .title("Weekly (guest talk)").origin(null)
                .start(EventTime.ofZoned(LocalDateTime.parse("2026-01-26T11:00"), BERLIN))
                .end(EventTime.ofZoned(LocalDateTime.parse("2026-01-26T12:00"), BERLIN)).build();
        CalendarSource.Applied a = source.applyEventUpdate(config(), "update", occurrence, null);
        assertThat(outlook.journal).contains("Save occurrence 2026-01-26T09:00");
        List<CalendarEvent> after = a.reread().get(0).events();
        assertThat(after).hasSize(3); // master, the recorded moved occurrence, the new one
        assertThat(after).filteredOn(e -> rid.equals(e.recurrenceId())).singleElement()
                .satisfies(e -> assertThat(e.title()).isEqualTo("Weekly (guest talk)"));
        collector.collect(a.reread());
        // an occurrence that is not on the series' pattern: Outlook has none, the update is refused
        EventTime off = EventTime.ofZoned(LocalDateTime.parse("2026-01-27T09:00"), BERLIN);
        assertThatThrownBy(() -> source.applyEventUpdate(config(), "update", occurrence.toBuilder().recurrenceId(off)
                .build(), null)).isInstanceOfSatisfying(UpdateFailedException.class,
                        e -> assertThat(e.permanent()).isTrue());
        // delete one occurrence from the master: an EXDATE; the series' rule is not set again
        EventTime gone = EventTime.ofZoned(LocalDateTime.parse("2026-02-02T09:00"), BERLIN);
        CalendarSource.Applied d = source.applyEventUpdate(config(), "delete",
                master.toBuilder().recurrenceId(gone).build(), null);
        assertThat(d.reread().get(0).events().get(0).exdates()).contains(gone);
        // an edit of the series' title keeps every exception (no new pattern is set)
        CalendarEvent now = held(master.uid(), null);
        source.applyEventUpdate(config(), "update", now.toBuilder().title("Weekly sync").origin(null).build(),
                ChangeCollector.hashOnTheWire(now));
        assertThat(outlook.journal).doesNotContain("pattern set");
        CalendarEvent renamed = held(master.uid(), null);
        assertThat(renamed.title()).isEqualTo("Weekly sync");
        assertThat(renamed.exdates()).hasSize(2);
    }

    @Test
    void aChangedRuleSetsANewPatternAndAppliesTheExdatesAgain() throws Exception {
        poll();
        CalendarEvent master = held(OutlookItemMapper.uid(recorded("series-weekly.json")), null);
        CalendarSource.Applied a = source.applyEventUpdate(config(), "update", master.toBuilder()
                .rrules(List.of("FREQ=WEEKLY;BYDAY=MO;COUNT=5")).origin(null).build(),
                ChangeCollector.hashOnTheWire(master));
        assertThat(outlook.journal).contains("pattern set", "Delete occurrence 2026-01-19T09:00");
        assertThat(a.outcome()).contains("dropped the series' exceptions");
        List<CalendarEvent> after = a.reread().get(0).events();
        assertThat(after).singleElement().satisfies(e -> {
            assertThat(e.rrules()).containsExactly("FREQ=WEEKLY;BYDAY=MO;COUNT=5");
            assertThat(e.exdates()).containsExactlyElementsOf(master.exdates());
        });
    }

    @Test
    void anItemThatCannotBeMappedIsAFailedFileAndTheOthersAreRead() {
        Map<String, Object> broken = recorded("series-weekly.json");
        broken.put("EntryID", "BROKEN");
        ((Map<String, Object>) broken.get("RecurrencePattern")).put("RecurrenceType", "weekly?");
        outlook.userAdd(CAL, broken);
        List<ChangeBatch> batches = source.poll(SOURCE);
        assertThat(batches).filteredOn(b -> b.kind() == ChangeBatch.Kind.FAILED).singleElement()
                .satisfies(b -> assertThat(b.file()).endsWith("/BROKEN"));
        assertThat(batches).filteredOn(b -> b.kind() == ChangeBatch.Kind.PARSED).hasSize(3);
        assertThat(source.state(config()).lastError()).isNull();
    }

    @Test
    void renameSetsTheFolderNameAndReadOnlyRefusesEverything() throws Exception {
        poll();
        CalendarSource.Applied a = source.renameCalendar(config(), SOURCE, "Work", "#FF0000");
        assertThat(a.outcome()).contains("renamed to 'Work'").contains("no calendar colour");
        assertThat(outlook.folders.get(CAL).name()).isEqualTo("Work");
        assertThat(events(source.poll(SOURCE))).isEmpty(); // names are read for events read from now on
        assertThatThrownBy(() -> source.renameCalendar(config(), SOURCE, null, "#00FF00"))
                .isInstanceOfSatisfying(UpdateFailedException.class, e -> assertThat(e.permanent()).isTrue());
        register(false, "");
        assertThat(source.refusal(config())).contains("read-only");
        assertThatThrownBy(() -> source.renameCalendar(config(), SOURCE, "X", null))
                .isInstanceOfSatisfying(UpdateFailedException.class, e -> assertThat(e.permanent()).isTrue());
        assertThatThrownBy(() -> source.applyEventUpdate(config(), "delete", CalendarEvent.builder().uid("x").build(),
                null)).isInstanceOfSatisfying(UpdateFailedException.class, e -> {
                    assertThat(e.permanent()).isTrue();
                    assertThat(e.getMessage()).contains("read-only");
                });
        assertThat(source.state(config()).writable()).isFalse();
    }
}
