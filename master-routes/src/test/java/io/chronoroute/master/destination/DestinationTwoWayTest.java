package io.chronoroute.master.destination;

import io.chronoroute.master.destination.caldav.SyncHarness;
import io.chronoroute.master.ingest.OriginChange;
import io.chronoroute.master.ingest.OriginResult;
import io.chronoroute.processors.model.Attendee;
import io.chronoroute.processors.model.CalendarEvent;
import io.chronoroute.processors.model.EventTime;
import io.chronoroute.processors.sync.ContentHash;
import io.chronoroute.processors.sync.SyncKey;
import io.chronoroute.processors.wire.WireJson;
import io.chronoroute.providers.common.DestinationErrorClassifier;
import io.chronoroute.providers.common.DestinationException;
import io.chronoroute.providers.common.ErrorKind;
import io.chronoroute.providers.google.GoogleErrorClassifier;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.time.Instant;
import java.time.LocalDateTime;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * Two-way sync in the sync service itself ({@link DestinationEdits}), with an in-memory destination
 * ({@link MemoryWriter}, which writes title, location, start and end only) and a recording ingest.
 */
class DestinationTwoWayTest {

    private static final Instant EDITED_AT = Instant.parse("2026-11-22T09:30:00Z");

    private SyncHarness h;
    private MemoryWriter writer;
    private RecordingIngest ingest;
    private CalendarEvent meeting;
    private String id;

    @BeforeEach
    void setUp() throws Exception {
        h = new SyncHarness();
        writer = new MemoryWriter();
        ingest = new RecordingIngest(h);
        meeting = SyncHarness.event("m-1", "Planning", "2026-12-01T09:00", "Europe/Berlin", 60).toBuilder()
                .description("agenda").location("Room 1")
                .attendees(List.of(new Attendee("a@example.org", "A", "REQ-PARTICIPANT", "ACCEPTED")))
                .sequence(2).build();
        id = h.put(meeting).get(0);
    }

    @AfterEach
    void tearDown() {
        h.close();
    }

    private DestinationSyncService service(DestinationConfig config) {
        DestinationSyncService svc = h.service(MemoryWriter.factory(writer), config, ingest);
        SyncResult first = svc.runOnce(SyncHarness.NAME);
        assertThat(first.outcome()).as(first.message()).isEqualTo(SyncResult.Outcome.OK);
        assertThat(first.inserted()).isEqualTo(1);
        writer.log.clear();
        return svc;
    }

    private DestinationSyncService service() {
        return service(SyncHarness.config("memory"));
    }

    private SyncResult run(DestinationSyncService svc) {
        SyncResult r = svc.runOnce(SyncHarness.NAME);
        assertThat(r.outcome()).as(r.message()).isEqualTo(SyncResult.Outcome.OK);
        return r;
    }

    private CalendarEvent consolidated() {
        return WireJson.fromJson(h.store.findConsolidated(id).orElseThrow().eventJson());
    }

    private MappingEntry mapping(String identity) {
        return new DestinationMapping(h.store, SyncHarness.NAME).get(identity).orElseThrow();
    }

    @Test
    void anEditOfOurEventIsOneChangeWithOnlyTheWrittenFieldsTakenAndNothingIsWrittenBack() {
        DestinationSyncService svc = service();
        String baseHash = ContentHash.of(meeting);
        CalendarEvent before = consolidated();
        writer.userEdit(id, e -> e.toBuilder().title("Planning (moved)").build(), EDITED_AT);

        SyncResult r = run(svc);
        assertThat(r.writeCalls()).isZero();
        assertThat(writer.log).isEmpty();
        assertThat(ingest.calls).singleElement().satisfies(c -> {
            assertThat(c.origin()).isEqualTo("destination:" + SyncHarness.NAME);
            assertThat(c.changes()).singleElement().satisfies(ch -> {
                assertThat(ch.identity()).isEqualTo(id);
                assertThat(ch.baseHash()).isEqualTo(baseHash);
                assertThat(ch.modified()).isEqualTo(EDITED_AT);
                assertThat(ch.createTarget()).isNull();
                // the edited field from the destination, everything it does not write from the consolidated event
                assertThat(ch.event()).isEqualTo(before.toBuilder().title("Planning (moved)").build());
                assertThat(ch.event().attendees()).isEqualTo(meeting.attendees());
                assertThat(ch.event().description()).isEqualTo("agenda");
                assertThat(ch.event().sequence()).isEqualTo(2);
            });
        });
        assertThat(consolidated().title()).isEqualTo("Planning (moved)");
        assertThat(mapping(id).contentHash()).isEqualTo(h.store.findConsolidated(id).orElseThrow().contentHash());
        assertThat(mapping(id).version()).isEqualTo(writer.byIdentity(id).version());

        // the ingest's change reaches the change log: the next runs write nothing and hand nothing over
        for (int i = 0; i < 3; i++) {
            assertThat(run(svc).writeCalls()).isZero();
        }
        assertThat(ingest.calls).hasSize(1);
        assertThat(writer.log).isEmpty();
    }

