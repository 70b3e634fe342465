package io.chronoroute.providers.google;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.chronoroute.providers.common.DestinationException;
import io.chronoroute.providers.common.ErrorKind;

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
import java.util.function.Supplier;
import java.util.stream.Collectors;

/**
 * OAuth 2.0 for one Google destination (installed/web app flow, RFC 6749 §4.1 + refresh, §6): the consent URL,
 * the code exchange, and access tokens refreshed from the refresh token shortly before they expire. The token
 * endpoint is configurable ({@code google.token-uri}) so tests point it at a local server. Tokens and the client
 * secret are never logged and never part of an exception message.
 */
public final class GoogleOAuth {

    private static final ObjectMapper JSON = new ObjectMapper();

    private final Config google;
    private final Supplier<String> refreshToken;
    private final Clock clock;
    private final HttpClient http;
    private String accessToken;
    private Instant expiresAt = Instant.EPOCH;

    /**
     * The OAuth client settings this needs (the master's {@code DestinationConfig.Google} record provides them under
     * these names; an agent can bind its own).
     */
    public interface Config {
        String clientId();

        String clientSecret();

        /** A fixed access token, used only while there is no refresh token (tests, short-lived use). */
        String accessToken();

        String tokenUri();

        String authUri();

        String redirectUri();

        String scope();

        Duration timeout();
    }

    /** The result of a code exchange. {@code refreshToken} may be null (Google omits it on repeated consent). */
    public record Tokens(String accessToken, String refreshToken, long expiresInSeconds) {
        @Override
        public String toString() {
            return "Tokens[<hidden>, expiresIn=" + expiresInSeconds + "]";
        }
    }

    /**
     * @param refreshToken supplies the current refresh token (configured or decrypted from the store), or null
     */
    public GoogleOAuth(Config google, Supplier<String> refreshToken, Clock clock) {
        this.google = google;
        this.refreshToken = refreshToken;
        this.clock = clock;
        this.http = HttpClient.newBuilder().connectTimeout(google.timeout()).build();
    }

    /** The consent page URL ({@code access_type=offline&prompt=consent}: Google returns a refresh token). */
    public String authUrl(String redirectUri, String state) {
        requireClient();
        Map<String, String> q = new LinkedHashMap<>();
        q.put("client_id", google.clientId());
        q.put("redirect_uri", redirect(redirectUri));
        q.put("response_type", "code");
        q.put("scope", google.scope());
        q.put("access_type", "offline");
        q.put("prompt", "consent");
        q.put("include_granted_scopes", "true");
        if (state != null) {
            q.put("state", state);
        }
        return google.authUri() + (google.authUri().contains("?") ? "&" : "?") + form(q);
    }

    /** Exchanges an authorization code for tokens (the caller stores the refresh token encrypted). */
    public synchronized Tokens exchangeCode(String code, String redirectUri) throws IOException, InterruptedException {
        requireClient();
        Map<String, String> f = new LinkedHashMap<>();
        f.put("grant_type", "authorization_code");
        f.put("code", code);
        f.put("redirect_uri", redirect(redirectUri));
        f.put("client_id", google.clientId());
        f.put("client_secret", google.clientSecret());
        JsonNode n = post(f);
        Tokens t = new Tokens(n.path("access_token").asText(null), n.path("refresh_token").asText(null),
                n.path("expires_in").asLong(3600));
        remember(t.accessToken(), t.expiresInSeconds());
        return t;
    }

    /** A valid access token: cached, refreshed 60 s before expiry, or the configured fixed one. */
    public synchronized String accessToken() throws IOException {
        Instant now = clock.instant();
        if (accessToken != null && now.isBefore(expiresAt.minusSeconds(60))) {
            return accessToken;
        }
        String rt = refreshToken.get();
        if (rt == null || rt.isBlank()) {
            if (google.accessToken() != null && !google.accessToken().isBlank()) {
                return google.accessToken();
            }
            throw new DestinationException(ErrorKind.AUTH, "notAuthorized",
                    "no Google refresh token: open GET /sync/config/google/auth-url and POST the code to "
                            + "/sync/config/google/exchange-code");
        }
        requireClient();
        Map<String, String> f = new LinkedHashMap<>();
        f.put("grant_type", "refresh_token");
        f.put("refresh_token", rt);
        f.put("client_id", google.clientId());
        f.put("client_secret", google.clientSecret());
        try {
            JsonNode n = post(f);
            remember(n.path("access_token").asText(null), n.path("expires_in").asLong(3600));
            return accessToken;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException("interrupted while refreshing the access token");
        }
    }

    /** Forgets the cached access token (after a 401). */
    public synchronized void invalidate() {
        accessToken = null;
        expiresAt = Instant.EPOCH;
    }

    private void remember(String token, long expiresIn) {
        if (token == null || token.isBlank()) {
            throw new DestinationException(ErrorKind.AUTH, "tokenResponse", "token endpoint returned no access_token");
        }
        accessToken = token;
        expiresAt = clock.instant().plusSeconds(Math.max(0, expiresIn));
    }

    private JsonNode post(Map<String, String> formFields) throws IOException, InterruptedException {
        HttpRequest req = HttpRequest.newBuilder(URI.create(google.tokenUri())).timeout(google.timeout())
                .header("Content-Type", "application/x-www-form-urlencoded")
                .header("Accept", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString(form(formFields))).build();
        HttpResponse<String> res = http.send(req, HttpResponse.BodyHandlers.ofString());
        JsonNode body;
        try {
            body = JSON.readTree(res.body() == null || res.body().isBlank() ? "{}" : res.body());
        } catch (IOException e) {
            body = JSON.createObjectNode();
        }
        if (res.statusCode() / 100 != 2) {
            String error = body.path("error").asText("http" + res.statusCode());
            ErrorKind kind = res.statusCode() >= 500 || res.statusCode() == 429 ? ErrorKind.TRANSIENT : ErrorKind.AUTH;
            throw new DestinationException(kind, error, "token endpoint answered " + res.statusCode() + " " + error);
        }
        return body;
    }

    private String redirect(String given) {
        String r = given == null || given.isBlank() ? google.redirectUri() : given;
        if (r == null || r.isBlank()) {
            throw new IllegalArgumentException("no redirect_uri: pass one or set google.redirect-uri");
        }
        return r;
    }

    private void requireClient() {
        if (google.clientId() == null || google.clientId().isBlank() || google.clientSecret() == null
                || google.clientSecret().isBlank()) {
            throw new DestinationException(ErrorKind.AUTH, "noClient",
                    "google.client-id and google.client-secret must be configured");
        }
    }

    private static String form(Map<String, String> m) {
        return m.entrySet().stream().map(e -> URLEncoder.encode(e.getKey(), StandardCharsets.UTF_8) + "="
                + URLEncoder.encode(e.getValue(), StandardCharsets.UTF_8)).collect(Collectors.joining("&"));
    }

    @Override
    public String toString() {
        return "GoogleOAuth[tokenUri=" + google.tokenUri() + "]";
    }
}
