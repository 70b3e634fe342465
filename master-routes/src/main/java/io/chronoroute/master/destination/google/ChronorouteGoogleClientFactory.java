package io.chronoroute.master.destination.google;

import com.google.api.client.http.HttpRequestInitializer;
import com.google.api.client.http.javanet.NetHttpTransport;
import com.google.api.client.json.gson.GsonFactory;
import com.google.api.services.calendar.Calendar;
import org.apache.camel.CamelContext;
import org.apache.camel.component.google.calendar.GoogleCalendarClientFactory;

import java.time.Duration;
import java.util.Collection;

/**
 * The {@link GoogleCalendarClientFactory} of one destination: a {@link Calendar} client on a configurable root URL
 * (camel-google-calendar 4.17 has no root-URL option; stack.md), authorised by {@link GoogleOAuth} (refresh on 401,
 * once). The client itself never retries: the sync's backoff does, with an injectable sleeper. Camel calls this
 * factory only when the component's clientId and clientSecret are non-blank; the values it passes are ignored here
 * (credentials live in {@link GoogleOAuth}).
 */
public final class ChronorouteGoogleClientFactory implements GoogleCalendarClientFactory {

    private final String rootUrl;
    private final Duration timeout;
    private final GoogleOAuth oauth;
    private final NetHttpTransport transport = new NetHttpTransport();

    public ChronorouteGoogleClientFactory(String rootUrl, Duration timeout, GoogleOAuth oauth) {
        this.rootUrl = rootUrl.endsWith("/") ? rootUrl : rootUrl + "/";
        this.timeout = timeout;
        this.oauth = oauth;
    }

    @Override
    public Calendar makeClient(String clientId, String clientSecret, Collection<String> scopes, String applicationName,
                               String refreshToken, String accessToken, String emailAddress, String p12FileName,
                               String user) {
        return build(applicationName);
    }

    @Override
    public Calendar makeClient(CamelContext camelContext, String serviceAccountKey, Collection<String> scopes,
                               String applicationName, String delegate) {
        return build(applicationName);
    }

    private Calendar build(String applicationName) {
        int ms = (int) Math.min(Integer.MAX_VALUE, timeout.toMillis());
        HttpRequestInitializer init = request -> {
            request.setConnectTimeout(ms);
            request.setReadTimeout(ms);
            request.setNumberOfRetries(1);
            request.getHeaders().setAuthorization("Bearer " + oauth.accessToken());
            boolean[] refreshed = {false};
            request.setUnsuccessfulResponseHandler((req, res, supportsRetry) -> {
                if (res.getStatusCode() == 401 && supportsRetry && !refreshed[0]) {
                    refreshed[0] = true;
                    oauth.invalidate();
                    req.getHeaders().setAuthorization("Bearer " + oauth.accessToken());
                    return true;
                }
                return false;
            });
        };
        return new Calendar.Builder(transport, GsonFactory.getDefaultInstance(), init)
                .setRootUrl(rootUrl)
                .setServicePath("calendar/v3/")
                .setApplicationName(applicationName == null ? "chronoroute" : applicationName)
                .build();
    }

    public String rootUrl() {
        return rootUrl;
    }
}
