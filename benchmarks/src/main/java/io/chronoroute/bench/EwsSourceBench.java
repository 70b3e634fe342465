package io.chronoroute.bench;

import io.chronoroute.testsupport.Ports;
import io.chronoroute.testsupport.RequestJournal;
import io.chronoroute.testsupport.ews.FakeEwsServer;
import io.chronoroute.testsupport.process.AppProcess;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * Load driver for the agent's EWS source (issue #10, {@code ./bench.sh sources}, EWS half): a real agent process
 * (the jar, with an {@code ews-source} file in its sources folder) reads a 5,000-item calendar from the
 * schema-validating fake EWS running in this JVM, through a {@link CountingProxy} that measures the HTTP bodies on
 * the wire. The calendar: 4,900 single appointments and 100 weekly series with one modified occurrence each (so
 * 5,100 events; 100 exception items). Figures:
 * <ol>
 *   <li>first full read: time from the first request of the source to the last answer of that read (GetFolder,
 *       SyncFolderItems pages, GetItem batches of masters and of exceptions), requests and bytes;</li>
 *   <li>a no-change poll: requests and bytes (one SyncFolderItems whose answer lists nothing);</li>
 *   <li>a 1% change (50 items edited by "a person" in Exchange): requests and bytes of the polls until the change is
 *       read (SyncFolderItems + one GetItem batch), against the full read.</li>
 * </ol>
 * The agent is sequential per source and nothing else talks to the fake over HTTP while the agent runs, so the
 * fake's journal (operation and time of each request) and the proxy's list (bytes of each exchange) line up index by
 * index. The master URL points at a closed loopback port: the agent's sources do not wait for a master.
 * Options: {@code --events N} (default 5000), {@code --interval MS} (poll interval, default 1000).
 */
public final class EwsSourceBench {

    static final int SERIES = 100;

    private EwsSourceBench() {
    }

    public static void main(String[] args) throws Exception {
        int events = PipelineBench.intArg(args, "--events", 5_000);
        int interval = PipelineBench.intArg(args, "--interval", 1_000);
        Path work = Files.createTempDirectory("chronoroute-ews-bench");
        run(work, events, interval);
    }

    /** One poll of the source as seen at the server: its requests (journal entries) and bytes (proxy). */
    record Window(int from, int to, Instant first, Instant last, int requests, long requestBytes,
                  long responseBytes) {
        long bytes() {
            return requestBytes + responseBytes;
        }
    }

