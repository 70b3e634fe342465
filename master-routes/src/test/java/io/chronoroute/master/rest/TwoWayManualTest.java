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
import java.util.List;
import java.util.Map;
import java.util.UUID;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Two-way sync under {@code conflict-strategy=manual}: two calendars changed the same event, the second change is
 * parked (nothing written anywhere), and resolving the conflict goes through the one ingest route and fans the
 * winner out to every calendar that does not have it, the loser included.
 */
@CamelSpringBootTest
@SpringBootTest(classes = ChronorouteMasterApplication.class, webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT)
class TwoWayManualTest {

    @TempDir
    static Path dataDir;

    @DynamicPropertySource
    static void props(DynamicPropertyRegistry r) {
        r.add("chronoroute.data-dir", () -> dataDir.toString());
        r.add("chronoroute.admin-token", () -> TwoWayIngestTest.ADMIN);
        r.add("chronoroute.feed-token", () -> "feed-token-for-tests-0123456789");
        r.add("chronoroute.enrollment-secret", () -> TwoWayIngestTest.ENROLL);
        r.add("chronoroute.routes-dir", () -> dataDir.resolve("routes").toString());
        r.add("chronoroute.conflict-resolution", () -> "manual");
    }

    @LocalServerPort
    int port;
    TwoWayIngestTest t;

    @BeforeEach
    void client() throws Exception {
        Files.createDirectories(dataDir.resolve("routes"));
        t = new TwoWayIngestTest();
        t.api = new ApiClient(port);
    }

    /** a and b have the event; a's edit applies and is queued for b; b's own older edit arrives and is parked. */
    private String parkedConflict(TwoWayIngestTest.Agent a, TwoWayIngestTest.Agent b, String uid) {
        t.heartbeat(a, List.of(TwoWayIngestTest.event(uid, "Offsite", 0, null)), List.of());
        t.heartbeat(b, List.of(TwoWayIngestTest.event(uid, "Offsite", 0, null)), List.of());
        t.heartbeat(a, List.of(TwoWayIngestTest.event(uid, "Offsite (from a)", 0, "2026-11-07T10:00:00Z")), List.of());
        for (JsonNode u : t.pending(b)) {
            t.api.post("/sync/agents/" + b.id() + "/updates/" + u.get("id").asText() + "/processed", b.credential(),
                    Map.of("success", false, "permanent", true, "error", "changed since"));
        }
        JsonNode answer = t.heartbeat(b, List.of(TwoWayIngestTest.event(uid, "Offsite (from b)", 0,
                "2026-11-07T11:00:00Z")), List.of());
        assertThat(answer.get("applied").get("conflicts").asInt()).isEqualTo(1);
        assertThat(t.pending(a)).as("parked: nothing written").isEmpty();
        assertThat(t.pending(b)).isEmpty();
        assertThat(t.details(t.idOf(uid)).get("event").get("title").asText()).isEqualTo("Offsite (from a)");
        ApiClient.Response open = t.api.get("/sync/conflicts/recent?status=open&limit=1000", TwoWayIngestTest.ADMIN);
        for (JsonNode c : open.json().get("conflicts")) {
            if (c.get("identity").asText().equals(t.idOf(uid))) {
                return c.get("id").asText();
            }
        }
        throw new AssertionError("no open conflict for " + uid + ": " + open.body());
    }

    private void resolve(String conflictId, String resolution) {
        ApiClient.Response r = t.api.post("/sync/conflicts/" + conflictId + "/resolve", TwoWayIngestTest.ADMIN,
                Map.of("resolution", resolution));
        assertThat(r.status()).as(r.body()).isEqualTo(200);
    }

    @Test
    void takingTheParkedVersionFansItOutToTheOtherCalendar() {
        TwoWayIngestTest.Agent a = t.agent("a", "work", true);
        TwoWayIngestTest.Agent b = t.agent("b", "team", true);
        String uid = "manual-" + UUID.randomUUID();
        String conflict = parkedConflict(a, b, uid);

        resolve(conflict, "source_wins");
        assertThat(t.details(t.idOf(uid)).get("event").get("title").asText()).isEqualTo("Offsite (from b)");
        List<JsonNode> forA = t.pending(a);
        assertThat(forA).hasSize(1);
        assertThat(forA.get(0).get("data").get("event").get("title").asText()).isEqualTo("Offsite (from b)");
        assertThat(t.pending(b)).as("b has it already").isEmpty();
    }

    @Test
    void keepingTheCurrentVersionSendsItToTheCalendarWhoseChangeWasParked() {
        TwoWayIngestTest.Agent a = t.agent("a", "work", true);
        TwoWayIngestTest.Agent b = t.agent("b", "team", true);
        String uid = "manual-" + UUID.randomUUID();
        String conflict = parkedConflict(a, b, uid);

        resolve(conflict, "destination_wins");
        assertThat(t.details(t.idOf(uid)).get("event").get("title").asText()).isEqualTo("Offsite (from a)");
        List<JsonNode> forB = t.pending(b);
        assertThat(forB).hasSize(1);
        assertThat(forB.get(0).get("data").get("event").get("title").asText()).isEqualTo("Offsite (from a)");
        assertThat(t.pending(a)).isEmpty();
    }
}
