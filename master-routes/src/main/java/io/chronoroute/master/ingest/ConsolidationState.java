package io.chronoroute.master.ingest;

import io.chronoroute.master.store.ChangeSet;
import io.chronoroute.master.store.ConsolidatedEvent;
import io.chronoroute.master.store.Observation;
import io.chronoroute.processors.conflict.ConflictStrategy;

import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.Function;

/**
 * The accumulator of one ingest: what the agent had (its observation hashes, read once), the consolidated events
 * touched so far (read lazily, one lookup per identity, then kept so two records of the same meeting in one batch
 * see each other), and the {@link ChangeSet} being built. Not thread-safe: one ingest folds sequentially.
 */
public final class ConsolidationState {

    final String agentId;
    final ConflictStrategy strategy;
    final Instant now;
    final Map<String, String> hashes;
    private final Function<String, Optional<ConsolidatedEvent>> consolidatedLookup;
    private final Function<String, Optional<Observation>> observationLookup;
    private final Map<String, ConsolidatedEvent> working = new HashMap<>();
    private final Map<String, ConsolidatedEvent> dirty = new LinkedHashMap<>();
    final ChangeSet changes = new ChangeSet();
    private List<Incoming> items;
    private Object request;
    int upserted;
    int deleted;
    int unchanged;
    int conflicts;
    /**
     * Two-way sync: consolidated events this ingest changed (or whose winner must reach a loser), by identity, with
     * the origin that made the change (it gets nothing back; null: every origin that differs gets the event).
     */
    final Map<String, FanOut.Change> fanOut = new LinkedHashMap<>();
    /** Results of a non-agent origin's changes ({@link OriginChanges}), in order. */
    final List<OriginResult> originResults = new ArrayList<>();
    /**
     * Whether a record the agent no longer has was deleted there (so the deletion reaches the other calendars):
     * false for admin removals and imports, and for a source the agent no longer reports.
     */
    private java.util.function.Predicate<Observation> deletesPropagate = o -> false;
    /** The non-agent origin of this ingest ("destination:x", "api:x", "conflict:x"); null for an agent's. */
    final String nonAgentOrigin;

    /**
     * @param agentId            the agent whose observations these are
     * @param strategy           conflict strategy
     * @param now                timestamp of this ingest
     * @param hashes             the agent's observation hashes (syncKey → contentHash), mutable, updated as items fold
     * @param consolidatedLookup current consolidated event by identity
     * @param observationLookup  the agent's stored observation by syncKey (for removals)
     * @param items              the items to fold
     * @param unchanged          items already known to be unchanged (not split)
     * @param request            the originating request (for the answer), may be null
     */
    public ConsolidationState(String agentId, ConflictStrategy strategy, Instant now, Map<String, String> hashes,
                              Function<String, Optional<ConsolidatedEvent>> consolidatedLookup,
                              Function<String, Optional<Observation>> observationLookup, List<Incoming> items,
                              int unchanged, Object request) {
        this.agentId = agentId;
        this.strategy = strategy;
        this.now = now;
        this.hashes = hashes;
        this.consolidatedLookup = consolidatedLookup;
        this.observationLookup = observationLookup;
        this.items = items;
        this.unchanged = unchanged;
        this.request = request;
        this.nonAgentOrigin = request instanceof OriginChanges oc ? oc.origin() : null;
    }

    /** Items per split chunk: the split costs one exchange per chunk, not per event. */
    public static final int CHUNK = 500;

    /** All items, in order. */
    public List<Incoming> getItems() {
        return items;
    }

    /** The items in chunks of {@link #CHUNK}, in order (Camel's split expression reads this getter). */
    public List<List<Incoming>> getChunks() {
        List<List<Incoming>> chunks = new ArrayList<>((items.size() + CHUNK - 1) / CHUNK);
        for (int i = 0; i < items.size(); i += CHUNK) {
            chunks.add(items.subList(i, Math.min(items.size(), i + CHUNK)));
        }
        return chunks;
    }

    public Object request() {
        return request;
    }

    String origin(String syncKey) {
        return agentId + "/" + syncKey;
    }

    /** Records that {@code identity} changed here; {@code by} (an origin) gets nothing back; null: nobody excluded. */
    void changed(String identity, String by, String createTarget) {
        FanOut.Change prev = fanOut.get(identity);
        // two changes of one identity in one ingest: the later decides who made it; a create target is kept
        fanOut.put(identity, new FanOut.Change(by, createTarget != null ? createTarget
                : prev == null ? null : prev.createTarget()));
    }

    /** The observation of this agent as it stands in this ingest (put or removed here), else as stored. */
    Optional<Observation> currentObservation(String syncKey) {
        for (int i = changes.putObservations.size() - 1; i >= 0; i--) {
            Observation o = changes.putObservations.get(i);
            if (o.syncKey().equals(syncKey)) {
                return Optional.of(o);
            }
        }
        return hashes.containsKey(syncKey) ? storedObservation(syncKey) : Optional.empty();
    }

    boolean propagatesDeletes(Observation o) {
        return deletesPropagate.test(o);
    }

    /** Sets which removed records count as deleted in their calendar (see {@link #propagatesDeletes}). */
    public void deletesPropagate(java.util.function.Predicate<Observation> rule) {
        this.deletesPropagate = rule;
    }

    /** The consolidated events after folding (the final version of each touched identity). */
    Map<String, ConsolidatedEvent> touched() {
        return dirty;
    }

    public List<OriginResult> originResults() {
        return originResults;
    }

    ConsolidatedEvent current(String identity) {
        return working.computeIfAbsent(identity, id -> consolidatedLookup.apply(id).orElse(null));
    }

    void put(ConsolidatedEvent e) {
        working.put(e.identity(), e);
        dirty.put(e.identity(), e);
    }

    Optional<Observation> storedObservation(String syncKey) {
        return observationLookup.apply(syncKey);
    }

    /** The change set with every touched consolidated event added; call once, after folding. */
    public ChangeSet changeSet() {
        changes.putConsolidated.clear();
        changes.putConsolidated.addAll(dirty.values());
        return changes;
    }

    /**
     * After folding: drops what only the fold needed (the incoming items with their parsed events, the consolidated
     * events read for comparison) and keeps {@code request} (the caller's lighter copy), so a large ingest does not
     * hold its input while the store applies its output.
     */
    public void release(Object request) {
        this.items = List.of();
        this.working.clear();
        this.request = request;
    }

    public Map<String, String> hashes() {
        return hashes;
    }

    public int upserted() {
        return upserted;
    }

    public int deleted() {
        return deleted;
    }

    public int unchanged() {
        return unchanged;
    }

    public int conflicts() {
        return conflicts;
    }

    public String agentId() {
        return agentId;
    }

    public Instant now() {
        return now;
    }
}
