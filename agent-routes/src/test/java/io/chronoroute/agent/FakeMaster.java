package io.chronoroute.agent;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import io.chronoroute.processors.model.CalendarEvent;
import io.chronoroute.processors.sync.ContentHash;
import io.chronoroute.processors.sync.SetDigest;
import io.chronoroute.processors.sync.SyncKey;
import io.chronoroute.processors.wire.WireJson;

import java.io.IOException;
import java.io.InputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;

/**
 * An in-test master speaking protocol 2 (architecture.md) for one or more agents: register with enrollment secret →
 * credential, bearer auth, delta heartbeats with batch-id idempotency, digest comparison → need_inventory,
 * inventory → resend, pending updates and their confirmations. Modes simulate an outage (503) and a lost answer
 * (the batch is applied, the answer is a 503).
 */
public final class FakeMaster implements AutoCloseable {

    public enum Mode { UP, DOWN, LOSE_NEXT_ANSWER }

    public record Heartbeat(String agentId, String body, JsonNode json, int status, boolean replay) {
        public String batchId() {
            return json.hasNonNull("batch_id") ? json.get("batch_id").asText() : null;
        }
    }

    public record Stored(String hash, JsonNode event) {
    }

    private static final ObjectMapper JSON = WireJson.mapper();

    private final HttpServer server;
    private final String enrollmentSecret;
    private volatile Mode mode = Mode.UP;
    private final Map<String, String> credentials = new HashMap<>();
    private boolean loseNextRegistrationAnswer;
    private final Map<String, Stored> events = new LinkedHashMap<>();
    private final Set<String> appliedBatches = new HashSet<>();
    private final Map<String, Integer> batchApplyCount = new HashMap<>();
    private final List<Heartbeat> heartbeats = new ArrayList<>();
    private final List<JsonNode> registrations = new ArrayList<>();
    private final Map<String, JsonNode> pending = new LinkedHashMap<>();
    private final List<Map.Entry<String, String>> processed = new ArrayList<>();
    private final Set<String> skewedUids = new HashSet<>();
    private final Set<String> refusedUids = new HashSet<>();
    private final Map<String, JsonNode> problems = new HashMap<>();

    public FakeMaster(String enrollmentSecret) throws IOException {
        this.enrollmentSecret = enrollmentSecret;
        server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
        server.createContext("/", this::handle);
        server.start();
    }

    public URI url() {
        return URI.create("http://127.0.0.1:" + server.getAddress().getPort());
    }

    public void mode(Mode m) {
        mode = m;
    }

    @Override
    public void close() {
        server.stop(0);
    }

    // ---------------------------------------------------------------- observations

    public synchronized List<Heartbeat> heartbeats() {
        return List.copyOf(heartbeats);
    }

    public synchronized List<JsonNode> registrations() {
        return List.copyOf(registrations);
    }

    public synchronized Map<String, Stored> events() {
        return Map.copyOf(events);
    }

    public synchronized List<String> titles() {
        return events.values().stream().map(s -> s.event().path("title").asText()).sorted().toList();
    }

    public synchronized int applyCount(String batchId) {
        return batchApplyCount.getOrDefault(batchId, 0);
    }

    public synchronized List<Map.Entry<String, String>> processed() {
        return List.copyOf(processed);
    }

    public synchronized boolean isPending(String id) {
        return pending.containsKey(id);
    }

    public synchronized void queueUpdate(String id, String type, JsonNode data) {
        ObjectNode u = JSON.createObjectNode();
        u.put("id", id);
        u.put("type", type);
        u.set("data", data);
        u.put("created_at", "2025-06-01T00:00:00Z");
        u.put("attempts", 0);
        pending.put(id, u);
    }

    public synchronized String digest(String agentId) {
        SetDigest d = SetDigest.empty();
        events.forEach((k, v) -> d.add(k, v.hash()));
        return d.toString();
    }

    // ---------------------------------------------------------------- HTTP

