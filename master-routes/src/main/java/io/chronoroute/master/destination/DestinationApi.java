package io.chronoroute.master.destination;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.PropertyNamingStrategies;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.datatype.jsr310.JavaTimeModule;
import io.chronoroute.master.cluster.ClusterInfo;
import io.chronoroute.master.cluster.ClusterStatus;
import io.chronoroute.master.destination.google.GoogleAccount;
import io.chronoroute.master.destination.google.GoogleDestinationWriterFactory;
import io.chronoroute.master.store.MasterStore;
import io.chronoroute.providers.google.GoogleOAuth;
import org.apache.camel.Exchange;
import org.apache.camel.Message;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.stereotype.Component;

import java.security.SecureRandom;
import java.time.Clock;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The bean behind the destination endpoints ({@link DestinationRoutes}); admin authentication happens in the route
 * before. Answers are {@link ApiReply}; {@link #reply(Exchange)} writes them (JSON, snake_case). Unknown destination
 * → 404; OAuth/provider failures → 502 with the reason, never a token.
 */
@Component
public class DestinationApi {

    private static final Logger LOG = LoggerFactory.getLogger(DestinationApi.class);
    private static final ObjectMapper JSON = new ObjectMapper().registerModule(new JavaTimeModule())
            .setPropertyNamingStrategy(PropertyNamingStrategies.SNAKE_CASE)
            .disable(SerializationFeature.WRITE_DATES_AS_TIMESTAMPS);
    private static final SecureRandom RANDOM = new SecureRandom();

    private final DestinationSyncService sync;
    private final GoogleDestinationWriterFactory google;
    private final MasterStore store;
    private final ClusterInfo cluster;
    private final Clock clock;

    public DestinationApi(DestinationSyncService sync, GoogleDestinationWriterFactory google, MasterStore store,
                          ClusterInfo cluster) {
        this.sync = sync;
        this.cluster = cluster;
        this.google = google;
        this.store = store;
        this.clock = Clock.systemUTC();
    }

    public ApiReply statuses() {
        return ApiReply.ok(Map.of("destinations", sync.statuses()));
    }

    public ApiReply run(String name) {
        if (!sync.destinationNames().contains(name)) {
            return unknown(name);
        }
        return notLeaderOr(sync.runOnce(name));
    }

    /** Several masters: a run asked of a follower is not done there; 409 says which master leads. */
    private ApiReply notLeaderOr(SyncResult r) {
        if (r.outcome() != SyncResult.Outcome.NOT_LEADER) {
            return ApiReply.ok(r);
        }
        ClusterStatus c = cluster.status();
        return ApiReply.error(409, "not_leader", "destination runs happen on the leader; this master is "
                + c.masterId() + ", the leader is " + (c.leaderId() == null ? "being elected" : c.leaderId())
                + ": ask again (GET /sync/cluster shows the leader)");
    }

    public ApiReply confirmDeletions(String name) {
        if (!sync.destinationNames().contains(name)) {
            return unknown(name);
        }
        try {
            // on a follower the confirmation is recorded (outcome NOT_LEADER): the leader deletes on its next run
            return ApiReply.ok(sync.confirmDeletions(name));
        } catch (IllegalStateException none) {
            return ApiReply.error(409, "conflict", none.getMessage());
        }
    }

    /** {@code GET /sync/config/google/auth-url?destination=&redirect_uri=}: the consent URL and its state. */
    public ApiReply authUrl(String destination, String redirectUri) {
        String name = googleDestination(destination);
        if (name == null) {
            return ApiReply.error(404, "not_found", "no google destination " + (destination == null ? "" : destination));
        }
        byte[] s = new byte[16];
        RANDOM.nextBytes(s);
        String state = Base64.getUrlEncoder().withoutPadding().encodeToString(s);
        store.putSetting(DestinationMapping.settingPrefix(name) + "google.oauth-state", state);
        try {
            GoogleOAuth oauth = google.oauth(name, sync.config(name), store, clock);
            return ApiReply.ok(Map.of("destination", name, "url", oauth.authUrl(redirectUri, state), "state", state));
        } catch (RuntimeException e) {
            return ApiReply.error(400, "bad_request", e.getMessage());
        }
    }

    /** {@code POST /sync/config/google/exchange-code {destination, code, redirect_uri, state}}. */
    public ApiReply exchangeCode(String body) {
        JsonNode n = parse(body);
        String name = googleDestination(text(n, "destination"));
        String code = text(n, "code");
        if (name == null || code == null) {
            return ApiReply.error(400, "bad_request", "destination (a google destination) and code are required");
        }
        String state = text(n, "state");
        String expected = store.getSetting(DestinationMapping.settingPrefix(name) + "google.oauth-state").orElse(null);
        if (state != null && !state.equals(expected)) {
            return ApiReply.error(400, "bad_request", "state does not match the last auth-url");
        }
        try {
            GoogleOAuth.Tokens t = google.oauth(name, sync.config(name), store, clock)
                    .exchangeCode(code, text(n, "redirect_uri"));
            if (t.refreshToken() == null) {
                return ApiReply.error(502, "no_refresh_token",
                        "Google returned no refresh token; revoke access and consent again (prompt=consent)");
            }
            google.storeRefreshToken(name, store, t.refreshToken());
            store.deleteSetting(DestinationMapping.settingPrefix(name) + "google.oauth-state");
            sync.invalidate(name);
            LOG.info("destination {}: Google authorization stored (refresh token encrypted)", name);
            return ApiReply.ok(Map.of("status", "success", "destination", name, "refresh_token_stored", true));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return ApiReply.error(503, "interrupted", "interrupted");
        } catch (Exception e) {
            return ApiReply.error(502, "oauth_failed", e.getMessage());
        }
    }

    /** {@code GET|POST /sync/config/google/calendars?destination=}: the account's calendars. */
    public ApiReply calendars(String destination) {
        String name = googleDestination(destination);
        if (name == null) {
            return ApiReply.error(404, "not_found", "no google destination " + (destination == null ? "" : destination));
        }
        try (GoogleAccount account = google.setupAccount(name, sync.config(name), store, clock)) {
            return ApiReply.ok(Map.of("destination", name, "calendars", account.calendars()));
        } catch (Exception e) {
            return ApiReply.error(502, "google_failed", e.getMessage());
        }
    }

    /** {@code POST /sync/config/destination/google {destination, calendar_id}}: choose the target calendar. */
    public ApiReply configureGoogle(String body) {
        JsonNode n = parse(body);
        String name = googleDestination(text(n, "destination"));
        String calendarId = text(n, "calendar_id");
        if (name == null || calendarId == null) {
            return ApiReply.error(400, "bad_request", "destination (a google destination) and calendar_id are required");
        }
        String previous = GoogleDestinationWriterFactory.calendarId(name, sync.config(name), store);
        store.putSetting(GoogleDestinationWriterFactory.calendarIdKey(name), calendarId);
        if (!previous.equals(calendarId)) {
            // another calendar: our objects there are unknown, so the next run reconciles from the tags
            store.deleteSetting(DestinationMapping.settingPrefix(name) + "state");
        }
        sync.invalidate(name);
        Map<String, Object> out = new LinkedHashMap<>();
        out.put("status", "success");
        out.put("destination", name);
        out.put("calendar_id", calendarId);
        return ApiReply.ok(out);
    }

    /** Writes an {@link ApiReply} body as JSON with its status (REST binding off on these verbs). */
    public void reply(Exchange exchange) throws Exception {
        Message m = exchange.getMessage();
        ApiReply r = m.getBody(ApiReply.class);
        m.setHeader(Exchange.HTTP_RESPONSE_CODE, r.status());
        m.setHeader(Exchange.CONTENT_TYPE, "application/json");
        m.setBody(JSON.writeValueAsString(r.body()));
    }

    private String googleDestination(String requested) {
        if (requested != null && !requested.isBlank()) {
            return sync.destinationNames().contains(requested)
                    && GoogleDestinationWriterFactory.TYPE.equals(sync.config(requested).type()) ? requested : null;
        }
        var google = sync.destinationNames().stream()
                .filter(n -> GoogleDestinationWriterFactory.TYPE.equals(sync.config(n).type())).toList();
        return google.size() == 1 ? google.get(0) : null;
    }

    private static ApiReply unknown(String name) {
        return ApiReply.error(404, "not_found", "unknown destination: " + name);
    }

    private static JsonNode parse(String body) {
        try {
            return body == null || body.isBlank() ? JSON.createObjectNode() : JSON.readTree(body);
        } catch (Exception e) {
            return JSON.createObjectNode();
        }
    }

    private static String text(JsonNode n, String field) {
        JsonNode v = n.get(field);
        return v == null || v.isNull() || v.asText().isBlank() ? null : v.asText();
    }
}
