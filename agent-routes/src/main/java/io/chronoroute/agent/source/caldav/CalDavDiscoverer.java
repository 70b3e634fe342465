package io.chronoroute.agent.source.caldav;

import io.chronoroute.agent.discover.DiscoverCommand;
import io.chronoroute.providers.caldav.CalDavClient;

import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * {@code discover caldav --url URL [--user U] [--password-env VAR] [--calendars a,b] [--write-route FILE]
 * [--source-name N] [--allow-event-updates]}: the same discovery as the source ({@link CalDavDiscovery}), then each
 * calendar holding events with its name, colour, path and event count (a calendar-query without data), and, with
 * {@code --write-route}, the YAML file instantiating {@code caldav-source}. The password is read from the environment
 * variable named by {@code --password-env} and written into the YAML only as {@code {{VAR}}}.
 */
public final class CalDavDiscoverer implements DiscoverCommand.Discoverer {

    @Override
    public int run(String[] args, Map<String, String> env, PrintStream out, PrintStream err) {
        Map<String, String> opts = new LinkedHashMap<>();
        for (int i = 0; i < args.length; i++) {
            String a = args[i];
            if (a.equals("--help")) {
                out.println(usage());
                return 0;
            }
            if (a.equals("--allow-event-updates")) {
                opts.put(a, "true");
                continue;
            }
            if (!List.of("--url", "--user", "--password-env", "--calendars", "--write-route", "--source-name")
                    .contains(a) || i + 1 >= args.length) {
                err.println("unknown or incomplete option " + a + "\n" + usage());
                return 2;
            }
            opts.put(a, args[++i]);
        }
        String url = opts.get("--url");
        if (url == null) {
            err.println("--url is required\n" + usage());
            return 2;
        }
        String var = opts.get("--password-env");
        String password = null;
        if (var != null) {
            password = env.get(var);
            if (password == null || password.isEmpty()) {
                err.println("environment variable " + var + " (--password-env) is not set");
                return 2;
            }
        }
        String sourceName = opts.getOrDefault("--source-name", "caldav");
        CalDavCalendarSource.Settings settings;
        try {
            settings = CalDavCalendarSource.settings(sourceName, url, opts.get("--user"), password,
                    opts.get("--calendars"), null, false, "auto", Duration.ofSeconds(30).toMillis());
        } catch (IllegalArgumentException e) {
            err.println(e.getMessage());
            return 2;
        }
        List<CalDavClient.CalendarInfo> calendars = new ArrayList<>();
        List<Integer> counts = new ArrayList<>();
        CalDavDiscovery.Listing listing;
        try {
            CalDavClient root = CalDavDiscovery.client(settings, settings.url());
            listing = CalDavDiscovery.listing(root, settings.url());
            for (CalDavClient.CalendarInfo c : listing.list(root)) {
                if (!c.holdsEvents() || (!settings.calendars().isEmpty() && settings.calendars().stream()
                        .noneMatch(w -> w.equals(c.displayName()) || w.equals(CalDavDiscovery.segment(c.href()))))) {
                    continue;
                }
                calendars.add(c);
                counts.add(CalDavDiscovery.client(settings, listing.origin() + c.href()).eventHrefs().entries().size());
            }
        } catch (Exception e) {
            err.println("cannot discover the calendars at " + settings.url() + ": " + CalDavCalendarSource.describe(e));
            return 1;
        }
        out.println((listing.single() ? "Calendar collection " : "Calendars of ") + listing.url() + ":");
        out.printf(Locale.ROOT, "  %-30s %8s  %-10s %s%n", "NAME", "EVENTS", "COLOR", "PATH");
        for (int i = 0; i < calendars.size(); i++) {
            CalDavClient.CalendarInfo c = calendars.get(i);
            out.printf(Locale.ROOT, "  %-30s %8d  %-10s %s%n", c.displayName() == null ? CalDavDiscovery.segment(c.href())
                    : c.displayName(), counts.get(i), c.color() == null ? "-" : c.color(), c.href());
        }
        if (calendars.isEmpty()) {
            out.println("  (no calendar holding events)");
        }
        String file = opts.get("--write-route");
        if (file != null) {
            try {
                Path p = Path.of(file);
                if (p.toAbsolutePath().getParent() != null) {
                    Files.createDirectories(p.toAbsolutePath().getParent());
                }
                Files.writeString(p, yaml(settings, var, opts.containsKey("--allow-event-updates")));
                out.println("Wrote " + p);
            } catch (IOException e) {
                err.println("cannot write " + file + ": " + e.getMessage());
                return 1;
            }
        }
        return 0;
    }

    /** The source file: the template's parameters; the password only as a placeholder. */
    static String yaml(CalDavCalendarSource.Settings s, String passwordVar, boolean allowEventUpdates) {
        StringBuilder b = new StringBuilder("# Generated by `discover caldav --write-route`. Instantiates the route "
                + "template caldav-source.\n- templatedRoute:\n    routeTemplateRef: caldav-source\n    routeId: "
                + quote("agent-poll-caldav-" + s.source()) + "\n    parameters:\n");
        param(b, "sourceName", s.source());
        param(b, "url", s.url());
        if (s.username() != null) {
            param(b, "username", s.username());
        }
        if (passwordVar != null) {
            param(b, "password", "{{" + passwordVar + "}}");
        }
        if (!s.calendars().isEmpty()) {
            param(b, "calendars", String.join(",", s.calendars()));
        }
        param(b, "allowEventUpdates", String.valueOf(allowEventUpdates));
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
                case '\t' -> b.append("\\t");
                default -> b.append(c < 0x20 ? String.format("\\x%02X", (int) c) : String.valueOf(c));
            }
        }
        return b.append('"').toString();
    }

    private static String usage() {
        return "usage: discover caldav --url URL [--user USER] [--password-env VAR] [--calendars NAME,NAME] "
                + "[--write-route FILE] [--source-name NAME] [--allow-event-updates]\n"
                + "  URL: a calendar collection, or the account's DAV URL (iCloud https://caldav.icloud.com, Nextcloud "
                + "https://HOST/remote.php/dav, SOGo https://HOST/SOGo/dav/USER/, Fastmail https://caldav.fastmail.com/dav/)\n"
                + "  the password is read from the environment variable VAR, and written to the YAML as {{VAR}}";
    }

}
