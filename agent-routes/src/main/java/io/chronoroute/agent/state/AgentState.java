package io.chronoroute.agent.state;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.chronoroute.processors.problem.InputProblem;
import io.chronoroute.processors.sync.SetDigest;
import io.chronoroute.processors.wire.WireJson;
import org.h2.mvstore.Cursor;
import org.h2.mvstore.MVMap;
import org.h2.mvstore.MVStore;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.Function;

/**
 * The agent's durable state: one MVStore file {@code <dataDir>/agent.mv.db}, auto-commit disabled. Every change
 * goes through {@link #write(Function)}, which runs under one lock and commits once at the end (or undoes its own
 * changes when the work throws), so a change batch - current set, file index, outbox and digest together - is
 * either fully on disk or not at all.
 *
 * <p>Maps (all String → String, values are JSON):
 * <ul>
 *   <li>{@code current}: sync key → {@link StoredEvent}; the digest over it is kept in {@code meta/digest};</li>
 *   <li>{@code files}: source U+001F file name → {@link FileEntry};</li>
 *   <li>{@code failed}: source U+001F file name → the reason the file was skipped;</li>
 *   <li>{@code problems}: source U+001F file name → JSON array of {@link InputProblem}s found when the file was last
 *       read (repairs, skipped properties, rejected events); absent when the file had none;</li>
 *   <li>{@code outbox}: sync key → {@link OutboxEntry};</li>
 *   <li>{@code acked}: sync key → content hash the master acknowledged (its view of this agent; the digest over it
 *       is {@code meta/acked.digest});</li>
 *   <li>{@code rejected}: sync key → outbox entry the master refused (400, or listed in a 200 answer's
 *       {@code rejected}) or that this agent cannot send (not readable on the wire), with the reason; removed when
 *       the event changes or goes;</li>
 *   <li>{@code updates}: update id → when and how it was applied (idempotency of master updates);</li>
 *   <li>{@code calendars}: calendar id → last {@code calendar_metadata} received;</li>
 *   <li>{@code filekeys}: idempotent keys of the file consumers ({@code source|name|size|mtime});</li>
 *   <li>{@code meta}: counters, digests, in-flight batch, credential, flags.</li>
 * </ul>
 */
public final class AgentState implements AutoCloseable {

    public static final String FILE_NAME = "agent.mv.db";
    static final char SEP = '\u001f';
    private static final int MAX_REMEMBERED_UPDATES = 10_000;

    private static final ObjectMapper JSON = WireJson.mapper();

    private final Path dataDir;
    private final MVStore store;
    private final MVMap<String, String> current;
    private final MVMap<String, String> files;
    private final MVMap<String, String> failed;
    private final MVMap<String, String> problems;
    private final MVMap<String, String> outbox;
    private final MVMap<String, String> acked;
    private final MVMap<String, String> rejected;
    private final MVMap<String, String> updates;
    private final MVMap<String, String> calendars;
    private final MVMap<String, String> fileKeys;
    private final MVMap<String, String> meta;
    private final ReentrantLock lock = new ReentrantLock();
    private final Tx tx = new Tx();

    private AgentState(Path dataDir, MVStore store) {
        this.dataDir = dataDir;
        this.store = store;
        this.current = store.openMap("current");
        this.files = store.openMap("files");
        this.failed = store.openMap("failed");
        this.problems = store.openMap("problems");
        this.outbox = store.openMap("outbox");
        this.acked = store.openMap("acked");
        this.rejected = store.openMap("rejected");
        this.updates = store.openMap("updates");
        this.calendars = store.openMap("calendars");
        this.fileKeys = store.openMap("filekeys");
        this.meta = store.openMap("meta");
    }

