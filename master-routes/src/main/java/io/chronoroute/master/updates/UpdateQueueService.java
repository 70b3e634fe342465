package io.chronoroute.master.updates;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
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
    /** An event id as {@code GET /sync/events} returns it. */
    private static final java.util.regex.Pattern IDENTITY = java.util.regex.Pattern.compile("[0-9a-f]{32}");

    private final MasterStore store;
    private final RequestJson json;
    private final ChronorouteProperties props;
    private final Clock clock;

    private io.chronoroute.master.ingest.IngestLock ingestLock = new io.chronoroute.master.ingest.IngestLock();

    /** The ingest's lock (a rejected event update marks its calendar divergent on the consolidated event). */
    @org.springframework.beans.factory.annotation.Autowired(required = false)
    public void setIngestLock(io.chronoroute.master.ingest.IngestLock lock) {
        this.ingestLock = lock;
    }

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
            if (AgentUpdate.REJECTED.equals(next.status())) {
                ingestLock.locked(() -> {
                    markDivergent(cs, u);
                    store.apply(cs);
                    return null;
                });
            } else {
                store.apply(cs);
            }
        }
        Map<String, Object> out = new LinkedHashMap<>();
        out.put("status", "success");
        out.put("message", "Update " + outcome);
        out.put("update", wire(next == null ? u : next));
        return out;
    }

    /**
     * Two-way sync: a calendar that refused an event update (read-only, changed meanwhile, ...) keeps another
     * version than the consolidated event; it is listed among the event's divergent origins until it shows the same
     * version again (its own change arriving, or a later write that succeeds).
     */
    private void markDivergent(ChangeSet cs, AgentUpdate u) {
        Object identity = u.data().get("identity");
        Object source = u.data().get("source");
        if (!"event_update".equals(u.type()) || !(identity instanceof String id) || source == null) {
            return;
        }
        store.findConsolidated(id).filter(c -> !c.deleted()).ifPresent(c -> {
            for (String origin : c.origins()) {
                if (!origin.startsWith(u.agentId() + "/") || c.divergent().contains(origin)) {
                    continue;
                }
                String key = origin.substring(u.agentId().length() + 1);
                boolean sameSource = store.findObservation(u.agentId(), key)
                        .map(o -> io.chronoroute.processors.wire.WireJson.fromJson(o.eventJson()).origin())
                        .map(o -> source.equals(o.source())).orElse(false);
                if (sameSource) {
                    java.util.List<String> divergent = new java.util.ArrayList<>(c.divergent());
                    divergent.add(origin);
                    cs.putConsolidated.add(new io.chronoroute.master.store.ConsolidatedEvent(c.identity(),
                            c.eventJson(), c.contentHash(), c.origins(), c.version(), c.changeSeq(), c.updatedAt(),
                            false, c.lastWriter(), divergent));
                    return;
                }
            }
        });
    }

    /**
     * {@code POST /sync/agents/{id}/receive-updates}: a list of {type, data}, {"updates": [...]}, or the seed's single
     * {type, data} object, for one agent. An {@code event_update} is queued in the form the agent applies
     * ({@link #eventUpdates}): a delete may name the event by UID alone, and a missing {@code source} is found.
     */
    public Map<String, Object> receiveUpdates(@Header("agent_id") String agentId, @Body byte[] body) {
        AgentRecord agent = store.findAgent(agentId)
                .orElseThrow(() -> ApiException.notFound("agent_id", "unknown agent"));
        JsonNode root = json.parse(body);
        String prefix = "";
        boolean single = false;
        if (root.isObject() && root.has("updates")) {
            root = root.get("updates");
            prefix = "updates";
        } else if (root.isObject() && root.has("type")) {
            root = WireJson.mapper().createArrayNode().add(root); // the seed's single update object
            single = true;
        }
        if (!root.isArray() || root.isEmpty()) {
            throw ApiException.badRequest(prefix, "expected a non-empty array of {type, data} (or one {type, data})");
        }
        List<AgentUpdate> list = new ArrayList<>();
        for (int i = 0; i < root.size(); i++) {
            String path = single ? "" : prefix + "[" + i + "]";
            JsonNode u = root.get(i);
            if (!u.isObject()) {
                throw ApiException.badRequest(path, "must be an object {type, data}");
            }
            String type = RequestJson.text(u, "type", false);
            if (type == null || !TYPES.contains(type)) {
                throw ApiException.badRequest(field(path, "type"), "must be one of "
                        + String.join(", ", TYPES.stream().sorted().toList()));
            }
            if ("event_update".equals(type)) {
                for (Map<String, Object> data : eventUpdates(agent, u.get("data"), field(path, "data"))) {
                    list.add(newUpdate(agent.id(), type, data));
                }
                continue;
            }
            Map<String, Object> data = json.map(u, "data");
            list.add(newUpdate(agent.id(), type, data == null ? Map.of() : data));
        }
        List<String> ids = queueAll(list, "receive-updates");
        Map<String, Object> out = new LinkedHashMap<>();
        out.put("status", "success");
        out.put("updates_queued", ids.size());
        out.put("update_ids", ids);
        return out;
    }

    private static String field(String path, String name) {
        return path.isEmpty() ? name : path + "." + name;
    }

    /** The spellings of an event's UID, in the order {@link WireJson#readEvent} takes them. */
    private static final List<String> UID_FIELDS = List.of("uid", "ical_uid", "iCalUID", "id", "provider_id");

    /**
     * Validates one {@code event_update} and returns its data as queued: one per source it goes to.
     * <ul>
     *   <li>a delete needs the UID only: {@code event: {uid}} (or {@code {id}}), or the seed's {@code uid}/{@code id}
     *       at the data level, which becomes {@code event: {uid}}; an id as {@code GET /sync/events} returns it (32
     *       hex digits of a live consolidated event) becomes that event's UID and recurrence id. The agent finds the
     *       event by UID (and recurrence id), so no start or end is needed;</li>
     *   <li>without {@code source} (the seed does not name one), the sources of this agent that hold the UID are
     *       taken, one update each; a delete of a UID the agent does not hold needs a source (404 otherwise); a create
     *       or update goes to the agent's only writable source when it reports exactly one.</li>
     * </ul>
     */
    List<Map<String, Object>> eventUpdates(AgentRecord agent, JsonNode data, String path) {
        if (data == null || !data.isObject()) {
            throw ApiException.badRequest(path, "event_update needs data {action, event}");
        }
        String action = RequestJson.text(data, "action", false);
        if (action == null || !ACTIONS.contains(action)) {
            throw ApiException.badRequest(path + ".action", "must be create, update or delete");
        }
        ObjectNode d = ((ObjectNode) data).deepCopy();
        JsonNode ev = d.get("event");
        if ("delete".equals(action) && (ev == null || ev.isNull())) {
            ObjectNode target = WireJson.mapper().createObjectNode();
            for (String f : List.of("uid", "id", "recurrence_id")) {
                JsonNode v = d.remove(f);
                if (v != null && !v.isNull()) {
                    target.set(f, v);
                }
            }
            if (target.has("uid") && target.has("id")) {
                target.remove("id"); // the seed's id is the event's id; the uid is what the agent looks for
            }
            d.set("event", target);
            ev = target;
        }
        if (ev == null || !ev.isObject()) {
            throw ApiException.badRequest(path + ".event", "required");
        }
        String uid;
        if ("delete".equals(action)) {
            ev = deleteTarget((ObjectNode) ev);
            d.set("event", ev);
            uid = uidOf(ev);
            if (uid == null) {
                throw ApiException.badRequest(path + ".event.uid", "a delete needs the event's uid (or id)");
            }
        } else {
            try {
                uid = WireJson.readEvent(ev, null).uid();
            } catch (WireFormatException e) {
                throw e.withPrefix(path + ".event");
            }
        }
        String source = RequestJson.text(d, "source", false);
        List<String> sources;
        if (source != null) {
            sources = List.of(source);
        } else {
            sources = sourcesHolding(agent.id(), uid);
            if (sources.isEmpty()) {
                List<String> writable = writableSources(agent);
                if (writable.size() == 1) {
                    sources = writable;
                } else if ("delete".equals(action)) {
                    throw ApiException.notFound(path + ".event.uid", "agent '" + agent.id()
                            + "' holds no event with uid '" + uid + "'; name the calendar in " + path + ".source");
                }
            }
        }
        List<Map<String, Object>> out = new ArrayList<>();
        if (sources.isEmpty()) {
            out.add(WireJson.mapper().convertValue(d, LinkedHashMap.class)); // as given; the agent decides
            return out;
        }
        for (String s : sources) {
            ObjectNode copy = d.deepCopy();
            copy.put("source", s);
            out.add(WireJson.mapper().convertValue(copy, LinkedHashMap.class));
        }
        return out;
    }

    /** A delete's event, with an id of {@code GET /sync/events} turned into the event's uid and recurrence id. */
    private ObjectNode deleteTarget(ObjectNode ev) {
        boolean hasUid = UID_FIELDS.stream().filter(f -> !"id".equals(f)).anyMatch(ev::hasNonNull);
        JsonNode id = ev.get("id");
        if (hasUid || id == null || !id.isTextual() || !IDENTITY.matcher(id.asText()).matches()) {
            return ev;
        }
        return store.findConsolidated(id.asText()).filter(c -> !c.deleted()).map(c -> {
            ObjectNode wire = WireJson.writeEvent(WireJson.fromJson(c.eventJson()));
            ObjectNode target = WireJson.mapper().createObjectNode();
            target.set("uid", wire.get("uid"));
            if (wire.hasNonNull("recurrence_id")) {
                target.set("recurrence_id", wire.get("recurrence_id"));
            }
            return target;
        }).orElse(ev);
    }

    private static String uidOf(JsonNode ev) {
        for (String f : UID_FIELDS) {
            JsonNode v = ev.get(f);
            if (v != null && !v.isNull() && !v.asText().isBlank()) {
                return v.asText();
            }
        }
        return null;
    }

    /** Sources of the agent whose events carry this UID (the series and its overrides alike), by name. */
    private List<String> sourcesHolding(String agentId, String uid) {
        Set<String> out = new java.util.TreeSet<>();
        String needle = WireJson.mapper().getNodeFactory().textNode(uid).toString(); // the uid as JSON text
        store.forEachObservation(agentId, o -> {
            if (!o.eventJson().contains(needle)) {
                return;
            }
            try {
                JsonNode n = WireJson.mapper().readTree(o.eventJson());
                if (uid.equals(n.path("uid").asText(null)) && n.hasNonNull("source")) {
                    out.add(n.get("source").asText());
                }
            } catch (java.io.IOException e) {
                // a stored observation is always JSON; skip it if not
            }
        });
        return List.copyOf(out);
    }

    /** The sources the agent reports as accepting event updates ({@code stats.source_list[].writable}). */
    private static List<String> writableSources(AgentRecord agent) {
        List<String> out = new ArrayList<>();
        if (agent.stats().get("source_list") instanceof List<?> list) {
            for (Object o : list) {
                if (o instanceof Map<?, ?> m && Boolean.TRUE.equals(m.get("writable")) && m.get("name") != null) {
                    out.add(m.get("name").toString());
                }
            }
        }
        return out;
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
