package io.chronoroute.e2e;

import io.chronoroute.testsupport.PrometheusText;
import io.chronoroute.testsupport.process.AppProcess;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.net.ConnectException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.regex.Pattern;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Issue #14, readiness, with real processes: a master and an agent started together. From the moment the master's
 * port opens, the test calls it continuously (health, feed, registration, admin, OpenAPI): no call is ever answered
 * 404; every answer is 503 with Retry-After until the master is ready, then the real answer. The agent, which met a
 * closed port and 503s while the master started, delivers its event within one heartbeat interval of the master
 * being ready, without registering twice and without logging an error. Then both apps' /actuator/prometheus: 401
 * without the console login, the operator metrics with it.
 */
class ReadinessEndToEndIT {

    /** Long enough that "within one interval" says something (the seed's default is 30 s), short enough for a test. */
    static final Duration INTERVAL = Duration.ofSeconds(15);
    /** Generous for a loaded 2-core machine (an idle one needs ~30 s for the whole test). */
    static final Duration START_LIMIT = Duration.ofSeconds(300);
    static final String UID = "e2e-ready-0001@chronoroute.invalid";

    record Answer(Instant at, String probe, int status, String retryAfter, String body) {
    }

    @Test
    void noCallGets404DuringTheStartAndAnAgentStartedTogetherDeliversWithinOneInterval() throws Exception {
        Apps apps = new Apps(Files.createTempDirectory("chronoroute-e2e-ready"));
        Files.writeString(apps.exports.resolve("one.ics"), "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//Chronoroute//e2e//EN\r\n"
                + "BEGIN:VEVENT\r\nUID:" + UID + "\r\nDTSTAMP:20261201T080000Z\r\nSUMMARY:Ready\r\n"
                + "DTSTART:20261210T170000Z\r\nDTEND:20261210T180000Z\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n");
        HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();
        AppProcess master = apps.newMaster(List.of("--chronoroute.routes-dir=" + apps.work.resolve("routes"))).start();
        AppProcess agent = apps.newAgent(INTERVAL.toSeconds() + "s").start();
        List<Answer> answers = new ArrayList<>();
        try {
            Instant deadline = Instant.now().plus(START_LIMIT);
            Instant ready = null;
            Instant delivered = null;
            while (delivered == null && Instant.now().isBefore(deadline)) {
                assertThat(master.isAlive()).as("master process").isTrue();
                Answer health = call(http, apps, "GET", "/health", null, answers);
                call(http, apps, "GET", "/sync/health", null, answers);
                call(http, apps, "GET", "/calendar.ics?token=" + Apps.FEED, null, answers);
                call(http, apps, "POST", "/sync/agents/register", null, answers);
                call(http, apps, "GET", "/sync/stats", "Bearer " + Apps.ADMIN, answers);
                call(http, apps, "GET", "/api-doc", null, answers);
                if (ready == null && health != null && health.status() == 200) {
                    ready = health.at();
                }
                if (ready != null) {
                    Answer status = call(http, apps, "GET", "/sync/agents/e2e-agent/status", "Bearer " + Apps.ADMIN, answers);
                    if (status != null && status.status() == 200
                            && Apps.JSON.readTree(status.body()).path("observations").asLong() >= 1) {
                        delivered = status.at();
                    }
                }
                Thread.sleep(50); // pacing of the probe loop, not a wait for a condition
            }
            assertThat(ready).as("the master became ready within " + START_LIMIT).isNotNull();
            assertThat(delivered).as("the agent delivered within " + START_LIMIT).isNotNull();

            List<Answer> notFound = answers.stream().filter(a -> a.status() == 404 && !a.probe().contains("/status")).toList();
            assertThat(notFound).as("no 404 while the master starts").isEmpty();
            // the first answer that was not a 503 (any probe: /health is asked first in a round, so another probe
            // of the same round may be served before /health says 200)
            Instant readyAt = answers.stream().filter(a -> a.status() != 503).map(Answer::at)
                    .min(Instant::compareTo).orElse(ready);
            List<Answer> before = answers.stream().filter(a -> a.at().isBefore(readyAt)).toList();
            assertThat(before).as("the master was polled before it was ready").isNotEmpty();
            assertThat(before).allSatisfy(a -> {
                assertThat(a.status()).as(a.toString()).isEqualTo(503);
                assertThat(a.retryAfter()).as(a.toString()).isNotNull();
                assertThat(Apps.JSON.readTree(a.body()).path("error").asText()).isEqualTo("not_ready");
            });
            Duration toDelivery = Duration.between(ready, delivered);
            System.out.printf("readiness: %d answers before ready (all 503), first delivery %d ms after ready%n",
                    before.size(), toDelivery.toMillis());
            assertThat(toDelivery).as("delivered within one heartbeat interval of the master being ready")
                    .isLessThanOrEqualTo(INTERVAL);

            String agentLog = Files.readString(agent.log());
            assertThat(agentLog).doesNotContain(" ERROR ").doesNotContain("registering again");
            assertThat(count(agentLog, "is not ready yet")).as("'not ready' is logged at most once").isLessThanOrEqualTo(1);

            // both apps' Prometheus endpoints: behind the console login, with the operator metrics
            String agentUrl = "http://127.0.0.1:" + apps.agentPort;
            assertThat(apps.get(apps.masterUrl + "/actuator/prometheus", null).statusCode()).isEqualTo(401);
            assertThat(apps.get(agentUrl + "/actuator/prometheus", null).statusCode()).isEqualTo(401);
            String basic = "Basic " + Base64.getEncoder().encodeToString(("admin:" + Apps.CONSOLE).getBytes(StandardCharsets.UTF_8));
            HttpResponse<String> masterScrape = apps.get(apps.masterUrl + "/actuator/prometheus", basic);
            assertThat(masterScrape.statusCode()).isEqualTo(200);
            assertThat(masterScrape.body()).contains("chronoroute_agents 1.0").contains("camel_exchanges_total{");
            // a new agent's rows appear from the snapshot that first sees it (the next scrape at the latest)
            String masterText = apps.get(apps.masterUrl + "/actuator/prometheus", basic).body();
            assertThat(masterText).contains("chronoroute_agent_last_heartbeat_age_seconds{agent=\"e2e-agent\"}")
                    .contains("chronoroute_agent_outbox_backlog{agent=\"e2e-agent\"}")
                    .contains("chronoroute_agent_pending_updates{agent=\"e2e-agent\"} 0.0");
            apps.get(agentUrl + "/actuator/prometheus", basic); // gives the sources their rows
            String agentText = apps.get(agentUrl + "/actuator/prometheus", basic).body();
            assertThat(sample(agentText, "chronoroute_outbox_backlog", "agent=\"e2e-agent\"")).isZero();
            assertThat(sample(agentText, "chronoroute_failed_files", "agent=\"e2e-agent\"")).isZero();
            assertThat(sample(agentText, "chronoroute_heartbeat_last_success_age_seconds", "agent=\"e2e-agent\""))
                    .isLessThan((double) INTERVAL.toSeconds() * 2);
            assertThat(agentText).contains("chronoroute_source_last_read_age_seconds{agent=\"e2e-agent\",source=\"e2e-ics\"}")
                    .contains("camel_exchanges_total{");
        } catch (AssertionError | RuntimeException e) {
            System.err.println("--- master log tail ---\n" + master.logTail(60) + "\n--- agent log tail ---\n"
                    + agent.logTail(60) + "\n--- first answers ---\n"
                    + answers.stream().limit(20).map(Answer::toString).reduce("", (a, b) -> a + b + "\n"));
            throw e;
        } finally {
            agent.stop();
            master.stop();
        }
    }

