package io.chronoroute.agent.source;

import io.chronoroute.agent.AgentProperties;
import io.chronoroute.agent.Ics;
import io.chronoroute.agent.collect.ChangeBatch;
import io.chronoroute.agent.collect.ChangeCollector;
import io.chronoroute.agent.state.AgentState;
import io.chronoroute.agent.state.OutboxEntry;
import io.chronoroute.agent.update.UpdateFailedException;
import io.chronoroute.processors.ical.ICalCodec;
import io.chronoroute.processors.model.CalendarEvent;
import io.chronoroute.processors.model.EventTime;
import io.chronoroute.processors.sync.SyncKey;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.time.Instant;
import java.time.LocalDateTime;
import java.time.ZoneId;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** Write-back into an .ics folder (issue #9): what the agent does not own stays in the file. */
class IcsWriteBackTest {

    static final String AGENT = "agent-1";
    static final String SOURCE = "cal";

    static final String U1 = "BEGIN:VEVENT\r\n"
            + "UID:u1\r\n"
            + "DTSTAMP:20250601T000000Z\r\n"
            + "DTSTART:20250610T070000Z\r\n"
            + "DTEND:20250610T080000Z\r\n"
            + "SUMMARY:Standup\r\n"
            + "SEQUENCE:2\r\n"
            + "X-FOO;X-PARAM=1:bar\r\n"
            + "URL:https://example.org/standup\r\n"
            + "BEGIN:VALARM\r\n"
            + "ACTION:DISPLAY\r\n"
            + "DESCRIPTION:Reminder\r\n"
            + "TRIGGER:-PT15M\r\n"
            + "END:VALARM\r\n"
            + "END:VEVENT\r\n";
    /** Unusual but valid formatting (folded line, lower-case name, X- property): must survive untouched. */
    static final String U2 = "BEGIN:VEVENT\r\n"
            + "UID:u2\r\n"
            + "DTSTAMP:20250601T000000Z\r\n"
            + "DTSTART:20250611T120000Z\r\n"
            + "DURATION:PT1H\r\n"
            + "summary:A review with a title long enough to be folded by whoever wrote this f\r\n"
            + " ile\r\n"
            + "X-BAR:keep me\r\n"
            + "END:VEVENT\r\n";

    @TempDir
    Path tmp;
    Path folder;
    AgentState state;
    ChangeCollector collector;
    IcsFolderSource source;
    SourceConfig config;

    @BeforeEach
    void setUp() throws IOException {
        AgentProperties props = new AgentProperties(AGENT, "t", "test", URI.create("http://127.0.0.1:1"), null,
                Duration.ofSeconds(30), Duration.ofSeconds(1), Duration.ofSeconds(1), 5000, 20, Duration.ofSeconds(5),
                Duration.ofMinutes(1), "Europe/Berlin");
        state = AgentState.open(tmp.resolve("data"));
        collector = new ChangeCollector(state, props);
        source = new IcsFolderSource(state, new SourceRegistry(), props);
        folder = Files.createDirectories(tmp.resolve("folder"));
        config = new SourceConfig(SOURCE, folder, null, true, IcsFolderSource.PROVIDER);
    }

    @AfterEach
    void tearDown() {
        state.close();
    }

    private long modifiedCounter = 1_750_000_000_000L;

    private Path write(String name, String text) throws IOException {
        Path p = folder.resolve(name);
        Files.writeString(p, text, StandardCharsets.UTF_8);
        modifiedCounter += 1000;
        Files.setLastModifiedTime(p, FileTime.fromMillis(modifiedCounter));
        return p;
    }

    private List<ChangeBatch> read(String name) throws IOException {
        Path p = folder.resolve(name);
        return source.readFile(SOURCE, null, name, Files.getLastModifiedTime(p).toMillis(), p.toAbsolutePath().toString());
    }

    private void poll(String name) throws IOException {
        collector.collect(read(name));
    }

    private void acknowledgeEverything() {
        state.write(tx -> {
            tx.outboxHead(10_000).forEach((k, e) -> tx.removeOutboxIfVersion(k, e.version()));
            return null;
        });
    }

    private static String key(String uid) {
        return new SyncKey(AGENT, SOURCE, uid, null).value();
    }

    /** The event as the agent has it now (what the master got), for building an edit of it. */
    private CalendarEvent stored(String uid) throws Exception {
        Path file = folder.resolve(state.<String>read(tx -> tx.filesOf(SOURCE).entrySet().stream()
                .filter(e -> e.getValue().keys().contains(key(uid))).findFirst().orElseThrow().getKey()));
        return ICalCodec.parse(Files.readString(file), null).stream().filter(e -> e.uid().equals(uid)).findFirst().orElseThrow();
    }

    private String hashSent(String uid) {
        return state.read(tx -> tx.current(key(uid)).hash());
    }

    private IcsFolderSource.Applied apply(String action, CalendarEvent e, String baseHash) throws UpdateFailedException {
        IcsFolderSource.Applied applied = source.applyEventUpdate(config, action, e, baseHash);
        collector.collect(applied.reread());
        return applied;
    }

    @Test
    void anUpdateKeepsOtherEventsByteForByteAndTheEventsAlarmsAndUnknownProperties() throws Exception {
        Path file = write("a.ics", Ics.calendar(U1, U2));
        poll("a.ics");

        apply("update", stored("u1").toBuilder().title("Standup moved").build(), null);

        String text = Files.readString(file);
        assertThat(text).contains(U2);
        assertThat(text).contains("SUMMARY:Standup moved").doesNotContain("SUMMARY:Standup\r\n");
        String u1 = text.substring(text.indexOf("UID:u1"), text.indexOf("END:VEVENT", text.indexOf("UID:u1")));
        assertThat(u1).contains("X-FOO;X-PARAM=1:bar\r\n", "URL:https://example.org/standup\r\n",
                "BEGIN:VALARM\r\nACTION:DISPLAY\r\nDESCRIPTION:Reminder\r\nTRIGGER:-PT15M\r\nEND:VALARM\r\n");
        assertThat(text.indexOf("UID:u1")).isLessThan(text.indexOf("UID:u2")); // order kept
        assertThat(ICalCodec.parse(text, null)).extracting(CalendarEvent::title)
                .containsExactly("Standup moved", "A review with a title long enough to be folded by whoever wrote this file");
    }

    @Test
    void anUpdateGetsLastModifiedNowAndTheNextSequence() throws Exception {
        Path file = write("a.ics", Ics.calendar(U1, Ics.vevent("u3", "No sequence", "20250612T110000Z")));
        poll("a.ics");
        Instant before = Instant.now().truncatedTo(java.time.temporal.ChronoUnit.SECONDS);

        apply("update", stored("u1").toBuilder().title("Seq 2 -> 3").build(), null);
        apply("update", stored("u3").toBuilder().title("None -> 0").build(), null);

        List<CalendarEvent> events = ICalCodec.parse(Files.readString(file), null);
        CalendarEvent u1 = events.stream().filter(e -> e.uid().equals("u1")).findFirst().orElseThrow();
        CalendarEvent u3 = events.stream().filter(e -> e.uid().equals("u3")).findFirst().orElseThrow();
        assertThat(u1.sequence()).isEqualTo(3);
        assertThat(u3.sequence()).isEqualTo(0);
        assertThat(u1.lastModified()).isBetween(before, Instant.now());
        assertThat(u3.lastModified()).isBetween(before, Instant.now());

        // the update's SEQUENCE counts when it is higher
        apply("update", stored("u1").toBuilder().title("Seq 7 -> 8").sequence(7).build(), null);
        assertThat(stored("u1").sequence()).isEqualTo(8);
    }

    @Test
    void aCreateKeepsTheUpdatesSequenceOrNone() throws Exception {
        CalendarEvent plain = event("c1", "Created", null);
        CalendarEvent sequenced = event("c2", "Created with sequence", 4);

        apply("create", plain, null);
        apply("create", sequenced, null);

        String t1 = Files.readString(folder.resolve(IcsFolderSource.newFileName("c1")));
        String t2 = Files.readString(folder.resolve(IcsFolderSource.newFileName("c2")));
        assertThat(t1).doesNotContain("SEQUENCE").contains("LAST-MODIFIED:");
        assertThat(t2).contains("SEQUENCE:4\r\n");
    }

    @Test
    void aRewriteKeepsTheFilesMode() throws Exception {
        Path a = write("a.ics", Ics.calendar(U1));
        Path b = write("b.ics", Ics.calendar(U2));
        Files.setPosixFilePermissions(a, PosixFilePermissions.fromString("rw-r--r--"));
        Files.setPosixFilePermissions(b, PosixFilePermissions.fromString("rw-rw----"));
        poll("a.ics");
        poll("b.ics");

        apply("update", stored("u1").toBuilder().title("Edited").build(), null);
        apply("update", stored("u2").toBuilder().title("Edited too").build(), null);

        assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(a))).isEqualTo("rw-r--r--");
        assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(b))).isEqualTo("rw-rw----");
        try (var files = Files.list(folder)) {
            assertThat(files.map(p -> p.getFileName().toString())).containsExactlyInAnyOrder("a.ics", "b.ics");
        }
    }

    @Test
    void aMatchingBaseHashIsAppliedAndAStaleOneRefusedWithoutTouchingTheFile() throws Exception {
        Path file = write("a.ics", Ics.calendar(U1, U2));
        poll("a.ics");
        String base = hashSent("u1");

        apply("update", stored("u1").toBuilder().title("From the master").build(), base);
        assertThat(Files.readString(file)).contains("SUMMARY:From the master");

        // the user edits the file; the master still believes the previous version
        String edited = Files.readString(file).replace("SUMMARY:From the master", "SUMMARY:Edited by the user");
        write("a.ics", edited);
        String staleBase = hashSent("u1"); // what the agent last sent, before it read the user's edit
        CalendarEvent masterEdit = stored("u1").toBuilder().title("Second master edit").build();

        assertThatThrownBy(() -> source.applyEventUpdate(config, "update", masterEdit, staleBase))
                .isInstanceOfSatisfying(UpdateFailedException.class, e -> {
                    assertThat(e.permanent()).isTrue();
                    assertThat(e.getMessage()).contains("changed in a.ics since")
                            .contains("this calendar's version will be sent and the conflict strategy decides");
                });
        assertThat(Files.readString(file)).isEqualTo(edited);

        // a delete against a stale base is refused too: the user's edit is not lost
        assertThatThrownBy(() -> source.applyEventUpdate(config, "delete", masterEdit, staleBase))
                .isInstanceOf(UpdateFailedException.class);
        assertThat(Files.readString(file)).isEqualTo(edited);

        // once the agent has read the edit, its hash is the base and the master's edit goes through
        poll("a.ics");
        apply("update", masterEdit, hashSent("u1"));
        assertThat(Files.readString(file)).contains("SUMMARY:Second master edit");
    }

    @Test
    void anUpdateWhoseBaseIsTheVersionBeforeTheMastersOwnEarlierWriteApplies() throws Exception {
        Path file = write("a.ics", Ics.calendar(U1, U2));
        poll("a.ics");
        String base = hashSent("u1");
        CalendarEvent original = stored("u1");
        apply("update", original.toBuilder().title("First master edit").build(), base);
        // the master has not received the read-back of its first write yet: the next update still names the original
        apply("update", original.toBuilder().title("Second master edit").build(), base);
        assertThat(Files.readString(file)).contains("SUMMARY:Second master edit").doesNotContain("First master edit");
        // a delete the same way (a delete made in a destination while the write-back is in flight)
        apply("delete", original, base);
        assertThat(Files.readString(file)).doesNotContain("Second master edit").contains("UID:u2");
    }

    @Test
    void createAndDeleteAreIdempotent() throws Exception {
        CalendarEvent e = event("c1", "Created", null);
        apply("create", e, null);
        Path file = folder.resolve(IcsFolderSource.newFileName("c1"));
        String once = Files.readString(file);

        IcsFolderSource.Applied again = apply("create", e, null);
        assertThat(again.outcome()).startsWith("already applied");
        assertThat(Files.readString(file)).isEqualTo(once);

        apply("delete", e, null);
        assertThat(file).doesNotExist();
        IcsFolderSource.Applied gone = apply("delete", e, "0123456789abcdef0123456789abcdef");
        assertThat(gone.outcome()).startsWith("already gone");

        // deleting one event of a file keeps the others as they were
        Path a = write("a.ics", Ics.calendar(U1, U2));
        poll("a.ics");
        apply("delete", stored("u1"), hashSent("u1"));
        assertThat(Files.readString(a)).isEqualTo(Ics.calendar(U2));
    }

    @Test
    void floatingStaysFloatingAndNeededTimeZonesAreAdded() throws Exception {
        String floating = "BEGIN:VEVENT\r\nUID:f1\r\nDTSTAMP:20250601T000000Z\r\nDTSTART:20250610T090000\r\n"
                + "DTEND:20250610T100000\r\nSUMMARY:Floating\r\nEND:VEVENT\r\n";
        Path file = write("a.ics", Ics.calendar(floating, U2));
        poll("a.ics");

        CalendarEvent f1 = stored("f1");
        assertThat(f1.start().isFloating()).isTrue();
        apply("update", f1.toBuilder().title("Still floating").build(), hashSent("f1"));
        assertThat(Files.readString(file)).contains("DTSTART:20250610T090000\r\n").doesNotContain("TZID");

        // an event moved into a zone brings its VTIMEZONE along
        ZoneId berlin = ZoneId.of("Europe/Berlin");
        apply("update", stored("u2").toBuilder()
                .start(EventTime.ofZoned(LocalDateTime.parse("2025-06-11T14:00"), berlin))
                .end(EventTime.ofZoned(LocalDateTime.parse("2025-06-11T15:00"), berlin)).build(), hashSent("u2"));
        String text = Files.readString(file);
        assertThat(text).contains("BEGIN:VTIMEZONE\r\nTZID:Europe/Berlin").contains("DTSTART;TZID=Europe/Berlin:20250611T140000");
        assertThat(text.indexOf("BEGIN:VTIMEZONE")).isLessThan(text.indexOf("BEGIN:VEVENT"));
        assertThat(ICalCodec.parse(text, null)).hasSize(2);
    }

    @Test
    void floatingTimesReadInTheFilesZoneAreWrittenFloatingAgain() throws Exception {
        String floating = "BEGIN:VEVENT\r\nUID:f1\r\nDTSTAMP:20250601T000000Z\r\nDTSTART:20250610T090000\r\n"
                + "DTEND:20250610T100000\r\nSUMMARY:Floating\r\nEND:VEVENT\r\n";
        Path file = write("a.ics", Ics.calendar("X-WR-TIMEZONE:Europe/Berlin\r\n" + floating));
        poll("a.ics");
        CalendarEvent f1 = stored("f1");

        apply("update", f1.toBuilder().title("Pinned by the reader").build(), null);

        assertThat(Files.readString(file)).contains("DTSTART:20250610T090000\r\n").doesNotContain("TZID=");
    }

    @Test
    void anAppliedUpdateIsInTheStateAtOnceAndThePollFindsNothingNew() throws Exception {
        write("a.ics", Ics.calendar(U1, U2));
        poll("a.ics");
        acknowledgeEverything();

        apply("update", stored("u1").toBuilder().title("Applied").build(), hashSent("u1"));

        Map<String, OutboxEntry> out = state.read(tx -> tx.outboxHead(100));
        assertThat(out).containsOnlyKeys(key("u1"));
        assertThat(out.get(key("u1")).event().path("title").asText()).isEqualTo("Applied");
        long version = out.get(key("u1")).version();
        List<ChangeBatch> polled = read("a.ics");
        assertThat(polled).singleElement().extracting(ChangeBatch::kind).isEqualTo(ChangeBatch.Kind.TOUCHED);
        assertThat(collector.collect(polled).changedAnything()).isFalse();
        assertThat(state.<Long>read(tx -> tx.outboxHead(100).get(key("u1")).version())).isEqualTo(version);
    }

    @Test
    void renameSetsTheCalendarNameInEveryFileAndTheColourWhereThereIsOne() throws Exception {
        Path a = write("a.ics", Ics.calendar(U1));
        Path b = write("b.ics", Ics.calendar("X-WR-CALNAME:Old name\r\nX-APPLE-CALENDAR-COLOR:#00FF00\r\n" + U2));
        poll("a.ics");
        poll("b.ics");

        IcsFolderSource.Applied applied = source.renameCalendar(config, config.name(), "Team, renamed", "#FF0000");
        collector.collect(applied.reread());

        assertThat(Files.readString(a)).contains("X-WR-CALNAME:Team\\, renamed\r\n").doesNotContain("COLOR").contains(U1);
        assertThat(Files.readString(b)).contains("X-WR-CALNAME:Team\\, renamed\r\n", "X-APPLE-CALENDAR-COLOR:#FF0000\r\n", U2)
                .doesNotContain("Old name");
        assertThat(source.renameCalendar(config, config.name(), "Team, renamed", "#FF0000").reread()).isEmpty(); // nothing to rewrite
    }

    @Test
    void aReadOnlySourceIsNeitherWrittenNorRenamed() throws Exception {
        Path file = write("a.ics", Ics.calendar(U1));
        poll("a.ics");
        SourceConfig readOnly = new SourceConfig(SOURCE, folder, null, false, IcsFolderSource.PROVIDER);

        assertThatThrownBy(() -> source.applyEventUpdate(readOnly, "update", stored("u1"), null))
                .isInstanceOfSatisfying(UpdateFailedException.class, e -> assertThat(e.permanent()).isTrue())
                .hasMessageContaining("read-only");
        assertThatThrownBy(() -> source.renameCalendar(readOnly, readOnly.name(), "New", null))
                .isInstanceOfSatisfying(UpdateFailedException.class, e -> assertThat(e.permanent()).isTrue())
                .hasMessageContaining("read-only");
        assertThat(Files.readString(file)).isEqualTo(Ics.calendar(U1));
    }

    @Test
    void aFileWithLfLineEndingsKeepsThem() throws Exception {
        Path file = write("a.ics", Ics.calendar(U1, U2).replace("\r\n", "\n"));
        poll("a.ics");

        apply("update", stored("u1").toBuilder().title("LF kept").build(), hashSent("u1"));

        String text = Files.readString(file);
        assertThat(text).doesNotContain("\r").contains("SUMMARY:LF kept\n").contains(U2.replace("\r\n", "\n"))
                .contains("BEGIN:VALARM\nACTION:DISPLAY\n");
    }

    @Test
    void aVeventTheReaderCannotUseIsNeverDuplicatedNorOverwritten() throws Exception {
        Path file = write(IcsFolderSource.newFileName("m1"), Ics.calendar("BEGIN:VEVENT\r\nUID:m1\r\n"
                + "DTSTART:not-a-date\r\nSUMMARY:Broken\r\nEND:VEVENT\r\n"));
        String before = Files.readString(file);

        assertThatThrownBy(() -> source.applyEventUpdate(config, "create", event("m1", "From master", null), null))
                .isInstanceOfSatisfying(UpdateFailedException.class, e -> assertThat(e.permanent()).isTrue())
                .hasMessageContaining("cannot be read");
        assertThat(Files.readString(file)).isEqualTo(before);
    }

    private static CalendarEvent event(String uid, String title, Integer sequence) {
        return CalendarEvent.builder().uid(uid).title(title)
                .start(EventTime.ofInstant(Instant.parse("2025-06-10T07:00:00Z"), "UTC"))
                .end(EventTime.ofInstant(Instant.parse("2025-06-10T08:00:00Z"), "UTC"))
                .sequence(sequence).build();
    }
}
