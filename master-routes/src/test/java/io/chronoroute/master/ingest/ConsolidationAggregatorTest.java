package io.chronoroute.master.ingest;

import io.chronoroute.master.store.Conflict;
import io.chronoroute.master.store.ConsolidatedEvent;
import io.chronoroute.master.store.Observation;
import io.chronoroute.processors.conflict.ConflictResolver;
import io.chronoroute.processors.conflict.ConflictStrategy;
import io.chronoroute.processors.model.CalendarEvent;
import io.chronoroute.processors.model.EventTime;
import io.chronoroute.processors.model.Origin;
import io.chronoroute.processors.sync.ContentHash;
import io.chronoroute.processors.sync.SyncKey;
import io.chronoroute.processors.wire.WireJson;
import org.apache.camel.Exchange;
import org.apache.camel.impl.DefaultCamelContext;
import org.apache.camel.support.DefaultExchange;
import org.junit.jupiter.api.Test;

import java.time.Instant;
import java.time.LocalDate;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

import static org.assertj.core.api.Assertions.assertThat;

/** The consolidation logic on its own: no Spring, no store, no HTTP. */
class ConsolidationAggregatorTest {

    private static final Instant T0 = Instant.parse("2025-06-01T10:00:00Z");
    private final ConsolidationAggregator aggregator = new ConsolidationAggregator(new ConflictResolver());
    /** The "store": consolidated events by identity and observations by agent/syncKey, updated by {@link #commit}. */
    private final Map<String, ConsolidatedEvent> consolidated = new HashMap<>();
    private final Map<String, Observation> observations = new HashMap<>();

    private static CalendarEvent event(String uid, String title, String source, Instant lastModified) {
        return CalendarEvent.builder().uid(uid).title(title)
                .start(EventTime.ofDate(LocalDate.parse("2025-06-10")))
                .end(EventTime.ofDate(LocalDate.parse("2025-06-11")))
                .lastModified(lastModified)
                .origin(new Origin(null, source, null, null, null, null)).build();
    }

    private static Incoming.Upsert upsert(String agent, CalendarEvent e) {
        CalendarEvent withAgent = e.withOrigin(e.origin().withAgent(agent));
        return new Incoming.Upsert(SyncKey.of(agent, withAgent).value(), SyncKey.identityOf(withAgent),
                ContentHash.of(withAgent), withAgent);
    }

    private ConsolidationState state(String agent, ConflictStrategy strategy, List<Incoming> items) {
        Map<String, String> hashes = new HashMap<>();
        observations.values().stream().filter(o -> o.agentId().equals(agent))
                .forEach(o -> hashes.put(o.syncKey(), o.contentHash()));
        return new ConsolidationState(agent, strategy, T0, hashes,
                id -> Optional.ofNullable(consolidated.get(id)),
                k -> Optional.ofNullable(observations.get(agent + "/" + k)), items, 0, null);
    }

    /** Runs all items through the aggregator and applies the change set to the in-memory "store". */
    private ConsolidationState ingest(String agent, ConflictStrategy strategy, Incoming... items) {
        ConsolidationState s = state(agent, strategy, List.of(items));
        for (Incoming i : items) {
            aggregator.fold(s, i);
        }
        var cs = s.changeSet();
        cs.removeObservations.forEach(r -> observations.remove(r[0] + "/" + r[1]));
        cs.putObservations.forEach(o -> observations.put(o.agentId() + "/" + o.syncKey(), o));
        cs.putConsolidated.forEach(c -> consolidated.put(c.identity(), c));
        return s;
    }

    private ConsolidatedEvent only() {
        assertThat(consolidated).hasSize(1);
        return consolidated.values().iterator().next();
    }

    @Test
    void newEventBecomesConsolidatedWithItsOrigin() {
        Incoming.Upsert u = upsert("a", event("m1", "Standup", "outlook", T0));
        ConsolidationState s = ingest("a", ConflictStrategy.LATEST_WINS, u);
        assertThat(s.upserted()).isEqualTo(1);
        ConsolidatedEvent c = only();
        assertThat(c.origins()).containsExactly("a/" + u.syncKey());
        assertThat(c.contentHash()).isEqualTo(u.hash());
        assertThat(c.deleted()).isFalse();
    }

