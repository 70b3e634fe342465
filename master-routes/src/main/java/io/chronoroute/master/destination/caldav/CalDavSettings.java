package io.chronoroute.master.destination.caldav;

import org.springframework.boot.context.properties.bind.Bindable;
import org.springframework.boot.context.properties.bind.Binder;
import org.springframework.boot.context.properties.bind.DefaultValue;
import org.springframework.core.env.Environment;

import java.net.URI;
import java.time.Duration;

/**
 * CalDAV settings of one destination, bound from {@code chronoroute.destinations.<name>.caldav.*} (the framework's
 * {@code DestinationConfig} ignores these keys; {@link CalDavDestinationWriterFactory} binds them itself, so the
 * framework record needs no change).
 *
 * @param url            the calendar collection URL, e.g. {@code https://dav.example.org/alice/chronoroute/}
 * @param username       Basic user (optional)
 * @param password       Basic password (placeholder/env only)
 * @param bearerToken    sent as {@code Authorization: Bearer} when set (wins over Basic)
 * @param createCalendar MKCALENDAR the collection when it does not exist (only then; default false)
 * @param displayName    display name used by MKCALENDAR
 * @param timeout        connect/request timeout of one call
 */
public record CalDavSettings(String url, String username, String password, String bearerToken,
                             @DefaultValue("false") boolean createCalendar,
                             @DefaultValue("Chronoroute") String displayName,
                             @DefaultValue("30s") Duration timeout) {

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

    /** Binds {@code chronoroute.destinations.<name>.caldav.*} from the Spring environment. */
    public static CalDavSettings bind(Environment env, String destination) {
        return Binder.get(env).bind("chronoroute.destinations." + destination + ".caldav",
                        Bindable.of(CalDavSettings.class))
                .orElseThrow(() -> new IllegalStateException("chronoroute.destinations." + destination
                        + ".caldav.url is not set"));
    }

    @Override
    public String toString() {
        return "CalDavSettings[url=" + url + ", username=" + username + ", password="
                + (password == null || password.isEmpty() ? "<unset>" : "<set>") + ", bearerToken="
                + (bearerToken == null || bearerToken.isEmpty() ? "<unset>" : "<set>") + ", createCalendar="
                + createCalendar + ", displayName=" + displayName + ", timeout=" + timeout + "]";
    }
}
