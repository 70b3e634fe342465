package io.chronoroute.bench;

import com.fasterxml.jackson.databind.JsonNode;
import io.chronoroute.processors.model.CalendarEvent;
import io.chronoroute.processors.sync.SyncKey;
import io.chronoroute.testsupport.Ports;
import io.chronoroute.testsupport.caldav.DavCollection;
import io.chronoroute.testsupport.caldav.IcsText;
import io.chronoroute.testsupport.caldav.RadicaleLauncher;
import io.chronoroute.testsupport.process.AppProcess;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;

/**
 * {@code ./bench.sh twoway [--edits 50] [--events 10] [--idle-cycles 5] [--heartbeat 1s] [--poll 300]
 * [--run-period 1000]}: the round trip of two-way sync (issue #9) with the real jars as processes. A master with a
 * real Radicale as CalDAV destination (its timer every {@code --run-period} ms), an agent (heartbeat every
 * {@code --heartbeat}) with a writable ICS folder source (polled every {@code --poll} ms) holding {@code --events}
 * events, one file each. Then {@code --edits} times, one after the other (each after a random pause shorter than
 * the longer of the two timer periods, so the edits fall at every phase of the timers) and round robin over the
 * events: a person changes the SUMMARY of one event in Radicale (GET, edit the text, PUT with If-Match,
 * LAST-MODIFIED now), and the clock runs until that event's file in the folder carries the new title (polled every
 * 10 ms). Every step is on
 * its timer, nothing is triggered: destination run (reads the change) → ingest → event_update for the agent → its
 * next heartbeat fetches it → file rewritten. Prints p50/p95/max beside the three intervals, then lets
 * {@code --idle-cycles} destination runs and as many heartbeats pass with no edit and prints what they did: updates
 * queued for the agent, destination writes (status {@code total_writes}) and Radicale resources changed (ETags);
 * each must be 0.
 */
public final class TwoWayBench {

