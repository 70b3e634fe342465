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
