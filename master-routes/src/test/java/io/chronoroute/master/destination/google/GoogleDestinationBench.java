package io.chronoroute.master.destination.google;

import io.chronoroute.testsupport.google.FakeGoogleTokenEndpoint;

import ch.qos.logback.classic.Level;
import io.chronoroute.master.destination.DestinationConfig;
import io.chronoroute.master.destination.DestinationSyncService;
import io.chronoroute.master.destination.SecretBox;
import io.chronoroute.master.destination.SyncResult;
import io.chronoroute.master.destination.VirtualSleeper;
import io.chronoroute.master.store.ChangeSet;
import io.chronoroute.master.store.ConsolidatedEvent;
import io.chronoroute.master.store.MasterStore;
import io.chronoroute.master.store.embedded.EmbeddedMasterStore;
import io.chronoroute.processors.model.Attendee;
import io.chronoroute.processors.model.CalendarEvent;
import io.chronoroute.processors.model.EventTime;
import io.chronoroute.processors.model.Origin;
import io.chronoroute.processors.model.Person;
import io.chronoroute.processors.sync.ContentHash;
import io.chronoroute.processors.sync.SyncKey;
import io.chronoroute.processors.wire.WireJson;
import io.chronoroute.providers.common.Sleeper;
import io.chronoroute.testsupport.MutableClock;
import io.chronoroute.testsupport.RequestJournal;
import io.chronoroute.testsupport.google.FakeGoogleCalendar;
import org.apache.camel.impl.DefaultCamelContext;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.LocalDate;
import java.time.LocalDateTime;
import java.time.ZoneId;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Random;
import java.util.stream.Stream;

/**
 * Load driver (not a unit test) for the Google destination: 9,095 consolidated events written into the stateful
 * {@link FakeGoogleCalendar} through the production {@link DestinationSyncService} + {@link GoogleDestinationWriter}
 * (real HTTP over loopback, real camel-google-calendar client, real embedded store, production rate settings:
 * 10 requests/s, burst 10, 8 attempts). The fake enforces 600 requests/min per user (a token bucket of 600 that
 * refills at 10/s, answering 403 userRateLimitExceeded when empty). Three phases, back to back:
 * <ol>
 *   <li>initial sync (full reconcile: list our tagged objects, baseline sync token, insert everything),</li>
 *   <li>a cycle with no change (target: 0 write calls),</li>
 *   <li>a cycle after 1% of the events were edited (91 events through the change log; target ≈ 91 write calls).</li>
 * </ol>
 * For each: write calls and HTTP requests from the fake's journal, 403/429 answers, elapsed time, and the
 * quota-limited minimum: the time the fake's bucket alone forces, {@code max(0, requests − tokens in the fake's
 * bucket at the start) / 10 per second}. For the whole run the bucket starts full, so that is
 * {@code (requests − 600) / 10 s}; the target is elapsed ≤ 1.1 × that.
 *
 * <p><b>Time.</b> By default virtual: one {@link MutableClock} is the clock of the fake (its quota bucket and its
 * journal), of the sync service, of the writer's token bucket and of the OAuth token expiry, and the
 * {@link VirtualSleeper} advances that clock instead of sleeping. Time therefore moves only when the writer waits
 * (its own token bucket or a retry backoff); a request itself takes zero virtual time. Why that is faithful for
 * this question (is the sync quota-bound, and how close to the quota's minimum):
 * <ul>
 *   <li>a request against the loopback fake takes ~1 ms of real time (the "real" figure per phase shows it),
 *       against the 100 ms per request that 600/min allows. The writer calls one at a time and its bucket counts
 *       time spent in a call as refill, so any latency below 100 ms is absorbed by a shorter wait: with real time
 *       the total would be the same, i.e. latency is not what limits the rate;</li>
 *   <li>the fake enforces the quota on that same clock, so every token it refills corresponds exactly to time the
 *       writer waited; a 403/429 in virtual time is one that real time would produce too, and vice versa;</li>
 *   <li>what it leaves out: real Google latency (often 100-300 ms per call) would make a one-call-at-a-time writer
 *       latency-bound rather than quota-bound; this benchmark does not measure that. Batching is what answers it:
 *       with the default {@code batch-size} of 50 one round trip carries 50 calls (5 s of quota), so the writes
 *       need about one HTTP request per 50 events ({@code --batch-size 0} measures one request per write).</li>
 * </ul>
 * Every batch part is an API call for both quotas (the writer takes one token per part, the fake counts each part):
 * the "api" column counts parts and single calls, "http" the HTTP exchanges (a batch is one).
 * The driver turns on TCP_NODELAY in the JDK HttpServer behind the fakes (see {@link #main}); without it every
 * loopback call costs ~50 ms of real time (Nagle against delayed ACK), which changes no virtual figure but makes
 * the run take ~8 minutes of wall time instead of ~1. {@code --real-time} uses the system clock and a sleeping
 * sleeper instead (about 15 minutes for the initial sync) and prints the same lines.
 *
 * <p>Run: {@code ./bench.sh google [--real-time] [--events N] [--batch-size N]}.
 */
