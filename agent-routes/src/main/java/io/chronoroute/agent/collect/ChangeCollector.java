package io.chronoroute.agent.collect;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.chronoroute.agent.AgentProperties;
import io.chronoroute.agent.state.AgentState;
import io.chronoroute.agent.state.FileEntry;
import io.chronoroute.agent.state.StoredEvent;
import io.chronoroute.processors.model.CalendarEvent;
import io.chronoroute.processors.problem.InputProblem;
import io.chronoroute.processors.sync.ContentHash;
import io.chronoroute.processors.sync.SetDigest;
import io.chronoroute.processors.sync.SyncKey;
import io.chronoroute.processors.wire.WireFormatException;
import io.chronoroute.processors.wire.WireJson;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.stereotype.Component;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Applies what sources observed to the durable state (route {@code agent-collect-changes}): diffs a file's events
 * against what that file produced last time, updates the current set, the outbox and the running digest, and the
 * per-file index - all in one commit. Idempotent: the same observation twice changes nothing the second time.
 *
 * <p>A key that another file of the same source also holds is not deleted when one of the files drops it (the
 * same UID in two files of one folder is one event, not two).
 */
@Component("changeCollector")
public class ChangeCollector {

    private static final Logger LOG = LoggerFactory.getLogger(ChangeCollector.class);
    static final int UPSERT_CHUNK = 2000;

    private final AgentState state;
    private final String agentId;

    public ChangeCollector(AgentState state, AgentProperties props) {
        this.state = state;
        this.agentId = props.id();
    }

    public CollectSummary collect(List<ChangeBatch> batches) {
        if (batches == null || batches.isEmpty()) {
            return new CollectSummary(0, 0, 0, 0);
        }
        Counter c = new Counter();
        Map<ChangeBatch, List<InputProblem>> preApplied = new java.util.IdentityHashMap<>();
        for (ChangeBatch b : batches) {
            if (b.kind() == ChangeBatch.Kind.PARSED && b.events().size() > UPSERT_CHUNK) {
                preApplied.put(b, upsertInChunks(b, c));
            }
        }
        CollectSummary s = state.write(tx -> {
            SetDigest digest = tx.digest();
            for (ChangeBatch b : batches) {
                switch (b.kind()) {
                    case PARSED -> applyParsed(tx, b, digest, c, preApplied.get(b));
                    case TOUCHED -> applyTouched(tx, b);
                    case REMOVED -> applyRemoved(tx, b, digest, c);
                    case FAILED -> {
                        tx.putFailed(b.source(), b.file(), b.reason());
                        tx.putProblems(b.source(), b.file(), b.problems());
                        c.failed++;
                    }
                }
            }
            tx.setDigest(digest);
            return new CollectSummary(c.upserted, c.deleted, c.unchanged, c.failed);
        });
        if (s.changedAnything()) {
            LOG.info("Collected {} upsert(s), {} deletion(s) ({} unchanged) from {}", s.upserted(), s.deleted(),
                    s.unchanged(), describe(batches));
        }
        return s;
    }

    private static String describe(List<ChangeBatch> batches) {
        return batches.size() == 1 ? batches.get(0).source() + "/" + batches.get(0).file() : batches.size() + " files";
    }

    /**
     * A large file's upserts, committed {@value #UPSERT_CHUNK} events at a time before the file's final commit
     * (deletions, index, problems): one commit of 100,000 events needs more heap than the agent has. Safe to repeat:
     * a crash in between re-reads the file, and what was committed is then unchanged.
     */
    private List<InputProblem> upsertInChunks(ChangeBatch b, Counter c) {
        Map<String, Wire> byKey = byKey(b, null);
        List<Map.Entry<String, Wire>> entries = new ArrayList<>(byKey.entrySet());
        List<InputProblem> problems = new ArrayList<>(b.problems());
        Map<String, String> elsewhere = state.read(tx -> keysOfOtherFiles(tx, b));
        for (int from = 0; from < entries.size(); from += UPSERT_CHUNK) {
            List<Map.Entry<String, Wire>> chunk = entries.subList(from, Math.min(entries.size(), from + UPSERT_CHUNK));
            state.write(tx -> {
                SetDigest digest = tx.digest();
                upsert(tx, b, chunk, digest, c, problems, elsewhere);
                tx.setDigest(digest);
                return null;
            });
        }
        return problems;
    }