    /** Runs the benchmark, prints the table and returns the figures by name. */
    public static Map<String, Object> run(Path work, int items, int intervalMillis) throws Exception {
        Map<String, Object> out = new LinkedHashMap<>();
        try (FakeEwsServer ews = new FakeEwsServer().start()) {
            String target = "http://127.0.0.1:" + URI.create(ews.url()).getPort();
            List<String> singles = populate(ews, items);
            ews.journal().clear();
            try (CountingProxy proxy = new CountingProxy(target)) {
                Path sources = Files.createDirectories(work.resolve("sources"));
                Files.writeString(sources.resolve("bench-ews.camel.yaml"), """
                        - templatedRoute:
                            routeTemplateRef: ews-source
                            routeId: agent-poll-ews-bench
                            parameters:
                              - name: sourceName
                                value: bench-ews
                              - name: url
                                value: "%s"
                              - name: interval
                                value: "%d"
                        """.formatted(proxy.url() + FakeEwsServer.PATH, intervalMillis));
                int agentPort = Ports.free();
                AppProcess agent = new AppProcess("agent", AppProcess.jar("agent-routes", "chronoroute-agent.jar"),
                        work.resolve("agent.log"), List.of("-Xmx384m", "-XX:+UseSerialGC"),
                        List.of("--server.port=" + agentPort, "--chronoroute.data-dir=" + work.resolve("agent-data"),
                                "--chronoroute.sources-dir=" + sources, "--chronoroute.agent.id=bench-ews-agent",
                                "--chronoroute.agent.master-url=http://127.0.0.1:" + Ports.free(),
                                "--chronoroute.agent.enrollment-secret=bench",
                                "--chronoroute.console.password=bench-console", "--logging.level.root=WARN"),
                        Map.of());
                try (agent) {
                    agent.start();
                    agent.awaitHttpOk("http://127.0.0.1:" + agentPort + "/actuator/health", Duration.ofSeconds(120));
                    // full read: everything before the second SyncFolderItems without pages left
                    PipelineBench.await(() -> firstPollStart(ews) > 0, Duration.ofMinutes(5), "full read");
                    int fullEnd = firstPollStart(ews);
                    Window full = window(ews, proxy, 0, fullEnd);
                    long getItems = ops(ews, 0, fullEnd, "GetItem");
                    // a no-change poll: the next window
                    int idleFrom = fullEnd;
                    PipelineBench.await(() -> syncIndexes(ews).stream().anyMatch(i -> i > idleFrom),
                            Duration.ofSeconds(60), "an idle poll");
                    int idleTo = syncIndexes(ews).stream().filter(i -> i > idleFrom).findFirst().orElseThrow();
                    Window idle = window(ews, proxy, idleFrom, idleTo);
                    // 1% change: 50 items edited at once, between two polls
                    int changes = Math.max(1, items / 100);
                    int mark = ews.journal().size();
                    for (int k = 0; k < changes; k++) {
                        ews.userEdit(singles.get(k * (singles.size() / changes)), "Subject", "edited " + k);
                    }
                    PipelineBench.await(() -> delivered(ews, mark) >= 0, Duration.ofSeconds(60), "1% change read");
                    int changeEnd = delivered(ews, mark);
                    int changeFrom = syncIndexes(ews).stream().filter(i -> i >= mark).findFirst().orElseThrow();
                    Window change = window(ews, proxy, changeFrom, changeEnd);
                    long changeGets = ops(ews, changeFrom, changeEnd, "GetItem");

                    out.put("items", items);
                    out.put("events", items + SERIES);
                    out.put("fullReadSeconds", Duration.between(full.first(), full.last()).toMillis() / 1000.0);
                    out.put("fullReadRequests", full.requests());
                    out.put("fullReadGetItemRequests", getItems);
                    out.put("fullReadBytes", full.bytes());
                    out.put("idlePollRequests", idle.requests());
                    out.put("idlePollBytes", idle.bytes());
                    out.put("changedItems", changes);
                    out.put("changeRequests", change.requests());
                    out.put("changeGetItemRequests", changeGets);
                    out.put("changeBytes", change.bytes());
                    out.put("changeShareOfFullRead", 100.0 * change.bytes() / full.bytes());
                    print(out);
                }
            }
        }
        return out;
    }

    /** 4,900 (items - 100) single appointments and 100 weekly series with one exception each; the singles' ids. */
    static List<String> populate(FakeEwsServer ews, int items) throws Exception {
        Instant base = Instant.parse("2026-01-05T08:00:00Z");
        List<String> singles = new ArrayList<>();
        int series = Math.min(SERIES, items / 10);
        for (int i = 0; i < items - series; i++) {
            Instant start = base.plus(Duration.ofMinutes(30L * i));
            singles.add(ews.userCreate("Appointment " + i, start, start.plus(Duration.ofMinutes(25)),
                    "bench-single-" + i));
        }
        HttpClient http = HttpClient.newHttpClient();
        for (int s = 0; s < series; s++) {
            String day = String.format(Locale.ROOT, "2026-01-%02d", 5 + s % 5);
            String soap = "<?xml version=\"1.0\" encoding=\"utf-8\"?><soap:Envelope xmlns:soap=\""
                    + FakeEwsServer.NS_SOAP + "\" xmlns:m=\"" + FakeEwsServer.NS_MESSAGES + "\" xmlns:t=\""
                    + FakeEwsServer.NS_TYPES + "\"><soap:Body><m:CreateItem SendMeetingInvitations=\"SendToNone\">"
                    + "<m:Items><t:CalendarItem><t:Subject>Weekly " + s + "</t:Subject><t:UID>bench-series-" + s
                    + "</t:UID><t:Start>" + day + "T07:00:00Z</t:Start><t:End>" + day + "T07:30:00Z</t:End>"
                    + "<t:Recurrence><t:WeeklyRecurrence><t:Interval>1</t:Interval><t:DaysOfWeek>"
                    + dayName(java.time.LocalDate.parse(day).getDayOfWeek()) + "</t:DaysOfWeek></t:WeeklyRecurrence><t:NumberedRecurrence><t:StartDate>" + day
                    + "</t:StartDate><t:NumberOfOccurrences>20</t:NumberOfOccurrences></t:NumberedRecurrence>"
                    + "</t:Recurrence><t:StartTimeZone Id=\"W. Europe Standard Time\"/></t:CalendarItem></m:Items>"
                    + "</m:CreateItem></soap:Body></soap:Envelope>";
            HttpResponse<String> r = http.send(HttpRequest.newBuilder(URI.create(ews.url()))
                    .header("Content-Type", "text/xml; charset=utf-8")
                    .POST(HttpRequest.BodyPublishers.ofString(soap, StandardCharsets.UTF_8)).build(),
                    HttpResponse.BodyHandlers.ofString());
            int at = r.body().indexOf("ItemId Id=\"");
            if (r.statusCode() != 200 || at < 0) {
                throw new IllegalStateException("cannot create a series in the fake EWS: " + r.body());
            }
            String id = r.body().substring(at + 11, r.body().indexOf('"', at + 11));
            ews.userEditOccurrence(id, Instant.parse(day + "T07:00:00Z").plus(Duration.ofDays(7)), "Subject",
                    "Weekly " + s + " (moved)");
        }
        return singles;
    }