    @Test
    void sameUidFromTwoAgentsIsOneEventWithTwoOrigins() {
        ingest("a", ConflictStrategy.LATEST_WINS, upsert("a", event("m1", "Standup", "outlook", T0)));
        ConsolidationState s = ingest("b", ConflictStrategy.LATEST_WINS, upsert("b", event("m1", "Standup", "mac", T0)));
        assertThat(s.conflicts()).isZero();
        assertThat(only().origins()).hasSize(2);
    }

    @Test
    void sameUidTwiceInOneBatchIsDeduplicatedInsideTheBatch() {
        ConsolidationState s = ingest("a", ConflictStrategy.LATEST_WINS,
                upsert("a", event("m1", "Standup", "outlook", T0)), upsert("a", event("m1", "Standup", "caldav", T0)));
        assertThat(s.upserted()).isEqualTo(2);
        assertThat(s.changeSet().putConsolidated).hasSize(1);
        assertThat(only().origins()).hasSize(2);
    }

    @Test
    void replayedContentIsUnchanged() {
        ingest("a", ConflictStrategy.LATEST_WINS, upsert("a", event("m1", "Standup", "outlook", T0)));
        ConsolidationState s = ingest("a", ConflictStrategy.LATEST_WINS, upsert("a", event("m1", "Standup", "outlook", T0)));
        assertThat(s.unchanged()).isEqualTo(1);
        assertThat(s.upserted()).isZero();
        assertThat(s.changeSet().putConsolidated).isEmpty();
    }

    @Test
    void ownChangeFastForwards() {
        ingest("a", ConflictStrategy.MANUAL, upsert("a", event("m1", "Standup", "outlook", T0)));
        ConsolidationState s = ingest("a", ConflictStrategy.MANUAL,
                upsert("a", event("m1", "Standup moved", "outlook", T0.plusSeconds(60))));
        assertThat(s.conflicts()).isZero();
        assertThat(WireJson.fromJson(only().eventJson()).title()).isEqualTo("Standup moved");
        assertThat(only().version()).isEqualTo(2);
    }

    /** a creates, b reports a different version of the same meeting: a true conflict for b. */
    private ConsolidationState conflict(ConflictStrategy strategy, Instant bModified) {
        ingest("a", strategy, upsert("a", event("m1", "From A", "outlook", T0)));
        return ingest("b", strategy, upsert("b", event("m1", "From B", "mac", bModified)));
    }

    @Test
    void latestWinsAppliesTheLaterVersion() {
        ConsolidationState s = conflict(ConflictStrategy.LATEST_WINS, T0.plusSeconds(60));
        assertThat(s.conflicts()).isEqualTo(1);
        assertThat(WireJson.fromJson(only().eventJson()).title()).isEqualTo("From B");
        Conflict audit = s.changeSet().putConflicts.get(0);
        assertThat(audit.status()).isEqualTo("RESOLVED");
        assertThat(audit.resolution()).isEqualTo("latest_wins:incoming");
    }

    @Test
    void latestWinsKeepsTheLaterCurrentVersion() {
        ConsolidationState s = conflict(ConflictStrategy.LATEST_WINS, T0.minusSeconds(60));
        assertThat(s.conflicts()).isEqualTo(1);
        assertThat(WireJson.fromJson(only().eventJson()).title()).isEqualTo("From A");
        assertThat(only().origins()).hasSize(2);
    }

    @Test
    void sourceWinsApplies() {
        conflict(ConflictStrategy.SOURCE_WINS, T0.minusSeconds(60));
        assertThat(WireJson.fromJson(only().eventJson()).title()).isEqualTo("From B");
    }

    @Test
    void destinationWinsKeeps() {
        ConsolidationState s = conflict(ConflictStrategy.DESTINATION_WINS, T0.plusSeconds(60));
        assertThat(s.conflicts()).isEqualTo(1);
        assertThat(WireJson.fromJson(only().eventJson()).title()).isEqualTo("From A");
        assertThat(s.changeSet().putConflicts.get(0).resolution()).isEqualTo("destination_wins:current");
    }