    private void handle(HttpExchange ex) throws IOException {
        try (ex) {
            String path = ex.getRequestURI().getPath();
            byte[] in;
            try (InputStream is = ex.getRequestBody()) {
                in = is.readAllBytes();
            }
            String body = new String(in, StandardCharsets.UTF_8);
            String[] p = path.split("/");
            if (mode == Mode.DOWN) {
                synchronized (this) {
                    if (path.endsWith("/heartbeat")) {
                        heartbeats.add(new Heartbeat(p[3], body, JSON.readTree(body), 503, false));
                    }
                }
                send(ex, 503, "{\"error\":\"unavailable\"}");
                return;
            }
            if ("POST".equals(ex.getRequestMethod()) && "/sync/agents/register".equals(path)) {
                register(ex, body);
                return;
            }
            if (p.length < 5 || !"sync".equals(p[1]) || !"agents".equals(p[2])) {
                send(ex, 404, "{\"error\":\"not_found\"}");
                return;
            }
            Integer denied = denial(ex, p[3]);
            if (denied != null) {
                send(ex, denied, "{\"error\":\"denied\"}");
            } else if (p.length == 5 && "heartbeat".equals(p[4])) {
                heartbeat(ex, p[3], body);
            } else if (p.length == 5 && "pending-updates".equals(p[4])) {
                synchronized (this) {
                    ObjectNode a = JSON.createObjectNode();
                    a.putArray("updates").addAll(pending.values());
                    send(ex, 200, a.toString());
                }
            } else if (p.length == 7 && "processed".equals(p[6])) {
                synchronized (this) {
                    processed.add(Map.entry(p[5], body));
                    JsonNode b = body.isBlank() ? JSON.createObjectNode() : JSON.readTree(body);
                    if (b.path("success").asBoolean(true) || b.path("permanent").asBoolean(false)) {
                        pending.remove(p[5]);
                    }
                }
                send(ex, 200, "{\"status\":\"success\"}");
            } else {
                send(ex, 404, "{\"error\":\"not_found\"}");
            }
        }
    }

    private synchronized void register(HttpExchange ex, String body) throws IOException {
        JsonNode b = JSON.readTree(body);
        registrations.add(b);
        if (!enrollmentSecret.equals(b.path("enrollment_secret").asText(null))) {
            send(ex, 401, "{\"error\":\"unauthorized\"}");
            return;
        }
        String id = b.path("id").asText();
        String bearer = bearer(ex);
        String proposed = b.path("proposed_credential").asText(null);
        String issued = null;
        if (credentials.containsKey(id)) {
            String known = credentials.get(id);
            if (!known.equals(bearer) && !known.equals(proposed)) {
                send(ex, 409, "{\"error\":\"conflict\"}");
                return;
            }
        } else if (proposed != null) {
            credentials.put(id, proposed); // as the master: the agent's proposal becomes its credential
        } else {
            issued = "cred-" + UUID.randomUUID();
            credentials.put(id, issued);
        }
        if (loseNextRegistrationAnswer) {
            loseNextRegistrationAnswer = false; // committed, but the agent never hears of it
            ex.getResponseBody().close();
            return;
        }
        ObjectNode a = JSON.createObjectNode();
        a.put("status", "success");
        a.put("id", id);
        a.put("agent_id", id);
        if (issued == null) {
            a.putNull("credential");
        } else {
            a.put("credential", issued);
        }
        a.put("legacy", false);
        a.put("message", "registered");
        send(ex, 201, a.toString());
    }

    /** The next registration is committed but its answer is lost (the connection closes without one). */
    public synchronized void loseNextRegistrationAnswer() {
        loseNextRegistrationAnswer = true;
    }

    /** The credential the master holds for an agent (null when unknown). */
    public synchronized String credentialOf(String agentId) {
        return credentials.get(agentId);
    }

    /** 404 for an unknown agent, 401 for a missing or wrong credential, null when allowed. */
    private synchronized Integer denial(HttpExchange ex, String agentId) {
        if (!credentials.containsKey(agentId)) {
            return 404;
        }
        return credentials.get(agentId).equals(bearer(ex)) ? null : 401;
    }

    /** Loses everything it knew about the agents (a master restored from an empty store). */
    public synchronized void wipe() {
        credentials.clear();
        events.clear();
        appliedBatches.clear();
    }

    /**
     * From now on, hashes the events with this UID differently from the agent (a master that normalises a value
     * differently, e.g. another version): its digest can never agree with the agent's.
     */
    public synchronized void skewHashOf(String uid) {
        skewedUids.add(uid);
    }

    /** From now on, refuses the events with this UID individually (listed in a 200 answer's {@code rejected}). */
    public synchronized void refuseUid(String uid) {
        refusedUids.add(uid);
    }