    @Test
    void aChangeOfAFieldWeNeverWriteIsNoEditOnlyTheNewVersionIsAdopted() {
        DestinationSyncService svc = service();
        String hashBefore = mapping(id).contentHash();
        // the destination shows a different description (say a reminder or colour changed): not a field we write
        writer.userEdit(id, e -> e.toBuilder().description("changed in the destination").build(), EDITED_AT);
        SyncResult r = run(svc);
        assertThat(r.writeCalls()).isZero();
        assertThat(ingest.calls).isEmpty();
        assertThat(mapping(id).version()).isEqualTo(writer.byIdentity(id).version());
        assertThat(mapping(id).contentHash()).isEqualTo(hashBefore);
        assertThat(run(svc).writeCalls()).isZero();
        assertThat(writer.log).isEmpty();
    }

    @Test
    void ourOwnWriteEchoedWithTheSameContentIsNoEdit() {
        DestinationSyncService svc = service();
        writer.userEdit(id, e -> e, EDITED_AT); // new version, same content (e.g. the provider touched it)
        assertThat(run(svc).writeCalls()).isZero();
        assertThat(ingest.calls).isEmpty();
    }

    @Test
    void aDeleteInTheDestinationIsADeleteChange() {
        DestinationSyncService svc = service();
        long live = svc.status(SyncHarness.NAME).liveEvents();
        writer.userDelete(id, EDITED_AT);
        SyncResult r = run(svc);
        assertThat(r.writeCalls()).isZero();
        assertThat(ingest.changes()).singleElement().satisfies(ch -> {
            assertThat(ch.identity()).isEqualTo(id);
            assertThat(ch.delete()).isTrue();
            assertThat(ch.baseHash()).isEqualTo(ContentHash.of(meeting));
            assertThat(ch.modified()).isEqualTo(EDITED_AT);
        });
        assertThat(h.store.findConsolidated(id).orElseThrow().deleted()).isTrue();
        assertThat(mapping(id).deleted()).isTrue();
        assertThat(svc.status(SyncHarness.NAME).liveEvents()).isEqualTo(live - 1);
        assertThat(run(svc).writeCalls()).isZero();
        assertThat(writer.log).isEmpty();
    }

    @Test
    void keptCurrentAndRejectedAreRepairedAsInOneWaySync() {
        for (OriginResult.Outcome outcome : List.of(OriginResult.Outcome.KEPT_CURRENT,
                OriginResult.Outcome.REJECTED)) {
            writer.log.clear();
            ingest.calls.clear();
            ingest.decide = c -> outcome;
            DestinationSyncService svc = h.service(MemoryWriter.factory(writer), SyncHarness.config("memory"),
                    ingest);
            run(svc);
            writer.userEdit(id, e -> e.toBuilder().title("Hacked").build(), EDITED_AT);
            SyncResult r = run(svc);
            assertThat(ingest.calls).as(outcome.name()).hasSize(1);
            assertThat(r.updated()).as(outcome.name()).isEqualTo(1);
            assertThat(writer.byIdentity(id).event().title()).isEqualTo("Planning");
            assertThat(run(svc).writeCalls()).isZero();
            svc.close();
        }
    }

    @Test
    void aDeleteKeptCurrentIsRecreated() {
        ingest.decide = c -> OriginResult.Outcome.KEPT_CURRENT;
        DestinationSyncService svc = service();
        writer.userDelete(id, EDITED_AT);
        SyncResult r = run(svc);
        assertThat(r.writes()).isEqualTo(1);
        assertThat(writer.byIdentity(id).deleted()).isFalse();
        assertThat(run(svc).writeCalls()).isZero();
    }

