package io.chronoroute.master.destination.graph;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.chronoroute.master.destination.ApiReply;
import io.chronoroute.master.destination.DestinationMapping;
import io.chronoroute.master.destination.DestinationSyncService;
import io.chronoroute.master.destination.SecretBox;
import io.chronoroute.master.store.MasterStore;
import io.chronoroute.providers.graph.GraphAuth;
import io.chronoroute.providers.graph.GraphHttpException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.stereotype.Component;

import java.io.IOException;
import java.net.http.HttpClient;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;

/**
 * Signs a user in for a Graph destination with the device code flow (the bean behind
 * {@code POST /sync/config/graph/device-code} and {@code .../device-code/poll}; admin token checked in the route):
 * the first call starts the flow and answers what to show the user; the admin then polls (at the given interval)
 * until the user has signed in, and the refresh token is stored encrypted ({@link GraphDestinationWriterFactory}).
 * <p>Why polling by the caller rather than a background poller: no thread to supervise, nothing lost when the
 * master restarts or another master of the cluster answers the poll, and the caller sees the outcome (pending,
 * success, expired, declined). The pending device code is itself a credential (it can be exchanged for tokens): it
 * is kept encrypted in the store ({@code destination.<name>.graph.device-code}) and deleted once used or expired.
 * Neither it nor a token is ever logged or answered.
 */
@Component
public class GraphDeviceCodeApi {

    private static final Logger LOG = LoggerFactory.getLogger(GraphDeviceCodeApi.class);
    private static final ObjectMapper JSON = new ObjectMapper();