    /** Opens (or creates) {@code <dataDir>/agent.mv.db}. */
    public static AgentState open(Path dataDir) {
        try {
            Files.createDirectories(dataDir);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot create the agent data directory " + dataDir, e);
        }
        MVStore store = new MVStore.Builder()
                .fileName(dataDir.resolve(FILE_NAME).toString())
                .autoCommitDisabled()
                // autoCommitDisabled() only stops the background timer; without a zero buffer MVStore would still
                // commit by itself once ~19 MB are unsaved, putting half of a large change batch on disk alone.
                .autoCommitBufferSize(0)
                .open();
        return new AgentState(dataDir, store);
    }

    /** The MVStore version: one more per commit (tests check that a write is exactly one commit). */
    long storeVersion() {
        return store.getCurrentVersion();
    }

    public Path dataDir() {
        return dataDir;
    }

    /** Runs {@code work} under the state lock and commits; on an exception everything since the last commit is rolled back. */
    public <T> T write(Function<Tx, T> work) {
        lock.lock();
        try {
            T result;
            try {
                result = work.apply(tx);
                store.commit();
            } catch (RuntimeException | Error e) {
                tx.rollback();
                throw e;
            } finally {
                tx.done();
            }
            return result;
        } finally {
            lock.unlock();
        }
    }

    /** Runs {@code work} under the state lock without committing (reads only). */
    public <T> T read(Function<Tx, T> work) {
        lock.lock();
        try {
            return work.apply(tx);
        } finally {
            lock.unlock();
        }
    }

    @Override
    public void close() {
        lock.lock();
        try {
            if (!store.isClosed()) {
                store.close();
            }
        } finally {
            lock.unlock();
        }
    }

    static String toJson(Object value) {
        try {
            return JSON.writeValueAsString(value);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("cannot serialize " + value.getClass().getSimpleName(), e);
        }
    }

    static <T> T fromJson(String json, Class<T> type) {
        if (json == null) {
            return null;
        }
        try {
            return JSON.readValue(json, type);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("corrupt agent state entry of type " + type.getSimpleName(), e);
        }
    }

    static SetDigest parseDigest(String text) {
        if (text == null) {
            return SetDigest.empty();
        }
        int colon = text.indexOf(':');
        return SetDigest.parse(text.substring(colon + 1), Long.parseLong(text.substring(0, colon)));
    }

    /** Access to the maps; only valid inside {@link #write} or {@link #read}. */
    public final class Tx {

        private final List<Runnable> undo = new ArrayList<>();

        private Tx() {
        }

        private String put(MVMap<String, String> map, String key, String value) {
            String old = map.put(key, value);
            undo.add(() -> restore(map, key, old));
            return old;
        }

        private String del(MVMap<String, String> map, String key) {
            String old = map.remove(key);
            if (old != null) {
                undo.add(() -> map.put(key, old));
            }
            return old;
        }

        private void clearMap(MVMap<String, String> map) {
            Map<String, String> copy = new LinkedHashMap<>(map);
            map.clear();
            undo.add(() -> map.putAll(copy));
        }

        private void restore(MVMap<String, String> map, String key, String old) {
            if (old == null) {
                map.remove(key);
            } else {
                map.put(key, old);
            }
        }

        /** Reverts every change of the running unit of work (MVStore keeps uncommitted changes in memory). */
        private void rollback() {
            for (int i = undo.size() - 1; i >= 0; i--) {
                undo.get(i).run();
            }
            undo.clear();
        }

        private void done() {
            undo.clear();
        }

        // ---- current set ----

        public StoredEvent current(String key) {
            return fromJson(current.get(key), StoredEvent.class);
        }

        public void putCurrent(String key, StoredEvent e) {
            put(current, key, toJson(e));
        }

        public void removeCurrent(String key) {
            del(current, key);
        }

        /** The first member of the current set that {@code test} accepts (a full scan: for rare look-ups), or null. */
        public StoredEvent findCurrent(java.util.function.Predicate<StoredEvent> test) {
            Cursor<String, String> c = current.cursor(null);
            while (c.hasNext()) {
                c.next();
                StoredEvent e = fromJson(c.getValue(), StoredEvent.class);
                if (test.test(e)) {
                    return e;
                }
            }
            return null;
        }

        public long currentSize() {
            return current.sizeAsLong();
        }

