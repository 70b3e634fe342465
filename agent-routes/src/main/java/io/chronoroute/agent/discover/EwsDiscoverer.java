package io.chronoroute.agent.discover;

import io.chronoroute.agent.source.ews.EwsCalendarSource;
import io.chronoroute.providers.ews.EwsClient;
import io.chronoroute.providers.ews.EwsException;
import io.chronoroute.providers.ews.EwsSettings;

import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * {@code discover ews --url URL --user U --password-env VAR [--auth basic|ntlm|bearer] [--domain D]
 * [--token-env VAR] [--calendars "A,B"|*] [--write-route FILE --source-name N] [--allow-event-updates]
 * [--interval MS]}: FindFolder
 * below {@code msgfolderroot} → the mailbox's calendar folders with their names and item counts (TotalCount: single
 * items and series), printed; with {@code --write-route} the YAML source file instantiating {@code ews-source}. The
 * password (or bearer token) is read from the environment variable named, and written into the file as the
 * placeholder {@code {{VAR}}}, never as its value.
 */
public final class EwsDiscoverer implements DiscoverCommand.Discoverer {

    static final String USAGE = "usage: discover ews --url URL [--user U] [--password-env VAR] [--auth basic|ntlm|bearer] "
            + "[--domain D] [--token-env VAR] [--calendars \"Name,Other\"|*] [--write-route FILE --source-name N] "
            + "[--allow-event-updates] [--interval MS]";

    @Override
    public int run(String[] args, Map<String, String> env, PrintStream out, PrintStream err) {
        Map<String, String> o = new LinkedHashMap<>();
        for (int i = 0; i < args.length; i++) {
            String a = args[i];
            if ("--help".equals(a)) {
                out.println(USAGE);
                return 0;
            }
            if ("--allow-event-updates".equals(a)) {
                o.put(a, "true");
                continue;
            }
            if (!a.startsWith("--") || i + 1 >= args.length) {
                err.println(USAGE);
                return 2;
            }
            o.put(a, args[++i]);
        }
        String url = o.get("--url");
        if (url == null || o.containsKey("--write-route") != o.containsKey("--source-name")) {
            err.println(USAGE);
            return 2;
        }
        if (o.containsKey("--interval") && !o.get("--interval").strip().matches("\\d{1,12}")) {
            err.println("--interval is a number of milliseconds");
            return 2;
        }
        String passwordEnv = o.get("--password-env");
        String tokenEnv = o.get("--token-env");
        String password = passwordEnv == null ? null : env.get(passwordEnv);
        String token = tokenEnv == null ? null : env.get(tokenEnv);
        if (passwordEnv != null && password == null || tokenEnv != null && token == null) {
            err.println("the environment variable " + (password == null && passwordEnv != null ? passwordEnv
                    : tokenEnv) + " is not set");
            return 2;
        }
        EwsSettings settings;
        try {
            String auth = o.get("--auth");
            settings = new EwsSettings(url, o.get("--user"), password, token, null, null, null,
                    Duration.ofSeconds(30), auth == null ? null : EwsSettings.Auth.valueOf(auth.toUpperCase(Locale.ROOT)),
                    o.get("--domain"), null);
        } catch (IllegalArgumentException e) {
            err.println(e.getMessage());
            err.println(USAGE);
            return 2;
        }
        List<EwsCalendarSource.FolderInfo> calendars;
        try {
            calendars = EwsCalendarSource.findCalendars(new EwsClient(settings, write -> { }));
        } catch (EwsException e) {
            err.println("EWS at " + url + " answered " + e.code() + (e.httpStatus() == 401
                    ? " (the credentials were refused)" : ""));
            return 1;
        } catch (IOException e) {
            err.println("EWS at " + url + " cannot be reached: " + e.getClass().getSimpleName()
                    + (e.getMessage() == null ? "" : " " + e.getMessage()));
            return 1;
        } catch (Exception e) {
            err.println("EWS at " + url + " gave an answer that cannot be read: " + e.getClass().getSimpleName());
            return 1;
        }
        out.printf(Locale.ROOT, "%-40s %8s%n", "calendar", "items");
        for (EwsCalendarSource.FolderInfo f : calendars) {
            out.printf(Locale.ROOT, "%-40s %8s%n", f.name(), f.totalCount() < 0 ? "?" : String.valueOf(f.totalCount()));
        }
        out.println(calendars.size() + " calendar(s)");
        String wanted = o.get("--calendars");
        if (wanted != null && !"*".equals(wanted.strip())) {
            for (String n : wanted.split(",")) {
                if (!n.isBlank() && calendars.stream().noneMatch(f -> f.name().equalsIgnoreCase(n.strip()))) {
                    err.println("no calendar named '" + n.strip() + "' in this mailbox");
                    return 1;
                }
            }
        }
        if (o.containsKey("--write-route")) {
            Path file = Path.of(o.get("--write-route"));
            try {
                Path parent = file.toAbsolutePath().getParent();
                if (parent != null) {
                    Files.createDirectories(parent);
                }
                Files.writeString(file, yaml(o.get("--source-name"), settings, url, passwordEnv, tokenEnv, wanted,
                        o.containsKey("--allow-event-updates"), o.get("--interval")), StandardCharsets.UTF_8);
            } catch (IOException e) {
                err.println("cannot write " + file + ": " + e.getMessage());
                return 1;
            }
            out.println("wrote " + file);
        }
        return 0;
    }

    /** The source file: a templatedRoute of ews-source, secrets as placeholders named after the variables. */
    static String yaml(String source, EwsSettings s, String url, String passwordEnv, String tokenEnv, String calendars,
                       boolean allowEventUpdates, String interval) {
        StringBuilder y = new StringBuilder();
        y.append("# Generated by `discover ews --write-route`. Instantiates the route template ews-source.\n")
                .append("# Secrets are placeholders resolved from the environment when the agent starts.\n")
                .append("- templatedRoute:\n")
                .append("    routeTemplateRef: ews-source\n")
                .append("    routeId: agent-poll-ews-").append(source).append('\n')
                .append("    parameters:\n");
        param(y, "sourceName", source);
        param(y, "url", url);
        param(y, "auth", s.auth().name().toLowerCase(Locale.ROOT));
        if (s.username() != null) {
            param(y, "username", s.username());
        }
        if (passwordEnv != null) {
            param(y, "password", "{{" + passwordEnv + "}}");
        }
        if (tokenEnv != null) {
            param(y, "bearerToken", "{{" + tokenEnv + "}}");
        }
        if (s.domain() != null) {
            param(y, "domain", s.domain());
        }
        if (calendars != null && !calendars.isBlank()) {
            param(y, "calendars", calendars.strip());
        }
        param(y, "allowEventUpdates", String.valueOf(allowEventUpdates));
        if (interval != null) {
            param(y, "interval", String.valueOf(Long.parseLong(interval.strip())));
        }
        return y.toString();
    }

    private static void param(StringBuilder y, String name, String value) {
        y.append("      - name: ").append(name).append('\n').append("        value: \"")
                .append(value.replace("\\", "\\\\").replace("\"", "\\\"")).append("\"\n");
    }
}
