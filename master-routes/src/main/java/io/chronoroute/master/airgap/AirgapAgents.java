package io.chronoroute.master.airgap;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.chronoroute.master.destination.SecretBox;
import io.chronoroute.master.rest.ApiException;
import io.chronoroute.master.rest.RequestJson;
import io.chronoroute.master.security.AgentRegistration;
import io.chronoroute.master.security.Tokens;
import io.chronoroute.master.store.Activity;
import io.chronoroute.master.store.AgentRecord;
import io.chronoroute.master.store.ChangeSet;
import io.chronoroute.master.store.MasterStore;
import org.apache.camel.Body;
import org.apache.camel.Exchange;
import org.apache.camel.Header;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.stereotype.Component;

import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * Air-gap agents: provisioning ({@code POST /sync/agents/{id}/airgap}, admin) and the secret lookup of the bundle
 * reader.
 *
 * <p>The bundle secret is a random 256-bit token (base64url, 43 characters), returned once. It is at the same time
 * the agent's bearer credential (the master stores its SHA-256 in the agent record, like any credential), so
 * ingesting a bundle goes through exactly the same access check as an HTTP heartbeat. Because an HMAC needs the
 * secret itself, the master also keeps it <em>encrypted</em> with the master's {@link SecretBox} (AES-256-GCM,
 * setting key as associated data) under {@code airgap.secret.<id>}. Neither the secret nor the ciphertext is ever
 * logged. The codec's key bytes are the UTF-8 bytes of the token.
 */
@Component("airgapAgents")
public class AirgapAgents {

    static final String SECRET_KEY = "airgap.secret.";
    static final String INFO_KEY = "airgap.agent.";
    private static final Logger LOG = LoggerFactory.getLogger(AirgapAgents.class);
    private static final ObjectMapper JSON = new ObjectMapper();

    private final MasterStore store;
    private final SecretBox box;
    private final RequestJson json;
    private final AirgapSequences sequences;
    private final Clock clock;

    public AirgapAgents(MasterStore store, SecretBox box, RequestJson json, AirgapSequences sequences, Clock clock) {
        this.store = store;
        this.box = box;
        this.json = json;
        this.sequences = sequences;
        this.clock = clock;
    }

