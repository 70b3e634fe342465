package io.chronoroute.agent.source.outlook;

import io.chronoroute.agent.discover.DiscoverCommand;

import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.DateTimeException;
import java.time.ZoneId;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * {@code discover outlook [--calendars "Name,\\Store\Path"|*] [--write-route FILE] [--source-name N]
 * [--allow-event-updates] [--time-zone ZONE] [--interval MS]}: the agent's counterpart of the seed's
 * {@code list_outlook_calendars.py}. Connects to Outlook for Windows through COM, lists every calendar folder of the
 * profile (name, item count, folder path, EntryID; the default calendar marked) and, with {@code --write-route}, writes
 * the YAML source file instantiating {@code outlook-source}. Outlook holds the credentials: nothing secret is asked
 * or written. On another OS it fails with "Outlook for Windows source needs Windows with Outlook installed".
 */
public final class OutlookDiscoverer implements DiscoverCommand.Discoverer {

    static final String USAGE = "usage: discover outlook [--calendars \"Name,\\\\Store\\Folder\"|*] "
            + "[--write-route FILE] [--source-name N] [--allow-event-updates] [--time-zone ZONE] [--interval MS]";

    private final OutlookWindowsSource.Sessions sessions;

    public OutlookDiscoverer() {
        this(ComOutlookSession::open);
    }

    OutlookDiscoverer(OutlookWindowsSource.Sessions sessions) {
        this.sessions = sessions;
    }

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
        if (o.containsKey("--interval") && !o.get("--interval").strip().matches("\\d{1,12}")) {
            err.println("--interval is a number of milliseconds");
            return 2;
        }
        if (o.containsKey("--time-zone")) {
            try {
                ZoneId.of(o.get("--time-zone").strip());
            } catch (DateTimeException e) {
                err.println("--time-zone is an IANA zone such as Europe/Berlin");
                return 2;
            }
        }
        List<OutlookSession.Folder> calendars;
        try (OutlookSession session = sessions.open()) {
            calendars = session.calendars();
        } catch (OutlookException e) {
            err.println(e.getMessage());
            return 1;
        }
        out.printf(Locale.ROOT, "%-32s %8s  %s%n", "calendar", "items", "path");
        for (OutlookSession.Folder f : calendars) {
            out.printf(Locale.ROOT, "%-32s %8d  %s%s%n", f.name(), f.itemCount(), f.path(),
                    f.isDefault() ? "  (default)" : "");
            out.println("    EntryID " + f.entryId());
        }
        out.println(calendars.size() + " calendar(s)");
        String wanted = o.get("--calendars");
        if (wanted != null && !"*".equals(wanted.strip())) {
            for (String n : wanted.split(",")) {
                String name = n.strip();
                if (!name.isEmpty() && calendars.stream().noneMatch(f -> f.name().equalsIgnoreCase(name)
                        || f.path().equalsIgnoreCase(name) || f.entryId().equalsIgnoreCase(name))) {
                    err.println("no calendar named '" + name + "' in this Outlook profile");
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
                Files.writeString(file, yaml(o.getOrDefault("--source-name", "outlook"), wanted,
                        o.get("--time-zone"), o.containsKey("--allow-event-updates"), o.get("--interval")),
                        StandardCharsets.UTF_8);
            } catch (IOException e) {
                err.println("cannot write " + file + ": " + e.getMessage());
                return 1;
            }
            out.println("wrote " + file);
        }
        return 0;
    }

    /** The source file: a templatedRoute of outlook-source. */
    static String yaml(String source, String calendars, String timeZone, boolean allowEventUpdates,
                       String interval) {
        StringBuilder y = new StringBuilder();
        y.append("# Generated by `discover outlook --write-route`. Instantiates the route template outlook-source\n")
                .append("# (Outlook for Windows through COM; the agent must run on this Windows PC, as the user\n")
                .append("# whose Outlook profile holds the calendars).\n")
                .append("- templatedRoute:\n")
                .append("    routeTemplateRef: outlook-source\n")
                .append("    routeId: ").append(quote("agent-poll-outlook-" + source)).append('\n')
                .append("    parameters:\n");
        param(y, "sourceName", source);
        if (calendars != null && !calendars.isBlank()) {
            param(y, "calendars", calendars.strip());
        }
        if (timeZone != null && !timeZone.isBlank()) {
            param(y, "timeZone", timeZone.strip());
        }
        param(y, "allowEventUpdates", String.valueOf(allowEventUpdates));
        if (interval != null) {
            param(y, "interval", String.valueOf(Long.parseLong(interval.strip())));
        }
        return y.toString();
    }

    private static void param(StringBuilder y, String name, String value) {
        y.append("      - name: ").append(name).append('\n').append("        value: ").append(quote(value))
                .append('\n');
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