    private static final String ADMIN = "bench-admin-token";
    private static final String AGENT = "bench-agent";
    private static final String DESTINATION = "dav";
    private static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(3)).build();

    private final String masterUrl;

    private TwoWayBench(String masterUrl) {
        this.masterUrl = masterUrl;
    }

    public static void main(String[] args) throws Exception {
        int edits = PipelineBench.intArg(args, "--edits", 50);
        int events = PipelineBench.intArg(args, "--events", 10);
        int idleCycles = PipelineBench.intArg(args, "--idle-cycles", 5);
        String heartbeat = FailoverBench.stringArg(args, "--heartbeat", "1s");
        int poll = PipelineBench.intArg(args, "--poll", 300);
        int runPeriod = PipelineBench.intArg(args, "--run-period", 1000);
        Duration start = Duration.ofMinutes(PipelineBench.intArg(args, "--start-minutes", 10));
        Path work = Files.createTempDirectory("chronoroute-twoway-bench");
        System.out.printf(Locale.ROOT, "two-way bench: %d edits in Radicale over %d events; destination run every %d ms,"
                + " agent heartbeat every %s, folder poll every %d ms; work dir %s%n", edits, events, runPeriod,
                heartbeat, poll, work);

        Path folder = Files.createDirectories(work.resolve("ics"));
        for (int i = 0; i < events; i++) {
            Files.writeString(folder.resolve("event-" + i + ".ics"), "BEGIN:VCALENDAR\r\nVERSION:2.0\r\n"
                    + "PRODID:-//Chronoroute//two-way bench//EN\r\nBEGIN:VEVENT\r\nUID:" + uid(i) + "\r\n"
                    + "DTSTAMP:20261201T080000Z\r\nLAST-MODIFIED:20261201T080000Z\r\nSUMMARY:Bench event " + i + "\r\n"
                    + "DTSTART:20261210T" + String.format(Locale.ROOT, "%02d", 8 + i % 10) + "0000Z\r\n"
                    + "DTEND:20261210T" + String.format(Locale.ROOT, "%02d", 9 + i % 10) + "0000Z\r\n"
                    + "END:VEVENT\r\nEND:VCALENDAR\r\n");
        }
        Path sources = Files.createDirectories(work.resolve("sources"));
        Files.writeString(sources.resolve("bench-ics.camel.yaml"), """
                - templatedRoute:
                    routeTemplateRef: ics-folder-source
                    routeId: agent-poll-bench-ics
                    parameters:
                      - name: sourceName
                        value: bench-ics
                      - name: folder
                        value: "%s"
                      - name: pollDelay
                        value: "%d"
                      - name: readLockCheckInterval
                        value: "200"
                      - name: allowEventUpdates
                        value: "true"
                """.formatted(folder.toAbsolutePath(), poll));
        Path routes = Files.createDirectories(work.resolve("routes"));
        Files.writeString(routes.resolve(DESTINATION + ".camel.yaml"), """
                - templatedRoute:
                    routeTemplateRef: destination-sync
                    routeId: master-sync-destination-%1$s
                    parameters:
                      - name: destination
                        value: %1$s
                      - name: period
                        value: "%2$d"
                      - name: initialDelay
                        value: "1000"
                """.formatted(DESTINATION, runPeriod));

        int masterPort = Ports.free();
        int agentPort = Ports.free();
        TwoWayBench bench = new TwoWayBench("http://127.0.0.1:" + masterPort);
        try (RadicaleLauncher radicale = RadicaleLauncher.start(Duration.ofSeconds(60))) {
            DavCollection dav = new DavCollection(radicale.baseUrl() + "bench/chronoroute/", "bench");
            try (AppProcess master = new AppProcess("master", AppProcess.jar("master-routes", "chronoroute-master.jar"),
                    work.resolve("master.log"), PipelineBench.MASTER_JVM,
                    List.of("--server.port=" + masterPort, "--chronoroute.data-dir=" + work.resolve("master-data"),
                            "--chronoroute.routes-dir=" + routes, "--chronoroute.admin-token=" + ADMIN,
                            "--chronoroute.feed-token=bench-feed", "--chronoroute.enrollment-secret=" + PipelineBench.ENROLL,
                            "--chronoroute.console.password=bench-console", "--logging.level.root=WARN",
                            "--chronoroute.destinations." + DESTINATION + ".type=caldav",
                            "--chronoroute.destinations." + DESTINATION + ".caldav.url=" + dav.collection,
                            "--chronoroute.destinations." + DESTINATION + ".caldav.username=bench",
                            "--chronoroute.destinations." + DESTINATION + ".caldav.password=bench",
                            "--chronoroute.destinations." + DESTINATION + ".caldav.create-calendar=true"),
                    PipelineBench.MASTER_ENV);
                 AppProcess agent = new AppProcess("agent", AppProcess.jar("agent-routes", "chronoroute-agent.jar"),
                         work.resolve("agent.log"), List.of("-Xmx256m"),
                         List.of("--server.port=" + agentPort, "--chronoroute.data-dir=" + work.resolve("agent-data"),
                                 "--chronoroute.sources-dir=" + sources, "--chronoroute.agent.id=" + AGENT,
                                 "--chronoroute.agent.master-url=" + bench.masterUrl,
                                 "--chronoroute.agent.enrollment-secret=" + PipelineBench.ENROLL,
                                 "--chronoroute.agent.heartbeat-interval=" + heartbeat,
                                 "--chronoroute.agent.time-zone=Europe/Berlin", "--logging.level.root=WARN"),
                         Map.of())) {
                master.start().awaitHttpOk(bench.masterUrl + "/health", start);
                agent.start().awaitHttpOk("http://127.0.0.1:" + agentPort + "/actuator/health", start);
                long t0 = System.nanoTime();
                PipelineBench.await(() -> resources(dav) == events, start, events + " events in Radicale");
                System.out.printf(Locale.ROOT, "initial: %d events in Radicale %.1f s after both processes answered%n",
                        events, (System.nanoTime() - t0) / 1e9);
                bench.awaitSettled(start);

                List<Long> millis = new ArrayList<>();
                // each edit at a random point of the timers' cycles (else every edit starts right after the file
                // changed, always at the same phase of the heartbeat); seeded, so a rerun makes the same pauses
                Random phase = new Random(42);
                long cycleMillis = Math.max(runPeriod, millis(heartbeat));
                for (int n = 1; n <= edits; n++) {
                    LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(phase.nextLong(cycleMillis)));
                    int i = (n - 1) % events;
                    String title = "Bench event " + i + " edit " + n;
                    Path file = folder.resolve("event-" + i + ".ics");
                    long began = editInRadicale(dav, uid(i), title);
                    long ms = awaitFile(file, "SUMMARY:" + title, began);
                    millis.add(ms);
                    System.out.printf(Locale.ROOT, "edit %2d: %s changed after %,d ms%n", n, file.getFileName(), ms);
                }
                List<Long> sorted = new ArrayList<>(millis);
                Collections.sort(sorted);
                System.out.printf(Locale.ROOT, "round trip (edit in Radicale -> the origin's file changed), %d edits: "
                                + "p50 %,d ms, p95 %,d ms, max %,d ms, min %,d ms; destination run every %d ms, agent "
                                + "heartbeat every %s, folder poll every %d ms%n", edits, percentile(sorted, 50),
                        percentile(sorted, 95), sorted.get(sorted.size() - 1), sorted.get(0), runPeriod, heartbeat, poll);

                bench.awaitSettled(Duration.ofMinutes(2));
                int history = bench.history();
                long writes = bench.destination().path("total_writes").asLong();
                Map<String, String> etags = dav.etags();
                for (int c = 0; c < idleCycles; c++) {
                    bench.awaitRun();
                    bench.awaitHeartbeat();
                }
                int queued = bench.history() - history;
                long written = bench.destination().path("total_writes").asLong() - writes;
                Map<String, String> after = dav.etags();
                long changed = etags.entrySet().stream().filter(e -> !e.getValue().equals(after.get(e.getKey())))
                        .count() + after.keySet().stream().filter(h -> !etags.containsKey(h)).count();
                System.out.printf(Locale.ROOT, "idle: %d destination runs and heartbeats without an edit: %d updates "
                        + "queued, %d destination writes, %d Radicale resources changed (all must be 0)%n",
                        idleCycles, queued, written, changed);
                if (queued + written + changed != 0) {
                    System.out.println("IDLE CYCLES WROTE SOMETHING: see " + work.resolve("master.log"));
                    System.exit(1);
                }
            }
        }
    }

    /** Resources in the collection; -1 while it does not exist yet (the master creates it on its first run). */
    static int resources(DavCollection dav) {
        try {
            return dav.etags().size();
        } catch (IllegalStateException e) {
            return -1;
        }
    }

    /** A Spring-style duration ({@code 1s}, {@code 500ms}, {@code 2m}) in milliseconds. */
    static long millis(String duration) {
        String d = duration.strip().toLowerCase(Locale.ROOT);
        return d.endsWith("ms") ? Long.parseLong(d.substring(0, d.length() - 2))
                : Duration.parse("PT" + d.toUpperCase(Locale.ROOT)).toMillis();
    }

    static String uid(int i) {
        return "bench-two-way-" + i + "@chronoroute.invalid";
    }

    /**
     * A person edits the event's title in Radicale, as a client does: GET, change SUMMARY and LAST-MODIFIED in the
     * text (our X-CHRONOROUTE-* tags kept), PUT with If-Match; a 412 (the master wrote it meanwhile) is retried.
     * Returns {@link System#nanoTime()} at the accepted PUT.
     */
    static long editInRadicale(DavCollection dav, String uid, String title) {
        // the CalDAV writer's resource of a single event: <collection>/<identity>.ics, its VEVENT tagged with it
        String identity = SyncKey.identityOf(CalendarEvent.builder().uid(uid).build());
        for (int attempt = 0; attempt < 5; attempt++) {
            DavCollection.Resource r = dav.get(dav.href(identity));
            int status = dav.put(r.href(), IcsText.edit(r.body(), "X-CHRONOROUTE-KEY:" + identity, Map.of("SUMMARY", title,
                    "LAST-MODIFIED", IcsText.utc(Instant.now()))), r.etag());
            if (status == 201 || status == 204 || status == 200) {
                return System.nanoTime();
            }
            if (status != 412) {
                throw new IllegalStateException("PUT " + r.href() + " answered " + status);
            }
        }
        throw new IllegalStateException("PUT of " + uid + " kept answering 412");
    }

    /** Polls the file every 10 ms until it holds the line; the milliseconds since {@code began}. */
    static long awaitFile(Path file, String line, long began) {
        long deadline = began + TimeUnit.MINUTES.toNanos(2);
        while (!fileHas(file, line)) {
            if (System.nanoTime() > deadline) {
                throw new IllegalStateException(file.getFileName() + " never got " + line);
            }
            LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(10));
        }
        return (System.nanoTime() - began) / 1_000_000;
    }

    static boolean fileHas(Path file, String line) {
        try {
            return Files.readString(file).replace("\r\n", "\n").contains("\n" + line + "\n");
        } catch (IOException e) {
            return false; // being rewritten: the next poll reads it
        }
    }

    static long percentile(List<Long> sorted, int p) {
        int rank = (int) Math.ceil(p / 100.0 * sorted.size());
        return sorted.get(Math.max(0, Math.min(sorted.size(), rank) - 1));
    }

    /** No update pending for the agent, then one more destination run and heartbeat. */
    void awaitSettled(Duration timeout) {
        PipelineBench.await(() -> agentStatus().path("pending_updates").asInt(-1) == 0, timeout, "no pending update");
        awaitRun();
        awaitHeartbeat();
        awaitRun();
    }

    /** Waits until the destination's timer has completed one more run. */
    void awaitRun() {
        String last = destination().path("last_run_end").asText();
        PipelineBench.await(() -> !destination().path("last_run_end").asText().equals(last), Duration.ofMinutes(2),
                "a destination run");
    }

    /** Waits until the master has seen one more heartbeat of the agent. */
    void awaitHeartbeat() {
        String last = agentStatus().path("last_seen").asText();
        PipelineBench.await(() -> !agentStatus().path("last_seen").asText().equals(last), Duration.ofMinutes(2),
                "a heartbeat");
    }

    JsonNode destination() {
        for (JsonNode d : get("/sync/destinations").path("destinations")) {
            if (DESTINATION.equals(d.path("name").asText())) {
                return d;
            }
        }
        throw new IllegalStateException("destination " + DESTINATION + " not listed");
    }

    JsonNode agentStatus() {
        return get("/sync/agents/" + AGENT + "/status");
    }

    int history() {
        return get("/sync/agents/" + AGENT + "/history?limit=1000").path("updates").size();
    }

    JsonNode get(String path) {
        try {
            HttpResponse<String> r = HTTP.send(HttpRequest.newBuilder(URI.create(masterUrl + path))
                    .header("Authorization", "Bearer " + ADMIN).timeout(Duration.ofSeconds(20)).build(),
                    HttpResponse.BodyHandlers.ofString());
            return PipelineBench.JSON.readTree(r.body());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }
}
