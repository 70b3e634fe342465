package io.chronoroute.master.conflicts;

import com.fasterxml.jackson.databind.JsonNode;
import io.chronoroute.master.ingest.ChangeIngest;
import io.chronoroute.master.ingest.OriginChange;
import io.chronoroute.master.ingest.OriginChanges;
import io.chronoroute.master.rest.ApiException;
import io.chronoroute.processors.model.CalendarEvent;
import io.chronoroute.master.rest.RequestJson;
import io.chronoroute.master.store.Activity;
import io.chronoroute.master.store.ChangeSet;
import io.chronoroute.master.store.Conflict;
import io.chronoroute.master.store.ConsolidatedEvent;
import io.chronoroute.master.store.MasterStore;
import io.chronoroute.processors.sync.ContentHash;
import io.chronoroute.processors.wire.WireJson;
import org.apache.camel.Body;
import org.apache.camel.Header;
import org.springframework.stereotype.Component;

import java.io.IOException;
import java.time.Clock;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Conflicts: the recent list (parked ones OPEN, automatically settled ones RESOLVED for the audit trail) and the
 * manual resolution of a parked one: {@code source_wins} makes the parked incoming version the consolidated one,
 * {@code destination_wins} keeps the consolidated version. Either way the conflict becomes RESOLVED.
 */
@Component
public class ConflictService {

    private final MasterStore store;
    private final RequestJson json;
    private final Clock clock;
    private final ChangeIngest ingest;

    public ConflictService(MasterStore store, RequestJson json, Clock clock, ChangeIngest ingest) {
        this.store = store;
        this.json = json;
        this.clock = clock;
        this.ingest = ingest;
    }

    public Map<String, Object> recent(@Header("limit") String limit, @Header("status") String status) {
        int n = RequestJson.intParam(limit, "limit", 50, 1000);
        List<Map<String, Object>> list = new ArrayList<>();
        for (Conflict c : store.recentConflicts(status == null ? n : 1000)) {
            if (status != null && !status.equalsIgnoreCase(c.status())) {
                continue;
            }
            if (list.size() < n) {
                list.add(view(c));
            }
        }
        Map<String, Object> out = new LinkedHashMap<>();
        out.put("status", "success");
        out.put("count", list.size());
        out.put("conflicts", list);
        return out;
    }

    public Map<String, Object> resolve(@Header("conflict_id") String conflictId, @Body byte[] body) {
        JsonNode req = json.object(body, false);
        String resolution = RequestJson.text(req, "resolution", true);
        if (!"source_wins".equals(resolution) && !"destination_wins".equals(resolution)) {
            throw ApiException.badRequest("resolution", "must be source_wins or destination_wins");
        }
        Conflict c = store.findConflict(conflictId)
                .orElseThrow(() -> ApiException.notFound("conflict_id", "no such conflict"));
        if (!"OPEN".equals(c.status())) {
            throw ApiException.conflict("conflict_id", "conflict is already " + c.status().toLowerCase(java.util.Locale.ROOT));
        }
        Instant now = clock.instant();
        // the winner goes through the one ingest route: the consolidated event, the destinations and every calendar
        // the event comes from (the loser included) get it; an already equal calendar gets nothing
        CalendarEvent winner = "source_wins".equals(resolution) && c.incomingJson() != null
                ? WireJson.fromJson(c.incomingJson())
                : store.findConsolidated(c.identity()).filter(e -> !e.deleted())
                        .map(e -> WireJson.fromJson(e.eventJson())).orElse(null);
        if (winner != null) {
            ingest.ingest(new OriginChanges("conflict:" + c.id(),
                    List.of(new OriginChange(c.identity(), winner.withOrigin(null), null, now, null))));
        }
        ChangeSet cs = new ChangeSet();
        Conflict resolved = new Conflict(c.id(), c.identity(), c.agentId(), c.syncKey(), c.currentJson(),
                c.incomingJson(), c.strategy(), "RESOLVED", resolution, c.createdAt(), now);
        cs.putConflicts.add(resolved);
        cs.activities.add(new Activity(now, c.agentId(), "conflict-resolved", c.id() + " " + resolution));
        store.apply(cs);
        Map<String, Object> out = new LinkedHashMap<>();
        out.put("status", "success");
        out.put("conflict", view(resolved));
        return out;
    }

    private Map<String, Object> view(Conflict c) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("id", c.id());
        m.put("identity", c.identity());
        m.put("agent_id", c.agentId());
        m.put("sync_key", c.syncKey());
        m.put("strategy", c.strategy());
        m.put("status", c.status().toLowerCase(java.util.Locale.ROOT));
        m.put("resolution", c.resolution());
        m.put("created_at", c.createdAt() == null ? null : c.createdAt().toString());
        m.put("resolved_at", c.resolvedAt() == null ? null : c.resolvedAt().toString());
        m.put("current", tree(c.currentJson()));
        m.put("incoming", tree(c.incomingJson()));
        return m;
    }

    private Object tree(String s) {
        if (s == null) {
            return null;
        }
        try {
            return json.mapper().readValue(s, LinkedHashMap.class);
        } catch (IOException e) {
            return s;
        }
    }
}