        /** {@code "<syncKey>:<contentHash>"} for every member of the current set, in key order. */
        public List<String> inventory() {
            List<String> out = new ArrayList<>((int) Math.min(Integer.MAX_VALUE, current.sizeAsLong()));
            Cursor<String, String> c = current.cursor(null);
            while (c.hasNext()) {
                String key = c.next();
                out.add(key + ':' + fromJson(c.getValue(), StoredEvent.class).hash());
            }
            return out;
        }

        public SetDigest digest() {
            return parseDigest(meta.get("digest"));
        }

        public void setDigest(SetDigest d) {
            put(meta, "digest", d.toString());
        }

        // ---- per-file index ----

        public FileEntry file(String source, String file) {
            return fromJson(files.get(source + SEP + file), FileEntry.class);
        }

        public void putFile(String source, String file, FileEntry entry) {
            put(files, source + SEP + file, toJson(entry));
        }

        public void removeFile(String source, String file) {
            del(files, source + SEP + file);
        }

        /** The index entries of one source, by file name. */
        public Map<String, FileEntry> filesOf(String source) {
            Map<String, FileEntry> out = new LinkedHashMap<>();
            String prefix = source + SEP;
            Cursor<String, String> c = files.cursor(prefix);
            while (c.hasNext()) {
                String k = c.next();
                if (!k.startsWith(prefix)) {
                    break;
                }
                out.put(k.substring(prefix.length()), fromJson(c.getValue(), FileEntry.class));
            }
            return out;
        }

        public void putFailed(String source, String file, String reason) {
            put(failed, source + SEP + file, reason);
        }

        public void removeFailed(String source, String file) {
            del(failed, source + SEP + file);
        }

        /** Names of the files of one source that were skipped (could not be read or parsed). */
        public List<String> failedOf(String source) {
            List<String> out = new ArrayList<>();
            String prefix = source + SEP;
            Cursor<String, String> c = failed.cursor(prefix);
            while (c.hasNext()) {
                String k = c.next();
                if (!k.startsWith(prefix)) {
                    break;
                }
                out.add(k.substring(prefix.length()));
            }
            return out;
        }

        /** Files skipped because they could not be read or parsed: "source/file" → reason. */
        public Map<String, String> failedFiles() {
            Map<String, String> out = new LinkedHashMap<>();
            failed.forEach((k, v) -> out.put(k.replace(SEP, '/'), v));
            return out;
        }

        // ---- problems found in files (repairs, skipped properties, rejected events) ----

        /** Replaces what is recorded for one file; an empty list removes the entry. */
        public void putProblems(String source, String file, List<InputProblem> found) {
            if (found == null || found.isEmpty()) {
                del(problems, source + SEP + file);
            } else {
                put(problems, source + SEP + file, toJson(found));
            }
        }

        public void removeProblems(String source, String file) {
            del(problems, source + SEP + file);
        }

        /** The problems recorded for one file (empty when none). */
        public List<InputProblem> problemsOf(String source, String file) {
            return problemList(problems.get(source + SEP + file));
        }

        /** Every recorded problem, file by file in key order. */
        public List<InputProblem> allProblems() {
            List<InputProblem> out = new ArrayList<>();
            problems.forEach((k, v) -> out.addAll(problemList(v)));
            return out;
        }

        public long problemFileCount() {
            return problems.sizeAsLong();
        }

        private List<InputProblem> problemList(String json) {
            if (json == null) {
                return List.of();
            }
            try {
                return JSON.readValue(json, new TypeReference<List<InputProblem>>() { });
            } catch (JsonProcessingException e) {
                throw new IllegalStateException("corrupt agent state entry of type InputProblem list", e);
            }
        }

        // ---- outbox ----

        private long nextVersion() {
            long v = Long.parseLong(meta.getOrDefault("outbox.version", "0")) + 1;
            put(meta, "outbox.version", Long.toString(v));
            return v;
        }

        public OutboxEntry outbox(String key) {
            return fromJson(outbox.get(key), OutboxEntry.class);
        }

