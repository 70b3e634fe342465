package io.chronoroute.bench;

import com.fasterxml.jackson.databind.JsonNode;
import io.chronoroute.testsupport.Ports;
import io.chronoroute.testsupport.caldav.DavCollection;
import io.chronoroute.testsupport.caldav.RadicaleLauncher;
import io.chronoroute.testsupport.process.AppProcess;

import java.io.IOException;
import java.io.PrintStream;
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

/**
 * {@code ./bench.sh sources} (CalDAV half; options {@code --events 5000 --change-percent 1 --interval 5000
 * --idle-polls 3 --mode both|auto|etag}): the agent's CalDAV source on a real Radicale holding one calendar of
 * {@code --events} events (uploaded in one PUT of the whole calendar, one resource per event), with the real agent
 * jar as a process reading it through a {@link CountingProxy} (which counts every request and the bytes of request
 * and answer bodies; headers are not counted). Per sync mode ({@code auto} = RFC 6578 sync-collection, {@code etag} =
 * ETag listing + calendar-multiget), it measures:
 * <ol>
 *   <li>the first full read: from the first request to the moment the agent's health shows the source's cursor
 *       committed (read, parsed, collected into the agent's state), with its requests and bytes;</li>
 *   <li>a no-change poll: requests and bytes per poll over {@code --idle-polls} polls;</li>
 *   <li>a 1% change: {@code --change-percent}% of the events get a new SUMMARY directly in Radicale (GET, edit, PUT
 *       with If-Match: a person's edit); the requests and bytes the agent spends until it is idle again (the
 *       polls that found nothing left out);</li>
 *   <li>a restart of the agent: the requests of its first poll (it resumes from the persisted cursor).</li>
 * </ol>
 * The goal (issue #10): a no-change poll and a 1% change cost in proportion to the change, not to the calendar.
 */
public final class CalDavSourceBench {

