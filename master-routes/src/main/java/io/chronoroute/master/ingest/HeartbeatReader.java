package io.chronoroute.master.ingest;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.chronoroute.master.config.ChronorouteProperties;
import io.chronoroute.master.rest.ApiException;
import io.chronoroute.master.rest.RequestJson;
import io.chronoroute.master.security.SecurityHeaders;
import io.chronoroute.master.store.AgentRecord;
import io.chronoroute.processors.model.CalendarEvent;
import io.chronoroute.processors.model.Origin;
import io.chronoroute.processors.sync.ContentHash;
import io.chronoroute.processors.sync.SyncKey;
import io.chronoroute.processors.wire.WireFormatException;
import io.chronoroute.processors.wire.WireJson;
import org.apache.camel.Body;
import org.apache.camel.ExchangeProperty;
import org.apache.camel.Header;
import org.springframework.stereotype.Component;

import java.time.DateTimeException;
import java.time.ZoneId;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Pattern;
import java.util.stream.IntStream;

/**
 * Reads a heartbeat body into a {@link HeartbeatRequest}: size limit on the raw bytes first (413), then the event
 * count (413), then every event parsed and validated (400 naming e.g. {@code changed[3].start}). Nothing is
 * applied here; any error rejects the whole request.
 */
@Component
public class HeartbeatReader {

    private static final Pattern DIGEST = Pattern.compile("\\d{1,12}:[0-9a-fA-F]{64}");
    private static final int MAX_BATCH_ID = 256;
    private static final int PARALLEL_THRESHOLD = 256;

    private final RequestJson json;
    private final ChronorouteProperties props;

    public HeartbeatReader(RequestJson json, ChronorouteProperties props) {
        this.json = json;
        this.props = props;
    }

    /** Rejects a body whose declared length is over the limit before it is read. */
    public void checkDeclaredLength(@Header("Content-Length") String contentLength) {
        if (contentLength == null || contentLength.isBlank()) {
            return;
        }
        try {
            long n = Long.parseLong(contentLength.trim());
            if (n > json.maxBytes()) {
                throw ApiException.tooLarge("", "request body is " + n + " bytes; the limit is " + json.maxBytes());
            }
        } catch (NumberFormatException e) {
            throw ApiException.badRequest("Content-Length", "not a number");
        }
    }

    public HeartbeatRequest read(@Body byte[] body, @ExchangeProperty(SecurityHeaders.AGENT) AgentRecord agent) {
        JsonNode root = json.object(body, true);
        JsonNode events = root.get("events");
        JsonNode changed = root.get("changed");
        JsonNode deleted = root.get("deleted");
        boolean hasEvents = events != null && !events.isNull();
        boolean hasChanged = changed != null && !changed.isNull();
        if (hasEvents && hasChanged) {
            throw ApiException.badRequest("events", "send either events (full set) or changed/deleted (delta), not both");
        }
        checkArray(events, "events");
        checkArray(changed, "changed");
        checkArray(deleted, "deleted");
        int count = size(events) + size(changed) + size(deleted);
        if (count > props.maxEventsPerHeartbeat()) {
            throw ApiException.tooLarge(hasEvents ? "events" : "changed", count + " events in one heartbeat; the limit is "
                    + props.maxEventsPerHeartbeat());
        }
        String batchId = RequestJson.text(root, "batch_id", false);
        if (batchId != null && (batchId.isBlank() || batchId.length() > MAX_BATCH_ID)) {
            throw ApiException.badRequest("batch_id", "must be 1-" + MAX_BATCH_ID + " characters");
        }
        JsonNode protocol = root.get("protocol");
        if (protocol != null && !protocol.isNull() && !protocol.isIntegralNumber()) {
            throw ApiException.badRequest("protocol", "must be an integer");
        }
        String status = RequestJson.text(root, "status", false);
        Map<String, Object> stats = json.map(root, "stats");
        ZoneId zone = sourceZone(root, agent);
        String digest = RequestJson.text(root, "digest", false);
        if (digest != null && !DIGEST.matcher(digest).matches()) {
            throw ApiException.badRequest("digest", "must be \"<count>:<64 hex digits>\"");
        }
        Map<String, String> inventory = inventory(root);

        Map<String, Incoming.Upsert> upserts = new LinkedHashMap<>();
        if (hasEvents) {
            readEvents(events, "events", agent.id(), zone, upserts);
        }
        if (hasChanged) {
            readEvents(changed, "changed", agent.id(), zone, upserts);
        }
        Set<String> deletes = new LinkedHashSet<>();
        if (deleted != null && !deleted.isNull()) {
            for (int i = 0; i < deleted.size(); i++) {
                deletes.add(deleteKey(deleted.get(i), "deleted[" + i + "]", agent.id(), zone));
            }
        }
        return new HeartbeatRequest(agent, batchId, status, stats, hasEvents, List.copyOf(upserts.values()), deletes,
                digest, inventory, true);
    }

    /** The JSON array of {@code POST /sync/import/{source_id}}: upserts of the synthetic agent. */
    public List<Incoming.Upsert> readImport(JsonNode array, String agentId, String sourceId) {
        if (!array.isArray()) {
            throw ApiException.badRequest("", "expected a JSON array of events");
        }
        if (array.size() > props.maxEventsPerHeartbeat()) {
            throw ApiException.tooLarge("", array.size() + " events; the limit is " + props.maxEventsPerHeartbeat());
        }
        Map<String, Incoming.Upsert> upserts = new LinkedHashMap<>();
        for (int i = 0; i < array.size(); i++) {
            JsonNode n = array.get(i);
            if (n instanceof ObjectNode o && (o.get("source") == null || o.get("source").isNull())) {
                o = o.deepCopy();
                o.put("source", sourceId);
                n = o;
            }
            Incoming.Upsert u = upsert(n, "[" + i + "]", agentId, null);
            upserts.remove(u.syncKey());
            upserts.put(u.syncKey(), u);
        }
        return List.copyOf(upserts.values());
    }

