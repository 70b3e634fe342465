package io.chronoroute.master.ingest;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.chronoroute.master.store.MasterStore;
import io.chronoroute.master.store.StoreJson;
import org.springframework.stereotype.Component;

import java.time.Clock;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * What went wrong with an agent's input, per agent, in the {@link MasterStore} (settings {@code agent-problems:<id>}
 * and {@code agent-rejections:<id>}, so both stores keep it): the problem list the agent reported (its files'
 * repairs, skipped properties and rejected events and files; replaced when the agent sends a new one) and the
 * events the master itself rejected from its heartbeats (the latest {@value #MAX_REJECTIONS}, one entry per event
 * and reason with how often and when last, plus a total). Shown by {@code GET /sync/agents/{id}/status}.
 */
@Component
public class AgentProblems {

    static final int MAX_REJECTIONS = 200;
    private static final String REPORTED = "agent-problems:";
    private static final String REJECTIONS = "agent-rejections:";

    private final MasterStore store;
    private final Clock clock;

    public AgentProblems(MasterStore store, Clock clock) {
        this.store = store;
        this.clock = clock;
    }

    /** Replaces the agent's reported problem list. */
    public void storeReported(String agentId, ReportedProblems p) {
        ObjectNode n = StoreJson.mapper().createObjectNode();
        n.put("version", p.version());
        n.put("received_at", clock.instant().toString());
        n.put("total", p.total());
        n.set("counts", StoreJson.mapper().valueToTree(p.counts()));
        n.set("items", StoreJson.mapper().valueToTree(p.items()));
        store.putSetting(REPORTED + agentId, n.toString());
    }

    /** The version of the reported list the master holds, or null. */
    public String reportedVersion(String agentId) {
        JsonNode n = reported(agentId);
        return n == null ? null : n.path("version").asText(null);
    }

    /**
     * Records the events rejected from one heartbeat. The same event rejected again for the same reason (a seed agent
     * re-sending its snapshot) updates its entry ({@code times}, {@code last_at}) rather than adding one.
     */
    public synchronized void recordRejections(String agentId, List<EventRejection> rejected) {
        if (rejected.isEmpty()) {
            return;
        }
        String now = clock.instant().toString();
        JsonNode old = read(REJECTIONS + agentId);
        List<ObjectNode> items = new ArrayList<>();
        long total = 0;
        if (old != null) {
            total = old.path("total").asLong();
            old.path("items").forEach(i -> items.add((ObjectNode) i));
        }
        for (EventRejection r : rejected) {
            ObjectNode same = null;
            for (ObjectNode i : items) {
                if (Objects.equals(text(i, "uid"), r.uid()) && Objects.equals(text(i, "recurrence_id"), r.recurrenceId())
                        && Objects.equals(text(i, "source"), r.source()) && Objects.equals(text(i, "reason"), r.reason())) {
                    same = i;
                    break;
                }
            }
            if (same != null) {
                items.remove(same);
                same.put("times", same.path("times").asLong(1) + 1);
                same.put("last_at", now);
                same.put("field", r.field());
                items.add(same);
                continue;
            }
            total++;
            ObjectNode i = StoreJson.mapper().valueToTree(r.toWire());
            i.put("first_at", now);
            i.put("last_at", now);
            i.put("times", 1);
            items.add(i);
        }
        while (items.size() > MAX_REJECTIONS) {
            items.remove(0);
        }
        ObjectNode n = StoreJson.mapper().createObjectNode();
        n.put("total", total);
        ArrayNode a = n.putArray("items");
        items.forEach(a::add);
        store.putSetting(REJECTIONS + agentId, n.toString());
    }

    /** Forgets everything about the agent (it was removed). */
    public void forget(String agentId) {
        store.deleteSetting(REPORTED + agentId);
        store.deleteSetting(REJECTIONS + agentId);
    }

    /**
     * {@code {"total", "counts": {kind → n}, "agent_total", "master_rejected_total"}}: the numbers, for the list of
     * all agents.
     */
    public Map<String, Object> counts(String agentId) {
        JsonNode rep = reported(agentId);
        JsonNode rej = read(REJECTIONS + agentId);
        long agentTotal = rep == null ? 0 : rep.path("total").asLong();
        long masterTotal = rej == null ? 0 : rej.path("total").asLong();
        Map<String, Long> counts = new LinkedHashMap<>();
        if (rep != null) {
            rep.path("counts").properties().forEach(e -> counts.merge(e.getKey(), e.getValue().asLong(), Long::sum));
        }
        if (masterTotal > 0) {
            counts.merge("EVENT_REJECTED", masterTotal, Long::sum);
        }
        Map<String, Object> out = new LinkedHashMap<>();
        out.put("total", agentTotal + masterTotal);
        out.put("counts", counts);
        out.put("agent_total", agentTotal);
        out.put("master_rejected_total", masterTotal);
        return out;
    }

    /**
     * The counts and every item: first the agent's (kind, source, file, line, uid, recurrence_id, property, message;
     * {@code "by": "agent"}), then the master's rejections in the same shape ({@code "by": "master"}, kind
     * EVENT_REJECTED, property = the field, message = the reason, with first_at, last_at and times).
     */
    public Map<String, Object> view(String agentId) {
        Map<String, Object> out = counts(agentId);
        JsonNode rep = reported(agentId);
        JsonNode rej = read(REJECTIONS + agentId);
        out.put("reported_at", rep == null ? null : rep.path("received_at").asText(null));
        List<Map<String, Object>> items = new ArrayList<>();
        if (rep != null) {
            for (JsonNode i : rep.path("items")) {
                Map<String, Object> m = new LinkedHashMap<>();
                m.put("by", "agent");
                m.putAll(StoreJson.mapper().convertValue(i, LinkedHashMap.class));
                items.add(m);
            }
        }
        if (rej != null) {
            for (JsonNode i : rej.path("items")) {
                Map<String, Object> m = new LinkedHashMap<>();
                m.put("by", "master");
                m.put("kind", "EVENT_REJECTED");
                m.put("source", text(i, "source"));
                m.put("uid", text(i, "uid"));
                m.put("recurrence_id", text(i, "recurrence_id"));
                m.put("property", text(i, "field"));
                m.put("message", text(i, "reason"));
                m.put("first_at", text(i, "first_at"));
                m.put("last_at", text(i, "last_at"));
                m.put("times", i.path("times").asLong(1));
                items.add(m);
            }
        }
        out.put("items", items);
        return out;
    }

    private JsonNode reported(String agentId) {
        return read(REPORTED + agentId);
    }

    private JsonNode read(String key) {
        return store.getSetting(key).map(s -> StoreJson.read(s, JsonNode.class)).orElse(null);
    }

    private static String text(JsonNode n, String f) {
        JsonNode v = n.get(f);
        return v == null || v.isNull() ? null : v.asText();
    }
}
