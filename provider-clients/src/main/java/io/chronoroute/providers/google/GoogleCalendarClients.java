package io.chronoroute.providers.google;

import com.google.api.client.http.HttpRequestInitializer;
import com.google.api.client.http.javanet.NetHttpTransport;
import com.google.api.client.json.gson.GsonFactory;
import com.google.api.services.calendar.Calendar;

import java.time.Duration;

/**
 * Google Calendar API clients on a configurable root URL (tests and proxies point it elsewhere), authorised by
 * {@link GoogleOAuth} (refresh on 401, once). The client itself never retries: the caller's backoff does, with an
 * injectable sleeper. Plain google-api-client, no framework: the master's Camel client factory delegates here.
 */
public final class GoogleCalendarClients {

    private final String rootUrl;
    private final Duration timeout;
    private final GoogleOAuth oauth;
    private final NetHttpTransport transport = new NetHttpTransport();

    public GoogleCalendarClients(String rootUrl, Duration timeout, GoogleOAuth oauth) {
        this.rootUrl = rootUrl.endsWith("/") ? rootUrl : rootUrl + "/";
        this.timeout = timeout;
        this.oauth = oauth;
    }

    /** A client for {@code calendar/v3/} under the root URL; {@code applicationName} null = "chronoroute". */
    public Calendar calendar(String applicationName) {
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