    private static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(3)).build();
    private static final String USER = "bench";
    private static final String SOURCE = "bench-dav";

    /** One mode's figures. */
    public record Result(String mode, int events, Duration fullRead, int fullRequests, long fullBytes,
                         double idleRequests, double idleBytes, int changed, int changeRequests, long changeBytes,
                         int restartRequests, long restartBytes) {
    }

    private CalDavSourceBench() {
    }

    public static void main(String[] args) throws Exception {
        int events = PipelineBench.intArg(args, "--events", 5000);
        int percent = PipelineBench.intArg(args, "--change-percent", 1);
        int interval = PipelineBench.intArg(args, "--interval", 5000);
        int idlePolls = PipelineBench.intArg(args, "--idle-polls", 3);
        String mode = FailoverBench.stringArg(args, "--mode", "both");
        run(events, percent, interval, idlePolls, mode.equals("both") ? List.of("auto", "etag") : List.of(mode),
                System.out);
    }

    /** Runs the measurement for each sync mode and prints one table. */
    public static List<Result> run(int events, int percent, int interval, int idlePolls, List<String> modes,
                                   PrintStream out) throws Exception {
        Path work = Files.createTempDirectory("chronoroute-caldav-bench");
        out.printf(Locale.ROOT, "CalDAV source bench: %d events in one Radicale calendar, %d%% changed, poll every %d ms;"
                + " work dir %s%n", events, percent, interval, work);
        List<Result> results = new ArrayList<>();
        try (RadicaleLauncher radicale = RadicaleLauncher.start(Duration.ofSeconds(30))) {
            for (String mode : modes) {
                results.add(runMode(radicale, work.resolve(mode), mode, events, percent, interval, idlePolls, out));
            }
        }
        out.println();
        out.printf(Locale.ROOT, "%-36s %18s %18s%n", "CalDAV source, " + events + " events", "sync-collection",
                "ETag listing");
        row(out, results, "first full read (s)", r -> String.format(Locale.ROOT, "%.2f", r.fullRead().toMillis() / 1000.0));
        row(out, results, "  requests / KiB", r -> r.fullRequests() + " / " + r.fullBytes() / 1024);
        row(out, results, "no-change poll: requests / KiB", r -> String.format(Locale.ROOT, "%.1f / %.1f",
                r.idleRequests(), r.idleBytes() / 1024));
        row(out, results, percent + "% change (" + results.get(0).changed() + " edits): req / KiB", r ->
                r.changeRequests() + " / " + r.changeBytes() / 1024);
        row(out, results, "first poll after restart: req / KiB", r -> r.restartRequests() + " / "
                + String.format(Locale.ROOT, "%.1f", r.restartBytes() / 1024.0));
        out.println("(bytes: request and answer bodies through the counting proxy; headers not counted)");
        return results;
    }

    private static void row(PrintStream out, List<Result> results, String label,
                            java.util.function.Function<Result, String> f) {
        String sync = results.stream().filter(r -> r.mode().equals("auto")).map(f).findFirst().orElse("-");
        String etag = results.stream().filter(r -> r.mode().equals("etag")).map(f).findFirst().orElse("-");
        out.printf(Locale.ROOT, "%-36s %18s %18s%n", label, sync, etag);
    }

    private static Result runMode(RadicaleLauncher radicale, Path work, String mode, int events, int percent,
                                  int interval, int idlePolls, PrintStream out) throws Exception {
        String collection = radicale.baseUrl() + USER + "/" + mode + "/";
        upload(collection, events);
        List<String> hrefs = hrefs(collection);
        warmUp(collection); // Radicale's first sync-token of a large collection takes seconds: not the agent's time
        DavCollection dav = new DavCollection(collection, USER);
        Path sources = Files.createDirectories(work.resolve("sources"));
        try (CountingProxy proxy = new CountingProxy(radicale.baseUrl().replaceAll("/$", ""))) {
            Files.writeString(sources.resolve("dav.camel.yaml"), """
                    - templatedRoute:
                        routeTemplateRef: caldav-source
                        routeId: agent-poll-caldav-%1$s
                        parameters:
                          - name: sourceName
                            value: %1$s
                          - name: url
                            value: "%2$s"
                          - name: username
                            value: "%3$s"
                          - name: password
                            value: "{{BENCH_DAV_PASSWORD}}"
                          - name: syncMode
                            value: "%4$s"
                          - name: interval
                            value: "%5$d"
                          - name: timeout
                            value: "120000"
                    """.formatted(SOURCE, proxy.url() + "/" + USER + "/" + mode + "/", USER, mode, interval));
            int port = Ports.free();
            String health = "http://127.0.0.1:" + port + "/actuator/health";
            List<String> appArgs = List.of("--server.port=" + port, "--chronoroute.data-dir=" + work.resolve("agent-data"),
                    "--chronoroute.sources-dir=" + sources, "--chronoroute.agent.id=bench-agent",
                    "--chronoroute.agent.master-url=http://127.0.0.1:" + Ports.free(),
                    "--chronoroute.agent.enrollment-secret=" + PipelineBench.ENROLL,
                    "--chronoroute.agent.heartbeat-interval=10m", "--management.endpoint.health.show-details=always",
                    "--logging.level.root=WARN");
            Duration fullRead;
            int fullRequests;
            long fullBytes;
            double idleRequests;
            double idleBytes;
            int changeRequests = 0;
            long changeBytes = 0;
            int changed = Math.max(1, events * percent / 100);
            try (AppProcess agent = new AppProcess("agent-" + mode, AppProcess.jar("agent-routes", "chronoroute-agent.jar"),
                    work.resolve("agent.log"), List.of("-Xmx384m"), appArgs, Map.of("BENCH_DAV_PASSWORD", USER))) {
                agent.start().awaitHttpOk(health, Duration.ofMinutes(3));
                // 1. the first full read
                long deadline = System.nanoTime() + TimeUnit.MINUTES.toNanos(10);
                while (proxy.exchanges.isEmpty()) {
                    pause(2, deadline);
                }
                long t0 = System.nanoTime();
                while (cursorAge(health) == null) {
                    pause(20, deadline);
                }
                fullRead = Duration.ofNanos(System.nanoTime() - t0);
                fullRequests = proxy.exchanges.size();
                fullBytes = bytes(proxy.exchanges);
                out.printf(Locale.ROOT, "[%s] full read: %.2f s, %d requests, %d KiB%n", mode,
                        fullRead.toMillis() / 1000.0, fullRequests, fullBytes / 1024);

                // 2. polls without change
                proxy.exchanges.clear();
                while (propfinds(proxy.exchanges) < idlePolls) {
                    pause(20, deadline);
                }
                List<CountingProxy.Exchange> idle = List.copyOf(proxy.exchanges);
                int polls = propfinds(idle);
                idleRequests = idle.size() / (double) polls;
                idleBytes = bytes(idle) / (double) polls;
                out.printf(Locale.ROOT, "[%s] no-change poll: %.1f requests, %.1f KiB (over %d polls)%n", mode,
                        idleRequests, idleBytes / 1024, polls);

                // 3. a 1% change made in Radicale by a person, right after a poll (all in the next one)
                proxy.exchanges.clear();
                while (propfinds(proxy.exchanges) < 1) {
                    pause(5, deadline);
                }
                proxy.exchanges.clear();
                for (int i = 0; i < changed; i++) {
                    edit(dav, hrefs.get(i * hrefs.size() / changed));
                }
                // until the agent is idle again: two polls in a row that were one PROPFIND each
                while (!quietTail(proxy.exchanges, 2)) {
                    pause(20, deadline);
                }
                List<CountingProxy.Exchange> window = List.copyOf(proxy.exchanges);
                for (int i = 0; i < window.size(); i++) {
                    boolean emptyPoll = listing(window.get(i)) && (i + 1 == window.size() || listing(window.get(i + 1)));
                    if (!emptyPoll) {
                        changeRequests++;
                        changeBytes += window.get(i).requestBytes() + window.get(i).responseBytes();
                    }
                }
                out.printf(Locale.ROOT, "[%s] %d%% change (%d events edited): %d requests, %d KiB (%s)%n", mode,
                        percent, changed, changeRequests, changeBytes / 1024, methods(window));
                agent.stop();
            }
            // 4. a restart resumes from the persisted cursor
            proxy.exchanges.clear();
            int restartRequests;
            long restartBytes;
            try (AppProcess agent = new AppProcess("agent-" + mode, AppProcess.jar("agent-routes", "chronoroute-agent.jar"),
                    work.resolve("agent.log"), List.of("-Xmx384m"), appArgs, Map.of("BENCH_DAV_PASSWORD", USER))) {
                agent.start().awaitHttpOk(health, Duration.ofMinutes(3));
                long deadline = System.nanoTime() + TimeUnit.MINUTES.toNanos(5);
                while (propfinds(proxy.exchanges) < 2) {
                    pause(20, deadline);
                }
                List<CountingProxy.Exchange> first = new ArrayList<>();
                for (CountingProxy.Exchange e : proxy.exchanges) {
                    if (listing(e) && !first.isEmpty()) {
                        break;
                    }
                    first.add(e);
                }
                restartRequests = first.size();
                restartBytes = bytes(first);
                out.printf(Locale.ROOT, "[%s] first poll after a restart: %d requests, %d bytes%n", mode,
                        restartRequests, restartBytes);
                agent.stop();
            }
            return new Result(mode, events, fullRead, fullRequests, fullBytes, idleRequests, idleBytes, changed,
                    changeRequests, changeBytes, restartRequests, restartBytes);
        }
    }

    /**
     * A person's edit: GET, new SUMMARY, PUT with If-Match. Radicale closes kept-alive connections under load, and
     * a PUT sent again after that meets its own change (412); under load a request may time out while Radicale
     * answers the agent's ETag listing: read again, done when the edit is there.
     */
    private static void edit(DavCollection dav, String href) {
        for (int attempt = 0; attempt < 5; attempt++) {
            int status;
            try {
                DavCollection.Resource r = dav.get(href);
                if (r.body().contains("(edited)")) {
                    return;
                }
                status = dav.put(href, r.body().replaceFirst("SUMMARY:([^\r\n]*)", "SUMMARY:$1 (edited)"), r.etag());
            } catch (IllegalStateException timedOut) {
                // Radicale holds its storage lock while it answers the agent's listing of thousands of ETags
                continue;
            }
            if (status / 100 == 2) {
                return;
            }
            if (status != 412) {
                throw new IllegalStateException("PUT " + href + " answered " + status);
            }
        }
        throw new IllegalStateException("PUT " + href + " kept answering 412");
    }

    /** The whole calendar in one PUT to the collection: Radicale stores one resource per UID. */
    private static void upload(String collection, int events) throws IOException, InterruptedException {
        StringBuilder sb = new StringBuilder("BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//Chronoroute//caldav bench//EN\r\n");
        for (int i = 0; i < events; i++) {
            int day = 1 + i % 28;
            int hour = 7 + i % 11;
            sb.append("BEGIN:VEVENT\r\nUID:bench-").append(i).append("@chronoroute\r\n")
                    .append("DTSTAMP:20261201T080000Z\r\nLAST-MODIFIED:20261201T080000Z\r\n")
                    .append(String.format(Locale.ROOT, "DTSTART:202701%02dT%02d0000Z\r\nDTEND:202701%02dT%02d3000Z\r\n",
                            day, hour, day, hour))
                    .append("SUMMARY:Bench event ").append(i).append("\r\nLOCATION:Room ").append(i % 40)
                    .append("\r\nDESCRIPTION:Synthetic event ").append(i).append(" of the CalDAV source bench\r\n")
                    .append("END:VEVENT\r\n");
        }
        sb.append("END:VCALENDAR\r\n");
        HttpResponse<String> r = HTTP.send(HttpRequest.newBuilder(URI.create(collection)).timeout(Duration.ofMinutes(5))
                .header("Authorization", auth())
                .header("Content-Type", "text/calendar; charset=utf-8")
                .PUT(HttpRequest.BodyPublishers.ofString(sb.toString(), StandardCharsets.UTF_8)).build(),
                HttpResponse.BodyHandlers.ofString());
        if (r.statusCode() / 100 != 2) {
            throw new IllegalStateException("uploading the calendar answered " + r.statusCode() + ": " + r.body());
        }
    }

    /** The listing the agent does on every poll, once, so that Radicale has computed its sync-token. */
    private static void warmUp(String collection) throws IOException, InterruptedException {
        HTTP.send(HttpRequest.newBuilder(URI.create(collection)).timeout(Duration.ofMinutes(5))
                .header("Authorization", auth()).header("Depth", "0")
                .header("Content-Type", "application/xml; charset=utf-8")
                .method("PROPFIND", HttpRequest.BodyPublishers.ofString("<?xml version=\"1.0\"?><d:propfind "
                        + "xmlns:d=\"DAV:\" xmlns:cs=\"http://calendarserver.org/ns/\"><d:prop><d:sync-token/>"
                        + "<cs:getctag/></d:prop></d:propfind>")).build(), HttpResponse.BodyHandlers.discarding());
    }

    /** The members' paths (PROPFIND depth 1 with a long timeout: Radicale takes seconds for thousands). */
    private static List<String> hrefs(String collection) throws IOException, InterruptedException {
        HttpResponse<String> r = HTTP.send(HttpRequest.newBuilder(URI.create(collection)).timeout(Duration.ofMinutes(5))
                .header("Authorization", auth()).header("Depth", "1")
                .header("Content-Type", "application/xml; charset=utf-8")
                .method("PROPFIND", HttpRequest.BodyPublishers.ofString("<?xml version=\"1.0\"?><d:propfind "
                        + "xmlns:d=\"DAV:\"><d:prop><d:getetag/></d:prop></d:propfind>")).build(),
                HttpResponse.BodyHandlers.ofString());
        List<String> out = new ArrayList<>();
        java.util.regex.Matcher m = java.util.regex.Pattern.compile("<(?:\\w+:)?href>([^<]*\\.ics)</(?:\\w+:)?href>")
                .matcher(r.body());
        while (m.find()) {
            out.add(m.group(1));
        }
        out.sort(null);
        return out;
    }

    private static String auth() {
        return "Basic " + java.util.Base64.getEncoder().encodeToString((USER + ":" + USER).getBytes(StandardCharsets.UTF_8));
    }

    /** The source's cursor age from the agent's health; null while no cursor was committed. */
    private static Long cursorAge(String health) {
        try {
            HttpResponse<String> r = HTTP.send(HttpRequest.newBuilder(URI.create(health)).timeout(Duration.ofSeconds(5))
                    .build(), HttpResponse.BodyHandlers.ofString());
            JsonNode n = PipelineBench.JSON.readTree(r.body()).path("components").path("agent").path("details")
                    .path("sourceStates").path(SOURCE).path("cursorAgeSeconds");
            return n.isNumber() ? n.asLong() : null;
        } catch (IOException e) {
            return null;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    /** The PROPFIND that starts every poll: the calendars with names, colours and sync-tokens. */
    private static boolean listing(CountingProxy.Exchange e) {
        return e.method().equals("PROPFIND") && e.requestBody() != null && e.requestBody().contains("calendar-color");
    }

    private static int propfinds(List<CountingProxy.Exchange> exchanges) {
        return (int) exchanges.stream().filter(CalDavSourceBench::listing).count();
    }

    /** Whether the last {@code n} exchanges are listings (polls that found nothing) after at least one REPORT. */
    private static boolean quietTail(List<CountingProxy.Exchange> exchanges, int n) {
        List<CountingProxy.Exchange> l = List.copyOf(exchanges);
        if (l.size() < n + 1 || l.stream().noneMatch(e -> e.method().equals("REPORT"))) {
            return false;
        }
        return l.subList(l.size() - n, l.size()).stream().allMatch(CalDavSourceBench::listing);
    }

    private static long bytes(List<CountingProxy.Exchange> exchanges) {
        return exchanges.stream().mapToLong(e -> e.requestBytes() + e.responseBytes()).sum();
    }

    private static String methods(List<CountingProxy.Exchange> exchanges) {
        Map<String, Long> m = new java.util.TreeMap<>();
        exchanges.forEach(e -> m.merge(e.method(), 1L, Long::sum));
        return m.toString();
    }

    private static void pause(long millis, long deadline) {
        if (System.nanoTime() > deadline) {
            throw new IllegalStateException("the CalDAV source bench timed out");
        }
        LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(millis));
    }
}
