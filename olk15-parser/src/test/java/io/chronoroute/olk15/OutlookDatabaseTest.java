package io.chronoroute.olk15;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.chronoroute.olk15.fixture.EventSpec;
import io.chronoroute.olk15.fixture.FixtureBuilder;
import io.chronoroute.olk15.model.Olk15Event;
import io.chronoroute.olk15.sqlite.CalendarEventRow;
import io.chronoroute.olk15.sqlite.CalendarFolder;
import io.chronoroute.olk15.sqlite.Mismatch;
import io.chronoroute.olk15.sqlite.OutlookAccount;
import io.chronoroute.olk15.sqlite.OutlookDatabase;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Instant;
import java.time.LocalDateTime;
import java.time.ZoneId;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class OutlookDatabaseTest {

    @TempDir
    Path tmp;

    private FixtureBuilder profile() throws Exception {
        FixtureBuilder fb = FixtureBuilder.create(tmp.resolve("Outlook 15 Profiles").resolve("Main Profile"));
        fb.account(1001, "Work", "work@example.invalid").account(1002, "Home", "home@example.invalid");
        fb.calendarFolder(10, 1001, "Calendar").calendarFolder(20, 1002, "Family")
                .otherFolder(11, 1001, "Inbox", 1);
        return fb;
    }

    @Test
    void readsAccountsFoldersAndRowsKeyedByPath() throws Exception {
        FixtureBuilder fb = profile();
        EventSpec a = Olk15ParserTest.fullEvent();
        fb.addEvent(0, 10, 1001, a);
        fb.addEvent(1, 20, 1002, EventSpec.of(5).subject("x")
                .timed(LocalDateTime.of(2025, 1, 1, 9, 0), LocalDateTime.of(2025, 1, 1, 10, 0), ZoneId.of("UTC")));
        fb.writeDatabase();
        assertThat(Files.readString(fb.profileRoot().resolve(FixtureBuilder.README))).contains("SYNTHETIC");

        try (OutlookDatabase db = OutlookDatabase.open(fb.sqlitePath())) {
            assertThat(db.accounts()).extracting(OutlookAccount::emailAddress)
                    .containsExactly("work@example.invalid", "home@example.invalid");
            assertThat(db.calendarFolders()).extracting(CalendarFolder::name).containsExactly("Calendar", "Family");
            Map<String, CalendarEventRow> rows = db.calendarEventsByPath();
            assertThat(rows).containsOnlyKeys("Events/0/4711.olk15Event", "Events/1/5.olk15Event");
            CalendarEventRow row = rows.get("Events/0/4711.olk15Event");
            assertThat(row.start()).isEqualTo(Instant.parse("2025-06-10T07:00:00Z"));
            assertThat(row.dismissTime()).isNull();
            Olk15Event e = Olk15Parser.parse(fb.dataDir().resolve(row.pathToDataFile()));
            assertThat(OutlookDatabase.crossCheck(e, row)).isEmpty();
        }
    }

    @Test
    void rowFileMismatchesAreReportedNotResolved() throws Exception {
        FixtureBuilder fb = profile();
        Path file = fb.addEvent(0, 10, 1001, Olk15ParserTest.fullEvent());
        fb.overrideRow(4711, r -> r.withStartMinutes(r.startMinutes() + 60).withUid("other-uid").withRecurring(true));
        fb.writeDatabase();
        try (OutlookDatabase db = OutlookDatabase.open(fb.sqlitePath())) {
            CalendarEventRow row = db.calendarEvents().get(0);
            Olk15Event e = Olk15Parser.parse(file);
            assertThat(OutlookDatabase.crossCheck(e, row)).extracting(Mismatch::field)
                    .containsExactly("start", "uid");
            // recurring: file has no flag (unknown) -> not compared; the file value stays as decoded
            assertThat(e.start()).isEqualTo(Instant.parse("2025-06-10T07:00:00Z"));
        }
    }

    @Test
    void missingStartOnOneSideIsAMismatch() throws Exception {
        FixtureBuilder fb = profile();
        Path file = fb.addEvent(0, 10, 1001, Olk15ParserTest.fullEvent());
        fb.overrideRow(4711, r -> r.withEndMinutes(null));
        fb.writeDatabase();
        try (OutlookDatabase db = OutlookDatabase.open(fb.sqlitePath())) {
            assertThat(OutlookDatabase.crossCheck(Olk15Parser.parse(file), db.calendarEvents().get(0)))
                    .containsExactly(new Mismatch("end", "2025-06-10T08:30:00Z", "null"));
        }
    }

    @Test
    void toleratesMissingTablesAndColumns() throws Exception {
        Path db = tmp.resolve("Outlook.sqlite");
        try (var c = DriverManager.getConnection("jdbc:sqlite:" + db); Statement st = c.createStatement()) {
            st.executeUpdate("CREATE TABLE CalendarEvents (Record_RecordID INTEGER, PathToDataFile TEXT, "
                    + "Calendar_StartDateUTC INTEGER, Record_UUID BLOB)");
            st.executeUpdate("INSERT INTO CalendarEvents VALUES (1, 'Events\\0\\1.olk15Event', 223000000, "
                    + "x'E004253F894FD3119A0C0305E82C3301')");
            st.executeUpdate("CREATE TABLE AccountsMail (Account_MailAccountUID INTEGER)");
            st.executeUpdate("INSERT INTO AccountsMail VALUES (77)");
        }
        try (OutlookDatabase d = OutlookDatabase.open(db)) {
            assertThat(d.calendarFolders()).isEmpty();
            assertThat(d.accounts()).containsExactly(new OutlookAccount("AccountsMail", 77L, null, null));
            CalendarEventRow r = d.calendarEvents().get(0);
            assertThat(r.endMinutes()).isNull();
            assertThat(r.recordUuid()).isEqualTo("3F2504E0-4F89-11D3-9A0C-0305E82C3301");
            assertThat(d.calendarEventsByPath()).containsKey("Events/0/1.olk15Event");
        }
    }

    @Test
    void opensReadOnly() throws Exception {
        FixtureBuilder fb = profile();
        fb.writeDatabase();
        assertThat(OutlookDatabase.jdbcUrl(fb.sqlitePath())).endsWith("?mode=ro").doesNotContain("immutable");
        try (var c = DriverManager.getConnection(OutlookDatabase.jdbcUrl(fb.sqlitePath()));
             Statement st = c.createStatement()) {
            assertThatThrownBy(() -> st.executeUpdate("DELETE FROM Folders")).isInstanceOf(SQLException.class)
                    .hasMessageContaining("readonly");
        }
    }

    @Test
    void missingDatabaseIsAnError() {
        assertThatThrownBy(() -> OutlookDatabase.open(tmp.resolve("nope.sqlite"))).isInstanceOf(SQLException.class);
    }
}
