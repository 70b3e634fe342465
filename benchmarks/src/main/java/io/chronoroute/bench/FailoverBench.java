package io.chronoroute.bench;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.chronoroute.testsupport.Ports;
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
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;

/**
 * {@code ./bench.sh failover [--kills N] [--masters M] [--lease 10s] [--interval 1s] [--start-minutes 15]}: M masters (default 3; the built
 * jar) on one redis-server with leader election on; N times: wait until there is one leader and at least one other
 * master answering as a follower, kill -9 the leader, measure until another master's {@code GET /sync/cluster} says
 * it leads (polled every 20 ms), and restart the killed master in the background (a restart takes longer than a
 * failover; with M masters the next kill need not wait for it). Prints every failover time, the median and the max. Defaults are the production defaults (lease 10 s,
 * interval 1 s): a killed leader's lock lives on for what is left of its lease (renewed every lease/3, so between
 * 2/3 of the lease and the whole lease), then the other master takes it within one interval.
 */
public final class FailoverBench {

    private static final String ADMIN = "bench-admin-token";
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();

    private FailoverBench() {
    }

    private record Master(String id, int port, AppProcess process) {
        String url(String path) {
            return "http://127.0.0.1:" + port + path;
        }
    }

    public static void main(String[] args) throws Exception {
        int kills = PipelineBench.intArg(args, "--kills", 10);
        int count = PipelineBench.intArg(args, "--masters", 3);
        Duration startTimeout = Duration.ofMinutes(PipelineBench.intArg(args, "--start-minutes", 15));
        String lease = stringArg(args, "--lease", "10s");
        String interval = stringArg(args, "--interval", "1s");
        Path work = Files.createTempDirectory("chronoroute-failover-bench");
        System.out.printf("failover bench: %d masters, %d kills, lease %s, interval %s, work dir %s%n", count, kills,
                lease, interval, work);
        try (RedisLauncher redis = RedisLauncher.embedded()) {
            List<Master> masters = new ArrayList<>();
            for (int n = 0; n < count; n++) {
                String id = "bench-master-" + (char) ('a' + n);
                int port = Ports.free();
                masters.add(new Master(id, port, new AppProcess(id, AppProcess.jar("master-routes",
                        "chronoroute-master.jar"), work.resolve(id + ".log"), PipelineBench.MASTER_JVM,
                        List.of("--server.port=" + port, "--chronoroute.data-dir=" + work.resolve(id),
                                "--chronoroute.routes-dir=" + Files.createDirectories(work.resolve("routes")),
                                "--chronoroute.store=redis", "--chronoroute.redis.url=" + redis.url(),
                                "--chronoroute.cluster.enabled=true", "--chronoroute.cluster.id=" + id,
                                "--chronoroute.cluster.lease=" + lease, "--chronoroute.cluster.interval=" + interval,
                                "--chronoroute.admin-token=" + ADMIN, "--chronoroute.feed-token=bench-feed",
                                "--chronoroute.enrollment-secret=bench-enroll",
                                "--chronoroute.console.password=bench-console"),
                        PipelineBench.MASTER_ENV)));
            }
            try {
                masters.forEach(m -> m.process().start());
                masters.forEach(m -> m.process().awaitHttpOk(m.url("/health"), startTimeout));
                List<Long> millis = new ArrayList<>();
                for (int i = 1; i <= kills; i++) {
                    Master leader = awaitLeaderAndFollower(masters, startTimeout);
                    List<Master> others = masters.stream().filter(m -> m != leader).toList();
                    long killed = System.nanoTime();
                    leader.process().kill();
                    Master next = null;
                    while (next == null) {
                        if (System.nanoTime() - killed > Duration.ofMinutes(2).toNanos()) {
                            throw new IllegalStateException("no master took over within 2 minutes");
                        }
                        next = others.stream().filter(FailoverBench::leads).findFirst().orElse(null);
                        if (next == null) {
                            Thread.sleep(20);
                        }
                    }
                    long ms = (System.nanoTime() - killed) / 1_000_000;
                    millis.add(ms);
                    System.out.printf("kill %2d: %s killed, %s leads after %,d ms%n", i, leader.id(), next.id(), ms);
                    leader.process().start(); // comes back as a follower while the next rounds go on
                }
                List<Long> sorted = new ArrayList<>(millis);
                Collections.sort(sorted);
                long median = sorted.size() % 2 == 1 ? sorted.get(sorted.size() / 2)
                        : (sorted.get(sorted.size() / 2 - 1) + sorted.get(sorted.size() / 2)) / 2;
                System.out.printf("failover (kill -9 of the leader -> the other master leads), %d kills: median %,d ms, "
                        + "max %,d ms, min %,d ms%n", kills, median, sorted.get(sorted.size() - 1), sorted.get(0));
            } finally {
                masters.forEach(m -> m.process().stop());
            }
        }
    }

    /** The single leader, once at least one other master answers as a follower (it could take over). */
    private static Master awaitLeaderAndFollower(List<Master> masters, Duration timeout) throws InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (System.nanoTime() < deadline) {
            List<Master> leading = new ArrayList<>();
            int followers = 0;
            for (Master m : masters) {
                Boolean l = leader(m);
                if (Boolean.TRUE.equals(l)) {
                    leading.add(m);
                } else if (Boolean.FALSE.equals(l)) {
                    followers++;
                }
            }
            if (leading.size() == 1 && followers > 0) {
                return leading.get(0);
            }
            Thread.sleep(100);
        }
        throw new IllegalStateException("no single leader with a follower within " + timeout);
    }

    private static boolean leads(Master m) {
        return Boolean.TRUE.equals(leader(m));
    }

    /** true/false as the master answers, null when it does not answer (down, starting). */
    private static Boolean leader(Master m) {
        if (!m.process().isAlive()) {
            return null;
        }
        try {
            HttpResponse<String> r = HTTP.send(HttpRequest.newBuilder(URI.create(m.url("/sync/cluster")))
                    .header("Authorization", "Bearer " + ADMIN).timeout(Duration.ofSeconds(2)).build(),
                    HttpResponse.BodyHandlers.ofString());
            if (r.statusCode() != 200) {
                return null;
            }
            JsonNode n = JSON.readTree(r.body());
            return n.path("leader").asBoolean();
        } catch (IOException e) {
            return null;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return null;
        }
    }

    static String stringArg(String[] args, String name, String dflt) {
        for (int i = 0; i < args.length - 1; i++) {
            if (args[i].equals(name)) {
                return args[i + 1];
            }
        }
        return dflt;
    }
}
