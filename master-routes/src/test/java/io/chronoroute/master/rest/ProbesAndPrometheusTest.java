package io.chronoroute.master.rest;

import io.chronoroute.master.ChronorouteMasterApplication;
import io.chronoroute.testsupport.PrometheusText;
import org.apache.camel.test.spring.junit5.CamelSpringBootTest;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.springframework.boot.test.autoconfigure.actuate.observability.AutoConfigureObservability;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.boot.test.web.server.LocalServerPort;
import org.springframework.test.context.DynamicPropertyRegistry;
import org.springframework.test.context.DynamicPropertySource;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Base64;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * A started master: the probes agree (liveness, readiness, /health, /sync/health), /actuator/prometheus needs the
 * console login and shows the operator metrics, Camel's route metrics and a value that follows a real heartbeat.
 * (The 503 while the master starts is tested with real processes: e2e-tests ReadinessEndToEndIT.)
 */
@CamelSpringBootTest
@AutoConfigureObservability(tracing = false) // Spring Boot tests switch metrics export off unless asked
@SpringBootTest(classes = ChronorouteMasterApplication.class, webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT,
        properties = {"chronoroute.routes-dir=" + MasterApiTest.ROUTES_DIR, "chronoroute.metrics.snapshot-ttl=0s"})
class ProbesAndPrometheusTest {

    static final String CONSOLE_PASSWORD = "console-password-for-tests";

    @TempDir
    static Path dataDir;

    @DynamicPropertySource
    static void props(DynamicPropertyRegistry r) {
        r.add("chronoroute.data-dir", () -> dataDir.toString());
        r.add("chronoroute.admin-token", () -> MasterApiTest.ADMIN);
        r.add("chronoroute.feed-token", () -> MasterApiTest.FEED);
        r.add("chronoroute.enrollment-secret", () -> MasterApiTest.ENROLL);
        r.add("chronoroute.console.password", () -> CONSOLE_PASSWORD);
    }

    @LocalServerPort
    int port;
    ApiClient api;

    @BeforeEach
    void client() {
        api = new ApiClient(port);
    }

    static String basic(String password) {
        return "Basic " + Base64.getEncoder().encodeToString(("admin:" + password).getBytes(StandardCharsets.UTF_8));
    }

    String scrape() {
        ApiClient.Response r = api.get("/actuator/prometheus", null, "Authorization", basic(CONSOLE_PASSWORD));
        assertThat(r.status()).as(r.body()).isEqualTo(200);
        return r.body();
    }

    static Double sample(String text, String metric, String label) {
        return PrometheusText.sample(text, metric, label);
    }

    @Test
    void theProbesAgreeOnAStartedMaster() {
        ApiClient.Response liveness = api.get("/actuator/health/liveness", null);
        assertThat(liveness.status()).isEqualTo(200);
        assertThat(liveness.json().path("status").asText()).isEqualTo("UP");
        ApiClient.Response readiness = api.get("/actuator/health/readiness", null);
        assertThat(readiness.status()).as(readiness.body()).isEqualTo(200);
        assertThat(readiness.json().path("status").asText()).isEqualTo("UP");
        assertThat(api.get("/health", null).status()).isEqualTo(200);
        assertThat(api.get("/sync/health", null).json().path("status").asText()).isEqualTo("healthy");
    }

    @Test
    void prometheusNeedsTheConsoleLogin() {
        assertThat(api.get("/actuator/prometheus", null).status()).isEqualTo(401);
        assertThat(api.get("/actuator/prometheus", null, "Authorization", basic("wrong")).status()).isEqualTo(401);
        assertThat(api.get("/actuator/prometheus", MasterApiTest.ADMIN).status())
                .as("the admin token is no console login").isEqualTo(401);
    }

    @Test
    void prometheusShowsTheOperatorMetricsAndFollowsAHeartbeat() {
        String id = MasterApiTest.uniqueId("metrics");
        ApiClient.Response reg = api.post("/sync/agents/register", null,
                Map.of("id", id, "name", id, "environment", "test", "enrollment_secret", MasterApiTest.ENROLL));
        assertThat(reg.status()).as(reg.body()).isEqualTo(201);
        String credential = reg.json().get("credential").asText();
        String label = "agent=\"" + id + "\"";

        ApiClient.Response hb = api.post("/sync/agents/" + id + "/heartbeat", credential,
                Map.of("status", "active", "stats", Map.of("outbox", 7, "parse_errors", 2, "rejected", 1)));
        assertThat(hb.status()).as(hb.body()).isEqualTo(200);
        // a new agent's rows are registered by the snapshot that first sees it: at the latest the next scrape
        await().atMost(Duration.ofSeconds(20)).untilAsserted(() ->
                assertThat(sample(scrape(), "chronoroute_agent_outbox_backlog", label)).isEqualTo(7.0));
        String text = scrape();
        assertThat(sample(text, "chronoroute_agent_rejected_files", label)).isEqualTo(2.0);
        assertThat(sample(text, "chronoroute_agent_rejected_events", label)).isEqualTo(1.0);
        assertThat(sample(text, "chronoroute_agent_pending_updates", label)).isEqualTo(0.0);
        assertThat(sample(text, "chronoroute_agent_last_heartbeat_age_seconds", label)).isNotNull();
        assertThat(text).contains("chronoroute_agents ")
                .contains("camel_exchanges_total{")            // Camel's route policy
                .contains("routeId=\"master-ingest-heartbeat\"")
                .contains("jvm_memory_used_bytes{");

        assertThat(api.post("/sync/agents/" + id + "/heartbeat", credential,
                Map.of("status", "active", "stats", Map.of("outbox", 0, "parse_errors", 0, "rejected", 0))).status())
                .isEqualTo(200);
        assertThat(sample(scrape(), "chronoroute_agent_outbox_backlog", label)).isEqualTo(0.0);
    }
}
