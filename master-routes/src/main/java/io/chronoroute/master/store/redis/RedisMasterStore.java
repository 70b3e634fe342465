package io.chronoroute.master.store.redis;

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
import io.lettuce.core.KeyValue;
import io.lettuce.core.Limit;
import io.lettuce.core.MapScanCursor;
import io.lettuce.core.Range;
import io.lettuce.core.RedisClient;
import io.lettuce.core.RedisException;
import io.lettuce.core.RedisURI;
import io.lettuce.core.ScanArgs;
import io.lettuce.core.ScanCursor;
import io.lettuce.core.ScriptOutputType;
import io.lettuce.core.TransactionResult;
import io.lettuce.core.api.StatefulRedisConnection;
import io.lettuce.core.api.sync.RedisCommands;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.BiConsumer;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * {@link MasterStore} on Redis ({@code chronoroute.store=redis}), spoken with Lettuce directly.
 *
 * <h2>Key layout</h2> ({@code P} = the key prefix, default {@value #DEFAULT_PREFIX})
 * <table>
 * <caption>keys</caption>
 * <tr><td>{@code P agents}</td><td>hash</td><td>agent id → AgentRecord JSON</td></tr>
 * <tr><td>{@code P agent:{id}:obs}</td><td>hash</td><td>sync key → Observation JSON</td></tr>
 * <tr><td>{@code P agent:{id}:hashes}</td><td>hash</td><td>sync key → content hash</td></tr>
 * <tr><td>{@code P agent:{id}:digest}</td><td>string</td><td>SetDigest "count:hex" of the agent</td></tr>
 * <tr><td>{@code P consolidated}</td><td>hash</td><td>identity → ConsolidatedEvent JSON</td></tr>
 * <tr><td>{@code P consolidated:index}</td><td>sorted set</td><td>every identity of {@code P consolidated}, score 0:
 * paged reads in identity order (ZRANGEBYLEX)</td></tr>
 * <tr><td>{@code P tombstones}</td><td>set</td><td>identities whose consolidated event is deleted</td></tr>
 * <tr><td>{@code P changes}</td><td>sorted set</td><td>identity scored by its latest change sequence (ZADD
 * replaces the score, so there is one entry per identity)</td></tr>
 * <tr><td>{@code P changeseq}</td><td>string</td><td>the last change sequence (INCRBY)</td></tr>
 * <tr><td>{@code P idem:{namespace}}</td><td>set</td><td>idempotency keys</td></tr>
 * <tr><td>{@code P sync:agent:{id}:updates}</td><td>hash</td><td>update id → AgentUpdate JSON (snake_case, a superset
 * of the seed's update object), every status (the seed's key)</td></tr>
 * <tr><td>{@code P sync:agent:{id}:pending}</td><td>list</td><td>ids of pending updates (the seed's key)</td></tr>
 * <tr><td>{@code P sync:agent:{id}:processed}</td><td>hash</td><td>update id → JSON of processed/rejected updates
 * (the seed's audit key)</td></tr>
 * <tr><td>{@code P sync:agent:{id}:history}</td><td>sorted set</td><td>update id scored by created time (ms)</td></tr>
 * <tr><td>{@code P updates:done}</td><td>sorted set</td><td>"agentId U+001F updateId" scored by processed time, for
 * purging</td></tr>
 * <tr><td>{@code P conflicts}</td><td>hash</td><td>id → Conflict JSON</td></tr>
 * <tr><td>{@code P conflicts:order}</td><td>sorted set</td><td>conflict id scored by created time (ms)</td></tr>
 * <tr><td>{@code P activity}</td><td>list</td><td>Activity JSON, newest first, trimmed to 10,000</td></tr>
 * <tr><td>{@code P settings}</td><td>hash</td><td>key → value</td></tr>
 * <tr><td>{@code P cluster:epoch}</td><td>string</td><td>the current leadership epoch; fenced settings writes compare
 * it in the same Lua script</td></tr>
 * </table>
 * With the default prefix the seed's update keys become {@code chronoroute:sync:agent:{id}:updates}; a prefix of
 * {@code ""} gives exactly the seed's names.
 *
 * <h2>Atomicity</h2>
 * Every write is one MULTI/EXEC transaction on a dedicated connection, guarded by a lock in this JVM. Writes that
 * depend on stored values (digests, the change sequence, update status moves) first WATCH the keys they read, read,
 * compute, then queue the writes; if another client changed a watched key, EXEC is discarded and the whole step is
 * retried. Invalid change sets are rejected before anything is sent. Durability after EXEC is Redis' own: run it with
 * {@code appendonly yes} ({@code appendfsync always} to survive a Redis crash without losing the last second); the
 * store logs a warning at start when append-only persistence is off. Iteration uses HSCAN (never KEYS) and visits
 * each entry once.
 */
public final class RedisMasterStore implements MasterStore {

    public static final String DEFAULT_PREFIX = "chronoroute:";
    static final int ACTIVITY_LIMIT = 10_000;
    private static final int SCAN_COUNT = 500;
    /** {@link #forEachConsolidated} reads pages of at most {@value #SCAN_COUNT} events or about this many bytes. */
    private static final long PAGE_BYTES = 1024 * 1024;
    /** Values of a page are fetched (HMGET) this many at a time. */
    private static final int VALUE_GROUP = 32;
    private static final int MAX_ATTEMPTS = 50;
    private static final char SEP = StoreChecks.SEP;

    private static final String CHANGES_SINCE_LUA = """
            local r = redis.call('ZRANGEBYSCORE', KEYS[1], '(' .. ARGV[1], '+inf', 'WITHSCORES', 'LIMIT', 0, ARGV[2])
            local out = {}
            for i = 1, #r, 2 do
              out[#out + 1] = r[i + 1]
              out[#out + 1] = r[i]
              out[#out + 1] = tostring(redis.call('SISMEMBER', KEYS[2], r[i]))
            end
            return out
            """;
    /** Per field: the length of its value, or -1 when it is a tombstone. */
    private static final String LENGTHS_LUA = """
            local out = {}
            for i, f in ipairs(ARGV) do
              if redis.call('SISMEMBER', KEYS[2], f) == 1 then
                out[i] = -1
              else
                out[i] = redis.call('HSTRLEN', KEYS[1], f)
              end
            end
            return out
            """;
    private static final String LIVE_COUNT_LUA =
            "return redis.call('HLEN', KEYS[1]) - redis.call('SCARD', KEYS[2])";

    /** KEYS[1] epoch, KEYS[2] settings; ARGV[1] epoch, ARGV[2] field, ARGV[3] value (absent: delete). */
    private static final String FENCED_SETTING_LUA = """
            local current = tonumber(redis.call('GET', KEYS[1]) or '0')
            if current ~= tonumber(ARGV[1]) then
              return current
            end
            if ARGV[3] then
              redis.call('HSET', KEYS[2], ARGV[2], ARGV[3])
            else
              redis.call('HDEL', KEYS[2], ARGV[2])
            end
            return -1
            """;

    private static final Logger LOG = LoggerFactory.getLogger(RedisMasterStore.class);

    private final String prefix;
    private final RedisClient client;
    private final StatefulRedisConnection<String, String> readConnection;
    private final StatefulRedisConnection<String, String> writeConnection;
    private final RedisCommands<String, String> r;
    private final RedisCommands<String, String> w;
    private final ReentrantLock writeLock = new ReentrantLock();

    /**
     * Connects to {@code redisUrl} ({@code redis://[:password@]host:port[/db]} or {@code rediss://...}). The URL is
     * never logged with its password.
     */
    public RedisMasterStore(String redisUrl, String keyPrefix) {
        RedisURI uri = RedisURI.create(redisUrl);
        uri.setTimeout(Duration.ofSeconds(30));
        this.prefix = keyPrefix == null ? DEFAULT_PREFIX : keyPrefix;
        this.client = RedisClient.create(uri);
        try {
            this.readConnection = client.connect();
            this.writeConnection = client.connect();
        } catch (RuntimeException e) {
            client.shutdown();
            throw new IllegalStateException("cannot connect to Redis at " + uri.getHost() + ":" + uri.getPort(), e);
        }
        this.r = readConnection.sync();
        this.w = writeConnection.sync();
        warnWithoutAppendOnly(uri);
        ensureConsolidatedIndex();
        LOG.info("Redis master store on {}:{} (db {}), key prefix '{}'", uri.getHost(), uri.getPort(),
                uri.getDatabase(), prefix);
    }

    private void warnWithoutAppendOnly(RedisURI uri) {
        try {
            Map<String, String> aof = r.configGet("appendonly");
            if (!"yes".equalsIgnoreCase(aof.get("appendonly"))) {
                LOG.warn("Redis at {}:{} runs without append-only persistence: applied changes can be lost when "
                        + "Redis stops; set 'appendonly yes' (and 'appendfsync always' to lose nothing)",
                        uri.getHost(), uri.getPort());
                return;
            }
            String fsync = r.configGet("appendfsync").get("appendfsync");
            if (!"always".equalsIgnoreCase(fsync)) {
                LOG.info("Redis at {}:{} uses appendfsync {}: a crash of Redis itself (not of this process) can lose "
                        + "the last second of applied changes", uri.getHost(), uri.getPort(), fsync);
            }
        } catch (RedisException e) {
            LOG.info("cannot read the persistence settings of Redis at {}:{} (CONFIG not allowed): {}", uri.getHost(),
                    uri.getPort(), e.getMessage());
        }
    }

    // ------------------------------------------------------------------ keys

    private String k(String name) {
        return prefix + name;
    }

    private String agentKey(String agentId, String part) {
        return prefix + "agent:" + agentId + ":" + part;
    }

    private String updKey(String agentId, String part) {
        return prefix + "sync:agent:" + agentId + ":" + part;
    }

    // ------------------------------------------------------------------ agents

    @Override
    public Optional<AgentRecord> findAgent(String id) {
        return Optional.ofNullable(StoreJson.read(r.hget(k("agents"), id), AgentRecord.class));
    }

    @Override
    public void saveAgent(AgentRecord agent) {
        ChangeSet cs = new ChangeSet();
        cs.putAgent = agent;
        apply(cs);
    }

    @Override
    public boolean deleteAgent(String id) {
        if (id == null) {
            return false;
        }
        writeLock.lock();
        try {
            List<String> updateIds = new ArrayList<>();
            hscan(updKey(id, "updates"), (updateId, json) -> updateIds.add(updateId));
            w.multi();
            w.hdel(k("agents"), id);
            w.del(agentKey(id, "obs"), agentKey(id, "hashes"), agentKey(id, "digest"), updKey(id, "updates"),
                    updKey(id, "pending"), updKey(id, "processed"), updKey(id, "history"));
            for (int from = 0; from < updateIds.size(); from += SCAN_COUNT) {
                List<String> chunk = updateIds.subList(from, Math.min(updateIds.size(), from + SCAN_COUNT));
                w.zrem(k("updates:done"), chunk.stream().map(u -> id + SEP + u).toArray(String[]::new));
            }
            TransactionResult result = w.exec();
            if (result.wasDiscarded()) {
                throw new IllegalStateException("Redis discarded the delete of agent " + id);
            }
            long agentRemoved = result.get(0);
            long keysRemoved = result.get(1);
            return agentRemoved > 0 || keysRemoved > 0;
        } catch (RuntimeException e) {
            discardQuietly(e);
            throw e;
        } finally {
            writeLock.unlock();
        }
    }

    @Override
    public List<AgentRecord> listAgents() {
        List<AgentRecord> out = new ArrayList<>();
        hscan(k("agents"), (id, json) -> out.add(StoreJson.read(json, AgentRecord.class)));
        return out;
    }

    // ------------------------------------------------------------------ observations

    @Override
    public Optional<Observation> findObservation(String agentId, String syncKey) {
        return Optional.ofNullable(StoreJson.read(r.hget(agentKey(agentId, "obs"), syncKey), Observation.class));
    }

    @Override
    public Map<String, String> observationHashes(String agentId) {
        Map<String, String> out = new HashMap<>();
        hscan(agentKey(agentId, "hashes"), out::put);
        return out;
    }

    @Override
    public void forEachObservation(String agentId, Consumer<Observation> action) {
        hscan(agentKey(agentId, "obs"), (key, json) -> action.accept(StoreJson.read(json, Observation.class)));
    }

    @Override
    public long observationCount(String agentId) {
        return r.hlen(agentKey(agentId, "hashes"));
    }

    @Override
    public String agentDigest(String agentId) {
        String d = r.get(agentKey(agentId, "digest"));
        return d == null ? SetDigest.empty().toString() : d;
    }

    private static SetDigest parseDigest(String s) {
        if (s == null) {
            return SetDigest.empty();
        }
        int colon = s.indexOf(':');
        return SetDigest.parse(s.substring(colon + 1), Long.parseLong(s.substring(0, colon)));
    }

    // ------------------------------------------------------------------ consolidated

    @Override
    public Optional<ConsolidatedEvent> findConsolidated(String identity) {
        return Optional.ofNullable(StoreJson.read(r.hget(k("consolidated"), identity), ConsolidatedEvent.class));
    }

    @Override
    public void forEachConsolidated(boolean includeDeleted, Consumer<ConsolidatedEvent> action) {
        String after = null;
        do {
            ConsolidatedPage page = consolidatedPage(after, SCAN_COUNT, PAGE_BYTES, includeDeleted);
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
        Range<String> range = Range.from(afterIdentity == null ? Range.Boundary.unbounded()
                : Range.Boundary.excluding(afterIdentity), Range.Boundary.unbounded());
        // one more than asked tells whether the walk goes on
        List<String> ids = r.zrangebylex(k("consolidated:index"), range, Limit.create(0, maxEvents + 1L));
        boolean more = ids.size() > maxEvents;
        List<ConsolidatedEvent> out = new ArrayList<>();
        int end = Math.min(ids.size(), maxEvents);
        long bytes = 0;
        int taken = 0;
        while (taken < end && (taken == 0 || bytes < maxBytes)) {
            // sizes first (HSTRLEN), then only the values that fit the page: large events are never fetched ahead;
            // tombstones are not fetched at all unless asked for
            List<String> group = ids.subList(taken, Math.min(end, taken + VALUE_GROUP));
            List<Object> lengths = r.eval(LENGTHS_LUA, ScriptOutputType.MULTI,
                    new String[] {k("consolidated"), k("tombstones")}, group.toArray(String[]::new));
            List<String> fetch = new ArrayList<>();
            int n = 0;
            while (n < group.size() && (taken + n == 0 || bytes < maxBytes)) {
                long len = ((Number) lengths.get(n)).longValue();
                if (len >= 0 || includeDeleted) {
                    fetch.add(group.get(n));
                    bytes += Math.max(len, 0);
                }
                n++;
            }
            if (!fetch.isEmpty()) {
                for (KeyValue<String, String> kv : r.hmget(k("consolidated"), fetch.toArray(String[]::new))) {
                    if (kv.hasValue()) {
                        ConsolidatedEvent e = StoreJson.read(kv.getValue(), ConsolidatedEvent.class);
                        if (includeDeleted || !e.deleted()) {
                            out.add(e);
                        }
                    }
                }
            }
            taken += n;
        }
        more |= taken < Math.min(ids.size(), maxEvents);
        return new ConsolidatedPage(out, more ? ids.get(taken - 1) : null);
    }

    /**
     * Stores written before the {@code consolidated:index} sorted set existed (or by another tool) get it rebuilt
     * from the hash, one HSCAN page at a time; ZADD is idempotent, so writes that run meanwhile do no harm.
     */
    private void ensureConsolidatedIndex() {
        long hashed = r.hlen(k("consolidated"));
        if (r.zcard(k("consolidated:index")) >= hashed) {
            return;
        }
        LOG.info("Redis master store: indexing {} consolidated events for paged reads", hashed);
        ScanArgs args = ScanArgs.Builder.limit(SCAN_COUNT);
        ScanCursor cursor = ScanCursor.INITIAL;
        do {
            MapScanCursor<String, String> page = r.hscan(k("consolidated"), cursor, args);
            if (!page.getMap().isEmpty()) {
                Object[] members = new Object[page.getMap().size() * 2];
                int i = 0;
                for (String id : page.getMap().keySet()) {
                    members[i++] = 0.0;
                    members[i++] = id;
                }
                r.zadd(k("consolidated:index"), members);
            }
            cursor = page;
        } while (!cursor.isFinished());
    }

    @Override
    public long consolidatedCount() {
        Long n = r.eval(LIVE_COUNT_LUA, ScriptOutputType.INTEGER, k("consolidated"), k("tombstones"));
        return n == null ? 0 : n;
    }

    @Override
    public long currentChangeSeq() {
        String v = r.get(k("changeseq"));
        return v == null ? 0 : Long.parseLong(v);
    }

    @Override
    public List<ChangeEntry> changesSince(long afterSeq, int limit) {
        if (limit <= 0) {
            return List.of();
        }
        List<String> flat = r.eval(CHANGES_SINCE_LUA, ScriptOutputType.MULTI,
                new String[] {k("changes"), k("tombstones")}, Long.toString(afterSeq), Integer.toString(limit));
        List<ChangeEntry> out = new ArrayList<>(flat.size() / 3);
        for (int i = 0; i + 2 < flat.size(); i += 3) {
            out.add(new ChangeEntry((long) Double.parseDouble(flat.get(i)), flat.get(i + 1),
                    "1".equals(flat.get(i + 2))));
        }
        return out;
    }

    // ------------------------------------------------------------------ apply

    @Override
    public void apply(ChangeSet cs) {
        StoreChecks.checkChangeSet(cs);
        if (cs.isEmpty()) {
            return;
        }
        // serialize everything that does not depend on stored state before touching Redis
        Map<String, String> agentJson = cs.putAgent == null ? Map.of()
                : Map.of(cs.putAgent.id(), StoreJson.write(cs.putAgent));
        Map<String, Map<String, String>> obsJson = new LinkedHashMap<>();
        for (Observation o : cs.putObservations) {
            obsJson.computeIfAbsent(o.agentId(), a -> new LinkedHashMap<>()).put(o.syncKey(), StoreJson.write(o));
        }
        List<String> conflictJson = new ArrayList<>();
        for (Conflict c : cs.putConflicts) {
            conflictJson.add(StoreJson.write(c));
        }
        List<String> updateJson = new ArrayList<>();
        for (AgentUpdate u : cs.putUpdates) {
            updateJson.add(StoreJson.write(u));
        }
        List<String> activityJson = new ArrayList<>();
        for (Activity a : cs.activities) {
            activityJson.add(StoreJson.write(a));
        }
        Set<String> agents = new LinkedHashSet<>(obsJson.keySet());
        cs.removeObservations.forEach(p -> agents.add(p[0]));
        Set<String> updateAgents = new LinkedHashSet<>();
        cs.putUpdates.forEach(u -> updateAgents.add(u.agentId()));

        List<String> watch = new ArrayList<>();
        if (!cs.putConsolidated.isEmpty()) {
            watch.add(k("changeseq"));
        }
        for (String a : agents) {
            watch.add(agentKey(a, "hashes"));
            watch.add(agentKey(a, "digest"));
        }
        for (String a : updateAgents) {
            watch.add(updKey(a, "updates"));
        }

        writeLock.lock();
        try {
            for (int attempt = 1; ; attempt++) {
                List<ConsolidatedEvent> stored = tryApply(cs, watch, agents, agentJson, obsJson, conflictJson,
                        updateJson, activityJson);
                if (stored != null) {
                    for (int i = 0; i < stored.size(); i++) {
                        cs.putConsolidated.set(i, stored.get(i));
                    }
                    return;
                }
                if (attempt >= MAX_ATTEMPTS) {
                    throw new IllegalStateException("apply gave up after " + attempt
                            + " attempts: other Redis clients kept changing the same keys");
                }
                LOG.debug("apply: a watched key changed, retrying (attempt {})", attempt + 1);
            }
        } finally {
            writeLock.unlock();
        }
    }

    /** One WATCH/read/MULTI/EXEC attempt; returns the stored consolidated events, or null when EXEC was discarded. */
    private List<ConsolidatedEvent> tryApply(ChangeSet cs, List<String> watch, Set<String> agents,
                                             Map<String, String> agentJson, Map<String, Map<String, String>> obsJson,
                                             List<String> conflictJson, List<String> updateJson,
                                             List<String> activityJson) {
        try {
            if (!watch.isEmpty()) {
                w.watch(watch.toArray(String[]::new));
            }
            // reads: old hashes and digests of the agents touched
            Map<String, SetDigest> digests = new LinkedHashMap<>();
            Map<String, List<String>> removedFields = new LinkedHashMap<>();
            Map<String, Map<String, String>> newHashes = new LinkedHashMap<>();
            for (String agent : agents) {
                List<String> fields = new ArrayList<>();
                for (String[] p : cs.removeObservations) {
                    if (p[0].equals(agent)) {
                        fields.add(p[1]);
                    }
                }
                int removals = fields.size();
                Map<String, String> puts = new LinkedHashMap<>();
                for (Observation o : cs.putObservations) {
                    if (o.agentId().equals(agent)) {
                        puts.put(o.syncKey(), o.contentHash());
                    }
                }
                fields.addAll(puts.keySet());
                Map<String, String> old = new HashMap<>();
                for (KeyValue<String, String> kv : w.hmget(agentKey(agent, "hashes"), fields.toArray(String[]::new))) {
                    if (kv.hasValue()) {
                        old.put(kv.getKey(), kv.getValue());
                    }
                }
                SetDigest d = parseDigest(w.get(agentKey(agent, "digest")));
                List<String> removed = new ArrayList<>();
                for (String f : fields.subList(0, removals)) {
                    String h = old.remove(f);
                    if (h != null) {
                        removed.add(f);
                        d.remove(f, h);
                    }
                }
                puts.forEach((f, h) -> {
                    String before = old.get(f);
                    if (before == null) {
                        d.add(f, h);
                    } else if (!before.equals(h)) {
                        d.remove(f, before);
                        d.add(f, h);
                    }
                });
                digests.put(agent, d);
                removedFields.put(agent, removed);
                newHashes.put(agent, puts);
            }
            long seq = cs.putConsolidated.isEmpty() ? 0 : parseLong(w.get(k("changeseq")));
            List<ConsolidatedEvent> stored = new ArrayList<>();
            Map<String, String> consolidatedJson = new LinkedHashMap<>();
            List<Object> changeScores = new ArrayList<>();
            for (ConsolidatedEvent e : cs.putConsolidated) {
                ConsolidatedEvent s = e.withChangeSeq(++seq);
                stored.add(s);
                consolidatedJson.put(s.identity(), StoreJson.write(s));
                changeScores.add((double) s.changeSeq());
                changeScores.add(s.identity());
            }
            Map<String, AgentUpdate> oldUpdates = new HashMap<>();
            for (AgentUpdate u : cs.putUpdates) {
                String json = w.hget(updKey(u.agentId(), "updates"), u.id());
                if (json != null && !oldUpdates.containsKey(u.agentId() + SEP + u.id())) {
                    oldUpdates.put(u.agentId() + SEP + u.id(), StoreJson.read(json, AgentUpdate.class));
                }
            }

            w.multi();
            agentJson.forEach((id, json) -> w.hset(k("agents"), id, json));
            for (String agent : agents) {
                List<String> removed = removedFields.get(agent);
                if (!removed.isEmpty()) {
                    String[] f = removed.toArray(String[]::new);
                    w.hdel(agentKey(agent, "obs"), f);
                    w.hdel(agentKey(agent, "hashes"), f);
                }
                if (!newHashes.get(agent).isEmpty()) {
                    w.hset(agentKey(agent, "obs"), obsJson.get(agent));
                    w.hset(agentKey(agent, "hashes"), newHashes.get(agent));
                }
                SetDigest d = digests.get(agent);
                if (d.count() == 0) {
                    w.del(agentKey(agent, "digest"));
                } else {
                    w.set(agentKey(agent, "digest"), d.toString());
                }
            }
            if (!stored.isEmpty()) {
                w.hset(k("consolidated"), consolidatedJson);
                Object[] indexed = new Object[consolidatedJson.size() * 2];
                int n = 0;
                for (String id : consolidatedJson.keySet()) {
                    indexed[n++] = 0.0;
                    indexed[n++] = id;
                }
                w.zadd(k("consolidated:index"), indexed);
                w.zadd(k("changes"), changeScores.toArray());
                List<String> dead = new ArrayList<>();
                List<String> live = new ArrayList<>();
                // the last put of an identity decides whether it is a tombstone
                Map<String, Boolean> deleted = new LinkedHashMap<>();
                stored.forEach(s -> deleted.put(s.identity(), s.deleted()));
                deleted.forEach((id, isDead) -> (isDead ? dead : live).add(id));
                if (!dead.isEmpty()) {
                    w.sadd(k("tombstones"), dead.toArray(String[]::new));
                }
                if (!live.isEmpty()) {
                    w.srem(k("tombstones"), live.toArray(String[]::new));
                }
                w.incrby(k("changeseq"), stored.size());
            }
            for (int i = 0; i < cs.putConflicts.size(); i++) {
                Conflict c = cs.putConflicts.get(i);
                w.hset(k("conflicts"), c.id(), conflictJson.get(i));
                w.zadd(k("conflicts:order"), (double) c.createdAt().toEpochMilli(), c.id());
            }
            for (int i = 0; i < cs.putUpdates.size(); i++) {
                AgentUpdate u = cs.putUpdates.get(i);
                String key = u.agentId() + SEP + u.id();
                queueUpdate(u, updateJson.get(i), oldUpdates.get(key));
                oldUpdates.put(key, u);
            }
            if (!activityJson.isEmpty()) {
                w.lpush(k("activity"), activityJson.toArray(String[]::new));
                w.ltrim(k("activity"), 0, ACTIVITY_LIMIT - 1);
            }
            for (String[] key : cs.addKeys) {
                w.sadd(k("idem:" + key[0]), key[1]);
            }
            TransactionResult result = w.exec();
            if (result.wasDiscarded()) {
                return null;
            }
            for (Object o : result) {
                if (o instanceof Exception ex) {
                    // only possible when something else wrote a key of ours with another type
                    throw new IllegalStateException("Redis rejected part of an apply: " + ex.getMessage(), ex);
                }
            }
            return stored;
        } catch (RuntimeException e) {
            discardQuietly(e);
            throw e;
        }
    }

    /** Queues the writes for one update; {@code old} is its stored state (or null). */
    private void queueUpdate(AgentUpdate u, String json, AgentUpdate old) {
        String agent = u.agentId();
        boolean wasPending = old != null && AgentUpdate.PENDING.equals(old.status());
        boolean pending = AgentUpdate.PENDING.equals(u.status());
        w.hset(updKey(agent, "updates"), u.id(), json);
        w.zadd(updKey(agent, "history"), (double) u.createdAt().toEpochMilli(), u.id());
        if (pending) {
            if (!wasPending) {
                w.rpush(updKey(agent, "pending"), u.id());
            }
            w.hdel(updKey(agent, "processed"), u.id());
            w.zrem(k("updates:done"), agent + SEP + u.id());
        } else {
            if (wasPending) {
                w.lrem(updKey(agent, "pending"), 0, u.id());
            }
            w.hset(updKey(agent, "processed"), u.id(), json);
            Instant at = u.processedAt() != null ? u.processedAt() : u.createdAt();
            w.zadd(k("updates:done"), (double) at.toEpochMilli(), agent + SEP + u.id());
        }
    }

    private void discardQuietly(RuntimeException cause) {
        try {
            if (writeConnection.isMulti()) {
                w.discard();
            } else {
                w.unwatch();
            }
        } catch (RuntimeException e) {
            cause.addSuppressed(e);
        }
    }

    // ------------------------------------------------------------------ idempotency

    @Override
    public boolean containsKey(String namespace, String key) {
        return Boolean.TRUE.equals(r.sismember(idemKey(namespace, key), key));
    }

    @Override
    public boolean addKey(String namespace, String key) {
        return r.sadd(idemKey(namespace, key), key) == 1L;
    }

    @Override
    public boolean removeKey(String namespace, String key) {
        return r.srem(idemKey(namespace, key), key) == 1L;
    }

    @Override
    public void clearKeys(String namespace) {
        StoreChecks.requireId(namespace, "namespace");
        r.del(k("idem:" + namespace));
    }

    private String idemKey(String namespace, String key) {
        StoreChecks.requireId(namespace, "namespace");
        StoreChecks.requireText(key, "key");
        return k("idem:" + namespace);
    }

    // ------------------------------------------------------------------ updates

    @Override
    public Optional<AgentUpdate> findUpdate(String agentId, String updateId) {
        return Optional.ofNullable(StoreJson.read(r.hget(updKey(agentId, "updates"), updateId), AgentUpdate.class));
    }

    @Override
    public List<AgentUpdate> pendingUpdates(String agentId) {
        List<String> ids = new ArrayList<>(new LinkedHashSet<>(r.lrange(updKey(agentId, "pending"), 0, -1)));
        List<AgentUpdate> out = readUpdates(agentId, ids);
        out.removeIf(u -> !AgentUpdate.PENDING.equals(u.status()));
        out.sort(Comparator.comparing(AgentUpdate::createdAt));
        return out;
    }

    @Override
    public List<AgentUpdate> updateHistory(String agentId, int limit) {
        if (limit <= 0) {
            return List.of();
        }
        return readUpdates(agentId, r.zrevrange(updKey(agentId, "history"), 0, limit - 1));
    }

    private List<AgentUpdate> readUpdates(String agentId, List<String> ids) {
        List<AgentUpdate> out = new ArrayList<>(ids.size());
        if (ids.isEmpty()) {
            return out;
        }
        for (KeyValue<String, String> kv : r.hmget(updKey(agentId, "updates"), ids.toArray(String[]::new))) {
            if (kv.hasValue()) {
                out.add(StoreJson.read(kv.getValue(), AgentUpdate.class));
            }
        }
        return out;
    }

    @Override
    public void saveUpdate(AgentUpdate update) {
        StoreChecks.checkUpdate(update, "update");
        ChangeSet cs = new ChangeSet();
        cs.putUpdates.add(update);
        apply(cs);
    }

    @Override
    public int purgeUpdates(Instant before) {
        int purged = 0;
        writeLock.lock();
        try {
            while (true) {
                List<String> members = r.zrangebyscore(k("updates:done"),
                        Range.from(Range.Boundary.unbounded(), Range.Boundary.excluding(before.toEpochMilli())),
                        Limit.create(0, SCAN_COUNT));
                if (members.isEmpty()) {
                    return purged;
                }
                w.multi();
                for (String m : members) {
                    int sep = m.indexOf(SEP);
                    String agent = m.substring(0, sep);
                    String id = m.substring(sep + 1);
                    w.hdel(updKey(agent, "updates"), id);
                    w.hdel(updKey(agent, "processed"), id);
                    w.zrem(updKey(agent, "history"), id);
                    w.zrem(k("updates:done"), m);
                }
                TransactionResult result = w.exec();
                if (result.wasDiscarded()) {
                    throw new IllegalStateException("Redis discarded a purge step");
                }
                for (int i = 0; i < members.size(); i++) {
                    if (((Long) result.get(i * 4)) > 0) {
                        purged++;
                    }
                }
            }
        } catch (RuntimeException e) {
            discardQuietly(e);
            throw e;
        } finally {
            writeLock.unlock();
        }
    }

    // ------------------------------------------------------------------ conflicts

    @Override
    public Optional<Conflict> findConflict(String id) {
        return Optional.ofNullable(StoreJson.read(r.hget(k("conflicts"), id), Conflict.class));
    }

    @Override
    public List<Conflict> recentConflicts(int limit) {
        List<Conflict> out = new ArrayList<>();
        if (limit <= 0) {
            return out;
        }
        List<String> ids = r.zrevrange(k("conflicts:order"), 0, limit - 1);
        if (ids.isEmpty()) {
            return out;
        }
        for (KeyValue<String, String> kv : r.hmget(k("conflicts"), ids.toArray(String[]::new))) {
            if (kv.hasValue()) {
                out.add(StoreJson.read(kv.getValue(), Conflict.class));
            }
        }
        return out;
    }

    @Override
    public void saveConflict(Conflict conflict) {
        StoreChecks.checkConflict(conflict, "conflict");
        ChangeSet cs = new ChangeSet();
        cs.putConflicts.add(conflict);
        apply(cs);
    }

    // ------------------------------------------------------------------ activity

    @Override
    public List<Activity> recentActivity(int limit) {
        List<Activity> out = new ArrayList<>();
        if (limit <= 0) {
            return out;
        }
        for (String json : r.lrange(k("activity"), 0, Math.min(limit, ACTIVITY_LIMIT) - 1)) {
            out.add(StoreJson.read(json, Activity.class));
        }
        return out;
    }

    // ------------------------------------------------------------------ settings

    @Override
    public Optional<String> getSetting(String key) {
        return Optional.ofNullable(r.hget(k("settings"), key));
    }

    @Override
    public void putSetting(String key, String value) {
        StoreChecks.requireText(key, "setting key");
        if (value == null) {
            throw new IllegalArgumentException("setting value is null (use deleteSetting)");
        }
        r.hset(k("settings"), key, value);
    }

    @Override
    public void deleteSetting(String key) {
        r.hdel(k("settings"), key);
    }

    // ------------------------------------------------------------------ fencing

    @Override
    public long advanceEpoch() {
        return r.incr(k("cluster:epoch"));
    }

    @Override
    public long currentEpoch() {
        return parseLong(r.get(k("cluster:epoch")));
    }

    @Override
    public void putSetting(String key, String value, long epoch) {
        if (epoch == UNFENCED) {
            putSetting(key, value);
            return;
        }
        StoreChecks.requireText(key, "setting key");
        if (value == null) {
            throw new IllegalArgumentException("setting value is null (use deleteSetting)");
        }
        fenced(epoch, key, value);
    }

    @Override
    public void deleteSetting(String key, long epoch) {
        if (epoch == UNFENCED) {
            deleteSetting(key);
            return;
        }
        fenced(epoch, key);
    }

    private void fenced(long epoch, String... fieldAndValue) {
        String[] args = new String[fieldAndValue.length + 1];
        args[0] = Long.toString(epoch);
        System.arraycopy(fieldAndValue, 0, args, 1, fieldAndValue.length);
        Long current = r.eval(FENCED_SETTING_LUA, ScriptOutputType.INTEGER,
                new String[] {k("cluster:epoch"), k("settings")}, args);
        if (current != null && current >= 0) {
            throw new StaleEpochException(epoch, current);
        }
    }

    // ------------------------------------------------------------------ lifecycle

    @Override
    public void close() {
        writeLock.lock();
        try {
            readConnection.close();
            writeConnection.close();
            client.shutdown(Duration.ZERO, Duration.ofSeconds(2));
        } finally {
            writeLock.unlock();
        }
    }

    // ------------------------------------------------------------------ helpers

    private static long parseLong(String s) {
        return s == null ? 0 : Long.parseLong(s);
    }

    /**
     * HSCAN over a hash, {@value #SCAN_COUNT} at a time. HSCAN may return an entry twice while Redis rehashes, so the
     * fields already visited are remembered (fields only, not values).
     */
    private void hscan(String key, BiConsumer<String, String> action) {
        Set<String> seen = new HashSet<>();
        ScanArgs args = ScanArgs.Builder.limit(SCAN_COUNT);
        ScanCursor cursor = ScanCursor.INITIAL;
        do {
            MapScanCursor<String, String> page = r.hscan(key, cursor, args);
            page.getMap().forEach((field, value) -> {
                if (seen.add(field)) {
                    action.accept(field, value);
                }
            });
            cursor = page;
        } while (!cursor.isFinished());
    }
}
