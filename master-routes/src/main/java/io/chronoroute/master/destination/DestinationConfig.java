package io.chronoroute.master.destination;

import io.chronoroute.providers.google.GoogleOAuth;
import org.springframework.boot.context.properties.bind.DefaultValue;

import java.time.Duration;
import java.time.ZoneId;

/**
 * Settings of one destination, bound from {@code chronoroute.destinations.<name>.*} (see
 * {@link DestinationsProperties} for the full key list). Secrets come from placeholders/environment only;
 * {@link #toString()} masks them.
 *
 * @param type                  {@code google}, {@code ews} or {@code caldav}: which {@link DestinationWriterFactory}
 * @param enabled               false = configured but never run
 * @param calendarId            target calendar ({@code primary} = the account's main calendar); can be overridden at
 *                              runtime through {@code POST /sync/config/destination/google}
 * @param owner                 value of our owner tag; default: the destination name. Only events carrying this tag
 *                              are ever listed, updated or deleted
 * @param deleteGuardShare      a run deleting more than this share of our live events is held (0.2 = 20%)
 * @param deleteGuardMinDeletes the share rule applies from this many deletions on
 * @param zeroSourceMinEvents   a run that deletes at least this many events of one source that now has none is held
 * @param rate                  requests per second (token bucket refill) for this account
 * @param burst                 token bucket size
 * @param maxAttempts           attempts per call on transient errors (first included)
 * @param backoffBase           first backoff step
 * @param backoffMax            backoff cap
 * @param quotaPause            pause after "quota exhausted" when the provider gives no Retry-After
 * @param floatingZone          zone in which floating times are written (destinations have no floating time)
 * @param attendees             {@code description} (names and addresses appended to the description, never as
 *                              attendees) or {@code drop}
 * @param pageSize              change-log entries read per store call
 * @param batchSize             writes sent together in one batch request where the writer supports it (Google: up
 *                              to 1000, Google recommends at most 50); 0 or 1 = one request per write
 * @param google                Google settings (type google only)
 * @param direction             {@code two-way} (default): an edit or delete of one of our events made in the
 *                              destination becomes a change of the consolidated calendar (origin
 *                              {@code destination:<name>}); {@code one-way}: it is repaired, the master's version is
 *                              written again
 * @param createTarget          two-way only: {@code <agent-id>/<source-name>}, the writable source an event the user
 *                              creates in the destination is created in; unset = such events stay foreign, untouched
 */
