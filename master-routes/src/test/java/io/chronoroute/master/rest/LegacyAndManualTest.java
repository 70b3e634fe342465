package io.chronoroute.master.rest;

import com.fasterxml.jackson.databind.JsonNode;
import io.chronoroute.master.ChronorouteMasterApplication;
import org.apache.camel.test.spring.junit5.CamelSpringBootTest;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.boot.test.web.server.LocalServerPort;
import org.springframework.test.context.DynamicPropertyRegistry;
import org.springframework.test.context.DynamicPropertySource;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermission;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Legacy mode on (seed agents without credentials) and the manual conflict strategy. No secrets are configured
 * here, so the master generates them and writes them to secrets.txt (0600); no routes folder exists.
 */
@CamelSpringBootTest
@SpringBootTest(classes = ChronorouteMasterApplication.class, webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT)
class LegacyAndManualTest {

    @TempDir
    static Path dataDir;

    @DynamicPropertySource
    static void props(DynamicPropertyRegistry r) {
        r.add("chronoroute.data-dir", () -> dataDir.toString());
        r.add("chronoroute.legacy-agents.enabled", () -> "true");
        r.add("chronoroute.conflict-resolution", () -> "manual");
    }

    @LocalServerPort
    int port;
    ApiClient api;
    String admin;

    @BeforeEach
    void setUp() throws Exception {
        api = new ApiClient(port);
        Path secrets = dataDir.resolve("secrets.txt");
        assertThat(Files.getPosixFilePermissions(secrets))
                .containsExactlyInAnyOrder(PosixFilePermission.OWNER_READ, PosixFilePermission.OWNER_WRITE);
        for (String line : Files.readAllLines(secrets)) {
            if (line.startsWith("admin_token=")) {
                admin = line.substring("admin_token=".length());
            }
        }
        assertThat(admin).isNotBlank();
    }

    static Map<String, Object> seedEvent(String id, String title, String modified) {
        Map<String, Object> e = new LinkedHashMap<>();
        e.put("id", id);
        e.put("title", title);
        e.put("start_time", "2025-06-20T09:00:00");
        e.put("end_time", "2025-06-20T10:00:00");
        e.put("source", "outlook");
        e.put("modified_at", modified);
        return e;
    }

    @Test
    void aSeedAgentDoesTheWholeFlowWithoutCredentials() {
        Map<String, Object> reg = Map.of("id", "seed-1", "name", "Seed", "environment", "office", "agent_type", "python",
                "interval_minutes", 15, "capabilities", List.of("calendar_sync"),
                "config", Map.of("version", "1.0", "platform", "win32", "python_version", "3.11"));
        ApiClient.Response r = api.post("/sync/agents/register", null, reg);
        assertThat(r.status()).as(r.body()).isEqualTo(201);
        assertThat(r.json().get("legacy").asBoolean()).isTrue();
        assertThat(r.json().get("credential").isNull()).isTrue();
        assertThat(api.post("/sync/agents/register", null, reg).status()).isEqualTo(201);

        Map<String, Object> hb = Map.of("timestamp", "2025-06-01T10:00:00", "status", "active", "environment", "office",
                "stats", Map.of("cpu_percent", 3.5, "memory_percent", 40, "events_processed", 1),
                "events", List.of(seedEvent("seed-ev-1", "Seed meeting", "2025-06-01T08:00:00")));
        ApiClient.Response beat = api.post("/sync/agents/seed-1/heartbeat", null, hb);
        assertThat(beat.status()).as(beat.body()).isEqualTo(200);
        assertThat(beat.json().get("status").asText()).isEqualTo("success");
        assertThat(beat.json().get("applied").get("upserted").asInt()).isEqualTo(1);

        ApiClient.Response push = api.post("/sync/push/sync-config", admin,
                Map.of("changes", Map.of("sync_interval_minutes", 10), "target_agents", List.of("seed-1")));
        assertThat(push.json().get("updates_queued").asInt()).isEqualTo(1);
        JsonNode updates = api.get("/sync/agents/seed-1/pending-updates", null).json().get("updates");
        assertThat(updates).hasSize(1);
        String id = updates.get(0).get("id").asText();
        ApiClient.Response processed = api.send("POST", "/sync/agents/seed-1/updates/" + id + "/processed", null, null);
        assertThat(processed.status()).as(processed.body()).isEqualTo(200);
        assertThat(api.get("/sync/agents/seed-1/pending-updates", null).json().get("updates")).isEmpty();

        assertThat(api.post("/sync/agents/never-registered/heartbeat", null, hb).status()).isEqualTo(404);
    }