    /** The batch's events by sync key as the master will see them; those it would refuse go to {@code refused}. */
    private Map<String, Wire> byKey(ChangeBatch b, Map<CalendarEvent, Wire> refused) {
        Map<String, Wire> byKey = new LinkedHashMap<>();
        for (CalendarEvent e : b.events()) {
            Wire w = onTheWire(e);
            if (w.refusal() != null) {
                if (refused != null) {
                    refused.put(e, w);
                }
                continue;
            }
            if (byKey.put(w.key(), w) != null) {
                LOG.warn("Source '{}', file {}: UID {} (recurrence {}) occurs more than once; the last one is kept",
                        b.source(), b.file(), e.uid(), SyncKey.ridText(e.recurrenceId()));
            }
        }
        return byKey;
    }

    private void applyParsed(AgentState.Tx tx, ChangeBatch b, SetDigest digest, Counter c, List<InputProblem> preApplied) {
        Map<CalendarEvent, Wire> refused = new LinkedHashMap<>();
        Map<String, Wire> byKey = byKey(b, refused);
        List<InputProblem> problems = preApplied;
        if (problems == null) {
            problems = new ArrayList<>(b.problems());
            upsert(tx, b, byKey.entrySet(), digest, c, problems, null);
        }
        FileEntry old = tx.file(b.source(), b.file());
        if (old != null) {
            List<String> gone = old.keys().stream().filter(k -> !byKey.containsKey(k)).toList();
            deleteUnlessHeldElsewhere(tx, b, gone, digest, c);
        }
        // after the deletions: a refused event's earlier version (if any) is gone, its refusal stays recorded
        refused.forEach((e, w) -> refuse(tx, b, e, w));
        ChangeBatch.Fingerprint fp = b.fingerprint();
        tx.putFile(b.source(), b.file(), new FileEntry(fp.size(), fp.modified(), fp.sha256(), new ArrayList<>(byKey.keySet())));
        tx.removeFailed(b.source(), b.file());
        tx.putProblems(b.source(), b.file(), problems);
    }

    private void upsert(AgentState.Tx tx, ChangeBatch b, java.util.Collection<Map.Entry<String, Wire>> entries,
                        SetDigest digest, Counter c, List<InputProblem> problems, Map<String, String> knownElsewhere) {
        Map<String, String> elsewhere = knownElsewhere;
        for (Map.Entry<String, Wire> en : entries) {
            String key = en.getKey();
            CalendarEvent e = en.getValue().event();
            String hash = en.getValue().hash();
            StoredEvent cur = tx.current(key);
            if (cur != null && cur.hash().equals(hash)) {
                c.unchanged++;
                continue;
            }
            if (cur != null) {
                // the same UID + RECURRENCE-ID in another file of the source: RFC 5546 decides, not the reading order
                if (elsewhere == null) {
                    elsewhere = keysOfOtherFiles(tx, b);
                }
                String other = elsewhere.get(key);
                if (other != null && storedWins(cur.event(), e)) {
                    String msg = "UID " + e.uid() + (e.recurrenceId() == null ? "" : " (RECURRENCE-ID "
                            + SyncKey.ridText(e.recurrenceId()) + ")") + " is also in file " + other
                            + ", whose copy has a higher SEQUENCE or a later LAST-MODIFIED; that copy is kept";
                    LOG.warn("Source '{}', file {}: {}", b.source(), b.file(), msg);
                    problems.add(new InputProblem(InputProblem.Kind.WARNING, b.source(), b.file(), 0, e.uid(),
                            SyncKey.ridText(e.recurrenceId()), "UID", msg));
                    c.unchanged++;
                    continue;
                }
            }
            ObjectNode json = en.getValue().json();
            if (cur != null) {
                digest.remove(key, cur.hash());
            }
            digest.add(key, hash);
            tx.putCurrent(key, new StoredEvent(b.source(), hash, json));
            tx.enqueueUpsert(key, b.source(), hash, json);
            tx.removeRejected(key);
            c.upserted++;
        }
    }

    /** Sync key → name of another file of the batch's source that holds it. */
    private static Map<String, String> keysOfOtherFiles(AgentState.Tx tx, ChangeBatch b) {
        Map<String, String> out = new java.util.HashMap<>();
        tx.filesOf(b.source()).forEach((name, entry) -> {
            if (!name.equals(b.file())) {
                entry.keys().forEach(k -> out.putIfAbsent(k, name));
            }
        });
        return out;
    }

    /** RFC 5546: the stored copy stays when its SEQUENCE is higher, or equal with a later LAST-MODIFIED. */
    static boolean storedWins(JsonNode stored, CalendarEvent incoming) {
        int ss = stored.path("sequence").asInt(0);
        int si = incoming.sequence() == null ? 0 : incoming.sequence();
        if (ss != si) {
            return ss > si;
        }
        JsonNode lm = stored.get("last_modified");
        if (lm == null || lm.isNull() || incoming.lastModified() == null) {
            return false;
        }
        try {
            return java.time.Instant.parse(lm.asText()).isAfter(incoming.lastModified());
        } catch (java.time.format.DateTimeParseException ex) {
            return false;
        }
    }

