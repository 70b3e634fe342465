package io.chronoroute.master.stats;

import io.chronoroute.master.config.ChronorouteProperties;
import io.chronoroute.master.rest.RequestJson;
import io.chronoroute.master.store.Activity;
import io.chronoroute.master.store.AgentRecord;
import io.chronoroute.master.store.MasterStore;
import io.chronoroute.processors.conflict.ConflictStrategy;
import org.apache.camel.Exchange;
import org.apache.camel.Header;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.stereotype.Component;

import java.time.Clock;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** Health, statistics, the recent activity and the (secret-free) effective configuration. */
@Component
public class StatsService {

    private static final Logger LOG = LoggerFactory.getLogger(StatsService.class);

    private final MasterStore store;
    private final ChronorouteProperties props;
    private final ConflictStrategy strategy;
    private final Clock clock;

    public StatsService(MasterStore store, ChronorouteProperties props, ConflictStrategy strategy, Clock clock) {
        this.store = store;
        this.props = props;
        this.strategy = strategy;
        this.clock = clock;
    }

    public Map<String, Object> health(Exchange exchange) {
        Map<String, Object> out = new LinkedHashMap<>();
        try {
            long seq = store.currentChangeSeq();
            out.put("status", "healthy");
            out.put("store", "up");
            out.put("change_seq", seq);
        } catch (RuntimeException e) {
            LOG.warn("health check: store unavailable: {}", e.toString());
            out.put("status", "unhealthy");
            out.put("store", "down");
            exchange.getMessage().setHeader(Exchange.HTTP_RESPONSE_CODE, 503);
        }
        out.put("timestamp", clock.instant().toString());
        out.put("service", "chronoroute-master");
        return out;
    }

    public Map<String, Object> stats() {
        List<AgentRecord> agents = store.listAgents();
        long observations = 0;
        long online = 0;
        int pending = 0;
        for (AgentRecord a : agents) {
            observations += store.observationCount(a.id());
            pending += store.pendingUpdates(a.id()).size();
            if ("active".equals(a.status())) {
                online++;
            }
        }
        long openConflicts = store.recentConflicts(1000).stream().filter(c -> "OPEN".equals(c.status())).count();
        Map<String, Object> out = new LinkedHashMap<>();
        out.put("status", "success");
        out.put("total_agents", agents.size());
        out.put("active_agents", online);
        out.put("total_observations", observations);
        out.put("consolidated_events", store.consolidatedCount());
        out.put("change_seq", store.currentChangeSeq());
        out.put("pending_updates", pending);
        out.put("open_conflicts", openConflicts);
        out.put("conflict_resolution", strategy.wireName());
        out.put("timestamp", clock.instant().toString());
        return out;
    }

    public Map<String, Object> recentActivity(@Header("limit") String limit) {
        int n = RequestJson.intParam(limit, "limit", 50, 1000);
        List<Map<String, Object>> list = store.recentActivity(n).stream().map(StatsService::activity).toList();
        Map<String, Object> out = new LinkedHashMap<>();
        out.put("status", "success");
        out.put("count", list.size());
        out.put("activity", list);
        return out;
    }

    /** Effective settings without any secret (only whether each one is set in configuration). */
    public Map<String, Object> config() {
        Map<String, Object> out = new LinkedHashMap<>();
        out.put("conflict_resolution", strategy.wireName());
        out.put("max_events_per_heartbeat", props.maxEventsPerHeartbeat());
        out.put("max_body_bytes", props.maxBody());
        out.put("update_queue_retention_days", props.updateQueueRetentionDays());
        out.put("display_zone", props.displayZone().getId());
        out.put("enable_bidirectional_sync", props.enableBidirectionalSync());
        out.put("legacy_agents_enabled", props.legacyEnabled());
        out.put("protocol", 2);
        out.put("admin_token_configured", isSet(props.adminToken()));
        out.put("feed_token_configured", isSet(props.feedToken()));
        out.put("enrollment_secret_configured", isSet(props.enrollmentSecret()));
        return out;
    }

    private static boolean isSet(String s) {
        return s != null && !s.isBlank();
    }

    /** Wire form of one activity line. */
    public static Map<String, Object> activity(Activity a) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("at", a.at() == null ? null : a.at().toString());
        m.put("agent_id", a.agentId());
        m.put("kind", a.kind());
        m.put("message", a.message());
        return m;
    }

}
