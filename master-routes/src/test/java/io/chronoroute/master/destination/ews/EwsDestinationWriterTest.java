package io.chronoroute.master.destination.ews;

import io.chronoroute.master.destination.DestinationContext;
import io.chronoroute.master.destination.DestinationEvent;
import io.chronoroute.master.destination.DestinationMapping;
import io.chronoroute.master.destination.DestinationStatus;
import io.chronoroute.master.destination.DestinationSyncService;
import io.chronoroute.master.destination.DestinationWriter;
import io.chronoroute.master.destination.DestinationWriterFactory;
import io.chronoroute.master.destination.MappingEntry;
import io.chronoroute.master.destination.RemoteChanges;
import io.chronoroute.master.destination.RemoteEvent;
import io.chronoroute.master.destination.SyncResult;
import io.chronoroute.master.destination.WriteResult;
import io.chronoroute.master.destination.caldav.SyncHarness;
import io.chronoroute.processors.model.Attendee;
import io.chronoroute.processors.model.CalendarEvent;
import io.chronoroute.processors.model.EventTime;
import io.chronoroute.processors.model.Person;
import io.chronoroute.processors.sync.ContentHash;
import io.chronoroute.processors.sync.SyncKey;
import io.chronoroute.providers.ews.EwsClient;
import io.chronoroute.providers.ews.EwsSettings;
import io.chronoroute.providers.ews.EwsXml;
import io.chronoroute.testsupport.RequestJournal;
import io.chronoroute.testsupport.ews.FakeEwsServer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Consumer;

import static io.chronoroute.master.destination.caldav.SyncHarness.event;
import static io.chronoroute.master.destination.caldav.SyncHarness.zoned;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** The EWS writer through the real sync service against the schema-validating {@link FakeEwsServer} (real HTTP). */
class EwsDestinationWriterTest {

    private static final String SET = EwsSettings.DEFAULT_PROPERTY_SET;

    private FakeEwsServer ews;
    private SyncHarness h;
    private EwsSettings settings;
    private final List<EwsDestinationWriter> writers = new ArrayList<>();

    @BeforeEach
    void setUp() throws Exception {
        ews = FakeEwsServer.builder().credentials("svc", "pw").build().start();
        h = new SyncHarness();
        settings = EwsSettings.of(ews.url(), "svc", "pw");
    }

    @AfterEach
    void tearDown() {
        h.close();
        ews.close();
    }

    private DestinationWriterFactory factory() {
        return new DestinationWriterFactory() {
            @Override
            public String type() {
                return "ews";
            }

            @Override
            public DestinationWriter create(DestinationContext context) {
                EwsDestinationWriter w = (EwsDestinationWriter) new EwsDestinationWriterFactory(n -> settings)
                        .create(context);
                writers.add(w);
                return w;
            }
        };
    }

    private DestinationSyncService service() {
        return h.service(factory(), SyncHarness.config("ews"));
    }

    private List<String> ours() {
        return ews.itemIds(ews.calendarFolderId()).stream()
                .filter(id -> SyncHarness.NAME.equals(ews.extendedProperty(id, SET, "ChronorouteOwner", "String")))
                .toList();
    }

    private String itemOf(CalendarEvent e) {
        String key = SyncKey.identityOf(e);
        return ews.itemIds(ews.calendarFolderId()).stream()
                .filter(id -> key.equals(ews.extendedProperty(id, SET, "ChronorouteKey", "String")))
                .findFirst().orElseThrow();
    }

    private void assertSendToNoneEverywhere() {
        ews.journal().entries().forEach(e -> {
            if (e.operation().equals("CreateItem")) {
                assertThat(e.body()).contains("SendMeetingInvitations=\"SendToNone\"");
            } else if (e.operation().equals("UpdateItem")) {
                assertThat(e.body()).contains("SendMeetingInvitationsOrCancellations=\"SendToNone\"");
            } else if (e.operation().equals("DeleteItem")) {
                assertThat(e.body()).contains("SendMeetingCancellations=\"SendToNone\"");
            }
            assertThat(e.body()).doesNotContain("RequiredAttendees").doesNotContain("OptionalAttendees");
            assertThat(e.status()).as(e.operation() + " " + e.body()).isEqualTo(200);
        });
    }

    // ------------------------------------------------------------------------------------------------ tests

    @Test
    void secondRunMakesZeroWritesAndNobodyIsInvited() {
        CalendarEvent a = event("a", "Standup", "2026-12-01T09:00", "Europe/Berlin", 30).toBuilder()
                .organizer(new Person("boss@example.org", "Boss"))
                .attendees(List.of(new Attendee("alice@example.org", "Alice", "REQ-PARTICIPANT", "ACCEPTED")))
                .description("agenda <b> & more").build();
        CalendarEvent b = event("b", "Lunch", "2026-12-01T12:00", "America/New_York", 60);
        h.put(a, b);
        DestinationSyncService svc = service();
        SyncResult first = svc.runOnce(SyncHarness.NAME);
        assertThat(first.outcome()).as(first.message()).isEqualTo(SyncResult.Outcome.OK);
        assertThat(first.inserted()).isEqualTo(2);
        assertThat(ours()).hasSize(2);
        long before = ews.writeCalls();
        SyncResult second = svc.runOnce(SyncHarness.NAME);
        assertThat(second.outcome()).isEqualTo(SyncResult.Outcome.OK);
        assertThat(second.writeCalls()).isZero();
        assertThat(ews.writeCalls()).isEqualTo(before);
        String id = itemOf(a);
        assertThat(ews.field(id, "Body")).contains("Alice <alice@example.org>").contains("agenda <b> & more");
        assertThat(ews.extendedProperty(id, SET, "ChronorouteHash", "String")).isEqualTo(ContentHash.of(a));
        h.put(a.toBuilder().title("Standup!").build());
        SyncResult third = svc.runOnce(SyncHarness.NAME);
        assertThat(third.updated()).isEqualTo(1);
        assertThat(third.writeCalls()).isEqualTo(1);
        assertThat(ews.field(id, "Subject")).isEqualTo("Standup!");
        assertThat(svc.runOnce(SyncHarness.NAME).writeCalls()).isZero();
        assertSendToNoneEverywhere();
    }

