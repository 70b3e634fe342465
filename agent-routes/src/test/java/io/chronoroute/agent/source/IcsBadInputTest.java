package io.chronoroute.agent.source;

import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import io.chronoroute.agent.AgentProperties;
import io.chronoroute.agent.Ics;
import io.chronoroute.agent.collect.ChangeCollector;
import io.chronoroute.agent.state.AgentState;
import io.chronoroute.processors.problem.InputProblem;
import io.chronoroute.processors.problem.InputProblem.Kind;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.slf4j.LoggerFactory;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.Writer;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Issue #15, agent side: every degenerate .ics file is survived, its problem recorded for the file (the contract
 * {@link AgentState.Tx#problemsOf}) and logged at WARN with file, line, UID and property, and the next file still
 * flows. Large inputs (a 50 MB property, 100,000 VEVENTs in ~50 MB) are read in a JVM of their own with a small
 * heap ({@link IcsReadProbe}).
 */
class IcsBadInputTest {

    static final Path PROBLEMS = Path.of("..", "processors", "src", "test", "resources", "ical", "corpus", "problems");
    static final String SOURCE = "bad";

    @TempDir
    Path tmp;
    Path folder;
    AgentState state;
    ChangeCollector collector;
    IcsFolderSource source;
    ListAppender<ILoggingEvent> log;
    long mtime = 1_750_000_000_000L;

    @BeforeEach
    void setUp() throws IOException {
        AgentProperties props = new AgentProperties("agent-bad", "t", "test", URI.create("http://127.0.0.1:1"), null,
                Duration.ofSeconds(30), Duration.ofSeconds(1), Duration.ofSeconds(1), 5000, 20, Duration.ofSeconds(5),
                Duration.ofMinutes(1), "Europe/Berlin");
        state = AgentState.open(tmp.resolve("data"));
        collector = new ChangeCollector(state, props);
        source = new IcsFolderSource(state, new SourceRegistry(), props, 64 * 1024, 10_000);
        folder = Files.createDirectories(tmp.resolve("folder"));
        log = new ListAppender<>();
        log.start();
        ((Logger) LoggerFactory.getLogger(IcsFolderSource.class)).addAppender(log);
    }

    @AfterEach
    void tearDown() {
        ((Logger) LoggerFactory.getLogger(IcsFolderSource.class)).detachAppender(log);
        state.close();
    }

    private void poll(Path file) throws IOException {
        Files.setLastModifiedTime(file, FileTime.fromMillis(mtime += 1000));
        collector.collect(source.readFile(SOURCE, null, file.getFileName().toString(),
                Files.getLastModifiedTime(file).toMillis(), file.toAbsolutePath().toString()));
    }

    private List<InputProblem> problems(String file) {
        return state.read(tx -> tx.problemsOf(SOURCE, file));
    }

    @ParameterizedTest(name = "{0}")
    @CsvSource(delimiter = '|', value = {
        "empty.ics              | FILE_REJECTED    |                   | empty file (0 bytes)",
        "not-a-calendar.ics     | FILE_REJECTED    |                   | BEGIN:VCALENDAR",
        "truncated.ics          | FILE_REJECTED    |                   | END:VCALENDAR",
        "unclosed-vevent.ics    | EVENT_REJECTED   | uc-open@corpus    | not closed",
        "vtimezone-secondly.ics | EVENT_REJECTED   | tz-storm@corpus   | FREQ=SECONDLY",
        "vtimezone-self.ics     | WARNING          |                   | defined again",
        "rrule-unbounded.ics    | WARNING          | rr-million@corpus | COUNT=1000000",
        "rrule-unbounded.ics    | PROPERTY_SKIPPED | rr-secondly@corpus| FREQ=SECONDLY without COUNT",
        "c6-bad-properties.ics  | PROPERTY_SKIPPED | c6-empty-rrule@corpus | empty RRULE",
        "c6-bad-properties.ics  | REPAIRED         | c6-mixed-end@corpus   | read as the start of that day",
        "c7-malformed.ics       | PROPERTY_SKIPPED | c7-two-dtstart@corpus | second DTSTART",
        "c7-malformed.ics       | PROPERTY_SKIPPED | c7-untl@corpus        | unknown RRULE part 'UNTL'",
    })
    void aDegenerateFileIsReportedAndTheNextFileFlows(String name, Kind kind, String uid, String text) throws IOException {
        Path bad = Files.copy(PROBLEMS.resolve(name), folder.resolve(name));
        poll(bad);

        assertThat(problems(name)).as("recorded for %s", name).anySatisfy(p -> {
            assertThat(p.kind()).isEqualTo(kind);
            assertThat(p.uid()).isEqualTo(uid);
            assertThat(p.message()).contains(text);
            assertThat(p.source()).isEqualTo(SOURCE);
            assertThat(p.file()).isEqualTo(name);
        });
        assertThat(log.list).as("logged").anySatisfy(e -> {
            assertThat(e.getLevel().toString()).isEqualTo("WARN");
            assertThat(e.getFormattedMessage()).contains(name).contains(text);
            if (uid != null) {
                assertThat(e.getFormattedMessage()).contains(uid).containsPattern("line \\d+");
            }
        });
        if (kind == Kind.FILE_REJECTED) {
            assertThat(state.<java.util.Map<String, String>>read(tx -> tx.failedFiles())).containsKey(SOURCE + "/" + name);
        }

        Path next = folder.resolve("next.ics");
        Files.writeString(next, Ics.calendar(Ics.vevent("next-1", "Next file", "20250610T070000Z")));
        poll(next);
        assertThat(state.<Long>read(tx -> tx.currentSize())).isGreaterThanOrEqualTo(1);
        assertThat(state.read(tx -> tx.filesOf(SOURCE)).get("next.ics").keys()).hasSize(1);
        assertThat(problems("next.ics")).isEmpty();
    }

    @Test
    void problemsAreReplacedOnEveryReadAndRemovedWithTheFile() throws IOException {
        Path f = Files.copy(PROBLEMS.resolve("c7-malformed.ics"), folder.resolve("c7.ics"));
        poll(f);
        assertThat(problems("c7.ics")).hasSize(2);
        Files.writeString(f, Ics.calendar(Ics.vevent("fixed", "Fixed", "20250610T070000Z")));
        poll(f);
        assertThat(problems("c7.ics")).isEmpty();
        Files.copy(PROBLEMS.resolve("c7-malformed.ics"), f, java.nio.file.StandardCopyOption.REPLACE_EXISTING);
        poll(f);
        assertThat(problems("c7.ics")).hasSize(2);
        Files.delete(f);
        collector.collect(source.detectRemovedFiles(SOURCE, folder.toString()));
        assertThat(problems("c7.ics")).isEmpty();
        assertThat(state.<List<InputProblem>>read(AgentState.Tx::allProblems)).isEmpty();
    }

    @Test
    void theSameUidInTwoFilesOfOneSourceKeepsTheHighestSequence() throws IOException {
        String newer = "BEGIN:VEVENT\r\nUID:dup\r\nSEQUENCE:3\r\nDTSTART:20250610T070000Z\r\nSUMMARY:newer\r\nEND:VEVENT\r\n";
        String older = "BEGIN:VEVENT\r\nUID:dup\r\nSEQUENCE:1\r\nDTSTART:20250610T090000Z\r\nSUMMARY:older\r\nEND:VEVENT\r\n";
        Path a = folder.resolve("a.ics");
        Files.writeString(a, Ics.calendar(newer));
        poll(a);
        Path b = folder.resolve("b.ics");
        Files.writeString(b, Ics.calendar(older));
        poll(b);
        assertThat(state.read(tx -> tx.current(new io.chronoroute.processors.sync.SyncKey("agent-bad", SOURCE, "dup", null)
                .value())).event().path("title").asText()).isEqualTo("newer");
        assertThat(problems("b.ics")).singleElement().satisfies(p -> {
            assertThat(p.kind()).isEqualTo(Kind.WARNING);
            assertThat(p.message()).contains("also in file a.ics");
        });
    }

    @Test
    void aHugePropertyAndAHundredThousandEventsAreReadInBoundedMemory() throws Exception {
        Path huge = folder.resolve("huge-property.ics");
        try (Writer w = Files.newBufferedWriter(huge, StandardCharsets.UTF_8)) {
            w.write("BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:big\r\nBEGIN:VEVENT\r\nUID:huge\r\n"
                    + "DTSTART:20250602T090000Z\r\nSUMMARY:kept\r\nDESCRIPTION:");
            char[] chunk = "0123456789abcdef".repeat(4096).toCharArray();
            for (int i = 0; i < 50 * 1024 * 1024 / chunk.length; i++) {
                w.write(chunk);
            }
            w.write("\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n");
        }
        assertThat(probe(huge, "64m")).contains("events=1 problems=1 upserted=1");

        Path many = folder.resolve("export-100k.ics");
        try (Writer w = Files.newBufferedWriter(many, StandardCharsets.UTF_8)) {
            w.write("BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:big\r\n");
            String notes = "Notes for the meeting, agenda and minutes. ".repeat(7);
            for (int i = 0; i < 100_000; i++) {
                w.write("BEGIN:VEVENT\r\nUID:event-" + i + "@export.example\r\nDTSTAMP:20250101T000000Z\r\n"
                        + "DTSTART;TZID=Europe/Berlin:20250602T090000\r\nDTEND;TZID=Europe/Berlin:20250602T100000\r\n"
                        + "SUMMARY:Exported event number " + i + "\r\nLOCATION:Room " + (i % 50) + "\r\n"
                        + "DESCRIPTION:" + notes + "\r\nEND:VEVENT\r\n");
            }
            w.write("END:VCALENDAR\r\n");
        }
        assertThat(Files.size(many)).isGreaterThan(50_000_000L);
        assertThat(probe(many, PROBE_HEAP_FOR_100K)).contains("events=100000 problems=0 upserted=100000");
    }

    /** The agent runs with -Xmx512m (demo.sh); the whole read and collect of the 100k file must fit well inside. */
    static final String PROBE_HEAP_FOR_100K = "448m";

    private String probe(Path file, String heap) throws Exception {
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        List<String> cmd = new ArrayList<>(List.of(java, "-Xmx" + heap, "-XX:+UseSerialGC",
                "-Dlogging.level.root=WARN", "-cp", System.getProperty("java.class.path"),
                IcsReadProbe.class.getName(), file.toAbsolutePath().toString()));
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        StringBuilder out = new StringBuilder();
        try (BufferedReader r = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8))) {
            String line;
            while ((line = r.readLine()) != null) {
                if (!line.contains("DEBUG")) {
                    out.append(line).append('\n');
                }
            }
        }
        assertThat(p.waitFor(5, TimeUnit.MINUTES)).isTrue();
        assertThat(p.exitValue()).as("probe with -Xmx%s:\n%s", heap, out).isZero();
        return out.toString();
    }
}
