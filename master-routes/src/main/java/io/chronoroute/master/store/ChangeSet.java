package io.chronoroute.master.store;

import java.util.ArrayList;
import java.util.List;

/**
 * Everything one ingest (or admin action) changes, applied by {@link MasterStore#apply(ChangeSet)} atomically:
 * either all of it is durable afterwards or none of it. Consolidated events put here get their change sequence
 * assigned by the store; after a successful apply the elements of {@link #putConsolidated} are replaced by the
 * stored versions (with {@code changeSeq} set). Observation removals are applied before observation puts (a key in
 * both ends up put); the agent's digest follows both. Idempotency keys in {@link #addKeys} are added in the same atomic
 * step, so "batch applied" and "batch id remembered" can never disagree after a crash.
 */
public final class ChangeSet {

    public final List<Observation> putObservations = new ArrayList<>();
    /** "agentId/syncKey" pairs to remove. */
    public final List<String[]> removeObservations = new ArrayList<>();
    public final List<ConsolidatedEvent> putConsolidated = new ArrayList<>();
    public final List<Conflict> putConflicts = new ArrayList<>();
    public final List<AgentUpdate> putUpdates = new ArrayList<>();
    public final List<Activity> activities = new ArrayList<>();
    /** "namespace/key" idempotency keys to add together with the rest (see {@link MasterStore#addKey}). */
    public final List<String[]> addKeys = new ArrayList<>();
    public AgentRecord putAgent;

    public boolean isEmpty() {
        return putObservations.isEmpty() && removeObservations.isEmpty() && putConsolidated.isEmpty()
                && putConflicts.isEmpty() && putUpdates.isEmpty() && activities.isEmpty() && addKeys.isEmpty()
                && putAgent == null;
    }

    public ChangeSet removeObservation(String agentId, String syncKey) {
        removeObservations.add(new String[] {agentId, syncKey});
        return this;
    }

    public ChangeSet addKey(String namespace, String key) {
        addKeys.add(new String[] {namespace, key});
        return this;
    }
}
