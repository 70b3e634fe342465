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

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Two-way sync through the one ingest route, over real HTTP: a change from one calendar reaches every other
 * calendar the event comes from (and nothing goes back to the one that made it), a read-only calendar is divergent,
 * a write-back that comes back (with SEQUENCE+1) changes nothing, a delete travels, an edit wins over a racing
 * delete, the loser of a conflict gets the winner, and the API's edits fan out the same way.
 */
@CamelSpringBootTest
@SpringBootTest(classes = ChronorouteMasterApplication.class, webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT)
class TwoWayIngestTest {

    static final String ADMIN = "admin-token-for-tests-0123456789";
    static final String ENROLL = "enroll-secret-for-tests-0123456789";

    @TempDir
    static Path dataDir;

    @DynamicPropertySource
    static void props(DynamicPropertyRegistry r) {
        r.add("chronoroute.data-dir", () -> dataDir.toString());
        r.add("chronoroute.admin-token", () -> ADMIN);
        r.add("chronoroute.feed-token", () -> "feed-token-for-tests-0123456789");
        r.add("chronoroute.enrollment-secret", () -> ENROLL);
        r.add("chronoroute.routes-dir", () -> dataDir.resolve("routes").toString());
        r.add("chronoroute.conflict-resolution", () -> "latest_wins");
    }

    @LocalServerPort
    int port;
    ApiClient api;

    /** One registered agent with one source. */
    record Agent(String id, String credential, String source, boolean writable) {
    }

    @BeforeEach
    void client() throws Exception {
        java.nio.file.Files.createDirectories(dataDir.resolve("routes"));
        api = new ApiClient(port);
    }

    Agent agent(String prefix, String source, boolean writable) {
        String id = prefix + "-" + UUID.randomUUID().toString().substring(0, 8);
        ApiClient.Response r = api.post("/sync/agents/register", null,
                Map.of("id", id, "name", id, "environment", "test", "enrollment_secret", ENROLL));
        assertThat(r.status()).as(r.body()).isEqualTo(201);
        return new Agent(id, r.json().get("credential").asText(), source, writable);
    }

    static Map<String, Object> event(String uid, String title, Integer sequence, String lastModified) {
        Map<String, Object> e = new LinkedHashMap<>();
        e.put("uid", uid);
        e.put("title", title);
        e.put("start", Map.of("date_time", "2026-12-10T09:00:00", "time_zone", "Europe/Berlin"));
        e.put("end", Map.of("date_time", "2026-12-10T10:00:00", "time_zone", "Europe/Berlin"));
        if (sequence != null) {
            e.put("sequence", sequence);
        }
        e.put("last_modified", lastModified == null ? "2026-11-01T10:00:00Z" : lastModified);
        return e;
    }

    /** A heartbeat of {@code a}: changed events (given the agent's source) and deleted UIDs; returns the answer. */
    JsonNode heartbeat(Agent a, List<Map<String, Object>> changed, List<String> deletedUids) {
        List<Object> ch = new ArrayList<>();
        for (Map<String, Object> e : changed) {
            Map<String, Object> c = new LinkedHashMap<>(e);
            c.put("source", a.source());
            ch.add(c);
        }
        List<Object> del = new ArrayList<>();
        for (String uid : deletedUids) {
            del.add(Map.of("source", a.source(), "uid", uid));
        }
        Map<String, Object> source = new LinkedHashMap<>();
        source.put("name", a.source());
        source.put("kind", a.writable() ? "ics_folder" : "outlook_mac");
        source.put("writable", a.writable());
        Map<String, Object> hb = new LinkedHashMap<>();
        hb.put("protocol", 2);
        hb.put("status", "active");
        hb.put("batch_id", UUID.randomUUID().toString());
        hb.put("stats", Map.of("source_list", List.of(source)));
        hb.put("changed", ch);
        hb.put("deleted", del);
        ApiClient.Response r = api.post("/sync/agents/" + a.id() + "/heartbeat", a.credential(), hb);
        assertThat(r.status()).as(r.body()).isEqualTo(200);
        return r.json();
    }

    /** The event updates pending for the agent (delivered in every heartbeat answer until confirmed). */
    List<JsonNode> pending(Agent a) {
        ApiClient.Response r = api.get("/sync/agents/" + a.id() + "/pending-updates", a.credential());
        assertThat(r.status()).as(r.body()).isEqualTo(200);
        List<JsonNode> out = new ArrayList<>();
        r.json().get("updates").forEach(u -> {
            if ("event_update".equals(u.path("type").asText())) {
                out.add(u);
            }
        });
        return out;
    }

    void confirm(Agent a, JsonNode update) {
        ApiClient.Response r = api.post("/sync/agents/" + a.id() + "/updates/" + update.get("id").asText()
                + "/processed", a.credential(), Map.of("success", true));
        assertThat(r.status()).as(r.body()).isEqualTo(200);
    }

