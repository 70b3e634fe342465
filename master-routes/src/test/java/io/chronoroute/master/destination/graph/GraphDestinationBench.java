package io.chronoroute.master.destination.graph;

import ch.qos.logback.classic.Level;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.chronoroute.master.destination.DestinationConfig;
import io.chronoroute.master.destination.DestinationSyncService;
import io.chronoroute.master.destination.SecretBox;
import io.chronoroute.master.destination.SyncResult;
import io.chronoroute.master.destination.VirtualSleeper;
import io.chronoroute.master.destination.google.GoogleDestinationBench;
import io.chronoroute.master.store.ChangeSet;
import io.chronoroute.master.store.MasterStore;
import io.chronoroute.master.store.embedded.EmbeddedMasterStore;
import io.chronoroute.processors.model.CalendarEvent;
import io.chronoroute.providers.common.Sleeper;
import io.chronoroute.testsupport.MutableClock;
import io.chronoroute.testsupport.RequestJournal;
import io.chronoroute.testsupport.graph.FakeGraph;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.stream.Stream;

/**
 * Load driver (not a unit test) for the Microsoft 365 (Graph) destination: the 9,095 consolidated events of the
 * Google bench's corpus written into the stateful {@link FakeGraph} through the production
 * {@link DestinationSyncService} + {@link GraphDestinationWriter} (real HTTP over loopback, real token grant, real
 * embedded store). Three phases back to back: initial sync, a cycle with no change, a cycle after 1% of the events
 * were edited.
 *
 * <p><b>The limit modelled.</b> Exchange Online's per-app, per-mailbox limit for Outlook resources in Graph: 10,000
 * API requests in a 10-minute window and 4 concurrent requests (shared/docs/providers.md; Microsoft's "Microsoft
 * Graph service-specific throttling limits", Outlook service limits). The fake counts every API call, each part of a
 * {@code $batch} separately (as Exchange does), in a sliding 10-minute window of 10,000 per mailbox and answers 429
 * {@code ApplicationThrottled} with {@code Retry-After: 30} above it; a fifth concurrent request gets 429 too. The
 * writer's token bucket is set so that it cannot exceed the window: burst + rate × 600 s ≤ 10,000 (default rate
 * 15/s, burst 900: 9,900 per window). Writes go in JSON batches of 20 (Graph's maximum).
 *
 * <p><b>Minimum.</b> Two figures: the hard minimum the fake's window allows ({@code floor((api − 1) / 10,000) × 600
 * s}: a window starting empty lets 10,000 calls through at once, so 0 for one initial load of 9,095 events), and the
 * sustained quota time {@code api / 16.67 s} (10,000 per 600 s), which a writer that never triggers a 429 cannot
 * beat over several windows; the ratio is elapsed against the sustained figure.
 *
 * <p><b>Time.</b> Virtual by default, as in the Google bench: one {@link MutableClock} is the clock of the fake (its
 * window and token expiry), of the sync service and of the writer's token bucket; the {@link VirtualSleeper}
 * advances it instead of sleeping, so time moves only when the writer waits. Latency is not modelled (see the
 * Google bench's comment); {@code --real-time} uses the wall clock.
 *
 * <p>Run: {@code ./bench.sh graph [--real-time] [--events N] [--rate R] [--burst B]}.
 */
public final class GraphDestinationBench {

    static final String NAME = "m365";
    static final String UPN = "calendar@contoso.example";
    static final int LIMIT = 10_000;
    static final Duration WINDOW = Duration.ofMinutes(10);
    private static final ObjectMapper JSON = new ObjectMapper();

    private GraphDestinationBench() {
    }

    record Phase(String name, SyncResult result, long writeCalls, long apiCalls, long httpRequests, long throttled,
                 Duration elapsed, long realMillis) {

        double hardMinimumSeconds(long apiBefore) {
            long total = apiBefore + apiCalls;
            long windowsBefore = apiBefore == 0 ? 0 : (apiBefore - 1) / LIMIT;
            return Math.max(0, (total - 1) / LIMIT - windowsBefore) * (double) WINDOW.toSeconds();
        }

        double sustainedSeconds() {
            return apiCalls / (LIMIT / (double) WINDOW.toSeconds());
        }
    }