        public void enqueueUpsert(String key, String source, String hash, JsonNode event) {
            put(outbox, key, toJson(new OutboxEntry(OutboxEntry.UPSERT, nextVersion(), source, hash, event, null)));
        }

        public void enqueueDelete(String key, String source, JsonNode deleted) {
            put(outbox, key, toJson(new OutboxEntry(OutboxEntry.DELETE, nextVersion(), source, null, null, deleted)));
        }

        /** Removes the entry only if it still has {@code version} (a change made while in flight survives). */
        public boolean removeOutboxIfVersion(String key, long version) {
            OutboxEntry e = outbox(key);
            if (e != null && e.version() == version) {
                del(outbox, key);
                return true;
            }
            return false;
        }

        public void removeOutbox(String key) {
            del(outbox, key);
        }

        /** Up to {@code max} entries in key order. */
        public Map<String, OutboxEntry> outboxHead(int max) {
            Map<String, OutboxEntry> out = new LinkedHashMap<>();
            Cursor<String, String> c = outbox.cursor(null);
            while (c.hasNext() && out.size() < max) {
                String k = c.next();
                out.put(k, fromJson(c.getValue(), OutboxEntry.class));
            }
            return out;
        }

        public long outboxSize() {
            return outbox.sizeAsLong();
        }

        public void reject(String key, OutboxEntry entry, String reason) {
            ObjectNode n = JSON.createObjectNode();
            n.set("entry", JSON.valueToTree(entry));
            n.put("reason", reason);
            n.put("at", Instant.now().toString());
            put(rejected, key, n.toString());
            del(outbox, key);
        }

        /**
         * An event this agent refuses to send (the master's reader would refuse it): recorded like {@link #reject},
         * but the outbox is left alone (it may hold the deletion of the event's earlier version).
         */
        public void rejectLocally(String key, String source, JsonNode event, String reason) {
            ObjectNode n = JSON.createObjectNode();
            n.set("entry", JSON.valueToTree(new OutboxEntry(OutboxEntry.UPSERT, 0, source, null, event, null)));
            n.put("reason", reason);
            n.put("at", Instant.now().toString());
            put(rejected, key, n.toString());
        }

        public boolean isRejected(String key) {
            return rejected.containsKey(key);
        }

        public void removeRejected(String key) {
            del(rejected, key);
        }

        /** The rejected entry of one key: {@code {"entry": OutboxEntry, "reason", "at"}}, or null. */
        public JsonNode rejected(String key) {
            return fromJson(rejected.get(key), JsonNode.class);
        }

        /** Every rejected entry in key order: sync key → {@code {"entry", "reason", "at"}}. */
        public Map<String, JsonNode> allRejected() {
            Map<String, JsonNode> out = new LinkedHashMap<>();
            rejected.forEach((k, v) -> out.put(k, fromJson(v, JsonNode.class)));
            return out;
        }

        public long rejectedSize() {
            return rejected.sizeAsLong();
        }

        // ---- the master's acknowledged view ----

        public String ackedHash(String key) {
            return acked.get(key);
        }

        public void putAcked(String key, String hash) {
            put(acked, key, hash);
        }

        public void removeAcked(String key) {
            del(acked, key);
        }

        public void replaceAcked(Map<String, String> view) {
            clearMap(acked);
            SetDigest d = SetDigest.empty();
            for (Map.Entry<String, String> e : view.entrySet()) {
                put(acked, e.getKey(), e.getValue());
                d.add(e.getKey(), e.getValue());
            }
            setAckedDigest(d);
        }

        public SetDigest ackedDigest() {
            return parseDigest(meta.get("acked.digest"));
        }

        public void setAckedDigest(SetDigest d) {
            put(meta, "acked.digest", d.toString());
        }

        // ---- heartbeat batches ----

        public long nextBatchNumber() {
            long n = Long.parseLong(meta.getOrDefault("batch.counter", "0")) + 1;
            put(meta, "batch.counter", Long.toString(n));
            return n;
        }