    @Test
    void aParkedEditIsLeftAsItIs() {
        ingest.decide = c -> OriginResult.Outcome.PARKED;
        DestinationSyncService svc = service();
        writer.userEdit(id, e -> e.toBuilder().title("Theirs").build(), EDITED_AT);
        assertThat(run(svc).writeCalls()).isZero();
        assertThat(writer.byIdentity(id).event().title()).isEqualTo("Theirs");
        assertThat(consolidated().title()).isEqualTo("Planning");
        assertThat(run(svc).writeCalls()).isZero();
        assertThat(writer.byIdentity(id).event().title()).isEqualTo("Theirs");
    }

    @Test
    void oneWayRepairsAndNeverCallsTheIngest() {
        DestinationSyncService svc = service(SyncHarness.config("memory").withDirection("one-way", null));
        writer.userEdit(id, e -> e.toBuilder().title("Hacked").build(), EDITED_AT);
        SyncResult r = run(svc);
        assertThat(r.updated()).isEqualTo(1);
        assertThat(writer.byIdentity(id).event().title()).isEqualTo("Planning");
        writer.userDelete(id, EDITED_AT);
        assertThat(run(svc).writes()).isEqualTo(1);
        assertThat(writer.byIdentity(id).deleted()).isFalse();
        assertThat(ingest.calls).isEmpty();
    }

    @Test
    void withoutAnIngestEveryDestinationIsOneWay() {
        DestinationSyncService svc = h.service(MemoryWriter.factory(writer), SyncHarness.config("memory"));
        run(svc);
        writer.userEdit(id, e -> e.toBuilder().title("Hacked").build(), EDITED_AT);
        assertThat(run(svc).updated()).isEqualTo(1);
        assertThat(writer.byIdentity(id).event().title()).isEqualTo("Planning");
    }

    @Test
    void allChangesOfOneRunGoToTheIngestInOneCall() {
        CalendarEvent b = SyncHarness.event("m-2", "Review", "2026-12-02T09:00", "Europe/Berlin", 30);
        CalendarEvent c = SyncHarness.event("m-3", "Retro", "2026-12-03T09:00", "Europe/Berlin", 30);
        h.put(b, c);
        DestinationSyncService svc = h.service(MemoryWriter.factory(writer), SyncHarness.config("memory"), ingest);
        run(svc);
        writer.userEdit(id, e -> e.toBuilder().location("Room 2").build(), EDITED_AT);
        writer.userEdit(SyncKey.identityOf(b), e -> e.toBuilder().start(shift(e.start())).end(shift(e.end()))
                .build(), EDITED_AT);
        writer.userDelete(SyncKey.identityOf(c), EDITED_AT);
        writer.log.clear();
        SyncResult r = run(svc);
        assertThat(ingest.calls).singleElement().satisfies(call -> assertThat(call.changes())
                .extracting(OriginChange::identity)
                .containsExactly(id, SyncKey.identityOf(b), SyncKey.identityOf(c)));
        assertThat(r.writeCalls()).isZero();
        assertThat(run(svc).writeCalls()).isZero();
        assertThat(writer.log).isEmpty();
    }

    @Test
    void anEventCreatedInTheDestinationIsCreatedAtTheTargetAndTakenOverWithoutADuplicate() {
        DestinationSyncService svc = service(SyncHarness.config("memory").withDirection("two-way", "agent1/work"));
        CalendarEvent created = CalendarEvent.builder().uid("user-made").title("Lunch")
                .start(EventTime.ofZoned(LocalDateTime.parse("2026-12-04T12:00"), java.time.ZoneId.of("Europe/Berlin")))
                .end(EventTime.ofZoned(LocalDateTime.parse("2026-12-04T13:00"), java.time.ZoneId.of("Europe/Berlin")))
                .build();
        String remoteId = writer.userCreate(created, EDITED_AT);
        int objects = writer.objects.size();
        SyncResult r = run(svc);
        String createdId = SyncKey.identityOf(created);
        assertThat(ingest.changes()).singleElement().satisfies(ch -> {
            assertThat(ch.identity()).isEqualTo(createdId);
            assertThat(ch.createTarget()).isEqualTo("agent1/work");
            assertThat(ch.baseHash()).isNull();
            assertThat(ch.event()).isEqualTo(created);
            assertThat(ch.modified()).isEqualTo(EDITED_AT);
        });
        // ours now: that very object is written (tagged), no second one
        assertThat(r.inserted()).isZero();
        assertThat(r.updated()).isEqualTo(1);
        assertThat(writer.objects).hasSize(objects);
        assertThat(writer.objects.get(remoteId).identity()).isEqualTo(createdId);
        assertThat(mapping(createdId).remoteId()).isEqualTo(remoteId);
        assertThat(run(svc).writeCalls()).isZero();
        assertThat(ingest.calls).hasSize(1);
    }

