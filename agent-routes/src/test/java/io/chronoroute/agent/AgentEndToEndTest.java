package io.chronoroute.agent;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.chronoroute.agent.heartbeat.HeartbeatSchedule;
import io.chronoroute.agent.source.IcsFolderSource;
import io.chronoroute.agent.state.AgentState;
import io.chronoroute.processors.wire.WireJson;
import org.apache.camel.CamelContext;
import org.apache.camel.Exchange;
import org.apache.camel.builder.NotifyBuilder;
import org.apache.camel.test.spring.junit5.CamelSpringBootTest;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.extension.ExtendWith;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.boot.test.system.CapturedOutput;
import org.springframework.boot.test.system.OutputCaptureExtension;
import org.springframework.test.context.DynamicPropertyRegistry;
import org.springframework.test.context.DynamicPropertySource;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

import static org.apache.camel.builder.Builder.header;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * The whole agent (Spring Boot + Camel, the YAML template from src-routes-yaml, two sources loaded from a sources
 * folder) against an in-test master ({@link FakeMaster}) that speaks protocol 2.
 */
@CamelSpringBootTest
@SpringBootTest(classes = ChronorouteAgentApplication.class, webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
@ExtendWith(OutputCaptureExtension.class)
class AgentEndToEndTest {

    static final String AGENT = "it-agent";
    static final String SECRET = "enrollment-secret-that-must-never-be-logged";
    static final Duration WAIT = Duration.ofSeconds(40);
    static final Path ROOT;
    static final Path READONLY;
    static final Path WRITABLE;
    static final Path SOURCES;
    static final Path DATA;
    static final FakeMaster MASTER;
    /** The feed of the shipped ICS subscription example: a valid empty calendar (the other tests count titles). */
    static final com.sun.net.httpserver.HttpServer FEED;
    static final String FEED_TOKEN = "feed-token-that-must-never-be-logged";
    static final List<String> FEED_REQUESTS = new java.util.concurrent.CopyOnWriteArrayList<>();
    static final AtomicLong MTIME = new AtomicLong(1_750_000_000_000L);

    static {
        try {
            ROOT = Files.createTempDirectory("chronoroute-agent-it");
            READONLY = Files.createDirectories(ROOT.resolve("readonly"));
            WRITABLE = Files.createDirectories(ROOT.resolve("writable"));
            SOURCES = Files.createDirectories(ROOT.resolve("sources"));
            DATA = ROOT.resolve("data");
            Files.writeString(SOURCES.resolve("readonly.camel.yaml"), source("readonly", READONLY, false));
            Files.writeString(SOURCES.resolve("writable.camel.yaml"), source("writable", WRITABLE, true));
            // the shipped examples must load as they are (one YAML file per source)
            Path examples = Path.of("..", "src-routes-yaml", "examples", "agent");
            Files.copy(examples.resolve("demo-ics.camel.yaml"), SOURCES.resolve("demo-ics.camel.yaml"));
            Files.copy(examples.resolve("team-calendar-writable.camel.yaml"), SOURCES.resolve("team-calendar-writable.camel.yaml"));
            Files.copy(examples.resolve("ics-subscription.camel.yaml"), SOURCES.resolve("ics-subscription.camel.yaml"));
            FEED = com.sun.net.httpserver.HttpServer.create(new java.net.InetSocketAddress(
                    java.net.InetAddress.getLoopbackAddress(), 0), 0);
            FEED.createContext("/", ex -> {
                FEED_REQUESTS.add(ex.getRequestURI().toString());
                byte[] b = Ics.calendar().getBytes(StandardCharsets.UTF_8);
                ex.getResponseHeaders().add("Content-Type", "text/calendar");
                ex.sendResponseHeaders(200, b.length);
                ex.getResponseBody().write(b);
                ex.close();
            });
            FEED.start();
            Files.createDirectories(ROOT.resolve("demo"));
            Files.createDirectories(ROOT.resolve("team"));
            MASTER = new FakeMaster(SECRET);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    static String source(String name, Path folder, boolean writable) {
        return """
                - templatedRoute:
                    routeTemplateRef: ics-folder-source
                    routeId: agent-poll-ics-%s
                    parameters:
                      - name: sourceName
                        value: %s
                      - name: folder
                        value: "%s"
                      - name: allowEventUpdates
                        value: "%s"
                      - name: pollDelay
                        value: "200"
                      - name: readLockCheckInterval
                        value: "100"
                """.formatted(name, name, folder.toString(), writable);
    }

    @DynamicPropertySource
    static void properties(DynamicPropertyRegistry r) {
        r.add("chronoroute.data-dir", DATA::toString);
        r.add("chronoroute.sources-dir", SOURCES::toString);
        r.add("chronoroute.demo-dir", () -> ROOT.resolve("demo").toString());
        r.add("chronoroute.team-calendar-dir", () -> ROOT.resolve("team").toString());
        r.add("chronoroute.agent.id", () -> AGENT);
        r.add("chronoroute.agent.master-url", () -> MASTER.url().toString());
        r.add("chronoroute.agent.enrollment-secret", () -> SECRET);
        r.add("chronoroute.agent.heartbeat-interval", () -> "300ms");
        r.add("chronoroute.agent.heartbeat-tick", () -> "100");
        r.add("chronoroute.agent.heartbeat-initial-delay", () -> "1500");
        r.add("chronoroute.agent.max-backoff", () -> "1s");
        r.add("chronoroute.agent.time-zone", () -> "Europe/Berlin");
        r.add("CHRONOROUTE_HOLIDAYS_FEED_URL", () -> "http://127.0.0.1:" + FEED.getAddress().getPort()
                + "/feeds/holidays.ics?token=" + FEED_TOKEN);
    }

    @AfterAll
    static void stopMaster() {
        MASTER.close();
        FEED.stop(0);
    }

    @Autowired
    CamelContext camel;
    @Autowired
    AgentState state;
    @Autowired
    HeartbeatSchedule schedule;
    @Autowired
    io.chronoroute.agent.status.AgentHealthIndicator health;

    static void write(Path file, String text) throws IOException {
        Files.writeString(file, text, StandardCharsets.UTF_8);
        Files.setLastModifiedTime(file, FileTime.fromMillis(MTIME.addAndGet(2000)));
    }

    long outboxSize() {
        return state.<Long>read(AgentState.Tx::outboxSize);
    }

    static List<FakeMaster.Heartbeat> heartbeatsSince(int index) {
        List<FakeMaster.Heartbeat> all = MASTER.heartbeats();
        return all.subList(Math.min(index, all.size()), all.size());
    }

    static int total(List<FakeMaster.Heartbeat> hbs, String field) {
        return hbs.stream().filter(h -> h.status() == 200 && !h.replay()).mapToInt(h -> h.json().path(field).size()).sum();
    }

    @Test
    @Order(1)
    void aDroppedFileArrivesAtTheMaster() throws IOException {
        write(READONLY.resolve("a.ics"), Ics.calendar(Ics.vevent("u1", "Standup", "20250610T070000Z"),
                Ics.vevent("u2", "Review", "20250611T120000Z")));

        await().atMost(WAIT).untilAsserted(() -> assertThat(MASTER.titles()).containsExactly("Review", "Standup"));
        await().atMost(WAIT).until(() -> outboxSize() == 0);

        JsonNode registration = MASTER.registrations().get(0);
        assertThat(registration.path("enrollment_secret").asText()).isEqualTo(SECRET);
        assertThat(registration.path("config").path("time_zone").asText()).isEqualTo("Europe/Berlin");
        assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(DATA.resolve("credential")))).isEqualTo("rw-------");
        assertThat(camel.getRoute("agent-poll-ics-readonly")).isNotNull();
        assertThat(camel.getRoute("agent-send-heartbeat")).isNotNull();
        assertThat(camel.getRoute("agent-poll-ics-demo")).isNotNull();
        assertThat(camel.getRoute("agent-poll-ics-team-calendar")).isNotNull();
        assertThat(camel.getRoute("agent-poll-ics-team-calendar").getEndpoint().getEndpointUri()).contains(ROOT.resolve("team").toString());
    }

    @Test
    @Order(2)
    void anEditSendsOnlyThatEvent() throws IOException {
        int before = MASTER.heartbeats().size();
        NotifyBuilder collected = new NotifyBuilder(camel).fromRoute("agent-poll-ics-readonly")
                .filter(header(Exchange.FILE_NAME).isEqualTo("a.ics")).whenCompleted(1).create();

        write(READONLY.resolve("a.ics"), Ics.calendar(Ics.vevent("u1", "Standup moved", "20250610T080000Z"),
                Ics.vevent("u2", "Review", "20250611T120000Z")));

        assertThat(collected.matches(WAIT.toSeconds(), TimeUnit.SECONDS)).isTrue();
        await().atMost(WAIT).untilAsserted(() -> assertThat(MASTER.titles()).containsExactly("Review", "Standup moved"));
        List<FakeMaster.Heartbeat> since = heartbeatsSince(before);
        assertThat(total(since, "changed")).isEqualTo(1);
        assertThat(total(since, "deleted")).isZero();
    }

    @Test
    @Order(3)
    void removingAVeventSendsADeletion() throws IOException {
        int before = MASTER.heartbeats().size();

        write(READONLY.resolve("a.ics"), Ics.calendar(Ics.vevent("u1", "Standup moved", "20250610T080000Z")));

        await().atMost(WAIT).untilAsserted(() -> assertThat(MASTER.titles()).containsExactly("Standup moved"));
        List<FakeMaster.Heartbeat> since = heartbeatsSince(before);
        assertThat(total(since, "deleted")).isEqualTo(1);
        assertThat(total(since, "changed")).isZero();
    }

    @Test
    @Order(4)
    void aHeartbeatWithoutChangesIsTiny() {
        int before = MASTER.heartbeats().size();

        await().atMost(WAIT).until(() -> heartbeatsSince(before).stream().anyMatch(h -> h.batchId() == null && h.status() == 200));

        FakeMaster.Heartbeat idle = heartbeatsSince(before).stream().filter(h -> h.batchId() == null).findFirst().orElseThrow();
        // tiny: no events; what grows with the agent is only the source list, one bounded entry per source (with
        // its state: kind, last read, cursor age, issue #10)
        ObjectNode withoutSources = ((ObjectNode) idle.json().deepCopy());
        ((ObjectNode) withoutSources.get("stats")).remove("source_list");
        assertThat(withoutSources.toString().getBytes(StandardCharsets.UTF_8).length).isLessThanOrEqualTo(1024);
        idle.json().get("stats").get("source_list").forEach(s ->
                assertThat(s.toString().getBytes(StandardCharsets.UTF_8).length).isLessThanOrEqualTo(256));
        assertThat(idle.json().path("changed").size()).isZero();
        assertThat(idle.json().path("deleted").size()).isZero();
        assertThat(idle.json().path("protocol").asInt()).isEqualTo(2);
        assertThat(idle.json().path("digest").asText()).isEqualTo(MASTER.digest(AGENT));
    }

    @Test
    @Order(5)
    void aBrokenFileIsReportedAndSkippedAndTheNextFileStillFlows() throws IOException {
        write(READONLY.resolve("broken.ics"), Ics.BROKEN);
        write(READONLY.resolve("b.ics"), Ics.calendar(Ics.vevent("u3", "Lunch", "20250612T110000Z")));

        await().atMost(WAIT).untilAsserted(() -> assertThat(MASTER.titles()).containsExactly("Lunch", "Standup moved"));
        await().atMost(WAIT).untilAsserted(() ->
                assertThat(state.<Map<String, String>>read(AgentState.Tx::failedFiles)).containsKey("readonly/broken.ics"));
        // a 0-byte file reaches the reader too (the file consumer's read lock must not hold it back) and is reported
        write(READONLY.resolve("empty.ics"), "");
        await().atMost(WAIT).untilAsserted(() ->
                assertThat(state.<Map<String, String>>read(AgentState.Tx::failedFiles)).containsKey("readonly/empty.ics"));

        // a file that used to be fine and breaks keeps its events at the master
        write(READONLY.resolve("b.ics"), Ics.BROKEN);
        await().atMost(WAIT).untilAsserted(() ->
                assertThat(state.<Map<String, String>>read(AgentState.Tx::failedFiles)).containsKey("readonly/b.ics"));
        int before = MASTER.heartbeats().size();
        await().atMost(WAIT).until(() -> heartbeatsSince(before).size() >= 3);
        assertThat(MASTER.titles()).containsExactly("Lunch", "Standup moved");
    }

    @Test
    @Order(6)
    void duringAMasterOutageChangesAreKeptAndDeliveredLater() throws IOException {
        MASTER.mode(FakeMaster.Mode.DOWN);
        int before = MASTER.heartbeats().size();

        write(READONLY.resolve("c.ics"), Ics.calendar(Ics.vevent("u4", "Written during outage", "20250613T110000Z")));

        await().atMost(WAIT).until(() -> outboxSize() >= 1
                && heartbeatsSince(before).stream().filter(h -> h.status() == 503).count() >= 3);
        assertThat(MASTER.titles()).doesNotContain("Written during outage");
        assertThat(outboxSize()).isEqualTo(1);

        MASTER.mode(FakeMaster.Mode.UP);

        await().atMost(WAIT).untilAsserted(() -> assertThat(MASTER.titles()).contains("Written during outage"));
        await().atMost(WAIT).until(() -> outboxSize() == 0);
    }

    @Test
    @Order(7)
    void aBatchWhoseAnswerWasLostIsResentWithTheSameIdAndAppliedOnce() throws IOException {
        MASTER.mode(FakeMaster.Mode.LOSE_NEXT_ANSWER);
        int before = MASTER.heartbeats().size();

        write(READONLY.resolve("d.ics"), Ics.calendar(Ics.vevent("u5", "Replayed", "20250614T110000Z")));

        await().atMost(WAIT).until(() -> outboxSize() == 0 && MASTER.titles().contains("Replayed"));
        List<FakeMaster.Heartbeat> carrying = heartbeatsSince(before).stream()
                .filter(h -> h.body().contains("Replayed")).toList();
        assertThat(carrying).hasSizeGreaterThanOrEqualTo(2);
        String batchId = carrying.get(0).batchId();
        assertThat(carrying.get(0).status()).isEqualTo(503);
        assertThat(carrying.get(1).batchId()).isEqualTo(batchId);
        assertThat(carrying.get(1).body()).isEqualTo(carrying.get(0).body());
        assertThat(carrying.get(1).replay()).isTrue();
        assertThat(MASTER.applyCount(batchId)).isEqualTo(1);
    }

    static ObjectNode eventUpdate(String action, String source, String uid, String title) {
        ObjectNode data = WireJson.mapper().createObjectNode();
        data.put("action", action);
        data.put("source", source);
        ObjectNode e = data.putObject("event");
        e.put("uid", uid);
        e.put("title", title);
        e.putObject("start").put("date_time", "2025-07-01T10:00:00+02:00").put("time_zone", "Europe/Berlin");
        e.putObject("end").put("date_time", "2025-07-01T11:00:00+02:00").put("time_zone", "Europe/Berlin");
        return data;
    }

    static long processedCount(String id) {
        return MASTER.processed().stream().filter(p -> p.getKey().equals(id)).count();
    }

    static String processedBody(String id) {
        return MASTER.processed().stream().filter(p -> p.getKey().equals(id)).reduce((a, b) -> b).orElseThrow().getValue();
    }

    @Test
    @Order(8)
    void eventUpdatesAreAppliedToAWritableFolderAndAcknowledged() throws IOException {
        Path created = WRITABLE.resolve(IcsFolderSource.newFileName("m1@master"));

        MASTER.queueUpdate("upd-1", "event_update", eventUpdate("create", "writable", "m1@master", "From master"));
        await().atMost(WAIT).until(() -> processedCount("upd-1") == 1 && !MASTER.isPending("upd-1"));
        assertThat(processedBody("upd-1")).isEmpty();
        assertThat(Files.readString(created)).contains("SUMMARY:From master").contains("UID:m1@master");
        await().atMost(WAIT).untilAsserted(() -> assertThat(MASTER.titles()).contains("From master"));

        // redelivered (e.g. the confirmation got lost): confirmed again, not applied twice
        String content = Files.readString(created);
        MASTER.queueUpdate("upd-1", "event_update", eventUpdate("create", "writable", "m1@master", "From master"));
        await().atMost(WAIT).until(() -> processedCount("upd-1") == 2);
        assertThat(Files.readString(created)).isEqualTo(content);
        try (var files = Files.list(WRITABLE)) {
            assertThat(files.filter(f -> f.toString().endsWith(".ics")).count()).isEqualTo(1);
        }

        MASTER.queueUpdate("upd-2", "event_update", eventUpdate("update", "writable", "m1@master", "Renamed by master"));
        await().atMost(WAIT).until(() -> processedCount("upd-2") == 1);
        assertThat(processedBody("upd-2")).isEmpty();
        assertThat(Files.readString(created)).contains("SUMMARY:Renamed by master").doesNotContain("SUMMARY:From master");
        await().atMost(WAIT).untilAsserted(() -> assertThat(MASTER.titles()).contains("Renamed by master").doesNotContain("From master"));

        MASTER.queueUpdate("upd-3", "event_update", eventUpdate("delete", "writable", "m1@master", "Renamed by master"));
        await().atMost(WAIT).until(() -> processedCount("upd-3") == 1);
        assertThat(created).doesNotExist();
        await().atMost(WAIT).untilAsserted(() -> assertThat(MASTER.titles()).doesNotContain("Renamed by master"));

        // a seed-style delete names the UID alone (no start): a complete delete, not a "start missing" rejection
        Path second = WRITABLE.resolve(IcsFolderSource.newFileName("m1b@master"));
        MASTER.queueUpdate("upd-3b", "event_update", eventUpdate("create", "writable", "m1b@master", "Delete by uid"));
        await().atMost(WAIT).until(() -> processedCount("upd-3b") == 1 && Files.exists(second));
        ObjectNode byUid = WireJson.mapper().createObjectNode();
        byUid.put("action", "delete");
        byUid.put("source", "writable");
        byUid.putObject("event").put("uid", "m1b@master");
        MASTER.queueUpdate("upd-3c", "event_update", byUid);
        await().atMost(WAIT).until(() -> processedCount("upd-3c") == 1);
        assertThat(processedBody("upd-3c")).isEmpty();
        assertThat(second).doesNotExist();
        await().atMost(WAIT).untilAsserted(() -> assertThat(MASTER.titles()).doesNotContain("Delete by uid"));
    }

    @Test
    @Order(8)
    void heartbeatsSayWhichSourcesAcceptWrites() {
        JsonNode stats = MASTER.heartbeats().get(MASTER.heartbeats().size() - 1).json().get("stats");
        Map<String, Boolean> writable = new java.util.TreeMap<>();
        stats.get("source_list").forEach(s -> writable.put(s.get("name").asText(), s.get("writable").asBoolean()));
        assertThat(writable).containsEntry("writable", true).containsEntry("readonly", false);
    }

    @Test
    @Order(8)
    void theShippedIcsSubscriptionExampleRunsAndEverySourceReportsItsState() {
        await().atMost(WAIT).until(() -> !FEED_REQUESTS.isEmpty());
        assertThat(FEED_REQUESTS.get(0)).isEqualTo("/feeds/holidays.ics?token=" + FEED_TOKEN);
        await().atMost(WAIT).untilAsserted(() -> {
            JsonNode stats = MASTER.heartbeats().get(MASTER.heartbeats().size() - 1).json().get("stats");
            Map<String, JsonNode> byName = new java.util.TreeMap<>();
            stats.get("source_list").forEach(s -> byName.put(s.get("name").asText(), s));
            JsonNode feed = byName.get("team-holidays");
            assertThat(feed).isNotNull();
            assertThat(feed.path("kind").asText()).isEqualTo("ics-subscription");
            assertThat(feed.path("writable").asBoolean()).isFalse();
            assertThat(feed.path("last_read").isTextual()).isTrue();
            assertThat(feed.path("cursor_age_seconds").isNumber()).isTrue();
            assertThat(feed.has("last_error")).isFalse();
            assertThat(byName.get("readonly").path("kind").asText()).isEqualTo("ics");
            assertThat(byName.get("readonly").path("last_read").isTextual()).isTrue();
        });
        @SuppressWarnings("unchecked")
        Map<String, Object> states = (Map<String, Object>) health.health().getDetails().get("sourceStates");
        assertThat(states).containsKeys("team-holidays", "readonly", "writable");
        assertThat(camel.getRoute("agent-poll-ics-sub-team-holidays")).isNotNull();
    }

    @Test
    @Order(9)
    void eventUpdatesForAReadOnlyOrUnknownSourceAreRejectedPermanently() {
        MASTER.queueUpdate("upd-4", "event_update", eventUpdate("create", "readonly", "m2@master", "Not allowed"));
        MASTER.queueUpdate("upd-5", "event_update", eventUpdate("create", "no-such-source", "m3@master", "Nowhere"));

        await().atMost(WAIT).until(() -> processedCount("upd-4") == 1 && processedCount("upd-5") == 1);
        assertThat(processedBody("upd-4")).contains("\"success\":false").contains("\"permanent\":true").contains("read-only");
        assertThat(processedBody("upd-5")).contains("\"success\":false").contains("\"permanent\":true");
        assertThat(READONLY.resolve(IcsFolderSource.newFileName("m2@master"))).doesNotExist();
        assertThat(MASTER.titles()).doesNotContain("Not allowed", "Nowhere");
    }

    @Test
    @Order(10)
    void syncConfigChangesTheHeartbeatIntervalAtRuntime() {
        ObjectNode data = WireJson.mapper().createObjectNode();
        data.putObject("changes").put("sync_interval_minutes", 0.01);
        MASTER.queueUpdate("upd-6", "sync_config", data);

        await().atMost(WAIT).until(() -> processedCount("upd-6") == 1);
        assertThat(schedule.interval()).isEqualTo(Duration.ofMillis(600));
        schedule.changeInterval(Duration.ofMillis(300));
    }

    @Test
    @Order(11)
    void aMasterThatForgotTheAgentGetsItRegisteredAgain() throws IOException {
        int registrations = MASTER.registrations().size();
        MASTER.forget(AGENT);

        write(READONLY.resolve("e.ics"), Ics.calendar(Ics.vevent("u6", "After re-registration", "20250615T110000Z")));

        await().atMost(WAIT).untilAsserted(() -> assertThat(MASTER.titles()).contains("After re-registration"));
        assertThat(MASTER.registrations()).hasSizeGreaterThan(registrations);
    }

    @Test
    @Order(12)
    void secretsAreNeverLogged(CapturedOutput output) throws IOException {
        String credential = Files.readString(DATA.resolve("credential"));
        assertThat(credential).isNotBlank();
        assertThat(output.getAll()).doesNotContain(SECRET).doesNotContain(credential).doesNotContain(FEED_TOKEN);
    }
}
