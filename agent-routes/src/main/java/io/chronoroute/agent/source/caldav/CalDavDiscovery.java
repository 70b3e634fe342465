package io.chronoroute.agent.source.caldav;

import io.chronoroute.providers.caldav.CalDavClient;
import io.chronoroute.providers.caldav.CalDavSettings;

import java.net.URI;
import java.util.List;

/**
 * Where a CalDAV account's calendars are (RFC 4791 7.1 / RFC 6764 without DNS): the URL given is either one calendar
 * collection (then it is the only calendar), or anything from which {@code current-user-principal} leads to the
 * principal (asked at the URL, then at the server root) and its {@code calendar-home-set} to the home whose members
 * are the calendars; a URL that gives neither is taken as the home itself. The home may be on another host than the
 * URL given (iCloud answers {@code https://pNN-caldav.icloud.com/...}).
 */
public final class CalDavDiscovery {

    private CalDavDiscovery() {
    }

    /**
     * Where to list the calendars, found once per source.
     *
     * @param url    the collection (single) or the calendar home, absolute, ending with {@code /}
     * @param single true when {@code url} is one calendar collection (listed with depth 0)
     */
    public record Listing(String url, boolean single) {

        /** The calendars at {@link #url} now: one PROPFIND (depth 1 on a home, depth 0 on a collection). */
        public List<CalDavClient.CalendarInfo> list(CalDavClient client) throws Exception {
            return client.calendars(url, !single);
        }

        /** {@code scheme://authority} of the listing, to which the calendars' hrefs are relative. */
        public String origin() {
            return CalDavCalendarSource.origin(url);
        }
    }

    /** Finds the listing for the URL {@code client} was made with. */
    public static Listing listing(CalDavClient client, String url) throws Exception {
        String given = url.endsWith("/") ? url : url + "/";
        if (!client.calendars(given, false).isEmpty()) {
            return new Listing(given, true);
        }
        String principal = client.currentUserPrincipal(given);
        if (principal == null && !URI.create(given).getRawPath().equals("/")) {
            principal = client.currentUserPrincipal(CalDavCalendarSource.origin(given) + "/");
        }
        String home = principal == null ? null : client.calendarHomeSet(principal);
        home = home == null ? given : home;
        return new Listing(home.endsWith("/") ? home : home + "/", false);
    }

    /** A client for {@code url} with the credentials of {@code settings}. */
    static CalDavClient client(CalDavCalendarSource.Settings settings, String url) {
        return new CalDavClient(new CalDavSettings(url, settings.username(), settings.password(), null, false, null,
                settings.timeout()), write -> { });
    }

    /** The last path segment of a collection href ({@code /alice/work/} → {@code work}). */
    public static String segment(String href) {
        String h = href.endsWith("/") ? href.substring(0, href.length() - 1) : href;
        return h.substring(h.lastIndexOf('/') + 1);
    }
}
