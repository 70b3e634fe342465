package io.chronoroute.master.updates;

import com.fasterxml.jackson.databind.JsonNode;
import io.chronoroute.master.rest.ApiException;
import io.chronoroute.master.rest.RequestJson;
import io.chronoroute.master.store.AgentRecord;
import io.chronoroute.master.store.AgentUpdate;
import io.chronoroute.master.store.MasterStore;
import io.chronoroute.processors.model.CalendarEvent;
import io.chronoroute.processors.wire.WireFormatException;
import io.chronoroute.processors.wire.WireJson;
import org.apache.camel.Body;
import org.springframework.stereotype.Component;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Admin pushes that become queued updates: calendar metadata (rename/recolor) and sync configuration.
 * {@code PUT /calendars/{calendar_id}} is {@link io.chronoroute.master.calendars.CalendarService}.
 */
@Component
public class PushService {

    private final MasterStore store;
    private final UpdateQueueService queue;
    private final RequestJson json;

    public PushService(MasterStore store, UpdateQueueService queue, RequestJson json) {
        this.store = store;
        this.queue = queue;
        this.json = json;
    }

    /** {@code {changes, target_agents?, calendar_id?, provider?}} → calendar_metadata updates. */
    public Map<String, Object> calendarMetadata(@Body byte[] body) {
        JsonNode req = json.object(body, false);
        Map<String, Object> changes = changes(req);
        String calendarId = RequestJson.text(req, "calendar_id", false);
        String provider = RequestJson.text(req, "provider", false);
        List<String> targets = targets(req, calendarId);
        Map<String, Object> data = new LinkedHashMap<>();
        data.put("calendar_id", calendarId);
        data.put("provider", provider);
        data.put("changes", changes);
        return queue(targets, "calendar_metadata", data);
    }

    /** {@code {changes, target_agents?}} → sync_config updates. */
    public Map<String, Object> syncConfig(@Body byte[] body) {
        JsonNode req = json.object(body, false);
        Map<String, Object> changes = changes(req);
        List<String> targets = targets(req, null);
        Map<String, Object> data = new LinkedHashMap<>();
        data.put("changes", changes);
        return queue(targets, "sync_config", data);
    }

    private Map<String, Object> queue(List<String> targets, String type, Map<String, Object> data) {
        List<AgentUpdate> list = new ArrayList<>();
        for (String a : targets) {
            list.add(queue.newUpdate(a, type, data));
        }
        List<String> ids = list.isEmpty() ? List.of() : queue.queueAll(list, "push");
        Map<String, Object> out = new LinkedHashMap<>();
        out.put("status", "success");
        out.put("updates_queued", ids.size());
        out.put("agents", targets);
        out.put("update_ids", ids);
        return out;
    }

    private Map<String, Object> changes(JsonNode req) {
        Map<String, Object> changes = json.map(req, "changes");
        if (changes == null || changes.isEmpty()) {
            throw ApiException.badRequest("changes", "required: a non-empty object");
        }
        return changes;
    }

    private List<String> targets(JsonNode req, String calendarId) {
        List<String> explicit = RequestJson.strings(req, "target_agents");
        if (explicit != null && !explicit.isEmpty()) {
            Set<String> out = new LinkedHashSet<>();
            for (int i = 0; i < explicit.size(); i++) {
                if (store.findAgent(explicit.get(i)).isEmpty()) {
                    throw ApiException.badRequest("target_agents[" + i + "]", "unknown agent");
                }
                out.add(explicit.get(i));
            }
            return List.copyOf(out);
        }
        if (calendarId != null) {
            return agentsWithCalendar(calendarId);
        }
        return queue.realAgents();
    }

    /** Agents whose observations (or registered config) mention the calendar; admin-only, so a scan is fine. */
    public List<String> agentsWithCalendar(String calendarId) {
        List<String> out = new ArrayList<>();
        for (String agentId : queue.realAgents()) {
            AgentRecord a = store.findAgent(agentId).orElse(null);
            if (a == null) {
                continue;
            }
            boolean[] found = {configMentions(a.config(), calendarId)};
            if (!found[0]) {
                store.forEachObservation(agentId, o -> {
                    if (!found[0] && o.eventJson().contains(calendarId)) {
                        try {
                            CalendarEvent e = WireJson.fromJson(o.eventJson());
                            found[0] = e.origin() != null && calendarId.equals(e.origin().calendarId());
                        } catch (WireFormatException ignored) {
                            // a stored observation always parses; skip it if not
                        }
                    }
                });
            }
            if (found[0]) {
                out.add(agentId);
            }
        }
        return out;
    }

    private static boolean configMentions(Object node, String calendarId) {
        if (node instanceof Map<?, ?> m) {
            for (Map.Entry<?, ?> e : m.entrySet()) {
                if ("calendar_id".equals(e.getKey()) && calendarId.equals(e.getValue())) {
                    return true;
                }
                if (configMentions(e.getValue(), calendarId)) {
                    return true;
                }
            }
        } else if (node instanceof List<?> l) {
            for (Object o : l) {
                if (configMentions(o, calendarId)) {
                    return true;
                }
            }
        }
        return false;
    }
}
