package io.chronoroute.master.destination.google;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.chronoroute.master.destination.BatchingWriter;
import io.chronoroute.master.destination.DestinationContext;
import io.chronoroute.master.destination.DestinationEvent;
import io.chronoroute.master.destination.DestinationMapping;
import io.chronoroute.master.destination.DestinationStatus;
import io.chronoroute.master.destination.DestinationWriter;
import io.chronoroute.master.destination.DestinationWriterFactory;
import io.chronoroute.master.destination.MappingEntry;
import io.chronoroute.master.destination.RemoteChanges;
import io.chronoroute.master.destination.RemoteEvent;
import io.chronoroute.master.destination.SyncResult;
import io.chronoroute.master.destination.WriteResult;
import io.chronoroute.processors.model.CalendarEvent;
import io.chronoroute.processors.model.EventTime;
import io.chronoroute.processors.sync.ContentHash;
import io.chronoroute.processors.sync.SyncKey;
import io.chronoroute.providers.common.DestinationErrorClassifier;
import io.chronoroute.testsupport.RequestJournal;
import io.chronoroute.testsupport.google.GoogleWrite;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.time.Instant;
import java.time.LocalDateTime;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Consumer;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assertions.assertThrows;

/**
 * The Google destination's batch requests ({@code POST batch/calendar/v3}) against the stateful fake over real HTTP:
 * what goes into a batch, one token per part, and each part booked, retried, parked or handed to the single-call
 * path on its own.
 */
class GoogleBatchSyncTest {

    private static final String NAME = GoogleKit.NAME;
    private GoogleKit kit;

    @BeforeEach
    void setUp() throws Exception {
        kit = new GoogleKit();
    }

    @AfterEach
    void tearDown() throws Exception {
        kit.close();
    }

