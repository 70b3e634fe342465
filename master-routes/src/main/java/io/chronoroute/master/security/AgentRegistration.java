package io.chronoroute.master.security;

import com.fasterxml.jackson.databind.JsonNode;
import io.chronoroute.master.config.MasterSecrets;
import io.chronoroute.master.rest.ApiException;
import io.chronoroute.master.rest.Limits;
import io.chronoroute.master.rest.RequestJson;
import io.chronoroute.master.store.Activity;
import io.chronoroute.master.store.AgentRecord;
import io.chronoroute.master.store.ChangeSet;
import io.chronoroute.master.store.MasterStore;
import org.apache.camel.Exchange;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.stereotype.Component;

import java.time.Clock;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.regex.Pattern;

/**
 * {@code POST /sync/agents/register} (architecture.md "Register"). New agent + valid enrollment secret → 201 with a
 * fresh credential (only its SHA-256 is stored). Existing agent → needs its current credential (then
 * {@code credential} is null: keep yours), else 409. No secret + legacy mode on → legacy agent (no credential,
 * logged loudly). Otherwise 401.
 *
 * <p><b>Safe to repeat</b>: an agent may send {@code proposed_credential}, a random token it generated and stored
 * durably <em>before</em> sending. A new agent (or a legacy one upgrading) is then registered with that credential
 * (its SHA-256 stored, {@code credential} null in the answer: the agent already has it). When the answer is lost
 * (the master committed, the agent never heard), the agent sends the same request again: the stored digest matches
 * its proposal, which proves it is the same registration, and it gets the same answer. A different proposal (a
 * different agent claiming the id) is still refused with 409.
 */
@Component
public class AgentRegistration {

    /** Ids the master uses itself (the synthetic agent of {@code /sync/import}). */
    public static final String IMPORT_AGENT = "import";
    private static final Logger LOG = LoggerFactory.getLogger(AgentRegistration.class);
    private static final Pattern ID = Pattern.compile("[A-Za-z0-9._@:-]{1,128}");
    private static final Pattern PROPOSAL = Pattern.compile("[A-Za-z0-9_-]{43," + Limits.CREDENTIAL + "}");
    /** The answer's message when the agent's proposed credential is (or already was) its credential. */
    static final String PROPOSAL_ACCEPTED = "Agent registered with the credential it proposed; keep it";

    private final MasterStore store;
    private final MasterSecrets secrets;
    private final LegacyMode legacy;
    private final RequestJson json;
    private final Clock clock;

    public AgentRegistration(MasterStore store, MasterSecrets secrets, LegacyMode legacy, RequestJson json, Clock clock) {
        this.store = store;
        this.secrets = secrets;
        this.legacy = legacy;
        this.json = json;
        this.clock = clock;
    }

    public static void validateId(String id, String field) {
        if (id == null || !ID.matcher(id).matches()) {
            throw ApiException.badRequest(field, "agent id must be 1-128 characters of A-Z a-z 0-9 . _ @ : -");
        }
    }