public record DestinationConfig(
        @DefaultValue("google") String type,
        @DefaultValue("true") boolean enabled,
        @DefaultValue("primary") String calendarId,
        String owner,
        @DefaultValue("0.2") double deleteGuardShare,
        @DefaultValue("3") int deleteGuardMinDeletes,
        @DefaultValue("2") int zeroSourceMinEvents,
        @DefaultValue("10") double rate,
        @DefaultValue("10") int burst,
        @DefaultValue("8") int maxAttempts,
        @DefaultValue("1s") Duration backoffBase,
        @DefaultValue("64s") Duration backoffMax,
        @DefaultValue("1h") Duration quotaPause,
        @DefaultValue("UTC") ZoneId floatingZone,
        @DefaultValue("description") String attendees,
        @DefaultValue("500") int pageSize,
        @DefaultValue("50") int batchSize,
        @DefaultValue Google google,
        @DefaultValue("two-way") String direction,
        String createTarget) {

    public DestinationConfig {
        type = type == null ? "google" : type.trim().toLowerCase(java.util.Locale.ROOT);
        calendarId = calendarId == null || calendarId.isBlank() ? "primary" : calendarId;
        backoffBase = backoffBase == null ? Duration.ofSeconds(1) : backoffBase;
        backoffMax = backoffMax == null ? Duration.ofSeconds(64) : backoffMax;
        quotaPause = quotaPause == null ? Duration.ofHours(1) : quotaPause;
        floatingZone = floatingZone == null ? ZoneId.of("UTC") : floatingZone;
        attendees = attendees == null ? "description" : attendees;
        google = google == null ? Google.defaults() : google;
        if (deleteGuardShare < 0 || deleteGuardShare > 1) {
            throw new IllegalArgumentException("delete-guard-share must be between 0 and 1");
        }
        if (batchSize < 0) {
            throw new IllegalArgumentException("batch-size must be 0 (off) or more");
        }
        if (!"description".equals(attendees) && !"drop".equals(attendees)) {
            throw new IllegalArgumentException("attendees must be 'description' or 'drop'");
        }
        direction = direction == null || direction.isBlank() ? "two-way"
                : direction.trim().toLowerCase(java.util.Locale.ROOT);
        if (!"two-way".equals(direction) && !"one-way".equals(direction)) {
            throw new IllegalArgumentException("direction must be 'two-way' or 'one-way'");
        }
        createTarget = createTarget == null || createTarget.isBlank() ? null : createTarget.trim();
        if (createTarget != null && !createTarget.matches("[^/\\s]+/[^/\\s]+")) {
            throw new IllegalArgumentException("create-target must be <agent-id>/<source-name>: " + createTarget);
        }
    }

    /** Edits made in the destination become changes ({@code direction=two-way}). */
    public boolean twoWay() {
        return "two-way".equals(direction);
    }

    /** Every default, for plain-Java use (benchmarks, tests). */
    public static DestinationConfig defaults(String type) {
        return new DestinationConfig(type, true, "primary", null, 0.2, 3, 2, 10, 10, 8, Duration.ofSeconds(1),
                Duration.ofSeconds(64), Duration.ofHours(1), ZoneId.of("UTC"), "description", 500, 50,
                Google.defaults(), "two-way", null);
    }

    public String ownerOr(String name) {
        return owner == null || owner.isBlank() ? name : owner;
    }

    public DestinationConfig withCalendarId(String value) {
        return new DestinationConfig(type, enabled, value, owner, deleteGuardShare, deleteGuardMinDeletes,
                zeroSourceMinEvents, rate, burst, maxAttempts, backoffBase, backoffMax, quotaPause, floatingZone,
                attendees, pageSize, batchSize, google, direction, createTarget);
    }

    public DestinationConfig withGuard(double share, int minDeletes, int zeroSourceMin) {
        return new DestinationConfig(type, enabled, calendarId, owner, share, minDeletes, zeroSourceMin, rate, burst,
                maxAttempts, backoffBase, backoffMax, quotaPause, floatingZone, attendees, pageSize, batchSize,
                google, direction, createTarget);
    }

    public DestinationConfig withRate(double perSecond, int burstSize, int attempts) {
        return new DestinationConfig(type, enabled, calendarId, owner, deleteGuardShare, deleteGuardMinDeletes,
                zeroSourceMinEvents, perSecond, burstSize, attempts, backoffBase, backoffMax, quotaPause,
                floatingZone, attendees, pageSize, batchSize, google, direction, createTarget);
    }

    public DestinationConfig withBatchSize(int value) {
        return new DestinationConfig(type, enabled, calendarId, owner, deleteGuardShare, deleteGuardMinDeletes,
                zeroSourceMinEvents, rate, burst, maxAttempts, backoffBase, backoffMax, quotaPause, floatingZone,
                attendees, pageSize, value, google, direction, createTarget);
    }

    public DestinationConfig withGoogle(Google value) {
        return new DestinationConfig(type, enabled, calendarId, owner, deleteGuardShare, deleteGuardMinDeletes,
                zeroSourceMinEvents, rate, burst, maxAttempts, backoffBase, backoffMax, quotaPause, floatingZone,
                attendees, pageSize, batchSize, value, direction, createTarget);
    }

    /** {@code two-way} or {@code one-way}, and the create target (two-way only; null = none). */
    public DestinationConfig withDirection(String value, String target) {
        return new DestinationConfig(type, enabled, calendarId, owner, deleteGuardShare, deleteGuardMinDeletes,
                zeroSourceMinEvents, rate, burst, maxAttempts, backoffBase, backoffMax, quotaPause, floatingZone,
                attendees, pageSize, batchSize, google, value, target);
    }

    /**
     * Google settings ({@code chronoroute.destinations.<name>.google.*}).
     *
     * @param clientId     OAuth client id
     * @param clientSecret OAuth client secret (placeholder/env only)
     * @param refreshToken refresh token from the environment; when blank, the one stored (encrypted) by the OAuth
     *                     endpoints is used
     * @param accessToken  a fixed access token (short-lived; development only), used when there is no refresh token
     * @param rootUrl      API root, default {@code https://www.googleapis.com/} (tests: the fake's base URL)
     * @param tokenUri     OAuth token endpoint
     * @param authUri      OAuth consent page
     * @param redirectUri  redirect URI registered for the client (used by auth-url and exchange-code)
     * @param scope        OAuth scope requested
     * @param timeout      connect/read timeout of one API call
     */
    public record Google(String clientId, String clientSecret, String refreshToken, String accessToken,
                         @DefaultValue("https://www.googleapis.com/") String rootUrl,
                         @DefaultValue("https://oauth2.googleapis.com/token") String tokenUri,
                         @DefaultValue("https://accounts.google.com/o/oauth2/v2/auth") String authUri,
                         String redirectUri,
                         @DefaultValue("https://www.googleapis.com/auth/calendar") String scope,
                         @DefaultValue("30s") Duration timeout) implements GoogleOAuth.Config {

        public Google {
            rootUrl = rootUrl == null || rootUrl.isBlank() ? "https://www.googleapis.com/"
                    : rootUrl.endsWith("/") ? rootUrl : rootUrl + "/";
            tokenUri = tokenUri == null || tokenUri.isBlank() ? "https://oauth2.googleapis.com/token" : tokenUri;
            authUri = authUri == null || authUri.isBlank() ? "https://accounts.google.com/o/oauth2/v2/auth" : authUri;
            scope = scope == null || scope.isBlank() ? "https://www.googleapis.com/auth/calendar" : scope;
            timeout = timeout == null ? Duration.ofSeconds(30) : timeout;
        }

        public static Google defaults() {
            return new Google(null, null, null, null, null, null, null, null, null, null);
        }

        public Google withEndpoints(String root, String token) {
            return new Google(clientId, clientSecret, refreshToken, accessToken, root, token, authUri, redirectUri,
                    scope, timeout);
        }

        public Google withClient(String id, String secret, String redirect) {
            return new Google(id, secret, refreshToken, accessToken, rootUrl, tokenUri, authUri, redirect, scope,
                    timeout);
        }

        public Google withRefreshToken(String value) {
            return new Google(clientId, clientSecret, value, accessToken, rootUrl, tokenUri, authUri, redirectUri,
                    scope, timeout);
        }

        @Override
        public String toString() {
            return "Google[clientId=" + clientId + ", clientSecret=" + mask(clientSecret) + ", refreshToken="
                    + mask(refreshToken) + ", accessToken=" + mask(accessToken) + ", rootUrl=" + rootUrl
                    + ", tokenUri=" + tokenUri + ", authUri=" + authUri + ", redirectUri=" + redirectUri
                    + ", scope=" + scope + ", timeout=" + timeout + "]";
        }

        private static String mask(String s) {
            return s == null || s.isBlank() ? "<unset>" : "<set>";
        }
    }
}