        public InflightBatch inflight() {
            return fromJson(meta.get("inflight"), InflightBatch.class);
        }

        public void setInflight(InflightBatch b) {
            put(meta, "inflight", toJson(b));
        }

        public void clearInflight() {
            del(meta, "inflight");
        }

        // ---- generic metadata ----

        public String meta(String key) {
            return meta.get(key);
        }

        /**
         * A network source's cursor was stored or confirmed current at {@code at} (its {@code cursor-at}, shown as
         * the source's cursor age). {@code prefix} is the source kind's meta prefix, e.g. {@code google.}.
         */
        public void confirmCursor(String prefix, String source, java.time.Instant at) {
            putMeta(prefix + source + ".cursor-at", at.toString());
        }

        /** When {@link #confirmCursor} last ran for the source; null: it has no cursor yet. */
        public java.time.Instant cursorAt(String prefix, String source) {
            String at = meta.get(prefix + source + ".cursor-at");
            return at == null ? null : java.time.Instant.parse(at);
        }

        public void putMeta(String key, String value) {
            if (value == null) {
                del(meta, key);
            } else {
                put(meta, key, value);
            }
        }

        // ---- master updates ----

        public boolean isUpdateApplied(String id) {
            return updates.containsKey(id);
        }

        public void markUpdateApplied(String id, String type, String result) {
            ObjectNode n = JSON.createObjectNode();
            n.put("at", Instant.now().toString());
            n.put("type", type);
            n.put("result", result);
            put(updates, id, n.toString());
            if (updates.sizeAsLong() > MAX_REMEMBERED_UPDATES) {
                pruneUpdates();
            }
        }

        private void pruneUpdates() {
            List<Map.Entry<String, Instant>> all = new ArrayList<>();
            updates.forEach((k, v) -> all.add(Map.entry(k, Instant.parse(fromJson(v, JsonNode.class).path("at").asText()))));
            all.sort(Map.Entry.comparingByValue());
            for (int i = 0; i < all.size() - MAX_REMEMBERED_UPDATES; i++) {
                del(updates, all.get(i).getKey());
            }
        }

        public void putCalendarMetadata(String calendarId, JsonNode data) {
            put(calendars, calendarId, data.toString());
        }

        public JsonNode calendarMetadata(String calendarId) {
            return fromJson(calendars.get(calendarId), JsonNode.class);
        }

        // ---- file consumer idempotent keys ----

        public boolean containsFileKey(String key) {
            return fileKeys.containsKey(key);
        }

        /** Adds {@code key} (false if present) and drops older keys of the same file (same prefix): one key per file. */
        public boolean addFileKey(String key) {
            if (fileKeys.containsKey(key)) {
                return false;
            }
            removeFileKeysWithPrefix(fileKeyPrefix(key));
            put(fileKeys, key, "");
            return true;
        }

        public boolean removeFileKey(String key) {
            return del(fileKeys, key) != null;
        }

        public void removeFileKeysWithPrefix(String prefix) {
            List<String> doomed = new ArrayList<>();
            Cursor<String, String> c = fileKeys.cursor(prefix);
            while (c.hasNext()) {
                String k = c.next();
                if (!k.startsWith(prefix)) {
                    break;
                }
                doomed.add(k);
            }
            doomed.forEach(k -> del(fileKeys, k));
        }

        public void clearFileKeys() {
            clearMap(fileKeys);
        }
    }

    /** {@code "source|name|size|mtime"} → {@code "source|name|"}; a key of another shape is its own prefix. */
    public static String fileKeyPrefix(String key) {
        int last = key.lastIndexOf('|');
        int before = last > 0 ? key.lastIndexOf('|', last - 1) : -1;
        return before < 0 ? key : key.substring(0, before + 1);
    }

    /** The idempotent-key prefix of one file of one source (see the ics-folder-source template). */
    public static String fileKeyPrefix(String source, String fileName) {
        return source + '|' + fileName + '|';
    }
}
