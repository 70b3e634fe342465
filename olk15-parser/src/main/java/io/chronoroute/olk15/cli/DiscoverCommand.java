package io.chronoroute.olk15.cli;

import io.chronoroute.olk15.Olk15Parser;
import io.chronoroute.olk15.model.Olk15Event;
import io.chronoroute.olk15.sqlite.CalendarEventRow;
import io.chronoroute.olk15.sqlite.CalendarFolder;
import io.chronoroute.olk15.sqlite.OutlookAccount;
import io.chronoroute.olk15.sqlite.OutlookDatabase;
import java.io.IOException;
import java.io.PrintStream;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.SQLException;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.Callable;
import java.util.stream.Stream;
import me.tongfei.progressbar.ConsoleProgressBarConsumer;
import me.tongfei.progressbar.ProgressBar;
import me.tongfei.progressbar.ProgressBarBuilder;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/**
 * Scans an Outlook for Mac {@code Data} folder: accounts and calendars from Outlook.sqlite, and per
 * {@code Events/<n>} directory the number of event files, parse failures and the date range of the decoded
 * events. Optionally writes a YAML source for the {@code outlook-mac-source} route template.
 */
@Command(name = "discover", mixinStandardHelpOptions = true,
        description = "Scan an Outlook for Mac Data folder: accounts, calendars, event counts, date ranges.")
final class DiscoverCommand implements Callable<Integer> {

    /** Above this many files a progress bar is shown on stderr. */
    static final int PROGRESS_THRESHOLD = 200;

    @Parameters(index = "0", paramLabel = "DATA_DIR", description = "the profile's Data folder")
    Path dataDir;

    @Option(names = "--write-route", paramLabel = "FILE", description = "write a YAML route source to FILE")
    Path routeFile;

    @Option(names = "--accounts", split = ",", paramLabel = "a,b",
            description = "accounts for the route (e-mail, name or MailAccountUID as listed)")
    List<String> accounts = new ArrayList<>();

    @Option(names = "--source-name", defaultValue = "outlook-mac", description = "sourceName (default: ${DEFAULT-VALUE})")
    String sourceName;

    @Option(names = "--no-progress", description = "never show a progress bar")
    boolean noProgress;

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    /** Per Events/<n> directory. */
    private static final class DirStats {
        int files;
        int failures;
        Instant first;
        Instant last;
    }

    @Override
    public Integer call() throws IOException {
        PrintWriter out = spec.commandLine().getOut();
        PrintWriter err = spec.commandLine().getErr();
        Path events = dataDir.resolve("Events");
        Path sqlite = dataDir.resolve("Outlook.sqlite");
        if (!Files.isDirectory(dataDir)) {
            err.println("no such folder: " + dataDir);
            return Olk15Cli.EXIT_DATA_ERROR;
        }
        List<OutlookAccount> accountRows = List.of();
        if (Files.isRegularFile(sqlite)) {
            try (OutlookDatabase db = OutlookDatabase.open(sqlite)) {
                accountRows = db.accounts();
                List<CalendarFolder> folders = db.calendarFolders();
                List<CalendarEventRow> rows = db.calendarEvents();
                out.println("Outlook.sqlite: " + sqlite);
                out.println("accounts: " + accountRows.size());
                for (OutlookAccount a : accountRows) {
                    out.println("  " + a.accountUid() + "  " + a.emailAddress() + "  " + a.name() + "  (" + a.table()
                            + ")");
                }
                Map<Integer, Integer> perFolder = new TreeMap<>();
                for (CalendarEventRow r : rows) {
                    if (r.folderId() != null) {
                        perFolder.merge(r.folderId(), 1, Integer::sum);
                    }
                }
                out.println("calendars: " + folders.size());
                for (CalendarFolder f : folders) {
                    out.println("  folder " + f.recordId() + "  \"" + f.name() + "\"  account " + f.accountUid() + "  "
                            + perFolder.getOrDefault(f.recordId(), 0) + " rows");
                }
                out.println("CalendarEvents rows: " + rows.size());
            } catch (SQLException e) {
                err.println("cannot read " + sqlite + ": " + e.getMessage());
            }
        } else {
            out.println("Outlook.sqlite: not found at " + sqlite);
        }
        if (Files.isDirectory(events)) {
            List<Path> files;
            try (Stream<Path> s = Files.walk(events)) {
                files = s.filter(p -> p.getFileName().toString().endsWith(".olk15Event") && Files.isRegularFile(p))
                        .sorted().toList();
            }
            Map<String, DirStats> stats = scan(events, files);
            int total = 0;
            int failed = 0;
            out.println("event directories: " + stats.size());
            for (Map.Entry<String, DirStats> e : stats.entrySet()) {
                DirStats d = e.getValue();
                total += d.files;
                failed += d.failures;
                out.println("  Events/" + e.getKey() + "  " + d.files + " files  " + d.failures + " unreadable  "
                        + (d.first == null ? "no dates" : d.first + " .. " + d.last));
            }
            out.println("event files: " + total + " (" + failed + " unreadable)");
        } else {
            out.println("Events folder: not found at " + events);
        }
        out.flush();
        if (routeFile != null) {
            return writeRoute(events, sqlite, accountRows, err);
        }
        return 0;
    }

