package io.chronoroute.master.ingest;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.chronoroute.master.config.ChronorouteProperties;
import io.chronoroute.master.rest.ApiException;
import io.chronoroute.master.rest.Limits;
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

import java.io.IOException;
import java.io.UncheckedIOException;
import java.time.DateTimeException;
import java.time.ZoneId;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Pattern;
import java.util.stream.IntStream;

/**
 * Reads a heartbeat body into a {@link HeartbeatRequest}: size limit on the raw bytes first (413), then the event
 * count (413), then every event parsed and validated. Nothing is applied here. A body that is not a heartbeat
 * (malformed JSON, wrong types of top-level fields) is refused whole (400); an event that cannot be read is left out
 * and named in {@link HeartbeatRequest#rejected()} ({@code changed[3].rrule} and why), the rest is applied.
 */
@Component
public class HeartbeatReader {

    private static final Pattern DIGEST = Pattern.compile("\\d{1,12}:[0-9a-fA-F]{64}");
    private static final int MAX_BATCH_ID = 256;
    private static final int PARALLEL_THRESHOLD = 256;
    private static final int CHUNK = 1024;
    private static final Set<String> ARRAYS = Set.of("events", "changed", "deleted");

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

    /**
     * Reads in two streaming passes so a 10,000-event body is never held as one JSON tree: the first pass reads the
     * small top-level fields and counts the arrays (so the limits and the source zone are known before any event
     * is parsed, whatever the field order); the second reads the events {@value #CHUNK} at a time, each chunk
     * parsed and hashed in parallel and then dropped.
     */
    public HeartbeatRequest read(@Body byte[] body, @ExchangeProperty(SecurityHeaders.AGENT) AgentRecord agent) {
        if (body != null && body.length > json.maxBytes()) {
            throw ApiException.tooLarge("", "request body is " + body.length + " bytes; the limit is " + json.maxBytes());
        }
        ObjectNode root = json.mapper().createObjectNode();
        Map<String, Integer> counts = new HashMap<>();
        scanTopLevel(body, root, counts);
        boolean hasEvents = counts.containsKey("events");
        boolean hasChanged = counts.containsKey("changed");
        if (hasEvents && hasChanged) {
            throw ApiException.badRequest("events", "send either events (full set) or changed/deleted (delta), not both");
        }
        int count = counts.values().stream().mapToInt(Integer::intValue).sum();
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
        String status = RequestJson.text(root, "status", false, Limits.WORD);
        JsonNode environment = root.get("environment"); // not stored; bounded all the same
        if (environment != null && environment.isTextual() && environment.asText().length() > Limits.NAME) {
            throw ApiException.badRequest("environment", "longer than " + Limits.NAME + " characters");
        }
        RequestJson.size(root, "stats", Limits.OBJECT_JSON);
        Map<String, Object> stats = json.map(root, "stats");
        ZoneId zone = sourceZone(root, agent);
        String digest = RequestJson.text(root, "digest", false);
        if (digest != null && !DIGEST.matcher(digest).matches()) {
            throw ApiException.badRequest("digest", "must be \"<count>:<64 hex digits>\"");
        }
        Map<String, String> inventory = inventory(root);

        ReportedProblems problems = problems(root);

        Map<String, Incoming.Upsert> upserts = new LinkedHashMap<>();
        Set<String> deletes = new LinkedHashSet<>();
        List<EventRejection> rejected = new ArrayList<>();
        if (count > 0) {
            readArrays(body, agent.id(), zone, upserts, deletes, rejected);
        }
        return new HeartbeatRequest(agent, batchId, status, stats, hasEvents, List.copyOf(upserts.values()), deletes,
                digest, inventory, true, rejected, problems);
    }