    /** The last {@code problems} field the agent sent, or null. */
    public synchronized JsonNode problems(String agentId) {
        return problems.get(agentId);
    }

    /** Forgets an agent's registration: the next heartbeat gets 404. */
    public synchronized void forget(String agentId) {
        credentials.remove(agentId);
    }

    private static String bearer(HttpExchange ex) {
        String h = ex.getRequestHeaders().getFirst("Authorization");
        return h != null && h.startsWith("Bearer ") ? h.substring(7) : null;
    }

    private synchronized void heartbeat(HttpExchange ex, String agentId, String body) throws IOException {
        JsonNode hb = JSON.readTree(body);
        String batchId = hb.hasNonNull("batch_id") ? hb.get("batch_id").asText() : null;
        boolean replay = batchId != null && appliedBatches.contains(batchId);
        ArrayNode resend = JSON.createArrayNode();
        ArrayNode rejected = JSON.createArrayNode();
        for (int i = 0; i < hb.path("changed").size(); i++) {
            JsonNode n = hb.path("changed").get(i);
            if (refusedUids.contains(n.path("uid").asText())) {
                rejected.addObject().put("field", "changed[" + i + "].title").put("uid", n.path("uid").asText())
                        .putNull("recurrence_id").put("reason", "refused by the test");
            }
        }
        if (hb.hasNonNull("problems")) {
            problems.put(agentId, hb.get("problems"));
        }
        if (!replay) {
            for (JsonNode n : hb.path("changed")) {
                if (refusedUids.contains(n.path("uid").asText())) {
                    continue;
                }
                CalendarEvent e = WireJson.readEvent(n, null);
                String hash = ContentHash.of(e) + (skewedUids.contains(e.uid()) ? "-skewed" : "");
                events.put(SyncKey.of(agentId, e).value(), new Stored(hash, n));
            }
            for (JsonNode d : hb.path("deleted")) {
                ObjectNode probe = JSON.createObjectNode();
                probe.set("uid", d.get("uid"));
                probe.set("source", d.get("source"));
                probe.putObject("start").put("date", "2000-01-01");
                if (d.hasNonNull("recurrence_id")) {
                    probe.set("recurrence_id", d.get("recurrence_id"));
                }
                events.remove(SyncKey.of(agentId, WireJson.readEvent(probe, null)).value());
            }
            if (hb.has("inventory")) {
                Map<String, String> inv = new HashMap<>();
                hb.get("inventory").forEach(s -> {
                    String[] kv = s.asText().split(":");
                    inv.put(kv[0], kv[1]);
                });
                events.keySet().removeIf(k -> !inv.containsKey(k));
                inv.forEach((k, h) -> {
                    Stored s = events.get(k);
                    if (s == null || !s.hash().equals(h)) {
                        resend.add(k);
                    }
                });
            }
            if (batchId != null) {
                appliedBatches.add(batchId);
                batchApplyCount.merge(batchId, 1, Integer::sum);
            }
        }
        if (mode == Mode.LOSE_NEXT_ANSWER && batchId != null) {
            mode = Mode.UP;
            heartbeats.add(new Heartbeat(agentId, body, hb, 503, replay));
            send(ex, 503, "{\"error\":\"lost\"}");
            return;
        }
        heartbeats.add(new Heartbeat(agentId, body, hb, 200, replay));
        String digest = digest(agentId);
        ObjectNode a = JSON.createObjectNode();
        a.put("status", "success");
        a.put("message", "ok");
        a.putArray("pending_updates").addAll(pending.values());
        if (batchId != null) {
            a.put("ack", batchId);
        }
        a.put("digest", digest);
        a.put("need_inventory", resend.isEmpty() && !digest.equals(hb.path("digest").asText()));
        a.set("resend", resend);
        if (!rejected.isEmpty()) {
            a.set("rejected", rejected);
        }
        if (problems.containsKey(agentId)) {
            a.put("problems_version", problems.get(agentId).path("version").asText());
        }
        send(ex, 200, a.toString());
    }

    private static void send(HttpExchange ex, int status, String json) throws IOException {
        byte[] b = json.getBytes(StandardCharsets.UTF_8);
        ex.getResponseHeaders().set("Content-Type", "application/json");
        ex.sendResponseHeaders(status, b.length);
        ex.getResponseBody().write(b);
    }
}
