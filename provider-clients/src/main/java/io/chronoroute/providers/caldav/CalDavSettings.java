package io.chronoroute.providers.caldav;

import java.net.URI;
import java.time.Duration;

/**
 * CalDAV settings of one calendar collection. Plain record: each app binds it from its own keys (the master's
 * CalDAV destination writer factory from {@code chronoroute.destinations.<name>.caldav.*}). Missing values get their
 * defaults here, in the constructor, so binding needs no framework annotations.
 *
 * @param url            the calendar collection URL, e.g. {@code https://dav.example.org/alice/chronoroute/}
 * @param username       Basic user (optional)
 * @param password       Basic password (placeholder/env only)
 * @param bearerToken    sent as {@code Authorization: Bearer} when set (wins over Basic)
 * @param createCalendar MKCALENDAR the collection when it does not exist (only then; default false)
 * @param displayName    display name used by MKCALENDAR (default {@code Chronoroute})
 * @param timeout        connect/request timeout of one call (default 30 s)
 */
public record CalDavSettings(String url, String username, String password, String bearerToken,
                             boolean createCalendar, String displayName, Duration timeout) {

    public CalDavSettings {
        if (url == null || url.isBlank()) {
            throw new IllegalArgumentException("caldav.url is required");
        }
        url = url.endsWith("/") ? url : url + "/";
        URI.create(url);
        displayName = displayName == null || displayName.isBlank() ? "Chronoroute" : displayName;
        timeout = timeout == null ? Duration.ofSeconds(30) : timeout;
    }

    public static CalDavSettings of(String url, String username, String password) {
        return new CalDavSettings(url, username, password, null, false, null, null);
    }

    public CalDavSettings withCreateCalendar(boolean value) {
        return new CalDavSettings(url, username, password, bearerToken, value, displayName, timeout);
    }


    @Override
    public String toString() {
        return "CalDavSettings[url=" + url + ", username=" + username + ", password="
                + (password == null || password.isEmpty() ? "<unset>" : "<set>") + ", bearerToken="
                + (bearerToken == null || bearerToken.isEmpty() ? "<unset>" : "<set>") + ", createCalendar="
                + createCalendar + ", displayName=" + displayName + ", timeout=" + timeout + "]";
    }
}
