package io.chronoroute.e2e;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.chronoroute.testsupport.Ports;
import io.chronoroute.testsupport.google.FakeGoogleCalendar;
import io.chronoroute.testsupport.process.AppProcess;
import io.chronoroute.testsupport.redis.RedisLauncher;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.extension.ExtensionContext;
import org.junit.jupiter.api.extension.TestWatcher;

/**
 * Two masters (the built jar, two processes) on one real redis-server, leader election on, a Google destination
 * into the fake Google Calendar through one {@link GoogleTap} per master (so every request is known by its sender).
 * Short lease (3 s) and intervals so the whole class takes about two minutes of process time.
 * <ol>
 *   <li>exactly one leader; kill -9 of the leader in the middle of a destination run → the other leads within 15 s
 *       and finishes the run: every event exactly once in the calendar, none lost; heartbeats to the survivor are
 *       accepted all along; the killed master restarts as a follower;</li>
 *   <li>a leader paused (SIGSTOP) while waiting for a write's answer, past its lease, then woken (SIGCONT): the other
 *       master took over and finished; the woken one sends no write request any more and the store refused its
 *       stale epoch.</li>
 * </ol>
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
@ExtendWith(FailoverIT.ShowLogsOnFailure.class)
class FailoverIT {

    static final String ADMIN = "Bearer " + Apps.ADMIN;
    static final String AGENT = "failover-agent";
    static final Duration START = Duration.ofSeconds(600);
    static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(3)).build();

    static Path work;
    static RedisLauncher redis;
    static FakeGoogleCalendar fake;
    static final Map<String, Master> masters = new LinkedHashMap<>();
    static final List<Map<String, Object>> events = new ArrayList<>();

    /** One master process and its tap. */
    static final class Master {
        final String id;
        final int port = Ports.free();
        final GoogleTap tap;
        final AppProcess process;

        Master(String id) {
            this.id = id;
            this.tap = new GoogleTap(fake.baseUrl(), Duration.ofMillis(30));
            this.process = new AppProcess(id, AppProcess.jar("master-routes", "chronoroute-master.jar"),
                    work.resolve(id + ".log"), Apps.JVM, List.of("--server.port=" + port,
                    "--chronoroute.data-dir=" + work.resolve(id + "-data"),
                    "--chronoroute.store=redis", "--chronoroute.redis.url=" + redis.url(),
                    "--chronoroute.cluster.enabled=true", "--chronoroute.cluster.id=" + id,
                    "--chronoroute.cluster.lease=3s", "--chronoroute.cluster.interval=300ms",
                    "--chronoroute.admin-token=" + Apps.ADMIN, "--chronoroute.feed-token=" + Apps.FEED,
                    "--chronoroute.enrollment-secret=" + Apps.ENROLL, "--chronoroute.console.password=" + Apps.CONSOLE,
                    "--chronoroute.legacy-agents.enabled=true",
                    "--chronoroute.routes-dir=" + work.resolve("routes"),
                    "--chronoroute.destinations.g.type=google",
                    "--chronoroute.destinations.g.calendar-id=primary",
                    "--chronoroute.destinations.g.batch-size=0",
                    "--chronoroute.destinations.g.rate=20",
                    "--chronoroute.destinations.g.google.client-id=failover-client",
                    "--chronoroute.destinations.g.google.client-secret=failover-secret",
                    "--chronoroute.destinations.g.google.access-token=failover-access-token",
                    "--chronoroute.destinations.g.google.root-url=" + tap.baseUrl()), Map.of());
        }

        String url(String path) {
            return "http://127.0.0.1:" + port + path;
        }

        JsonNode cluster() {
            return Apps.json(get(url("/sync/cluster")));
        }

        boolean leads() {
            try {
                return cluster().path("leader").asBoolean();
            } catch (RuntimeException e) {
                return false;
            }
        }

        JsonNode destination() {
            return Apps.json(get(url("/sync/destinations"))).path("destinations").get(0);
        }
    }

    static final class ShowLogsOnFailure implements TestWatcher {
        @Override
        public void testFailed(ExtensionContext context, Throwable cause) {
            masters.values().forEach(m -> System.err.println("--- " + m.id + " log tail ---\n" + m.process.logTail(60)));
        }
    }

    @BeforeAll
    static void start() throws IOException {
        work = Files.createTempDirectory("chronoroute-failover-e2e");
        Files.createDirectories(work.resolve("routes"));
        Files.writeString(work.resolve("routes").resolve("g.camel.yaml"), """
                - templatedRoute:
                    routeTemplateRef: destination-sync
                    routeId: master-sync-destination-g
                    parameters:
                      - name: destination
                        value: g
                      - name: period
                        value: "1000"
                      - name: initialDelay
                        value: "300"
                """);
        redis = RedisLauncher.embedded();
        fake = new FakeGoogleCalendar().start();
        for (String id : List.of("master-a", "master-b")) {
            masters.put(id, new Master(id));
        }
        masters.values().forEach(m -> m.process.start());
        masters.values().forEach(m -> m.process.awaitHttpOk(m.url("/health"), START));
    }

    @AfterAll
    static void stop() {
        masters.values().forEach(m -> {
            m.process.resume();
            m.process.stop();
            m.tap.close();
        });
        if (fake != null) {
            fake.close();
        }
        if (redis != null) {
            redis.close();
        }
    }

    @Test
    @Order(1)
    void aKilledLeaderIsReplacedWithin15sAndTheRunFinishesWithoutDuplicatesOrLosses() throws Exception {
        Master leader = await().atMost(Duration.ofSeconds(30)).until(FailoverIT::currentLeader, m -> m != null);
        Master follower = other(leader);
        JsonNode fromFollower = follower.cluster();
        assertThat(fromFollower.path("leader").asBoolean()).as("exactly one leader").isFalse();
        assertThat(fromFollower.path("leader_id").asText()).isEqualTo(leader.id);
        assertThat(fromFollower.path("epoch").asLong()).isEqualTo(leader.cluster().path("epoch").asLong());

        HttpResponse<String> reg = post(follower.url("/sync/agents/register"), Map.of("id", AGENT, "name", "Failover",
                "environment", "e2e", "agent_type", "python", "interval_minutes", 1,
                "capabilities", List.of("calendar_sync"), "config", Map.of("version", "1.0")));
        assertThat(reg.statusCode()).as(reg.body()).isEqualTo(201);
        for (int i = 0; i < 60; i++) {
            events.add(event("failover-" + i, "Failover event " + i, 6 + i % 20));
        }
        assertThat(heartbeat(follower).statusCode()).isEqualTo(200);

        // the leader is writing: kill it in the middle of the run
        await().atMost(Duration.ofSeconds(60)).until(() -> leader.tap.writes() >= 10);
        leader.process.kill();
        assertThat(leader.tap.writes()).as("killed mid-run").isLessThan(60);

        ConcurrentLinkedQueue<Integer> statuses = new ConcurrentLinkedQueue<>();
        AtomicBoolean beating = new AtomicBoolean(true);
        CompletableFuture<Void> beats = CompletableFuture.runAsync(() -> {
            while (beating.get()) {
                statuses.add(heartbeat(follower).statusCode());
                sleepQuietly(250);
            }
        });
        await().atMost(Duration.ofSeconds(15)).until(follower::leads);

        await().atMost(Duration.ofSeconds(120)).until(() -> titles().size() >= events.size()
                && "OK".equals(follower.destination().path("last_result").path("outcome").asText()));
        beating.set(false);
        beats.get(30, TimeUnit.SECONDS);
        assertCalendarHasEveryEventOnce();
        assertThat(statuses).as("heartbeats to the survivor during and after the failover").isNotEmpty()
                .allMatch(s -> s == 200);

        leader.process.start().awaitHttpOk(leader.url("/health"), START);
        await().atMost(Duration.ofSeconds(15)).until(() -> follower.id.equals(leader.cluster().path("leader_id").asText()));
        assertThat(leader.leads()).as("the killed master came back as a follower").isFalse();
        assertThat(follower.leads()).isTrue();
    }

    @Test
    @Order(2)
    void aPausedLeaderWritesNothingAfterItWakesAndItsStaleEpochIsRefused() throws Exception {
        Master paused = await().atMost(Duration.ofSeconds(30)).until(FailoverIT::currentLeader, m -> m != null);
        Master survivor = other(paused);
        long pausedEpoch = paused.cluster().path("epoch").asLong();

        CountDownLatch release = new CountDownLatch(1);
        CompletableFuture<Void> writing = paused.tap.holdNextWrite(release);
        for (int i = 0; i < 20; i++) {
            events.add(event("paused-" + i, "Paused event " + i, 6 + i % 20));
        }
        assertThat(heartbeat(survivor).statusCode()).isEqualTo(200);
        writing.get(60, TimeUnit.SECONDS); // a write reached the fake; the leader waits for its answer
        paused.process.pause();
        release.countDown();

        await().atMost(Duration.ofSeconds(15)).until(survivor::leads);
        assertThat(survivor.cluster().path("epoch").asLong()).isGreaterThan(pausedEpoch);
        await().atMost(Duration.ofSeconds(120)).until(() -> titles().size() >= events.size()
                && "OK".equals(survivor.destination().path("last_result").path("outcome").asText()));

        Instant woke = Instant.now();
        paused.process.resume();
        await().atMost(Duration.ofSeconds(15)).until(() -> !paused.leads());
        await().atMost(Duration.ofSeconds(15)).until(() -> paused.process.logTail(400)
                .contains("write refused: leadership epoch " + pausedEpoch + " is stale"));
        assertThat(paused.tap.writesAfter(woke)).as("writes from the paused master after it woke").isZero();
        // it learns who leads now at its next look at the lock (one interval after it woke)
        await().atMost(Duration.ofSeconds(15)).untilAsserted(() ->
                assertThat(paused.cluster().path("leader_id").asText()).isEqualTo(survivor.id));
        assertCalendarHasEveryEventOnce();
    }

    // ------------------------------------------------------------------ helpers

    static Master currentLeader() {
        List<Master> leading = masters.values().stream().filter(m -> m.process.isAlive() && m.leads()).toList();
        return leading.size() == 1 ? leading.get(0) : null;
    }

    static Master other(Master m) {
        return masters.values().stream().filter(x -> x != m).findFirst().orElseThrow();
    }

    static Map<String, Object> event(String id, String title, int day) {
        Map<String, Object> e = new LinkedHashMap<>();
        e.put("id", id);
        e.put("title", title);
        e.put("start_time", String.format("2026-03-%02dT09:00:00+01:00", day));
        e.put("end_time", String.format("2026-03-%02dT10:00:00+01:00", day));
        e.put("source", "outlook");
        e.put("modified_at", "2026-02-01T08:00:00+01:00");
        return e;
    }

    /** The seed's full heartbeat (every event, every time). */
    static HttpResponse<String> heartbeat(Master m) {
        return post(m.url("/sync/agents/" + AGENT + "/heartbeat"), Map.of("timestamp", Instant.now().toString(),
                "status", "active", "environment", "e2e", "events", events));
    }

    /** Live event titles in the fake calendar, each title once per event found (duplicates kept). */
    static List<String> titles() {
        return fake.storedEvents(fake.primaryCalendarId()).stream()
                .filter(e -> !"cancelled".equals(e.path("status").asText()))
                .map(e -> e.path("summary").asText()).toList();
    }

    static void assertCalendarHasEveryEventOnce() {
        List<String> live = titles();
        Set<String> expected = new TreeSet<>();
        events.forEach(e -> expected.add((String) e.get("title")));
        Map<String, Integer> counts = new HashMap<>();
        live.forEach(t -> counts.merge(t, 1, Integer::sum));
        assertThat(counts.entrySet().stream().filter(e -> e.getValue() > 1).toList()).as("duplicates").isEmpty();
        assertThat(new TreeSet<>(live)).as("every event, none lost, nothing else").isEqualTo(expected);
        List<ObjectNode> all = fake.storedEvents(fake.primaryCalendarId());
        assertThat(all).as("nothing written twice and deleted").hasSize(expected.size());
    }

    static HttpResponse<String> get(String url) {
        return send(HttpRequest.newBuilder(URI.create(url)).header("Authorization", ADMIN).GET());
    }

    static HttpResponse<String> post(String url, Object body) {
        try {
            return send(HttpRequest.newBuilder(URI.create(url)).header("Content-Type", "application/json")
                    .POST(HttpRequest.BodyPublishers.ofString(Apps.JSON.writeValueAsString(body))));
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }

    static HttpResponse<String> send(HttpRequest.Builder b) {
        try {
            return HTTP.send(b.timeout(Duration.ofSeconds(20)).build(), HttpResponse.BodyHandlers.ofString());
        } catch (IOException e) {
            throw new IllegalStateException(e.getMessage(), e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    static void sleepQuietly(long millis) {
        try {
            Thread.sleep(millis);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