    @Test
    void anEventCreatedInTheDestinationWithoutCreateTargetStaysForeign() {
        DestinationSyncService svc = service();
        CalendarEvent created = CalendarEvent.builder().uid("user-made").title("Lunch")
                .start(EventTime.ofDate(java.time.LocalDate.parse("2026-12-04"))).build();
        String remoteId = writer.userCreate(created, EDITED_AT);
        assertThat(run(svc).writeCalls()).isZero();
        assertThat(ingest.calls).isEmpty();
        assertThat(writer.objects.get(remoteId).identity()).isNull();
        assertThat(writer.objects.get(remoteId).event()).isEqualTo(created);
    }

    @Test
    void theDeletionGuardStillHoldsMassDeletionsTheMasterWrites() {
        CalendarEvent[] more = new CalendarEvent[4];
        for (int i = 0; i < more.length; i++) {
            more[i] = SyncHarness.event("g-" + i, "G" + i, "2026-12-0" + (i + 1) + "T10:00", "Europe/Berlin", 30);
        }
        h.put(more);
        DestinationSyncService svc = h.service(MemoryWriter.factory(writer), SyncHarness.config("memory"), ingest);
        run(svc);
        h.delete(more);
        SyncResult r = run(svc);
        assertThat(r.deleted()).isZero();
        assertThat(r.held()).isEqualTo(4);
        assertThat(ingest.calls).isEmpty();
    }

    @Test
    void renameCallsTheWriterRecordsTheNameAndCountsAWrite() {
        DestinationSyncService svc = service();
        long before = svc.status(SyncHarness.NAME).totalWrites();
        svc.renameCalendar(SyncHarness.NAME, "Team calendar");
        assertThat(writer.renamed).containsExactly("Team calendar");
        assertThat(svc.status(SyncHarness.NAME).totalWrites()).isEqualTo(before + 1);
        assertThat(h.store.getSetting(DestinationMapping.settingPrefix(SyncHarness.NAME) + "display-name"))
                .contains("Team calendar");
        assertThatThrownBy(() -> svc.renameCalendar(SyncHarness.NAME, " "))
                .isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> svc.renameCalendar("nope", "X")).isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void directionAndCreateTargetAreChecked() {
        DestinationConfig d = DestinationConfig.defaults("memory");
        assertThat(d.twoWay()).isTrue();
        assertThat(d.createTarget()).isNull();
        assertThat(d.withDirection("ONE-WAY", null).twoWay()).isFalse();
        assertThatThrownBy(() -> d.withDirection("both", null)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> d.withDirection("two-way", "no-slash")).isInstanceOf(IllegalArgumentException.class);
        assertThat(d.withDirection(null, " agent1/work ").createTarget()).isEqualTo("agent1/work");
    }

    @Test
    void googlesDailyQuotaResetsAtMidnightPacificOtherQuotasHaveNoFixedReset() {
        GoogleErrorClassifier google = new GoogleErrorClassifier();
        Instant now = Instant.parse("2026-11-22T20:00:00Z"); // 12:00 in Los Angeles
        assertThat(google.quotaResetAfter(new DestinationException(ErrorKind.QUOTA, "dailyLimitExceeded", "x"), now))
                .isEqualTo(Instant.parse("2026-11-23T08:00:00Z"));
        assertThat(google.quotaResetAfter(new DestinationException(ErrorKind.QUOTA, "quotaExceeded", "x"), now))
                .isNull();
        assertThat(DestinationErrorClassifier.GENERIC.quotaResetAfter(
                new DestinationException(ErrorKind.QUOTA, "dailyLimitExceeded", "x"), now)).isNull();
    }

    private static EventTime shift(EventTime t) {
        return EventTime.ofInstant(t.instant().plusSeconds(3600), t.zone());
    }
}
