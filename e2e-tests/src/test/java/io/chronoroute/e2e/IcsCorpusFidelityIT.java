package io.chronoroute.e2e;

import com.fasterxml.jackson.databind.JsonNode;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.TreeSet;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * Issue #13 "Done means": the .ics corpus (processors/src/test/resources/ical/corpus: one file per cause 1-8 plus DST
 * gaps and overlaps, custom VTIMEZONEs, EXDATEs in other zones, overrides across midnight and DST, all-day and very
 * long series) goes file → agent → master → /calendar.ics, with master and agent as processes. The occurrences of
 * the valid files and of the feed, both expanded by {@link IndependentExpansion} (biweekly) over two years, must be
 * the same set: start, end and summary of every occurrence. The files with problems go into the same folder: they
 * must not stop the others, and the agent reports them.
 */
class IcsCorpusFidelityIT {

    static final Path CORPUS = Path.of("..", "processors", "src", "test", "resources", "ical", "corpus");
    static final Instant FROM = Instant.parse("2025-01-01T00:00:00Z");
    static final Instant TO = Instant.parse("2027-01-01T00:00:00Z");

    static Apps apps;

    @BeforeAll
    static void start() throws Exception {
        apps = new Apps(Files.createTempDirectory("chronoroute-ics-corpus"));
        apps.startBoth();
    }

    @AfterAll
    static void stop() {
        if (apps != null) {
            apps.close();
        }
    }

    static List<Path> files(String dir) throws IOException {
        try (Stream<Path> s = Files.list(CORPUS.resolve(dir))) {
            return s.filter(p -> p.toString().endsWith(".ics")).sorted().toList();
        }
    }

    @Test
    void everyOccurrenceOfTheCorpusSurvivesIntoTheFeed() throws Exception {
        List<String> inputs = new ArrayList<>();
        for (Path p : files("valid")) {
            inputs.add(Files.readString(p, StandardCharsets.UTF_8));
            Files.copy(p, apps.exports.resolve(p.getFileName()));
        }
        for (Path p : files("problems")) {
            Files.copy(p, apps.exports.resolve("problem-" + p.getFileName()));
        }
        IndependentExpansion expansion = new IndependentExpansion(FROM, TO);
        TreeSet<String> expected = expansion.occurrences(inputs);
        assertThat(expected).as("the corpus expands to something").hasSizeGreaterThan(1000);

        TreeSet<String> fromFeed = new TreeSet<>();
        try {
            await().atMost(Duration.ofSeconds(90)).pollInterval(Duration.ofSeconds(1)).untilAsserted(() -> {
                fromFeed.clear();
                fromFeed.addAll(expansion.occurrences(List.of(apps.feed())));
                assertThat(fromFeed).containsAll(expected);
            });
        } catch (AssertionError e) {
            TreeSet<String> missing = new TreeSet<>(expected);
            missing.removeAll(fromFeed);
            throw new AssertionError("occurrences lost between the files and the feed (" + missing.size() + " of "
                    + expected.size() + "): " + head(missing) + "\n" + apps.logs(), e);
        }
        // nothing extra: what the feed has beyond the valid files comes from the good parts of the problem files
        TreeSet<String> extra = new TreeSet<>(fromFeed);
        extra.removeAll(expected);
        assertThat(extra).allSatisfy(o -> assertThat(o).matches("^((c6|c7|tz|rr) .*| \\| .*)"));
        assertThat(extra).anySatisfy(o -> assertThat(o).startsWith("c6 a good event"))
                .anySatisfy(o -> assertThat(o).startsWith("c7 RRULE with UNTL"))
                .anySatisfy(o -> assertThat(o).startsWith("c7 RRULE with UNTL"));
        // an unbounded FREQ=SECONDLY rule is left out: its event keeps its one first occurrence
        assertThat(extra).filteredOn(o -> o.startsWith("rr every second")).hasSize(1);

        // the agent tells which files had problems
        JsonNode health = apps.agentHealth();
        assertThat(health.toString()).contains("problem-c6-bad-properties.ics").contains("problem-truncated.ics");
    }

    private static String head(TreeSet<String> s) {
        return String.join("\n  ", s.stream().limit(30).toList());
    }
}
