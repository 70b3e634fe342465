package io.chronoroute.master.store;

import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.Consumer;

/**
 * All durable state of the master. Two implementations: the embedded default (H2 MVStore file under
 * {@code chronoroute.data-dir}; survives kill -9) and Redis ({@code chronoroute.store=redis}). One contract test
 * suite runs against both. Implementations are thread-safe; {@link #apply(ChangeSet)} is atomic.
 */
public interface MasterStore extends AutoCloseable {

    // --- agents
    Optional<AgentRecord> findAgent(String id);

    void saveAgent(AgentRecord agent);

    /** Removes the agent, its observations, its updates; returns false if unknown. Consolidated events are the caller's business. */
    boolean deleteAgent(String id);

    List<AgentRecord> listAgents();

    // --- observations (per agent)
    Optional<Observation> findObservation(String agentId, String syncKey);

    /** syncKey -> contentHash of every observation of the agent. */
    Map<String, String> observationHashes(String agentId);

    /** Streams the agent's observations without loading them all at once. */
    void forEachObservation(String agentId, Consumer<Observation> action);

    long observationCount(String agentId);

    /** The agent's SetDigest ("count:hex"), kept up to date by {@link #apply}. */
    String agentDigest(String agentId);

    // --- consolidated calendar
    Optional<ConsolidatedEvent> findConsolidated(String identity);

    /** Every consolidated event, tombstones included when {@code includeDeleted}; in pages, never all in memory. */
    void forEachConsolidated(boolean includeDeleted, Consumer<ConsolidatedEvent> action);

    /**
     * One page of a walk over the consolidated events in identity order ({@link String#compareTo}): events whose
     * identity is greater than {@code afterIdentity} (from the first when null), tombstones skipped unless
     * {@code includeDeleted}. A page looks at no more than {@code maxEvents} identities and stops once the events it
     * read hold {@code maxBytes} bytes of stored JSON (after at least one), so its memory is bounded whatever the
     * store holds. Continue with {@link ConsolidatedPage#next()} until it is null. An event that exists for the whole
     * walk is returned exactly once; one added, changed or deleted meanwhile may be seen in either state or not at all.
     */
    ConsolidatedPage consolidatedPage(String afterIdentity, int maxEvents, long maxBytes, boolean includeDeleted);

    /** Number of consolidated events that are not tombstones. */
    long consolidatedCount();

    /** The highest change sequence assigned so far (0 when none). */
    long currentChangeSeq();

    /** Changes with seq &gt; {@code afterSeq}, oldest first, at most {@code limit}; one entry per identity (latest). */
    List<ChangeEntry> changesSince(long afterSeq, int limit);

    // --- atomic apply
    void apply(ChangeSet changes);

    // --- idempotency (batch ids, bundle sequence numbers, ...)
    boolean containsKey(String namespace, String key);

    /** Adds the key; returns false if it was present. */
    boolean addKey(String namespace, String key);

    boolean removeKey(String namespace, String key);

    void clearKeys(String namespace);

    // --- update queue (per agent)
    Optional<AgentUpdate> findUpdate(String agentId, String updateId);

    /** Pending updates of the agent, oldest first. */
    List<AgentUpdate> pendingUpdates(String agentId);

    /** All updates of the agent (pending and processed), newest first, at most {@code limit}. */
    List<AgentUpdate> updateHistory(String agentId, int limit);

    void saveUpdate(AgentUpdate update);

    /** Deletes processed/rejected updates processed before {@code before}; returns how many. */
    int purgeUpdates(Instant before);

    // --- conflicts
    Optional<Conflict> findConflict(String id);

    /** Newest first. */
    List<Conflict> recentConflicts(int limit);

    void saveConflict(Conflict conflict);

    // --- activity
    /** Newest first, at most {@code limit}. The log keeps at most 10,000 lines. */
    List<Activity> recentActivity(int limit);

    // --- settings and other small state (destination sync tokens, encrypted secrets, ...)
    Optional<String> getSetting(String key);

    void putSetting(String key, String value);

    void deleteSetting(String key);

    // --- fencing (several masters on one store: io.chronoroute.master.cluster)
    /** The epoch of writes outside a cluster: {@link #putSetting(String, String, long)} then writes unconditionally. */
    long UNFENCED = 0;

    /** Starts a new leadership term: increments the current epoch atomically and returns the new one (&gt; 0). */
    long advanceEpoch();

    /** The current leadership epoch (0 when none was ever published). */
    long currentEpoch();

    /**
     * {@link #putSetting(String, String)} fenced by a leadership epoch: written only if {@code epoch} is the current
     * epoch, compared and written atomically; otherwise nothing is written and {@link StaleEpochException} is thrown.
     * {@link #UNFENCED} writes unconditionally.
     */
    void putSetting(String key, String value, long epoch);

    /** {@link #deleteSetting(String)} fenced like {@link #putSetting(String, String, long)}. */
    void deleteSetting(String key, long epoch);

    @Override
    void close();
}