    /**
     * Creates the agent, or rotates the secret of an existing one (the old secret stops working at once, also as
     * HTTP credential). Body (optional): {@code {"name","environment","email","time_zone","reset_sequence"}}.
     * {@code email} is where answer mails go (else: the sender of the heartbeat mail); {@code reset_sequence:true}
     * makes the next bundle the new start of the agent's sequence (an agent whose state was lost or restored).
     */
    public Map<String, Object> provision(@Header("agent_id") String id, @Body byte[] body, Exchange exchange) {
        AgentRegistration.validateId(id, "agent_id");
        if (AgentRegistration.IMPORT_AGENT.equals(id)) {
            throw ApiException.conflict("agent_id", "'" + AgentRegistration.IMPORT_AGENT + "' is reserved by the master");
        }
        JsonNode req = json.object(body, true);
        String name = RequestJson.text(req, "name", false);
        String environment = RequestJson.text(req, "environment", false);
        String email = RequestJson.text(req, "email", false);
        String zone = RequestJson.text(req, "time_zone", false);
        Boolean reset = RequestJson.bool(req, "reset_sequence");
        if (email != null && !email.isBlank() && !email.matches("[^@\\s]+@[^@\\s]+")) {
            throw ApiException.badRequest("email", "not an e-mail address");
        }
        if (zone != null) {
            try {
                java.time.ZoneId.of(zone);
            } catch (java.time.DateTimeException e) {
                throw ApiException.badRequest("time_zone", "unknown zone");
            }
        }
        Instant now = clock.instant();
        AgentRecord existing = store.findAgent(id).orElse(null);
        String secret = Tokens.newToken();
        Map<String, Object> config = new LinkedHashMap<>(existing != null ? existing.config() : Map.of());
        config.put("transport", "airgap");
        if (zone != null) {
            config.put("time_zone", zone);
        }
        List<String> caps = new ArrayList<>(existing != null && !existing.capabilities().isEmpty() ? existing.capabilities()
                : List.of("calendar_sync", "protocol_2", "event_updates"));
        if (!caps.contains("airgap")) {
            caps.add("airgap");
        }
        AgentRecord rec = new AgentRecord(id,
                name != null ? name : existing != null ? existing.name() : id,
                environment != null ? environment : existing != null ? existing.environment() : "air-gapped",
                existing != null ? existing.agentType() : "chronoroute",
                Tokens.sha256Hex(secret), false,
                existing != null ? existing.registeredAt() : now,
                existing != null ? existing.lastSeen() : now,
                existing != null ? existing.lastHeartbeat() : null,
                existing != null ? existing.status() : "provisioned",
                existing != null ? existing.eventCount() : 0,
                existing != null ? existing.intervalMinutes() : null,
                caps, config, existing != null ? existing.stats() : null);
        ObjectNode info = infoOf(id).orElseGet(JSON::createObjectNode);
        if (email != null) {
            if (email.isBlank()) {
                info.remove("email");
            } else {
                info.put("email", email);
            }
        }
        info.put("provisioned_at", now.toString());
        // secret first: a crash between the two leaves an unusable secret, never a usable unknown one
        store.putSetting(SECRET_KEY + id, box.encrypt(secret, SECRET_KEY + id));
        store.putSetting(INFO_KEY + id, info.toString());
        ChangeSet cs = new ChangeSet();
        cs.putAgent = rec;
        cs.activities.add(new Activity(now, id, "airgap-provision", existing == null ? "air-gap agent created"
                : "air-gap secret rotated"));
        store.apply(cs);
        if (Boolean.TRUE.equals(reset)) {
            sequences.reset(id);
        }
        LOG.info("Air-gap agent '{}' {} (secret returned to the admin once, stored encrypted){}", id,
                existing == null ? "provisioned" : "rotated", Boolean.TRUE.equals(reset) ? "; sequence reset" : "");
        exchange.getMessage().setHeader(Exchange.HTTP_RESPONSE_CODE, existing == null ? 201 : 200);
        Map<String, Object> out = new LinkedHashMap<>();
        out.put("status", "success");
        out.put("agent_id", id);
        out.put("bundle_secret", secret);
        out.put("email", info.path("email").asText(null));
        out.put("rotated", existing != null);
        out.put("message", "Give bundle_secret to the agent as chronoroute.agent.bundle-secret (environment "
                + "CHRONOROUTE_AGENT_BUNDLE_SECRET); it is shown only once and also works as the agent's HTTP credential");
        return out;
    }

    /** The codec's key for the agent; empty for an unknown or non-air-gap agent (UNKNOWN_AGENT). */
    public Optional<byte[]> secretFor(String agentId) {
        if (agentId == null || store.findAgent(agentId).isEmpty()) {
            return Optional.empty();
        }
        return store.getSetting(SECRET_KEY + agentId).map(s -> box.decrypt(s, SECRET_KEY + agentId))
                .map(s -> s.getBytes(StandardCharsets.UTF_8));
    }

    public Optional<String> emailOf(String agentId) {
        return infoOf(agentId).map(n -> n.path("email").asText(null)).filter(s -> s != null && !s.isBlank());
    }

    public boolean isAirgapAgent(String agentId) {
        return store.getSetting(SECRET_KEY + agentId).isPresent();
    }

    private Optional<ObjectNode> infoOf(String agentId) {
        return store.getSetting(INFO_KEY + agentId).map(s -> {
            try {
                return (ObjectNode) JSON.readTree(s);
            } catch (Exception e) {
                return JSON.createObjectNode();
            }
        });
    }
}