    private void applyTouched(AgentState.Tx tx, ChangeBatch b) {
        FileEntry old = tx.file(b.source(), b.file());
        if (old != null) {
            ChangeBatch.Fingerprint fp = b.fingerprint();
            tx.putFile(b.source(), b.file(), new FileEntry(fp.size(), fp.modified(), fp.sha256(), old.keys()));
        }
        tx.removeFailed(b.source(), b.file());
    }

    private void applyRemoved(AgentState.Tx tx, ChangeBatch b, SetDigest digest, Counter c) {
        FileEntry old = tx.file(b.source(), b.file());
        if (old != null) {
            deleteUnlessHeldElsewhere(tx, b, old.keys(), digest, c);
            tx.removeFile(b.source(), b.file());
        }
        tx.removeFailed(b.source(), b.file());
        tx.removeProblems(b.source(), b.file());
        tx.removeFileKeysWithPrefix(AgentState.fileKeyPrefix(b.source(), b.file()));
    }

    private void deleteUnlessHeldElsewhere(AgentState.Tx tx, ChangeBatch b, List<String> keys, SetDigest digest, Counter c) {
        if (keys.isEmpty()) {
            return;
        }
        Set<String> elsewhere = new HashSet<>();
        tx.filesOf(b.source()).forEach((name, entry) -> {
            if (!name.equals(b.file())) {
                elsewhere.addAll(entry.keys());
            }
        });
        for (String key : keys) {
            if (elsewhere.contains(key)) {
                continue;
            }
            StoredEvent cur = tx.current(key);
            if (cur == null) {
                continue;
            }
            digest.remove(key, cur.hash());
            tx.removeCurrent(key);
            tx.removeRejected(key);
            tx.enqueueDelete(key, cur.source(), deletion(cur));
            c.deleted++;
        }
    }

    /** {@code {"source","uid","recurrence_id"}}: the wire form of a deletion, from the stored event. */
    static ObjectNode deletion(StoredEvent cur) {
        ObjectNode d = WireJson.mapper().createObjectNode();
        d.put("source", cur.source());
        d.set("uid", cur.event().get("uid"));
        JsonNode rid = cur.event().get("recurrence_id");
        d.set("recurrence_id", rid == null ? d.nullNode() : rid);
        return d;
    }

    private static final class Counter {
        int upserted;
        int deleted;
        int unchanged;
        int failed;
    }

    /**
     * An event as the master will see it: its wire JSON, and key and hash of that JSON as read back; or, when it
     * cannot be read back, the field and reason the master would refuse it with ({@code refusal}).
     */
    record Wire(String key, String hash, ObjectNode json, String refusal, CalendarEvent event) {
    }

    /**
     * The sync key and content hash are computed from the event <i>as the master reads it</i>: the wire JSON read back
     * with the same reader the master uses. So any value that the wire normalises (an empty CLASS, an unknown STATUS
     * keyword, ...) is normalised identically on both sides, and the digests of agent and master agree (issue #13,
     * cause 9).
     */
    Wire onTheWire(CalendarEvent e) {
        ObjectNode json = WireJson.writeEvent(e);
        try {
            CalendarEvent read = WireJson.readEvent(json, null);
            return new Wire(SyncKey.of(agentId, read).value(), ContentHash.of(read), json, null, e);
        } catch (WireFormatException ex) {
            return new Wire(SyncKey.of(agentId, e).value(), null, json, ex.field() + ": " + ex.reason(), e);
        }
    }

    /**
     * The content hash of {@code e} as {@link #onTheWire} computes it (the hash this agent sends for it, which the
     * master hands back as an update's {@code base_hash}); null when the master could not read the event.
     */
    public static String hashOnTheWire(CalendarEvent e) {
        try {
            return ContentHash.of(WireJson.readEvent(WireJson.writeEvent(e), null));
        } catch (WireFormatException ex) {
            return null;
        }
    }

    /**
     * An event the master would refuse: left out of the current set (like an event the reader rejects) and kept in
     * the rejected map with the reason, so the master's agent status shows it.
     */
    private void refuse(AgentState.Tx tx, ChangeBatch b, CalendarEvent e, Wire w) {
        LOG.error("Source '{}', file {}: the event UID {} (recurrence {}) cannot be sent ({}); it is left out",
                b.source(), b.file(), e.uid(), SyncKey.ridText(e.recurrenceId()), w.refusal());
        tx.rejectLocally(w.key(), b.source(), w.json(), w.refusal());
    }
}