    /**
     * Parses, validates, normalizes and hashes every event. Events are independent, so large batches use all
     * cores; the error reported is always the one of the lowest index, as a sequential read would report it.
     */
    private void readEvents(JsonNode arr, String name, String agentId, ZoneId zone, Map<String, Incoming.Upsert> out) {
        int n = arr.size();
        Object[] results = new Object[n];
        IntStream range = IntStream.range(0, n);
        (n >= PARALLEL_THRESHOLD ? range.parallel() : range).forEach(i -> {
            try {
                results[i] = upsert(arr.get(i), name + "[" + i + "]", agentId, zone);
            } catch (RuntimeException e) {
                results[i] = e;
            }
        });
        for (Object r : results) {
            if (r instanceof RuntimeException e) {
                throw e;
            }
            Incoming.Upsert u = (Incoming.Upsert) r;
            out.remove(u.syncKey());
            out.put(u.syncKey(), u);
        }
    }

    static Incoming.Upsert upsert(JsonNode node, String path, String agentId, ZoneId zone) {
        if (node == null || !node.isObject()) {
            throw ApiException.badRequest(path, "must be a JSON object");
        }
        CalendarEvent e;
        try {
            e = WireJson.readEvent(node, zone);
        } catch (WireFormatException ex) {
            throw ex.withPrefix(path);
        }
        Origin o = e.origin();
        e = e.withOrigin(o == null ? new Origin(agentId, null, null, null, null, null) : o.withAgent(agentId));
        String key = SyncKey.of(agentId, e).value();
        return new Incoming.Upsert(key, SyncKey.identityOf(e), ContentHash.of(e), e);
    }

    private static String deleteKey(JsonNode n, String path, String agentId, ZoneId zone) {
        if (n == null || !n.isObject()) {
            throw ApiException.badRequest(path, "must be a JSON object {source, uid, recurrence_id}");
        }
        JsonNode sk = n.get("sync_key");
        if (sk != null && !sk.isNull()) {
            if (!sk.isTextual() || !sk.asText().matches("[0-9a-f]{32}")) {
                throw ApiException.badRequest(path + ".sync_key", "must be 32 lowercase hex digits");
            }
            return sk.asText();
        }
        String uid = RequestJson.text(n, "uid", false);
        if (uid == null || uid.isBlank()) {
            throw ApiException.badRequest(path + ".uid", "missing or blank");
        }
        String source = RequestJson.text(n, "source", false);
        String rid = null;
        JsonNode r = n.get("recurrence_id");
        if (r != null && !r.isNull()) {
            // Read the time with the event reader so it is canonicalized exactly like an event's RECURRENCE-ID.
            ObjectNode probe = WireJson.mapper().createObjectNode();
            probe.put("uid", uid);
            probe.set("recurrence_id", r);
            probe.set("start", r);
            try {
                rid = SyncKey.ridText(WireJson.readEvent(probe, zone).recurrenceId());
            } catch (WireFormatException ex) {
                throw ApiException.badRequest(path + ".recurrence_id", ex.reason());
            }
        }
        return new SyncKey(agentId, source == null ? "" : source, uid, rid).value();
    }

    private static ZoneId sourceZone(JsonNode root, AgentRecord agent) {
        String z = RequestJson.text(root, "source_time_zone", false);
        String field = "source_time_zone";
        if (z == null) {
            Object cz = agent.config().get("time_zone");
            z = cz instanceof String s && !s.isBlank() ? s : null;
            field = "config.time_zone";
        }
        if (z == null) {
            return null;
        }
        try {
            return ZoneId.of(z);
        } catch (DateTimeException e) {
            // Windows names and other spellings: let the event reader resolve them as an event zone.
            ObjectNode probe = WireJson.mapper().createObjectNode();
            probe.put("uid", "zone-probe");
            probe.put("start", "2000-01-01T00:00:00");
            probe.put("time_zone", z);
            try {
                CalendarEvent ev = WireJson.readEvent(probe, null);
                ZoneId id = ev.start().zoneId();
                if (id != null) {
                    return id;
                }
            } catch (WireFormatException ignored) {
                // reported below
            }
            throw ApiException.badRequest(field, "unknown time zone '" + z + "'");
        }
    }

    private static Map<String, String> inventory(JsonNode root) {
        JsonNode inv = root.get("inventory");
        if (inv == null || inv.isNull()) {
            return null;
        }
        if (!inv.isArray()) {
            throw ApiException.badRequest("inventory", "must be an array of \"<syncKey>:<contentHash>\"");
        }
        Map<String, String> out = new HashMap<>(inv.size() * 2);
        for (int i = 0; i < inv.size(); i++) {
            JsonNode e = inv.get(i);
            String s = e.isTextual() ? e.asText() : null;
            int c = s == null ? -1 : s.indexOf(':');
            if (c <= 0 || c == s.length() - 1) {
                throw ApiException.badRequest("inventory[" + i + "]", "must be \"<syncKey>:<contentHash>\"");
            }
            out.put(s.substring(0, c), s.substring(c + 1));
        }
        return out;
    }

    private static void checkArray(JsonNode n, String field) {
        if (n != null && !n.isNull() && !n.isArray()) {
            throw ApiException.badRequest(field, "must be an array");
        }
    }

    private static int size(JsonNode n) {
        return n == null || n.isNull() ? 0 : n.size();
    }
}
