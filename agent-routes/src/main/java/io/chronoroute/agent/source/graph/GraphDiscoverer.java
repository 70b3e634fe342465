package io.chronoroute.agent.source.graph;

import com.fasterxml.jackson.databind.JsonNode;
import io.chronoroute.agent.discover.DiscoverCommand;
import io.chronoroute.providers.common.Sleeper;
import io.chronoroute.providers.graph.GraphAuth;
import io.chronoroute.providers.graph.GraphClient;
import io.chronoroute.providers.graph.GraphErrorClassifier;

import java.io.IOException;
import java.io.PrintStream;
import java.net.http.HttpClient;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.HashMap;
import java.util.Map;
import java.util.Optional;

/**
 * {@code discover graph}: lists the calendars of a Microsoft 365 mailbox (id, name, whether it is the default, event
 * count) and, with {@code --write-route FILE}, writes the YAML source file instantiating {@code graph-source} with the
 * secrets as {@code {{VARIABLE}}} placeholders. App-only: the client secret is read from the environment variable
 * named by {@code --client-secret-env}. Delegated: {@code --device-code} runs the device code sign-in (the user opens
 * the URL shown and enters the code) and writes the refresh token it obtains into {@code --refresh-token-file}
 * (mode 600), never to the terminal; otherwise the refresh token is read from {@code --refresh-token-env}.
 */
public final class GraphDiscoverer implements DiscoverCommand.Discoverer {

    static final String USAGE = """
            discover graph --tenant TENANT --client-id ID
                           (--mailbox UPN [--client-secret-env VAR]            app-only
                            | --device-code --refresh-token-file FILE          sign a user in
                            | [--refresh-token-env VAR])                       a user's refresh token
                           [--calendars default|*|ID,ID] [--source-name NAME] [--allow-event-updates]
                           [--write-route FILE] [--graph-url URL] [--authority-url URL]
              Secrets are read from the environment variables named (default CHRONOROUTE_GRAPH_CLIENT_SECRET,
              CHRONOROUTE_GRAPH_REFRESH_TOKEN) and written into the route file as {{VAR}} placeholders, never as
              values.""";

    private final Sleeper sleeper;

    public GraphDiscoverer() {
        this(Sleeper.SYSTEM);
    }

    GraphDiscoverer(Sleeper sleeper) {
        this.sleeper = sleeper;
    }

