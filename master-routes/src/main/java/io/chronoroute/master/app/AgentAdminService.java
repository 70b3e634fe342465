package io.chronoroute.master.app;

import io.chronoroute.master.ingest.BatchIdempotentRepository;
import io.chronoroute.master.ingest.AgentProblems;
import io.chronoroute.master.ingest.HeartbeatReader;
import io.chronoroute.master.ingest.HeartbeatRequest;
import io.chronoroute.master.ingest.Incoming;
import io.chronoroute.master.rest.ApiException;
import io.chronoroute.master.rest.RequestJson;
import io.chronoroute.master.security.AgentRegistration;
import io.chronoroute.master.store.Activity;
import io.chronoroute.master.store.AgentRecord;
import io.chronoroute.master.store.ChangeSet;
import io.chronoroute.master.store.MasterStore;
import io.chronoroute.master.stats.StatsService;
import io.chronoroute.master.updates.UpdateQueueService;
import org.apache.camel.Body;
import org.apache.camel.Header;
import org.apache.camel.ProducerTemplate;
import org.springframework.stereotype.Component;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Admin views and actions on agents: list, status, history, delete (its observations go; consolidated events
 * that lose their last origin become tombstones), cleanup of inactive agents, deleting an agent's events, and
 * {@code /sync/import/{source_id}} through the same ingest as a synthetic agent "import".
 */
@Component
public class AgentAdminService {

    private static final int DEFAULT_INTERVAL_MINUTES = 15;

    private final MasterStore store;
    private final ProducerTemplate producer;
    private final UpdateQueueService updates;
    private final HeartbeatReader reader;
    private final RequestJson json;
    private final BatchIdempotentRepository batches;
    private final Clock clock;
    private final AgentProblems problems;

    public AgentAdminService(MasterStore store, ProducerTemplate producer, UpdateQueueService updates, HeartbeatReader reader, RequestJson json,
                             BatchIdempotentRepository batches, Clock clock, AgentProblems problems) {
        this.store = store;
        this.producer = producer;
        this.updates = updates;
        this.reader = reader;
        this.json = json;
        this.batches = batches;
        this.clock = clock;
        this.problems = problems;
    }

    /** Seed list: id, name, status, last_seen, environment, event_count, last_heartbeat (+ legacy, online). */
    public List<Map<String, Object>> listAgents() {
        Instant now = clock.instant();
        return store.listAgents().stream().map(a -> summary(a, now)).toList();
    }

    public Map<String, Object> statusAll() {
        Instant now = clock.instant();
        List<Map<String, Object>> agents = store.listAgents().stream().map(a -> {
            Map<String, Object> m = summary(a, now);
            m.put("problems", problems.counts(a.id()));
            return m;
        }).toList();
        long online = agents.stream().filter(m -> Boolean.TRUE.equals(m.get("online"))).count();
        Map<String, Object> out = new LinkedHashMap<>();
        out.put("status", "success");
        out.put("total_agents", agents.size());
        out.put("online_agents", online);
        out.put("offline_agents", agents.size() - online);
        out.put("agents", agents);
        // the seed's map, as its React component reads it: {id: {name, status, last_check_in}}
        Map<String, Object> seed = new LinkedHashMap<>();
        for (Map<String, Object> m : agents) {
            Map<String, Object> one = new LinkedHashMap<>();
            one.put("name", m.get("name"));
            one.put("status", m.get("status"));
            one.put("last_check_in", m.get("last_seen"));
            seed.put((String) m.get("id"), one);
        }
        out.put("agent_status", seed);
        return out;
    }

    public Map<String, Object> status(@Header("agent_id") String agentId) {
        AgentRecord a = agent(agentId);
        Map<String, Object> out = summary(a, clock.instant());
        out.put("registered_at", str(a.registeredAt()));
        out.put("agent_type", a.agentType());
        out.put("interval_minutes", a.intervalMinutes());
        out.put("capabilities", a.capabilities());
        out.put("stats", a.stats());
        Object transport = a.config().get("transport");
        out.put("transport", transport != null ? transport.toString()
                : AgentRegistration.IMPORT_AGENT.equals(a.id()) ? "import" : "http");
        out.put("digest", store.agentDigest(agentId));
        out.put("observations", store.observationCount(agentId));
        out.put("pending_updates", store.pendingUpdates(agentId).size());
        out.put("problems", problems.view(agentId));
        return out;
    }

    public Map<String, Object> history(@Header("agent_id") String agentId, @Header("limit") String limit) {
        agent(agentId);
        int n = RequestJson.intParam(limit, "limit", 100, 1000);
        Map<String, Object> out = new LinkedHashMap<>();
        out.put("agent_id", agentId);
        out.put("updates", updates.history(agentId, n));
        List<Map<String, Object>> activity = new ArrayList<>();
        for (Activity a : store.recentActivity(10_000)) {
            if (agentId.equals(a.agentId())) {
                activity.add(StatsService.activity(a));
                if (activity.size() >= n) {
                    break;
                }
            }
        }
        out.put("activity", activity);
        return out;
    }

