package io.chronoroute.agent.source.olk;

import com.fasterxml.jackson.databind.JsonNode;
import io.chronoroute.agent.AgentProperties;
import io.chronoroute.agent.collect.ChangeBatch;
import io.chronoroute.agent.collect.ChangeCollector;
import io.chronoroute.agent.source.SourceRegistry;
import io.chronoroute.agent.state.AgentState;
import io.chronoroute.agent.state.OutboxEntry;
import io.chronoroute.olk15.fixture.Corruptions;
import io.chronoroute.olk15.fixture.EventEncoder;
import io.chronoroute.olk15.fixture.EventSpec;
import io.chronoroute.olk15.fixture.FixtureBuilder;
import io.chronoroute.olk15.fixture.Zones;
import io.chronoroute.olk15.model.Olk15Recurrence;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.time.Clock;
import java.time.DayOfWeek;
import java.time.Duration;
import java.time.Instant;
import java.time.LocalDate;
import java.time.LocalDateTime;
import java.time.ZoneId;
import java.time.ZoneOffset;
import java.util.List;
import java.util.Map;
import java.util.UUID;

import static org.assertj.core.api.Assertions.assertThat;

/** The source's logic without Spring/Camel: poll → collector → commit, on SYNTHETIC fixture profiles. */
class OutlookMacSourceTest {

    static final String AGENT = "agent-1";
    static final String SOURCE = "mac";
    static final ZoneId BERLIN = ZoneId.of("Europe/Berlin");

    @TempDir
    Path tmp;
    AgentState state;
    ChangeCollector collector;
    OutlookMacSource source;
    FixtureBuilder fb;
    String sqlite = "";
    String accounts = "";
    long settle = 0;
    final MutableClock clock = new MutableClock();
    long mtime = 1_750_000_000_000L;

    static final class MutableClock extends Clock {
        Instant now = Instant.now();

        @Override
        public ZoneId getZone() {
            return ZoneOffset.UTC;
        }

        @Override
        public Clock withZone(ZoneId zone) {
            return this;
        }

        @Override
        public Instant instant() {
            return now;
        }
    }

    @BeforeEach
    void setUp() throws IOException {
        AgentProperties props = new AgentProperties(AGENT, "t", "test", URI.create("http://127.0.0.1:1"), null,
                Duration.ofSeconds(30), Duration.ofSeconds(1), Duration.ofSeconds(1), 5000, 20, Duration.ofSeconds(5),
                Duration.ofMinutes(1), "Europe/Berlin");
        state = AgentState.open(tmp.resolve("data"));
        collector = new ChangeCollector(state, props);
        source = new OutlookMacSource(state, new SourceRegistry(), props, clock);
        fb = FixtureBuilder.create(tmp.resolve("profile"));
    }

    @AfterEach
    void tearDown() {
        state.close();
    }

    List<ChangeBatch> cycle() {
        source.register(SOURCE, fb.eventsDir().toString(), sqlite, accounts, "", settle);
        List<ChangeBatch> batches = source.poll(SOURCE);
        collector.collect(batches);
        source.commit(SOURCE);
        return batches;
    }

    /** The outbox as it is now, then emptied. */
    Map<String, OutboxEntry> drainOutbox() {
        return state.write(tx -> {
            Map<String, OutboxEntry> out = tx.outboxHead(100_000);
            out.keySet().forEach(tx::removeOutbox);
            return out;
        });
    }

    Map<String, String> failed() {
        return state.<Map<String, String>>read(AgentState.Tx::failedFiles);
    }

    long currentSize() {
        return state.<Long>read(AgentState.Tx::currentSize);
    }

    static List<JsonNode> upserts(Map<String, OutboxEntry> outbox) {
        return outbox.values().stream().filter(OutboxEntry::isUpsert).map(OutboxEntry::event).toList();
    }

    static long deletes(Map<String, OutboxEntry> outbox) {
        return outbox.values().stream().filter(e -> !e.isUpsert()).count();
    }

    EventSpec single(int id, String subject) {
        LocalDateTime start = LocalDateTime.of(2025, 6, 2, 9, 0).plusDays(id);
        return EventSpec.of(id).uid("single-" + id + "@test.invalid").uuid(new UUID(7, id)).subject(subject)
                .timed(start, start.plusHours(1), BERLIN).zone(Zones.BERLIN);
    }

    EventSpec master(int id) {
        LocalDateTime start = LocalDateTime.of(2025, 6, 3, 10, 0);
        EventSpec s = EventSpec.of(id).uid("series-" + id + "@test.invalid").uuid(new UUID(8, id)).subject("Weekly")
                .timed(start, start.plusMinutes(30), BERLIN).zone(Zones.BERLIN);
        return s.recurrence(new EventSpec.RecurrenceSpec(Olk15Recurrence.Type.WEEKLY, 1, List.of(DayOfWeek.TUESDAY),
                null, null, Olk15Recurrence.EndType.AFTER_COUNT, 5, null, start.toLocalDate(), List.of()));
    }