    /**
     * Pass 1: every top-level field except the event arrays into {@code root}; the event arrays ({@link #ARRAYS})
     * only counted (absent or null: not in {@code counts}). Malformed JSON, a non-object body, a duplicate
     * top-level field or an event array that is not an array → 400.
     */
    private void scanTopLevel(byte[] body, ObjectNode root, Map<String, Integer> counts) {
        if (body == null || body.length == 0) {
            return;
        }
        try (JsonParser p = json.mapper().getFactory().createParser(body)) {
            JsonToken t = p.nextToken();
            if (t == null) {
                return;
            }
            if (t != JsonToken.START_OBJECT) {
                throw ApiException.badRequest("", "expected a JSON object");
            }
            Set<String> seen = new HashSet<>();
            while (p.nextToken() == JsonToken.FIELD_NAME) {
                String field = p.currentName();
                if (!seen.add(field)) {
                    throw ApiException.badRequest(field, "appears twice");
                }
                JsonToken v = p.nextToken();
                if (ARRAYS.contains(field)) {
                    if (v == JsonToken.VALUE_NULL) {
                        continue;
                    }
                    if (v != JsonToken.START_ARRAY) {
                        throw ApiException.badRequest(field, "must be an array");
                    }
                    int n = 0;
                    while (p.nextToken() != JsonToken.END_ARRAY) {
                        p.skipChildren();
                        n++;
                    }
                    counts.put(field, n);
                } else {
                    root.set(field, json.mapper().readTree(p));
                }
            }
            if (p.nextToken() != null) {
                throw ApiException.badRequest("", "unexpected content after the JSON object");
            }
        } catch (JsonProcessingException e) {
            throw malformed(e);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Pass 2: the event arrays, element by element; pass 1 has validated the structure. */
    private void readArrays(byte[] body, String agentId, ZoneId zone, Map<String, Incoming.Upsert> upserts,
                            Set<String> deletes, List<EventRejection> rejected) {
        try (JsonParser p = json.mapper().getFactory().createParser(body)) {
            p.nextToken();
            while (p.nextToken() == JsonToken.FIELD_NAME) {
                String field = p.currentName();
                JsonToken v = p.nextToken();
                if (!ARRAYS.contains(field) || v != JsonToken.START_ARRAY) {
                    p.skipChildren();
                    continue;
                }
                List<JsonNode> chunk = new ArrayList<>(CHUNK);
                int first = 0;
                while (p.nextToken() != JsonToken.END_ARRAY) {
                    JsonNode element = json.mapper().readTree(p);
                    if (field.equals("deleted")) {
                        String path = "deleted[" + first + "]";
                        try {
                            deletes.add(deleteKey(element, path, agentId, zone));
                        } catch (RuntimeException e) {
                            rejected.add(rejection(element, path, e, agentId, zone));
                        }
                        first++;
                        continue;
                    }
                    chunk.add(element);
                    if (chunk.size() == CHUNK) {
                        readEvents(chunk, field, first, agentId, zone, upserts, rejected);
                        first += chunk.size();
                        chunk.clear();
                    }
                }
                if (!chunk.isEmpty()) {
                    readEvents(chunk, field, first, agentId, zone, upserts, rejected);
                }
            }
        } catch (JsonProcessingException e) {
            throw malformed(e);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static ApiException malformed(JsonProcessingException e) {
        return ApiException.badRequest("", "malformed JSON" + (e.getLocation() == null ? ""
                : " at line " + e.getLocation().getLineNr() + ", column " + e.getLocation().getColumnNr()));
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
     * Parses, validates, normalizes and hashes one chunk of events ({@code first} is the array index of its first
     * element). Events are independent, so large chunks use all cores. An event that cannot be read is left out and
     * listed in {@code rejected} with its field and reason, in index order; the others are kept.
     */
    private void readEvents(List<JsonNode> chunk, String name, int first, String agentId, ZoneId zone,
                            Map<String, Incoming.Upsert> out, List<EventRejection> rejected) {
        int n = chunk.size();
        Object[] results = new Object[n];
        IntStream range = IntStream.range(0, n);
        (n >= PARALLEL_THRESHOLD ? range.parallel() : range).forEach(i -> {
            String path = name + "[" + (first + i) + "]";
            try {
                results[i] = upsert(chunk.get(i), path, agentId, zone);
            } catch (RuntimeException e) {
                results[i] = rejection(chunk.get(i), path, e, agentId, zone);
            }
        });
        for (Object r : results) {
            if (r instanceof EventRejection bad) {
                rejected.add(bad);
                continue;
            }
            Incoming.Upsert u = (Incoming.Upsert) r;
            out.remove(u.syncKey());
            out.put(u.syncKey(), u);
        }
    }

    /**
     * The rejection of one element: its field and reason (a 400 of the event alone), and what can be told of it
     * (uid, recurrence id, source as sent, and its sync key when that can be computed). Anything else than a
     * classified bad-input error (a 413, a bug) is not the event's fault and is rethrown.
     */
    static EventRejection rejection(JsonNode element, String path, RuntimeException e, String agentId, ZoneId zone) {
        String field;
        String reason;
        if (e instanceof WireFormatException w) {
            field = w.field().startsWith(path) ? w.field() : w.withPrefix(path).field();
            reason = w.reason();
        } else if (e instanceof ApiException a && a.status() == 400) {
            field = a.field();
            reason = a.reason();
        } else {
            throw e;
        }
        String uid = null;
        String rid = null;
        String source = null;
        String key = null;
        if (element != null && element.isObject()) {
            for (String k : List.of("uid", "ical_uid", "iCalUID", "id", "provider_id")) {
                JsonNode v = element.get(k);
                if (v != null && (v.isTextual() || v.isNumber())) {
                    uid = clip(v.asText());
                    break;
                }
            }
            rid = clip(timeText(element.has("recurrence_id") ? element.get("recurrence_id") : element.get("recurrenceId")));
            JsonNode s = element.get("source");
            source = s != null && s.isTextual() ? clip(s.asText()) : null;
            try {
                key = deleteKey(element, path, agentId, zone);
            } catch (RuntimeException ignored) {
                key = null; // not even its identity can be read
            }
        }
        return new EventRejection(field, uid, rid, source, clip(reason), key);
    }

    private static final int MAX_ECHO = 200;

    private static String clip(String s) {
        return s == null || s.length() <= MAX_ECHO ? s : s.substring(0, MAX_ECHO - 3) + "...";
    }

    private static String timeText(JsonNode v) {
        if (v == null || v.isNull()) {
            return null;
        }
        if (v.isObject()) {
            JsonNode inner = v.has("date_time") ? v.get("date_time") : v.has("dateTime") ? v.get("dateTime") : v.get("date");
            return inner == null ? v.toString() : inner.asText();
        }
        return v.asText();
    }

    /**
     * The optional {@code problems} field (architecture.md "Heartbeat"): the agent's problem list, sent when it
     * changed. Wrong types → 400; items beyond {@value ReportedProblems#MAX_ITEMS} → 413; texts are clipped.
     */
    private static ReportedProblems problems(JsonNode root) {
        JsonNode p = root.get("problems");
        if (p == null || p.isNull()) {
            return null;
        }
        if (!p.isObject()) {
            throw ApiException.badRequest("problems", "must be an object {version, total, counts, items}");
        }
        String version = RequestJson.text(p, "version", true);
        if (version.isBlank() || version.length() > 128) {
            throw ApiException.badRequest("problems.version", "must be 1-128 characters");
        }
        JsonNode items = p.get("items");
        if (items != null && !items.isNull() && !items.isArray()) {
            throw ApiException.badRequest("problems.items", "must be an array");
        }
        int n = items == null || items.isNull() ? 0 : items.size();
        if (n > ReportedProblems.MAX_ITEMS) {
            throw ApiException.tooLarge("problems.items", n + " items; the limit is " + ReportedProblems.MAX_ITEMS);
        }
        List<Map<String, Object>> list = new ArrayList<>(n);
        for (int i = 0; i < n; i++) {
            JsonNode it = items.get(i);
            if (!it.isObject()) {
                throw ApiException.badRequest("problems.items[" + i + "]", "must be an object");
            }
            Map<String, Object> m = new LinkedHashMap<>();
            for (String f : List.of("kind", "source", "file", "uid", "recurrence_id", "property", "message")) {
                JsonNode v = it.get(f);
                if (v != null && !v.isNull()) {
                    if (!v.isTextual()) {
                        throw ApiException.badRequest("problems.items[" + i + "]." + f, "must be a text");
                    }
                    m.put(f, f.equals("message") ? clipLong(v.asText()) : clip(v.asText()));
                }
            }
            JsonNode line = it.get("line");
            if (line != null && !line.isNull()) {
                if (!line.canConvertToInt()) {
                    throw ApiException.badRequest("problems.items[" + i + "].line", "must be an integer");
                }
                m.put("line", line.intValue());
            }
            list.add(m);
        }
        Map<String, Long> counts = new LinkedHashMap<>();
        JsonNode c = p.get("counts");
        if (c != null && !c.isNull()) {
            if (!c.isObject() || c.size() > 16) {
                throw ApiException.badRequest("problems.counts", "must be an object kind → number");
            }
            for (Map.Entry<String, JsonNode> e : c.properties()) {
                if (!e.getValue().canConvertToLong() || e.getValue().longValue() < 0) {
                    throw ApiException.badRequest("problems.counts." + clip(e.getKey()), "must be a number");
                }
                counts.put(clip(e.getKey()), e.getValue().longValue());
            }
        }
        JsonNode t = p.get("total");
        if (t != null && !t.isNull() && (!t.canConvertToLong() || t.longValue() < 0)) {
            throw ApiException.badRequest("problems.total", "must be a number");
        }
        long total = t == null || t.isNull() ? n : t.longValue();
        return new ReportedProblems(version, total, counts, list);
    }

    private static String clipLong(String s) {
        return s.length() <= 2000 ? s : s.substring(0, 1997) + "...";
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
}
