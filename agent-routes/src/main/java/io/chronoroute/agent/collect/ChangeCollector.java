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

    private void applyParsed(AgentState.Tx tx, ChangeBatch b, SetDigest digest, Counter c) {
        Map<String, CalendarEvent> byKey = new LinkedHashMap<>();
        for (CalendarEvent e : b.events()) {
            String key = SyncKey.of(agentId, e).value();
            if (byKey.put(key, e) != null) {
                LOG.warn("Source '{}', file {}: UID {} (recurrence {}) occurs more than once; the last one is kept",
                        b.source(), b.file(), e.uid(), SyncKey.ridText(e.recurrenceId()));
            }
        }
        for (Map.Entry<String, CalendarEvent> en : byKey.entrySet()) {
            String key = en.getKey();
            CalendarEvent e = en.getValue();
            String hash = ContentHash.of(e);
            StoredEvent cur = tx.current(key);
            if (cur != null && cur.hash().equals(hash)) {
                c.unchanged++;
                continue;
            }
            ObjectNode json = WireJson.writeEvent(e);
            if (cur != null) {
                digest.remove(key, cur.hash());
            }
            digest.add(key, hash);
            tx.putCurrent(key, new StoredEvent(b.source(), hash, json));
            tx.enqueueUpsert(key, b.source(), hash, json);
            c.upserted++;
        }
        FileEntry old = tx.file(b.source(), b.file());
        if (old != null) {
            List<String> gone = old.keys().stream().filter(k -> !byKey.containsKey(k)).toList();
            deleteUnlessHeldElsewhere(tx, b, gone, digest, c);
        }
        ChangeBatch.Fingerprint fp = b.fingerprint();
        tx.putFile(b.source(), b.file(), new FileEntry(fp.size(), fp.modified(), fp.sha256(), new ArrayList<>(byKey.keySet())));
        tx.removeFailed(b.source(), b.file());
        tx.putProblems(b.source(), b.file(), b.problems());
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
}