    EventSpec exception(int id, int master, String uid) {
        Instant original = LocalDateTime.of(2025, 6, 10, 10, 0).atZone(BERLIN).toInstant();
        LocalDateTime moved = LocalDateTime.of(2025, 6, 10, 14, 0);
        EventSpec s = EventSpec.of(id).uid(uid).uuid(new UUID(9, id)).subject("Weekly (moved)")
                .timed(moved, moved.plusMinutes(30), BERLIN).zone(Zones.BERLIN).exceptionOf(master, original);
        s.recurring = true;
        return s;
    }

    Path add(int dir, EventSpec s) throws IOException {
        return touch(fb.addEvent(dir, 100 + dir, 1000L + dir, s));
    }

    Path touch(Path p) throws IOException {
        Files.setLastModifiedTime(p, FileTime.fromMillis(mtime += 2000));
        return p;
    }

    @Test
    void anExceptionWhoseMasterIsNotKnownIsKeptPendingThenSentWithTheMastersUid() throws IOException {
        add(0, exception(11, 10, null));

        cycle();

        assertThat(drainOutbox()).isEmpty();
        assertThat(failed()).isEmpty();
        @SuppressWarnings("unchecked")
        Map<String, Object> status = (Map<String, Object>) source.status().get(SOURCE);
        assertThat(status.get("pendingExceptions")).isEqualTo(1L);

        add(0, master(10));
        cycle();

        List<JsonNode> sent = upserts(drainOutbox());
        assertThat(sent).hasSize(2);
        JsonNode m = sent.stream().filter(e -> !e.hasNonNull("recurrence_id")).findFirst().orElseThrow();
        JsonNode o = sent.stream().filter(e -> e.hasNonNull("recurrence_id")).findFirst().orElseThrow();
        assertThat(m.path("uid").asText()).isEqualTo("series-10@test.invalid");
        assertThat(m.path("rrule").get(0).asText()).contains("FREQ=WEEKLY");
        assertThat(o.path("uid").asText()).isEqualTo("series-10@test.invalid");
        assertThat(o.path("recurrence_id").path("date_time").asText()).isEqualTo("2025-06-10T10:00:00+02:00");
        assertThat(o.path("recurrence_id").path("time_zone").asText()).isEqualTo("Europe/Berlin");
        assertThat(o.path("title").asText()).isEqualTo("Weekly (moved)");

        cycle();
        assertThat(drainOutbox()).as("a rescan with no change sends nothing").isEmpty();
    }

    @Test
    void aMasterAndItsExceptionInOnePollAreOneSeries() throws IOException {
        add(3, exception(21, 20, "series-20@test.invalid"));
        add(3, master(20));

        cycle();

        List<JsonNode> sent = upserts(drainOutbox());
        assertThat(sent).extracting(e -> e.path("uid").asText()).containsOnly("series-20@test.invalid");
        assertThat(sent).hasSize(2);
    }

    @Test
    void aCorruptFileIsReportedAndSkippedItsEventsAreKeptAndTheNextFileStillFlows() throws IOException {
        Path a = add(0, single(1, "A"));
        Path b = add(0, single(2, "B"));
        cycle();
        assertThat(upserts(drainOutbox())).hasSize(2);

        Files.write(a, Corruptions.truncate(EventEncoder.encode(single(1, "A changed")), 60));
        touch(a);
        add(0, single(3, "C"));
        cycle();

        Map<String, OutboxEntry> out = drainOutbox();
        assertThat(upserts(out)).extracting(e -> e.path("title").asText()).containsExactly("C");
        assertThat(deletes(out)).isZero();
        assertThat(failed()).containsOnlyKeys("mac/0/1.olk15Event");
        assertThat(currentSize()).isEqualTo(3);

        cycle();
        assertThat(drainOutbox()).as("the corrupt file is not re-read while it does not change").isEmpty();

        Files.delete(b);
        Files.write(a, EventEncoder.encode(single(1, "A repaired")));
        touch(a);
        cycle();
        out = drainOutbox();
        assertThat(upserts(out)).extracting(e -> e.path("title").asText()).containsExactly("A repaired");
        assertThat(deletes(out)).isEqualTo(1);
        assertThat(failed()).isEmpty();
    }

    @Test
    void aFileStillBeingWrittenIsReadOnceTwoScansSawItUnchanged() throws IOException {
        settle = 60_000;
        Path p = fb.addEvent(0, 100, 1000L, single(1, "fresh"));
        clock.now = Files.getLastModifiedTime(p).toInstant().plusSeconds(1);

        cycle();
        assertThat(drainOutbox()).isEmpty();

        cycle();
        assertThat(upserts(drainOutbox())).extracting(e -> e.path("title").asText()).containsExactly("fresh");
    }

