package io.chronoroute.agent.source.olk;

import io.chronoroute.agent.ChronorouteAgentApplication;
import io.chronoroute.agent.FakeMaster;
import io.chronoroute.agent.source.SourceRegistry;
import io.chronoroute.agent.state.AgentState;
import io.chronoroute.agent.status.AgentHealthIndicator;
import io.chronoroute.olk15.Olk15Parser;
import io.chronoroute.olk15.fixture.CorpusGenerator;
import io.chronoroute.olk15.fixture.CorpusSummary;
import io.chronoroute.olk15.fixture.Corruptions;
import io.chronoroute.olk15.fixture.EventEncoder;
import io.chronoroute.olk15.fixture.EventSpec;
import io.chronoroute.olk15.fixture.Zones;
import io.chronoroute.olk15.format.WinMinutes;
import io.chronoroute.olk15.model.Olk15Event;
import org.apache.camel.CamelContext;
import org.apache.camel.builder.NotifyBuilder;
import org.apache.camel.test.spring.junit5.CamelSpringBootTest;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.test.annotation.DirtiesContext;
import org.springframework.test.context.DynamicPropertyRegistry;
import org.springframework.test.context.DynamicPropertySource;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.time.Duration;
import java.time.LocalDateTime;
import java.time.ZoneId;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * The agent (Spring Boot + Camel + the outlook-mac-source YAML template) against an in-test master: a generated
 * SYNTHETIC corpus (300 events, 8 account directories) with a source file written by {@code olk15 discover
 * --write-route} that selects 7 of the 8 accounts. Full sync → every event of the selected accounts arrives as
 * series with overrides; one changed, one added, one deleted and one corrupted file → exactly those changes; a
 * rescan with no change sends nothing; Outlook's folder is never written.
 */
