package io.chronoroute.olk15;

import static org.assertj.core.api.Assertions.assertThat;

import io.chronoroute.olk15.cli.Olk15Cli;
import io.chronoroute.olk15.fixture.Corruptions;
import io.chronoroute.olk15.fixture.CorpusGenerator;
import io.chronoroute.olk15.fixture.CorpusSummary;
import io.chronoroute.olk15.fixture.EventEncoder;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/** Runs the picocli commands in-process. */
class Olk15CliTest {

    @TempDir
    Path tmp;

    private final StringWriter out = new StringWriter();
    private final StringWriter err = new StringWriter();

    private int run(String... args) {
        CommandLine cl = new CommandLine(new Olk15Cli());
        cl.setOut(new PrintWriter(out, true));
        cl.setErr(new PrintWriter(err, true));
        return cl.execute(args);
    }

    @Test
    void dumpPrintsEveryProperty() throws Exception {
        Path f = tmp.resolve("e.olk15Event");
        Files.write(f, EventEncoder.encode(Olk15ParserTest.fullEvent().extra(0x77000077, new byte[] {1, 2, 3})));
        assertThat(run("dump", f.toString())).isZero();
        String s = out.toString();
        assertThat(s).contains("0x0200001F", "UTF16LE", "\"Quarterly review 🚀 𝄞\"", "0x13000003", "I32",
                "0x77000077", "0x0077?", "01 02 03", "0x0900000D", "SUB_RECORD", "sub-record,",
                "attendee       REQUIRED Bob Required <bob@example.invalid>");
        long propertyLines = s.lines().filter(l -> l.startsWith("0x")).count();
        assertThat(propertyLines).isEqualTo(Olk15Parser.parse(f).properties().size());
    }

    @Test
    void generateWritesASyntheticProfileThatDiscoverReads() throws Exception {
        Path profile = tmp.resolve("profile");
        assertThat(run("generate", profile.toString(), "--events", "120", "--accounts", "4", "--seed", "7")).isZero();
        assertThat(out.toString()).contains("synthetic profile: 120 events in 4 accounts");
        try (var files = Files.walk(profile)) {
            assertThat(files.filter(p -> p.toString().endsWith(".olk15Event")).count()).isEqualTo(120);
        }
        assertThat(Files.exists(profile.resolve("Data/Outlook.sqlite"))).isTrue();
        assertThat(run("generate", tmp.resolve("bad").toString(), "--accounts", "0")).isNotZero();
    }

    @Test
    void dumpOfACorruptFileIsADataError() throws Exception {
        Path f = tmp.resolve("bad.olk15Event");
        Files.write(f, Corruptions.wrongMagic(EventEncoder.encode(Olk15ParserTest.fullEvent())));
        assertThat(run("dump", f.toString())).isEqualTo(Olk15Cli.EXIT_DATA_ERROR);
        assertThat(err.toString()).contains("bad magic", "offset 0x0");
        assertThat(run("dump", tmp.resolve("missing").toString())).isEqualTo(Olk15Cli.EXIT_DATA_ERROR);
    }

    @Test
    void discoverListsAccountsCalendarsCountsAndWritesARoute() throws Exception {
        CorpusSummary c = CorpusGenerator.generate(tmp.resolve("Outlook 15 Profiles/Main Profile"), 1L, 300, 4);
        Path data = c.profileRoot().resolve("Data");
        Files.write(data.resolve("Events/3/broken.olk15Event"), new byte[] {1, 2, 3});
        Path route = tmp.resolve("routes/outlook-mac-source.camel.yaml");
        int code = run("discover", data.toString(), "--write-route", route.toString(),
                "--accounts", "account0@example.invalid,1001", "--source-name", "mac-1");
        assertThat(code).as(err.toString()).isZero();
        String s = out.toString();
        assertThat(s).contains("accounts: 4", "account0@example.invalid", "calendars: 4", "CalendarEvents rows: 300",
                "event directories: 4", "event files: 301 (1 unreadable)", "2025-");
        String yaml = Files.readString(route);
        assertThat(yaml).contains("- templatedRoute:", "routeTemplateRef: outlook-mac-source",
                "routeId: \"outlook-mac-source-mac-1\"", "- name: sourceName", "value: \"mac-1\"",
                "- name: eventsDir", "Main Profile/Data/Events\"", "- name: sqlitePath", "Data/Outlook.sqlite\"",
                "- name: accounts", "value: \"account0@example.invalid,1001\"");
    }

    @Test
    void discoverRejectsUnknownAccounts() throws Exception {
        CorpusSummary c = CorpusGenerator.generate(tmp.resolve("p"), 1L, 10, 2);
        int code = run("discover", c.profileRoot().resolve("Data").toString(), "--no-progress",
                "--write-route", tmp.resolve("r.yaml").toString(), "--accounts", "nobody@example.invalid");
        assertThat(code).isEqualTo(Olk15Cli.EXIT_DATA_ERROR);
        assertThat(err.toString()).contains("unknown account(s): nobody@example.invalid");
        assertThat(tmp.resolve("r.yaml")).doesNotExist();
    }

    @Test
    void discoverOfAMissingFolderIsADataError() {
        assertThat(run("discover", tmp.resolve("nope").toString())).isEqualTo(Olk15Cli.EXIT_DATA_ERROR);
    }
}