    String idOf(String uid) {
        ApiClient.Response r = api.get("/sync/events?limit=1000", ADMIN);
        for (JsonNode e : r.json().get("events")) {
            if (uid.equals(e.path("uid").asText())) {
                return e.get("id").asText();
            }
        }
        return null;
    }

    JsonNode details(String id) {
        ApiClient.Response r = api.get("/sync/events/" + id, ADMIN);
        assertThat(r.status()).as(r.body()).isEqualTo(200);
        return r.json();
    }

    @Test
    void anEditReachesEveryOtherCalendarAndItsWriteBackComesBackAsNothing() {
        Agent a = agent("a", "work", true);
        Agent b = agent("b", "team", true);
        Agent mac = agent("mac", "outlook", false);
        String uid = "two-way-" + UUID.randomUUID();
        heartbeat(a, List.of(event(uid, "Planning", 0, null)), List.of());
        heartbeat(b, List.of(event(uid, "Planning", 0, null)), List.of());
        heartbeat(mac, List.of(event(uid, "Planning", 0, null)), List.of());
        assertThat(pending(a)).isEmpty();
        assertThat(pending(b)).isEmpty();

        JsonNode answer = heartbeat(a, List.of(event(uid, "Planning (moved to room 2)", 0, "2026-11-02T10:00:00Z")),
                List.of());
        assertThat(answer.get("pending_updates")).as("nothing goes back to the calendar that made the change").isEmpty();
        List<JsonNode> forB = pending(b);
        assertThat(forB).hasSize(1);
        JsonNode data = forB.get(0).get("data");
        assertThat(data.get("action").asText()).isEqualTo("update");
        assertThat(data.get("source").asText()).isEqualTo("team");
        assertThat(data.get("event").get("title").asText()).isEqualTo("Planning (moved to room 2)");
        assertThat(data.get("base_hash").asText()).hasSize(32);
        assertThat(pending(mac)).as("a read-only calendar is never written").isEmpty();

        String id = idOf(uid);
        JsonNode d = details(id);
        long version = d.get("version").asLong();
        for (JsonNode o : d.get("origins")) {
            boolean isMac = o.get("agent_id").asText().equals(mac.id());
            assertThat(o.get("divergent").asBoolean()).as(o.toString()).isEqualTo(isMac);
        }

        // b writes it (SEQUENCE+1, as a written-back .ics gets) and reads it back: recognised, nothing new anywhere
        confirm(b, forB.get(0));
        JsonNode echo = heartbeat(b, List.of(event(uid, "Planning (moved to room 2)", 1, "2026-11-02T10:05:00Z")),
                List.of());
        assertThat(echo.get("applied").get("upserted").asInt()).isEqualTo(1);
        assertThat(echo.get("pending_updates")).isEmpty();
        assertThat(pending(a)).isEmpty();
        assertThat(details(id).get("version").asLong()).isEqualTo(version);
        // idle cycles: nothing
        for (int i = 0; i < 3; i++) {
            heartbeat(a, List.of(), List.of());
            heartbeat(b, List.of(), List.of());
        }
        assertThat(pending(a)).isEmpty();
        assertThat(pending(b)).isEmpty();
        assertThat(details(id).get("version").asLong()).isEqualTo(version);
    }

    @Test
    void aDeleteTravelsButAnEditWinsOverARacingDelete() {
        Agent a = agent("a", "work", true);
        Agent b = agent("b", "team", true);
        String gone = "gone-" + UUID.randomUUID();
        String kept = "kept-" + UUID.randomUUID();
        for (Agent x : List.of(a, b)) {
            heartbeat(x, List.of(event(gone, "Cancelled meeting", 0, null), event(kept, "Review", 0, null)), List.of());
        }
        String keptId = idOf(kept);

        heartbeat(a, List.of(), List.of(gone));
        assertThat(idOf(gone)).as("deleted in the consolidated calendar").isNull();
        List<JsonNode> forB = pending(b);
        assertThat(forB).hasSize(1);
        assertThat(forB.get(0).get("data").get("action").asText()).isEqualTo("delete");
        assertThat(forB.get(0).get("data").get("event").get("uid").asText()).isEqualTo(gone);
        confirm(b, forB.get(0));
        heartbeat(b, List.of(), List.of(gone));
        assertThat(pending(a)).isEmpty();

        // b edits "kept" while a deletes it: b's edit arrives first and reaches a; a's delete then loses
        heartbeat(b, List.of(event(kept, "Review (agenda attached)", 0, "2026-11-03T10:00:00Z")), List.of());
        assertThat(pending(a)).hasSize(1);
        heartbeat(a, List.of(), List.of(kept));
        assertThat(idOf(kept)).as("the edit wins").isEqualTo(keptId);
        assertThat(details(keptId).get("event").get("title").asText()).isEqualTo("Review (agenda attached)");
        assertThat(pending(b)).as("no delete for the calendar that edited it").isEmpty();
    }

