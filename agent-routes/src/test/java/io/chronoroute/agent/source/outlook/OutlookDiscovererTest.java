package io.chronoroute.agent.source.outlook;

import com.sun.jna.Platform;
import io.chronoroute.agent.discover.DiscoverCommand;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;

import static io.chronoroute.agent.source.outlook.OutlookItemMapperTest.recorded;
import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeFalse;

/**
 * {@code discover outlook} (the seed's {@code list_outlook_calendars.py}): the calendar folders with their item
 * counts, paths and EntryIDs from a fake session, the YAML it writes, and the clear error where there is no Outlook
 * for Windows (this machine).
 */
class OutlookDiscovererTest {

    @TempDir
    Path tmp;
    final ByteArrayOutputStream out = new ByteArrayOutputStream();
    final ByteArrayOutputStream err = new ByteArrayOutputStream();

    private int run(DiscoverCommand.Discoverer d, String... args) {
        return d.run(args, Map.of(), new PrintStream(out, true, StandardCharsets.UTF_8),
                new PrintStream(err, true, StandardCharsets.UTF_8));
    }

    @Test
    void listsTheCalendarFoldersAndWritesTheSourceFile() throws Exception {
        assertThat(DiscoverCommand.run(new String[] {"outlook", "--help"}, new PrintStream(out, true,
                StandardCharsets.UTF_8), System.err)).isZero(); // a kind of `discover`
        assertThat(out.toString(StandardCharsets.UTF_8)).startsWith("usage: discover outlook");
        out.reset();
        FakeOutlookSession outlook = new FakeOutlookSession().folder("CAL-1", "Calendar", true)
                .folder("CAL-2", "Team", false);
        outlook.userAdd("CAL-1", recorded("single-timed.json"));
        outlook.userAdd("CAL-2", recorded("series-weekly.json"));
        outlook.userAdd("CAL-2", recorded("allday-yearly.json"));
        Path file = tmp.resolve("sources/outlook.camel.yaml");
        int rc = run(new OutlookDiscoverer(() -> outlook), "--calendars", "Calendar,\\\\alice@example.org\\Team",
                "--write-route", file.toString(), "--source-name", "desk", "--allow-event-updates", "--interval",
                "300");
        assertThat(rc).as(err.toString(StandardCharsets.UTF_8)).isZero();
        String listing = out.toString(StandardCharsets.UTF_8);
        assertThat(listing).containsPattern("Calendar\\s+1\\s+\\\\\\\\alice@example.org\\\\Calendar\\s+\\(default\\)")
                .containsPattern("Team\\s+2\\s+").contains("EntryID CAL-2").contains("2 calendar(s)");
        String yaml = Files.readString(file);
        assertThat(yaml).contains("routeTemplateRef: outlook-source").contains("routeId: \"agent-poll-outlook-desk\"")
                .contains("value: \"Calendar,\\\\\\\\alice@example.org\\\\Team\"")
                .contains("name: allowEventUpdates\n        value: \"true\"").contains("value: \"300\"");
        assertThat(outlook.journal).containsExactly("close"); // listing only: nothing opened, nothing written

        assertThat(run(new OutlookDiscoverer(() -> outlook), "--calendars", "Nope")).isEqualTo(1);
        assertThat(err.toString(StandardCharsets.UTF_8)).contains("no calendar named 'Nope'");
        assertThat(run(new OutlookDiscoverer(() -> outlook), "--interval", "soon")).isEqualTo(2);
    }

    @Test
    void withoutWindowsItSaysWhatItNeeds() {
        assumeFalse(Platform.isWindows(), "this checks the refusal on an OS without Outlook");
        assertThat(DiscoverCommand.run(new String[] {"outlook"}, new PrintStream(out, true, StandardCharsets.UTF_8),
                new PrintStream(err, true, StandardCharsets.UTF_8))).isEqualTo(1);
        assertThat(err.toString(StandardCharsets.UTF_8))
                .contains("Outlook for Windows source needs Windows with Outlook installed");
        assertThat(out.toString(StandardCharsets.UTF_8)).isEmpty();
    }
}
