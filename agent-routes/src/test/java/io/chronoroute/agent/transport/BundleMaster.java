package io.chronoroute.agent.transport;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.chronoroute.processors.bundle.Bundle;
import io.chronoroute.processors.bundle.BundleCodec;

import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;

/**
 * The master's side of the bundle protocol, played by the test (the real master is tested in master-routes'
 * AirgapMasterTest): verifies heartbeat bundles, keeps events by uid, acknowledges batches, hands out pending updates
 * until they are confirmed through a bundle's {@code processed}, and answers with the envelope the master writes.
 */
final class BundleMaster {

    static final ObjectMapper JSON = new ObjectMapper();

    final String agent;
    final byte[] secret;
    final Map<String, String> titles = new TreeMap<>();
    final Map<String, ObjectNode> pending = new LinkedHashMap<>();
    final Set<String> confirmed = new TreeSet<>();
    final List<JsonNode> heartbeats = new ArrayList<>();
    final List<Long> seqs = new ArrayList<>();

    BundleMaster(String agent, byte[] secret) {
        this.agent = agent;
        this.secret = secret;
    }

    void queueUpdate(String id, String type, JsonNode data) {
        ObjectNode u = JSON.createObjectNode();
        u.put("id", id);
        u.put("type", type);
        u.set("data", data);
        u.put("created_at", Instant.now().toString());
        u.put("attempts", 0);
        pending.put(id, u);
    }

    /** Reads one heartbeat bundle, applies it and returns the answer bundle. */
    synchronized byte[] handle(byte[] data) throws Exception {
        Bundle b = BundleCodec.read(data, id -> agent.equals(id) ? Optional.of(secret) : Optional.empty());
        if (b.kind() != Bundle.Kind.HEARTBEAT) {
            throw new IllegalStateException("not a heartbeat");
        }
        JsonNode hb = JSON.readTree(b.payload());
        heartbeats.add(hb);
        seqs.add(b.seq());
        ArrayNode processedResults = JSON.createArrayNode();
        for (JsonNode p : hb.path("processed")) {
            String id = p.path("update_id").asText();
            confirmed.add(id);
            pending.remove(id);
            processedResults.addObject().put("update_id", id).put("status", 200);
        }
        for (JsonNode e : hb.path("changed")) {
            titles.put(e.path("uid").asText(), e.path("title").asText());
        }
        for (JsonNode d : hb.path("deleted")) {
            titles.remove(d.path("uid").asText());
        }
        ObjectNode body = JSON.createObjectNode();
        body.put("status", "success");
        body.put("message", "Heartbeat received");
        ArrayNode pu = body.putArray("pending_updates");
        pending.values().forEach(pu::add);
        body.put("ack", hb.hasNonNull("batch_id") ? hb.get("batch_id").asText() : null);
        body.putObject("applied").put("upserted", hb.path("changed").size());
        body.put("digest", hb.path("digest").asText());
        body.put("need_inventory", false);
        body.putArray("resend");
        ObjectNode env = JSON.createObjectNode();
        env.put("status", 200);
        env.set("body", body);
        env.set("processed", processedResults);
        return BundleCodec.write(new Bundle(agent, b.seq(), Instant.now(), Bundle.Kind.ANSWER,
                Bundle.Encryption.A256GCM, env.toString().getBytes(StandardCharsets.UTF_8)), secret);
    }
}