    @Test
    void aCredentialedAgentStillNeedsItsCredentialInLegacyMode() {
        ApiClient.Response r = api.post("/sync/agents/register", null, Map.of("id", "modern-1"));
        assertThat(r.status()).isEqualTo(201);
        // registered in legacy mode: another caller cannot take the id over with the enrollment secret absent
        assertThat(api.post("/sync/agents/register", null, Map.of("id", "modern-1", "enrollment_secret", "wrong"))
                .status()).isEqualTo(401);
    }

    @Test
    void manualParksTheConflictAndTheResolveEndpointSettlesIt() {
        api.post("/sync/agents/register", null, Map.of("id", "m-a"));
        api.post("/sync/agents/register", null, Map.of("id", "m-b"));
        api.post("/sync/agents/m-a/heartbeat", null,
                Map.of("events", List.of(seedEvent("shared-m", "From A", "2025-06-01T08:00:00"))));
        ApiClient.Response r = api.post("/sync/agents/m-b/heartbeat", null,
                Map.of("events", List.of(seedEvent("shared-m", "From B", "2025-06-02T08:00:00"))));
        assertThat(r.json().get("applied").get("conflicts").asInt()).isEqualTo(1);

        JsonNode events = api.get("/sync/events?agent_id=m-a", admin).json().get("events");
        assertThat(events.get(0).get("title").asText()).isEqualTo("From A");
        JsonNode open = api.get("/sync/conflicts/recent?status=open", admin).json().get("conflicts");
        assertThat(open).hasSize(1);
        String conflictId = open.get(0).get("id").asText();
        assertThat(open.get(0).get("incoming").get("title").asText()).isEqualTo("From B");

        ApiClient.Response bad = api.post("/sync/conflicts/" + conflictId + "/resolve", admin, Map.of("resolution", "coin_flip"));
        assertThat(bad.status()).isEqualTo(400);
        assertThat(bad.json().get("field").asText()).isEqualTo("resolution");

        ApiClient.Response resolved = api.post("/sync/conflicts/" + conflictId + "/resolve", admin,
                Map.of("resolution", "source_wins"));
        assertThat(resolved.status()).as(resolved.body()).isEqualTo(200);
        JsonNode after = api.get("/sync/events?agent_id=m-a", admin).json().get("events");
        assertThat(after.get(0).get("title").asText()).isEqualTo("From B");
        assertThat(after.get(0).get("origins")).hasSize(2);
        assertThat(api.post("/sync/conflicts/" + conflictId + "/resolve", admin, Map.of("resolution", "source_wins"))
                .status()).isEqualTo(409);
        assertThat(api.post("/sync/conflicts/nope/resolve", admin, Map.of("resolution", "source_wins")).status())
                .isEqualTo(404);

        // destination_wins keeps the consolidated version
        api.post("/sync/agents/m-a/heartbeat", null,
                Map.of("events", List.of(seedEvent("shared-m", "From A again", "2025-06-03T08:00:00"))));
        JsonNode open2 = api.get("/sync/conflicts/recent?status=open", admin).json().get("conflicts");
        assertThat(open2).hasSize(1);
        api.post("/sync/conflicts/" + open2.get(0).get("id").asText() + "/resolve", admin,
                Map.of("resolution", "destination_wins"));
        assertThat(api.get("/sync/events?agent_id=m-a", admin).json().get("events").get(0).get("title").asText())
                .isEqualTo("From B");
        assertThat(api.get("/sync/conflicts/recent?status=open", admin).json().get("conflicts")).isEmpty();
    }

    @Test
    void generatedSecretsAreStableAndNeverInTheConfigView() throws Exception {
        String text = Files.readString(dataDir.resolve("secrets.txt"));
        assertThat(text).contains("feed_token=").contains("enrollment_secret=");
        ApiClient.Response config = api.get("/sync/config", admin);
        assertThat(config.status()).isEqualTo(200);
        for (String line : text.split("\n")) {
            assertThat(config.body()).doesNotContain(line.substring(line.indexOf('=') + 1));
        }
        assertThat(config.json().get("legacy_agents_enabled").asBoolean()).isTrue();
        assertThat(config.json().get("conflict_resolution").asText()).isEqualTo("manual");
    }
}
