package io.chronoroute.bench;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.chronoroute.processors.ical.ICalCodec;
import io.chronoroute.processors.model.CalendarEvent;
import io.chronoroute.processors.wire.WireJson;
import io.chronoroute.testsupport.Ports;
import io.chronoroute.testsupport.process.AppProcess;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import java.util.function.BooleanSupplier;

/**
 * Load driver for the agent → master pipeline (issue "Foundation", benchmark section). Runs the real jars as
 * separate processes on loopback and prints one line per figure:
 * <ol>
 *   <li>initial sync of an agent whose ICS-folder source holds 9,095 events (256 files);</li>
 *   <li>heartbeat bytes on the wire when nothing changed, and when 1% (91 events) changed, against the bytes of
 *       the full snapshot (measured by a counting proxy between agent and master);</li>
 *   <li>master ingest time of one 10,000-event heartbeat (new content each round);</li>
 *   <li>master RSS after 100 agents × 10,000 events are stored;</li>
 *   <li>on those 1,000,000 events: time and the master's peak RSS of reading {@code /calendar.ics},
 *       {@code /sync/events} (unpaged, and every page of 10,000) and {@code /sync/events/fullcalendar}.</li>
 * </ol>
 * Run: {@code ./bench.sh pipeline} (builds the jars first). Options: {@code --agents N --events-per-agent N
 * --only sync|ingest|rss|reads} (reads stores the 1,000,000 events first); the master's JVM options: {@code -Dbench.master.jvm="..."} (default: the small-footprint
 * settings demo.sh uses).
 */
public final class PipelineBench {

    static final String ENROLL = "bench-enrollment-secret";
    static final String ADMIN = "bench-admin-token";
    static final ObjectMapper JSON = WireJson.mapper();
    static final List<String> MASTER_JVM = List.of(System.getProperty("bench.master.jvm",
            "-Xms96m -Xmx384m -XX:+UseG1GC -XX:MaxGCPauseMillis=500 -XX:G1PeriodicGCInterval=5000 -XX:MinHeapFreeRatio=20 -XX:MaxHeapFreeRatio=30 -XX:TrimNativeHeapInterval=5000 -XX:MaxMetaspaceSize=160m -XX:ReservedCodeCacheSize=64m -Xss512k -Djdk.nio.maxCachedBufferSize=262144").split(" "));
    /** glibc keeps up to 8 malloc arenas per core for a threaded JVM; two are plenty and save ~100 MB of RSS. */
    static final Map<String, String> MASTER_ENV = Map.of("MALLOC_ARENA_MAX", "2");

    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
    private String masterUrl;

    public static void main(String[] args) throws Exception {
        int agents = intArg(args, "--agents", 100);
        int perAgent = intArg(args, "--events-per-agent", 10_000);
        String only = null;
        for (int i = 0; i < args.length - 1; i++) {
            if (args[i].equals("--only")) {
                only = args[i + 1];
            }
        }
        new PipelineBench().run(agents, perAgent, only);
    }

    static int intArg(String[] args, String name, int dflt) {
        for (int i = 0; i < args.length - 1; i++) {
            if (args[i].equals(name)) {
                return Integer.parseInt(args[i + 1]);
            }
        }
        return dflt;
    }

    /** {@code only}: null for all figures, else one of sync, ingest, rss. */
    void run(int agents, int perAgent, String only) throws Exception {
        Path work = Files.createTempDirectory("chronoroute-bench");
        int masterPort = Ports.free();
        masterUrl = "http://127.0.0.1:" + masterPort;
        System.out.println("# work folder: " + work);
        try (AppProcess master = new AppProcess("master", AppProcess.jar("master-routes", "chronoroute-master.jar"),
                work.resolve("master.log"), MASTER_JVM,
                List.of("--server.port=" + masterPort, "--chronoroute.data-dir=" + work.resolve("master-data"),
                        "--chronoroute.admin-token=" + ADMIN, "--chronoroute.feed-token=bench-feed",
                        "--chronoroute.enrollment-secret=" + ENROLL, "--chronoroute.console.password=bench-console",
                        "--logging.level.root=WARN", "--chronoroute.embedded.fsync=" + System.getProperty("bench.fsync", "true")),
                MASTER_ENV)) {
            // generous: the start-up alone can take minutes on a loaded build machine
            master.start().awaitHttpOk(masterUrl + "/health", Duration.ofMinutes(10));
            System.out.printf(Locale.ROOT, "master started, RSS %.0f MB%n", master.rssBytes() / 1e6);

            if (only == null || only.equals("sync")) {
                agentSync(work);
            }
            if (only == null || only.equals("ingest") || only.equals("ingest+rss")) {
                ingest10k();
            }
            boolean reads = only == null || only.equals("reads");
            if (reads || only.equals("rss") || only.equals("ingest+rss")) {
                rss(master, agents, perAgent);
            }
            if (reads) {
                reads(master, (long) agents * perAgent);
            }
        }
    }