    @Test
    void theDatabaseGivesCalendarNamesFiltersAccountsAndMismatchesAreReportedNotResolved() throws IOException {
        fb.account(1000L, "Work", "work@example.invalid").calendarFolder(100, 1000L, "Work calendar");
        fb.account(1001L, "Home", "home@example.invalid").calendarFolder(101, 1001L, "Home calendar");
        add(0, single(1, "work 1"));
        EventSpec w2 = single(2, "work 2");
        add(0, w2);
        add(1, single(3, "home 1"));
        long otherStart = io.chronoroute.olk15.format.WinMinutes.fromInstant(w2.start) + 60;
        fb.overrideRow(2, r -> r.withStartMinutes(otherStart));
        fb.writeDatabase();
        sqlite = fb.sqlitePath().toString();
        accounts = "work@example.invalid";

        cycle();

        List<JsonNode> sent = upserts(drainOutbox());
        assertThat(sent).extracting(e -> e.path("title").asText()).containsExactlyInAnyOrder("work 1", "work 2");
        assertThat(sent).allSatisfy(e -> {
            assertThat(e.path("calendar_id").asText()).isEqualTo("100");
            assertThat(e.path("calendar_name").asText()).isEqualTo("Work calendar");
            assertThat(e.path("provider").asText()).isEqualTo("outlook-mac");
            assertThat(e.hasNonNull("last_modified")).isTrue();
        });
        JsonNode w2sent = sent.stream().filter(e -> e.path("title").asText().equals("work 2")).findFirst().orElseThrow();
        assertThat(w2sent.path("start").path("date_time").asText()).isEqualTo("2025-06-04T09:00:00+02:00");
        @SuppressWarnings("unchecked")
        Map<String, Object> status = (Map<String, Object>) source.status().get(SOURCE);
        assertThat(status.get("databaseMismatchFiles")).isEqualTo(1);
        assertThat(status.get("filteredByAccount")).isEqualTo(1L);
        assertThat(status.get("databaseMismatches").toString()).contains("0/2.olk15Event").contains("start");
    }

    @Test
    void anAccountsFilterWithoutTheDatabaseCollectsNothing() throws IOException {
        add(0, single(1, "x"));
        accounts = "work@example.invalid";

        cycle();

        assertThat(drainOutbox()).isEmpty();
        @SuppressWarnings("unchecked")
        Map<String, Object> status = (Map<String, Object>) source.status().get(SOURCE);
        assertThat(status.get("problem").toString()).contains("needs sqlitePath");
    }

    @Test
    void aMissingEventsFolderIsNotTakenAsEverythingDeleted() throws IOException {
        add(0, single(1, "x"));
        cycle();
        drainOutbox();
        Path moved = tmp.resolve("elsewhere");
        Files.move(fb.eventsDir(), moved);

        cycle();

        assertThat(drainOutbox()).isEmpty();
        assertThat(currentSize()).isEqualTo(1);
        Files.move(moved, fb.eventsDir());
        cycle();
        assertThat(drainOutbox()).isEmpty();
    }

    @Test
    void anAllDaySeriesGetsADateRecurrenceId() throws IOException {
        EventSpec m = EventSpec.of(30).uid("allday-series@test.invalid").uuid(new UUID(3, 30)).subject("Holiday")
                .allDay(LocalDate.of(2025, 9, 1), 1)
                .recurrence(new EventSpec.RecurrenceSpec(Olk15Recurrence.Type.WEEKLY, 1, List.of(DayOfWeek.MONDAY),
                        null, null, Olk15Recurrence.EndType.AFTER_COUNT, 3, null, LocalDate.of(2025, 9, 1), List.of()));
        EventSpec x = EventSpec.of(31).uuid(new UUID(3, 31)).subject("Holiday moved").allDay(LocalDate.of(2025, 9, 9), 1)
                .exceptionOf(30, LocalDate.of(2025, 9, 8).atStartOfDay().toInstant(ZoneOffset.UTC));
        x.recurring = true;
        add(0, m);
        add(0, x);

        cycle();

        JsonNode o = upserts(drainOutbox()).stream().filter(e -> e.hasNonNull("recurrence_id")).findFirst().orElseThrow();
        assertThat(o.path("uid").asText()).isEqualTo("allday-series@test.invalid");
        assertThat(o.path("recurrence_id").path("date").asText()).isEqualTo("2025-09-08");
        assertThat(o.path("start").path("date").asText()).isEqualTo("2025-09-09");
    }

    @Test
    void aRestartedSourceParsesNothingAgainAndStillResolvesAPendingException() throws IOException {
        add(0, single(1, "A"));
        add(0, exception(11, 10, null));
        cycle();
        assertThat(upserts(drainOutbox())).hasSize(1);

        AgentProperties props = new AgentProperties(AGENT, "t", "test", URI.create("http://127.0.0.1:1"), null,
                Duration.ofSeconds(30), Duration.ofSeconds(1), Duration.ofSeconds(1), 5000, 20, Duration.ofSeconds(5),
                Duration.ofMinutes(1), "Europe/Berlin");
        source = new OutlookMacSource(state, new SourceRegistry(), props, clock);
        assertThat(cycle()).as("nothing is read again after a restart").isEmpty();
        assertThat(Files.exists(tmp.resolve("data/outlook-mac/mac.scan-index"))).isTrue();
        assertThat(Files.exists(tmp.resolve("data/outlook-mac/mac.records.json"))).isTrue();

        add(0, master(10));
        cycle();
        assertThat(upserts(drainOutbox())).extracting(e -> e.path("uid").asText())
                .containsExactlyInAnyOrder("series-10@test.invalid", "series-10@test.invalid");
    }
}
