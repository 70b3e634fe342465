package io.chronoroute.master.store.embedded;

import io.chronoroute.master.store.Activity;
import io.chronoroute.master.store.AgentRecord;
import io.chronoroute.master.store.AgentUpdate;
import io.chronoroute.master.store.ChangeEntry;
import io.chronoroute.master.store.ChangeSet;
import io.chronoroute.master.store.Conflict;
import io.chronoroute.master.store.ConsolidatedEvent;
import io.chronoroute.master.store.ConsolidatedPage;
import io.chronoroute.master.store.MasterStore;
import io.chronoroute.master.store.Observation;
import io.chronoroute.master.store.StaleEpochException;
import io.chronoroute.master.store.StoreChecks;
import io.chronoroute.master.store.StoreJson;
import io.chronoroute.processors.sync.SetDigest;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.locks.ReentrantReadWriteLock;
import java.util.function.BiConsumer;
import java.util.function.Consumer;
import java.util.function.Supplier;
import org.h2.mvstore.Cursor;
import org.h2.mvstore.MVMap;
import org.h2.mvstore.MVStore;
import org.h2.mvstore.type.ByteArrayDataType;
import org.h2.mvstore.type.LongDataType;
import org.h2.mvstore.type.StringDataType;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The default {@link MasterStore}: one H2 MVStore file {@code <dataDir>/master.mv.db}.
 *
 * <h2>Atomicity and durability</h2>
 * The store is opened with auto-commit disabled, so MVStore never writes on its own. Every write method (and every
 * {@link #apply(ChangeSet)}) runs under one write lock: it validates and serializes everything first, then changes
 * the in-memory maps, then calls {@link MVStore#commit()} (and {@link MVStore#sync()}, fsync, unless disabled). A
 * commit appends one new chunk holding every page changed since the previous commit and then points the file header
 * at it; on open MVStore takes the newest chunk whose header and footer checksums are intact. A process killed
 * (kill -9) before the chunk is complete therefore reopens at the previous commit, and one killed after
 * {@code commit()} returned has handed the whole chunk to the operating system, which keeps it even though the
 * process dies (fsync additionally covers power loss). If anything fails between validation and commit, the
 * in-memory maps are rolled back to the last commit with {@link MVStore#rollback()}. Readers take the read lock, so
 * they never see half an apply. MVStore's own memory-triggered auto-commit is off ({@code autoCommitBufferSize(0)}).
 * <p>
 * An {@link #apply} first stages its large values (observations, consolidated events) under new numbers in the
 * {@code values} map, committing every {@value #STAGE_BYTES} bytes so no commit needs a huge serialization buffer;
 * nothing points at them yet. Then one commit links them from the index maps together with every other change and
 * moves {@code meta/valuesCommitted} up. A crash before that commit leaves only unlinked values above
 * {@code valuesCommitted}, which the next open drops; a failure drops them at once.
 *
 * <h2>Maps</h2>
 * <ul>
 * <li>{@code agents}: id → AgentRecord JSON; {@code digests}: agentId → SetDigest "count:hex"</li>
 * <li>{@code values}: number → UTF-8 JSON of an Observation or a ConsolidatedEvent; the two large-valued maps below
 * hold only the number ({@link BlobIndex} says why)</li>
 * <li>{@code obsRef}: "agentId␟syncKey" → Observation value number and {@code obsHash}: same key → content hash (␟ = U+001F; one map for
 * all agents; per-agent reads are prefix scans with a cursor)</li>
 * <li>{@code consolidatedRef}: identity → ConsolidatedEvent value number; {@code tombstones}: deleted identities;
 * {@code identitySeq}: identity → its latest change sequence; {@code changes}: seq → "L"|"D" + identity, only the
 * latest seq of each identity (the previous one is removed when an identity changes again)</li>
 * <li>{@code idem}: "namespace␟key" → epoch millis when added</li>
 * <li>{@code updates}: "agentId␟updateId" → AgentUpdate JSON, indexed by {@code updHistory} and
 * {@code updPending} ("agentId␟" + created-time order key + "␟updateId") and {@code updDone}
 * (processed-time order key + "␟agentId␟updateId", for purging)</li>
 * <li>{@code conflicts}: id → Conflict JSON, {@code conflictOrder}: created-time order key + "␟id"</li>
 * <li>{@code activity}: seq → Activity JSON, at most {@value #ACTIVITY_LIMIT} entries</li>
 * <li>{@code settings}: key → value; {@code meta}: counters</li>
 * </ul>
 * <h2>File size</h2>
 * MVStore appends; space of chunks without live pages is reused after its retention time (45 s), so the file holds
 * the live data plus roughly the last 45 s of writes (measured: 3,000 commits rewriting 2,000 observations of 0.5 KB
 * stay near 3 MB once chunks become reusable). Every {@value #COMPACT_EVERY_COMMITS} commits, chunks are rewritten
 * when the fill rate is below {@value #COMPACT_TARGET_FILL_RATE}%.
 *
 * <h2>Reading</h2>
 * Iteration ({@code forEach*}) reads batches of {@value #BATCH} entries under the read lock and calls the action
 * outside it, so memory stays bounded and an action may itself use the store.
 */
public final class EmbeddedMasterStore implements MasterStore {

    public static final String FILE_NAME = "master.mv.db";
    public static final int DEFAULT_CACHE_MB = 16;
    static final int ACTIVITY_LIMIT = 10_000;
    static final int BATCH = 256;
    /** {@link #forEachConsolidated} reads pages of at most {@value #BATCH} events or about this many bytes. */
    static final long PAGE_BYTES = 1024 * 1024;
    private static final int COMPACT_EVERY_COMMITS = 500;
    private static final int COMPACT_TARGET_FILL_RATE = 50;
    private static final int COMPACT_WRITE_BYTES = 8 * 1024 * 1024;
    /** Values are staged in commits of about this many bytes (see {@link #apply}). */
    static final int STAGE_BYTES = 4 * 1024 * 1024;
    /** meta key: the highest value number an apply has committed a link to; higher ones are staging leftovers. */
    private static final String VALUES_COMMITTED = "valuesCommitted";

    private static final Logger LOG = LoggerFactory.getLogger(EmbeddedMasterStore.class);
    private static final char SEP = StoreChecks.SEP;

    private final Path file;
    private final boolean fsync;
    private final MVStore store;
    private final ReentrantReadWriteLock lock = new ReentrantReadWriteLock();

    private final MVMap<String, String> agents;
    private final MVMap<String, String> digests;
    private final BlobIndex obs;
    private final MVMap<String, String> obsHash;
    private final BlobIndex consolidated;
    private final MVMap<Long, byte[]> values;
    private long valueSeq;
    private final MVMap<String, Boolean> tombstones;
    private final MVMap<String, Long> identitySeq;
    private final MVMap<Long, String> changes;
    private final MVMap<String, Long> idem;
    private final MVMap<String, String> updates;
    private final MVMap<String, String> updHistory;
    private final MVMap<String, String> updPending;
    private final MVMap<String, Boolean> updDone;
    private final MVMap<String, String> conflicts;
    private final MVMap<String, String> conflictOrder;
    private final MVMap<Long, String> activity;
    private final MVMap<String, String> settings;
    private final MVMap<String, Long> meta;

    private int commitsSinceCompact;
    /** Test hook: runs in {@link #apply} after the values are staged, before the commit that links them. */
    volatile Runnable afterStaging;

    /** Opens (or creates) the store in {@code dataDir} with a 16 MB page cache and fsync on every commit. */
    public EmbeddedMasterStore(Path dataDir) {
        this(dataDir, DEFAULT_CACHE_MB, true);
    }

    /**
     * @param cacheSizeMb MVStore page cache in MB (heap used for cached pages)
     * @param fsync whether each commit is also forced to the device (power-loss safety; kill -9 safety needs no fsync)
     */
    public EmbeddedMasterStore(Path dataDir, int cacheSizeMb, boolean fsync) {
        try {
            Files.createDirectories(dataDir);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot create data directory " + dataDir, e);
        }
        this.file = dataDir.resolve(FILE_NAME).toAbsolutePath();
        this.fsync = fsync;
        this.store = new MVStore.Builder()
                .fileName(file.toString())
                .autoCommitDisabled()
                // autoCommitDisabled() only stops the background timer: MVStore still commits by itself from inside
                // a put once ~19 MB of changes are unsaved, which split a large apply into two commits on disk (the
                // first half durable on its own). A zero buffer turns that off; only commit() writes.
                .autoCommitBufferSize(0)
                .keysPerPage(16)
                .cacheSize(Math.max(1, cacheSizeMb))
                // no page compression: LZF took over half the CPU of a 10,000-event ingest (JFR), for a smaller
                // file only. Pages written compressed by older versions are still read.
                .open();
        try {
            agents = stringMap("agents");
            digests = stringMap("digests");
            values = store.openMap("values", new MVMap.Builder<Long, byte[]>()
                    .keyType(LongDataType.INSTANCE).valueType(ByteArrayDataType.INSTANCE));
            Long lastValue = values.lastKey();
            valueSeq = lastValue == null ? 0 : lastValue;
            obs = new BlobIndex(stringLongMap("obsRef"), values, () -> ++valueSeq);
            obsHash = stringMap("obsHash");
            consolidated = new BlobIndex(stringLongMap("consolidatedRef"), values, () -> ++valueSeq);
            meta = stringLongMap("meta");
            dropStagedValues(meta.get(VALUES_COMMITTED));
            migrateInlineValues("obs", obs);
            migrateInlineValues("consolidated", consolidated);
            if (!Long.valueOf(valueSeq).equals(meta.get(VALUES_COMMITTED))) {
                meta.put(VALUES_COMMITTED, valueSeq);
            }
            tombstones = store.openMap("tombstones");
            identitySeq = stringLongMap("identitySeq");
            changes = longStringMap("changes");
            idem = stringLongMap("idem");
            updates = stringMap("updates");
            updHistory = stringMap("updHistory");
            updPending = stringMap("updPending");
            updDone = store.openMap("updDone");
            conflicts = stringMap("conflicts");
            conflictOrder = stringMap("conflictOrder");
            activity = longStringMap("activity");
            settings = stringMap("settings");
            if (store.hasUnsavedChanges()) {
                store.commit();
            }
        } catch (RuntimeException e) {
            store.closeImmediately();
            throw e;
        }
        LOG.info("embedded master store open: {} ({} agents, {} consolidated events, change seq {})", file,
                agents.sizeAsLong(), consolidated.size(), counter("changeSeq"));
    }

    /** The MVStore version: one more per commit (tests check that an apply is exactly one commit). */
    long storeVersion() {
        return store.getCurrentVersion();
    }

    /** Test hook: stops the store as a killed process would, without writing anything more. */
    void closeImmediatelyForTest() {
        store.closeImmediately();
    }

    /** The store file. */
    public Path file() {
        return file;
    }

    // ------------------------------------------------------------------ agents

    @Override
    public Optional<AgentRecord> findAgent(String id) {
        return read(() -> Optional.ofNullable(StoreJson.read(agents.get(id), AgentRecord.class)));
    }

    @Override
    public void saveAgent(AgentRecord agent) {
        StoreChecks.checkAgent(agent);
        String json = StoreJson.write(agent);
        write(() -> agents.put(agent.id(), json));
    }

    @Override
    public boolean deleteAgent(String id) {
        if (id == null) {
            return false;
        }
        boolean[] existed = {false};
        write(() -> {
            existed[0] = agents.remove(id) != null;
            String prefix = id + SEP;
            existed[0] |= obs.removePrefix(prefix) | removePrefix(obsHash, prefix);
            existed[0] |= digests.remove(id) != null;
            for (String key : keysWithPrefix(updates, prefix)) {
                removeUpdate(StoreJson.read(updates.get(key), AgentUpdate.class));
            }
        });
        return existed[0];
    }

    @Override
    public List<AgentRecord> listAgents() {
        List<AgentRecord> out = new ArrayList<>();
        forEachValue(agents, null, json -> out.add(StoreJson.read(json, AgentRecord.class)));
        return out;
    }

    // ------------------------------------------------------------------ observations

    @Override
    public Optional<Observation> findObservation(String agentId, String syncKey) {
        return read(() -> Optional.ofNullable(StoreJson.read(obs.get(obsKey(agentId, syncKey)), Observation.class)));
    }

    @Override
    public Map<String, String> observationHashes(String agentId) {
        Map<String, String> out = new HashMap<>();
        String prefix = agentId + SEP;
        forEachEntry(obsHash, prefix, (k, v) -> out.put(k.substring(prefix.length()), v));
        return out;
    }

    @Override
    public void forEachObservation(String agentId, Consumer<Observation> action) {
        forEachBlob(obs, agentId + SEP, json -> action.accept(StoreJson.read(json, Observation.class)));
    }

    @Override
    public long observationCount(String agentId) {
        return read(() -> digestOf(agentId).count());
    }

    @Override
    public String agentDigest(String agentId) {
        return read(() -> digestOf(agentId).toString());
    }

    private SetDigest digestOf(String agentId) {
        String s = digests.get(agentId);
        if (s == null) {
            return SetDigest.empty();
        }
        int colon = s.indexOf(':');
        return SetDigest.parse(s.substring(colon + 1), Long.parseLong(s.substring(0, colon)));
    }

    // ------------------------------------------------------------------ consolidated

    @Override
    public Optional<ConsolidatedEvent> findConsolidated(String identity) {
        return read(() -> Optional.ofNullable(StoreJson.read(consolidated.get(identity), ConsolidatedEvent.class)));
    }

    @Override
    public void forEachConsolidated(boolean includeDeleted, Consumer<ConsolidatedEvent> action) {
        String after = null;
        do {
            ConsolidatedPage page = consolidatedPage(after, BATCH, PAGE_BYTES, includeDeleted);
            page.events().forEach(action);
            after = page.next();
        } while (after != null);
    }

    @Override
    public ConsolidatedPage consolidatedPage(String afterIdentity, int maxEvents, long maxBytes,
                                             boolean includeDeleted) {
        if (maxEvents < 1) {
            throw new IllegalArgumentException("maxEvents must be at least 1: " + maxEvents);
        }
        List<byte[]> raw = new ArrayList<>();
        String next = null;
        lock.readLock().lock();
        try {
            Cursor<String, Long> c = consolidated.cursorAfter(afterIdentity);
            int scanned = 0;
            long bytes = 0;
            while (c != null && c.hasNext()) {
                if (scanned >= maxEvents || (scanned > 0 && bytes >= maxBytes)) {
                    break;
                }
                String k = c.next();
                scanned++;
                next = k;
                if (!includeDeleted && tombstones.containsKey(k)) {
                    continue;
                }
                byte[] v = consolidated.value(c.getValue());
                if (v != null) {
                    raw.add(v);
                    bytes += v.length;
                }
            }
            if (c == null || !c.hasNext()) {
                next = null;
            }
        } finally {
            lock.readLock().unlock();
        }
        // parsed outside the lock: a page of large events does not hold writers back while it is decoded
        List<ConsolidatedEvent> events = new ArrayList<>(raw.size());
        for (int i = 0; i < raw.size(); i++) {
            ConsolidatedEvent e = StoreJson.read(raw.get(i), ConsolidatedEvent.class);
            raw.set(i, null);
            if (includeDeleted || !e.deleted()) {
                events.add(e);
            }
        }
        return new ConsolidatedPage(events, next);
    }

    @Override
    public long consolidatedCount() {
        return read(() -> consolidated.size() - tombstones.sizeAsLong());
    }

    @Override
    public long currentChangeSeq() {
        return read(() -> counter("changeSeq"));
    }

    @Override
    public List<ChangeEntry> changesSince(long afterSeq, int limit) {
        return read(() -> {
            List<ChangeEntry> out = new ArrayList<>();
            if (limit <= 0 || afterSeq == Long.MAX_VALUE) {
                return out;
            }
            Cursor<Long, String> c = changes.cursor(afterSeq + 1);
            while (c.hasNext() && out.size() < limit) {
                long seq = c.next();
                String v = c.getValue();
                out.add(new ChangeEntry(seq, v.substring(1), v.charAt(0) == 'D'));
            }
            return out;
        });
    }

    // ------------------------------------------------------------------ apply

    @Override
    public void apply(ChangeSet cs) {
        StoreChecks.checkChangeSet(cs);
        // phase 1 (no writes): serialize everything that does not depend on the stored state
        String agentJson = cs.putAgent == null ? null : StoreJson.write(cs.putAgent);
        List<byte[]> obsJson = new ArrayList<>(cs.putObservations.size());
        for (Observation o : cs.putObservations) {
            obsJson.add(StoreJson.writeBytes(o));
        }
        List<String> conflictJson = new ArrayList<>(cs.putConflicts.size());
        for (Conflict c : cs.putConflicts) {
            conflictJson.add(StoreJson.write(c));
        }
        List<String> updateJson = new ArrayList<>(cs.putUpdates.size());
        for (AgentUpdate u : cs.putUpdates) {
            updateJson.add(StoreJson.write(u));
        }
        List<String> activityJson = new ArrayList<>(cs.activities.size());
        for (Activity a : cs.activities) {
            activityJson.add(StoreJson.write(a));
        }
        List<ConsolidatedEvent> stored = new ArrayList<>(cs.putConsolidated.size());
        lock.writeLock().lock();
        try {
            long seq = counter("changeSeq");
            List<byte[]> consolidatedJson = new ArrayList<>(cs.putConsolidated.size());
            for (ConsolidatedEvent e : cs.putConsolidated) {
                ConsolidatedEvent s = e.withChangeSeq(++seq);
                stored.add(s);
                consolidatedJson.add(StoreJson.writeBytes(s));
            }
            // phase 2: stage the large values in small commits nothing points at yet (MVStore serializes a commit
            // in one buffer: a 10,000-event apply as one commit needed a 60 MB array); phase 3: change the maps and
            // link the staged values, then one commit. A failure rolls back to the staged state and drops the staged
            // values; a crash in between leaves unlinked values above VALUES_COMMITTED, dropped on the next open.
            long committedValues = valueSeq;
            try {
                long[] obsNums = stage(obsJson);
                long[] consolidatedNums = stage(consolidatedJson);
                Runnable hook = afterStaging;
                if (hook != null) {
                    hook.run();
                }
                if (agentJson != null) {
                    agents.put(cs.putAgent.id(), agentJson);
                }
                applyObservations(cs, obsNums);
                for (int i = 0; i < stored.size(); i++) {
                    ConsolidatedEvent s = stored.get(i);
                    Long previous = identitySeq.put(s.identity(), s.changeSeq());
                    if (previous != null) {
                        changes.remove(previous);
                    }
                    changes.put(s.changeSeq(), (s.deleted() ? "D" : "L") + s.identity());
                    consolidated.link(s.identity(), consolidatedNums[i]);
                    if (s.deleted()) {
                        tombstones.put(s.identity(), Boolean.TRUE);
                    } else {
                        tombstones.remove(s.identity());
                    }
                }
                if (!stored.isEmpty()) {
                    meta.put("changeSeq", seq);
                }
                for (int i = 0; i < cs.putConflicts.size(); i++) {
                    putConflict(cs.putConflicts.get(i), conflictJson.get(i));
                }
                for (int i = 0; i < cs.putUpdates.size(); i++) {
                    putUpdate(cs.putUpdates.get(i), updateJson.get(i));
                }
                appendActivities(activityJson);
                long now = System.currentTimeMillis();
                for (String[] k : cs.addKeys) {
                    idem.putIfAbsent(idemKey(k[0], k[1]), now);
                }
                if (valueSeq != committedValues) {
                    meta.put(VALUES_COMMITTED, valueSeq);
                }
                commit();
            } catch (RuntimeException | Error e) {
                rollback(e);
                try {
                    if (!store.isClosed()) {
                        dropStagedValues(committedValues);
                    }
                } catch (RuntimeException r) {
                    e.addSuppressed(r);
                }
                throw e;
            }
        } finally {
            lock.writeLock().unlock();
        }
        for (int i = 0; i < stored.size(); i++) {
            cs.putConsolidated.set(i, stored.get(i));
        }
    }

    /** Removals first, then puts (a key both removed and put ends up put); digests updated incrementally. */
    private void applyObservations(ChangeSet cs, long[] obsNums) {
        Map<String, SetDigest> touched = new LinkedHashMap<>();
        for (String[] pair : cs.removeObservations) {
            String key = obsKey(pair[0], pair[1]);
            String oldHash = obsHash.remove(key);
            if (oldHash != null) {
                obs.remove(key);
                touched.computeIfAbsent(pair[0], this::digestOf).remove(pair[1], oldHash);
            }
        }
        for (int i = 0; i < cs.putObservations.size(); i++) {
            Observation o = cs.putObservations.get(i);
            String key = obsKey(o.agentId(), o.syncKey());
            String oldHash = obsHash.put(key, o.contentHash());
            obs.link(key, obsNums[i]);
            SetDigest d = touched.computeIfAbsent(o.agentId(), this::digestOf);
            if (oldHash == null) {
                d.add(o.syncKey(), o.contentHash());
            } else if (!oldHash.equals(o.contentHash())) {
                d.remove(o.syncKey(), oldHash);
                d.add(o.syncKey(), o.contentHash());
            }
        }
        touched.forEach((agentId, d) -> {
            if (d.count() == 0) {
                digests.remove(agentId);
            } else {
                digests.put(agentId, d.toString());
            }
        });
    }

    /** Puts the values under new numbers, committing every {@value #STAGE_BYTES} bytes. Caller holds the write lock. */
    private long[] stage(List<byte[]> json) {
        long[] nums = new long[json.size()];
        long pending = 0;
        for (int i = 0; i < nums.length; i++) {
            byte[] v = json.get(i);
            nums[i] = ++valueSeq;
            values.put(nums[i], v);
            pending += v.length;
            if (pending >= STAGE_BYTES) {
                store.commit();
                pending = 0;
            }
        }
        return nums;
    }

    /** Removes the values numbered above {@code committed} (staged, never linked) and commits. */
    private void dropStagedValues(Long committed) {
        if (committed == null) {
            return;
        }
        List<Long> staged = new ArrayList<>();
        for (Cursor<Long, byte[]> c = values.cursor(committed + 1); c.hasNext(); ) {
            staged.add(c.next());
        }
        if (staged.isEmpty()) {
            return;
        }
        staged.forEach(values::remove);
        store.commit();
        valueSeq = committed;
        LOG.info("embedded master store: dropped {} values staged by an apply that did not complete", staged.size());
    }

    private void appendActivities(List<String> activityJson) {
        if (activityJson.isEmpty()) {
            return;
        }
        long seq = counter("activitySeq");
        for (String json : activityJson) {
            activity.put(++seq, json);
        }
        meta.put("activitySeq", seq);
        while (activity.sizeAsLong() > ACTIVITY_LIMIT) {
            activity.remove(activity.firstKey());
        }
    }

    // ------------------------------------------------------------------ idempotency

    @Override
    public boolean containsKey(String namespace, String key) {
        return read(() -> idem.containsKey(idemKey(namespace, key)));
    }

    @Override
    public boolean addKey(String namespace, String key) {
        String k = idemKey(namespace, key);
        boolean[] added = {false};
        write(() -> added[0] = idem.putIfAbsent(k, System.currentTimeMillis()) == null);
        return added[0];
    }

    @Override
    public boolean removeKey(String namespace, String key) {
        String k = idemKey(namespace, key);
        boolean[] removed = {false};
        write(() -> removed[0] = idem.remove(k) != null);
        return removed[0];
    }

    @Override
    public void clearKeys(String namespace) {
        StoreChecks.requireId(namespace, "namespace");
        write(() -> removePrefix(idem, namespace + SEP));
    }

    private static String idemKey(String namespace, String key) {
        StoreChecks.requireId(namespace, "namespace");
        StoreChecks.requireText(key, "key");
        return namespace + SEP + key;
    }

    // ------------------------------------------------------------------ updates

    @Override
    public Optional<AgentUpdate> findUpdate(String agentId, String updateId) {
        return read(() -> Optional.ofNullable(StoreJson.read(updates.get(agentId + SEP + updateId), AgentUpdate.class)));
    }

    @Override
    public List<AgentUpdate> pendingUpdates(String agentId) {
        List<AgentUpdate> out = new ArrayList<>();
        forEachValue(updPending, agentId + SEP, id -> findUpdate(agentId, id).ifPresent(out::add));
        return out;
    }

    @Override
    public List<AgentUpdate> updateHistory(String agentId, int limit) {
        return read(() -> {
            List<AgentUpdate> out = new ArrayList<>();
            String prefix = agentId + SEP;
            // reverse cursor from just above the agent's range (' ' is the character after the separator)
            Cursor<String, String> c = updHistory.cursor(agentId + ' ', null, true);
            while (c.hasNext() && out.size() < limit) {
                if (!c.next().startsWith(prefix)) {
                    break;
                }
                String json = updates.get(prefix + c.getValue());
                if (json != null) {
                    out.add(StoreJson.read(json, AgentUpdate.class));
                }
            }
            return out;
        });
    }

    @Override
    public void saveUpdate(AgentUpdate update) {
        StoreChecks.checkUpdate(update, "update");
        String json = StoreJson.write(update);
        write(() -> putUpdate(update, json));
    }

    @Override
    public int purgeUpdates(Instant before) {
        String end = orderKey(before);
        int[] purged = {0};
        write(() -> {
            List<String> done = new ArrayList<>();
            Cursor<String, Boolean> c = updDone.cursor(null);
            while (c.hasNext()) {
                String k = c.next();
                if (k.compareTo(end) >= 0) {
                    break;
                }
                done.add(k);
            }
            for (String k : done) {
                int a = k.indexOf(SEP);
                int b = k.indexOf(SEP, a + 1);
                String json = updates.get(k.substring(a + 1, b) + SEP + k.substring(b + 1));
                updDone.remove(k);
                if (json != null) {
                    removeUpdate(StoreJson.read(json, AgentUpdate.class));
                    purged[0]++;
                }
            }
        });
        return purged[0];
    }

    private void putUpdate(AgentUpdate u, String json) {
        String key = u.agentId() + SEP + u.id();
        String oldJson = updates.put(key, json);
        if (oldJson != null) {
            unindexUpdate(StoreJson.read(oldJson, AgentUpdate.class));
        }
        String order = historyKey(u);
        updHistory.put(order, u.id());
        if (AgentUpdate.PENDING.equals(u.status())) {
            updPending.put(order, u.id());
        } else {
            updDone.put(doneKey(u), Boolean.TRUE);
        }
    }

    private void removeUpdate(AgentUpdate u) {
        updates.remove(u.agentId() + SEP + u.id());
        unindexUpdate(u);
    }

    private void unindexUpdate(AgentUpdate old) {
        String order = historyKey(old);
        updHistory.remove(order);
        updPending.remove(order);
        updDone.remove(doneKey(old));
    }

    private static String historyKey(AgentUpdate u) {
        return u.agentId() + SEP + orderKey(u.createdAt()) + SEP + u.id();
    }

    private static String doneKey(AgentUpdate u) {
        Instant at = u.processedAt() != null ? u.processedAt() : u.createdAt();
        return orderKey(at) + SEP + u.agentId() + SEP + u.id();
    }

    // ------------------------------------------------------------------ conflicts

    @Override
    public Optional<Conflict> findConflict(String id) {
        return read(() -> Optional.ofNullable(StoreJson.read(conflicts.get(id), Conflict.class)));
    }

    @Override
    public List<Conflict> recentConflicts(int limit) {
        return read(() -> {
            List<Conflict> out = new ArrayList<>();
            Cursor<String, String> c = conflictOrder.cursor(null, null, true);
            while (c.hasNext() && out.size() < limit) {
                c.next();
                String json = conflicts.get(c.getValue());
                if (json != null) {
                    out.add(StoreJson.read(json, Conflict.class));
                }
            }
            return out;
        });
    }

    @Override
    public void saveConflict(Conflict conflict) {
        StoreChecks.checkConflict(conflict, "conflict");
        String json = StoreJson.write(conflict);
        write(() -> putConflict(conflict, json));
    }

    private void putConflict(Conflict c, String json) {
        String oldJson = conflicts.put(c.id(), json);
        if (oldJson != null) {
            Conflict old = StoreJson.read(oldJson, Conflict.class);
            conflictOrder.remove(orderKey(old.createdAt()) + SEP + old.id());
        }
        conflictOrder.put(orderKey(c.createdAt()) + SEP + c.id(), c.id());
    }

    // ------------------------------------------------------------------ activity

    @Override
    public List<Activity> recentActivity(int limit) {
        return read(() -> {
            List<Activity> out = new ArrayList<>();
            Cursor<Long, String> c = activity.cursor(null, null, true);
            while (c.hasNext() && out.size() < limit) {
                c.next();
                out.add(StoreJson.read(c.getValue(), Activity.class));
            }
            return out;
        });
    }

    // ------------------------------------------------------------------ settings

    @Override
    public Optional<String> getSetting(String key) {
        return read(() -> Optional.ofNullable(settings.get(key)));
    }

    @Override
    public void putSetting(String key, String value) {
        StoreChecks.requireText(key, "setting key");
        if (value == null) {
            throw new IllegalArgumentException("setting value is null (use deleteSetting)");
        }
        write(() -> settings.put(key, value));
    }

    @Override
    public void deleteSetting(String key) {
        write(() -> settings.remove(key));
    }

    // ------------------------------------------------------------------ fencing (one process: compared under the lock)

    @Override
    public long advanceEpoch() {
        long[] next = new long[1];
        write(() -> {
            next[0] = counter("epoch") + 1;
            meta.put("epoch", next[0]);
        });
        return next[0];
    }

    @Override
    public long currentEpoch() {
        return read(() -> counter("epoch"));
    }

    @Override
    public void putSetting(String key, String value, long epoch) {
        StoreChecks.requireText(key, "setting key");
        if (value == null) {
            throw new IllegalArgumentException("setting value is null (use deleteSetting)");
        }
        write(() -> {
            checkEpoch(epoch);
            settings.put(key, value);
        });
    }

    @Override
    public void deleteSetting(String key, long epoch) {
        write(() -> {
            checkEpoch(epoch);
            settings.remove(key);
        });
    }

    private void checkEpoch(long epoch) {
        long current = counter("epoch");
        if (epoch != UNFENCED && epoch != current) {
            throw new StaleEpochException(epoch, current);
        }
    }

    // ------------------------------------------------------------------ lifecycle

    @Override
    public void close() {
        lock.writeLock().lock();
        try {
            if (!store.isClosed()) {
                store.close();
                LOG.info("embedded master store closed: {}", file);
            }
        } finally {
            lock.writeLock().unlock();
        }
    }

    // ------------------------------------------------------------------ helpers

    private long counter(String name) {
        Long v = meta.get(name);
        return v == null ? 0L : v;
    }

    private static String obsKey(String agentId, String syncKey) {
        return agentId + SEP + syncKey;
    }

    /** A string that sorts like the instant (unsigned, zero-padded epoch millis with the sign bit flipped). */
    static String orderKey(Instant at) {
        String digits = Long.toUnsignedString(at.toEpochMilli() ^ Long.MIN_VALUE);
        return "0".repeat(20 - digits.length()) + digits;
    }

    private <T> T read(Supplier<T> body) {
        lock.readLock().lock();
        try {
            return body.get();
        } finally {
            lock.readLock().unlock();
        }
    }

    private void write(Runnable body) {
        lock.writeLock().lock();
        try {
            body.run();
            commit();
        } catch (RuntimeException | Error e) {
            rollback(e);
            throw e;
        } finally {
            lock.writeLock().unlock();
        }
    }

    // Typed maps: MVStore's default ObjectDataType tags and dispatches every key and value on each page write, which
    // made long-valued maps the hottest code of a 10,000-event ingest (JFR). The file format of these maps is the
    // plain String/Long encoding.
    private MVMap<String, String> stringMap(String name) {
        return store.openMap(name, new MVMap.Builder<String, String>()
                .keyType(StringDataType.INSTANCE).valueType(StringDataType.INSTANCE));
    }

    private MVMap<String, Long> stringLongMap(String name) {
        return store.openMap(name, new MVMap.Builder<String, Long>()
                .keyType(StringDataType.INSTANCE).valueType(LongDataType.INSTANCE));
    }

    private MVMap<Long, String> longStringMap(String name) {
        return store.openMap(name, new MVMap.Builder<Long, String>()
                .keyType(LongDataType.INSTANCE).valueType(StringDataType.INSTANCE));
    }

    /** Caller holds the write lock. */
    private void commit() {
        if (!store.hasUnsavedChanges()) {
            return;
        }
        store.commit();
        if (fsync) {
            store.sync();
        }
        if (++commitsSinceCompact >= COMPACT_EVERY_COMMITS) {
            commitsSinceCompact = 0;
            if (store.getFillRate() < COMPACT_TARGET_FILL_RATE
                    && store.compact(COMPACT_TARGET_FILL_RATE, COMPACT_WRITE_BYTES)) {
                store.commit();
            }
        }
    }

    private void rollback(Throwable cause) {
        try {
            if (!store.isClosed()) {
                store.rollback();
            }
        } catch (RuntimeException r) {
            cause.addSuppressed(r);
        }
    }

    private static <V> boolean removePrefix(MVMap<String, V> map, String prefix) {
        List<String> keys = keysWithPrefix(map, prefix);
        for (String k : keys) {
            map.remove(k);
        }
        return !keys.isEmpty();
    }

    private static <V> List<String> keysWithPrefix(MVMap<String, V> map, String prefix) {
        List<String> keys = new ArrayList<>();
        Cursor<String, V> c = map.cursor(prefix);
        while (c.hasNext()) {
            String k = c.next();
            if (!k.startsWith(prefix)) {
                break;
            }
            keys.add(k);
        }
        return keys;
    }

    /** As {@link #forEachEntry}, for the values of a {@link BlobIndex}. */
    private void forEachBlob(BlobIndex map, String prefix, Consumer<byte[]> action) {
        String last = null;
        while (true) {
            List<BlobIndex.Entry> batch;
            lock.readLock().lock();
            try {
                batch = map.batch(prefix, last, BATCH);
            } finally {
                lock.readLock().unlock();
            }
            for (BlobIndex.Entry e : batch) {
                action.accept(e.value());
            }
            if (batch.size() < BATCH) {
                return;
            }
            last = batch.get(batch.size() - 1).key();
        }
    }

    /**
     * Moves the values of a map written by 0.1 versions before the {@link BlobIndex} layout (key → JSON string in
     * the leaf) into the new layout, then drops the old map. Runs once, at open, in the opening commit.
     */
    private void migrateInlineValues(String oldName, BlobIndex target) {
        if (!store.hasMap(oldName)) {
            return;
        }
        MVMap<String, String> old = stringMap(oldName);
        long n = 0;
        for (Cursor<String, String> c = old.cursor(null); c.hasNext(); ) {
            String k = c.next();
            target.put(k, c.getValue().getBytes(StandardCharsets.UTF_8));
            n++;
        }
        store.removeMap(old);
        LOG.info("embedded master store: moved {} values of map '{}' to the indexed layout", n, oldName);
    }

    private void forEachValue(MVMap<String, String> map, String prefix, Consumer<String> action) {
        forEachEntry(map, prefix, (k, v) -> action.accept(v));
    }

    /**
     * Visits the entries (of one key prefix, or all when null) in key order, reading {@value #BATCH} at a time under
     * the read lock and calling the action without holding it.
     */
    private void forEachEntry(MVMap<String, String> map, String prefix, BiConsumer<String, String> action) {
        String last = null;
        while (true) {
            List<String[]> batch = new ArrayList<>(BATCH);
            lock.readLock().lock();
            try {
                String start = last == null ? prefix : map.higherKey(last);
                if (last == null || start != null) {
                    Cursor<String, String> c = map.cursor(start);
                    while (c.hasNext() && batch.size() < BATCH) {
                        String k = c.next();
                        if (prefix != null && !k.startsWith(prefix)) {
                            break;
                        }
                        batch.add(new String[] {k, c.getValue()});
                    }
                }
            } finally {
                lock.readLock().unlock();
            }
            for (String[] e : batch) {
                action.accept(e[0], e[1]);
            }
            if (batch.size() < BATCH) {
                return;
            }
            last = batch.get(batch.size() - 1)[0];
        }
    }
}
