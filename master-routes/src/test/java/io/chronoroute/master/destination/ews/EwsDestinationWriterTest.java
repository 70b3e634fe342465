package io.chronoroute.master.destination.ews;

import io.chronoroute.master.destination.DestinationContext;
import io.chronoroute.master.destination.DestinationEvent;
import io.chronoroute.master.destination.DestinationMapping;
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
import io.chronoroute.testsupport.ews.FakeEwsServer;
import io.chronoroute.testsupport.RequestJournal;
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
        // a changed rule is still sent (and, as on Exchange, the fake then drops the exceptions)
        h.put(series.toBuilder().title("Renamed series").rrules(List.of("FREQ=WEEKLY;COUNT=8;BYDAY=MO")).build());
        SyncResult third = svc.runOnce(SyncHarness.NAME);
        assertThat(third.outcome()).as(third.message()).isEqualTo(SyncResult.Outcome.OK);
        updates = ews.journal().entries().stream().filter(e -> e.operation().equals("UpdateItem")).toList();
        assertThat(updates.get(updates.size() - 1).body()).contains("calendar:Recurrence");
        assertThat(overrideSubjects()).isEmpty(); // the fake mirrors Exchange: exceptions dropped with the rule
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
                    public io.chronoroute.master.destination.DestinationErrorClassifier classifier() {
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
