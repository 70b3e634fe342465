package io.chronoroute.master.security;

import io.chronoroute.master.config.MasterSecrets;
import io.chronoroute.master.console.ConsoleSessions;
import io.chronoroute.master.rest.ApiException;
import io.chronoroute.master.store.AgentRecord;
import io.chronoroute.master.store.MasterStore;
import org.apache.camel.Exchange;
import org.apache.camel.Message;
import org.springframework.stereotype.Component;

import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.util.Optional;

/**
 * Access checks used as the first step of every protected route (header plumbing only; decisions here).
 * <ul>
 *   <li><b>agent</b> ({@code /sync/agents/{id}/heartbeat|pending-updates|updates/...}): the agent id comes from the
 *       URL path only. An unknown id answers 404 <em>before</em> any credential check: an unknown agent cannot
 *       hold a credential, and seed agents re-register on 404 (ids are not secrets). Then
 *       {@code Authorization: Bearer <credential>}: missing/invalid → 401; a credential of another agent (or the
 *       admin token: admins do not impersonate agents) → 403. A legacy agent may call without a credential while
 *       {@code chronoroute.legacy-agents.enabled=true}.</li>
 *   <li><b>admin</b>: the admin token; missing/invalid → 401, an agent credential → 403.</li>
 *   <li><b>adminOrSelf</b> (read-only status/history of one agent): the admin token or that agent's own
 *       credential; another agent's credential → 403.</li>
 *   <li><b>feed</b>: {@code ?token=<feed token>} → else 401.</li>
 *   <li>The web console's logged-in session counts as the admin on admin and adminOrSelf checks, through the
 *       one-time pass of {@link ConsoleSessions} (a request with a bearer token is judged by its token).</li>
 * </ul>
 * Credentials are compared as SHA-256 digests in constant time; the Authorization header and the feed token are
 * removed from the message once read so no later step can log or forward them.
 */
@Component
public class AccessGuard {

    private final MasterStore store;
    private final MasterSecrets secrets;
    private final LegacyMode legacy;
    private final ConsoleSessions console;

    public AccessGuard(MasterStore store, MasterSecrets secrets, LegacyMode legacy, ConsoleSessions console) {
        this.store = store;
        this.secrets = secrets;
        this.legacy = legacy;
        this.console = console;
    }

    /** Removes the console pass header; true when it is the pass of a logged-in console request in progress. */
    private boolean consoleSession(Exchange exchange) {
        return console.redeem(exchange.getMessage().removeHeader(ConsoleSessions.HEADER));
    }

    /** Reads and removes the bearer token; keeps it in an exchange property for registration. */
    public static String takeBearer(Exchange exchange) {
        Message m = exchange.getMessage();
        Object h = m.removeHeader(SecurityHeaders.AUTHORIZATION);
        String token = null;
        if (h != null) {
            String v = h.toString().trim();
            if (v.regionMatches(true, 0, "Bearer ", 0, 7)) {
                token = v.substring(7).trim();
            }
        }
        if (token == null) {
            token = exchange.getProperty(SecurityHeaders.BEARER, String.class);
        } else {
            exchange.setProperty(SecurityHeaders.BEARER, token);
        }
        return token == null || token.isEmpty() ? null : token;
    }

    /** The {id} of {@code /sync/agents/{id}/...}, taken from the request path (never from query or body). */
    public static String pathAgentId(Exchange exchange) {
        Message m = exchange.getMessage();
        String path = m.getHeader(Exchange.HTTP_PATH, String.class);
        String uri = m.getHeader(Exchange.HTTP_URI, String.class);
        String id = segmentAfter(uri, "/sync/agents/");
        if (id == null) {
            id = segmentAfter(path, "/sync/agents/");
        }
        if (id == null) {
            Object h = m.getHeader("agent_id");
            id = h instanceof String s ? s : null;
        }
        if (id == null || id.isBlank()) {
            throw ApiException.badRequest("agent_id", "missing in the path");
        }
        AgentRegistration.validateId(id, "agent_id"); // a NUL, backslash, ".." or 10 kB id is refused, not looked up
        return id;
    }

    private static String segmentAfter(String s, String prefix) {
        if (s == null) {
            return null;
        }
        int q = s.indexOf('?');
        if (q >= 0) {
            s = s.substring(0, q);
        }
        int i = s.indexOf(prefix);
        if (i < 0) {
            return null;
        }
        String rest = s.substring(i + prefix.length());
        int slash = rest.indexOf('/');
        String seg = slash < 0 ? rest : rest.substring(0, slash);
        return seg.isEmpty() ? null : URLDecoder.decode(seg, StandardCharsets.UTF_8);
    }

