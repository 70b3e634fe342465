package io.chronoroute.master.ingest;

import io.chronoroute.master.store.Conflict;
import io.chronoroute.master.store.ConsolidatedEvent;
import io.chronoroute.master.store.Observation;
import io.chronoroute.processors.conflict.ConflictResolver;
import io.chronoroute.processors.conflict.Decision;
import io.chronoroute.processors.model.CalendarEvent;
import io.chronoroute.processors.sync.ContentHash;
import io.chronoroute.processors.wire.WireJson;
import org.apache.camel.AggregationStrategy;
import org.apache.camel.Exchange;

import java.time.Instant;
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
        } else if (item instanceof Incoming.Edit e) {
            edit(s, e.change());
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
            // new, or edited after a delete elsewhere: the edit wins (nothing is lost), from this calendar on
            List<String> origins = cur == null ? new ArrayList<>() : new ArrayList<>(cur.origins());
            addOnce(origins, origin);
            s.put(new ConsolidatedEvent(u.identity(), json, u.hash(), origins, cur == null ? 1 : cur.version() + 1,
                    cur == null ? 0 : cur.changeSeq(), s.now, false, origin));
            if (cur != null) {
                s.changed(u.identity(), origin, null);
            }
            return;
        }
        List<String> origins = new ArrayList<>(cur.origins());
        boolean originsChanged = addOnce(origins, origin);
        CalendarEvent currentEvent = u.hash().equals(cur.contentHash()) ? null : WireJson.fromJson(cur.eventJson());
        if (currentEvent == null || ContentHash.sameSubstance(currentEvent, u.event())) {
            // the same event (a second calendar showing it, or our own write-back coming back): no change
            List<String> divergent = new ArrayList<>(cur.divergent());
            boolean converged = divergent.remove(origin);
            if (originsChanged || converged) {
                s.put(new ConsolidatedEvent(cur.identity(), cur.eventJson(), cur.contentHash(), origins, cur.version(),
                        cur.changeSeq(), s.now, false, cur.lastWriter(), divergent));
            }
            return;
        }
        Decision d = resolver.decide(s.strategy, base, cur.contentHash(), currentEvent, u.hash(), u.event());
        switch (d.outcome()) {
            case APPLY_INCOMING -> {
                List<String> divergent = new ArrayList<>(cur.divergent());
                divergent.remove(origin);
                s.put(new ConsolidatedEvent(u.identity(), json, u.hash(), origins, cur.version() + 1, cur.changeSeq(),
                        s.now, false, origin, divergent));
                s.changed(u.identity(), origin, null);
            }
            case KEEP_CURRENT -> {
                if (originsChanged) {
                    s.put(new ConsolidatedEvent(cur.identity(), cur.eventJson(), cur.contentHash(), origins,
                            cur.version(), cur.changeSeq(), s.now, false, cur.lastWriter(), cur.divergent()));
                }
                // the current version won: it goes back to the calendar whose change lost
                s.changed(u.identity(), null, null);
            }
            case PARK -> {
                if (originsChanged) {
                    s.put(new ConsolidatedEvent(cur.identity(), cur.eventJson(), cur.contentHash(), origins,
                            cur.version(), cur.changeSeq(), s.now, false, cur.lastWriter(), cur.divergent()));
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

    /**
     * The agent no longer has the record. When that calendar had the version everyone has, the event was deleted
     * there: it is deleted in the consolidated calendar and every other calendar it comes from (fan-out), unless
     * the agent no longer reports that source at all (a source removed from its configuration is not a deletion:
     * only that origin goes). When the consolidated event changed since that calendar last showed it, an edit raced
     * the delete: the edit wins and only this origin goes.
     */
    private void remove(ConsolidationState s, String syncKey) {
        Optional<Observation> obs = s.hashes.containsKey(syncKey) ? s.storedObservation(syncKey) : Optional.empty();
        if (s.hashes.remove(syncKey) == null) {
            return;
        }
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
        List<String> divergent = new ArrayList<>(cur.divergent());
        divergent.remove(origin);
        boolean deletedThere = origins.isEmpty() || s.propagatesDeletes(obs.get())
                && (obs.get().contentHash().equals(cur.contentHash())
                    || sameSubstance(obs.get().eventJson(), cur.eventJson()));
        if (deletedThere) {
            s.put(new ConsolidatedEvent(cur.identity(), cur.eventJson(), cur.contentHash(), origins,
                    cur.version() + 1, cur.changeSeq(), s.now, true, origin, List.of()));
            if (!origins.isEmpty()) {
                s.changed(cur.identity(), origin, null);
            }
        } else {
            s.put(new ConsolidatedEvent(cur.identity(), cur.eventJson(), cur.contentHash(), origins, cur.version(),
                    cur.changeSeq(), s.now, false, cur.lastWriter(), divergent));
        }
    }

    /**
     * A change of a non-agent origin (a destination, the API, a conflict resolution): applied to the consolidated
     * event directly, through the conflict strategy when the event changed since the version the change started from.
     */
    private void edit(ConsolidationState s, OriginChange ch) {
        String by = s.nonAgentOrigin;
        ConsolidatedEvent cur = s.current(ch.identity());
        boolean live = cur != null && !cur.deleted();
        Instant when = s.now;
        if (ch.delete()) {
            if (!live) {
                s.originResults.add(new OriginResult(ch.identity(), OriginResult.Outcome.UNCHANGED, null, null));
                return;
            }
            if (ch.baseHash() != null && !ch.baseHash().equals(cur.contentHash())) {
                // an edit made elsewhere meanwhile wins over this delete (nothing is lost)
                s.conflicts++;
                s.changes.putConflicts.add(new Conflict(UUID.randomUUID().toString(), ch.identity(), by, ch.identity(),
                        cur.eventJson(), null, "edit_wins_over_delete", "RESOLVED", "edit_wins_over_delete:current",
                        when, when));
                s.originResults.add(new OriginResult(ch.identity(), OriginResult.Outcome.KEPT_CURRENT,
                        cur.contentHash(), "the event was changed elsewhere since; an edit wins over a delete"));
                return;
            }
            s.put(new ConsolidatedEvent(cur.identity(), cur.eventJson(), cur.contentHash(), cur.origins(),
                    cur.version() + 1, cur.changeSeq(), when, true, by, List.of()));
            s.changed(ch.identity(), by, null);
            s.deleted++;
            s.originResults.add(new OriginResult(ch.identity(), OriginResult.Outcome.APPLIED, null, null));
            return;
        }
        // the time the origin says it made the change decides latest_wins (a destination's own modification time)
        CalendarEvent incoming = ch.modified() == null ? ch.event().withOrigin(null)
                : ch.event().withOrigin(null).withLastModified(ch.modified());
        String hash = ContentHash.of(incoming);
        String json = WireJson.toJson(incoming);
        if (!live) {
            if (cur == null && ch.createTarget() == null) {
                s.originResults.add(new OriginResult(ch.identity(), OriginResult.Outcome.REJECTED, null,
                        "unknown event and no calendar to create it in (create-target)"));
                return;
            }
            // a create (API, or a destination with a create target), or an edit of an event deleted meanwhile:
            // the edit wins over the delete
            s.put(new ConsolidatedEvent(ch.identity(), json, hash, cur == null ? List.of() : cur.origins(),
                    cur == null ? 1 : cur.version() + 1, cur == null ? 0 : cur.changeSeq(), when, false, by,
                    List.of()));
            s.changed(ch.identity(), by, ch.createTarget());
            s.upserted++;
            s.originResults.add(new OriginResult(ch.identity(), OriginResult.Outcome.APPLIED, hash, null));
            return;
        }
        CalendarEvent currentEvent = WireJson.fromJson(cur.eventJson());
        if (ContentHash.sameSubstance(currentEvent, incoming)) {
            s.unchanged++;
            // nothing new; the calendars that differ (a parked loser, a failed write) still get the current version
            s.changed(ch.identity(), by, null);
            s.originResults.add(new OriginResult(ch.identity(), OriginResult.Outcome.UNCHANGED, cur.contentHash(),
                    null));
            return;
        }
        Decision d = ch.baseHash() == null || ch.baseHash().equals(cur.contentHash())
                ? Decision.apply(false, "no concurrent change")
                : resolver.decide(s.strategy, ch.baseHash(), cur.contentHash(), currentEvent, hash, incoming);
        if (d.conflict()) {
            s.conflicts++;
            boolean parked = d.outcome() == Decision.Outcome.PARK;
            String resolution = parked ? null : s.strategy.wireName() + ":"
                    + (d.outcome() == Decision.Outcome.APPLY_INCOMING ? "incoming" : "current");
            s.changes.putConflicts.add(new Conflict(UUID.randomUUID().toString(), ch.identity(), by, ch.identity(),
                    cur.eventJson(), json, s.strategy.wireName(), parked ? "OPEN" : "RESOLVED", resolution, when,
                    parked ? null : when));
        }
        switch (d.outcome()) {
            case APPLY_INCOMING -> {
                s.put(new ConsolidatedEvent(ch.identity(), json, hash, cur.origins(), cur.version() + 1,
                        cur.changeSeq(), when, false, by, cur.divergent()));
                s.changed(ch.identity(), by, null);
                s.upserted++;
                s.originResults.add(new OriginResult(ch.identity(), OriginResult.Outcome.APPLIED, hash, null));
            }
            case KEEP_CURRENT -> s.originResults.add(new OriginResult(ch.identity(),
                    OriginResult.Outcome.KEPT_CURRENT, cur.contentHash(), d.reason()));
            case PARK -> s.originResults.add(new OriginResult(ch.identity(), OriginResult.Outcome.PARKED,
                    cur.contentHash(), d.reason()));
        }
    }

    private static boolean sameSubstance(String a, String b) {
        return ContentHash.sameSubstance(WireJson.fromJson(a), WireJson.fromJson(b));
    }

    private static boolean addOnce(List<String> list, String value) {
        if (list.contains(value)) {
            return false;
        }
        list.add(value);
        return true;
    }
}