    public static void main(String[] args) throws Exception {
        if (System.getProperty("sun.net.httpserver.nodelay") == null) {
            System.setProperty("sun.net.httpserver.nodelay", "true");
        }
        boolean realTime = false;
        int count = 9095;
        boolean verbose = false;
        double rate = 15;
        int burst = 900;
        for (int i = 0; i < args.length; i++) {
            switch (args[i]) {
                case "--real-time" -> realTime = true;
                case "--events" -> count = Integer.parseInt(args[++i]);
                case "--verbose" -> verbose = true;
                case "--rate" -> rate = Double.parseDouble(args[++i]);
                case "--burst" -> burst = Integer.parseInt(args[++i]);
                default -> {
                    System.err.println("usage: GraphDestinationBench [--real-time] [--events N] [--rate R] [--burst B]"
                            + " [--verbose]");
                    System.exit(2);
                }
            }
        }
        ((ch.qos.logback.classic.Logger) LoggerFactory.getLogger(org.slf4j.Logger.ROOT_LOGGER_NAME))
                .setLevel(verbose ? Level.INFO : Level.WARN);
        long wall0 = System.nanoTime();
        long cpu0 = processCpuNanos();
        Clock clock;
        Sleeper sleeper;
        if (realTime) {
            clock = Clock.systemUTC();
            sleeper = Sleeper.SYSTEM;
        } else {
            MutableClock mc = MutableClock.at("2025-10-01T06:00:00Z");
            clock = mc;
            sleeper = new VirtualSleeper(mc);
        }
        Path dir = Files.createTempDirectory("chronoroute-graph-bench");
        boolean failed;
        try (FakeGraph fake = FakeGraph.builder().clock(clock).requestsPerWindow(LIMIT, WINDOW, 30).build().start()) {
            fake.addMailbox(UPN);
            MasterStore store = new EmbeddedMasterStore(dir.resolve("store"), 16, false);
            GraphDestinationSettings settings = new GraphDestinationSettings(fake.tenant(), fake.clientId(),
                    fake.clientSecret(), null, UPN, null, false, fake.graphUrl(), fake.authorityUrl(), null);
            DestinationConfig config = DestinationConfig.defaults("graph").withRate(rate, burst, 8)
                    .withDirection("one-way", null);
            System.out.printf(Locale.ROOT, "# graph destination bench: %d consolidated events, fake limit %d requests"
                            + " per %d min per mailbox (batch parts counted, 429 Retry-After 30 s above it), %d"
                            + " concurrent; writer rate %.1f/s burst %d, batches of %d, %s time%n", count, LIMIT,
                    WINDOW.toMinutes(), FakeGraph.MAX_CONCURRENT, rate, burst,
                    Math.min(config.batchSize(), FakeGraph.MAX_BATCH), realTime ? "REAL" : "VIRTUAL");

            List<CalendarEvent> events = GoogleDestinationBench.corpus(count);
            ChangeSet cs = new ChangeSet();
            for (CalendarEvent e : events) {
                cs.putConsolidated.add(GoogleDestinationBench.consolidated(e, 1));
                if (cs.putConsolidated.size() == 500) {
                    store.apply(cs);
                    cs = new ChangeSet();
                }
            }
            store.apply(cs);
            long series = events.stream().filter(e -> !e.rrules().isEmpty()).count();
            long overrides = events.stream().filter(e -> e.recurrenceId() != null).count();
            long exdates = events.stream().mapToLong(e -> e.exdates().size()).sum();
            System.out.printf(Locale.ROOT, "corpus: %d events (%d series, %d EXDATEs, %d overrides) — the Google"
                    + " bench's corpus%n", events.size(), series, exdates, overrides);

            DestinationSyncService service = new DestinationSyncService(store, Map.of(NAME, config),
                    List.of(new GraphDestinationWriterFactory(name -> settings, SecretBox.create(null, dir))), clock,
                    sleeper);
            List<Phase> phases = new ArrayList<>();
            Instant runStart = clock.instant();
            phases.add(phase("initial sync", service, fake, clock));
            long stored = fake.storedEvents(UPN, fake.defaultCalendarId(UPN)).size();
            phases.add(phase("no-change cycle", service, fake, clock));
            int changes = (int) Math.round(events.size() * 0.01);
            ChangeSet edit = new ChangeSet();
            Random rnd = new Random(7);
            for (int i : rnd.ints(0, events.size()).distinct().limit(changes).boxed().toList()) {
                CalendarEvent e = events.get(i);
                edit.putConsolidated.add(GoogleDestinationBench.consolidated(e.toBuilder()
                        .title(e.title() + " (edited)").sequence(1).build(), 2));
            }
            store.apply(edit);
            phases.add(phase("1% change (" + changes + " edited)", service, fake, clock));

            System.out.println();
            System.out.printf(Locale.ROOT, "%-26s %7s %7s %7s %7s %5s %10s %9s %11s %7s%n", "phase", "outcome",
                    "writes", "api", "http", "429", "elapsed s", "hard min", "sustained s", "ratio");
            long apiBefore = 0;
            for (Phase p : phases) {
                System.out.printf(Locale.ROOT, "%-26s %7s %7d %7d %7d %5d %10.1f %9.1f %11.1f %7s%n", p.name(),
                        p.result().outcome(), p.writeCalls(), p.apiCalls(), p.httpRequests(), p.throttled(),
                        p.elapsed().toMillis() / 1e3, p.hardMinimumSeconds(apiBefore), p.sustainedSeconds(),
                        ratio(p.elapsed(), p.sustainedSeconds()));
                apiBefore += p.apiCalls();
            }
            Duration total = Duration.between(runStart, clock.instant());
            System.out.println();
            Phase init = phases.get(0);
            System.out.printf(Locale.ROOT, "initial sync: %d write calls, %d API calls, %d HTTP requests, %d x 429,"
                            + " %d events in the fake (exceptions included); %.1f s vs hard minimum %.1f s and"
                            + " sustained quota time %.1f s (ratio %s)%n", init.writeCalls(), init.apiCalls(),
                    init.httpRequests(), init.throttled(), stored, init.elapsed().toMillis() / 1e3,
                    init.hardMinimumSeconds(0), init.sustainedSeconds(), ratio(init.elapsed(),
                            init.sustainedSeconds()));
            System.out.printf(Locale.ROOT, "no-change cycle: %d write calls (target 0), %d API calls, %d HTTP"
                    + " requests%n", phases.get(1).writeCalls(), phases.get(1).apiCalls(), phases.get(1).httpRequests());
            System.out.printf(Locale.ROOT, "1%% change: %d write calls (target ~%d), %d API calls, %d HTTP"
                    + " requests%n", phases.get(2).writeCalls(), changes, phases.get(2).apiCalls(),
                    phases.get(2).httpRequests());
            System.out.printf(Locale.ROOT, "whole run: %.1f s %s; token requests %d; driver %.1f s wall, %.1f s CPU%n",
                    total.toMillis() / 1e3, realTime ? "wall" : "virtual", fake.tokenRequests(),
                    (System.nanoTime() - wall0) / 1e9, (processCpuNanos() - cpu0) / 1e9);
            service.close();
            store.close();
            failed = phases.stream().anyMatch(p -> p.result().outcome() != SyncResult.Outcome.OK);
        } finally {
            deleteTree(dir);
        }
        if (failed) {
            System.out.println("A PHASE DID NOT END OK: the figures above are not valid");
            System.exit(1);
        }
    }