    /** Figures 1 and 2: a real agent process with a 9,095-event ICS folder, through a counting proxy. */
    void agentSync(Path work) throws Exception {
        int total = 9_095;
        int files = 256;
        Path folder = Files.createDirectories(work.resolve("ics"));
        List<CalendarEvent> events = SyntheticEvents.generate(total, 42, "bench-ics", "sync");
        List<List<CalendarEvent>> perFile = new ArrayList<>();
        for (int f = 0; f < files; f++) {
            perFile.add(new ArrayList<>());
        }
        for (int i = 0; i < total; i++) {
            perFile.get(i % files).add(events.get(i));
        }
        for (int f = 0; f < files; f++) {
            Files.writeString(folder.resolve("export-" + f + ".ics"), ICalCodec.write(perFile.get(f), "-//Chronoroute//bench//EN"));
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
                        value: "500"
                      - name: readLockCheckInterval
                        value: "200"
                """.formatted(folder.toAbsolutePath()));
        try (CountingProxy proxy = new CountingProxy(masterUrl)) {
            int agentPort = Ports.free();
            AppProcess agent = new AppProcess("agent", AppProcess.jar("agent-routes", "chronoroute-agent.jar"),
                    work.resolve("agent.log"), List.of("-Xmx384m", "-XX:+UseSerialGC"),
                    List.of("--server.port=" + agentPort, "--chronoroute.data-dir=" + work.resolve("agent-data"),
                            "--chronoroute.sources-dir=" + sources, "--chronoroute.agent.id=bench-agent",
                            "--chronoroute.agent.master-url=" + proxy.url(),
                            "--chronoroute.agent.enrollment-secret=" + ENROLL,
                            "--chronoroute.agent.heartbeat-interval=1s",
                            "--chronoroute.console.password=bench-console", "--logging.level.root=WARN"), Map.of());
            try (agent) {
                long t0 = System.nanoTime();
                agent.start();
                agent.awaitHttpOk("http://127.0.0.1:" + agentPort + "/actuator/health", Duration.ofSeconds(120));
                long tReady = System.nanoTime();
                await(() -> agentEventCount("bench-agent") >= total, Duration.ofMinutes(5), "initial sync");
                long tDone = System.nanoTime();
                System.out.printf(Locale.ROOT, "initial sync of %d events: %.1f s from agent start (%.1f s after the agent was up)%n",
                        total, (tDone - t0) / 1e9, (tDone - tReady) / 1e9);
                long snapshotBytes = proxy.heartbeats().stream().mapToLong(CountingProxy.Exchange::requestBytes).sum();
                System.out.printf(Locale.ROOT, "full snapshot on the wire: %d bytes in %d heartbeats%n", snapshotBytes,
                        proxy.heartbeats().size());

                int before = proxy.heartbeats().size();
                await(() -> proxy.heartbeats().size() >= before + 2, Duration.ofSeconds(60), "idle heartbeats");
                CountingProxy.Exchange idle = proxy.heartbeats().get(proxy.heartbeats().size() - 1);
                System.out.printf(Locale.ROOT, "no-change heartbeat: %d bytes (target <= 1024)%n", idle.requestBytes());

                // 1% change: edit 91 events, spread over files, rewrite only those files.
                int changes = total / 100;
                java.util.Set<Integer> touchedFiles = new java.util.TreeSet<>();
                for (int k = 0; k < changes; k++) {
                    int idx = k * (total / changes);
                    events.set(idx, SyntheticEvents.edited(events.get(idx), 1));
                    touchedFiles.add(idx % files);
                }
                for (int f : touchedFiles) {
                    List<CalendarEvent> content = new ArrayList<>();
                    for (int i = f; i < total; i += files) {
                        content.add(events.get(i));
                    }
                    Files.writeString(folder.resolve("export-" + f + ".ics"), ICalCodec.write(content, "-//Chronoroute//bench//EN"));
                }
                int mark = proxy.heartbeats().size();
                String editedTitle = events.get(0).title();
                await(() -> masterHasTitle(editedTitle) && masterHasTitle(events.get((changes - 1) * (total / changes)).title()),
                        Duration.ofSeconds(120), "1% change delivered");
                await(() -> proxy.heartbeats().size() >= mark + 1, Duration.ofSeconds(30), "heartbeat after change");
                long changeBytes = proxy.heartbeats().subList(mark, proxy.heartbeats().size()).stream()
                        .filter(e -> e.requestBytes() > 1024).mapToLong(CountingProxy.Exchange::requestBytes).sum();
                System.out.printf(Locale.ROOT, "1%% change (%d events): %d bytes = %.2f%% of the full snapshot (target <= 3%%)%n",
                        changes, changeBytes, 100.0 * changeBytes / snapshotBytes);
            }
        }
    }

    boolean masterHasTitle(String title) {
        try {
            HttpResponse<String> r = http.send(HttpRequest.newBuilder(URI.create(masterUrl + "/sync/events?agent_id=bench-agent"))
                    .header("Authorization", "Bearer " + ADMIN).build(), HttpResponse.BodyHandlers.ofString());
            return r.statusCode() == 200 && r.body().contains(JSON.writeValueAsString(title).replace("\"", ""));
        } catch (Exception e) {
            return false;
        }
    }

    long agentEventCount(String agentId) {
        try {
            HttpResponse<String> r = http.send(HttpRequest.newBuilder(URI.create(masterUrl + "/sync/agents/" + agentId + "/status"))
                    .header("Authorization", "Bearer " + ADMIN).build(), HttpResponse.BodyHandlers.ofString());
            if (r.statusCode() != 200) {
                return -1;
            }
            JsonNode n = JSON.readTree(r.body());
            JsonNode c = n.has("event_count") ? n.get("event_count") : n.path("agent").path("event_count");
            return c.asLong(-1);
        } catch (Exception e) {
            return -1;
        }
    }

    /** Figure 3: one 10,000-event heartbeat, new content each round; median of 5 after 2 warm-ups. */
    void ingest10k() throws Exception {
        String credential = register("bench-ingest");
        List<Double> times = new ArrayList<>();
        for (int round = 0; round < 7; round++) {
            List<CalendarEvent> events = SyntheticEvents.generate(10_000, 1000 + round, "bulk", "ingest-r" + round);
            byte[] body = heartbeat("bench-ingest-" + round, events);
            long t = System.nanoTime();
            HttpResponse<String> r = post("/sync/agents/bench-ingest/heartbeat", credential, body);
            double s = (System.nanoTime() - t) / 1e9;
            if (r.statusCode() != 200) {
                throw new IllegalStateException("heartbeat answered " + r.statusCode() + ": " + r.body());
            }
            if (round >= 2) {
                times.add(s);
            }
        }
        times.sort(Double::compare);
        System.out.printf(Locale.ROOT, "ingest of one 10,000-event heartbeat: median %.2f s, max %.2f s (target <= 2 s)%n",
                times.get(times.size() / 2), times.get(times.size() - 1));
    }

    /** Figure 4: 100 agents × 10,000 events stored, then the master's resident set size. */
    void rss(AppProcess master, int agents, int perAgent) throws Exception {
        long t = System.nanoTime();
        for (int a = 0; a < agents; a++) {
            String id = "bench-rss-" + a;
            String cred = register(id);
            HttpResponse<String> r = post("/sync/agents/" + id + "/heartbeat", cred,
                    heartbeat(id + "-1", SyntheticEvents.generate(perAgent, a, "bulk", id)));
            if (r.statusCode() != 200) {
                throw new IllegalStateException("heartbeat answered " + r.statusCode() + ": " + r.body());
            }
        }
        System.out.printf(Locale.ROOT, "stored %d agents x %d events in %.0f s%n", agents, perAgent, (System.nanoTime() - t) / 1e9);
        System.out.printf(Locale.ROOT, "master RSS with %d events stored, right after the last heartbeat: %.0f MB%n",
                (long) agents * perAgent, master.rssBytes() / 1e6);
        // at rest: G1's periodic collection (G1PeriodicGCInterval) returns unused heap to the OS and glibc's freed
        // native memory is trimmed (TrimNativeHeapInterval)
        long start = System.nanoTime();
        for (int seconds : new int[] {20, 60}) {
            long until = start + TimeUnit.SECONDS.toNanos(seconds);
            while (System.nanoTime() < until) {
                LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(500));
            }
            System.out.printf(Locale.ROOT, "master RSS with %d events stored, %d s later at rest: %.0f MB (target <= 512 MB)%n",
                    (long) agents * perAgent, seconds, master.rssBytes() / 1e6);
        }
    }

    /**
     * Figure 5: the whole-calendar reads on the stored events (issue #15): {@code /calendar.ics}, {@code /sync/events}
     * unpaged and in pages of 10,000, {@code /sync/events/fullcalendar}. Each is read as a stream by this client
     * (bytes and events counted, nothing kept); the master's RSS is sampled every 100 ms meanwhile.
     */
    void reads(AppProcess master, long agentEvents) throws Exception {
        HttpResponse<String> statsAnswer = http.send(HttpRequest.newBuilder(URI.create(masterUrl + "/sync/stats"))
                .header("Authorization", "Bearer " + ADMIN).build(), HttpResponse.BodyHandlers.ofString());
        // the agents' events plus those of the sync and ingest figures, when they ran before
        long stored = JSON.readTree(statsAnswer.body()).path("consolidated_events").asLong(agentEvents);
        System.out.printf(Locale.ROOT, "master RSS before the reads: %.0f MB%n", master.rssBytes() / 1e6);
        read(master, stored, "GET /calendar.ics", "/calendar.ics?token=bench-feed", true);
        read(master, stored, "GET /sync/events (unpaged)", "/sync/events", false);
        read(master, stored, "GET /sync/events/fullcalendar", "/sync/events/fullcalendar", false);
        long t = System.nanoTime();
        long[] peak = {0};
        Thread sampler = sampler(master, peak);
        long events = 0;
        long bytes = 0;
        int pages = 0;
        String cursor = null;
        do {
            ReadResult r = stream("/sync/events?limit=10000" + (cursor == null ? "" : "&cursor=" + cursor), false);
            events += r.events;
            bytes += r.bytes;
            cursor = r.nextCursor;
            pages++;
        } while (cursor != null);
        sampler.interrupt();
        sampler.join();
        report("GET /sync/events?limit=10000, all " + pages + " pages", stored, events, bytes, t, peak[0]);
    }

    void read(AppProcess master, long stored, String label, String path, boolean ics) throws Exception {
        long t = System.nanoTime();
        long[] peak = {0};
        Thread sampler = sampler(master, peak);
        ReadResult r = stream(path, ics);
        sampler.interrupt();
        sampler.join();
        report(label, stored, r.events, r.bytes, t, peak[0]);
    }

    static void report(String label, long stored, long events, long bytes, long startNanos, long peakRss) {
        System.out.printf(Locale.ROOT, "%s at %,d stored events: %,d events, %.0f MB in %.1f s, master peak RSS %.0f MB%s%n",
                label, stored, events, bytes / 1e6, (System.nanoTime() - startNanos) / 1e9, peakRss / 1e6,
                events == stored ? "" : " (INCOMPLETE: expected " + stored + ")");
    }

    static Thread sampler(AppProcess master, long[] peak) {
        Thread t = new Thread(() -> {
            while (!Thread.currentThread().isInterrupted()) {
                peak[0] = Math.max(peak[0], master.rssBytes());
                try {
                    Thread.sleep(100);
                } catch (InterruptedException e) {
                    return;
                }
            }
        }, "rss-sampler");
        t.setDaemon(true);
        t.start();
        return t;
    }

    record ReadResult(long events, long bytes, String nextCursor) {
    }

    /** Reads one answer as a stream: counts VEVENTs (ics) or the objects of the JSON array / "events" array. */
    ReadResult stream(String path, boolean ics) throws Exception {
        HttpRequest req = HttpRequest.newBuilder(URI.create(masterUrl + path)).timeout(Duration.ofMinutes(30))
                .header("Authorization", "Bearer " + ADMIN).build();
        HttpResponse<java.io.InputStream> r = http.send(req, HttpResponse.BodyHandlers.ofInputStream());
        if (r.statusCode() != 200) {
            throw new IllegalStateException(path + " answered " + r.statusCode());
        }
        long[] bytes = {0};
        try (java.io.InputStream raw = r.body(); java.io.InputStream in = new java.io.FilterInputStream(raw) {
            @Override
            public int read() throws java.io.IOException {
                int b = super.read();
                bytes[0] += b < 0 ? 0 : 1;
                return b;
            }

            @Override
            public int read(byte[] b, int off, int len) throws java.io.IOException {
                int n = super.read(b, off, len);
                bytes[0] += Math.max(n, 0);
                return n;
            }
        }) {
            long events = 0;
            if (ics) {
                java.io.BufferedReader lines = new java.io.BufferedReader(
                        new java.io.InputStreamReader(in, StandardCharsets.UTF_8), 1 << 16);
                String last = null;
                for (String l = lines.readLine(); l != null; l = lines.readLine()) {
                    if (l.equals("BEGIN:VEVENT")) {
                        events++;
                    }
                    last = l;
                }
                if (!"END:VCALENDAR".equals(last)) {
                    throw new IllegalStateException(path + " ended without END:VCALENDAR");
                }
                return new ReadResult(events, bytes[0], null);
            }
            String next = null;
            try (com.fasterxml.jackson.core.JsonParser p = JSON.getFactory().createParser(in)) {
                int depth = 0;
                boolean inEvents = false;
                com.fasterxml.jackson.core.JsonToken tok;
                while ((tok = p.nextToken()) != null) {
                    if (tok == com.fasterxml.jackson.core.JsonToken.START_OBJECT
                            || tok == com.fasterxml.jackson.core.JsonToken.START_ARRAY) {
                        depth++;
                        if (tok == com.fasterxml.jackson.core.JsonToken.START_OBJECT
                                && (depth == 2 && p.getParsingContext().getParent().inArray()
                                || depth == 3 && inEvents)) {
                            events++;
                            p.skipChildren();
                            depth--;
                        }
                    } else if (tok == com.fasterxml.jackson.core.JsonToken.END_OBJECT
                            || tok == com.fasterxml.jackson.core.JsonToken.END_ARRAY) {
                        depth--;
                        if (depth == 1) {
                            inEvents = false;
                        }
                    } else if (tok == com.fasterxml.jackson.core.JsonToken.FIELD_NAME && depth == 1) {
                        String name = p.currentName();
                        if (name.equals("events")) {
                            inEvents = true;
                        } else if (name.equals("next_cursor")) {
                            p.nextToken();
                            next = p.currentToken() == com.fasterxml.jackson.core.JsonToken.VALUE_NULL ? null
                                    : p.getText();
                        }
                    }
                }
            }
            return new ReadResult(events, bytes[0], next);
        }
    }

    String register(String id) throws Exception {
        ObjectNode body = JSON.createObjectNode().put("id", id).put("name", id).put("environment", "bench")
                .put("agent_type", "chronoroute").put("enrollment_secret", ENROLL);
        HttpResponse<String> r = post("/sync/agents/register", null, JSON.writeValueAsBytes(body));
        if (r.statusCode() != 201) {
            throw new IllegalStateException("register answered " + r.statusCode() + ": " + r.body());
        }
        return JSON.readTree(r.body()).path("credential").asText();
    }

    static byte[] heartbeat(String batchId, List<CalendarEvent> events) throws Exception {
        ObjectNode hb = JSON.createObjectNode().put("timestamp", java.time.Instant.now().toString()).put("status", "active")
                .put("protocol", 2).put("batch_id", batchId);
        ArrayNode changed = hb.putArray("changed");
        for (CalendarEvent e : events) {
            changed.add(WireJson.writeEvent(e));
        }
        hb.putArray("deleted");
        return JSON.writeValueAsBytes(hb);
    }

    HttpResponse<String> post(String path, String bearer, byte[] body) throws Exception {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(masterUrl + path)).timeout(Duration.ofMinutes(2))
                .header("Content-Type", "application/json").POST(HttpRequest.BodyPublishers.ofByteArray(body));
        if (bearer != null) {
            b.header("Authorization", "Bearer " + bearer);
        }
        return http.send(b.build(), HttpResponse.BodyHandlers.ofString(StandardCharsets.UTF_8));
    }

    static void await(BooleanSupplier condition, Duration timeout, String what) {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() > deadline) {
                throw new IllegalStateException("timed out waiting for " + what);
            }
            LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(100));
        }
    }
}
