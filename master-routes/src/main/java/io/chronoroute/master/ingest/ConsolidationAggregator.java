package io.chronoroute.master.ingest;

import io.chronoroute.master.store.Conflict;
import io.chronoroute.master.store.ConsolidatedEvent;
import io.chronoroute.master.store.Observation;
import io.chronoroute.processors.conflict.ConflictResolver;
import io.chronoroute.processors.conflict.Decision;
import io.chronoroute.processors.model.CalendarEvent;
import io.chronoroute.processors.wire.WireJson;
import org.apache.camel.AggregationStrategy;
import org.apache.camel.Exchange;

import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.UUID;

/**
 * Folds the split items of one ingest into its {@link ConsolidationState}: correlates each observation with its
 * consolidated event by identity (UID + RECURRENCE-ID, {@code SyncKey.identityOf}), de-duplicates (the same
 * meeting from two sources or agents is one consolidated event listing both origins), applies the conflict
 * strategy through {@link ConflictResolver} (manual: a {@link Conflict} is parked and the consolidated event
 * stays), and turns removals into origin removals, the last one into a tombstone.
 * <p>
 * A plain object: the Camel part is {@link #aggregate} (state from the exchange property
 * {@link #STATE}; the body is one item or a chunk of items, folded in order); the logic is {@link #fold},
 * unit-tested without Camel.
 */
public final class ConsolidationAggregator implements AggregationStrategy {

    /** Exchange property holding the {@link ConsolidationState} of the running ingest. */
    public static final String STATE = "ChronorouteIngestState";

    private final ConflictResolver resolver;

    public ConsolidationAggregator(ConflictResolver resolver) {
        this.resolver = resolver;
    }

    @Override
    public Exchange aggregate(Exchange oldExchange, Exchange newExchange) {
        if (newExchange == null) {
            return oldExchange;
        }
        if (newExchange.getException() != null) {
            return newExchange;
        }
        ConsolidationState state = newExchange.getProperty(STATE, ConsolidationState.class);
        Object body = newExchange.getIn().getBody();
        if (state == null || body == null) {
            throw new IllegalStateException("split item without ingest state or body");
        }
        if (body instanceof List<?> chunk) {
            for (Object item : chunk) {
                fold(state, (Incoming) item);
            }
        } else {
            fold(state, (Incoming) body);
        }
        return oldExchange == null ? newExchange : oldExchange;
    }

    /** Applies one item to the state. */
    public void fold(ConsolidationState s, Incoming item) {
        if (item instanceof Incoming.Upsert u) {
            upsert(s, u);
        } else if (item instanceof Incoming.Removal r) {
            remove(s, r.syncKey());
        }
    }

    private void upsert(ConsolidationState s, Incoming.Upsert u) {
        String base = s.hashes.get(u.syncKey());
        if (u.hash().equals(base)) {
            s.unchanged++;
            return;
        }
        String origin = s.origin(u.syncKey());
        String json = u.json();
        s.changes.putObservations.add(new Observation(s.agentId, u.syncKey(), u.identity(), u.hash(), json));
        s.hashes.put(u.syncKey(), u.hash());
        s.upserted++;

        ConsolidatedEvent cur = s.current(u.identity());
        if (cur == null || cur.deleted()) {
            List<String> origins = cur == null ? new ArrayList<>() : new ArrayList<>(cur.origins());
            addOnce(origins, origin);
            s.put(new ConsolidatedEvent(u.identity(), json, u.hash(), origins, cur == null ? 1 : cur.version() + 1,
                    cur == null ? 0 : cur.changeSeq(), s.now, false, origin));
            return;
        }
        List<String> origins = new ArrayList<>(cur.origins());
        boolean originsChanged = addOnce(origins, origin);
        CalendarEvent currentEvent = u.hash().equals(cur.contentHash()) ? null : WireJson.fromJson(cur.eventJson());
        Decision d = resolver.decide(s.strategy, base, cur.contentHash(), currentEvent, u.hash(), u.event());
        switch (d.outcome()) {
            case APPLY_INCOMING -> s.put(new ConsolidatedEvent(u.identity(), json, u.hash(), origins,
                    cur.version() + 1, cur.changeSeq(), s.now, false, origin));
            case KEEP_CURRENT, PARK -> {
                if (originsChanged) {
                    s.put(new ConsolidatedEvent(cur.identity(), cur.eventJson(), cur.contentHash(), origins,
                            cur.version(), cur.changeSeq(), s.now, false, cur.lastWriter()));
                }
            }
        }
        if (d.conflict()) {
            s.conflicts++;
            boolean parked = d.outcome() == Decision.Outcome.PARK;
            String resolution = parked ? null
                    : s.strategy.wireName() + ":" + (d.outcome() == Decision.Outcome.APPLY_INCOMING ? "incoming" : "current");
            s.changes.putConflicts.add(new Conflict(UUID.randomUUID().toString(), u.identity(), s.agentId, u.syncKey(),
                    cur.eventJson(), json, s.strategy.wireName(), parked ? "OPEN" : "RESOLVED", resolution, s.now,
                    parked ? null : s.now));
        }
    }

    private void remove(ConsolidationState s, String syncKey) {
        if (s.hashes.remove(syncKey) == null) {
            return;
        }
        Optional<Observation> obs = s.storedObservation(syncKey);
        s.changes.removeObservation(s.agentId, syncKey);
        s.deleted++;
        if (obs.isEmpty()) {
            return;
        }
        ConsolidatedEvent cur = s.current(obs.get().identity());
        if (cur == null || cur.deleted()) {
            return;
        }
        String origin = s.origin(syncKey);
        List<String> origins = new ArrayList<>(cur.origins());
        if (!origins.remove(origin)) {
            return;
        }
        if (origins.isEmpty()) {
            s.put(new ConsolidatedEvent(cur.identity(), cur.eventJson(), cur.contentHash(), List.of(),
                    cur.version() + 1, cur.changeSeq(), s.now, true, origin));
        } else {
            s.put(new ConsolidatedEvent(cur.identity(), cur.eventJson(), cur.contentHash(), origins, cur.version(),
                    cur.changeSeq(), s.now, false, cur.lastWriter()));
        }
    }

    private static boolean addOnce(List<String> list, String value) {
        if (list.contains(value)) {
            return false;
        }
        list.add(value);
        return true;
    }
}