    /** Agent-facing calls. Sets {@link SecurityHeaders#AGENT_ID} and {@link SecurityHeaders#AGENT}. */
    public void agent(Exchange exchange) {
        String id = pathAgentId(exchange);
        String bearer = takeBearer(exchange);
        AgentRecord agent = store.findAgent(id).orElseThrow(() -> ApiException.notFound("agent_id",
                "unknown agent; register first"));
        if (bearer == null) {
            if (agent.legacy() && legacy.enabled()) {
                exchange.setProperty(SecurityHeaders.AGENT_ID, id);
                exchange.setProperty(SecurityHeaders.PRINCIPAL_KIND, "legacy");
                exchange.setProperty(SecurityHeaders.AGENT, agent);
                return;
            }
            throw ApiException.unauthorized(agent.legacy()
                    ? "legacy agents are disabled; register with the enrollment secret to get a credential"
                    : "Authorization: Bearer <credential> required");
        }
        if (agent.credentialHash() != null && Tokens.matches(bearer, agent.credentialHash())) {
            exchange.setProperty(SecurityHeaders.AGENT_ID, id);
            exchange.setProperty(SecurityHeaders.PRINCIPAL_KIND, "agent");
            exchange.setProperty(SecurityHeaders.AGENT, agent);
            return;
        }
        if (secrets.isAdminToken(bearer)) {
            throw ApiException.forbidden("the admin token cannot act as an agent");
        }
        if (ownerOf(bearer).isPresent()) {
            throw ApiException.forbidden("this credential belongs to another agent");
        }
        throw ApiException.unauthorized("invalid credential");
    }

    /** Admin endpoints. */
    public void admin(Exchange exchange) {
        boolean session = consoleSession(exchange);
        String bearer = takeBearer(exchange);
        if (bearer == null && session) {
            exchange.setProperty(SecurityHeaders.PRINCIPAL_KIND, "admin");
            return;
        }
        if (bearer == null) {
            throw ApiException.unauthorized("Authorization: Bearer <admin token> required");
        }
        if (secrets.isAdminToken(bearer)) {
            exchange.setProperty(SecurityHeaders.PRINCIPAL_KIND, "admin");
            return;
        }
        if (ownerOf(bearer).isPresent()) {
            throw ApiException.forbidden("agent credentials do not open admin endpoints");
        }
        throw ApiException.unauthorized("invalid admin token");
    }

    /** Read-only views of one agent: the admin, or the agent itself. 404 for an unknown id (after auth). */
    public void adminOrSelf(Exchange exchange) {
        String id = pathAgentId(exchange);
        boolean session = consoleSession(exchange);
        String bearer = takeBearer(exchange);
        if (bearer == null && !session) {
            throw ApiException.unauthorized("Authorization: Bearer <admin token or credential> required");
        }
        if (bearer == null || secrets.isAdminToken(bearer)) {
            exchange.setProperty(SecurityHeaders.PRINCIPAL_KIND, "admin");
        } else {
            Optional<String> owner = ownerOf(bearer);
            if (owner.isEmpty()) {
                throw ApiException.unauthorized("invalid token");
            }
            if (!owner.get().equals(id)) {
                throw ApiException.forbidden("this credential belongs to another agent");
            }
            exchange.setProperty(SecurityHeaders.PRINCIPAL_KIND, "agent");
            exchange.setProperty(SecurityHeaders.AGENT_ID, id);
        }
        if (store.findAgent(id).isEmpty()) {
            throw ApiException.notFound("agent_id", "unknown agent");
        }
    }

    /** The calendar feed. */
    public void feed(Exchange exchange) {
        Object t = exchange.getMessage().removeHeader(SecurityHeaders.FEED_TOKEN);
        exchange.getMessage().removeHeader(SecurityHeaders.AUTHORIZATION);
        if (t == null || t.toString().isEmpty()) {
            throw ApiException.unauthorized("?token=<feed token> required");
        }
        if (!secrets.isFeedToken(t.toString())) {
            throw ApiException.unauthorized("invalid feed token");
        }
    }

    /** The agent whose credential this is (linear over agents; used only on the failure path). */
    Optional<String> ownerOf(String bearer) {
        String h = Tokens.sha256Hex(bearer);
        return store.listAgents().stream()
                .filter(a -> a.credentialHash() != null && Tokens.sameHash(h, a.credentialHash()))
                .map(AgentRecord::id)
                .findFirst();
    }
}