    public Map<String, Object> deleteAgent(@Header("agent_id") String agentId) {
        AgentRecord a = agent(agentId);
        Map<String, Object> result = removeObservations(a, "agent-deleted");
        store.deleteAgent(agentId);
        batches.clearAgent(agentId);
        problems.forget(agentId);
        ChangeSet cs = new ChangeSet();
        cs.activities.add(new Activity(clock.instant(), agentId, "agent-deleted", "agent removed by admin"));
        store.apply(cs);
        Map<String, Object> out = new LinkedHashMap<>();
        out.put("status", "success");
        out.put("message", "Agent " + agentId + " deleted");
        out.put("observations_removed", ((Map<?, ?>) result.get("applied")).get("deleted"));
        return out;
    }

    public Map<String, Object> deleteEvents(@Header("agent_id") String agentId) {
        AgentRecord a = agent(agentId);
        Map<String, Object> result = removeObservations(a, "events-deleted");
        Map<String, Object> out = new LinkedHashMap<>();
        out.put("status", "success");
        out.put("agent_id", agentId);
        out.put("deleted", ((Map<?, ?>) result.get("applied")).get("deleted"));
        return out;
    }

    /** Agents not seen for {@code max_inactive_days} (default 30); {@code dry_run} defaults to true (lists only). */
    public Map<String, Object> cleanup(@Header("max_inactive_days") String maxInactiveDays, @Header("dry_run") String dryRun) {
        int days = RequestJson.intParam(maxInactiveDays, "max_inactive_days", 30, 36500);
        boolean dry = RequestJson.boolParam(dryRun, "dry_run", true);
        Instant cutoff = clock.instant().minus(Duration.ofDays(days));
        List<String> inactive = new ArrayList<>();
        for (AgentRecord a : store.listAgents()) {
            if (AgentRegistration.IMPORT_AGENT.equals(a.id())) {
                continue;
            }
            Instant seen = a.lastSeen() != null ? a.lastSeen() : a.registeredAt();
            if (seen == null || seen.isBefore(cutoff)) {
                inactive.add(a.id());
            }
        }
        if (!dry) {
            for (String id : inactive) {
                deleteAgent(id);
            }
        }
        Map<String, Object> out = new LinkedHashMap<>();
        out.put("status", "success");
        out.put("dry_run", dry);
        out.put("max_inactive_days", days);
        out.put(dry ? "would_remove" : "removed", inactive);
        out.put("count", inactive.size());
        return out;
    }

    /** Body of {@code POST /sync/import/{source_id}}: a JSON array of events (any accepted spelling). */
    public HeartbeatRequest importRequest(@Header("source_id") String sourceId, @Body byte[] body) {
        if (sourceId == null || sourceId.isBlank() || sourceId.length() > 256) {
            throw ApiException.badRequest("source_id", "must be 1-256 characters");
        }
        List<Incoming.Upsert> upserts = reader.readImport(json.parse(body), AgentRegistration.IMPORT_AGENT, sourceId);
        AgentRecord agent = store.findAgent(AgentRegistration.IMPORT_AGENT).orElseGet(() -> new AgentRecord(
                AgentRegistration.IMPORT_AGENT, "Admin imports", null, "import", null, false, clock.instant(), null,
                null, "active", 0, null, List.of(), Map.of(), Map.of()));
        return new HeartbeatRequest(agent, null, "import", null, false, upserts, Set.of(), null, null, false);
    }

    private Map<String, Object> removeObservations(AgentRecord a, String kind) {
        HeartbeatRequest req = new HeartbeatRequest(a, null, kind, null, true, List.of(), Set.of(), null, null, false);
        // through the one ingest route, like every change; an admin removal deletes nothing in other calendars
        @SuppressWarnings("unchecked")
        Map<String, Object> answer;
        try {
            answer = producer.requestBody("direct:master-ingest", req, Map.class);
        } catch (org.apache.camel.CamelExecutionException e) {
            throw e.getCause() instanceof RuntimeException re ? re : e;
        }
        return answer;
    }

    private AgentRecord agent(String agentId) {
        if (agentId == null) {
            throw ApiException.badRequest("agent_id", "missing in the path");
        }
        return store.findAgent(agentId).orElseThrow(() -> ApiException.notFound("agent_id", "unknown agent"));
    }

    private static Map<String, Object> summary(AgentRecord a, Instant now) {
        Map<String, Object> m = new LinkedHashMap<>();
        int interval = a.intervalMinutes() == null || a.intervalMinutes() <= 0 ? DEFAULT_INTERVAL_MINUTES : a.intervalMinutes();
        boolean online = a.lastSeen() != null && a.lastSeen().isAfter(now.minus(Duration.ofMinutes(3L * interval)));
        m.put("id", a.id());
        m.put("name", a.name());
        m.put("status", online ? a.status() : "offline");
        m.put("last_seen", str(a.lastSeen()));
        m.put("environment", a.environment());
        m.put("event_count", a.eventCount());
        m.put("last_heartbeat", str(a.lastHeartbeat()));
        m.put("legacy", a.legacy());
        m.put("online", online);
        return m;
    }

    private static String str(Instant i) {
        return i == null ? null : i.toString();
    }
}