@CamelSpringBootTest
@SpringBootTest(classes = ChronorouteAgentApplication.class, webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT)
@DirtiesContext(classMode = DirtiesContext.ClassMode.AFTER_CLASS)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class OutlookMacRouteTest {

    static final String AGENT = "olk-agent";
    static final String SOURCE = "mac";
    static final String ROUTE = "outlook-mac-source-" + SOURCE;   // the routeId the CLI writes
    static final String SECRET = "olk-enrollment-secret";
    static final Duration WAIT = Duration.ofSeconds(60);
    static final int EXCLUDED_DIR = 7;
    static final Path ROOT;
    static final Path PROFILE;
    static final Path DATA;
    static final Path SOURCES;
    static final CorpusSummary CORPUS;
    static final FakeMaster MASTER;
    static final Map<String, String> BEFORE;
    static Map<String, String> afterOwnChanges;

    static {
        try {
            ROOT = Files.createTempDirectory("chronoroute-olk-route");
            PROFILE = ROOT.resolve("Outlook 15 Profiles/Main Profile");
            CORPUS = CorpusGenerator.generate(PROFILE, 4242L, 300, 8);
            SOURCES = Files.createDirectories(ROOT.resolve("sources"));
            DATA = ROOT.resolve("agent-data");
            List<String> accounts = new ArrayList<>();
            for (int a = 0; a < 8; a++) {
                if (a != EXCLUDED_DIR) {
                    accounts.add("account" + a + "@example.invalid");
                }
            }
            OlkAgentTestSupport.cliRoute(PROFILE.resolve("Data"), SOURCES.resolve("outlook-mac.camel.yaml"), SOURCE,
                    accounts, OlkAgentTestSupport.param("pollDelay", "200") + OlkAgentTestSupport.param("settleTime", "300"));
            // the shipped example must load as it is (its default Events path does not exist here: it stays idle)
            Files.copy(Path.of("..", "src-routes-yaml", "examples", "agent", "outlook-mac.camel.yaml"),
                    SOURCES.resolve("example-outlook-mac.camel.yaml"));
            BEFORE = OlkAgentTestSupport.snapshot(PROFILE);
            MASTER = new FakeMaster(SECRET);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    @DynamicPropertySource
    static void properties(DynamicPropertyRegistry r) {
        r.add("chronoroute.data-dir", DATA::toString);
        r.add("chronoroute.sources-dir", SOURCES::toString);
        r.add("chronoroute.agent.id", () -> AGENT);
        r.add("chronoroute.agent.master-url", () -> MASTER.url().toString());
        r.add("chronoroute.agent.enrollment-secret", () -> SECRET);
        r.add("chronoroute.agent.heartbeat-interval", () -> "300ms");
        r.add("chronoroute.agent.heartbeat-tick", () -> "100");
        r.add("chronoroute.agent.heartbeat-initial-delay", () -> "500");
        r.add("chronoroute.agent.max-backoff", () -> "1s");
        r.add("chronoroute.agent.time-zone", () -> "Europe/Berlin");
    }

    @AfterAll
    static void stopMaster() {
        MASTER.close();
    }

    @Autowired
    CamelContext camel;
    @Autowired
    AgentState state;
    @Autowired
    AgentHealthIndicator agentHealth;
    @Autowired
    OutlookMacHealthIndicator outlookHealth;
    @Autowired
    SourceRegistry registry;

    long outboxSize() {
        return state.<Long>read(AgentState.Tx::outboxSize);
    }

    static int total(List<FakeMaster.Heartbeat> hbs, String field) {
        return hbs.stream().filter(h -> h.status() == 200 && !h.replay()).mapToInt(h -> h.json().path(field).size()).sum();
    }

    static List<FakeMaster.Heartbeat> since(int index) {
        List<FakeMaster.Heartbeat> all = MASTER.heartbeats();
        return all.subList(Math.min(index, all.size()), all.size());
    }

    static boolean selected(String rel) {
        return !rel.startsWith(EXCLUDED_DIR + "/");
    }

    /** Waits for {@code n} more completed polls of the source route (each a full scan). */
    void awaitPolls(int n) {
        NotifyBuilder polls = new NotifyBuilder(camel).fromRoute(ROUTE).whenCompleted(n).create();
        assertThat(polls.matches(WAIT.toSeconds(), TimeUnit.SECONDS)).isTrue();
    }

    @Test
    @Order(1)
    void theFullSyncDeliversEverySelectedEventAsSeriesWithOverrides() throws IOException {
        Set<String> expected = OlkAgentTestSupport.expectedRecords(CORPUS.eventsDir(), OutlookMacRouteTest::selected);
        assertThat(expected.size()).isGreaterThan(250);

        await().atMost(WAIT).untilAsserted(() ->
                assertThat(OlkAgentTestSupport.receivedRecords(MASTER)).isEqualTo(expected));
        await().atMost(WAIT).until(() -> outboxSize() == 0);

        long[] shape = OlkAgentTestSupport.seriesShape(MASTER);
        assertThat(shape[0]).isPositive();
        assertThat(shape[1]).isPositive();
        assertThat(camel.getRoute(ROUTE)).isNotNull();
        assertThat(camel.getRoute("agent-poll-olk-outlook-mac")).isNotNull();
        assertThat(registry.find("outlook-mac").orElseThrow().folder()).isEqualTo(Path.of(System.getProperty("user.home"),
                "Library/Group Containers/UBF8T346G9.Office/Outlook/Outlook 15 Profiles/Main Profile/Data/Events"));
        assertThat(registry.find(SOURCE).orElseThrow().allowEventUpdates()).isFalse();
        assertThat(MASTER.events().values()).allSatisfy(s -> {
            assertThat(s.event().path("provider").asText()).isEqualTo("outlook-mac");
            assertThat(s.event().path("calendar_name").asText()).startsWith("Calendar");
        });
        Map<String, Object> status = sourceStatus();
        assertThat(status.get("databaseMismatchFiles")).isEqualTo(0);
        assertThat(status.get("pendingExceptions")).isEqualTo(0L);
        assertThat((Long) status.get("filteredByAccount")).isPositive();
        assertThat(OlkAgentTestSupport.snapshot(PROFILE)).as("the full sync wrote nothing in Outlook's folder").isEqualTo(BEFORE);
    }

    @Test
    @Order(2)
    void aRescanWithNoChangeSendsNothing() {
        int before = MASTER.heartbeats().size();

        awaitPolls(3);
        await().atMost(WAIT).until(() -> MASTER.heartbeats().size() > before + 1);

        List<FakeMaster.Heartbeat> since = since(before);
        assertThat(total(since, "changed")).isZero();
        assertThat(total(since, "deleted")).isZero();
        assertThat(outboxSize()).isZero();
    }

    @Test
    @Order(3)
    void changedAddedDeletedAndCorruptedFilesSendExactlyThoseChanges() throws Exception {
        List<Path> singles = singleEvents();
        Path changed = first(singles, "0/");
        Path deleted = first(singles, "1/");
        Path corrupted = first(singles, "2/");
        Olk15Event changedBefore = Olk15Parser.parse(changed);
        Olk15Event deletedBefore = Olk15Parser.parse(deleted);
        Olk15Event corruptedBefore = Olk15Parser.parse(corrupted);
        int heartbeatsBefore = MASTER.heartbeats().size();
        int masterSizeBefore = MASTER.events().size();

        // 1. change a subject
        EventSpec spec = respec(changedBefore).subject("Changed by the test");
        Files.write(changed, EventEncoder.encode(spec));
        Files.setLastModifiedTime(changed, FileTime.fromMillis(System.currentTimeMillis() - 10_000));
        // 2. add an event (and its database row, as Outlook would; the account filter needs it)
        LocalDateTime start = LocalDateTime.of(2025, 11, 3, 9, 0);
        EventSpec added = EventSpec.of(900_001).uid("added-by-test@chronoroute.invalid").uuid(new UUID(5, 5))
                .subject("Added by the test").timed(start, start.plusHours(1), ZoneId.of("Europe/Berlin")).zone(Zones.BERLIN);
        Path addedFile = CORPUS.eventsDir().resolve("0/900001.olk15Event");
        Files.write(addedFile, EventEncoder.encode(added));
        insertRow(added, "Events/0/900001.olk15Event", 100, 1000L);
        // 3. delete one, 4. corrupt one
        Files.delete(deleted);
        Files.write(corrupted, Corruptions.truncate(Files.readAllBytes(corrupted), 70));
        afterOwnChanges = OlkAgentTestSupport.snapshot(PROFILE);

        await().atMost(WAIT).untilAsserted(() -> {
            assertThat(MASTER.titles()).contains("Changed by the test", "Added by the test");
            assertThat(OlkAgentTestSupport.receivedRecords(MASTER)).doesNotContain(deletedBefore.icalUid());
        });
        await().atMost(WAIT).until(() -> outboxSize() == 0);
        awaitPolls(2);

        List<FakeMaster.Heartbeat> since = since(heartbeatsBefore);
        assertThat(total(since, "changed")).isEqualTo(2);
        assertThat(total(since, "deleted")).isEqualTo(1);
        assertThat(MASTER.events()).hasSize(masterSizeBefore + 1 - 1);
        assertThat(OlkAgentTestSupport.receivedRecords(MASTER)).contains(corruptedBefore.icalUid(), changedBefore.icalUid());
        assertThat(MASTER.titles()).doesNotContain(changedBefore.subject());

        String corruptedRel = CORPUS.eventsDir().relativize(corrupted).toString();
        @SuppressWarnings("unchecked")
        Map<String, String> skipped = (Map<String, String>) agentHealth.health().getDetails().get("skippedFiles");
        assertThat(skipped).containsOnlyKeys(SOURCE + "/" + corruptedRel);
        assertThat(sourceStatus().get("skippedFiles")).isEqualTo(1);
        assertThat(OlkAgentTestSupport.snapshot(PROFILE)).as("nothing written in Outlook's folder beyond the test's own changes")
                .isEqualTo(afterOwnChanges);
    }

    @Test
    @Order(4)
    void noMarkerLockOrTemporaryFileWasEverCreated() throws IOException {
        try (Stream<Path> s = Files.walk(PROFILE)) {
            List<String> foreign = s.filter(Files::isRegularFile).map(p -> p.getFileName().toString())
                    .filter(n -> !n.endsWith(".olk15Event") && !n.equals("Outlook.sqlite") && !n.equals("SYNTHETIC-README.txt"))
                    .toList();
            assertThat(foreign).isEmpty();
        }
        assertThat(Files.exists(DATA.resolve(OutlookMacSource.STATE_DIR).resolve(SOURCE + ".scan-index"))).isTrue();
    }

    @SuppressWarnings("unchecked")
    Map<String, Object> sourceStatus() {
        return (Map<String, Object>) outlookHealth.health().getDetails().get(SOURCE);
    }

    /** Files of single events (neither master nor exception), in path order. */
    static List<Path> singleEvents() throws IOException {
        List<Path> out = new ArrayList<>();
        try (Stream<Path> s = Files.walk(CORPUS.eventsDir())) {
            for (Path p : s.filter(f -> f.toString().endsWith(".olk15Event")).sorted().toList()) {
                Olk15Event e = Olk15Parser.parse(p);
                if (e.masterRecordId() == null && !Boolean.TRUE.equals(e.recurring())) {
                    out.add(p);
                }
            }
        }
        return out;
    }

    static Path first(List<Path> files, String dirPrefix) {
        return files.stream().filter(p -> CORPUS.eventsDir().relativize(p).toString().startsWith(dirPrefix))
                .findFirst().orElseThrow();
    }

    /** The spec of a parsed single event (same identity and times) to write a changed version of it. */
    static EventSpec respec(Olk15Event e) {
        EventSpec s = EventSpec.of(e.recordId()).uid(e.icalUid()).uuid(e.recordUuid()).location(e.location())
                .busy(e.busyStatus());
        s.start = e.start();
        s.end = e.end();
        s.localStart = e.localStart();
        s.localEnd = e.localEnd();
        s.allDay = e.allDay();
        if (e.timeZone() != null) {
            s.zone(Zones.ALL.stream().filter(z -> z.olsonId().equals(e.timeZone().olsonId())).findFirst().orElseThrow());
        }
        return s;
    }

    static void insertRow(EventSpec s, String path, int folder, long account) throws Exception {
        try (Connection c = DriverManager.getConnection("jdbc:sqlite:" + CORPUS.sqlitePath().toAbsolutePath());
             PreparedStatement ps = c.prepareStatement("INSERT INTO CalendarEvents (Record_RecordID, PathToDataFile, "
                     + "Record_ModDate, Record_FolderID, Record_AccountUID, Record_UUID, Calendar_StartDateUTC, "
                     + "Calendar_EndDateUTC, Calendar_IsRecurring, Calendar_UID) VALUES (?,?,?,?,?,?,?,?,0,?)")) {
            ps.setInt(1, s.recordId);
            ps.setString(2, path);
            ps.setLong(3, 1_762_000_000L);
            ps.setInt(4, folder);
            ps.setLong(5, account);
            ps.setString(6, s.recordUuid.toString().toUpperCase(java.util.Locale.ROOT));
            ps.setLong(7, WinMinutes.fromInstant(s.start));
            ps.setLong(8, WinMinutes.fromInstant(s.end));
            ps.setString(9, s.icalUid);
            ps.executeUpdate();
        }
    }
}