    /** One call; null while the port is closed (nothing answered). */
    static Answer call(HttpClient http, Apps apps, String method, String path, String authorization, List<Answer> into)
            throws InterruptedException {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(apps.masterUrl + path)).timeout(Duration.ofSeconds(20));
        if (authorization != null) {
            b.header("Authorization", authorization);
        }
        b.method(method, "POST".equals(method) ? HttpRequest.BodyPublishers.ofString("{}") : HttpRequest.BodyPublishers.noBody());
        if ("POST".equals(method)) {
            b.header("Content-Type", "application/json");
        }
        try {
            HttpResponse<String> r = http.send(b.build(), HttpResponse.BodyHandlers.ofString());
            Answer a = new Answer(Instant.now(), method + " " + path, r.statusCode(),
                    r.headers().firstValue("Retry-After").orElse(null), r.body());
            into.add(a);
            return a;
        } catch (ConnectException e) {
            return null; // the port is not open yet
        } catch (IOException e) {
            return null; // the connection was dropped while the process starts or stops: no answer either
        }
    }

    static long count(String text, String needle) {
        return Pattern.compile(Pattern.quote(needle)).matcher(text).results().count();
    }

    static double sample(String text, String metric, String label) {
        return PrometheusText.require(text, metric, label);
    }
}
