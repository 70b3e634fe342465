package io.chronoroute.master.destination.ews;

import io.chronoroute.master.destination.DestinationContext;
import io.chronoroute.master.destination.DestinationEvent;
import io.chronoroute.master.destination.DestinationSyncService;
import io.chronoroute.master.destination.DestinationWriter;
import io.chronoroute.master.destination.RecordingIngest;
import io.chronoroute.master.destination.RemoteChanges;
import io.chronoroute.master.destination.RemoteEvent;
import io.chronoroute.master.destination.SyncResult;
import io.chronoroute.master.destination.caldav.SyncHarness;
import io.chronoroute.processors.model.Attendee;
import io.chronoroute.processors.model.CalendarEvent;
import io.chronoroute.processors.model.EventTime;
import io.chronoroute.processors.model.Person;
import io.chronoroute.processors.sync.ContentHash;
import io.chronoroute.processors.sync.SyncKey;
import io.chronoroute.processors.wire.WireJson;
import io.chronoroute.providers.ews.EwsSettings;
import io.chronoroute.testsupport.ews.FakeEwsServer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.time.Instant;
import java.time.LocalDate;
import java.time.LocalDateTime;
import java.util.List;

import static io.chronoroute.master.destination.caldav.SyncHarness.event;
import static io.chronoroute.master.destination.caldav.SyncHarness.zoned;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * Two-way sync, Exchange half (issue #9): edits made by a person in Outlook/OWA come back through
 * {@code readChanges} as the consolidated event with Exchange's values of the fields we write and its
 * LastModifiedTime; deletes come back cancelled; a rename sets the folder's DisplayName. Against the
 * schema-validating {@link FakeEwsServer} over real HTTP.
 */
class EwsTwoWayTest {

    private static final String SET = EwsSettings.DEFAULT_PROPERTY_SET;

    private FakeEwsServer ews;
    private SyncHarness h;
    private EwsSettings settings;
    private DestinationWriter writer;

    @BeforeEach
    void setUp() throws Exception {
        h = new SyncHarness();
        ews = FakeEwsServer.builder().clock(h.clock).credentials("svc", "pw").build().start();
        settings = EwsSettings.of(ews.url(), "svc", "pw");
        writer = new EwsDestinationWriterFactory(n -> settings).create(context());
    }

    @AfterEach
    void tearDown() {
        writer.close();
        h.close();
        ews.close();
    }

    private DestinationContext context() {
        return new DestinationContext(SyncHarness.NAME, SyncHarness.config("ews"), h.store, h.clock, write -> { });
    }

    /** Writes the consolidated events through the real sync (so the mapping exists, as in production). */
    private void sync(CalendarEvent... events) {
        h.put(events);
        run();
    }

    private void run() {
        DestinationSyncService svc = h.service(new EwsDestinationWriterFactory(n -> settings),
                SyncHarness.config("ews"));
        SyncResult r = svc.runOnce(SyncHarness.NAME);
        assertThat(r.outcome()).as(r.message()).isEqualTo(SyncResult.Outcome.OK);
        svc.close();
    }

    private String itemOf(CalendarEvent e) {
        String key = SyncKey.identityOf(e);
        return ews.itemIds(ews.calendarFolderId()).stream()
                .filter(id -> key.equals(ews.extendedProperty(id, SET, "ChronorouteKey", "String")))
                .findFirst().orElseThrow();
    }

    private static CalendarEvent stored(CalendarEvent e) {
        return WireJson.fromJson(WireJson.toJson(e));
    }

    private static List<RemoteEvent> ours(RemoteChanges c) {
        return c.changed().stream().filter(RemoteEvent::ours).toList();
    }

    private void allRequestsValid() {
        ews.journal().entries().forEach(e -> assertThat(e.status()).as(e.operation() + " " + e.body())
                .isEqualTo(200));
    }

    @Test
    void aSubjectEditInOutlookComesBackWithItsModificationTime() throws Exception {
        CalendarEvent e = event("two-a", "Standup", "2026-12-01T09:00", "Europe/Berlin", 30).toBuilder()
                .location("Room 1").description("agenda <b> & more").build();
        sync(e);
        String cursor = writer.readChanges(null).nextCursor();

        h.clock.advance(Duration.ofMinutes(7));
        Instant editedAt = h.clock.instant();
        ews.userEdit(itemOf(e), "Subject", "Standup (moved)");

        List<RemoteEvent> changed = ours(writer.readChanges(cursor));
        assertThat(changed).hasSize(1);
        RemoteEvent re = changed.get(0);
        assertThat(re.identity()).isEqualTo(SyncKey.identityOf(e));
        assertThat(re.cancelled()).isFalse();
        assertThat(re.modified()).isEqualTo(editedAt);
        assertThat(re.event()).isEqualTo(stored(e.toBuilder().title("Standup (moved)").build()));
        // read again with GetItem (SyncFolderItems does not carry the body on Exchange)
        assertThat(ews.count("GetItem")).isGreaterThanOrEqualTo(1);
        allRequestsValid();
    }

    @Test
    void aReminderEditLeavesTheMappedEventUnchanged() throws Exception {
        CalendarEvent e = event("two-r", "Review", "2026-12-02T14:00", "America/New_York", 60).toBuilder()
                .organizer(new Person("boss@example.org", "Boss"))
                .attendees(List.of(new Attendee("alice@example.org", "Alice", "REQ-PARTICIPANT", "ACCEPTED")))
                .description("notes").classification("CONFIDENTIAL").busyStatus("OOF").build();
        sync(e);
        String cursor = writer.readChanges(null).nextCursor();

        h.clock.advance(Duration.ofMinutes(1));
        ews.userEdit(itemOf(e), "ReminderMinutesBeforeStart", "30");

        List<RemoteEvent> changed = ours(writer.readChanges(cursor));
        assertThat(changed).hasSize(1);
        assertThat(changed.get(0).event()).isEqualTo(stored(e));
        assertThat(ContentHash.of(changed.get(0).event())).isEqualTo(ContentHash.of(e));
        allRequestsValid();
    }

    @Test
    void seriesAllDayAndFloatingKeepTheirFormAndALocationEditOfASeriesComesBack() throws Exception {
        CalendarEvent series = CalendarEvent.builder().uid("two-s").title("Weekly")
                .start(zoned("2026-12-07T08:00", "Europe/Berlin"))
                .end(zoned("2026-12-07T08:30", "Europe/Berlin"))
                .rrules(List.of("FREQ=WEEKLY;COUNT=6;BYDAY=MO"))
                .exdates(List.of(zoned("2026-12-14T08:00", "Europe/Berlin")))
                .status("CONFIRMED").origin(SyncHarness.origin("work")).build();
        CalendarEvent allDay = CalendarEvent.builder().uid("two-d").title("Holiday")
                .start(EventTime.ofDate(LocalDate.of(2026, 12, 24))).origin(SyncHarness.origin("work")).build();
        CalendarEvent floating = CalendarEvent.builder().uid("two-f").title("Floating")
                .start(EventTime.ofFloating(LocalDateTime.of(2026, 12, 3, 9, 0)))
                .end(EventTime.ofFloating(LocalDateTime.of(2026, 12, 3, 10, 0))).transparency("TRANSPARENT")
                .origin(SyncHarness.origin("work")).build();
        sync(series, allDay, floating);
        String cursor = writer.readChanges(null).nextCursor();

        h.clock.advance(Duration.ofMinutes(1));
        ews.userEdit(itemOf(series), "Location", "Room 2");
        ews.userEdit(itemOf(allDay), "ReminderMinutesBeforeStart", "15");
        ews.userEdit(itemOf(floating), "ReminderMinutesBeforeStart", "15");

        List<RemoteEvent> changed = ours(writer.readChanges(cursor));
        assertThat(changed).hasSize(3);
        assertThat(byId(changed, series).event()).isEqualTo(stored(series.toBuilder().location("Room 2").build()));
        assertThat(byId(changed, allDay).event()).isEqualTo(stored(allDay));
        assertThat(byId(changed, floating).event()).isEqualTo(stored(floating));
        allRequestsValid();
    }

    @Test
    void anOccurrenceChangedInOutlookIsReportedAsTheOverrideItNowIsAndAResetOneIsNot() throws Exception {
        CalendarEvent series = CalendarEvent.builder().uid("two-occ").title("Weekly")
                .start(zoned("2026-12-07T08:00", "Europe/Berlin")).end(zoned("2026-12-07T08:30", "Europe/Berlin"))
                .rrules(List.of("FREQ=WEEKLY;COUNT=6;BYDAY=MO")).status("CONFIRMED")
                .origin(SyncHarness.origin("work")).build();
        CalendarEvent moved = series.toBuilder().rrules(List.of()).recurrenceId(zoned("2026-12-14T08:00",
                        "Europe/Berlin")).start(zoned("2026-12-14T11:00", "Europe/Berlin"))
                .end(zoned("2026-12-14T11:30", "Europe/Berlin")).title("Moved").build();
        CalendarEvent kept = series.toBuilder().rrules(List.of()).recurrenceId(zoned("2026-12-28T08:00",
                        "Europe/Berlin")).start(zoned("2026-12-28T09:00", "Europe/Berlin"))
                .end(zoned("2026-12-28T09:30", "Europe/Berlin")).title("Kept").location("Annex").build();
        sync(series, moved, kept);
        h.delete(moved);
        run(); // our override went away: its exception is reset to the series' content, our tags removed
        String cursor = writer.readChanges(null).nextCursor();

        h.clock.advance(Duration.ofMinutes(4));
        EventTime rid = zoned("2026-12-21T08:00", "Europe/Berlin");
        String exId = ews.userEditOccurrence(itemOf(series), rid.instant(), "Subject", "Only this one");

        List<RemoteEvent> changed = ours(writer.readChanges(cursor));
        assertThat(changed).hasSize(3);
        assertThat(changed).extracting(RemoteEvent::remoteId).contains(itemOf(series), exId);
        // our own override comes along with its series, as the consolidated override
        RemoteEvent ourOverride = changed.stream().filter(r -> SyncKey.identityOf(kept).equals(r.identity()))
                .findFirst().orElseThrow();
        assertThat(ourOverride.contentHash()).isEqualTo(ContentHash.of(kept));
        assertThat(ourOverride.event()).isEqualTo(stored(kept));
        RemoteEvent master = changed.stream().filter(r -> r.remoteId().equals(itemOf(series))).findFirst()
                .orElseThrow();
        assertThat(master.event()).isEqualTo(stored(series));
        RemoteEvent one = changed.stream().filter(r -> r.remoteId().equals(exId)).findFirst().orElseThrow();
        CalendarEvent override = stored(series.toBuilder().rrules(List.of()).recurrenceId(rid).start(rid)
                .end(zoned("2026-12-21T08:30", "Europe/Berlin")).title("Only this one").build());
        assertThat(one.identity()).isEqualTo(SyncKey.identityOf(override));
        assertThat(one.seriesIdentity()).isEqualTo(SyncKey.identityOf(series));
        assertThat(one.recurrenceId()).isEqualTo(rid.canonical());
        assertThat(one.contentHash()).isNull();
        assertThat(one.event()).isEqualTo(override);
        assertThat(one.modified()).isEqualTo(h.clock.instant());
        allRequestsValid();
    }

    @Test
    void aCancelledOverrideIsNotReadBackAsAnExdateOfItsSeries() throws Exception {
        CalendarEvent series = CalendarEvent.builder().uid("two-cx").title("Weekly")
                .start(zoned("2026-12-07T08:00", "Europe/Berlin")).end(zoned("2026-12-07T08:30", "Europe/Berlin"))
                .rrules(List.of("FREQ=WEEKLY;COUNT=6;BYDAY=MO"))
                .exdates(List.of(zoned("2026-12-21T08:00", "Europe/Berlin"))).status("CONFIRMED")
                .origin(SyncHarness.origin("work")).build();
        CalendarEvent cancelled = series.toBuilder().rrules(List.of()).exdates(List.of())
                .recurrenceId(zoned("2026-12-14T08:00", "Europe/Berlin")).start(zoned("2026-12-14T08:00",
                        "Europe/Berlin")).end(zoned("2026-12-14T08:30", "Europe/Berlin")).status("CANCELLED").build();
        sync(series, cancelled);
        assertThat(ews.deletedOccurrences(itemOf(series))).hasSize(2);
        String cursor = writer.readChanges(null).nextCursor();

        ews.userEdit(itemOf(series), "Subject", "Weekly (renamed)");

        RemoteEvent master = ours(writer.readChanges(cursor)).stream()
                .filter(r -> r.identity().equals(SyncKey.identityOf(series))).findFirst().orElseThrow();
        assertThat(master.event()).isEqualTo(stored(series.toBuilder().title("Weekly (renamed)").build()));
    }

    @Test
    void aDeleteInOutlookIsReportedCancelledThroughTheMapping() throws Exception {
        CalendarEvent e = event("two-del", "Gone", "2026-12-03T10:00", "Europe/Berlin", 30);
        CalendarEvent kept = event("two-keep", "Kept", "2026-12-03T11:00", "Europe/Berlin", 30);
        sync(e, kept);
        String cursor = writer.readChanges(null).nextCursor();
        String id = itemOf(e);

        ews.userDelete(id);

        List<RemoteEvent> changed = ours(writer.readChanges(cursor));
        assertThat(changed).hasSize(1);
        assertThat(changed.get(0).remoteId()).isEqualTo(id);
        assertThat(changed.get(0).identity()).isEqualTo(SyncKey.identityOf(e));
        assertThat(changed.get(0).cancelled()).isTrue();
        assertThat(changed.get(0).event()).isNull();
    }

    @Test
    void renameCalendarSetsTheFolderDisplayName() throws Exception {
        writer.renameCalendar("Consolidated & team");
        assertThat(ews.folderName(ews.calendarFolderId())).isEqualTo("Consolidated & team");
        assertThat(ews.count("UpdateFolder")).isEqualTo(1);
        allRequestsValid();
    }

    @Test
    void withoutTheConsolidatedEventOnlyWhatExchangeHoldsIsMappedBack() throws Exception {
        CalendarEvent e = event("two-lost", "Lost", "2026-12-04T10:00", "Europe/Berlin", 45).toBuilder()
                .classification("PRIVATE").build();
        sync(e);
        String cursor = writer.readChanges(null).nextCursor();
        h.wipeStoreQuietly(); // the consolidated event is unknown now
        writer.close();
        writer = new EwsDestinationWriterFactory(n -> settings).create(context());
        ews.userEdit(itemOf(e), "Subject", "Found");

        RemoteEvent re = ours(writer.readChanges(cursor)).get(0);
        CalendarEvent m = re.event();
        assertThat(m.uid()).isNull();
        assertThat(m.title()).isEqualTo("Found");
        assertThat(m.start()).isEqualTo(e.start());
        assertThat(m.end()).isEqualTo(e.end());
        assertThat(m.classification()).isEqualTo("PRIVATE");
        assertThat(m.transparency()).isEqualTo("OPAQUE");
        assertThat(m.rrules()).isEmpty();
    }

    private static RemoteEvent byId(List<RemoteEvent> l, CalendarEvent e) {
        String id = SyncKey.identityOf(e);
        return l.stream().filter(r -> id.equals(r.identity())).findFirst().orElseThrow();
    }

    private DestinationSyncService twoWay(String createTarget, RecordingIngest ingest) {
        return h.service(new EwsDestinationWriterFactory(n -> settings),
                SyncHarness.config("ews").withDirection("two-way", createTarget), ingest);
    }

    private static SyncResult ok(SyncResult r) {
        assertThat(r.outcome()).as(r.message()).isEqualTo(SyncResult.Outcome.OK);
        return r;
    }

    @Test
    void anItemCreatedInOutlookWithACreateTargetIsCreatedThereAndTakenOverWithoutADuplicate() throws Exception {
        RecordingIngest ingest = new RecordingIngest(h);
        h.put(event("base-e", "Existing", "2026-12-20T09:00", "Europe/Berlin", 30));
        DestinationSyncService svc = twoWay("agent1/work", ingest);
        assertThat(ok(svc.runOnce(SyncHarness.NAME)).inserted()).isEqualTo(1);

        h.clock.advance(Duration.ofMinutes(6));
        Instant createdAt = h.clock.instant();
        Instant start = Instant.parse("2026-12-21T11:00:00Z");
        String id = ews.userCreate("Lunch", start, start.plus(Duration.ofHours(1)), "outlook-made-1");

        SyncResult run = ok(svc.runOnce(SyncHarness.NAME));
        assertThat(ingest.changes()).singleElement().satisfies(ch -> {
            assertThat(ch.createTarget()).isEqualTo("agent1/work");
            assertThat(ch.baseHash()).isNull();
            assertThat(ch.delete()).isFalse();
            assertThat(ch.modified()).isEqualTo(createdAt);
            assertThat(ch.event().uid()).isEqualTo("outlook-made-1");
            assertThat(ch.event().title()).isEqualTo("Lunch");
            assertThat(ch.event().start().toInstant(java.time.ZoneOffset.UTC)).isEqualTo(start);
            assertThat(ch.event().end().toInstant(java.time.ZoneOffset.UTC))
                    .isEqualTo(start.plus(Duration.ofHours(1)));
        });
        String identity = ingest.changes().get(0).identity();
        assertThat(identity).isEqualTo(SyncKey.identityOf(CalendarEvent.builder().uid("outlook-made-1").build()));
        // taken over in place: that very item now carries our tags, no second item, nothing deleted
        assertThat(run.inserted()).isZero();
        assertThat(run.updated()).isEqualTo(1);
        assertThat(ews.itemIds(ews.calendarFolderId())).hasSize(2).contains(id);
        assertThat(ews.extendedProperty(id, SET, "ChronorouteKey", "String")).isEqualTo(identity);
        assertThat(ews.field(id, "UID")).isEqualTo("outlook-made-1");
        assertThat(ews.field(id, "Subject")).isEqualTo("Lunch");
        assertThat(ews.count("CreateItem")).isEqualTo(1); // the base event only
        assertThat(ews.count("DeleteItem")).isZero();

        // our own update comes back through SyncFolderItems: no edit, no write, no second hand-over
        assertThat(ok(svc.runOnce(SyncHarness.NAME)).writeCalls()).isZero();
        assertThat(ok(svc.runOnce(SyncHarness.NAME)).writeCalls()).isZero();
        assertThat(ingest.calls).hasSize(1);
        assertThat(ews.itemIds(ews.calendarFolderId())).hasSize(2);
        svc.close();
        allRequestsValid();
    }

    @Test
    void anItemCreatedInOutlookWithoutCreateTargetStaysForeignAndUntouched() throws Exception {
        RecordingIngest ingest = new RecordingIngest(h);
        DestinationSyncService svc = twoWay(null, ingest);
        ok(svc.runOnce(SyncHarness.NAME));
        h.clock.advance(Duration.ofMinutes(1));
        Instant start = Instant.parse("2026-12-21T11:00:00Z");
        String id = ews.userCreate("Private", start, start.plus(Duration.ofMinutes(30)), "outlook-only-1");

        assertThat(ok(svc.runOnce(SyncHarness.NAME)).writeCalls()).isZero();
        assertThat(ok(svc.runOnce(SyncHarness.NAME)).writeCalls()).isZero();
        assertThat(ingest.calls).isEmpty();
        assertThat(ews.extendedProperty(id, SET, "ChronorouteKey", "String")).isNull();
        assertThat(ews.field(id, "Subject")).isEqualTo("Private");
        assertThat(ews.count("UpdateItem")).isZero();
        assertThat(ews.count("DeleteItem")).isZero();
        svc.close();
        allRequestsValid();
    }

    @Test
    void aForeignItemIsNeverOverwrittenWithoutAnAdoptedMappingEntry() throws Exception {
        Instant start = Instant.parse("2026-12-21T11:00:00Z");
        String id = ews.userCreate("Someone's", start, start.plus(Duration.ofMinutes(30)), "outlook-foreign-1");
        CalendarEvent e = event("coll-1", "Ours", "2026-12-21T12:00", "Europe/Berlin", 30);
        String identity = h.put(e).get(0);
        // a mapping entry that was written by us (content hash set) yet points at the foreign item: refused
        io.chronoroute.master.destination.MappingEntry m = new io.chronoroute.master.destination.MappingEntry(id,
                "v", "somehash", false, null, null, h.clock.instant());
        assertThat(org.assertj.core.api.Assertions.catchThrowable(() -> writer.upsert(new DestinationEvent(
                identity, e, ContentHash.of(e), "agent1/work", null, null), m)))
                .hasMessageContaining("does not carry our tag");
        assertThat(ews.field(id, "Subject")).isEqualTo("Someone's");
        assertThat(ews.count("UpdateItem")).isZero();
    }

    @Test
    void anAdoptedSeriesOfTheUserKeepsItsRuleAndTheOccurrenceTheUserChanged() throws Exception {
        RecordingIngest ingest = new RecordingIngest(h);
        DestinationSyncService svc = twoWay("agent1/work", ingest);
        ok(svc.runOnce(SyncHarness.NAME));
        // the user's series, made by another program (its own property set: nothing of ours on it)
        EwsSettings other = new EwsSettings(ews.url(), "svc", "pw", null, null, null,
                "0b7f0f54-2f7e-4c5e-9d59-3d1c0b6f2a11", null, null, null, null);
        CalendarEvent users = event("users-series", "Yoga", "2026-12-07T08:00", "Europe/Berlin", 60).toBuilder()
                .rrules(List.of("FREQ=WEEKLY;COUNT=4;BYDAY=MO")).build();
        String masterId;
        try (DestinationWriter app = new EwsDestinationWriterFactory(n -> other).create(new DestinationContext(
                "app", SyncHarness.config("ews"), h.store, h.clock, write -> { }))) {
            masterId = app.upsert(new DestinationEvent("f".repeat(32), users, "app-hash", "app", null, null), null)
                    .remoteId();
        }
        Instant changedAt = zoned("2026-12-14T08:00", "Europe/Berlin").instant();
        ews.userEditOccurrence(masterId, changedAt, "Subject", "Yoga (outside)");
        h.clock.advance(Duration.ofMinutes(3));

        SyncResult run = ok(svc.runOnce(SyncHarness.NAME));
        assertThat(ingest.changes()).singleElement().satisfies(ch -> {
            assertThat(ch.createTarget()).isEqualTo("agent1/work");
            assertThat(ch.event().uid()).isEqualTo(ews.field(masterId, "UID"));
            assertThat(ch.event().rrules()).isNotEmpty();
            assertThat(ch.event().recurrenceId()).isNull();
        });
        String identity = ingest.changes().get(0).identity();
        assertThat(run.inserted()).isZero();
        assertThat(run.updated()).isEqualTo(1);
        assertThat(ews.itemIds(ews.calendarFolderId())).containsExactly(masterId);
        assertThat(ews.extendedProperty(masterId, SET, "ChronorouteKey", "String")).isEqualTo(identity);
        // the rule was not sent again: the user's changed occurrence is still there
        assertThat(ews.occurrences(masterId, Instant.parse("2027-01-31T00:00:00Z")))
                .filteredOn(FakeEwsServer.Occurrence::exception).singleElement().satisfies(o -> {
                    assertThat(o.originalStart()).isEqualTo(changedAt);
                    assertThat(o.subject()).isEqualTo("Yoga (outside)");
                });
        assertThat(ews.occurrences(masterId, Instant.parse("2027-01-31T00:00:00Z"))).hasSize(4);

        assertThat(ok(svc.runOnce(SyncHarness.NAME)).writeCalls()).isZero();
        assertThat(ok(svc.runOnce(SyncHarness.NAME)).writeCalls()).isZero();
        assertThat(ingest.calls).hasSize(1);
        svc.close();
        allRequestsValid();
    }
}