    private List<CalendarEvent> seed(int n, String prefix) {
        List<CalendarEvent> out = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            CalendarEvent e = GoogleKit.event(prefix + "-" + i + "@example.com", "outlook",
                    LocalDateTime.of(2025, 10, 6 + i % 20, 9 + i % 8, 0), 45).build();
            kit.put(e);
            out.add(e);
        }
        return out;
    }

    private long batches() {
        return kit.fake.count("batch");
    }

    private void assertEachOnce(List<CalendarEvent> events) {
        for (CalendarEvent e : events) {
            assertThat(kit.withKey(SyncKey.identityOf(e))).as(e.uid()).isEqualTo(1);
        }
    }

    @Test
    void initialSyncGoesOutInBatchesAndASecondRunWritesNothing() {
        List<CalendarEvent> events = seed(120, "bulk");

        SyncResult first = kit.service().runOnce(NAME);
        assertThat(first.outcome()).isEqualTo(SyncResult.Outcome.OK);
        assertThat(first.inserted()).isEqualTo(120);
        assertThat(first.writeCalls()).isEqualTo(120);
        // 50 + 50 + 20 parts: 3 batch requests carry the 120 inserts; the rest are the reconcile's two reads
        assertThat(batches()).isEqualTo(3);
        assertThat(kit.fake.count("events.insert")).isEqualTo(120);
        assertThat(kit.fake.httpRequests()).isEqualTo(5);
        assertThat(kit.fake.journal().matching(e -> e.operation().equals("batch")))
                .extracting(RequestJournal.Entry::path).containsOnly("/batch/calendar/v3");

        // same guarantees as single calls: deterministic ids, our tags, no invitations
        assertThat(kit.fake.writes()).extracting(GoogleWrite::sendUpdates).containsOnly("none");
        assertThat(kit.fake.journal().matching(e -> e.operation().equals("events.insert")))
                .allSatisfy(e -> assertThat(e.query()).contains("sendUpdates=none"));
        for (CalendarEvent e : events) {
            String identity = SyncKey.identityOf(e);
            ObjectNode stored = kit.byId(GoogleIds.eventId(identity));
            assertThat(stored.path("extendedProperties").path("private").path(GoogleEventMapper.KEY).asText())
                    .isEqualTo(identity);
            assertThat(stored.path("extendedProperties").path("private").path(GoogleEventMapper.OWNER).asText())
                    .isEqualTo(NAME);
            assertThat(stored.path("extendedProperties").path("private").path(GoogleEventMapper.HASH).asText())
                    .isEqualTo(ContentHash.of(e));
            assertThat(stored.has("attendees")).isFalse();
        }
        assertThat(kit.stored()).hasSize(120);

        SyncResult second = kit.service().runOnce(NAME);
        assertThat(second.outcome()).isEqualTo(SyncResult.Outcome.OK);
        assertThat(second.writeCalls()).isZero();
        assertThat(batches()).isEqualTo(3);

        // three edits and two removals (2 of 120 pass the guard): one batch of updates, one of deletes
        for (CalendarEvent e : events.subList(0, 3)) {
            kit.put(e.toBuilder().title("Edited " + e.uid()).build());
        }
        events.subList(3, 5).forEach(kit::remove);
        SyncResult third = kit.service().runOnce(NAME);
        assertThat(third.outcome()).isEqualTo(SyncResult.Outcome.OK);
        assertThat(third.updated()).isEqualTo(3);
        assertThat(third.deleted()).isEqualTo(2);
        assertThat(third.writeCalls()).isEqualTo(5);
        assertThat(batches()).isEqualTo(5);
        assertThat(kit.byId(GoogleIds.eventId(SyncKey.identityOf(events.get(0)))).path("summary").asText())
                .startsWith("Edited");
        assertThat(kit.live()).hasSize(118);
        assertThat(kit.service().runOnce(NAME).writeCalls()).isZero();
        assertThat(kit.service().status(NAME).liveEvents()).isEqualTo(118);
    }

    @Test
    void overridesOfASeriesAreBatchedAfterTheirMasterAndResetInABatch() {
        LocalDateTime first = LocalDateTime.of(2025, 10, 6, 9, 0);
        CalendarEvent master = GoogleKit.event("weekly@example.com", "outlook", first, 60).title("Weekly")
                .rrules(List.of("FREQ=WEEKLY;BYDAY=MO;COUNT=8")).build();
        List<CalendarEvent> overrides = new ArrayList<>();
        for (int week = 1; week <= 3; week++) {
            EventTime rid = EventTime.ofZoned(first.plusWeeks(week), GoogleKit.BERLIN);
            overrides.add(GoogleKit.event("weekly@example.com", "outlook", first.plusWeeks(week).plusHours(2), 60)
                    .title("Moved " + week).recurrenceId(rid).build());
        }
        overrides.forEach(kit::put); // the overrides arrive first: the master is still written before them
        String masterId = GoogleIds.eventId(kit.put(master));
        seed(2, "single"); // so the master goes in a batch too

        SyncResult r = kit.service().runOnce(NAME);
        assertThat(r.outcome()).isEqualTo(SyncResult.Outcome.OK);
        assertThat(r.inserted()).isEqualTo(3);
        assertThat(r.updated()).isEqualTo(3);
        assertThat(batches()).isEqualTo(2); // master + 2 singles, then the 3 instance updates
        String[] suffix = {"20251013T070000Z", "20251020T070000Z", "20251027T080000Z"};
        for (int i = 0; i < 3; i++) {
            ObjectNode inst = kit.byId(masterId + "_" + suffix[i]);
            assertThat(inst.path("summary").asText()).isEqualTo("Moved " + (i + 1));
            assertThat(inst.path("recurringEventId").asText()).isEqualTo(masterId);
            assertThat(inst.path("extendedProperties").path("private").path(GoogleEventMapper.KEY).asText())
                    .isEqualTo(SyncKey.identityOf(overrides.get(i)));
        }
        assertThat(kit.service().runOnce(NAME).writeCalls()).isZero();

        // two exceptions go away: both occurrences are put back to the series in one batch (held first: 2 of 6)
        overrides.subList(0, 2).forEach(kit::remove);
        assertThat(kit.service().runOnce(NAME).held()).isEqualTo(2);
        SyncResult reset = kit.service().confirmDeletions(NAME);
        assertThat(reset.deleted()).isEqualTo(2);
        assertThat(batches()).isEqualTo(3);
        assertThat(kit.byId(masterId + "_" + suffix[0]).path("summary").asText()).isEqualTo("Weekly");
        assertThat(kit.byId(masterId + "_" + suffix[1]).path("start").path("dateTime").asText())
                .isEqualTo("2025-10-20T09:00:00.000+02:00");
        assertThat(kit.byId(masterId + "_" + suffix[2]).path("summary").asText()).isEqualTo("Moved 3");
        assertThat(kit.service().runOnce(NAME).writeCalls()).isZero();
    }

    @Test
    void batchSizeIsConfigurableAndZeroMeansOneRequestPerWrite() {
        seed(30, "cfg");
        kit.config = kit.config.withBatchSize(0);
        SyncResult r = kit.service().runOnce(NAME);
        assertThat(r.inserted()).isEqualTo(30);
        assertThat(batches()).isZero();
        assertThat(kit.fake.httpRequests()).isEqualTo(32);
    }

    @Test
    void batchSizeTwelveSplitsThirtyWritesIntoThreeBatches() {
        seed(30, "cfg");
        kit.config = kit.config.withBatchSize(12);
        SyncResult r = kit.service().runOnce(NAME);
        assertThat(r.inserted()).isEqualTo(30);
        assertThat(batches()).isEqualTo(3);
        assertThat(kit.fake.httpRequests()).isEqualTo(5);
    }

    @Test
    void everyBatchPartTakesOneTokenOfTheRateLimit() {
        kit.config = kit.config.withRate(10, 10, 8);
        seed(60, "rate");
        Instant start = kit.clock.instant();

        SyncResult r = kit.service().runOnce(NAME);
        assertThat(r.outcome()).isEqualTo(SyncResult.Outcome.OK);
        assertThat(r.apiCalls()).isEqualTo(62); // list own + baseline sync token + 60 parts
        assertThat(r.writeCalls()).isEqualTo(60);
        assertThat(batches()).isEqualTo(2);
        // bucket of 10 refilling at 10/s: the first batch (50 parts) leaves after 2 + 50 - 10 tokens = 4.2 s,
        // the second (10 parts) after 5.2 s
        List<Instant> sent = kit.fake.journal().matching(e -> e.operation().equals("batch")).stream()
                .map(RequestJournal.Entry::at).toList();
        assertThat(Duration.between(start, sent.get(0))).isBetween(Duration.ofMillis(4190), Duration.ofMillis(4300));
        assertThat(Duration.between(start, sent.get(1))).isBetween(Duration.ofMillis(5190), Duration.ofMillis(5300));
    }

    @Test
    void partsFailingWith429And400AreRetriedOrParkedWithoutRedoingTheOthers() {
        List<CalendarEvent> events = seed(6, "mixed");
        kit.fake.failNextWrites(2, 429, "rateLimitExceeded", 3);
        kit.fake.failNextWrites(1, 400, "invalid", 0);

        SyncResult r = kit.service().runOnce(NAME);
        assertThat(r.outcome()).isEqualTo(SyncResult.Outcome.OK);
        assertThat(r.inserted()).isEqualTo(5);
        assertThat(r.parked()).isEqualTo(1);
        assertThat(r.retries()).isEqualTo(2);
        // 6 parts, then only the two rate-limited ones again (a batch of 2), after their Retry-After
        assertThat(batches()).isEqualTo(2);
        assertThat(kit.fake.count("events.insert")).isEqualTo(8);
        assertThat(kit.sleeper.waits()).singleElement()
                .satisfies(d -> assertThat(d).isBetween(Duration.ofSeconds(3), Duration.ofMillis(3300)));
        DestinationStatus s = kit.service().status(NAME);
        assertThat(s.parked()).singleElement().satisfies(p -> {
            assertThat(p.reason()).isEqualTo("invalid");
            assertThat(p.operation()).isEqualTo("upsert");
        });
        assertThat(kit.live()).hasSize(5);
        assertThat(kit.stored()).hasSize(5);
        for (CalendarEvent e : events) {
            assertThat(kit.withKey(SyncKey.identityOf(e))).isLessThanOrEqualTo(1);
        }

        SyncResult again = kit.service().runOnce(NAME);
        assertThat(again.writeCalls()).isZero(); // the parked event waits for a new version
        assertThat(again.outcome()).isEqualTo(SyncResult.Outcome.OK);
    }

    @Test
    void insertPartsAnswering409GoThroughTheSingleCallPath() throws Exception {
        List<CalendarEvent> events = seed(4, "lost");
        assertThat(kit.service().runOnce(NAME).inserted()).isEqualTo(4);
        assertThat(kit.service().runOnce(NAME).writeCalls()).isZero(); // the change cursor is past our inserts now
        // three mapping entries lost (a store restored from an older copy) while their events changed: the batch
        // inserts them with their ids, meets 409, and the single path checks our tag and updates
        DestinationMapping mapping = new DestinationMapping(kit.store, NAME);
        for (CalendarEvent e : events.subList(0, 3)) {
            mapping.remove(SyncKey.identityOf(e));
            kit.put(e.toBuilder().title("Changed " + e.uid()).build());
        }
        // and a new event whose id a foreign event already holds: 409, not ours → parked, never overwritten
        CalendarEvent squatted = GoogleKit.event("squat@example.com", "outlook", LocalDateTime.of(2025, 10, 11, 9, 0),
                30).build();
        String squattedIdentity = SyncKey.identityOf(squatted);
        String squatBody = "{\"id\":\"" + GoogleIds.eventId(squattedIdentity) + "\",\"summary\":\"Not yours\","
                + "\"start\":{\"dateTime\":\"2025-10-11T08:00:00Z\"},\"end\":{\"dateTime\":\"2025-10-11T09:00:00Z\"}}";
        HttpResponse<String> res = HttpClient.newHttpClient().send(HttpRequest.newBuilder(URI.create(
                        kit.fake.baseUrl() + "calendar/v3/calendars/primary/events"))
                .header("Content-Type", "application/json").POST(HttpRequest.BodyPublishers.ofString(squatBody))
                .build(), HttpResponse.BodyHandlers.ofString());
        assertThat(res.statusCode()).isEqualTo(200);
        kit.put(squatted);
        long inserts = kit.fake.count("events.insert");

        SyncResult r = kit.service().runOnce(NAME);
        assertThat(r.outcome()).isEqualTo(SyncResult.Outcome.OK);
        assertThat(r.inserted()).isZero();
        assertThat(r.updated()).isEqualTo(3);
        assertThat(r.parked()).isEqualTo(1);
        assertThat(batches()).isEqualTo(2);
        // 4 parts answered 409, then each insert once more on the single path (409 → get → update or park)
        assertThat(kit.fake.count("events.insert") - inserts).isEqualTo(8);
        assertThat(kit.fake.count("events.get")).isEqualTo(4);
        assertThat(kit.fake.count("events.update")).isEqualTo(3);
        assertEachOnce(events);
        for (CalendarEvent e : events.subList(0, 3)) {
            assertThat(kit.byId(GoogleIds.eventId(SyncKey.identityOf(e))).path("summary").asText())
                    .isEqualTo("Changed " + e.uid());
        }
        assertThat(kit.service().status(NAME).parked()).singleElement()
                .satisfies(p -> assertThat(p.reason()).isEqualTo("foreignId"));
        assertThat(kit.byId(GoogleIds.eventId(squattedIdentity)).path("summary").asText()).isEqualTo("Not yours");
        assertThat(kit.service().runOnce(NAME).writeCalls()).isZero();
    }

    @Test
    void batchRefusedAsAWholeIsRetriedWithBackoff() {
        List<CalendarEvent> events = seed(5, "whole");
        kit.fake.failNextBatch(2, 503, "backendError", 0);
        SyncResult r = kit.service().runOnce(NAME);
        assertThat(r.outcome()).isEqualTo(SyncResult.Outcome.OK);
        assertThat(r.inserted()).isEqualTo(5);
        assertThat(batches()).isEqualTo(3);
        assertThat(kit.fake.count("events.insert")).isEqualTo(5); // a refused batch ran none of its parts
        assertThat(kit.sleeper.waits()).extracting(Duration::toMillis).containsExactly(500L, 1000L);
        assertThat(r.retries()).isEqualTo(10);
        assertEachOnce(events);
    }

    @Test
    void batchRefusedAsInvalidSendsItsWritesOneByOne() {
        List<CalendarEvent> events = seed(5, "invalid");
        kit.fake.failNextBatch(1, 400, "invalid", 0);
        SyncResult r = kit.service().runOnce(NAME);
        assertThat(r.outcome()).isEqualTo(SyncResult.Outcome.OK);
        assertThat(r.inserted()).isEqualTo(5);
        assertThat(r.parked()).isZero();
        assertThat(batches()).isEqualTo(1);
        assertThat(kit.fake.count("events.insert")).isEqualTo(5);
        assertThat(kit.fake.httpRequests()).isEqualTo(2 + 1 + 5);
        assertEachOnce(events);
    }

    @Test
    void quotaExhaustedInOnePartPausesAfterTheOtherPartsAreBooked() {
        List<CalendarEvent> events = seed(5, "quota");
        kit.fake.failNextWrites(1, 403, "quotaExceeded", 0);
        SyncResult r = kit.service().runOnce(NAME);
        assertThat(r.outcome()).isEqualTo(SyncResult.Outcome.PAUSED);
        assertThat(r.inserted()).isEqualTo(4);
        assertThat(kit.service().status(NAME).state()).isEqualTo("PAUSED");
        assertThat(kit.live()).hasSize(4);

        kit.clock.advance(Duration.ofMinutes(61));
        SyncResult resumed = kit.service().runOnce(NAME);
        assertThat(resumed.outcome()).isEqualTo(SyncResult.Outcome.OK);
        assertThat(resumed.inserted()).isEqualTo(1); // only the part that was refused; the four are not redone
        assertThat(resumed.writeCalls()).isEqualTo(1);
        assertThat(kit.fake.count("events.insert")).isEqualTo(6);
        assertEachOnce(events);
        assertThat(kit.service().runOnce(NAME).writeCalls()).isZero();
    }

    /** Thrown by the crashing writer: an Error, so nothing in the sync treats it as a classified failure. */
    static final class SimulatedCrash extends Error {
        SimulatedCrash() {
            super("killed between the batch request and the mapping updates");
        }
    }

    @Test
    void crashBetweenBatchAndMappingUpdateCreatesNoDuplicate() {
        seed(2, "early");
        assertThat(kit.service().runOnce(NAME).inserted()).isEqualTo(2);
        List<CalendarEvent> late = seed(3, "late");
        DestinationWriterFactory real = kit.factory;
        DestinationWriterFactory crashing = new DestinationWriterFactory() {
            @Override
            public String type() {
                return real.type();
            }

            @Override
            public DestinationWriter create(DestinationContext ctx) {
                BatchingWriter w = (BatchingWriter) real.create(ctx);
                return new DelegatingBatch(w) {
                    @Override
                    public List<BatchOutcome> writeBatch(List<BatchItem> items) throws Exception {
                        w.writeBatch(items);
                        throw new SimulatedCrash();
                    }
                };
            }
        };
        assertThrows(SimulatedCrash.class, () -> kit.restart(crashing).runOnce(NAME));
        assertThat(batches()).isEqualTo(2);
        assertEachOnce(late);

        SyncResult after = kit.restart(real).runOnce(NAME);
        assertThat(after.outcome()).isEqualTo(SyncResult.Outcome.OK);
        assertThat(after.inserted()).isZero();
        assertEachOnce(late);
        assertThat(kit.live()).hasSize(5);
        // and the mapping is whole again: nothing more to write
        assertThat(kit.service().runOnce(NAME).writeCalls()).isZero();
    }

    @Test
    void crashAfterABatchInAFullReconcileCreatesNoDuplicate() {
        List<CalendarEvent> events = seed(4, "first");
        DestinationWriterFactory real = kit.factory;
        DestinationWriterFactory crashing = new DestinationWriterFactory() {
            @Override
            public String type() {
                return real.type();
            }

            @Override
            public DestinationWriter create(DestinationContext ctx) {
                BatchingWriter w = (BatchingWriter) real.create(ctx);
                return new DelegatingBatch(w) {
                    @Override
                    public List<BatchOutcome> writeBatch(List<BatchItem> items) throws Exception {
                        w.writeBatch(items);
                        throw new SimulatedCrash();
                    }
                };
            }
        };
        assertThrows(SimulatedCrash.class, () -> kit.restart(crashing).runOnce(NAME));
        assertEachOnce(events);

        SyncResult after = kit.restart(real).runOnce(NAME);
        assertThat(after.outcome()).isEqualTo(SyncResult.Outcome.OK);
        assertThat(after.fullReconcile()).isTrue();
        assertThat(after.writeCalls()).isZero(); // rebuilt from our tags: already written, same content
        assertEachOnce(events);
        assertThat(kit.stored()).hasSize(4);
    }

    @Test
    void writerAnswersEachPartAndHandsA409BackForTheSinglePath() throws Exception {
        List<CalendarEvent> events = seed(3, "writer");
        BatchingWriter w = (BatchingWriter) kit.factory.create(new DestinationContext(NAME, kit.config, kit.store,
                kit.clock, write -> { }));
        List<BatchingWriter.BatchItem> items = new ArrayList<>();
        for (CalendarEvent e : events) {
            items.add(BatchingWriter.BatchItem.upsert(new DestinationEvent(SyncKey.identityOf(e), e,
                    ContentHash.of(e), "agent-1/outlook", null, null), null));
        }
        List<BatchingWriter.BatchOutcome> first = w.writeBatch(items);
        assertThat(first).allSatisfy(o -> {
            assertThat(o.status()).isEqualTo(BatchingWriter.BatchOutcome.Status.DONE);
            assertThat(o.result().created()).isTrue();
            assertThat(o.result().version()).isNotBlank();
        });
        assertThat(first).extracting(o -> o.result().remoteId())
                .containsExactlyElementsOf(events.stream().map(e -> GoogleIds.eventId(SyncKey.identityOf(e))).toList());

        // the same inserts again (the crash case): every part 409 → handed back, nothing created twice
        assertThat(w.writeBatch(items)).extracting(BatchingWriter.BatchOutcome::status)
                .containsOnly(BatchingWriter.BatchOutcome.Status.SINGLE);
        assertThat(kit.stored()).hasSize(3);

        // an update of a mapped object that is gone (404) is handed back too (the single path inserts it with our id)
        CalendarEvent e0 = events.get(0);
        MappingEntry gone = new MappingEntry(GoogleIds.eventId(SyncKey.identityOf(GoogleKit.event("gone@example.com",
                "outlook", LocalDateTime.of(2025, 10, 7, 9, 0), 30).build())), "\"1\"", "old-hash", false, null, null,
                null);
        assertThat(w.writeBatch(List.of(BatchingWriter.BatchItem.upsert(items.get(0).event(), gone),
                BatchingWriter.BatchItem.upsert(items.get(1).event(), new MappingEntry(first.get(1).result().remoteId(),
                        first.get(1).result().version(), "old-hash", false, null, null, null)),
                // a mapping entry without content hash = a user's event the sync adopted: get + check + update
                BatchingWriter.BatchItem.upsert(items.get(2).event(), new MappingEntry(first.get(2).result().remoteId(),
                        first.get(2).result().version(), null, false, null, null, null)))))
                .extracting(BatchingWriter.BatchOutcome::status)
                .containsExactly(BatchingWriter.BatchOutcome.Status.SINGLE, BatchingWriter.BatchOutcome.Status.DONE,
                        BatchingWriter.BatchOutcome.Status.SINGLE);
        assertThat(kit.stored()).hasSize(3);
        assertThat(kit.byId(GoogleIds.eventId(SyncKey.identityOf(e0))).path("summary").asText())
                .isEqualTo(e0.title());

        // deletes of the three plus one already gone: all done (404/410 = already gone)
        List<BatchingWriter.BatchItem> deletes = new ArrayList<>();
        for (int i = 0; i < 3; i++) {
            deletes.add(BatchingWriter.BatchItem.delete(items.get(i).event(), new MappingEntry(
                    first.get(i).result().remoteId(), first.get(i).result().version(), null, false, null, null, null)));
        }
        deletes.add(deletes.get(0));
        assertThat(w.writeBatch(deletes)).extracting(BatchingWriter.BatchOutcome::status)
                .containsOnly(BatchingWriter.BatchOutcome.Status.DONE);
        assertThat(kit.live()).isEmpty();
        assertThat(kit.fake.httpRequests()).isEqualTo(4);
        assertThat(kit.fake.writes()).extracting(GoogleWrite::sendUpdates).containsOnly("none");
        w.close();
    }

    /** Forwards everything to a batching writer. */
    private static class DelegatingBatch implements BatchingWriter {
        private final BatchingWriter d;

        DelegatingBatch(BatchingWriter d) {
            this.d = d;
        }

        @Override
        public int maxBatchSize() {
            return d.maxBatchSize();
        }

        @Override
        public List<BatchOutcome> writeBatch(List<BatchItem> items) throws Exception {
            return d.writeBatch(items);
        }

        @Override
        public WriteResult upsert(DestinationEvent event, MappingEntry current) throws Exception {
            return d.upsert(event, current);
        }

        @Override
        public void delete(DestinationEvent event, MappingEntry current) throws Exception {
            d.delete(event, current);
        }

        @Override
        public void listOwn(Consumer<RemoteEvent> sink) throws Exception {
            d.listOwn(sink);
        }

        @Override
        public RemoteChanges readChanges(String cursor) throws Exception {
            return d.readChanges(cursor);
        }

        @Override
        public DestinationErrorClassifier classifier() {
            return d.classifier();
        }

        @Override
        public void close() {
            d.close();
        }
    }
}
