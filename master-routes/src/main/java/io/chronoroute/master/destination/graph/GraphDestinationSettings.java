package io.chronoroute.master.destination.graph;

import org.springframework.boot.context.properties.bind.DefaultValue;

import java.time.Duration;

/**
 * Microsoft Graph settings of one destination ({@code chronoroute.destinations.<name>.graph.*}); secrets come from
 * placeholders/environment only and {@link #toString()} masks them. App-only access (client credentials) needs
 * {@code client-secret} and a {@code mailbox}; delegated access uses a user's refresh token (from the environment, or
 * the one stored encrypted in the master store, see {@link GraphDestinationWriterFactory}).
 *
 * @param tenant         directory (tenant) id or domain, e.g. {@code contoso.onmicrosoft.com}
 * @param clientId       the app registration's client id
 * @param clientSecret   the app's secret (client credentials); blank for a public client using a refresh token
 * @param refreshToken   a user's refresh token (delegated); blank = the stored one, or client credentials
 * @param mailbox        the mailbox ({@code /users/<mailbox>}: UPN or object id); blank = {@code /me} (delegated)
 * @param calendar       calendar id or name; blank = the destination's {@code calendar-id} ({@code primary} = the
 *                       mailbox's default calendar)
 * @param createCalendar create the calendar (by name) when the mailbox has none of that name or id
 * @param graphUrl       API root (tests: the fake's)
 * @param authorityUrl   identity platform host; the token endpoint is {@code <authority>/<tenant>/oauth2/v2.0/token}
 * @param timeout        timeout of one HTTP request
 */
public record GraphDestinationSettings(String tenant, String clientId, String clientSecret, String refreshToken,
                                       String mailbox, String calendar,
                                       @DefaultValue("false") boolean createCalendar,
                                       @DefaultValue("https://graph.microsoft.com/v1.0") String graphUrl,
                                       @DefaultValue("https://login.microsoftonline.com") String authorityUrl,
                                       @DefaultValue("30s") Duration timeout) {

    public GraphDestinationSettings {
        timeout = timeout == null ? Duration.ofSeconds(30) : timeout;
        mailbox = blank(mailbox) ? null : mailbox.strip();
        calendar = blank(calendar) ? null : calendar.strip();
    }

    static boolean blank(String s) {
        return s == null || s.isBlank();
    }

    @Override
    public String toString() {
        return "GraphDestinationSettings[tenant=" + tenant + ", clientId=" + clientId + ", clientSecret="
                + (blank(clientSecret) ? "<unset>" : "<set>") + ", refreshToken="
                + (blank(refreshToken) ? "<unset>" : "<set>") + ", mailbox=" + mailbox + ", calendar=" + calendar
                + ", createCalendar=" + createCalendar + ", graphUrl=" + graphUrl + ", authorityUrl=" + authorityUrl
                + ", timeout=" + timeout + "]";
    }
}
