package io.chronoroute.agent.source.graph;

import io.chronoroute.providers.graph.GraphAuth;
import io.chronoroute.providers.graph.GraphClient;

import java.time.Duration;
import java.time.ZoneId;
import java.util.ArrayList;
import java.util.List;

/**
 * One Microsoft 365 (Graph) source's configuration, as its route template declared it. The client secret and the
 * refresh token come from placeholders (environment) and never appear in {@link #toString()}, logs or the state.
 *
 * @param source            the source name
 * @param tenant            the Entra ID tenant (id or domain)
 * @param clientId          the app registration's client id
 * @param clientSecret      the app's secret (client credentials, app-only: needs {@code mailbox}); null/blank with a
 *                          refresh token
 * @param refreshToken      a user's refresh token (delegated; from {@code discover graph --device-code}); null for
 *                          app-only
 * @param mailbox           the user (UPN or id) whose calendars are read; null with a refresh token = {@code /me}
 * @param calendars         Graph calendar ids; {@code ["default"]} = the mailbox's default calendar, {@code ["*"]}
 *                          = every calendar of the mailbox
 * @param zone              zone for floating times written to Graph (null: UTC)
 * @param allowEventUpdates whether the master's event updates and renames are applied
 * @param graphUrl          the API root (default {@code https://graph.microsoft.com/beta}: the event delta of a whole
 *                          calendar exists only there)
 * @param authorityUrl      the identity platform ({@code https://login.microsoftonline.com})
 * @param timeout           timeout of one request
 * @param requestsPerSecond client-side rate limit (Exchange Online: 10,000 requests per 10 minutes per mailbox)
 */
record GraphSourceSettings(String source, String tenant, String clientId, String clientSecret, String refreshToken,
                           String mailbox, List<String> calendars, ZoneId zone, boolean allowEventUpdates,
                           String graphUrl, String authorityUrl, Duration timeout, double requestsPerSecond) {

    static final String ALL = "*";
    static final String DEFAULT = "default";
    static final String DEFAULT_GRAPH_URL = "https://graph.microsoft.com/beta";

    GraphSourceSettings {
        calendars = List.copyOf(calendars);
    }

    static GraphSourceSettings of(String source, String tenant, String clientId, String clientSecret,
                                  String refreshToken, String mailbox, String calendars, String timeZone,
                                  boolean allowEventUpdates, String graphUrl, String authorityUrl, Long timeoutMillis,
                                  Double requestsPerSecond) {
        if (blank(source)) {
            throw new IllegalArgumentException("a Graph source needs a sourceName");
        }
        if (blank(tenant) || blank(clientId)) {
            throw new IllegalArgumentException("source '" + source + "': tenant and clientId are required");
        }
        if (blank(refreshToken) && (blank(clientSecret) || blank(mailbox))) {
            throw new IllegalArgumentException("source '" + source + "': either a refreshToken (a user's delegated "
                    + "access) or a clientSecret with the mailbox to read (app-only) is required, the secrets as "
                    + "placeholders from the environment");
        }
        List<String> ids = new ArrayList<>();
        for (String id : (blank(calendars) ? DEFAULT : calendars).split(",")) {
            if (!id.isBlank()) {
                ids.add(id.strip());
            }
        }
        if ((ids.contains(ALL) || ids.contains(DEFAULT)) && ids.size() > 1) {
            throw new IllegalArgumentException("source '" + source + "': calendars is 'default', '*' or a list of ids");
        }
        ZoneId zone = blank(timeZone) ? null : ZoneId.of(timeZone.strip());
        Duration timeout = Duration.ofMillis(timeoutMillis == null || timeoutMillis <= 0 ? 30_000 : timeoutMillis);
        double rate = requestsPerSecond == null || requestsPerSecond <= 0 ? 10 : requestsPerSecond;
        return new GraphSourceSettings(source.strip(), tenant.strip(), clientId.strip(),
                blank(clientSecret) ? null : clientSecret, blank(refreshToken) ? null : refreshToken.strip(),
                blank(mailbox) ? null : mailbox.strip(), ids, zone, allowEventUpdates,
                blank(graphUrl) ? DEFAULT_GRAPH_URL : graphUrl.strip(),
                blank(authorityUrl) ? GraphAuth.DEFAULT_AUTHORITY : authorityUrl.strip(), timeout, rate);
    }

    /** Whether the source reads exactly one named calendar (its calendar id is then the source name). */
    boolean singleCalendar() {
        return calendars.size() == 1 && !calendars.get(0).equals(ALL);
    }

    /** The mailbox's path: {@code /me} (delegated without a mailbox) or {@code /users/<mailbox>}. */
    String mailboxPath() {
        return mailbox == null ? "/me" : "/users/" + GraphClient.seg(mailbox);
    }

    @Override
    public String toString() {
        return "GraphSourceSettings[" + source + ", tenant " + tenant + ", client " + clientId + ", "
                + (refreshToken != null ? "delegated" : "app-only") + ", mailbox " + (mailbox == null ? "me" : mailbox)
                + ", calendars " + calendars + ", api " + graphUrl + ", updates "
                + (allowEventUpdates ? "allowed" : "refused") + "]";
    }

    private static boolean blank(String s) {
        return s == null || s.isBlank();
    }
}
