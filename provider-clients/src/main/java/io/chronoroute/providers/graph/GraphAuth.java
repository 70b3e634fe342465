package io.chronoroute.providers.graph;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;
import java.util.function.Consumer;
import java.util.stream.Collectors;

/**
 * OAuth 2.0 against the Microsoft identity platform ({@code <authority>/<tenant>/oauth2/v2.0/token}), spoken with
 * the JDK's HTTP client: the <b>client credentials</b> grant (app-only, scope {@code https://graph.microsoft.com/.default};
 * the mailbox is named as {@code /users/<upn>}), the <b>refresh token</b> grant (a user's delegated access; the
 * identity platform rotates the refresh token on every use, the newest is kept in memory) and the <b>device code</b>
 * flow that obtains that first refresh token ({@link #startDeviceCode}, {@link #pollDeviceCode}).
 * <p>Why not MSAL4J (on our Maven Central, msal4j 1.26): it validates the authority as an https Microsoft host and
 * pulls nimbus-jose-jwt, oauth2-oidc-sdk and json-smart for three form POSTs; a plain client lets the tests point the
 * authority at the fake Graph's token endpoint. The access token is cached until five minutes before it expires
 * and dropped on a 401 ({@link #invalidate}). Secrets are never logged; {@link #toString()} shows none.
 * <p>Rotation: whoever stores the refresh token registers {@link #onRefreshTokenRotated} and persists each new one
 * (encrypted), so that a restart starts from the newest rather than from the configured first one, which the
 * platform may have revoked or let expire (90 days of inactivity) meanwhile.
 */
public final class GraphAuth {

    private static final Logger LOG = LoggerFactory.getLogger(GraphAuth.class);

    public static final String DEFAULT_AUTHORITY = "https://login.microsoftonline.com";
    public static final String APP_SCOPE = "https://graph.microsoft.com/.default";
    public static final String USER_SCOPE = "https://graph.microsoft.com/Calendars.ReadWrite offline_access";
    private static final Duration EARLY = Duration.ofMinutes(5);
    private static final ObjectMapper JSON = new ObjectMapper();

    private final HttpClient http;
    private final String authority;
    private final String tenant;
    private final String clientId;
    private final String clientSecret;
    private final Clock clock;
    private final Duration timeout;
    private String refreshToken;
    private String accessToken;
    private Instant expires = Instant.MIN;
    private long grants;
    private final Object notifyLock = new Object();
    private Consumer<String> rotated = t -> { };
    private String unannounced;
    private long rotations;
    private long notified;

    /**
     * @param clientSecret the app's secret (required for client credentials; null for a public client using a
     *                     refresh token)
     * @param refreshToken a user's refresh token (delegated access), or null for the client credentials grant
     */
    public GraphAuth(HttpClient http, String authority, String tenant, String clientId, String clientSecret,
                     String refreshToken, Clock clock, Duration timeout) {
        this.http = http;
        this.authority = strip(authority == null || authority.isBlank() ? DEFAULT_AUTHORITY : authority);
        this.tenant = tenant;
        this.clientId = clientId;
        this.clientSecret = clientSecret;
        this.refreshToken = refreshToken;
        this.clock = clock;
        this.timeout = timeout;
        if (refreshToken == null && (clientSecret == null || clientSecret.isBlank())) {
            throw new IllegalArgumentException("Graph auth needs a client secret (app-only) or a refresh token");
        }
    }

    /** Whether the token is a user's (delegated: {@code /me} works) rather than the app's. */
    public boolean delegated() {
        return refreshToken != null;
    }

    /** A valid access token, from the cache or a new grant. */
    public String accessToken() throws IOException, InterruptedException {
        String token;
        String rotatedTo;
        long seq;
        synchronized (this) {
            if (accessToken != null && clock.instant().isBefore(expires.minus(EARLY))) {
                return accessToken;
            }
            token = grant();
            rotatedTo = unannounced;
            unannounced = null;
            seq = rotations;
        }
        if (rotatedTo != null) {
            // outside the token lock (a listener may take its own store's lock); the newest is never overwritten
            synchronized (notifyLock) {
                if (seq > notified) {
                    notified = seq;
                    notifyRotated(rotatedTo);
                }
            }
        }
        return token;
    }

    private String grant() throws IOException, InterruptedException {
        Map<String, String> form = new LinkedHashMap<>();
        form.put("client_id", clientId);
        if (refreshToken != null) {
            form.put("grant_type", "refresh_token");
            form.put("refresh_token", refreshToken);
            form.put("scope", USER_SCOPE);
        } else {
            form.put("grant_type", "client_credentials");
            form.put("scope", APP_SCOPE);
        }
        if (clientSecret != null && !clientSecret.isBlank()) {
            form.put("client_secret", clientSecret);
        }
        JsonNode t = post(http, tokenUrl(authority, tenant), form, timeout);
        grants++;
        accessToken = t.path("access_token").asText(null);
        if (accessToken == null) {
            throw new GraphHttpException(200, "invalid_response", "the token endpoint answered no access_token", null);
        }
        expires = clock.instant().plusSeconds(t.path("expires_in").asLong(3600));
        if (refreshToken != null && t.hasNonNull("refresh_token")) {
            String next = t.get("refresh_token").asText();
            if (!next.isBlank() && !next.equals(refreshToken)) {
                refreshToken = next;
                unannounced = next;
                rotations++;
            }
        }
        return accessToken;
    }