    private static Phase phase(String name, DestinationSyncService service, FakeGraph fake, Clock clock)
            throws IOException {
        int from = fake.journal().size();
        Instant t0 = clock.instant();
        long real0 = System.nanoTime();
        SyncResult r = service.runOnce(NAME);
        Duration elapsed = Duration.between(t0, clock.instant());
        long realMillis = (System.nanoTime() - real0) / 1_000_000;
        List<RequestJournal.Entry> mine = fake.journal().entries();
        mine = mine.subList(from, mine.size());
        long writes = mine.stream().filter(e -> Set.of("events.create", "events.update", "events.delete")
                .contains(e.operation())).count();
        long api = mine.stream().filter(e -> !"batch".equals(e.operation()) && !"token".equals(e.operation()))
                .count();
        long batches = 0;
        long parts = 0;
        for (RequestJournal.Entry e : mine) {
            if ("batch".equals(e.operation())) {
                batches++;
                parts += JSON.readTree(e.body()).path("requests").size();
            }
        }
        long http = api - parts + batches;
        long throttled = mine.stream().filter(e -> e.status() == 429).count();
        System.out.printf(Locale.ROOT, "%-26s %s: +%d ~%d -%d =%d parked=%d retries=%d; %d writes, %d API calls,"
                        + " %d HTTP (%d batches), %d x 429, %.1f s %s (%.1f s real)%n", name, r.outcome(),
                r.inserted(), r.updated(), r.deleted(), r.unchanged(), r.parked(), r.retries(), writes, api, http,
                batches, throttled, elapsed.toMillis() / 1e3, clock instanceof MutableClock ? "virtual" : "wall",
                realMillis / 1e3);
        return new Phase(name, r, writes, api, http, throttled, elapsed, realMillis);
    }

    private static String ratio(Duration elapsed, double seconds) {
        return seconds <= 0 ? "n/a" : String.format(Locale.ROOT, "%.3f", elapsed.toMillis() / 1e3 / seconds);
    }

    private static long processCpuNanos() {
        if (ManagementFactory.getOperatingSystemMXBean() instanceof com.sun.management.OperatingSystemMXBean os) {
            return os.getProcessCpuTime();
        }
        return 0;
    }

    private static void deleteTree(Path dir) throws IOException {
        if (!Files.exists(dir)) {
            return;
        }
        try (Stream<Path> walk = Files.walk(dir)) {
            for (Path p : walk.sorted(Comparator.reverseOrder()).toList()) {
                Files.deleteIfExists(p);
            }
        }
    }
}