    public Map<String, Object> register(byte[] body, Exchange exchange) {
        JsonNode req = json.object(body, false);
        String bearer = AccessGuard.takeBearer(exchange);
        Object headerSecret = exchange.getMessage().removeHeader(SecurityHeaders.ENROLLMENT);
        String secret = RequestJson.text(req, "enrollment_secret", false);
        if (secret == null && headerSecret != null && !headerSecret.toString().isEmpty()) {
            secret = headerSecret.toString();
        }
        String id = RequestJson.text(req, "id", false);
        if (id == null || id.isBlank()) {
            id = RequestJson.text(req, "agent_id", false);
        }
        if (id == null || id.isBlank()) {
            id = UUID.randomUUID().toString();
        }
        validateId(id, "id");
        if (IMPORT_AGENT.equals(id)) {
            throw ApiException.conflict("id", "'" + IMPORT_AGENT + "' is reserved by the master");
        }
        String proposed = RequestJson.text(req, "proposed_credential", false, Limits.CREDENTIAL);
        if (proposed != null && !PROPOSAL.matcher(proposed).matches()) {
            throw ApiException.badRequest("proposed_credential", "must be 43-" + Limits.CREDENTIAL
                    + " characters of A-Z a-z 0-9 - _ (a random token of at least 256 bits, base64url)");
        }
        String name = RequestJson.text(req, "name", false, Limits.NAME);
        String environment = RequestJson.text(req, "environment", false, Limits.NAME);
        String agentType = RequestJson.text(req, "agent_type", false, Limits.WORD);
        Integer interval = null;
        JsonNode iv = req.get("interval_minutes");
        if (iv != null && !iv.isNull()) {
            if (!iv.canConvertToInt() || !iv.isIntegralNumber() || iv.intValue() < 0) {
                throw ApiException.badRequest("interval_minutes", "must be a non-negative integer");
            }
            interval = iv.intValue();
        }
        List<String> capabilities = RequestJson.strings(req, "capabilities");
        if (capabilities != null) {
            if (capabilities.size() > Limits.CAPABILITIES) {
                throw ApiException.badRequest("capabilities", "more than " + Limits.CAPABILITIES + " entries");
            }
            for (int i = 0; i < capabilities.size(); i++) {
                if (capabilities.get(i).length() > Limits.WORD) {
                    throw ApiException.badRequest("capabilities[" + i + "]", "longer than " + Limits.WORD + " characters");
                }
            }
        }
        RequestJson.size(req, "config", Limits.OBJECT_JSON);
        Map<String, Object> config = json.map(req, "config");

        Instant now = clock.instant();
        AgentRecord existing = store.findAgent(id).orElse(null);
        String credential = null;
        String credentialHash;
        boolean isLegacy;
        String message;
        if (existing != null && existing.credentialHash() != null) {
            boolean holder = bearer != null && Tokens.matches(bearer, existing.credentialHash());
            boolean sameRegistration = proposed != null && Tokens.matches(proposed, existing.credentialHash());
            if (!holder && !sameRegistration) {
                throw ApiException.conflict("id", "agent already registered; re-registering needs its current credential");
            }
            credentialHash = existing.credentialHash();
            isLegacy = false;
            message = holder ? "Agent re-registered; keep your credential" : PROPOSAL_ACCEPTED;
        } else if (secret != null) {
            if (!secrets.isEnrollmentSecret(secret)) {
                throw ApiException.unauthorized("invalid enrollment secret");
            }
            isLegacy = false;
            if (proposed != null) {
                credentialHash = Tokens.sha256Hex(proposed);
                message = PROPOSAL_ACCEPTED;
            } else {
                credential = Tokens.newToken();
                credentialHash = Tokens.sha256Hex(credential);
                message = existing == null ? "Agent registered; store the credential, it is shown only once"
                        : "Legacy agent upgraded; store the credential, it is shown only once";
            }
        } else if (legacy.enabled() && (existing == null || existing.legacy())) {
            credentialHash = null;
            isLegacy = true;
            message = "Agent registered in legacy mode (no credential)";
            LOG.warn("LEGACY registration of agent '{}' without credentials (chronoroute.legacy-agents.enabled=true)", id);
        } else {
            throw ApiException.unauthorized("enrollment secret required (body enrollment_secret or header "
                    + SecurityHeaders.ENROLLMENT + ")");
        }
        AgentRecord rec = new AgentRecord(id,
                name != null ? name : existing != null ? existing.name() : id,
                environment != null ? environment : existing != null ? existing.environment() : null,
                agentType != null ? agentType : existing != null ? existing.agentType() : null,
                credentialHash, isLegacy,
                existing != null ? existing.registeredAt() : now,
                now,
                existing != null ? existing.lastHeartbeat() : null,
                "active",
                existing != null ? existing.eventCount() : 0,
                interval != null ? interval : existing != null ? existing.intervalMinutes() : null,
                capabilities != null ? capabilities : existing != null ? existing.capabilities() : null,
                config != null ? config : existing != null ? existing.config() : null,
                existing != null ? existing.stats() : null);
        ChangeSet cs = new ChangeSet();
        cs.putAgent = rec;
        cs.activities.add(new Activity(now, id, "register",
                (existing == null ? "registered" : "re-registered") + (isLegacy ? " (legacy, no credential)" : "")));
        store.apply(cs);
        exchange.getMessage().setHeader(Exchange.HTTP_RESPONSE_CODE, 201);
        Map<String, Object> out = new LinkedHashMap<>();
        out.put("status", "success");
        out.put("id", id);
        out.put("agent_id", id);
        out.put("credential", credential);
        out.put("legacy", isLegacy);
        out.put("message", message);
        return out;
    }
}
