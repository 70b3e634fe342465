package io.chronoroute.master.updates;

import com.fasterxml.jackson.databind.JsonNode;
import io.chronoroute.master.config.ChronorouteProperties;
import io.chronoroute.master.rest.ApiException;
import io.chronoroute.master.rest.RequestJson;
import io.chronoroute.master.security.AgentRegistration;
import io.chronoroute.master.store.Activity;
import io.chronoroute.master.store.AgentRecord;
import io.chronoroute.master.store.AgentUpdate;
import io.chronoroute.master.store.ChangeSet;
import io.chronoroute.master.store.MasterStore;
import io.chronoroute.processors.wire.WireFormatException;
import io.chronoroute.processors.wire.WireJson;
import io.chronoroute.master.security.SecurityHeaders;
import org.apache.camel.Body;
import org.apache.camel.ExchangeProperty;
import org.apache.camel.Header;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.stereotype.Component;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;

/**
 * The per-agent update queue (master → agent, seed protocol): create, deliver (heartbeat answers and
 * pending-updates), acknowledge (processed; failure keeps it pending with attempts+1, permanent failure rejects it),
 * history, purge.
 */
@Component
public class UpdateQueueService {

    public static final Set<String> TYPES = Set.of("calendar_metadata", "sync_config", "event_update",
            "calendar_create", "calendar_delete");
    private static final Set<String> ACTIONS = Set.of("create", "update", "delete");
    private static final Logger LOG = LoggerFactory.getLogger(UpdateQueueService.class);

    private final MasterStore store;
    private final RequestJson json;
    private final ChronorouteProperties props;
    private final Clock clock;

    public UpdateQueueService(MasterStore store, RequestJson json, ChronorouteProperties props, Clock clock) {
        this.store = store;
        this.json = json;
        this.props = props;
        this.clock = clock;
    }

    /** A new pending update (not yet saved). */
    public AgentUpdate newUpdate(String agentId, String type, Map<String, Object> data) {
        return new AgentUpdate(UUID.randomUUID().toString(), agentId, type, data, AgentUpdate.PENDING, clock.instant(),
                null, 0, null);
    }

    /** Queues updates for several agents atomically; returns the ids. */
    public List<String> queueAll(List<AgentUpdate> list, String activity) {
        ChangeSet cs = new ChangeSet();
        cs.putUpdates.addAll(list);
        Instant now = clock.instant();
        for (AgentUpdate u : list) {
            cs.activities.add(new Activity(now, u.agentId(), "update-queued", u.type() + " " + u.id()
                    + (activity == null ? "" : " (" + activity + ")")));
        }
        store.apply(cs);
        return list.stream().map(AgentUpdate::id).toList();
    }

    /** Seed wire form of the agent's pending updates. */
    public List<Map<String, Object>> pendingWire(String agentId) {
        return store.pendingUpdates(agentId).stream().map(UpdateQueueService::wire).toList();
    }

    public Map<String, Object> pendingUpdates(@ExchangeProperty(SecurityHeaders.AGENT_ID) String agentId) {
        Map<String, Object> out = new LinkedHashMap<>();
        out.put("status", "success");
        out.put("updates", pendingWire(agentId));
        return out;
    }

