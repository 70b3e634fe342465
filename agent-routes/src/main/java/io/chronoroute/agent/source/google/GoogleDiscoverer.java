package io.chronoroute.agent.source.google;

import com.google.api.services.calendar.Calendar;
import com.google.api.services.calendar.model.CalendarListEntry;
import com.google.api.services.calendar.model.Events;
import io.chronoroute.agent.discover.DiscoverCommand;
import io.chronoroute.providers.common.DestinationException;
import io.chronoroute.providers.google.GoogleCalendarClients;
import io.chronoroute.providers.google.GoogleErrorClassifier;
import io.chronoroute.providers.google.GoogleOAuth;

import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * {@code discover google}: with an OAuth client and a refresh token (both secrets read from environment variables
 * whose names are given, never from the command line), lists the account's calendars (id, name, access role, event
 * count) and, with {@code --write-route FILE}, writes the YAML source file instantiating {@code google-source} with
 * the secrets as {@code {{VARIABLE}}} placeholders.
 */
public final class GoogleDiscoverer implements DiscoverCommand.Discoverer {

    static final String USAGE = """
            discover google --client-id ID [--client-secret-env VAR] [--refresh-token-env VAR]
                            [--calendars ID,ID|*] [--source-name NAME] [--allow-event-updates]
                            [--write-route FILE] [--root-url URL] [--token-uri URL]
              The client secret and the refresh token are read from the environment variables named
              (default CHRONOROUTE_GOOGLE_CLIENT_SECRET, CHRONOROUTE_GOOGLE_REFRESH_TOKEN) and written into
              the route file as {{VAR}} placeholders, never as values.""";

    @Override
    public int run(String[] args, Map<String, String> env, PrintStream out, PrintStream err) {
        Map<String, String> o = new HashMap<>();
        o.put("client-secret-env", "CHRONOROUTE_GOOGLE_CLIENT_SECRET");
        o.put("refresh-token-env", "CHRONOROUTE_GOOGLE_REFRESH_TOKEN");
        o.put("source-name", "google");
        o.put("calendars", "primary");
        for (int i = 0; i < args.length; i++) {
            String a = args[i];
            if (a.equals("--help")) {
                out.println(USAGE);
                return 0;
            }
            if (a.equals("--allow-event-updates")) {
                o.put("allow-event-updates", "true");
                continue;
            }
            if (!a.startsWith("--") || i + 1 >= args.length) {
                err.println("unknown or incomplete option '" + a + "'\n" + USAGE);
                return 2;
            }
            o.put(a.substring(2), args[++i]);
        }
        String secret = env.get(o.get("client-secret-env"));
        String refresh = env.get(o.get("refresh-token-env"));
        if (o.get("client-id") == null || secret == null || secret.isBlank() || refresh == null || refresh.isBlank()) {
            err.println("need --client-id and the environment variables " + o.get("client-secret-env") + " and "
                    + o.get("refresh-token-env") + "\n" + USAGE);
            return 2;
        }
        GoogleSourceSettings s;
        try {
            s = GoogleSourceSettings.of(o.get("source-name"), o.get("client-id"), secret, refresh, o.get("calendars"),
                    null, o.containsKey("allow-event-updates"), o.get("root-url"), o.get("token-uri"), null, null);
        } catch (IllegalArgumentException e) {
            err.println(e.getMessage());
            return 2;
        }
        GoogleOAuth oauth = new GoogleOAuth(s.oauth(), s::refreshToken, Clock.systemUTC());
        Calendar api = new GoogleCalendarClients(s.rootUrl(), s.timeout(), oauth).calendar("chronoroute-discover");
        List<CalendarListEntry> calendars = new ArrayList<>();
        try {
            String page = null;
            do {
                var list = api.calendarList().list().setPageToken(page).execute();
                if (list.getItems() != null) {
                    calendars.addAll(list.getItems());
                }
                page = list.getNextPageToken();
            } while (page != null);
            for (CalendarListEntry c : calendars) {
                out.printf("%s  \"%s\"  %s%s  %d event(s)%n", c.getId(), c.getSummary(), c.getAccessRole(),
                        Boolean.TRUE.equals(c.getPrimary()) ? " (primary)" : "", count(api, c.getId()));
            }
        } catch (IOException | RuntimeException e) {
            DestinationException d = new GoogleErrorClassifier().classify(e);
            err.println("Google answered: " + d.getMessage());
            return 1;
        }
        String file = o.get("write-route");
        if (file != null) {
            try {
                Files.writeString(Path.of(file), routeYaml(s, o.get("client-secret-env"), o.get("refresh-token-env")),
                        StandardCharsets.UTF_8);
            } catch (IOException e) {
                err.println("cannot write " + file + ": " + e.getMessage());
                return 1;
            }
            out.println("wrote " + file);
        }
        return 0;
    }

    /** The calendar's events (series count once; deleted ones not counted). */
    private static long count(Calendar api, String calendarId) throws IOException {
        long n = 0;
        String page = null;
        do {
            Events e = api.events().list(calendarId).setSingleEvents(false).setShowDeleted(false).setMaxResults(2500)
                    .setPageToken(page).execute();
            n += e.getItems() == null ? 0 : e.getItems().size();
            page = e.getNextPageToken();
        } while (page != null);
        return n;
    }

    /** The source file: secrets as placeholders of the variables they were read from. */
    static String routeYaml(GoogleSourceSettings s, String secretEnv, String refreshEnv) {
        StringBuilder b = new StringBuilder("# Generated by `discover google --write-route`. Instantiates the route "
                + "template google-source;\n# the secrets come from the environment variables " + secretEnv + " and "
                + refreshEnv + ".\n")
                .append("- templatedRoute:\n    routeTemplateRef: google-source\n")
                .append("    routeId: ").append(quote("agent-poll-google-" + s.source())).append('\n')
                .append("    parameters:\n");
        param(b, "sourceName", s.source());
        param(b, "clientId", s.clientId());
        param(b, "clientSecret", "{{" + secretEnv + "}}");
        param(b, "refreshToken", "{{" + refreshEnv + "}}");
        param(b, "calendars", String.join(",", s.calendars()));
        param(b, "allowEventUpdates", String.valueOf(s.allowEventUpdates()));
        if (!GoogleSourceSettings.DEFAULT_ROOT_URL.equals(s.rootUrl())) {
            param(b, "rootUrl", s.rootUrl());
        }
        if (!GoogleSourceSettings.DEFAULT_TOKEN_URI.equals(s.tokenUri())) {
            param(b, "tokenUri", s.tokenUri());
        }
        return b.toString();
    }

    private static void param(StringBuilder b, String name, String value) {
        b.append("      - name: ").append(name).append("\n        value: ").append(quote(value)).append('\n');
    }

    private static String quote(String s) {
        StringBuilder b = new StringBuilder("\"");
        for (char c : s.toCharArray()) {
            switch (c) {
                case '"' -> b.append("\\\"");
                case '\\' -> b.append("\\\\");
                case '\n' -> b.append("\\n");
                default -> b.append(c < 0x20 ? String.format("\\x%02X", (int) c) : String.valueOf(c));
            }
        }
        return b.append('"').toString();
    }
}