    @Test
    void crashBetweenCreateAndMappingUpdateLeavesNoDuplicate() throws Exception {
        CalendarEvent a = event("crash-a", "A", "2026-12-03T10:00", "Europe/Berlin", 60);
        CalendarEvent b = event("crash-b", "B", "2026-12-03T12:00", "Europe/Berlin", 60);
        h.put(a);
        service().runOnce(SyncHarness.NAME);
        h.put(b);
        DestinationSyncService crashing = h.service(crashing(factory()), SyncHarness.config("ews"));
        assertThatThrownBy(() -> crashing.runOnce(SyncHarness.NAME)).isInstanceOf(Crash.class);
        assertThat(ours()).hasSize(2);
        SyncResult r = service().runOnce(SyncHarness.NAME);
        assertThat(r.outcome()).isEqualTo(SyncResult.Outcome.OK);
        assertThat(r.inserted()).isZero();
        assertThat(ours()).hasSize(2);
        // the writer alone: a create retried without any mapping finds the item by its key tag
        DestinationWriter w = factory().create(new DestinationContext(SyncHarness.NAME, SyncHarness.config("ews"),
                h.store, h.clock, write -> { }));
        CalendarEvent b2 = b.toBuilder().title("B2").build();
        WriteResult again = w.upsert(new DestinationEvent(SyncKey.identityOf(b), b2, ContentHash.of(b2), "x", null,
                null), null);
        assertThat(again.created()).isFalse();
        assertThat(ours()).hasSize(2);
        assertThat(ews.field(itemOf(b), "Subject")).isEqualTo("B2");
    }

    @Test
    void storeWipedRebuildsFromTags() {
        CalendarEvent a = event("w-a", "A", "2026-12-04T10:00", "Europe/Berlin", 60);
        CalendarEvent series = weekly("w-series", "2026-12-07T08:00");
        CalendarEvent moved = override(series, "2026-12-14T08:00", "2026-12-14T11:00", "Moved");
        h.put(a, series, moved);
        SyncResult first = service().runOnce(SyncHarness.NAME);
        assertThat(first.outcome()).as(first.message()).isEqualTo(SyncResult.Outcome.OK);
        assertThat(first.writes()).isEqualTo(3);
        long writes = ews.writeCalls();
        h.wipeStoreQuietly();
        h.put(a, series, moved);
        SyncResult r = service().runOnce(SyncHarness.NAME);
        assertThat(r.outcome()).as(r.message()).isEqualTo(SyncResult.Outcome.OK);
        assertThat(r.fullReconcile()).isTrue();
        assertThat(r.inserted()).isZero();
        assertThat(ews.writeCalls()).isEqualTo(writes);
        assertThat(ours()).hasSize(2);
    }

    @Test
    void serverBusyStormCompletesHonouringBackOff() {
        h.put(event("busy-1", "One", "2026-12-05T10:00", "Europe/Berlin", 30),
                event("busy-2", "Two", "2026-12-05T11:00", "Europe/Berlin", 30));
        ews.serverBusyNext(5, 4000);
        SyncResult r = service().runOnce(SyncHarness.NAME);
        assertThat(r.outcome()).as(r.message()).isEqualTo(SyncResult.Outcome.OK);
        assertThat(r.inserted()).isEqualTo(2);
        assertThat(r.retries()).isEqualTo(5);
        assertThat(h.sleeps).hasSizeGreaterThanOrEqualTo(5);
        assertThat(h.sleeps.stream().filter(d -> d.compareTo(Duration.ofMillis(4000)) >= 0)).hasSize(5);
        assertThat(ours()).hasSize(2);
    }

    @Test
    void staleChangeKeyIsReReadAndRetriedOnce() throws Exception {
        CalendarEvent a = event("ck-a", "A", "2026-12-06T10:00", "Europe/Berlin", 60);
        h.put(a);
        DestinationSyncService svc = service();
        svc.runOnce(SyncHarness.NAME);
        String id = itemOf(a);
        // someone edits the item between our read and our UpdateItem
        writers.get(0).beforeUpdate = () -> {
            try {
                DestinationWriter other = factory().create(new DestinationContext(SyncHarness.NAME,
                        SyncHarness.config("ews"), h.store, h.clock, write -> { }));
                CalendarEvent x = a.toBuilder().title("Edited elsewhere").build();
                other.upsert(new DestinationEvent(SyncKey.identityOf(a), x, "h", null, null, null),
                        new MappingEntry(id, null, null, false, null, null, null));
            } catch (Exception e) {
                throw new IllegalStateException(e);
            }
        };
        h.put(a.toBuilder().title("Ours").build());
        SyncResult r = svc.runOnce(SyncHarness.NAME);
        assertThat(r.outcome()).as(r.message()).isEqualTo(SyncResult.Outcome.OK);
        assertThat(ews.field(id, "Subject")).isEqualTo("Ours");
        // the other writer's update + our stale one (ErrorIrresolvableConflict) + our retry after re-reading
        assertThat(ews.count("UpdateItem")).isEqualTo(3);
        assertThat(r.retries()).isZero();
    }