    @Test
    void aWriteBackStillInFlightWhenTheEventIsDeletedDoesNotBringItBack() {
        Agent a = agent("a", "work", true);
        String uid = "in-flight-" + UUID.randomUUID();
        heartbeat(a, List.of(event(uid, "Retro", 0, null)), List.of());
        String id = idOf(uid);
        ApiClient.Response edit = api.send("PUT", "/sync/events/" + id, ADMIN,
                ApiClient.write(event(uid, "Retro (moved)", null, null)));
        assertThat(edit.status()).as(edit.body()).isEqualTo(202);
        JsonNode update = pending(a).get(0);
        confirm(a, update); // written in the folder; its read-back is not sent yet
        assertThat(api.delete("/sync/events/" + id, ADMIN).status()).isEqualTo(202);
        assertThat(pending(a)).hasSize(1);

        // the read-back of the edit arrives after the delete: the deleted version itself, not an edit
        JsonNode answer = heartbeat(a, List.of(event(uid, "Retro (moved)", 1, "2026-11-06T10:00:00Z")), List.of());
        assertThat(idOf(uid)).as("not brought back").isNull();
        List<JsonNode> forA = pending(a);
        assertThat(forA).hasSize(1);
        assertThat(forA.get(0).get("data").get("action").asText()).isEqualTo("delete");
        assertThat(answer.get("pending_updates")).hasSize(1);
    }

    @Test
    void theLoserOfAConflictGetsTheWinner() {
        Agent a = agent("a", "work", true);
        Agent b = agent("b", "team", true);
        String uid = "conflict-" + UUID.randomUUID();
        heartbeat(a, List.of(event(uid, "Sync", 0, null)), List.of());
        heartbeat(b, List.of(event(uid, "Sync", 0, null)), List.of());

        heartbeat(a, List.of(event(uid, "Sync (later edit)", 0, "2026-11-05T12:00:00Z")), List.of());
        for (JsonNode u : pending(b)) {
            // b has not applied it yet: it made its own, older edit meanwhile (the agent refuses on base_hash)
            api.post("/sync/agents/" + b.id() + "/updates/" + u.get("id").asText() + "/processed", b.credential(),
                    Map.of("success", false, "permanent", true, "error", "changed since"));
        }
        JsonNode answer = heartbeat(b, List.of(event(uid, "Sync (earlier edit)", 0, "2026-11-05T09:00:00Z")),
                List.of());
        assertThat(answer.get("applied").get("conflicts").asInt()).isEqualTo(1);
        List<JsonNode> forB = pending(b);
        assertThat(forB).as("latest_wins kept a's version; b gets it").hasSize(1);
        assertThat(forB.get(0).get("data").get("event").get("title").asText()).isEqualTo("Sync (later edit)");
        assertThat(pending(a)).isEmpty();
    }

    @Test
    void anEditThroughTheApiChangesTheCalendarAtOnceAndReachesEveryWritableCalendar() {
        Agent a = agent("a", "work", true);
        Agent mac = agent("mac", "outlook", false);
        String uid = "api-" + UUID.randomUUID();
        heartbeat(a, List.of(event(uid, "Lunch", 0, null)), List.of());
        heartbeat(mac, List.of(event(uid, "Lunch", 0, null)), List.of());
        String id = idOf(uid);

        Map<String, Object> edited = event(uid, "Lunch with the client", null, null);
        ApiClient.Response r = api.send("PUT", "/sync/events/" + id, ADMIN, ApiClient.write(edited));
        assertThat(r.status()).as(r.body()).isEqualTo(202);
        assertThat(r.json().get("outcome").asText()).isEqualTo("applied");
        assertThat(r.json().get("origins_written")).hasSize(1);
        assertThat(r.json().get("origins_not_writable")).hasSize(1);
        assertThat(details(id).get("event").get("title").asText()).isEqualTo("Lunch with the client");
        assertThat(details(id).get("last_writer").asText()).isEqualTo("api:admin");
        List<JsonNode> forA = pending(a);
        assertThat(forA).hasSize(1);
        assertThat(forA.get(0).get("data").get("changed_by").asText()).isEqualTo("api:admin");

        // the same edit again: nothing new (no second update for a)
        ApiClient.Response again = api.send("PUT", "/sync/events/" + id, ADMIN, ApiClient.write(edited));
        assertThat(again.json().get("outcome").asText()).isEqualTo("unchanged");
        assertThat(pending(a)).hasSize(1);

        ApiClient.Response del = api.delete("/sync/events/" + id, ADMIN);
        assertThat(del.status()).as(del.body()).isEqualTo(202);
        assertThat(idOf(uid)).isNull();
        List<JsonNode> after = pending(a);
        assertThat(after).as("the pending update was superseded by the delete").hasSize(1);
        assertThat(after.get(0).get("data").get("action").asText()).isEqualTo("delete");
    }
}