    /**
     * {@code listener} gets every new refresh token the platform hands out, in order, on the thread that asked for
     * an access token, outside this object's token lock (so it may take locks of its own). A listener that fails is
     * logged (without the token) and does not fail the call: the access token is good, the token in memory is the
     * newest, the next rotation tries again.
     */
    public GraphAuth onRefreshTokenRotated(Consumer<String> listener) {
        synchronized (notifyLock) {
            this.rotated = listener == null ? t -> { } : listener;
        }
        return this;
    }

    /** The newest refresh token (delegated access), null for app-only. */
    public synchronized String refreshToken() {
        return refreshToken;
    }

    private void notifyRotated(String next) {
        try {
            rotated.accept(next);
        } catch (RuntimeException e) {
            LOG.warn("{}: the rotated refresh token could not be stored ({}); it is kept in memory", this,
                    e.getClass().getSimpleName());
        }
    }

    /** The access token was refused (401): the next call gets a new one. */
    public synchronized void invalidate() {
        accessToken = null;
    }

    /** Token grants made so far. */
    public synchronized long grants() {
        return grants;
    }

    /** What the device code flow shows the user, and the code to poll with. */
    public record DeviceCode(String deviceCode, String userCode, String verificationUri, String message,
                             Duration interval, Duration expiresIn) {
        @Override
        public String toString() {
            return "DeviceCode[" + userCode + " at " + verificationUri + "]";
        }
    }

    /** The tokens the device code flow obtained (the refresh token is what a source is configured with). */
    public record Tokens(String accessToken, String refreshToken) {
        @Override
        public String toString() {
            return "Tokens[***]";
        }
    }

    /** Starts the device code flow for a user's delegated calendar access. */
    public static DeviceCode startDeviceCode(HttpClient http, String authority, String tenant, String clientId,
                                             Duration timeout) throws IOException, InterruptedException {
        JsonNode r = post(http, strip(authority) + "/" + tenant + "/oauth2/v2.0/devicecode",
                Map.of("client_id", clientId, "scope", USER_SCOPE), timeout);
        return new DeviceCode(r.path("device_code").asText(), r.path("user_code").asText(),
                r.path("verification_uri").asText(), r.path("message").asText(),
                Duration.ofSeconds(r.path("interval").asLong(5)), Duration.ofSeconds(r.path("expires_in").asLong(900)));
    }

    /** One poll: the tokens once the user signed in, empty while {@code authorization_pending}/{@code slow_down}. */
    public static Optional<Tokens> pollDeviceCode(HttpClient http, String authority, String tenant, String clientId,
                                                  DeviceCode code, Duration timeout)
            throws IOException, InterruptedException {
        try {
            JsonNode t = post(http, tokenUrl(strip(authority), tenant), Map.of("client_id", clientId, "grant_type",
                    "urn:ietf:params:oauth:grant-type:device_code", "device_code", code.deviceCode()), timeout);
            return Optional.of(new Tokens(t.path("access_token").asText(), t.path("refresh_token").asText(null)));
        } catch (GraphHttpException e) {
            if ("authorization_pending".equals(e.code()) || "slow_down".equals(e.code())) {
                return Optional.empty();
            }
            throw e;
        }
    }

    static String tokenUrl(String authority, String tenant) {
        return authority + "/" + tenant + "/oauth2/v2.0/token";
    }

    private static JsonNode post(HttpClient http, String url, Map<String, String> form, Duration timeout)
            throws IOException, InterruptedException {
        String body = form.entrySet().stream().map(e -> enc(e.getKey()) + "=" + enc(e.getValue()))
                .collect(Collectors.joining("&"));
        HttpResponse<String> r = http.send(HttpRequest.newBuilder(URI.create(url)).timeout(timeout)
                .header("Content-Type", "application/x-www-form-urlencoded")
                .POST(HttpRequest.BodyPublishers.ofString(body)).build(), HttpResponse.BodyHandlers.ofString());
        JsonNode json = r.body() == null || r.body().isBlank() ? JSON.createObjectNode() : readOrEmpty(r.body());
        if (r.statusCode() / 100 != 2) {
            String description = json.path("error_description").asText("");
            // AADSTS texts carry no secret, but trace ids and timestamps follow the first line
            int nl = description.indexOf('\n');
            throw new GraphHttpException(r.statusCode(), json.path("error").asText(null),
                    "token endpoint: " + (nl < 0 ? description : description.substring(0, nl)),
                    GraphClient.retryAfter(r));
        }
        return json;
    }

    private static JsonNode readOrEmpty(String body) {
        try {
            return JSON.readTree(body);
        } catch (IOException e) {
            return JSON.createObjectNode();
        }
    }

    private static String enc(String s) {
        return URLEncoder.encode(s, StandardCharsets.UTF_8);
    }

    private static String strip(String url) {
        return url.endsWith("/") ? url.substring(0, url.length() - 1) : url;
    }

    @Override
    public String toString() {
        return "GraphAuth[" + tenant + ", client " + clientId + ", " + (delegated() ? "delegated" : "app-only") + "]";
    }
}