    public static Map<String, Object> wire(AgentUpdate u) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("id", u.id());
        m.put("type", u.type());
        m.put("data", u.data());
        m.put("created_at", u.createdAt() == null ? null : u.createdAt().toString());
        m.put("attempts", u.attempts());
        m.put("status", u.status().toLowerCase(java.util.Locale.ROOT));
        if (u.processedAt() != null) {
            m.put("processed_at", u.processedAt().toString());
        }
        if (u.lastError() != null) {
            m.put("error", u.lastError());
        }
        return m;
    }

    /** {@code POST .../updates/{update_id}/processed} with optional {@code {success, permanent, error}}. */
    public Map<String, Object> processed(@ExchangeProperty(SecurityHeaders.AGENT_ID) String agentId,
                                         @Header("update_id") String updateId, @Body byte[] body) {
        JsonNode req = json.object(body, true);
        Boolean success = RequestJson.bool(req, "success");
        Boolean permanent = RequestJson.bool(req, "permanent");
        String error = RequestJson.text(req, "error", false);
        if (error != null && error.length() > 2000) {
            error = error.substring(0, 2000);
        }
        AgentUpdate u = store.findUpdate(agentId, updateId)
                .orElseThrow(() -> ApiException.notFound("update_id", "no such update for this agent"));
        Instant now = clock.instant();
        AgentUpdate next;
        String outcome;
        if (!AgentUpdate.PENDING.equals(u.status())) {
            next = null;
            outcome = "already " + u.status().toLowerCase(java.util.Locale.ROOT);
        } else if (success == null || success) {
            next = new AgentUpdate(u.id(), u.agentId(), u.type(), u.data(), AgentUpdate.PROCESSED, u.createdAt(), now,
                    u.attempts() + 1, null);
            outcome = "processed";
        } else if (Boolean.TRUE.equals(permanent)) {
            next = new AgentUpdate(u.id(), u.agentId(), u.type(), u.data(), AgentUpdate.REJECTED, u.createdAt(), now,
                    u.attempts() + 1, error);
            outcome = "rejected";
        } else {
            next = new AgentUpdate(u.id(), u.agentId(), u.type(), u.data(), AgentUpdate.PENDING, u.createdAt(), null,
                    u.attempts() + 1, error);
            outcome = "failed, stays pending";
        }
        if (next != null) {
            ChangeSet cs = new ChangeSet();
            cs.putUpdates.add(next);
            cs.activities.add(new Activity(now, agentId, "update-" + outcome.split(",")[0], u.type() + " " + u.id()));
            store.apply(cs);
        }
        Map<String, Object> out = new LinkedHashMap<>();
        out.put("status", "success");
        out.put("message", "Update " + outcome);
        out.put("update", wire(next == null ? u : next));
        return out;
    }

    /** {@code POST /sync/agents/{id}/receive-updates}: a list of {type, data} (or {"updates": [...]}) for one agent. */
    public Map<String, Object> receiveUpdates(@Header("agent_id") String agentId, @Body byte[] body) {
        AgentRecord agent = store.findAgent(agentId)
                .orElseThrow(() -> ApiException.notFound("agent_id", "unknown agent"));
        JsonNode root = json.parse(body);
        String prefix = "";
        if (root.isObject() && root.has("updates")) {
            root = root.get("updates");
            prefix = "updates";
        }
        if (!root.isArray() || root.isEmpty()) {
            throw ApiException.badRequest(prefix, "expected a non-empty array of {type, data}");
        }
        List<AgentUpdate> list = new ArrayList<>();
        for (int i = 0; i < root.size(); i++) {
            String path = prefix + "[" + i + "]";
            JsonNode u = root.get(i);
            if (!u.isObject()) {
                throw ApiException.badRequest(path, "must be an object {type, data}");
            }
            String type = RequestJson.text(u, "type", false);
            if (type == null || !TYPES.contains(type)) {
                throw ApiException.badRequest(path + ".type", "must be one of " + String.join(", ", TYPES.stream().sorted().toList()));
            }
            Map<String, Object> data = json.map(u, "data");
            if (data == null) {
                data = Map.of();
            }
            if ("event_update".equals(type)) {
                validateEventUpdate(u.get("data"), path + ".data");
            }
            list.add(newUpdate(agent.id(), type, data));
        }
        List<String> ids = queueAll(list, "receive-updates");
        Map<String, Object> out = new LinkedHashMap<>();
        out.put("status", "success");
        out.put("updates_queued", ids.size());
        out.put("update_ids", ids);
        return out;
    }

    private static void validateEventUpdate(JsonNode data, String path) {
        if (data == null || !data.isObject()) {
            throw ApiException.badRequest(path, "event_update needs data {action, event}");
        }
        String action = RequestJson.text(data, "action", false);
        if (action == null || !ACTIONS.contains(action)) {
            throw ApiException.badRequest(path + ".action", "must be create, update or delete");
        }
        JsonNode ev = data.get("event");
        if (ev == null || !ev.isObject()) {
            throw ApiException.badRequest(path + ".event", "required");
        }
        if (!"delete".equals(action)) {
            try {
                WireJson.readEvent(ev, null);
            } catch (WireFormatException e) {
                throw e.withPrefix(path + ".event");
            }
        }
    }

    /** Deletes processed/rejected updates older than the retention (or {@code olderThanDays}). */
    public Map<String, Object> purge(@Header("older_than_days") String olderThanDays) {
        int days = RequestJson.intParam(olderThanDays, "older_than_days", props.updateQueueRetentionDays(), 36500);
        Instant before = clock.instant().minus(Duration.ofDays(days));
        int n = store.purgeUpdates(before);
        if (n > 0) {
            LOG.info("purged {} processed/rejected updates older than {} days", n, days);
        }
        Map<String, Object> out = new LinkedHashMap<>();
        out.put("status", "success");
        out.put("purged", n);
        out.put("older_than_days", days);
        return out;
    }

    /** Scheduled purge with the configured retention. */
    public void purgeScheduled() {
        purge(null);
    }

    public Map<String, Object> queueStatus() {
        List<Map<String, Object>> agents = new ArrayList<>();
        int total = 0;
        for (AgentRecord a : store.listAgents()) {
            int n = store.pendingUpdates(a.id()).size();
            total += n;
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("agent_id", a.id());
            m.put("pending", n);
            agents.add(m);
        }
        Map<String, Object> out = new LinkedHashMap<>();
        out.put("status", "success");
        out.put("total_pending", total);
        out.put("retention_days", props.updateQueueRetentionDays());
        out.put("agents", agents);
        return out;
    }

    public List<Map<String, Object>> history(String agentId, int limit) {
        return store.updateHistory(agentId, limit).stream().map(UpdateQueueService::wire).toList();
    }

    /** Ids of agents other than the master's own synthetic ones. */
    public List<String> realAgents() {
        return store.listAgents().stream().map(AgentRecord::id)
                .filter(id -> !AgentRegistration.IMPORT_AGENT.equals(id)).toList();
    }
}
