package io.chronoroute.master.rest;

import com.fasterxml.jackson.databind.JsonNode;
import io.chronoroute.master.ChronorouteMasterApplication;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.boot.test.web.server.LocalServerPort;
import org.springframework.test.context.DynamicPropertyRegistry;
import org.springframework.test.context.DynamicPropertySource;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Issue #13, "the same principle at the master" and "visibility": a heartbeat with malformed events applies the
 * valid ones and names each rejected one in its answer; a seed agent re-sending the same snapshot is answered the
 * same way (no loop, one entry in the agent's problem list); the agent's reported problems and the master's own
 * rejections are listed in {@code GET /sync/agents/{id}/status} and counted in {@code GET /sync/agents/status}.
 */
@SpringBootTest(classes = ChronorouteMasterApplication.class, webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT)
class HeartbeatRejectionTest {

    static final String ADMIN = "rejection-test-admin-token-0123456789";
    static final String ENROLL = "rejection-test-enroll-0123456789";

    @TempDir
    static Path dataDir;

    @DynamicPropertySource
    static void props(DynamicPropertyRegistry r) {
        r.add("chronoroute.data-dir", () -> dataDir.toString());
        r.add("chronoroute.admin-token", () -> ADMIN);
        r.add("chronoroute.feed-token", () -> "rejection-test-feed-token-0123456789");
        r.add("chronoroute.enrollment-secret", () -> ENROLL);
    }

    @LocalServerPort
    int port;
    ApiClient api;

    @BeforeEach
    void client() {
        api = new ApiClient(port);
    }

    String register(String id) {
        ApiClient.Response r = api.post("/sync/agents/register", null,
                Map.of("id", id, "name", "Agent " + id, "environment", "test", "enrollment_secret", ENROLL));
        assertThat(r.status()).as(r.body()).isEqualTo(201);
        return r.json().get("credential").asText();
    }

    static Map<String, Object> event(String uid, String title) {
        Map<String, Object> e = new LinkedHashMap<>();
        e.put("uid", uid);
        e.put("title", title);
        e.put("start", "2025-06-10T09:00:00Z");
        e.put("end", "2025-06-10T10:00:00Z");
        e.put("source", "outlook");
        return e;
    }

    JsonNode status(String agent) {
        ApiClient.Response r = api.get("/sync/agents/" + agent + "/status", ADMIN);
        assertThat(r.status()).as(r.body()).isEqualTo(200);
        return r.json();
    }

    int stored(String agent) {
        return api.get("/sync/events?agent_id=" + agent, ADMIN).json().get("events").size();
    }

    @Test
    void aSeedSnapshotWithBadEventsAppliesTheRestAndNamesEachBadOne() {
        String a = "seed-" + UUID.randomUUID().toString().substring(0, 8);
        String cred = register(a);
        List<Map<String, Object>> events = new ArrayList<>();
        for (int i = 0; i < 300; i++) {
            events.add(event("ok-" + i, "Event " + i));
        }
        Map<String, Object> nul = event("nul-rule", "NUL in the rule");
        nul.put("rrule", "FREQ=WEE\u0000KLY;BYDAY=MO");
        events.set(17, nul);
        Map<String, Object> badDate = event("bad-date", "Bad date");
        badDate.put("start", "2025-13-45T99:00:00");
        events.set(200, badDate);
        Map<String, Object> snapshot = new LinkedHashMap<>();
        snapshot.put("status", "active");
        snapshot.put("events", events);

        ApiClient.Response r = api.post("/sync/agents/" + a + "/heartbeat", cred, snapshot);

        assertThat(r.status()).as(r.body()).isEqualTo(200);
        JsonNode rejected = r.json().get("rejected");
        assertThat(rejected).hasSize(2);
        assertThat(rejected.get(0).get("field").asText()).startsWith("events[17].rrule");
        assertThat(rejected.get(0).get("uid").asText()).isEqualTo("nul-rule");
        assertThat(rejected.get(0).get("reason").asText()).isNotBlank();
        assertThat(rejected.get(1).get("field").asText()).isEqualTo("events[200].start");
        assertThat(rejected.get(1).get("uid").asText()).isEqualTo("bad-date");
        assertThat(stored(a)).isEqualTo(298);

        // the seed agent sends the same snapshot again: the same answer, nothing changes, one entry per bad event
        ApiClient.Response again = api.post("/sync/agents/" + a + "/heartbeat", cred, snapshot);
        assertThat(again.status()).isEqualTo(200);
        assertThat(again.json().get("rejected")).hasSize(2);
        assertThat(again.json().get("applied").get("upserted").asInt()).isZero();
        assertThat(stored(a)).isEqualTo(298);

        JsonNode problems = status(a).get("problems");
        assertThat(problems.get("master_rejected_total").asLong()).isEqualTo(2);
        assertThat(problems.get("counts").get("EVENT_REJECTED").asLong()).isEqualTo(2);
        JsonNode item = problems.get("items").get(0);
        assertThat(item.get("by").asText()).isEqualTo("master");
        assertThat(item.get("kind").asText()).isEqualTo("EVENT_REJECTED");
        assertThat(item.get("uid").asText()).isEqualTo("nul-rule");
        assertThat(item.get("property").asText()).startsWith("events[17].rrule");
        assertThat(item.get("times").asLong()).isEqualTo(2);
    }

    @Test
    void aSnapshotKeepsTheStoredVersionOfAnEventThatTurnedBad() {
        String a = "keep-" + UUID.randomUUID().toString().substring(0, 8);
        String cred = register(a);
        Map<String, Object> good = event("turns-bad", "Good first");
        assertThat(api.post("/sync/agents/" + a + "/heartbeat", cred, Map.of("events", List.of(good))).status())
                .isEqualTo(200);
        Map<String, Object> bad = event("turns-bad", "Bad now");
        bad.put("end", "not a date");

        ApiClient.Response r = api.post("/sync/agents/" + a + "/heartbeat", cred, Map.of("events", List.of(bad)));

        assertThat(r.status()).as(r.body()).isEqualTo(200);
        assertThat(r.json().get("rejected").get(0).get("field").asText()).isEqualTo("events[0].end");
        assertThat(api.get("/sync/events?agent_id=" + a, ADMIN).json().get("events").get(0).get("title").asText())
                .isEqualTo("Good first");
    }

    @Test
    void aBadDeletionIsRejectedAloneAndABodyThatIsNoHeartbeatIsStill400() {
        String a = "del-" + UUID.randomUUID().toString().substring(0, 8);
        String cred = register(a);
        Map<String, Object> hb = new LinkedHashMap<>();
        hb.put("protocol", 2);
        hb.put("batch_id", a + "-1");
        hb.put("changed", List.of(event("d1", "One")));
        hb.put("deleted", List.of(Map.of("source", "outlook"), Map.of("source", "outlook", "uid", "gone")));
        ApiClient.Response r = api.post("/sync/agents/" + a + "/heartbeat", cred, hb);
        assertThat(r.status()).as(r.body()).isEqualTo(200);
        assertThat(r.json().get("ack").asText()).isEqualTo(a + "-1");
        assertThat(r.json().get("rejected")).hasSize(1);
        assertThat(r.json().get("rejected").get(0).get("field").asText()).isEqualTo("deleted[0].uid");
        assertThat(stored(a)).isEqualTo(1);

        assertThat(api.send("POST", "/sync/agents/" + a + "/heartbeat", cred, "{\"changed\":{}}").status()).isEqualTo(400);
        assertThat(api.send("POST", "/sync/agents/" + a + "/heartbeat", cred, "{\"changed\":[").status()).isEqualTo(400);
        ApiClient.Response wrong = api.send("POST", "/sync/agents/" + a + "/heartbeat", cred,
                "{\"problems\":{\"version\":\"v1\",\"items\":[{\"kind\":\"REPAIRED\",\"line\":\"x\"}]}}");
        assertThat(wrong.status()).isEqualTo(400);
        assertThat(wrong.json().get("field").asText()).isEqualTo("problems.items[0].line");
    }

    @Test
    void theAgentsReportedProblemsAreShownInItsStatusAndCountedInTheList() {
        String a = "rep-" + UUID.randomUUID().toString().substring(0, 8);
        String cred = register(a);
        Map<String, Object> item = new LinkedHashMap<>();
        item.put("kind", "REPAIRED");
        item.put("source", "ics");
        item.put("file", "team.ics");
        item.put("line", 42);
        item.put("uid", "u-1");
        item.put("property", "RRULE");
        item.put("message", "empty RRULE: left out");
        Map<String, Object> problems = new LinkedHashMap<>();
        problems.put("version", "v-1");
        problems.put("total", 3);
        problems.put("counts", Map.of("REPAIRED", 2, "FILE_REJECTED", 1));
        problems.put("items", List.of(item));
        Map<String, Object> hb = new LinkedHashMap<>();
        hb.put("protocol", 2);
        hb.put("changed", List.of());
        hb.put("deleted", List.of());
        hb.put("problems", problems);

        ApiClient.Response r = api.post("/sync/agents/" + a + "/heartbeat", cred, hb);
        assertThat(r.status()).as(r.body()).isEqualTo(200);
        assertThat(r.json().get("problems_version").asText()).isEqualTo("v-1");
        // a later heartbeat without the field keeps the list and still names its version
        hb.remove("problems");
        assertThat(api.post("/sync/agents/" + a + "/heartbeat", cred, hb).json().get("problems_version").asText())
                .isEqualTo("v-1");

        JsonNode p = status(a).get("problems");
        assertThat(p.get("total").asLong()).isEqualTo(3);
        assertThat(p.get("agent_total").asLong()).isEqualTo(3);
        assertThat(p.get("counts").get("REPAIRED").asLong()).isEqualTo(2);
        JsonNode shown = p.get("items").get(0);
        assertThat(shown.get("by").asText()).isEqualTo("agent");
        assertThat(shown.get("file").asText()).isEqualTo("team.ics");
        assertThat(shown.get("line").asInt()).isEqualTo(42);
        assertThat(shown.get("property").asText()).isEqualTo("RRULE");
        assertThat(shown.get("message").asText()).isEqualTo("empty RRULE: left out");

        JsonNode all = api.get("/sync/agents/status", ADMIN).json().get("agents");
        JsonNode mine = null;
        for (JsonNode ag : all) {
            if (a.equals(ag.get("id").asText())) {
                mine = ag;
            }
        }
        assertThat(mine).isNotNull();
        assertThat(mine.get("problems").get("total").asLong()).isEqualTo(3);
        assertThat(mine.get("problems").has("items")).isFalse();
    }
}
