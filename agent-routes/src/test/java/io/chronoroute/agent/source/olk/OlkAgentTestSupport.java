package io.chronoroute.agent.source.olk;

import com.fasterxml.jackson.databind.JsonNode;
import io.chronoroute.agent.FakeMaster;
import io.chronoroute.olk15.Olk15Parser;
import io.chronoroute.olk15.cli.Olk15Cli;
import io.chronoroute.olk15.model.Olk15Event;
import picocli.CommandLine;

import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileVisitResult;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.SimpleFileVisitor;
import java.nio.file.attribute.BasicFileAttributes;
import java.time.OffsetDateTime;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.function.Predicate;
import java.util.stream.Stream;

/** Helpers of the Outlook for Mac agent tests: read-only snapshots, expected vs. received series, the CLI route. */
final class OlkAgentTestSupport {

    private OlkAgentTestSupport() {
    }

    /** Every file and directory under {@code root}: relative path → "size/mtime" (directories: "dir/mtime"). */
    static Map<String, String> snapshot(Path root) {
        Map<String, String> out = new TreeMap<>();
        try {
            Files.walkFileTree(root, new SimpleFileVisitor<>() {
                @Override
                public FileVisitResult preVisitDirectory(Path dir, BasicFileAttributes attrs) {
                    out.put(root.relativize(dir) + "/", "dir/" + attrs.lastModifiedTime().toMillis());
                    return FileVisitResult.CONTINUE;
                }

                @Override
                public FileVisitResult visitFile(Path file, BasicFileAttributes attrs) {
                    out.put(root.relativize(file).toString(), attrs.size() + "/" + attrs.lastModifiedTime().toMillis());
                    return FileVisitResult.CONTINUE;
                }
            });
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return out;
    }

    /**
     * What the agent must send for the event files whose path (relative to Events) passes {@code include}, computed
     * straight from the files: "uid" for masters and single events, "uid|original start" for exceptions (uid = the
     * master's).
     */
    static Set<String> expectedRecords(Path eventsDir, Predicate<String> include) throws IOException {
        Map<Integer, Olk15Event> byRecord = new HashMap<>();
        List<Path> files;
        try (Stream<Path> s = Files.walk(eventsDir)) {
            files = s.filter(p -> p.toString().endsWith(".olk15Event")).toList();
        }
        Map<Path, Olk15Event> parsed = new HashMap<>();
        for (Path f : files) {
            Olk15Event e = Olk15Parser.parse(f);
            parsed.put(f, e);
            byRecord.put(e.recordId(), e);
        }
        Set<String> out = new TreeSet<>();
        parsed.forEach((f, e) -> {
            String rel = eventsDir.relativize(f).toString().replace('\\', '/');
            if (!include.test(rel)) {
                return;
            }
            if (e.masterRecordId() != null) {
                out.add(byRecord.get(e.masterRecordId()).icalUid() + "|" + e.recurrenceId());
            } else {
                out.add(e.icalUid());
            }
        });
        return out;
    }

    /** The same form from what the master holds. */
    static Set<String> receivedRecords(FakeMaster master) {
        Set<String> out = new TreeSet<>();
        for (FakeMaster.Stored s : master.events().values()) {
            JsonNode e = s.event();
            JsonNode rid = e.get("recurrence_id");
            if (rid == null || rid.isNull()) {
                out.add(e.path("uid").asText());
            } else if (rid.has("date")) {
                out.add(e.path("uid").asText() + "|" + rid.path("date").asText());
            } else {
                out.add(e.path("uid").asText() + "|" + OffsetDateTime.parse(rid.path("date_time").asText()).toInstant());
            }
        }
        return out;
    }

    /** Masters (a record with an RRULE) and overrides, checked to form series: every override's UID has a master. */
    static long[] seriesShape(FakeMaster master) {
        Set<String> masterUids = new TreeSet<>();
        long masters = 0;
        long overrides = 0;
        List<JsonNode> all = master.events().values().stream().map(FakeMaster.Stored::event).toList();
        for (JsonNode e : all) {
            if (e.path("rrule").size() > 0 && (e.get("recurrence_id") == null || e.get("recurrence_id").isNull())) {
                masters++;
                masterUids.add(e.path("uid").asText());
            }
        }
        for (JsonNode e : all) {
            if (e.hasNonNull("recurrence_id")) {
                overrides++;
                if (!masterUids.contains(e.path("uid").asText())) {
                    throw new AssertionError("override without a master carrying an RRULE: " + e);
                }
            }
        }
        return new long[] {masters, overrides};
    }

    /**
     * The source file as {@code olk15 discover --write-route} writes it (so its parameter names are tested against
     * the template), plus test timings appended to its parameter list.
     */
    static String cliRoute(Path dataDir, Path target, String sourceName, List<String> accounts, String extraParams) {
        StringWriter out = new StringWriter();
        CommandLine cli = new CommandLine(new Olk15Cli());
        cli.setOut(new PrintWriter(out));
        cli.setErr(new PrintWriter(out));
        int rc = cli.execute("discover", dataDir.toString(), "--write-route", target.toString(), "--accounts",
                String.join(",", accounts), "--source-name", sourceName, "--no-progress");
        if (rc != 0) {
            throw new IllegalStateException("olk15 discover failed (" + rc + "): " + out);
        }
        try {
            String yaml = Files.readString(target, StandardCharsets.UTF_8);
            if (!yaml.endsWith("\n")) {
                yaml = yaml + "\n";
            }
            yaml = yaml + extraParams;
            Files.writeString(target, yaml, StandardCharsets.UTF_8);
            return yaml;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    static String param(String name, String value) {
        return "      - name: " + name + "\n        value: \"" + value + "\"\n";
    }
}
