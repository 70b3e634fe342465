package io.chronoroute.master.destination.google;

import com.google.api.services.calendar.Calendar;
import com.google.api.services.calendar.model.CalendarList;
import com.google.api.services.calendar.model.CalendarListEntry;
import io.chronoroute.providers.google.GoogleOAuth;
import org.apache.camel.CamelContext;
import org.apache.camel.CamelExecutionException;
import org.apache.camel.ProducerTemplate;
import org.apache.camel.component.google.calendar.GoogleCalendarComponent;
import org.apache.camel.component.google.calendar.GoogleCalendarConfiguration;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * One Google account reached through Camel: a dedicated {@code google-calendar} component instance registered as
 * {@code google-calendar-<destination>} (the component caches one client, so each account needs its own
 * instance), wired to a {@link ChronorouteGoogleClientFactory}, and a {@link ProducerTemplate}. Calls go to
 * {@code google-calendar-<destination>://events/insert|update|delete|get|list} and {@code list/list} (the account's calendar list), every
 * argument as a {@code CamelGoogleCalendar.<name>} header so the endpoint URIs stay constant (one endpoint per
 * method). Batch requests, which the component does not offer, go through the component's own client
 * ({@link #client()}).
 */
public final class GoogleAccount implements AutoCloseable {

    private static final String HEADER = "CamelGoogleCalendar.";

    private final CamelContext camel;
    private final String scheme;
    private final GoogleOAuth oauth;
    private final ProducerTemplate template;
    private final GoogleCalendarComponent component;
    private final GoogleCalendarConfiguration configuration;

    public GoogleAccount(CamelContext camel, String destination, String clientId, ChronorouteGoogleClientFactory factory,
                         GoogleOAuth oauth) {
        this.camel = camel;
        this.scheme = "google-calendar-" + destination;
        this.oauth = oauth;
        GoogleCalendarConfiguration conf = new GoogleCalendarConfiguration();
        conf.setApplicationName("chronoroute");
        // Camel calls the client factory only when both are non-blank; the factory ignores them (the OAuth client
        // and its secret live in GoogleOAuth), so the real secret never sits in a component/endpoint configuration.
        conf.setClientId(clientId == null || clientId.isBlank() ? "chronoroute" : clientId);
        conf.setClientSecret("see-ChronorouteGoogleClientFactory");
        GoogleCalendarComponent component = new GoogleCalendarComponent(camel);
        component.setConfiguration(conf);
        component.setClientFactory(factory);
        unregister();
        camel.addComponent(scheme, component);
        this.component = component;
        this.configuration = conf;
        this.template = camel.createProducerTemplate();
    }

    public GoogleOAuth oauth() {
        return oauth;
    }

    /** Calls {@code <api>/<method>} with the given arguments; unwraps Camel's wrappers to the Google exception. */
    public Object call(String apiAndMethod, Map<String, Object> args) throws Exception {
        Map<String, Object> headers = new HashMap<>();
        args.forEach((k, v) -> {
            if (v != null) {
                headers.put(HEADER + k, v);
            }
        });
        try {
            return template.requestBodyAndHeaders(scheme + "://" + apiAndMethod, null, headers);
        } catch (CamelExecutionException e) {
            Throwable c = e.getCause();
            while (c instanceof org.apache.camel.RuntimeCamelException && c.getCause() != null) {
                c = c.getCause();
            }
            if (c instanceof Exception ex) {
                throw ex;
            }
            throw e;
        }
    }

    /**
     * The {@link Calendar} client the component's endpoints use (created on first use by the client factory, then
     * cached by the component), for what camel-google-calendar has no endpoint for: batch requests.
     */
    public Calendar client() {
        return component.getClient(configuration);
    }

    /** The account's calendars (id, summary, access role, primary) for the setup UI. */
    public List<Map<String, Object>> calendars() throws Exception {
        List<Map<String, Object>> out = new ArrayList<>();
        String page = null;
        do {
            Map<String, Object> args = new HashMap<>();
            args.put("pageToken", page);
            CalendarList list = (CalendarList) call("list/list", args); // the component names CalendarList "list"
            if (list.getItems() != null) {
                for (CalendarListEntry c : list.getItems()) {
                    Map<String, Object> m = new HashMap<>();
                    m.put("id", c.getId());
                    m.put("summary", c.getSummary());
                    m.put("access_role", c.getAccessRole());
                    m.put("primary", Boolean.TRUE.equals(c.getPrimary()));
                    out.add(m);
                }
            }
            page = list.getNextPageToken();
        } while (page != null);
        return out;
    }

    @Override
    public void close() {
        try {
            template.stop();
        } catch (RuntimeException ignored) {
            // closing anyway
        }
        unregister();
    }

    private void unregister() {
        try {
            camel.removeEndpoints(scheme + "://*");
        } catch (Exception e) {
            throw new IllegalStateException("cannot remove the endpoints of " + scheme, e);
        }
        camel.removeComponent(scheme);
    }
}