public final class GoogleDestinationBench {

    static final String NAME = "gcal";
    static final int RPM = 600;
    private static final String[] ZONES = {"Europe/Berlin", "America/New_York", "Asia/Kolkata", "Australia/Sydney",
            "UTC", "America/Los_Angeles"};
    private static final String[] SOURCES = {"outlook", "phone", "team-ics"};

    private GoogleDestinationBench() {
    }

    /** One phase's figures. */
    record Phase(String name, SyncResult result, long writeCalls, long apiCalls, long httpRequests, long quotaErrors,
                 Duration elapsed, double bucketAtStart, long realMillis) {

        long requests() {
            return apiCalls;
        }

        double minimumSeconds() {
            return Math.max(0, apiCalls - Math.floor(bucketAtStart)) / (RPM / 60.0);
        }
    }

    public static void main(String[] args) throws Exception {
        // The JDK HttpServer behind the fakes leaves Nagle on by default: each response then waits ~40 ms for the
        // client's delayed ACK, which would make a loopback request cost 50 ms instead of ~1 ms. Must be set
        // before the first HttpServer is created.
        if (System.getProperty("sun.net.httpserver.nodelay") == null) {
            System.setProperty("sun.net.httpserver.nodelay", "true");
        }
        boolean realTime = false;
        int count = 9095;
        boolean verbose = false;
        Integer batchSize = null;
        for (int i = 0; i < args.length; i++) {
            switch (args[i]) {
                case "--real-time" -> realTime = true;
                case "--events" -> count = Integer.parseInt(args[++i]);
                case "--verbose" -> verbose = true;
                case "--batch-size" -> batchSize = Integer.parseInt(args[++i]);
                default -> {
                    System.err.println("usage: GoogleDestinationBench [--real-time] [--events N] [--batch-size N]"
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
        Path dir = Files.createTempDirectory("chronoroute-google-bench");
        DestinationConfig config = null;
        boolean failed;
        try (FakeGoogleCalendar fake = FakeGoogleCalendar.builder().clock(clock).requestsPerMinute(RPM).build()
                .start(); FakeGoogleTokenEndpoint tokens = new FakeGoogleTokenEndpoint()) {
            DefaultCamelContext camel = new DefaultCamelContext();
            camel.start();
            MasterStore store = new EmbeddedMasterStore(dir.resolve("store"), 16, false);
            config = DestinationConfig.defaults("google")
                    .withGoogle(DestinationConfig.Google.defaults().withEndpoints(fake.baseUrl(), tokens.uri())
                            .withClient("client-1", "secret-1", "http://localhost/cb")
                            .withRefreshToken(FakeGoogleTokenEndpoint.REFRESH));
            if (batchSize != null) {
                config = config.withBatchSize(batchSize);
            }
            System.out.printf(Locale.ROOT, "# google destination bench: %d consolidated events, fake quota %d requests/min"
                            + " per user (bucket %d, 403 when empty), writer rate %.0f/s burst %d, %d attempts,"
                            + " batch size %d, %s time%n",
                    count, RPM, RPM, config.rate(), config.burst(), config.maxAttempts(), config.batchSize(),
                    realTime ? "REAL" : "VIRTUAL");

            long t = System.nanoTime();
            List<CalendarEvent> events = corpus(count);
            ChangeSet cs = new ChangeSet();
            for (CalendarEvent e : events) {
                cs.putConsolidated.add(consolidated(e, 1));
                if (cs.putConsolidated.size() == 500) {
                    store.apply(cs);
                    cs = new ChangeSet();
                }
            }
            store.apply(cs);
            long series = events.stream().filter(e -> !e.rrules().isEmpty()).count();
            long overrides = events.stream().filter(e -> e.recurrenceId() != null).count();
            long allDay = events.stream().filter(e -> e.start().isDate()).count();
            System.out.printf(Locale.ROOT, "corpus: %d events (%d timed single, %d all-day, %d weekly series of which"
                            + " %d with an EXDATE, %d overrides; %d zones), stored in %.1f s%n", events.size(),
                    events.size() - series - overrides - allDay, allDay, series,
                    events.stream().filter(e -> !e.exdates().isEmpty()).count(), overrides, ZONES.length,
                    (System.nanoTime() - t) / 1e9);

            DestinationSyncService service = new DestinationSyncService(store, Map.of(NAME, config),
                    List.of(new GoogleDestinationWriterFactory(camel, SecretBox.create(null, dir))), clock, sleeper);
            List<Phase> phases = new ArrayList<>();
            Instant runStart = clock.instant();

            phases.add(phase("initial sync", service, fake, clock, runStart));
            long stored = fake.storedEvents(fake.primaryCalendarId()).size();
            phases.add(phase("no-change cycle", service, fake, clock, runStart));

            int changes = (int) Math.round(events.size() * 0.01);
            ChangeSet edit = new ChangeSet();
            Random rnd = new Random(7);
            List<Integer> picked = rnd.ints(0, events.size()).distinct().limit(changes).boxed().toList();
            for (int i : picked) {
                CalendarEvent e = events.get(i);
                edit.putConsolidated.add(consolidated(e.toBuilder().title(e.title() + " (edited)")
                        .sequence(1).build(), 2));
            }
            store.apply(edit);
            phases.add(phase("1% change (" + changes + " edited)", service, fake, clock, runStart));

            System.out.println();
            System.out.printf(Locale.ROOT, "%-28s %8s %8s %8s %8s %8s %10s %10s %7s%n", "phase", "outcome", "writes",
                    "api", "http", "403/429", "elapsed s", "minimum s", "ratio");
            for (Phase p : phases) {
                System.out.printf(Locale.ROOT, "%-28s %8s %8d %8d %8d %8d %10.1f %10.1f %7s%n", p.name(),
                        p.result().outcome(), p.writeCalls(), p.apiCalls(), p.httpRequests(), p.quotaErrors(),
                        p.elapsed().toMillis() / 1e3, p.minimumSeconds(), ratio(p.elapsed(), p.minimumSeconds()));
            }
            long api = phases.stream().mapToLong(Phase::apiCalls).sum();
            Duration total = Duration.between(runStart, clock.instant());
            double minimum = Math.max(0, api - RPM) / (RPM / 60.0);
            System.out.printf(Locale.ROOT, "%-28s %8s %8d %8d %8d %8d %10.1f %10.1f %7s%n", "all three", "",
                    phases.stream().mapToLong(Phase::writeCalls).sum(), api,
                    phases.stream().mapToLong(Phase::httpRequests).sum(),
                    phases.stream().mapToLong(Phase::quotaErrors).sum(), total.toMillis() / 1e3, minimum,
                    ratio(total, minimum));
            System.out.println();
            Phase init = phases.get(0);
            System.out.printf(Locale.ROOT, "initial sync: %d write calls, %d HTTP requests, %d events in the fake;"
                            + " %.1f s vs quota-limited minimum %.1f s = %s (target <= 1.10)%n", init.writeCalls(),
                    init.httpRequests(), stored, init.elapsed().toMillis() / 1e3, init.minimumSeconds(),
                    ratio(init.elapsed(), init.minimumSeconds()));
            System.out.printf(Locale.ROOT, "no-change cycle: %d write calls (target 0), %d HTTP requests%n",
                    phases.get(1).writeCalls(), phases.get(1).httpRequests());
            System.out.printf(Locale.ROOT, "1%% change: %d write calls (target ~%d), %d HTTP requests%n",
                    phases.get(2).writeCalls(), changes, phases.get(2).httpRequests());
            System.out.printf(Locale.ROOT, "whole run: %.1f s vs quota-limited minimum %.1f s = %s (target <= 1.10)%n",
                    total.toMillis() / 1e3, minimum, ratio(total, minimum));
            System.out.printf(Locale.ROOT, "driver: %.1f s wall, %.1f s CPU (process, all threads; fake and store"
                            + " included)%n", (System.nanoTime() - wall0) / 1e9, (processCpuNanos() - cpu0) / 1e9);

            service.close();
            store.close();
            camel.stop();
            failed = phases.stream().anyMatch(p -> p.result().outcome() != SyncResult.Outcome.OK);
        } finally {
            deleteTree(dir);
        }
        if (failed) {
            System.out.println("A PHASE DID NOT END OK: the figures above are not valid");
            System.exit(1);
        }
    }

    /** Runs one sync and collects its figures from the fake's journal. */
    private static Phase phase(String name, DestinationSyncService service, FakeGoogleCalendar fake, Clock clock,
                               Instant runStart) {
        int from = fake.journal().size();
        long http0 = fake.httpRequests();
        double bucket = replayBucket(fake.journal().entries(), runStart, clock.instant());
        Instant t0 = clock.instant();
        long real0 = System.nanoTime();
        SyncResult r = service.runOnce(NAME);
        Duration elapsed = Duration.between(t0, clock.instant());
        long realMillis = (System.nanoTime() - real0) / 1_000_000;
        List<RequestJournal.Entry> mine = fake.journal().entries();
        mine = mine.subList(from, mine.size());
        long writes = mine.stream().filter(e -> isWrite(e.operation())).count();
        long api = mine.stream().filter(e -> !"batch".equals(e.operation())).count();
        long quota = mine.stream().filter(e -> e.status() == 403 || e.status() == 429).count();
        System.out.printf(Locale.ROOT, "%-28s %s: +%d ~%d -%d =%d parked=%d retries=%d; %d writes, %d API calls,"
                        + " %d HTTP, %d x 403/429, %.1f s %s (%.1f s real)%n", name, r.outcome(), r.inserted(),
                r.updated(), r.deleted(), r.unchanged(), r.parked(), r.retries(), writes, api,
                fake.httpRequests() - http0, quota, elapsed.toMillis() / 1e3,
                clock instanceof MutableClock ? "virtual" : "wall", realMillis / 1e3);
        return new Phase(name, r, writes, api, fake.httpRequests() - http0, quota, elapsed, bucket, realMillis);
    }

    private static boolean isWrite(String op) {
        return switch (op) {
            case "events.insert", "events.import", "events.update", "events.patch", "events.delete" -> true;
            default -> false;
        };
    }

    /**
     * The fake's bucket level at {@code at}, replayed from its journal with the fake's own rule (starts full, refills
     * RPM per minute up to RPM, an answered call takes one token, a quota refusal none). One user (one access token).
     */
    static double replayBucket(List<RequestJournal.Entry> journal, Instant start, Instant at) {
        double tokens = RPM;
        double perMs = RPM / 60_000.0;
        long last = start.toEpochMilli();
        for (RequestJournal.Entry e : journal) {
            if ("batch".equals(e.operation())) {
                continue;
            }
            long now = e.at().toEpochMilli();
            tokens = Math.min(RPM, tokens + Math.max(0, now - last) * perMs);
            last = Math.max(last, now);
            boolean refused = (e.status() == 403 || e.status() == 429);
            if (!refused) {
                tokens -= 1.0;
            }
        }
        return Math.min(RPM, tokens + Math.max(0, at.toEpochMilli() - last) * perMs);
    }

    private static String ratio(Duration elapsed, double minimumSeconds) {
        if (minimumSeconds <= 0) {
            return "n/a";
        }
        return String.format(Locale.ROOT, "%.3f", elapsed.toMillis() / 1e3 / minimumSeconds);
    }

    /**
     * A deterministic, realistic mix: timed events in six IANA zones, every 10th all-day, every 7th (else) a weekly
     * series of 10; every 3rd series has an EXDATE (2nd occurrence) and an override (4th occurrence moved by 2 h),
     * the override being a consolidated event of its own. Exactly {@code count} consolidated events.
     */
    public static List<CalendarEvent> corpus(int count) {
        Random rnd = new Random(42);
        List<CalendarEvent> out = new ArrayList<>(count);
        LocalDate base = LocalDate.of(2025, 10, 6);
        int seriesNo = 0;
        for (int i = 0; out.size() < count; i++) {
            ZoneId zone = ZoneId.of(ZONES[i % ZONES.length]);
            String source = SOURCES[i % SOURCES.length];
            String uid = "bench-" + i + "@chronoroute.invalid";
            LocalDateTime start = base.plusDays(rnd.nextInt(365)).atTime(7 + rnd.nextInt(10), rnd.nextBoolean() ? 0 : 30);
            int minutes = 30 + 30 * rnd.nextInt(3);
            CalendarEvent.Builder b = CalendarEvent.builder().uid(uid)
                    .title("Meeting " + i + " about " + Integer.toHexString(rnd.nextInt()))
                    .location("Room " + (1 + rnd.nextInt(40)))
                    .description("Benchmark event " + i + ". Agenda: status, risks, next steps.")
                    .organizer(new Person("organizer" + (i % 50) + "@example.org", "Organizer " + (i % 50)))
                    .attendees(List.of(new Attendee("a" + (i % 97) + "@example.org", "Attendee A", "REQ-PARTICIPANT",
                            "ACCEPTED"), new Attendee("b" + (i % 89) + "@example.org", null, "OPT-PARTICIPANT", null)))
                    .status("CONFIRMED").transparency("OPAQUE").sequence(0)
                    .origin(new Origin("agent-1", source, "cal", "Calendar", "ics", uid));
            if (i % 10 == 0) {
                LocalDate d = start.toLocalDate();
                out.add(b.start(EventTime.ofDate(d)).end(EventTime.ofDate(d.plusDays(1 + i % 3))).build());
                continue;
            }
            b.start(EventTime.ofZoned(start, zone)).end(EventTime.ofZoned(start.plusMinutes(minutes), zone));
            if (i % 7 != 0) {
                out.add(b.build());
                continue;
            }
            b.rrules(List.of("FREQ=WEEKLY;COUNT=10"));
            boolean exception = seriesNo++ % 3 == 0 && out.size() + 2 <= count;
            if (!exception) {
                out.add(b.build());
                continue;
            }
            b.exdates(List.of(EventTime.ofZoned(start.plusWeeks(1), zone)));
            CalendarEvent master = b.build();
            out.add(master);
            LocalDateTime moved = start.plusWeeks(3).plusHours(2);
            out.add(master.toBuilder().rrules(List.of()).exdates(List.of())
                    .recurrenceId(EventTime.ofZoned(start.plusWeeks(3), zone))
                    .title(master.title() + " (moved)")
                    .start(EventTime.ofZoned(moved, zone)).end(EventTime.ofZoned(moved.plusMinutes(minutes), zone))
                    .build());
        }
        return out;
    }

    /** The consolidated record the master would hold for {@code e} (as the tests build it). */
    public static ConsolidatedEvent consolidated(CalendarEvent e, long version) {
        String key = "agent-1/" + SyncKey.of("agent-1", e).value();
        return new ConsolidatedEvent(SyncKey.identityOf(e), WireJson.toJson(e), ContentHash.of(e), List.of(key),
                version, 0, e.created(), false, key);
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
