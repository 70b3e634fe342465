package io.chronoroute.agent.collect;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.chronoroute.agent.AgentProperties;
import io.chronoroute.agent.state.AgentState;
import io.chronoroute.agent.state.FileEntry;
import io.chronoroute.agent.state.StoredEvent;
import io.chronoroute.processors.model.CalendarEvent;
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
        CollectSummary s = state.write(tx -> {
            Counter c = new Counter();
            SetDigest digest = tx.digest();
            for (ChangeBatch b : batches) {
                switch (b.kind()) {
                    case PARSED -> applyParsed(tx, b, digest, c);
                    case TOUCHED -> applyTouched(tx, b);
                    case REMOVED -> applyRemoved(tx, b, digest, c);
                    case FAILED -> {
                        tx.putFailed(b.source(), b.file(), b.reason());
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

    private void applyParsed(AgentState.Tx tx, ChangeBatch b, SetDigest digest, Counter c) {
        Map<String, Wire> byKey = new LinkedHashMap<>();
        Map<CalendarEvent, Wire> refused = new LinkedHashMap<>();
        for (CalendarEvent e : b.events()) {
            Wire w = onTheWire(e);
            if (w.refusal() != null) {
                refused.put(e, w);
                continue;
            }
            if (byKey.put(w.key(), w) != null) {
                LOG.warn("Source '{}', file {}: UID {} (recurrence {}) occurs more than once; the last one is kept",
                        b.source(), b.file(), e.uid(), SyncKey.ridText(e.recurrenceId()));
            }
        }
        for (Map.Entry<String, Wire> en : byKey.entrySet()) {
            String key = en.getKey();
            String hash = en.getValue().hash();
            StoredEvent cur = tx.current(key);
            if (cur != null && cur.hash().equals(hash)) {
                c.unchanged++;
                continue;
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

    /**
     * An event as the master will see it: its wire JSON, and key and hash of that JSON as read back; or, when it
     * cannot be read back, the field and reason the master would refuse it with ({@code refusal}).
     */
    record Wire(String key, String hash, ObjectNode json, String refusal) {
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
            return new Wire(SyncKey.of(agentId, read).value(), ContentHash.of(read), json, null);
        } catch (WireFormatException ex) {
            return new Wire(SyncKey.of(agentId, e).value(), null, json, ex.field() + ": " + ex.reason());
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
}