    private Map<String, DirStats> scan(Path events, List<Path> files) {
        Map<String, DirStats> stats = new TreeMap<>((a, b) -> {
            boolean na = a.chars().allMatch(Character::isDigit) && !a.isEmpty() && a.length() < 10;
            boolean nb = b.chars().allMatch(Character::isDigit) && !b.isEmpty() && b.length() < 10;
            return na && nb ? Integer.compare(Integer.parseInt(a), Integer.parseInt(b)) : a.compareTo(b);
        });
        ProgressBar bar = null;
        if (!noProgress && files.size() > PROGRESS_THRESHOLD) {
            bar = new ProgressBarBuilder().setTaskName("Scanning").setInitialMax(files.size())
                    .setConsumer(new ConsoleProgressBarConsumer(new PrintStream(System.err, true, StandardCharsets.UTF_8)))
                    .build();
        }
        try {
            for (Path f : files) {
                Path rel = events.relativize(f);
                String dir = rel.getNameCount() > 1 ? rel.getName(0).toString() : ".";
                DirStats d = stats.computeIfAbsent(dir, k -> new DirStats());
                d.files++;
                try {
                    Olk15Event e = Olk15Parser.parse(f);
                    if (e.start() != null && (d.first == null || e.start().isBefore(d.first))) {
                        d.first = e.start();
                    }
                    Instant last = e.end() != null ? e.end() : e.start();
                    if (last != null && (d.last == null || last.isAfter(d.last))) {
                        d.last = last;
                    }
                } catch (IOException ex) {
                    d.failures++;
                }
                if (bar != null) {
                    bar.step();
                }
            }
        } finally {
            if (bar != null) {
                bar.close();
            }
        }
        return stats;
    }

    private int writeRoute(Path events, Path sqlite, List<OutlookAccount> known, PrintWriter err) throws IOException {
        List<String> unknown = new ArrayList<>();
        Map<String, String> chosen = new LinkedHashMap<>();
        for (String a : accounts) {
            String wanted = a.trim();
            if (wanted.isEmpty()) {
                continue;
            }
            boolean found = known.stream().anyMatch(k -> wanted.equalsIgnoreCase(k.emailAddress())
                    || wanted.equals(k.name()) || wanted.equals(String.valueOf(k.accountUid())));
            if (found) {
                chosen.put(wanted, wanted);
            } else {
                unknown.add(wanted);
            }
        }
        if (!unknown.isEmpty()) {
            err.println("unknown account(s): " + String.join(", ", unknown) + " (see the accounts listed above)");
            return Olk15Cli.EXIT_DATA_ERROR;
        }
        if (chosen.isEmpty()) {
            err.println("--write-route needs --accounts a,b (one or more of the accounts listed above)");
            return Olk15Cli.EXIT_DATA_ERROR;
        }
        String yaml = RouteYaml.render(sourceName, events.toAbsolutePath().toString(),
                sqlite.toAbsolutePath().toString(), List.copyOf(chosen.keySet()));
        Path parent = routeFile.toAbsolutePath().getParent();
        if (parent != null) {
            Files.createDirectories(parent);
        }
        Files.writeString(routeFile, yaml, StandardCharsets.UTF_8);
        spec.commandLine().getOut().println("wrote route source " + routeFile);
        spec.commandLine().getOut().flush();
        return 0;
    }
}
