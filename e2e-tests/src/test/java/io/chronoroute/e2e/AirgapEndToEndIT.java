package io.chronoroute.e2e;

import com.fasterxml.jackson.databind.JsonNode;
import io.chronoroute.testsupport.Ports;
import io.chronoroute.testsupport.process.AppProcess;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.extension.ExtensionContext;
import org.junit.jupiter.api.extension.TestWatcher;

import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * An agent that never reaches the master over HTTP (its master URL points at a closed port) syncs fully through a
 * shared folder standing in for a USB stick: events in, and an update from the master back into its calendar
 * folder, acknowledged by bundle. Both apps are real processes from their jars.
 */
@ExtendWith(AirgapEndToEndIT.ShowLogsOnFailure.class)
class AirgapEndToEndIT {

    static final String AGENT = "airgap-host7";
    static final Duration WAIT = Duration.ofSeconds(90);
    static Path work;
    static Apps master;
    static AppProcess agent;

    static final class ShowLogsOnFailure implements TestWatcher {
        @Override
        public void testFailed(ExtensionContext context, Throwable cause) {
            if (master != null) {
                System.err.println(master.logs());
            }
            if (agent != null) {
                System.err.println("--- air-gap agent log tail ---\n" + agent.logTail(60));
            }
        }
    }

    @BeforeAll
    static void start() throws Exception {
        work = Files.createTempDirectory("chronoroute-airgap-e2e");
        Path stickIn = Files.createDirectories(work.resolve("stick/inbox"));
        Path stickOut = Files.createDirectories(work.resolve("stick/outbox"));
        Path masterRoutes = Files.createDirectories(work.resolve("master-routes"));
        Files.writeString(masterRoutes.resolve("airgap-file-inbox.camel.yaml"), """
                - templatedRoute:
                    routeTemplateRef: airgap-file-inbox
                    routeId: master-poll-airgap-file-stick
                    parameters:
                      - name: name
                        value: stick
                      - name: inbox
                        value: "%s"
                      - name: pollDelay
                        value: "300"
                """.formatted(stickIn));
        master = new Apps(work.resolve("master-side"));
        master.startMaster(List.of("--chronoroute.routes-dir=" + masterRoutes, "--chronoroute.airgap.outbox=" + stickOut));

        HttpResponse<String> provisioned = master.post("/sync/agents/" + AGENT + "/airgap", "Bearer " + Apps.ADMIN,
                "{\"name\":\"Host 7\",\"time_zone\":\"Europe/Berlin\"}");
        assertThat(provisioned.statusCode()).as(provisioned.body()).isIn(200, 201);
        String secret = Apps.json(provisioned).path("bundle_secret").asText();
        assertThat(secret).isNotBlank();

        Path calendar = Files.createDirectories(work.resolve("calendar"));
        Path sources = Files.createDirectories(work.resolve("agent-sources"));
        Files.writeString(sources.resolve("host7.camel.yaml"), """
                - templatedRoute:
                    routeTemplateRef: ics-folder-source
                    routeId: agent-poll-ics-host7
                    parameters:
                      - name: sourceName
                        value: host7-calendar
                      - name: folder
                        value: "%s"
                      - name: allowEventUpdates
                        value: "true"
                      - name: pollDelay
                        value: "300"
                      - name: readLockCheckInterval
                        value: "200"
                """.formatted(calendar));
        int agentPort = Ports.free();
        agent = new AppProcess("airgap-agent", AppProcess.jar("agent-routes", "chronoroute-agent.jar"),
                work.resolve("agent.log"), Apps.JVM,
                List.of("--server.port=" + agentPort, "--chronoroute.data-dir=" + work.resolve("agent-data"),
                        "--chronoroute.sources-dir=" + sources, "--chronoroute.agent.id=" + AGENT,
                        "--chronoroute.agent.master-url=http://127.0.0.1:9", // discard port: never answers
                        "--chronoroute.agent.transport=file-drop",
                        "--chronoroute.agent.bundle.outbox=" + stickIn,
                        "--chronoroute.agent.bundle.inbox=" + stickOut.resolve(AGENT),
                        "--chronoroute.agent.bundle.poll-delay=300",
                        "--chronoroute.agent.bundle.resend-after=20s",
                        "--chronoroute.agent.heartbeat-interval=1s",
                        "--chronoroute.console.password=" + Apps.CONSOLE),
                Map.of("CHRONOROUTE_AGENT_BUNDLE_SECRET", secret))
                .start().awaitHttpOk("http://127.0.0.1:" + agentPort + "/actuator/health", Duration.ofSeconds(120));
    }

    @AfterAll
    static void stop() {
        if (agent != null) {
            agent.stop();
        }
        if (master != null) {
            master.close();
        }
    }

    @Test
    void syncsEventsInAndUpdatesBackWithoutHttp() throws Exception {
        Path calendar = work.resolve("calendar");
        Files.writeString(calendar.resolve("host7.ics"), AgentMasterEndToEndIT.ics(
                AgentMasterEndToEndIT.single("airgap-in@chronoroute.invalid", "Planning on host 7")));
        await().atMost(WAIT).untilAsserted(() ->
                assertThat(Apps.vevents(master.feed())).containsEntry("airgap-in@chronoroute.invalid", 1));

        String update = """
                [{"type":"event_update","data":{"action":"create","source":"host7-calendar","event":
                  {"uid":"airgap-back@chronoroute.invalid","title":"Booked from the master",
                   "start":{"date_time":"2026-12-03T09:00:00+01:00","time_zone":"Europe/Berlin"},
                   "end":{"date_time":"2026-12-03T10:00:00+01:00","time_zone":"Europe/Berlin"},
                   "source":"host7-calendar"}}}]""";
        HttpResponse<String> queued = master.post("/sync/agents/" + AGENT + "/receive-updates", "Bearer " + Apps.ADMIN, update);
        assertThat(queued.statusCode()).as(queued.body()).isIn(200, 201);

        // the update travels to the agent in an answer bundle and is written into its calendar folder ...
        await().atMost(WAIT).until(() -> {
            try (Stream<Path> files = Files.list(calendar)) {
                return files.filter(p -> p.toString().endsWith(".ics")).anyMatch(p -> {
                    try {
                        return Files.readString(p).contains("airgap-back@chronoroute.invalid");
                    } catch (java.io.IOException e) {
                        return false;
                    }
                });
            }
        });
        // ... its confirmation comes back by bundle, and the new event flows in like any other
        await().atMost(WAIT).untilAsserted(() -> {
            JsonNode history = Apps.json(master.get(master.masterUrl + "/sync/agents/" + AGENT + "/history", "Bearer " + Apps.ADMIN));
            assertThat(history.path("updates")).isNotEmpty()
                    .allSatisfy(u -> assertThat(u.path("status").asText()).isEqualToIgnoringCase("processed"));
            assertThat(Apps.vevents(master.feed())).containsEntry("airgap-back@chronoroute.invalid", 1);
        });
        JsonNode status = Apps.json(master.get(master.masterUrl + "/sync/airgap/status", "Bearer " + Apps.ADMIN));
        assertThat(status.toString()).contains("applied");
    }
}