    private final DestinationSyncService sync;
    private final GraphDestinationWriterFactory graph;
    private final MasterStore store;
    private final SecretBox secrets;
    private final Clock clock;
    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(30)).build();

    @Autowired
    public GraphDeviceCodeApi(DestinationSyncService sync, GraphDestinationWriterFactory graph, MasterStore store,
                              SecretBox destinationSecretBox) {
        this(sync, graph, store, destinationSecretBox, Clock.systemUTC());
    }

    public GraphDeviceCodeApi(DestinationSyncService sync, GraphDestinationWriterFactory graph, MasterStore store,
                              SecretBox secrets, Clock clock) {
        this.sync = sync;
        this.graph = graph;
        this.store = store;
        this.secrets = secrets;
        this.clock = clock;
    }

    /** {@code POST /sync/config/graph/device-code {destination}}: starts the flow. */
    public ApiReply start(String body) {
        String name = graphDestination(text(parse(body), "destination"));
        if (name == null) {
            return notFound(text(parse(body), "destination"));
        }
        GraphDestinationSettings s;
        try {
            s = graph.settings(name);
        } catch (RuntimeException e) {
            return ApiReply.error(400, "bad_request", e.getMessage());
        }
        if (GraphDestinationSettings.blank(s.tenant()) || GraphDestinationSettings.blank(s.clientId())) {
            return ApiReply.error(400, "bad_request", "destination " + name + ": graph.tenant and graph.client-id "
                    + "are required");
        }
        try {
            GraphAuth.DeviceCode dc = GraphAuth.startDeviceCode(http, s.authorityUrl(), s.tenant(), s.clientId(),
                    s.timeout());
            ObjectNode pending = JSON.createObjectNode().put("device_code", dc.deviceCode())
                    .put("user_code", dc.userCode()).put("verification_uri", dc.verificationUri())
                    .put("message", dc.message()).put("interval", dc.interval().toSeconds())
                    .put("expires_in", dc.expiresIn().toSeconds())
                    .put("expires_at", clock.instant().plus(dc.expiresIn()).toString());
            String key = deviceCodeKey(name);
            store.putSetting(key, secrets.encrypt(pending.toString(), key));
            LOG.info("destination {}: device code sign-in started", name);
            Map<String, Object> out = new LinkedHashMap<>();
            out.put("destination", name);
            out.put("user_code", dc.userCode());
            out.put("verification_uri", dc.verificationUri());
            out.put("expires_in", dc.expiresIn().toSeconds());
            out.put("interval", dc.interval().toSeconds());
            out.put("message", dc.message());
            return ApiReply.ok(out);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return ApiReply.error(503, "interrupted", "interrupted");
        } catch (IOException | RuntimeException e) {
            return ApiReply.error(502, "device_code_failed", e.getMessage());
        }
    }

    /**
     * {@code POST /sync/config/graph/device-code/poll {destination}}: 200 once the user signed in (token stored),
     * 202 {@code pending} while not yet, 410 {@code expired}, 403 {@code declined}, 409 when no sign-in was started.
     */
    public ApiReply poll(String body) {
        String name = graphDestination(text(parse(body), "destination"));
        if (name == null) {
            return notFound(text(parse(body), "destination"));
        }
        String key = deviceCodeKey(name);
        Optional<JsonNode> pending = store.getSetting(key).map(v -> parse(secrets.decrypt(v, key)));
        if (pending.isEmpty()) {
            return ApiReply.error(409, "no_sign_in", "no device code sign-in is pending for " + name
                    + ": start one with POST /sync/config/graph/device-code");
        }
        JsonNode p = pending.get();
        if (!clock.instant().isBefore(Instant.parse(p.path("expires_at").asText()))) {
            store.deleteSetting(key);
            return ApiReply.error(410, "expired", "the device code expired before the user signed in: start again");
        }
        GraphAuth.DeviceCode dc = new GraphAuth.DeviceCode(p.path("device_code").asText(),
                p.path("user_code").asText(), p.path("verification_uri").asText(), p.path("message").asText(),
                Duration.ofSeconds(p.path("interval").asLong(5)), Duration.ofSeconds(p.path("expires_in").asLong()));
        try {
            GraphDestinationSettings s = graph.settings(name);
            Optional<GraphAuth.Tokens> tokens = GraphAuth.pollDeviceCode(http, s.authorityUrl(), s.tenant(),
                    s.clientId(), dc, s.timeout());
            if (tokens.isEmpty()) {
                Map<String, Object> out = new LinkedHashMap<>();
                out.put("status", "pending");
                out.put("destination", name);
                out.put("interval", dc.interval().toSeconds());
                return new ApiReply(202, out);
            }
            store.deleteSetting(key);
            if (tokens.get().refreshToken() == null) {
                return ApiReply.error(502, "no_refresh_token", "the identity platform returned no refresh token "
                        + "(the app must request offline_access)");
            }
            graph.storeRefreshToken(name, store, tokens.get().refreshToken());
            sync.invalidate(name);
            LOG.info("destination {}: Microsoft 365 sign-in stored (refresh token encrypted)", name);
            Map<String, Object> out = new LinkedHashMap<>();
            out.put("status", "success");
            out.put("destination", name);
            out.put("refresh_token_stored", true);
            return ApiReply.ok(out);
        } catch (GraphHttpException e) {
            return switch (e.code() == null ? "" : e.code()) {
                case "expired_token", "code_expired" -> {
                    store.deleteSetting(key);
                    yield ApiReply.error(410, "expired", "the device code expired before the user signed in: "
                            + "start again");
                }
                case "authorization_declined", "access_denied" -> {
                    store.deleteSetting(key);
                    yield ApiReply.error(403, "declined", "the user declined the sign-in");
                }
                case "bad_verification_code" -> {
                    store.deleteSetting(key);
                    yield ApiReply.error(400, "bad_verification_code", "the identity platform does not know this "
                            + "device code: start again");
                }
                default -> ApiReply.error(502, "device_code_failed", e.getMessage());
            };
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return ApiReply.error(503, "interrupted", "interrupted");
        } catch (IOException | RuntimeException e) {
            return ApiReply.error(502, "device_code_failed", e.getMessage());
        }
    }

    static String deviceCodeKey(String name) {
        return DestinationMapping.settingPrefix(name) + "graph.device-code";
    }

    /** The named graph destination; with no name, the only one. Null: none. */
    private String graphDestination(String requested) {
        if (requested != null) {
            return sync.destinationNames().contains(requested)
                    && GraphDestinationWriterFactory.TYPE.equals(sync.config(requested).type()) ? requested : null;
        }
        var all = sync.destinationNames().stream()
                .filter(n -> GraphDestinationWriterFactory.TYPE.equals(sync.config(n).type())).toList();
        return all.size() == 1 ? all.get(0) : null;
    }

    private static ApiReply notFound(String requested) {
        return ApiReply.error(404, "not_found", "no graph destination " + (requested == null ? "" : requested));
    }

    private static JsonNode parse(String body) {
        try {
            return body == null || body.isBlank() ? JSON.createObjectNode() : JSON.readTree(body);
        } catch (IOException e) {
            return JSON.createObjectNode();
        }
    }

    private static String text(JsonNode n, String field) {
        JsonNode v = n.get(field);
        return v == null || v.isNull() || v.asText().isBlank() ? null : v.asText();
    }
}