    private List<String> overrideSubjects() {
        List<RemoteEvent> own = new ArrayList<>();
        try {
            writers.get(writers.size() - 1).listOwn(own::add);
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
        return own.stream().filter(e -> e.recurrenceId() != null).map(e -> ews.field(e.remoteId(), "Subject"))
                .toList();
    }

    @Test
    void overrideSurvivesATitleChangeOfItsMaster() {
        CalendarEvent series = weekly("keep-series", "2026-12-07T08:00");
        CalendarEvent moved = override(series, "2026-12-14T08:00", "2026-12-14T11:00", "Moved");
        h.put(series, moved);
        DestinationSyncService svc = service();
        SyncResult first = svc.runOnce(SyncHarness.NAME);
        assertThat(first.outcome()).as(first.message()).isEqualTo(SyncResult.Outcome.OK);
        String masterId = itemOf(series);
        assertThat(overrideSubjects()).containsExactly("Moved");
        h.put(series.toBuilder().title("Renamed series").build());
        SyncResult second = svc.runOnce(SyncHarness.NAME);
        assertThat(second.outcome()).as(second.message()).isEqualTo(SyncResult.Outcome.OK);
        assertThat(second.writeCalls()).isEqualTo(1);
        assertThat(ews.field(masterId, "Subject")).isEqualTo("Renamed series");
        assertThat(overrideSubjects()).containsExactly("Moved");
        List<RequestJournal.Entry> updates = ews.journal().entries().stream()
                .filter(e -> e.operation().equals("UpdateItem")).toList();
        assertThat(updates.get(updates.size() - 1).body()).doesNotContain("calendar:Recurrence");
        assertThat(svc.runOnce(SyncHarness.NAME).writeCalls()).isZero();
        // a changed rule is still sent; as on Exchange, the fake then drops the exceptions, and the override is
        // written again in the same run, after its master
        h.put(series.toBuilder().title("Renamed series").rrules(List.of("FREQ=WEEKLY;COUNT=8;BYDAY=MO")).build());
        SyncResult third = svc.runOnce(SyncHarness.NAME);
        assertThat(third.outcome()).as(third.message()).isEqualTo(SyncResult.Outcome.OK);
        assertThat(third.updated()).isEqualTo(2);
        assertThat(third.writeCalls()).isEqualTo(2);
        updates = ews.journal().entries().stream().filter(e -> e.operation().equals("UpdateItem")).toList();
        assertThat(updates.get(updates.size() - 2).body()).contains("calendar:Recurrence");
        assertThat(updates.get(updates.size() - 1).body()).doesNotContain("calendar:Recurrence").contains("Moved");
        assertThat(overrideSubjects()).containsExactly("Moved");
        assertThat(svc.runOnce(SyncHarness.NAME).writeCalls()).isZero();
    }

    @Test
    void ruleChangeKeepsMovedAndCancelledOccurrencesAndExdatesInTheSameRun() {
        // weekly Monday 09:00 Berlin across the end of DST: EXDATE 11-02, moved 10-26, cancelled 11-09
        CalendarEvent series = CalendarEvent.builder().uid("rule-series").title("Weekly")
                .start(zoned("2026-10-19T09:00", "Europe/Berlin")).end(zoned("2026-10-19T10:00", "Europe/Berlin"))
                .rrules(List.of("FREQ=WEEKLY;COUNT=6;BYDAY=MO"))
                .exdates(List.of(zoned("2026-11-02T09:00", "Europe/Berlin")))
                .status("CONFIRMED").origin(SyncHarness.origin("work")).build();
        CalendarEvent moved = override(series, "2026-10-26T09:00", "2026-10-26T13:00", "Moved after DST");
        CalendarEvent cancelled = override(series, "2026-11-09T09:00", "2026-11-09T09:00", "x").toBuilder()
                .status("CANCELLED").build();
        h.put(series, moved, cancelled);
        DestinationSyncService svc = service();
        SyncResult first = svc.runOnce(SyncHarness.NAME);
        assertThat(first.outcome()).as(first.message()).isEqualTo(SyncResult.Outcome.OK);
        String masterId = itemOf(series);
        assertSeries(masterId, 6, List.of("2026-10-19T07:00:00Z", "2026-10-26T08:00:00Z", "2026-11-16T08:00:00Z",
                "2026-11-23T08:00:00Z"));
        long liveBefore = svc.status(SyncHarness.NAME).liveEvents();

        // COUNT=6 -> COUNT=8: Recurrence sent, the series reset by the fake as by Exchange, then in the same run
        // the EXDATE deleted again, the moved override written again, the cancelled occurrence deleted again
        h.put(series.toBuilder().rrules(List.of("FREQ=WEEKLY;COUNT=8;BYDAY=MO")).build());
        long journalBefore = ews.journal().size();
        SyncResult count = svc.runOnce(SyncHarness.NAME);
        assertThat(count.outcome()).as(count.message()).isEqualTo(SyncResult.Outcome.OK);
        assertThat(count.updated()).isEqualTo(3);
        assertThat(count.parked()).isZero();
        // master UpdateItem, EXDATE DeleteItem, moved UpdateItem, cancelled DeleteItem
        assertThat(count.writeCalls()).isEqualTo(4);
        List<RequestJournal.Entry> writes = ews.journal().entries().stream().skip(journalBefore)
                .filter(e -> e.operation().equals("UpdateItem") || e.operation().equals("DeleteItem")).toList();
        assertThat(writes).extracting(RequestJournal.Entry::operation).hasSize(4)
                .startsWith("UpdateItem", "DeleteItem") // the master first, its EXDATE deleted again right away
                .containsExactlyInAnyOrder("UpdateItem", "DeleteItem", "UpdateItem", "DeleteItem");
        assertThat(writes.get(0).body()).contains("calendar:Recurrence").contains("<t:NumberOfOccurrences>8");
        assertSeries(masterId, 8, List.of("2026-10-19T07:00:00Z", "2026-10-26T08:00:00Z", "2026-11-16T08:00:00Z",
                "2026-11-23T08:00:00Z", "2026-11-30T08:00:00Z", "2026-12-07T08:00:00Z"));
        assertThat(svc.status(SyncHarness.NAME).liveEvents()).isEqualTo(liveBefore);
        assertThat(svc.runOnce(SyncHarness.NAME).writeCalls()).isZero();

        // BYDAY=MO -> BYDAY=MO,TH: every Monday stays, the overrides and the EXDATE with it
        h.put(series.toBuilder().rrules(List.of("FREQ=WEEKLY;COUNT=8;BYDAY=MO,TH")).build());
        SyncResult byday = svc.runOnce(SyncHarness.NAME);
        assertThat(byday.outcome()).as(byday.message()).isEqualTo(SyncResult.Outcome.OK);
        assertThat(byday.updated()).isEqualTo(3);
        assertThat(byday.writeCalls()).isEqualTo(4);
        // 10-19, 10-22, 10-26 (moved), 10-29, [11-02 EXDATE], 11-05, [11-09 cancelled], 11-12
        assertSeries(masterId, 8, List.of("2026-10-19T07:00:00Z", "2026-10-22T07:00:00Z", "2026-10-26T08:00:00Z",
                "2026-10-29T08:00:00Z", "2026-11-05T08:00:00Z", "2026-11-12T08:00:00Z"));
        assertThat(svc.runOnce(SyncHarness.NAME).writeCalls()).isZero();
        assertThat(svc.runOnce(SyncHarness.NAME).writeCalls()).isZero();
        assertThat(svc.status(SyncHarness.NAME).liveEvents()).isEqualTo(liveBefore);
        assertThat(svc.status(SyncHarness.NAME).parked()).isEmpty();
        assertSendToNoneEverywhere();
    }

    /**
     * The visible occurrences of the rule-series fixture: their original starts, the moved one (10-26) as an
     * exception at 13:00 Berlin with its own subject, EXDATE 11-02 and cancelled 11-09 deleted.
     */
    private void assertSeries(String masterId, int count, List<String> visibleOriginalStarts) {
        List<FakeEwsServer.Occurrence> occ = ews.occurrences(masterId, Instant.parse("2027-06-01T00:00:00Z"));
        assertThat(occ).extracting(o -> o.originalStart().toString()).containsExactlyElementsOf(visibleOriginalStarts);
        assertThat(occ).filteredOn(FakeEwsServer.Occurrence::exception).singleElement().satisfies(o -> {
            assertThat(o.originalStart()).isEqualTo(Instant.parse("2026-10-26T08:00:00Z"));
            assertThat(o.start()).isEqualTo(Instant.parse("2026-10-26T12:00:00Z")); // 13:00 CET, after DST
            assertThat(o.subject()).isEqualTo("Moved after DST");
        });
        assertThat(ews.deletedOccurrences(masterId)).extracting(Instant::toString)
                .containsExactly("2026-11-02T08:00:00Z", "2026-11-09T08:00:00Z");
        assertThat(occ.size() + 2).isEqualTo(count);
    }

    @Test
    void ruleChangeThatRemovesTheOccurrenceOfAnOverrideParksIt() {
        // weekly Monday 09:00 Berlin, six times from 10-19 (last 11-23): moved 10-26 and 11-23, cancelled 11-16
        CalendarEvent series = CalendarEvent.builder().uid("shrink-series").title("Weekly")
                .start(zoned("2026-10-19T09:00", "Europe/Berlin")).end(zoned("2026-10-19T10:00", "Europe/Berlin"))
                .rrules(List.of("FREQ=WEEKLY;COUNT=6;BYDAY=MO")).status("CONFIRMED")
                .origin(SyncHarness.origin("work")).build();
        CalendarEvent early = override(series, "2026-10-26T09:00", "2026-10-26T13:00", "Early moved");
        CalendarEvent late = override(series, "2026-11-23T09:00", "2026-11-23T15:00", "Late moved");
        CalendarEvent cancelled = override(series, "2026-11-16T09:00", "2026-11-16T09:00", "x").toBuilder()
                .status("CANCELLED").build();
        h.put(series, early, late, cancelled);
        DestinationSyncService svc = service();
        SyncResult first = svc.runOnce(SyncHarness.NAME);
        assertThat(first.outcome()).as(first.message()).isEqualTo(SyncResult.Outcome.OK);
        String masterId = itemOf(series);
        long liveBefore = svc.status(SyncHarness.NAME).liveEvents();
        DestinationMapping mapping = new DestinationMapping(h.store, SyncHarness.NAME);
        String lateId = SyncKey.identityOf(late);

        // COUNT=4 ends the series on 11-09: no occurrence for "Late moved" (11-23) nor for the cancelled 11-16
        h.put(series.toBuilder().rrules(List.of("FREQ=WEEKLY;COUNT=4;BYDAY=MO")).build());
        SyncResult shrunk = svc.runOnce(SyncHarness.NAME);
        assertThat(shrunk.outcome()).as(shrunk.message()).isEqualTo(SyncResult.Outcome.OK);
        assertThat(shrunk.updated()).isEqualTo(3); // master, "Early moved" again, the cancelled one (nothing to delete)
        assertThat(shrunk.parked()).isEqualTo(1);
        assertThat(shrunk.writeCalls()).isEqualTo(2); // master UpdateItem, "Early moved" UpdateItem
        List<FakeEwsServer.Occurrence> occ = ews.occurrences(masterId, Instant.parse("2027-06-01T00:00:00Z"));
        assertThat(occ).extracting(o -> o.originalStart().toString()).containsExactly("2026-10-19T07:00:00Z",
                "2026-10-26T08:00:00Z", "2026-11-02T08:00:00Z", "2026-11-09T08:00:00Z");
        assertThat(occ).filteredOn(FakeEwsServer.Occurrence::exception).extracting(FakeEwsServer.Occurrence::subject)
                .containsExactly("Early moved");
        var status = svc.status(SyncHarness.NAME);
        assertThat(status.parked()).singleElement().satisfies(p -> {
            assertThat(p.identity()).isEqualTo(lateId);
            assertThat(p.reason()).isEqualTo("occurrenceMissing");
            assertThat(p.message()).contains("2026-11-23T08:00:00Z").contains("rule");
        });
        // its exception went with the old rule: the mapping says so, and our live count lost it
        assertThat(mapping.get(lateId)).hasValueSatisfying(m -> assertThat(m.deleted()).isTrue());
        assertThat(status.liveEvents()).isEqualTo(liveBefore - 1);

        // the next runs write nothing and keep it parked
        assertThat(svc.runOnce(SyncHarness.NAME).writeCalls()).isZero();
        SyncResult quiet = svc.runOnce(SyncHarness.NAME);
        assertThat(quiet.writeCalls()).isZero();
        assertThat(quiet.parked()).isZero();
        assertThat(svc.status(SyncHarness.NAME).parked()).extracting(DestinationStatus.ParkedView::identity)
                .containsExactly(lateId);

        // the rule back to six: the parked override has its occurrence again and is written, the cancelled
        // occurrence deleted again, in the same run
        h.put(series);
        SyncResult back = svc.runOnce(SyncHarness.NAME);
        assertThat(back.outcome()).as(back.message()).isEqualTo(SyncResult.Outcome.OK);
        assertThat(back.parked()).isZero();
        assertThat(svc.status(SyncHarness.NAME).parked()).isEmpty();
        occ = ews.occurrences(masterId, Instant.parse("2027-06-01T00:00:00Z"));
        assertThat(occ).filteredOn(FakeEwsServer.Occurrence::exception).extracting(FakeEwsServer.Occurrence::subject)
                .containsExactly("Early moved", "Late moved");
        assertThat(ews.deletedOccurrences(masterId)).extracting(Instant::toString)
                .containsExactly("2026-11-16T08:00:00Z");
        assertThat(svc.status(SyncHarness.NAME).liveEvents()).isEqualTo(liveBefore);
        assertThat(svc.runOnce(SyncHarness.NAME).writeCalls()).isZero();
        assertSendToNoneEverywhere();
    }

    @Test
    void ruleChangeWhoseAnswerWasLostStillWritesTheOverridesAgain() {
        CalendarEvent series = weekly("lost-series", "2026-12-07T08:00");
        CalendarEvent moved = override(series, "2026-12-14T08:00", "2026-12-14T11:00", "Moved");
        h.put(series, moved);
        DestinationSyncService svc = service();
        assertThat(svc.runOnce(SyncHarness.NAME).outcome()).isEqualTo(SyncResult.Outcome.OK);
        // the master's UpdateItem (with the new Recurrence) goes through, its answer is lost: the retry finds the
        // rule already sent, and must still report the reset
        boolean[] lost = {false};
        DestinationSyncService flaky = h.service(intercepting(factory(), (e, result) -> {
            if (result != null && e.event().recurrenceId() == null && !lost[0]) {
                lost[0] = true;
                throw new io.chronoroute.providers.common.DestinationException(
                        io.chronoroute.providers.common.ErrorKind.TRANSIENT, "answerLost", "connection reset");
            }
        }), SyncHarness.config("ews"));
        h.put(series.toBuilder().rrules(List.of("FREQ=WEEKLY;COUNT=8;BYDAY=MO")).build());
        SyncResult r = flaky.runOnce(SyncHarness.NAME);
        assertThat(r.outcome()).as(r.message()).isEqualTo(SyncResult.Outcome.OK);
        assertThat(r.retries()).isEqualTo(1);
        assertThat(ews.journal().entries().stream().filter(e -> e.operation().equals("UpdateItem")
                && e.body().contains("calendar:Recurrence"))).hasSize(1);
        assertThat(overrideSubjects()).containsExactly("Moved");
        assertThat(flaky.runOnce(SyncHarness.NAME).writeCalls()).isZero();
    }

    @Test
    void crashAfterTheResetButBeforeTheOverridesWritesThemNextRun() {
        CalendarEvent series = weekly("crash-series", "2026-12-07T08:00");
        CalendarEvent moved = override(series, "2026-12-14T08:00", "2026-12-14T11:00", "Moved");
        CalendarEvent cancelled = override(series, "2026-12-21T08:00", "2026-12-21T08:00", "x").toBuilder()
                .status("CANCELLED").build();
        h.put(series, moved, cancelled);
        assertThat(service().runOnce(SyncHarness.NAME).outcome()).isEqualTo(SyncResult.Outcome.OK);
        String masterId = itemOf(series);
        // the process dies when the first override is about to be written again
        DestinationSyncService crashing = h.service(intercepting(factory(), (e, result) -> {
            if (result == null && e.event().recurrenceId() != null) {
                throw new Crash();
            }
        }), SyncHarness.config("ews"));
        h.put(series.toBuilder().rrules(List.of("FREQ=WEEKLY;COUNT=8;BYDAY=MO")).build());
        assertThatThrownBy(() -> crashing.runOnce(SyncHarness.NAME)).isInstanceOf(Crash.class);
        assertThat(overrideSubjects()).isEmpty(); // dropped with the rule, not yet written again
        DestinationSyncService svc = service();
        SyncResult r = svc.runOnce(SyncHarness.NAME);
        assertThat(r.outcome()).as(r.message()).isEqualTo(SyncResult.Outcome.OK);
        assertThat(overrideSubjects()).containsExactly("Moved");
        assertThat(ews.deletedOccurrences(masterId)).containsExactly(Instant.parse("2026-12-21T07:00:00Z"));
        assertThat(ews.occurrences(masterId, Instant.parse("2027-06-01T00:00:00Z"))).hasSize(7);
        assertThat(svc.runOnce(SyncHarness.NAME).writeCalls()).isZero();
    }

    /** Our items in a CalendarView over {@code [from, to)}, as the writer reads them (occurrences expanded). */
    private List<EwsXml.Item> calendarView(String from, String to) throws Exception {
        EwsClient client = new EwsClient(settings, write -> { });
        var msg = EwsClient.check(client.call("<m:FindItem Traversal=\"Shallow\"><m:ItemShape>"
                + "<t:BaseShape>AllProperties</t:BaseShape><t:AdditionalProperties>"
                + EwsXml.extUri(SET, "ChronorouteKey") + EwsXml.extUri(SET, "ChronorouteOwner")
                + "</t:AdditionalProperties></m:ItemShape><m:CalendarView MaxEntriesReturned=\"100\" StartDate=\""
                + from + "\" EndDate=\"" + to + "\"/><m:ParentFolderIds><t:DistinguishedFolderId Id=\"calendar\"/>"
                + "</m:ParentFolderIds></m:FindItem>", false).get(0));
        List<EwsXml.Item> out = new ArrayList<>();
        for (var ci : EwsClient.all(msg)) {
            if ("CalendarItem".equals(ci.getLocalName())) {
                EwsXml.Item it = EwsXml.item(ci, SET);
                if (SyncHarness.NAME.equals(it.tag("ChronorouteOwner"))) {
                    out.add(it);
                }
            }
        }
        return out;
    }

    @Test
    void removedRuleMakesTheSeriesASingleItem() throws Exception {
        // weekly Monday 08:00 Berlin from 12-07, six times, EXDATE 12-21, moved 12-14
        CalendarEvent series = weekly("unrec-series", "2026-12-07T08:00").toBuilder()
                .exdates(List.of(zoned("2026-12-21T08:00", "Europe/Berlin"))).build();
        CalendarEvent moved = override(series, "2026-12-14T08:00", "2026-12-14T11:00", "Moved");
        CalendarEvent other = event("unrec-other", "Other", "2026-12-08T10:00", "Europe/Berlin", 30);
        h.put(series, moved, other);
        DestinationSyncService svc = service();
        SyncResult first = svc.runOnce(SyncHarness.NAME);
        assertThat(first.outcome()).as(first.message()).isEqualTo(SyncResult.Outcome.OK);
        String masterId = itemOf(series);
        assertThat(ews.occurrences(masterId, Instant.parse("2027-06-01T00:00:00Z"))).hasSize(5);
        assertThat(ews.extendedProperty(masterId, SET, "ChronorouteRecurrence", "String")).isNotNull();

        // the source drops the rule, its EXDATE and its override: one UpdateItem turns the series into one item
        CalendarEvent single = series.toBuilder().rrules(List.of()).exdates(List.of()).build();
        h.put(single);
        h.delete(moved);
        long journalBefore = ews.journal().size();
        SyncResult r = svc.runOnce(SyncHarness.NAME);
        assertThat(r.outcome()).as(r.message()).isEqualTo(SyncResult.Outcome.OK);
        assertThat(r.parked()).isZero();
        assertThat(r.held()).isZero();
        assertThat(r.writeCalls()).isEqualTo(1);
        List<RequestJournal.Entry> updates = ews.journal().entries().stream().skip(journalBefore)
                .filter(e -> e.operation().equals("UpdateItem")).toList();
        assertThat(updates).singleElement().satisfies(e -> assertThat(e.body())
                .contains("<t:DeleteItemField><t:FieldURI FieldURI=\"calendar:Recurrence\"/></t:DeleteItemField>")
                .contains("PropertyName=\"ChronorouteRecurrence\"")
                .doesNotContain("<t:Recurrence>"));
        assertThat(itemOf(single)).isEqualTo(masterId);
        List<EwsXml.Item> view = calendarView("2026-12-01T00:00:00Z", "2027-02-01T00:00:00Z");
        assertThat(view).filteredOn(i -> SyncKey.identityOf(series).equals(i.tag("ChronorouteKey")))
                .singleElement().satisfies(i -> {
                    assertThat(i.id()).isEqualTo(masterId);
                    assertThat(i.type()).isEqualTo("Single");
                    assertThat(i.start()).isEqualTo(Instant.parse("2026-12-07T07:00:00Z"));
                });
        assertThat(ews.field(masterId, "Recurrence")).isNull();
        assertThat(ews.deletedOccurrences(masterId)).isEmpty();
        assertThat(ews.occurrences(masterId, Instant.parse("2027-06-01T00:00:00Z"))).isEmpty();
        // our tags intact, the recurrence tag gone
        assertThat(ews.extendedProperty(masterId, SET, "ChronorouteOwner", "String")).isEqualTo(SyncHarness.NAME);
        assertThat(ews.extendedProperty(masterId, SET, "ChronorouteKey", "String"))
                .isEqualTo(SyncKey.identityOf(series));
        assertThat(ews.extendedProperty(masterId, SET, "ChronorouteHash", "String"))
                .isEqualTo(ContentHash.of(single));
        assertThat(ews.extendedProperty(masterId, SET, "ChronorouteRecurrence", "String")).isNull();
        assertThat(overrideSubjects()).isEmpty();
        assertThat(svc.status(SyncHarness.NAME).parked()).isEmpty();
        assertThat(svc.status(SyncHarness.NAME).liveEvents()).isEqualTo(2);
        assertThat(svc.runOnce(SyncHarness.NAME).writeCalls()).isZero();
        assertThat(svc.runOnce(SyncHarness.NAME).writeCalls()).isZero();

        // and back: the rule again makes it a series (Recurrence set, tag back), its override written again
        h.put(series, moved);
        SyncResult back = svc.runOnce(SyncHarness.NAME);
        assertThat(back.outcome()).as(back.message()).isEqualTo(SyncResult.Outcome.OK);
        assertThat(back.parked()).isZero();
        assertThat(itemOf(series)).isEqualTo(masterId);
        assertThat(ews.occurrences(masterId, Instant.parse("2027-06-01T00:00:00Z")))
                .extracting(o -> o.originalStart().toString()).containsExactly("2026-12-07T07:00:00Z",
                        "2026-12-14T07:00:00Z", "2026-12-28T07:00:00Z", "2027-01-04T07:00:00Z",
                        "2027-01-11T07:00:00Z");
        assertThat(ews.deletedOccurrences(masterId)).containsExactly(Instant.parse("2026-12-21T07:00:00Z"));
        assertThat(ews.extendedProperty(masterId, SET, "ChronorouteRecurrence", "String")).isNotNull();
        assertThat(overrideSubjects()).containsExactly("Moved");
        assertThat(svc.runOnce(SyncHarness.NAME).writeCalls()).isZero();
        assertSendToNoneEverywhere();
    }

    @Test
    void overrideOfASeriesWhoseRuleWasRemovedIsParkedOnce() {
        CalendarEvent series = weekly("unrec-kept", "2026-12-07T08:00");
        CalendarEvent moved = override(series, "2026-12-14T08:00", "2026-12-14T11:00", "Moved");
        CalendarEvent cancelled = override(series, "2026-12-21T08:00", "2026-12-21T08:00", "x").toBuilder()
                .status("CANCELLED").build();
        h.put(series, moved, cancelled);
        DestinationSyncService svc = service();
        assertThat(svc.runOnce(SyncHarness.NAME).outcome()).isEqualTo(SyncResult.Outcome.OK);
        String masterId = itemOf(series);
        String movedId = SyncKey.identityOf(moved);

        // the rule goes, the overrides stay in the master store: the single item cannot hold them
        h.put(series.toBuilder().rrules(List.of()).build());
        SyncResult r = svc.runOnce(SyncHarness.NAME);
        assertThat(r.outcome()).as(r.message()).isEqualTo(SyncResult.Outcome.OK);
        assertThat(r.writeCalls()).isEqualTo(1); // the master's UpdateItem; nothing for the overrides
        assertThat(r.parked()).isEqualTo(1);
        assertThat(svc.status(SyncHarness.NAME).parked()).singleElement().satisfies(p -> {
            assertThat(p.identity()).isEqualTo(movedId);
            assertThat(p.reason()).isEqualTo("occurrenceMissing");
            assertThat(p.message()).contains("2026-12-14T07:00:00Z").contains("single appointment");
        });
        assertThat(ews.occurrences(masterId, Instant.parse("2027-06-01T00:00:00Z"))).isEmpty();
        assertThat(overrideSubjects()).isEmpty();
        assertThat(new DestinationMapping(h.store, SyncHarness.NAME).get(movedId))
                .hasValueSatisfying(m -> assertThat(m.deleted()).isTrue());

        // no loop: the next runs write nothing and keep it parked
        assertThat(svc.runOnce(SyncHarness.NAME).writeCalls()).isZero();
        assertThat(svc.runOnce(SyncHarness.NAME).writeCalls()).isZero();
        assertThat(svc.status(SyncHarness.NAME).parked()).extracting(DestinationStatus.ParkedView::identity)
                .containsExactly(movedId);
        // the source drops the overrides too: the park is cleared, still no write
        h.delete(moved, cancelled);
        SyncResult gone = svc.runOnce(SyncHarness.NAME);
        assertThat(gone.outcome()).as(gone.message()).isEqualTo(SyncResult.Outcome.OK);
        assertThat(gone.writeCalls()).isZero();
        assertThat(svc.status(SyncHarness.NAME).parked()).isEmpty();
        assertSendToNoneEverywhere();
    }

    @Test
    void deletionGuardHolds() {
        List<CalendarEvent> events = new ArrayList<>();
        for (int i = 0; i < 5; i++) {
            events.add(event("g" + i, "E" + i, "2026-12-0" + (i + 1) + "T09:00", "Europe/Berlin", 30));
        }
        h.put(events.toArray(CalendarEvent[]::new));
        DestinationSyncService svc = service();
        svc.runOnce(SyncHarness.NAME);
        h.delete(events.subList(0, 4).toArray(CalendarEvent[]::new));
        SyncResult held = svc.runOnce(SyncHarness.NAME);
        assertThat(held.held()).isEqualTo(4);
        assertThat(held.deleted()).isZero();
        assertThat(ours()).hasSize(5);
        assertThat(svc.confirmDeletions(SyncHarness.NAME).deleted()).isEqualTo(4);
        assertThat(ours()).hasSize(1);
        assertSendToNoneEverywhere();
    }

    @Test
    void recurrenceWithExceptionsAndDstRoundTrips() throws Exception {
        // weekly Monday 09:00 W. Europe across the end of DST (2026-10-25), one EXDATE, one moved, one cancelled
        CalendarEvent series = CalendarEvent.builder().uid("dst-series").title("Weekly")
                .start(zoned("2026-10-19T09:00", "Europe/Berlin")).end(zoned("2026-10-19T10:00", "Europe/Berlin"))
                .rrules(List.of("FREQ=WEEKLY;COUNT=6;BYDAY=MO"))
                .exdates(List.of(zoned("2026-11-02T09:00", "Europe/Berlin")))
                .status("CONFIRMED").origin(SyncHarness.origin("work")).build();
        CalendarEvent moved = override(series, "2026-10-26T09:00", "2026-10-26T13:00", "Moved after DST");
        CalendarEvent cancelled = override(series, "2026-11-09T09:00", "2026-11-09T09:00", "x").toBuilder()
                .status("CANCELLED").build();
        h.put(series, moved, cancelled);
        DestinationSyncService svc = service();
        SyncResult r = svc.runOnce(SyncHarness.NAME);
        assertThat(r.outcome()).as(r.message()).isEqualTo(SyncResult.Outcome.OK);
        String masterId = itemOf(series);
        assertThat(ews.field(masterId, "Start")).isEqualTo("2026-10-19T07:00:00Z");
        assertThat(ews.journal().entries().stream().filter(e -> e.operation().equals("CreateItem")).findFirst()
                .orElseThrow().body()).contains("StartTimeZone Id=\"W. Europe Standard Time\"")
                .contains("<t:DaysOfWeek>Monday</t:DaysOfWeek>");
        // read back through the writer: master + the moved exception with its own tags
        List<RemoteEvent> own = new ArrayList<>();
        writers.get(0).listOwn(own::add);
        assertThat(own).extracting(RemoteEvent::identity)
                .containsExactlyInAnyOrder(SyncKey.identityOf(series), SyncKey.identityOf(moved));
        RemoteEvent ex = own.stream().filter(e -> e.recurrenceId() != null).findFirst().orElseThrow();
        assertThat(ews.field(ex.remoteId(), "Start")).isEqualTo("2026-10-26T12:00:00Z"); // 13:00 CET (after DST)
        assertThat(ews.field(ex.remoteId(), "Subject")).isEqualTo("Moved after DST");
        assertThat(ex.seriesIdentity()).isEqualTo(SyncKey.identityOf(series));
        // the occurrence after DST keeps 09:00 local = 08:00Z; EXDATE and cancelled occurrence are gone
        assertThat(svc.runOnce(SyncHarness.NAME).writeCalls()).isZero();
        assertThat(svc.runOnce(SyncHarness.NAME).writeCalls()).isZero();
        // change the exception: one write, no repair of the master afterwards
        h.put(moved.toBuilder().title("Moved again").build());
        SyncResult changed = svc.runOnce(SyncHarness.NAME);
        assertThat(changed.writeCalls()).isEqualTo(1);
        assertThat(svc.runOnce(SyncHarness.NAME).writeCalls()).isZero();
        assertSendToNoneEverywhere();
    }

    @Test
    void foreignItemsAreNeverTouched() throws Exception {
        // a user's own appointment in the same calendar
        DestinationWriter raw = factory().create(new DestinationContext("someone-else", SyncHarness.config("ews"),
                h.store, h.clock, write -> { }));
        CalendarEvent mine = event("user-1", "Dentist", "2026-12-08T10:00", "Europe/Berlin", 60);
        raw.upsert(new DestinationEvent(SyncKey.identityOf(mine), mine, "h", null, null, null), null);
        String foreignId = ews.itemIds(ews.calendarFolderId()).get(0);
        CalendarEvent a = event("f-a", "A", "2026-12-09T10:00", "Europe/Berlin", 60);
        h.put(a);
        DestinationSyncService svc = service();
        svc.runOnce(SyncHarness.NAME);
        svc.reconcile(SyncHarness.NAME);
        h.delete(a);
        svc.runOnce(SyncHarness.NAME);
        assertThat(ews.itemIds(ews.calendarFolderId())).containsExactly(foreignId);
        assertThat(ews.field(foreignId, "Subject")).isEqualTo("Dentist");
        // a mapping pointing at a foreign item is refused (permanent), never a write
        DestinationWriter w = factory().create(new DestinationContext(SyncHarness.NAME, SyncHarness.config("ews"),
                h.store, h.clock, write -> { }));
        assertThatThrownBy(() -> w.delete(new DestinationEvent("x", null, null, null, null, null),
                new MappingEntry(foreignId, null, null, false, null, null, null)))
                .satisfies(t -> assertThat(w.classifier().classify(t).reason()).isEqualTo("foreignItem"));
        assertThat(ews.itemIds(ews.calendarFolderId())).containsExactly(foreignId);
    }

    @Test
    void invalidSyncStateMeansFullResync() throws Exception {
        h.put(event("s-a", "A", "2026-12-10T10:00", "Europe/Berlin", 60));
        DestinationSyncService svc = service();
        svc.runOnce(SyncHarness.NAME);
        DestinationMapping mapping = new DestinationMapping(h.store, SyncHarness.NAME);
        var st = mapping.loadState();
        assertThat(st.cursor).isNotBlank();
        st.cursor = "bogus";
        mapping.saveState(st);
        SyncResult r = svc.runOnce(SyncHarness.NAME);
        assertThat(r.outcome()).as(r.message()).isEqualTo(SyncResult.Outcome.OK);
        assertThat(r.fullReconcile()).isTrue();
        assertThat(r.writeCalls()).isZero();
    }

    // ------------------------------------------------------------------------------------------------ helpers

    private static CalendarEvent weekly(String uid, String startLocal) {
        return CalendarEvent.builder().uid(uid).title("Series " + uid).start(zoned(startLocal, "Europe/Berlin"))
                .end(EventTime.ofInstant(zoned(startLocal, "Europe/Berlin").instant().plusSeconds(1800),
                        "Europe/Berlin"))
                .rrules(List.of("FREQ=WEEKLY;COUNT=6;BYDAY=MO")).status("CONFIRMED")
                .origin(SyncHarness.origin("work")).build();
    }

    private static CalendarEvent override(CalendarEvent master, String rid, String newStart, String title) {
        EventTime start = zoned(newStart, "Europe/Berlin");
        return CalendarEvent.builder().uid(master.uid()).recurrenceId(zoned(rid, "Europe/Berlin")).title(title)
                .start(start).end(EventTime.ofInstant(start.instant().plusSeconds(1800), "Europe/Berlin"))
                .status("CONFIRMED").origin(master.origin()).build();
    }

    static final class Crash extends Error {
        Crash() {
            super("simulated crash after CreateItem, before the mapping update");
        }
    }

    private static DestinationWriterFactory crashing(DestinationWriterFactory real) {
        return new DestinationWriterFactory() {
            @Override
            public String type() {
                return "ews";
            }

            @Override
            public DestinationWriter create(DestinationContext context) {
                DestinationWriter w = real.create(context);
                return new DestinationWriter() {
                    @Override
                    public WriteResult upsert(DestinationEvent event, MappingEntry current) throws Exception {
                        w.upsert(event, current);
                        throw new Crash();
                    }

                    @Override
                    public void delete(DestinationEvent event, MappingEntry current) throws Exception {
                        w.delete(event, current);
                    }

                    @Override
                    public void listOwn(Consumer<RemoteEvent> sink) throws Exception {
                        w.listOwn(sink);
                    }

                    @Override
                    public RemoteChanges readChanges(String cursor) throws Exception {
                        return w.readChanges(cursor);
                    }

                    @Override
                    public io.chronoroute.providers.common.DestinationErrorClassifier classifier() {
                        return w.classifier();
                    }
                };
            }
        };
    }

    /** Called before each upsert ({@code result} null) and after a successful one. */
    @FunctionalInterface
    interface UpsertHook {
        void on(DestinationEvent event, WriteResult result) throws Exception;
    }

    private static DestinationWriterFactory intercepting(DestinationWriterFactory real, UpsertHook hook) {
        return new DestinationWriterFactory() {
            @Override
            public String type() {
                return "ews";
            }

            @Override
            public DestinationWriter create(DestinationContext context) {
                DestinationWriter w = real.create(context);
                return new DestinationWriter() {
                    @Override
                    public WriteResult upsert(DestinationEvent event, MappingEntry current) throws Exception {
                        hook.on(event, null);
                        WriteResult r = w.upsert(event, current);
                        hook.on(event, r);
                        return r;
                    }

                    @Override
                    public void delete(DestinationEvent event, MappingEntry current) throws Exception {
                        w.delete(event, current);
                    }

                    @Override
                    public void listOwn(Consumer<RemoteEvent> sink) throws Exception {
                        w.listOwn(sink);
                    }

                    @Override
                    public RemoteChanges readChanges(String cursor) throws Exception {
                        return w.readChanges(cursor);
                    }

                    @Override
                    public io.chronoroute.providers.common.DestinationErrorClassifier classifier() {
                        return w.classifier();
                    }
                };
            }
        };
    }

    @SuppressWarnings("unused")
    private static Instant at(String s) {
        return Instant.parse(s);
    }
}