    private static String dayName(java.time.DayOfWeek d) {
        return d.name().charAt(0) + d.name().substring(1).toLowerCase(Locale.ROOT);
    }

    private static List<Integer> syncIndexes(FakeEwsServer ews) {
        List<RequestJournal.Entry> all = ews.journal().entries();
        List<Integer> out = new ArrayList<>();
        for (int i = 0; i < all.size(); i++) {
            if ("SyncFolderItems".equals(all.get(i).operation())) {
                out.add(i);
            }
        }
        return out;
    }

    /** Index of the first SyncFolderItems that starts a new poll (its request carries the state of a completed read). */
    private static int firstPollStart(FakeEwsServer ews) {
        List<RequestJournal.Entry> all = ews.journal().entries();
        for (int s : syncIndexes(ews)) {
            // the full read: GetFolder, its SyncFolderItems pages, then GetItem batches; the next poll follows them
            if (s > 0 && "GetItem".equals(all.get(s - 1).operation())) {
                return s;
            }
        }
        return -1;
    }

    /**
     * The end (exclusive) of the polls that read the change made at journal index {@code mark}: the start of the
     * first poll after it that is a lone SyncFolderItems (nothing left to read); -1 while not there yet.
     */
    private static int delivered(FakeEwsServer ews, int mark) {
        List<RequestJournal.Entry> all = ews.journal().entries();
        List<Integer> syncs = syncIndexes(ews);
        boolean readSomething = false;
        for (int k = 0; k < syncs.size() - 1; k++) {
            int s = syncs.get(k);
            if (s < mark) {
                continue;
            }
            int next = syncs.get(k + 1);
            if (next - s > 1) {
                readSomething = true;
            } else if (readSomething) {
                return s;
            }
        }
        return -1;
    }

    private static long ops(FakeEwsServer ews, int from, int to, String op) {
        return ews.journal().entries().subList(from, to).stream().filter(e -> op.equals(e.operation())).count();
    }

    private static Window window(FakeEwsServer ews, CountingProxy proxy, int from, int to) {
        List<RequestJournal.Entry> all = ews.journal().entries();
        long req = 0;
        long resp = 0;
        for (int i = from; i < to; i++) {
            CountingProxy.Exchange x = proxy.exchanges.get(i);
            req += x.requestBytes();
            resp += x.responseBytes();
        }
        return new Window(from, to, all.get(from).at(), all.get(to - 1).at(), to - from, req, resp);
    }

    static void print(Map<String, Object> f) {
        System.out.printf(Locale.ROOT, "EWS source, %d items (%d events) in the fake EWS, HTTP bodies through a "
                + "counting proxy%n", (Integer) f.get("items"), (Integer) f.get("events"));
        System.out.printf(Locale.ROOT, "%-34s %10s %14s %10s%n", "", "requests", "bytes", "time");
        System.out.printf(Locale.ROOT, "%-34s %10d %14d %9.1fs%n", "first full read", (Integer) f.get("fullReadRequests"),
                (Long) f.get("fullReadBytes"), (Double) f.get("fullReadSeconds"));
        System.out.printf(Locale.ROOT, "%-34s %10d %14d %10s%n", "no-change poll", (Integer) f.get("idlePollRequests"),
                (Long) f.get("idlePollBytes"), "");
        System.out.printf(Locale.ROOT, "%-34s %10d %14d %10s%n", "1% change (" + f.get("changedItems") + " items edited)",
                (Integer) f.get("changeRequests"), (Long) f.get("changeBytes"), "");
        System.out.printf(Locale.ROOT, "1%% change = %.2f%% of the full read's bytes; GetItem requests: full read %d, "
                + "change %d%n", (Double) f.get("changeShareOfFullRead"), (Long) f.get("fullReadGetItemRequests"),
                (Long) f.get("changeGetItemRequests"));
    }
}