    @Test
    void manualParksAConflictAndKeepsTheEvent() {
        ConsolidationState s = conflict(ConflictStrategy.MANUAL, T0.plusSeconds(60));
        assertThat(s.conflicts()).isEqualTo(1);
        assertThat(WireJson.fromJson(only().eventJson()).title()).isEqualTo("From A");
        Conflict parked = s.changeSet().putConflicts.get(0);
        assertThat(parked.status()).isEqualTo("OPEN");
        assertThat(parked.agentId()).isEqualTo("b");
        assertThat(WireJson.fromJson(parked.incomingJson()).title()).isEqualTo("From B");
        // b resends the same version every cycle (seed agents do): no new conflict
        ConsolidationState again = ingest("b", ConflictStrategy.MANUAL,
                upsert("b", event("m1", "From B", "mac", T0.plusSeconds(60))));
        assertThat(again.conflicts()).isZero();
        assertThat(again.unchanged()).isEqualTo(1);
    }

    @Test
    void removingOneOfTwoOriginsKeepsTheEventAndTheLastMakesATombstone() {
        Incoming.Upsert a = upsert("a", event("m1", "Standup", "outlook", T0));
        Incoming.Upsert b = upsert("b", event("m1", "Standup", "mac", T0));
        ingest("a", ConflictStrategy.LATEST_WINS, a);
        ingest("b", ConflictStrategy.LATEST_WINS, b);
        ConsolidationState s = ingest("a", ConflictStrategy.LATEST_WINS, new Incoming.Removal(a.syncKey()));
        assertThat(s.deleted()).isEqualTo(1);
        assertThat(only().deleted()).isFalse();
        assertThat(only().origins()).containsExactly("b/" + b.syncKey());
        ingest("b", ConflictStrategy.LATEST_WINS, new Incoming.Removal(b.syncKey()));
        assertThat(only().deleted()).isTrue();
        assertThat(only().origins()).isEmpty();
        assertThat(observations).isEmpty();
    }

    @Test
    void removalOfAnUnknownKeyChangesNothing() {
        ConsolidationState s = ingest("a", ConflictStrategy.LATEST_WINS, new Incoming.Removal("0".repeat(32)));
        assertThat(s.deleted()).isZero();
        assertThat(s.changeSet().isEmpty()).isTrue();
    }

    @Test
    void aTombstoneIsRevivedWhenTheEventComesBack() {
        Incoming.Upsert a = upsert("a", event("m1", "Standup", "outlook", T0));
        ingest("a", ConflictStrategy.LATEST_WINS, a);
        ingest("a", ConflictStrategy.LATEST_WINS, new Incoming.Removal(a.syncKey()));
        ingest("a", ConflictStrategy.LATEST_WINS, a);
        assertThat(only().deleted()).isFalse();
        assertThat(only().version()).isEqualTo(3);
    }

    @Test
    void camelAggregateFoldsTheBodyIntoTheStateOfTheExchange() {
        Incoming.Upsert u = upsert("a", event("m1", "Standup", "outlook", T0));
        ConsolidationState s = state("a", ConflictStrategy.LATEST_WINS, List.of(u));
        Exchange ex = new DefaultExchange(new DefaultCamelContext());
        ex.setProperty(ConsolidationAggregator.STATE, s);
        ex.getIn().setBody(u);
        Exchange result = aggregator.aggregate(null, ex);
        assertThat(result).isSameAs(ex);
        assertThat(s.upserted()).isEqualTo(1);
        assertThat(s.changeSet().putConsolidated).hasSize(1);
    }

    @Test
    void camelAggregateFoldsAChunkInOrder() {
        Incoming.Upsert a = upsert("a", event("m1", "Standup", "outlook", T0));
        Incoming.Upsert b = upsert("a", event("m1", "Standup", "caldav", T0));
        ConsolidationState s = state("a", ConflictStrategy.LATEST_WINS, List.of(a, b));
        assertThat(s.getChunks()).hasSize(1);
        Exchange ex = new DefaultExchange(new DefaultCamelContext());
        ex.setProperty(ConsolidationAggregator.STATE, s);
        ex.getIn().setBody(s.getChunks().get(0));
        aggregator.aggregate(null, ex);
        assertThat(s.upserted()).isEqualTo(2);
        assertThat(s.changeSet().putConsolidated).hasSize(1);
        assertThat(s.changeSet().putConsolidated.get(0).origins()).hasSize(2);
    }
}
