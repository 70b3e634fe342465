package io.chronoroute.olk15;

import static org.assertj.core.api.Assertions.assertThat;

import io.chronoroute.olk15.fixture.CorpusGenerator;
import io.chronoroute.olk15.fixture.CorpusSummary;
import io.chronoroute.olk15.model.Olk15Event;
import io.chronoroute.olk15.sqlite.CalendarEventRow;
import io.chronoroute.olk15.sqlite.OutlookDatabase;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The headline corpus: 9,095 SYNTHETIC events over 256 account directories, deterministic per seed. */
class CorpusGeneratorTest {

    @TempDir
    static Path tmp;

    private static CorpusSummary summary;
    private static Path profile;

    @BeforeAll
    static void generate() throws IOException {
        profile = tmp.resolve("a/Outlook 15 Profiles/Main Profile");
        summary = CorpusGenerator.generate(profile, 42L, 9_095, 256);
    }

    @Test
    void writesTheHeadlineShape() throws Exception {
        assertThat(summary.events()).isEqualTo(9_095);
        List<Path> files = files(summary.eventsDir());
        assertThat(files).hasSize(9_095);
        try (Stream<Path> dirs = Files.list(summary.eventsDir())) {
            assertThat(dirs.filter(Files::isDirectory).count()).isEqualTo(256);
        }
        assertThat(summary.recurringMasters()).isPositive();
        assertThat(summary.exceptions()).isEqualTo(summary.recurringMasters());
        assertThat(summary.allDay()).isPositive();
        assertThat(summary.withAttendees()).isPositive();
        assertThat(summary.nonBmpSubjects()).isPositive();
        assertThat(summary.zones()).contains("Europe/Berlin", "America/New_York", "Asia/Kolkata", "Australia/Sydney");
        assertThat(summary.sqlitePath()).isEqualTo(profile.resolve("Data/Outlook.sqlite"));
    }

    @Test
    void everyFileParsesCleanlyAndMatchesItsRow() throws Exception {
        try (OutlookDatabase db = OutlookDatabase.open(summary.sqlitePath())) {
            Map<String, CalendarEventRow> rows = db.calendarEventsByPath();
            assertThat(rows).hasSize(9_095);
            assertThat(db.accounts()).hasSize(256);
            assertThat(db.calendarFolders()).hasSize(256);
            int exceptions = 0;
            for (Map.Entry<String, CalendarEventRow> r : rows.entrySet()) {
                Olk15Event e = Olk15Parser.parse(summary.profileRoot().resolve("Data").resolve(r.getKey()));
                assertThat(e.problems()).as(r.getKey()).isEmpty();
                assertThat(OutlookDatabase.crossCheck(e, r.getValue())).as(r.getKey()).isEmpty();
                if (e.masterRecordId() != null) {
                    exceptions++;
                    assertThat(e.recurrenceId()).isNotNull();
                }
                if (e.recurrence() != null) {
                    assertThat(e.recurrence().rrule()).startsWith("FREQ=WEEKLY;INTERVAL=1;BYDAY=").endsWith(";COUNT=10");
                }
            }
            assertThat(exceptions).isEqualTo(summary.exceptions());
        }
    }

    @Test
    void sameSeedSameBytesOtherSeedDifferent() throws Exception {
        CorpusSummary again = CorpusGenerator.generate(tmp.resolve("b"), 42L, 600, 16);
        CorpusSummary same = CorpusGenerator.generate(tmp.resolve("c"), 42L, 600, 16);
        CorpusSummary other = CorpusGenerator.generate(tmp.resolve("d"), 43L, 600, 16);
        assertThat(digest(again.eventsDir())).isEqualTo(digest(same.eventsDir()))
                .isNotEqualTo(digest(other.eventsDir()));
        try (OutlookDatabase a = OutlookDatabase.open(again.sqlitePath());
             OutlookDatabase b = OutlookDatabase.open(same.sqlitePath())) {
            assertThat(a.calendarEvents()).isEqualTo(b.calendarEvents());
        }
    }

    static List<Path> files(Path root) throws IOException {
        try (Stream<Path> s = Files.walk(root)) {
            return s.filter(p -> p.toString().endsWith(".olk15Event")).sorted().toList();
        }
    }

    private static String digest(Path root) throws Exception {
        MessageDigest md = MessageDigest.getInstance("SHA-256");
        for (Path p : files(root)) {
            md.update(root.relativize(p).toString().getBytes(java.nio.charset.StandardCharsets.UTF_8));
            md.update(Files.readAllBytes(p));
        }
        return HexFormat.of().formatHex(md.digest());
    }
}
