package io.chronoroute.agent.source.google;

import io.chronoroute.providers.google.GoogleOAuth;

import java.time.Duration;
import java.time.ZoneId;
import java.util.ArrayList;
import java.util.List;

/**
 * One Google source's configuration, as its route template declared it. The OAuth client secret and the refresh
 * token come from placeholders (environment) and never appear in {@link #toString()}, logs or the state.
 *
 * @param source            the source name
 * @param clientId          the OAuth client id (of the Google Cloud project the refresh token was granted to)
 * @param clientSecret      the OAuth client secret (secret)
 * @param refreshToken      the refresh token granted with the {@code calendar} scope (secret)
 * @param calendars         Google calendar ids to read ({@code primary} allowed); {@code ["*"]} = every calendar of
 *                          the account's calendar list
 * @param zone              zone for floating times written to Google (null: the calendar's own zone)
 * @param allowEventUpdates whether the master's event updates and renames are applied
 * @param rootUrl           API root ({@code https://www.googleapis.com/}; tests point it at the fake)
 * @param tokenUri          OAuth token endpoint
 * @param timeout           connect/read timeout of one request
 * @param requestsPerSecond client-side rate limit (Google: 600/min/user = 10/s)
 */
record GoogleSourceSettings(String source, String clientId, String clientSecret, String refreshToken,
                            List<String> calendars, ZoneId zone, boolean allowEventUpdates, String rootUrl,
                            String tokenUri, Duration timeout, double requestsPerSecond) {

    static final String ALL = "*";
    static final String DEFAULT_ROOT_URL = "https://www.googleapis.com/";
    static final String DEFAULT_TOKEN_URI = "https://oauth2.googleapis.com/token";

    GoogleSourceSettings {
        calendars = List.copyOf(calendars);
    }

    static GoogleSourceSettings of(String source, String clientId, String clientSecret, String refreshToken,
                                   String calendars, String timeZone, boolean allowEventUpdates, String rootUrl,
                                   String tokenUri, Long timeoutMillis, Double requestsPerSecond) {
        if (blank(source)) {
            throw new IllegalArgumentException("a Google source needs a sourceName");
        }
        if (blank(clientId) || blank(clientSecret) || blank(refreshToken)) {
            throw new IllegalArgumentException("source '" + source + "': clientId, clientSecret and refreshToken are "
                    + "required (the secrets as placeholders from the environment)");
        }
        List<String> ids = new ArrayList<>();
        for (String id : (blank(calendars) ? "primary" : calendars).split(",")) {
            if (!id.isBlank()) {
                ids.add(id.strip());
            }
        }
        if (ids.contains(ALL) && ids.size() > 1) {
            throw new IllegalArgumentException("source '" + source + "': calendars is either '*' or a list of ids");
        }
        ZoneId zone = blank(timeZone) ? null : ZoneId.of(timeZone.strip());
        Duration timeout = Duration.ofMillis(timeoutMillis == null || timeoutMillis <= 0 ? 30_000 : timeoutMillis);
        double rate = requestsPerSecond == null || requestsPerSecond <= 0 ? 5 : requestsPerSecond;
        return new GoogleSourceSettings(source.strip(), clientId.strip(), clientSecret, refreshToken.strip(), ids, zone,
                allowEventUpdates, blank(rootUrl) ? DEFAULT_ROOT_URL : rootUrl.strip(),
                blank(tokenUri) ? DEFAULT_TOKEN_URI : tokenUri.strip(), timeout, rate);
    }

    /** Whether the source reads exactly one named calendar (its calendar id is then the source name). */
    boolean singleCalendar() {
        return calendars.size() == 1 && !calendars.get(0).equals(ALL);
    }

    /** The OAuth client for {@link GoogleOAuth}: refresh-token grant only (the consent happened elsewhere). */
    GoogleOAuth.Config oauth() {
        return new GoogleOAuth.Config() {
            @Override
            public String clientId() {
                return clientId;
            }

            @Override
            public String clientSecret() {
                return clientSecret;
            }

            @Override
            public String accessToken() {
                return null;
            }

            @Override
            public String tokenUri() {
                return tokenUri;
            }

            @Override
            public String authUri() {
                return null;
            }

            @Override
            public String redirectUri() {
                return null;
            }

            @Override
            public String scope() {
                return "https://www.googleapis.com/auth/calendar";
            }

            @Override
            public Duration timeout() {
                return timeout;
            }
        };
    }

    @Override
    public String toString() {
        return "GoogleSourceSettings[" + source + ", calendars " + calendars + ", client " + clientId
                + ", api " + rootUrl + ", updates " + (allowEventUpdates ? "allowed" : "refused") + "]";
    }

    private static boolean blank(String s) {
        return s == null || s.isBlank();
    }
}
