package io.chronoroute.e2e;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.chronoroute.testsupport.Ports;
import io.chronoroute.testsupport.process.AppProcess;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** A master and an agent, each its own process from its executable jar, talking real HTTP on loopback. */
final class Apps implements AutoCloseable {

    static final String ADMIN = "e2e-admin-token";
    static final String FEED = "e2e-feed-token";
    static final String ENROLL = "e2e-enrollment-secret";
    static final String CONSOLE = "e2e-console-password";
    static final ObjectMapper JSON = new ObjectMapper();
    static final List<String> JVM = List.of("-Xmx256m", "-XX:+UseSerialGC", "-XX:TieredStopAtLevel=1");

    final Path work;
    final Path exports;
    final int masterPort = Ports.free();
    final int agentPort = Ports.free();
    final String masterUrl = "http://127.0.0.1:" + masterPort;
    final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(3)).build();
    private AppProcess master;
    private AppProcess agent;

    Apps(Path work) throws IOException {
        this(work, false);
    }

    /** @param writable whether the agent's folder source accepts the master's event updates (allowEventUpdates) */
    Apps(Path work, boolean writable) throws IOException {
        this.work = Files.createDirectories(work);
        this.exports = Files.createDirectories(work.resolve("exports"));
        Path sources = Files.createDirectories(work.resolve("sources"));
        Files.writeString(sources.resolve("e2e-ics.camel.yaml"), """
                - templatedRoute:
                    routeTemplateRef: ics-folder-source
                    routeId: agent-poll-ics-e2e
                    parameters:
                      - name: sourceName
                        value: e2e-ics
                      - name: folder
                        value: "%s"
                      - name: pollDelay
                        value: "300"
                      - name: readLockCheckInterval
                        value: "200"
                      - name: allowEventUpdates
                        value: "%s"
                """.formatted(exports.toAbsolutePath(), writable));
    }

    AppProcess newMaster(List<String> extraArgs) {
        List<String> args = new ArrayList<>(List.of("--server.port=" + masterPort,
                "--chronoroute.data-dir=" + work.resolve("master-data"),
                "--chronoroute.admin-token=" + ADMIN, "--chronoroute.feed-token=" + FEED,
                "--chronoroute.enrollment-secret=" + ENROLL, "--chronoroute.console.password=" + CONSOLE));
        args.addAll(extraArgs);
        return new AppProcess("master", AppProcess.jar("master-routes", "chronoroute-master.jar"),
                work.resolve("master.log"), JVM, args, Map.of());
    }

    AppProcess newAgent() {
        return newAgent("1s");
    }

    AppProcess newAgent(String heartbeatInterval) {
        return new AppProcess("agent", AppProcess.jar("agent-routes", "chronoroute-agent.jar"),
                work.resolve("agent.log"), JVM,
                List.of("--server.port=" + agentPort, "--chronoroute.data-dir=" + work.resolve("agent-data"),
                        "--chronoroute.sources-dir=" + work.resolve("sources"), "--chronoroute.agent.id=e2e-agent",
                        "--chronoroute.agent.master-url=" + masterUrl, "--chronoroute.agent.enrollment-secret=" + ENROLL,
                        "--chronoroute.agent.heartbeat-interval=" + heartbeatInterval, "--chronoroute.agent.time-zone=Europe/Berlin",
                        "--chronoroute.console.password=" + CONSOLE),
                Map.of());
    }

    void startMaster() {
        startMaster(List.of());
    }

    void startMaster(List<String> extraArgs) {
        startMaster(extraArgs, Duration.ofSeconds(120));
    }

    void startMaster(List<String> extraArgs, Duration startup) {
        master = newMaster(extraArgs).start().awaitHttpOk(masterUrl + "/health", startup);
    }

    void startAgent() {
        startAgent(Duration.ofSeconds(120));
    }

    void startAgent(Duration startup) {
        agent = newAgent().start().awaitHttpOk("http://127.0.0.1:" + agentPort + "/actuator/health", startup);
    }

    /**
     * Starts master and agent at once, then waits for both: on two cores the agent's start overlaps the master's.
     * An agent that finds no master yet (connection refused, 503) keeps everything and retries within seconds.
     */
    void startBoth() {
        startBoth(List.of(), Duration.ofSeconds(180));
    }

    void startBoth(List<String> masterArgs, Duration startup) {
        master = newMaster(masterArgs).start();
        agent = newAgent().start();
        master.awaitHttpOk(masterUrl + "/health", startup);
        agent.awaitHttpOk("http://127.0.0.1:" + agentPort + "/actuator/health", startup);
    }

    AppProcess master() {
        return master;
    }

    AppProcess agent() {
        return agent;
    }

    /** The consolidated calendar as a subscriber sees it. */
    String feed() {
        return get(masterUrl + "/calendar.ics?token=" + FEED, null).body();
    }

    /** UID → number of VEVENT blocks (master + overrides) in the feed. */
    static Map<String, Integer> vevents(String ics) {
        Map<String, Integer> out = new java.util.TreeMap<>();
        Matcher m = Pattern.compile("(?m)^UID:(.*)$").matcher(ics.replace("\r\n ", "").replace("\r", ""));
        while (m.find()) {
            out.merge(m.group(1).trim(), 1, Integer::sum);
        }
        return out;
    }

    JsonNode events() {
        return json(get(masterUrl + "/sync/events", "Bearer " + ADMIN));
    }

    /** Agent status from its health endpoint (details need the console login). */
    JsonNode agentHealth() {
        String basic = "Basic " + Base64.getEncoder().encodeToString(("admin:" + CONSOLE).getBytes(StandardCharsets.UTF_8));
        return json(get("http://127.0.0.1:" + agentPort + "/actuator/health", basic));
    }

    HttpResponse<String> get(String url, String authorization) {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(url)).timeout(Duration.ofSeconds(20));
        if (authorization != null) {
            b.header("Authorization", authorization);
        }
        try {
            return http.send(b.build(), HttpResponse.BodyHandlers.ofString());
        } catch (IOException e) {
            throw new IllegalStateException("GET " + url + " failed: " + e.getMessage(), e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    HttpResponse<String> post(String path, String authorization, String body) {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(masterUrl + path)).timeout(Duration.ofSeconds(60))
                .header("Content-Type", "application/json").POST(HttpRequest.BodyPublishers.ofString(body));
        if (authorization != null) {
            b.header("Authorization", authorization);
        }
        try {
            return http.send(b.build(), HttpResponse.BodyHandlers.ofString());
        } catch (IOException e) {
            throw new IllegalStateException("POST " + path + " failed: " + e.getMessage(), e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    /** Any method to any URL (a JSON body when given); for PUT and DELETE, and for the fakes beside the apps. */
    HttpResponse<String> send(String method, String url, String authorization, String body) {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(url)).timeout(Duration.ofSeconds(60))
                .method(method, body == null ? HttpRequest.BodyPublishers.noBody()
                        : HttpRequest.BodyPublishers.ofString(body));
        if (body != null) {
            b.header("Content-Type", "application/json");
        }
        if (authorization != null) {
            b.header("Authorization", authorization);
        }
        try {
            return http.send(b.build(), HttpResponse.BodyHandlers.ofString());
        } catch (IOException e) {
            throw new IllegalStateException(method + " " + url + " failed: " + e.getMessage(), e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    static JsonNode json(HttpResponse<String> r) {
        try {
            return JSON.readTree(r.body());
        } catch (IOException e) {
            throw new IllegalStateException("not JSON (" + r.statusCode() + "): " + r.body(), e);
        }
    }

    String logs() {
        List<String> parts = new ArrayList<>();
        if (master != null) {
            parts.add("--- master log tail ---\n" + master.logTail(40));
        }
        if (agent != null) {
            parts.add("--- agent log tail ---\n" + agent.logTail(40));
        }
        return String.join("\n", parts);
    }

    @Override
    public void close() {
        if (agent != null) {
            agent.stop();
        }
        if (master != null) {
            master.stop();
        }
    }
}