    @Override
    public int run(String[] args, Map<String, String> env, PrintStream out, PrintStream err) {
        Map<String, String> o = new HashMap<>();
        o.put("client-secret-env", "CHRONOROUTE_GRAPH_CLIENT_SECRET");
        o.put("refresh-token-env", "CHRONOROUTE_GRAPH_REFRESH_TOKEN");
        o.put("source-name", "m365");
        o.put("calendars", "default");
        for (int i = 0; i < args.length; i++) {
            String a = args[i];
            if (a.equals("--help")) {
                out.println(USAGE);
                return 0;
            }
            if (a.equals("--allow-event-updates") || a.equals("--device-code")) {
                o.put(a.substring(2), "true");
                continue;
            }
            if (!a.startsWith("--") || i + 1 >= args.length) {
                err.println("unknown or incomplete option '" + a + "'\n" + USAGE);
                return 2;
            }
            o.put(a.substring(2), args[++i]);
        }
        if (o.get("tenant") == null || o.get("client-id") == null) {
            err.println("need --tenant and --client-id\n" + USAGE);
            return 2;
        }
        HttpClient http = HttpClient.newHttpClient();
        Duration timeout = Duration.ofSeconds(30);
        String authority = o.getOrDefault("authority-url", GraphAuth.DEFAULT_AUTHORITY);
        String secret = null;
        String refresh = null;
        boolean appOnly = o.containsKey("mailbox") && !o.containsKey("device-code");
        try {
            if (o.containsKey("device-code")) {
                if (o.get("refresh-token-file") == null) {
                    err.println("--device-code needs --refresh-token-file\n" + USAGE);
                    return 2;
                }
                refresh = deviceCode(http, authority, o, timeout, out);
                if (refresh == null) {
                    err.println("the sign-in was not completed in time");
                    return 1;
                }
                Path file = Path.of(o.get("refresh-token-file"));
                Files.writeString(file, refresh + "\n", StandardCharsets.UTF_8, StandardOpenOption.CREATE,
                        StandardOpenOption.TRUNCATE_EXISTING, StandardOpenOption.WRITE);
                try {
                    Files.setPosixFilePermissions(file, PosixFilePermissions.fromString("rw-------"));
                } catch (UnsupportedOperationException ignored) {
                    // not a POSIX file system: the file keeps the directory's permissions
                }
                out.println("refresh token written to " + file + "; put it into the environment variable "
                        + o.get("refresh-token-env") + " of the agent");
            } else if (appOnly) {
                secret = env.get(o.get("client-secret-env"));
            } else {
                refresh = env.get(o.get("refresh-token-env"));
            }
        } catch (IOException e) {
            err.println("the sign-in failed: " + e.getMessage());
            return 1;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return 1;
        }
        GraphSourceSettings s;
        try {
            s = GraphSourceSettings.of(o.get("source-name"), o.get("tenant"), o.get("client-id"), secret, refresh,
                    o.get("mailbox"), o.get("calendars"), null, o.containsKey("allow-event-updates"),
                    o.get("graph-url"), authority, null, null);
        } catch (IllegalArgumentException e) {
            err.println(e.getMessage() + "\n" + USAGE);
            return 2;
        }
        GraphClient client = new GraphClient(http, new GraphAuth(http, s.authorityUrl(), s.tenant(), s.clientId(),
                s.clientSecret(), s.refreshToken(), Clock.systemUTC(), s.timeout()), s.graphUrl(), s.timeout(),
                w -> { }, GraphClient.defaultBackoff(), sleeper);
        try {
            for (JsonNode c : client.list(s.mailboxPath() + "/calendars")) {
                String id = c.path("id").asText();
                long n = client.list(s.mailboxPath() + "/calendars/" + GraphClient.seg(id) + "/events?$select=id"
                        + "&$top=1000").size();
                out.printf("%s  \"%s\"%s  %d event(s)%n", id, c.path("name").asText(),
                        c.path("isDefaultCalendar").asBoolean() ? " (default)" : "", n);
            }
        } catch (RuntimeException e) {
            err.println("Microsoft Graph answered: " + new GraphErrorClassifier().classify(e).getMessage());
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

    private String deviceCode(HttpClient http, String authority, Map<String, String> o, Duration timeout,
                              PrintStream out) throws IOException, InterruptedException {
        GraphAuth.DeviceCode dc = GraphAuth.startDeviceCode(http, authority, o.get("tenant"), o.get("client-id"),
                timeout);
        out.println(dc.message());
        Instant until = Instant.now().plus(dc.expiresIn());
        while (Instant.now().isBefore(until)) {
            Optional<GraphAuth.Tokens> t = GraphAuth.pollDeviceCode(http, authority, o.get("tenant"),
                    o.get("client-id"), dc, timeout);
            if (t.isPresent()) {
                return t.get().refreshToken();
            }
            sleeper.sleep(dc.interval());
        }
        return null;
    }

    /** The source file: secrets as placeholders of the variables they were read from. */
    static String routeYaml(GraphSourceSettings s, String secretEnv, String refreshEnv) {
        StringBuilder b = new StringBuilder("# Generated by `discover graph --write-route`. Instantiates the route "
                + "template graph-source;\n# the secret comes from the environment variable "
                + (s.refreshToken() != null ? refreshEnv : secretEnv) + ".\n")
                .append("- templatedRoute:\n    routeTemplateRef: graph-source\n")
                .append("    routeId: \"agent-poll-graph-").append(s.source()).append("\"\n")
                .append("    parameters:\n");
        param(b, "sourceName", s.source());
        param(b, "tenant", s.tenant());
        param(b, "clientId", s.clientId());
        if (s.refreshToken() != null) {
            param(b, "refreshToken", "{{" + refreshEnv + "}}");
        } else {
            param(b, "clientSecret", "{{" + secretEnv + "}}");
        }
        if (s.mailbox() != null) {
            param(b, "mailbox", s.mailbox());
        }
        param(b, "calendars", String.join(",", s.calendars()));
        param(b, "allowEventUpdates", String.valueOf(s.allowEventUpdates()));
        if (!GraphSourceSettings.DEFAULT_GRAPH_URL.equals(s.graphUrl())) {
            param(b, "graphUrl", s.graphUrl());
        }
        if (!GraphAuth.DEFAULT_AUTHORITY.equals(s.authorityUrl())) {
            param(b, "authorityUrl", s.authorityUrl());
        }
        return b.toString();
    }

    private static void param(StringBuilder b, String name, String value) {
        b.append("      - name: ").append(name).append("\n        value: \"")
                .append(value.replace("\\", "\\\\").replace("\"", "\\\"")).append("\"\n");
    }
}
