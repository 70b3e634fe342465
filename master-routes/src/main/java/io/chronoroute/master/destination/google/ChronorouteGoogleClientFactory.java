package io.chronoroute.master.destination.google;

import com.google.api.services.calendar.Calendar;
import io.chronoroute.providers.google.GoogleCalendarClients;
import io.chronoroute.providers.google.GoogleOAuth;
import org.apache.camel.CamelContext;
import org.apache.camel.component.google.calendar.GoogleCalendarClientFactory;

import java.time.Duration;
import java.util.Collection;

/**
 * The {@link GoogleCalendarClientFactory} of one destination: Camel's side of {@link GoogleCalendarClients} (a
 * {@link Calendar} client on a configurable root URL, authorised by {@link GoogleOAuth}; camel-google-calendar 4.17
 * has no root-URL option, stack.md). Camel calls this factory only when the component's clientId and clientSecret
 * are non-blank; the values it passes are ignored here (credentials live in {@link GoogleOAuth}).
 */
public final class ChronorouteGoogleClientFactory implements GoogleCalendarClientFactory {

    private final GoogleCalendarClients clients;

    public ChronorouteGoogleClientFactory(String rootUrl, Duration timeout, GoogleOAuth oauth) {
        this.clients = new GoogleCalendarClients(rootUrl, timeout, oauth);
    }

    @Override
    public Calendar makeClient(String clientId, String clientSecret, Collection<String> scopes, String applicationName,
                               String refreshToken, String accessToken, String emailAddress, String p12FileName,
                               String user) {
        return clients.calendar(applicationName);
    }

    @Override
    public Calendar makeClient(CamelContext camelContext, String serviceAccountKey, Collection<String> scopes,
                               String applicationName, String delegate) {
        return clients.calendar(applicationName);
    }

    public String rootUrl() {
        return clients.rootUrl();
    }
}
