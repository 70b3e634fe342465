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
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;

import static org.assertj.core.api.Assertions.assertThat;

/** The whole API over real HTTP, protocol 2 (credentials), legacy agents off, latest_wins. */
@CamelSpringBootTest
@SpringBootTest(classes = ChronorouteMasterApplication.class, webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT,
        properties = "chronoroute.routes-dir=" + MasterApiTest.ROUTES_DIR)
class MasterApiTest {

    /** An existing, empty operator routes folder: Camel must start with no file matching. */
    static final String ROUTES_DIR = "target/empty-routes-folder";

    static {
        try {
            Files.createDirectories(Path.of(ROUTES_DIR));
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    static final String ADMIN = "admin-token-for-tests-0123456789";
    static final String FEED = "feed-token-for-tests-0123456789";
    static final String ENROLL = "enroll-secret-for-tests-0123456789";

    @TempDir
    static Path dataDir;

    @DynamicPropertySource
    static void props(DynamicPropertyRegistry r) {
        r.add("chronoroute.data-dir", () -> dataDir.toString());
        r.add("chronoroute.admin-token", () -> ADMIN);
        r.add("chronoroute.feed-token", () -> FEED);
        r.add("chronoroute.enrollment-secret", () -> ENROLL);
    }

    @LocalServerPort
    int port;
    ApiClient api;

    @BeforeEach
    void client() {
        api = new ApiClient(port);
    }

    static String uniqueId(String prefix) {
        return prefix + "-" + UUID.randomUUID().toString().substring(0, 8);
    }

    /** Registers with the enrollment secret; returns the credential. */
    String register(String id) {
        ApiClient.Response r = api.post("/sync/agents/register", null,
                Map.of("id", id, "name", "Agent " + id, "environment", "test", "enrollment_secret", ENROLL));
        assertThat(r.status()).as(r.body()).isEqualTo(201);
        return r.json().get("credential").asText();
    }

    static Map<String, Object> event(String uid, String title, String start, String end) {
        Map<String, Object> e = new LinkedHashMap<>();
        e.put("uid", uid);
        e.put("title", title);
        e.put("start", Map.of("date_time", start, "time_zone", "Europe/Berlin"));
        e.put("end", Map.of("date_time", end, "time_zone", "Europe/Berlin"));
        e.put("location", "Room 1");
        e.put("source", "outlook");
        e.put("last_modified", "2025-06-01T10:00:00Z");
        return e;
    }

    static Map<String, Object> delta(String batch, List<?> changed, List<?> deleted) {
        Map<String, Object> hb = new LinkedHashMap<>();
        hb.put("timestamp", "2025-06-01T10:00:00Z");
        hb.put("status", "active");
        hb.put("protocol", 2);
        if (batch != null) {
            hb.put("batch_id", batch);
        }
        hb.put("changed", changed);
        hb.put("deleted", deleted);
        return hb;
    }

    ApiClient.Response heartbeat(String agent, String credential, Object body) {
        return api.post("/sync/agents/" + agent + "/heartbeat", credential, body);
    }

    JsonNode eventsOf(String agent) {
        ApiClient.Response r = api.get("/sync/events?agent_id=" + agent, ADMIN);
        assertThat(r.status()).as(r.body()).isEqualTo(200);
        return r.json().get("events");
    }

    @Test
    void registerAnswers201WithACredentialOnceAndReRegisterNeedsIt() {
        String id = uniqueId("reg");
        String credential = register(id);
        assertThat(credential).hasSizeGreaterThanOrEqualTo(43);

        ApiClient.Response again = api.post("/sync/agents/register", null, Map.of("id", id, "enrollment_secret", ENROLL));
        assertThat(again.status()).isEqualTo(409);
        assertThat(again.json().get("error").asText()).isEqualTo("conflict");

        ApiClient.Response withCredential = api.post("/sync/agents/register", credential, Map.of("id", id));
        assertThat(withCredential.status()).isEqualTo(201);
        assertThat(withCredential.json().get("credential").isNull()).isTrue();

        ApiClient.Response badSecret = api.post("/sync/agents/register", null,
                Map.of("id", uniqueId("x"), "enrollment_secret", "wrong"));
        assertThat(badSecret.status()).isEqualTo(401);
    }

    @Test
    void seedRegistrationWithoutSecretIsRefusedWhenLegacyModeIsOff() {
        ApiClient.Response r = api.post("/sync/agents/register", null, Map.of("id", uniqueId("seed"), "name", "seed",
                "agent_type", "python", "capabilities", List.of("calendar_sync")));
        assertThat(r.status()).isEqualTo(401);
        assertThat(r.json().get("error").asText()).isEqualTo("unauthorized");
    }

    @Test
    void heartbeatNeedsTheAgentsOwnCredential() {
        String a = uniqueId("a");
        String b = uniqueId("b");
        String credA = register(a);
        String credB = register(b);
        Object body = delta(a + "-1", List.of(event(uniqueId("uid"), "Standup", "2025-06-10T09:00:00", "2025-06-10T09:15:00")), List.of());

        ApiClient.Response ok = heartbeat(a, credA, body);
        assertThat(ok.status()).as(ok.body()).isEqualTo(200);
        JsonNode j = ok.json();
        assertThat(j.get("status").asText()).isEqualTo("success");
        assertThat(j.get("ack").asText()).isEqualTo(a + "-1");
        assertThat(j.get("applied").get("upserted").asInt()).isEqualTo(1);
        assertThat(j.get("digest").asText()).startsWith("1:");
        assertThat(j.get("pending_updates").isArray()).isTrue();

        assertThat(heartbeat(a, null, body).status()).isEqualTo(401);
        assertThat(heartbeat(a, "not-a-credential", body).status()).isEqualTo(401);
        ApiClient.Response other = heartbeat(a, credB, body);
        assertThat(other.status()).isEqualTo(403);
        assertThat(other.json().get("error").asText()).isEqualTo("forbidden");
        assertThat(heartbeat(a, ADMIN, body).status()).isEqualTo(403);
        assertThat(api.get("/sync/agents/" + a + "/pending-updates", credB).status()).isEqualTo(403);

        ApiClient.Response unknown = heartbeat(uniqueId("ghost"), credA, body);
        assertThat(unknown.status()).isEqualTo(404);
        assertThat(unknown.json().get("field").asText()).isEqualTo("agent_id");
    }

    @Test
    void theAgentIdComesFromThePathNeverFromTheQuery() {
        String a = uniqueId("a");
        String b = uniqueId("b");
        String credA = register(a);
        register(b);
        Object body = delta(null, List.of(event(uniqueId("uid"), "Mine", "2025-06-10T09:00:00", "2025-06-10T10:00:00")), List.of());
        ApiClient.Response r = api.post("/sync/agents/" + b + "/heartbeat?agent_id=" + a, credA, body);
        assertThat(r.status()).isEqualTo(403);
        assertThat(eventsOf(b).size()).isZero();
    }

    @Test
    void adminEndpointsNeedTheAdminToken() {
        String a = uniqueId("a");
        String credA = register(a);
        assertThat(api.get("/sync/stats", null).status()).isEqualTo(401);
        assertThat(api.get("/sync/stats", "wrong").status()).isEqualTo(401);
        assertThat(api.get("/sync/stats", credA).status()).isEqualTo(403);
        ApiClient.Response ok = api.get("/sync/stats", ADMIN);
        assertThat(ok.status()).isEqualTo(200);
        assertThat(ok.json().get("conflict_resolution").asText()).isEqualTo("latest_wins");
        // an agent may read its own status, not another's
        assertThat(api.get("/sync/agents/" + a + "/status", credA).status()).isEqualTo(200);
        String b = uniqueId("b");
        register(b);
        assertThat(api.get("/sync/agents/" + b + "/status", credA).status()).isEqualTo(403);
        ApiClient.Response config = api.get("/sync/config", ADMIN);
        assertThat(config.status()).isEqualTo(200);
        assertThat(config.body()).doesNotContain(ADMIN).doesNotContain(FEED).doesNotContain(ENROLL);
        assertThat(api.get("/health", null).status()).isEqualTo(200);
        assertThat(api.get("/sync/health", null).json().get("status").asText()).isEqualTo("healthy");
    }

    @Test
    void malformedJsonIs400WithAJsonReason() {
        String a = uniqueId("a");
        String cred = register(a);
        ApiClient.Response r = api.send("POST", "/sync/agents/" + a + "/heartbeat", cred, "{\"changed\": [ {\"uid\": ");
        assertThat(r.status()).isEqualTo(400);
        assertThat(r.json().get("error").asText()).isEqualTo("bad_request");
        assertThat(r.json().get("reason").asText()).contains("malformed JSON");
        assertThat(r.body()).doesNotContain("Exception").doesNotContain("at io.");
    }

    /**
     * The body is read in streaming passes: the source zone applies to the events whatever the field order, an
     * error deep in the array names its index, and a top-level field given twice is refused.
     */
    @Test
    void theSourceZoneAppliesWhereverItStandsAndErrorsNameTheirIndex() {
        String a = uniqueId("a");
        String cred = register(a);
        String ok = "{\"protocol\":2,\"batch_id\":\"" + a + "-1\",\"changed\":[{\"uid\":\"z1\",\"title\":\"Zoned\","
                + "\"start\":\"2025-06-10T09:00:00\",\"end\":\"2025-06-10T10:00:00\"}],\"deleted\":[],"
                + "\"source_time_zone\":\"America/New_York\"}";
        ApiClient.Response r = api.send("POST", "/sync/agents/" + a + "/heartbeat", cred, ok);
        assertThat(r.status()).as(r.body()).isEqualTo(200);
        JsonNode start = eventsOf(a).get(0).get("start");
        assertThat(start.toString()).contains("2025-06-10T09:00").contains("America/New_York");

        List<Map<String, Object>> many = new ArrayList<>();
        for (int i = 0; i < 2500; i++) {
            many.add(event(a + "-uid-" + i, "E" + i, "2025-06-10T09:00:00", "2025-06-10T10:00:00"));
        }
        many.get(2100).put("end", "not a date");
        r = heartbeat(a, cred, delta(a + "-2", many, List.of()));
        assertThat(r.status()).as(r.body()).isEqualTo(200);
        assertThat(r.json().get("rejected")).hasSize(1);
        assertThat(r.json().get("rejected").get(0).get("field").asText()).isEqualTo("changed[2100].end");
        assertThat(eventsOf(a).size()).isEqualTo(2500);

        r = api.send("POST", "/sync/agents/" + a + "/heartbeat", cred, "{\"status\":\"a\",\"status\":\"b\"}");
        assertThat(r.status()).isEqualTo(400);
        assertThat(r.json().get("field").asText()).isEqualTo("status");
        r = api.send("POST", "/sync/agents/" + a + "/heartbeat", cred, "[1,2]");
        assertThat(r.status()).isEqualTo(400);
        r = api.send("POST", "/sync/agents/" + a + "/heartbeat", cred, "{\"changed\":{}}");
        assertThat(r.status()).isEqualTo(400);
        assertThat(r.json().get("field").asText()).isEqualTo("changed");
    }

    @Test
    void anInvalidDateRejectsOnlyItsEventNamingTheField() {
        String a = uniqueId("a");
        String cred = register(a);
        Map<String, Object> bad = event(uniqueId("uid"), "Bad", "2025-06-10T09:00:00", "2025-06-10T10:00:00");
        bad.put("start", "2025-13-45T99:00:00");
        ApiClient.Response r = heartbeat(a, cred, delta(a + "-1",
                List.of(event(uniqueId("uid"), "Good", "2025-06-10T09:00:00", "2025-06-10T10:00:00"), bad), List.of()));
        assertThat(r.status()).as(r.body()).isEqualTo(200);
        assertThat(r.json().get("rejected")).hasSize(1);
        assertThat(r.json().get("rejected").get(0).get("field").asText()).isEqualTo("changed[1].start");
        assertThat(r.json().get("rejected").get(0).get("uid").asText()).isEqualTo(bad.get("uid"));
        assertThat(eventsOf(a).size()).isEqualTo(1);
    }

    @Test
    void moreThanTheEventLimitIs413AndNothingIsApplied() {
        String a = uniqueId("a");
        String cred = register(a);
        List<Map<String, Object>> events = new ArrayList<>();
        for (int i = 0; i < 10_001; i++) {
            events.add(event("big-" + i, "E" + i, "2025-06-10T09:00:00", "2025-06-10T10:00:00"));
        }
        ApiClient.Response r = heartbeat(a, cred, delta(a + "-1", events, List.of()));
        assertThat(r.status()).isEqualTo(413);
        assertThat(r.json().get("error").asText()).isEqualTo("payload_too_large");
        assertThat(eventsOf(a).size()).isZero();
        assertThat(api.get("/sync/agents/" + a + "/status", ADMIN).json().get("observations").asLong()).isZero();
    }

    @Test
    void tenThousandEventsIngestInOneHeartbeat() {
        String a = uniqueId("perf");
        String cred = register(a);
        List<Map<String, Object>> events = new ArrayList<>();
        for (int i = 0; i < 10_000; i++) {
            events.add(event(a + "-" + i, "E" + i, "2025-06-10T09:00:00", "2025-06-10T10:00:00"));
        }
        String body = ApiClient.write(delta(a + "-1", events, List.of()));
        heartbeat(a, cred, delta(a + "-0", events.subList(0, 100), List.of()));
        ApiClient.Response r = api.send("POST", "/sync/agents/" + a + "/heartbeat", cred, body);
        assertThat(r.status()).as(r.body()).isEqualTo(200);
        assertThat(r.json().get("applied").get("upserted").asInt()).isEqualTo(9_900);
        assertThat(r.json().get("applied").get("unchanged").asInt()).isEqualTo(100);
        // how fast is measured by ./bench.sh pipeline (README, Benchmarks), never by a timed test on a shared machine
        ApiClient.Response again = heartbeat(a, cred, delta("second-batch", events, List.of()));
        assertThat(again.json().get("applied").get("unchanged").asInt()).isEqualTo(10_000);
    }

    @Test
    void aReplayedBatchIsAcknowledgedButAppliedOnce() {
        String a = uniqueId("a");
        String cred = register(a);
        String uid = uniqueId("uid");
        Object body = delta(a + "-7", List.of(event(uid, "Once", "2025-06-10T09:00:00", "2025-06-10T10:00:00")), List.of());
        ApiClient.Response first = heartbeat(a, cred, body);
        assertThat(first.json().get("applied").get("upserted").asInt()).isEqualTo(1);
        long seq = api.get("/sync/stats", ADMIN).json().get("change_seq").asLong();

        // the agent changed the event meanwhile but replays the old batch id: must not be applied
        Object replay = delta(a + "-7", List.of(event(uid, "Changed", "2025-06-10T09:00:00", "2025-06-10T10:00:00")), List.of());
        ApiClient.Response second = heartbeat(a, cred, replay);
        assertThat(second.status()).isEqualTo(200);
        assertThat(second.json().get("ack").asText()).isEqualTo(a + "-7");
        assertThat(second.json().get("duplicate").asBoolean()).isTrue();
        assertThat(second.json().get("applied").get("upserted").asInt()).isZero();
        assertThat(api.get("/sync/stats", ADMIN).json().get("change_seq").asLong()).isEqualTo(seq);
        assertThat(eventsOf(a).get(0).get("title").asText()).isEqualTo("Once");
    }

    @Test
    void theSameMeetingFromTwoAgentsIsOneEventWithTwoOrigins() {
        String a = uniqueId("a");
        String b = uniqueId("b");
        String credA = register(a);
        String credB = register(b);
        String uid = uniqueId("shared");
        Map<String, Object> ev = event(uid, "Board meeting", "2025-06-11T14:00:00", "2025-06-11T15:00:00");
        heartbeat(a, credA, delta(null, List.of(ev), List.of()));
        Map<String, Object> evB = new LinkedHashMap<>(ev);
        evB.put("source", "macos");
        ApiClient.Response r = heartbeat(b, credB, delta(null, List.of(evB), List.of()));
        assertThat(r.json().get("applied").get("conflicts").asInt()).isZero();
        JsonNode events = api.get("/sync/events", ADMIN).json().get("events");
        List<JsonNode> matching = new ArrayList<>();
        events.forEach(e -> {
            if (uid.equals(e.get("uid").asText())) {
                matching.add(e);
            }
        });
        assertThat(matching).hasSize(1);
        assertThat(matching.get(0).get("origins")).hasSize(2);
    }

    @Test
    void latestWinsSettlesAConflictBetweenTwoAgents() {
        String a = uniqueId("a");
        String b = uniqueId("b");
        String credA = register(a);
        String credB = register(b);
        String uid = uniqueId("c");
        Map<String, Object> va = event(uid, "Version A", "2025-06-12T09:00:00", "2025-06-12T10:00:00");
        heartbeat(a, credA, delta(null, List.of(va), List.of()));
        Map<String, Object> older = event(uid, "Version B old", "2025-06-12T09:00:00", "2025-06-12T10:00:00");
        older.put("last_modified", "2025-05-01T10:00:00Z");
        ApiClient.Response r = heartbeat(b, credB, delta(null, List.of(older), List.of()));
        assertThat(r.json().get("applied").get("conflicts").asInt()).isEqualTo(1);
        assertThat(eventsOf(a).get(0).get("title").asText()).isEqualTo("Version A");
        Map<String, Object> newer = event(uid, "Version B new", "2025-06-12T09:00:00", "2025-06-12T10:00:00");
        newer.put("last_modified", "2025-07-01T10:00:00Z");
        heartbeat(b, credB, delta(null, List.of(newer), List.of()));
        assertThat(eventsOf(a).get(0).get("title").asText()).isEqualTo("Version B new");
        JsonNode conflicts = api.get("/sync/conflicts/recent", ADMIN).json().get("conflicts");
        assertThat(conflicts.size()).isGreaterThanOrEqualTo(2);
        assertThat(conflicts.get(0).get("status").asText()).isEqualTo("resolved");
    }

    @Test
    void deletionMakesATombstoneAndTheFeedDropsTheEvent() {
        String a = uniqueId("a");
        String cred = register(a);
        String uid = uniqueId("gone");
        heartbeat(a, cred, delta(null, List.of(event(uid, "Soon gone", "2025-06-13T09:00:00", "2025-06-13T10:00:00")), List.of()));
        assertThat(api.get("/calendar.ics?token=" + FEED, null).body()).contains(uid);
        ApiClient.Response r = heartbeat(a, cred, delta(null, List.of(), List.of(Map.of("source", "outlook", "uid", uid))));
        assertThat(r.json().get("applied").get("deleted").asInt()).isEqualTo(1);
        assertThat(r.json().get("digest").asText()).startsWith("0:");
        assertThat(eventsOf(a).size()).isZero();
        assertThat(api.get("/calendar.ics?token=" + FEED, null).body()).doesNotContain(uid);
    }

    @Test
    void seedSnapshotDeletesWhatIsMissingAndDeletingAnAgentOrphansItsEvents() {
        String a = uniqueId("a");
        String cred = register(a);
        String keep = uniqueId("keep");
        String drop = uniqueId("drop");
        Map<String, Object> seedKeep = Map.of("id", keep, "title", "Keep", "start_time", "2025-06-14T09:00:00",
                "end_time", "2025-06-14T10:00:00", "source", "outlook");
        Map<String, Object> seedDrop = Map.of("id", drop, "title", "Drop", "start_time", "2025-06-14T11:00:00",
                "end_time", "2025-06-14T12:00:00", "source", "outlook");
        heartbeat(a, cred, Map.of("status", "active", "events", List.of(seedKeep, seedDrop)));
        assertThat(eventsOf(a).size()).isEqualTo(2);
        ApiClient.Response r = heartbeat(a, cred, Map.of("status", "active", "events", List.of(seedKeep)));
        assertThat(r.json().get("applied").get("deleted").asInt()).isEqualTo(1);
        assertThat(eventsOf(a).size()).isEqualTo(1);
        // status-only heartbeat changes nothing
        assertThat(heartbeat(a, cred, Map.of("status", "active")).json().get("applied").get("deleted").asInt()).isZero();
        assertThat(eventsOf(a).size()).isEqualTo(1);

        ApiClient.Response del = api.delete("/sync/agents/" + a, ADMIN);
        assertThat(del.status()).as(del.body()).isEqualTo(200);
        assertThat(api.get("/calendar.ics?token=" + FEED, null).body()).doesNotContain(keep);
        assertThat(heartbeat(a, cred, Map.of("status", "active")).status()).isEqualTo(404);
    }

    @Test
    void theFeedNeedsItsTokenAndAnswers304WhenUnchanged() {
        assertThat(api.get("/calendar.ics", null).status()).isEqualTo(401);
        assertThat(api.get("/calendar.ics?token=wrong", null).status()).isEqualTo(401);
        assertThat(api.get("/calendar.ics?token=" + ADMIN, null).status()).isEqualTo(401);
        ApiClient.Response r = api.get("/calendar.ics?token=" + FEED, null);
        assertThat(r.status()).isEqualTo(200);
        assertThat(r.header("Content-Type")).startsWith("text/calendar");
        assertThat(r.body()).startsWith("BEGIN:VCALENDAR");
        String etag = r.header("ETag");
        assertThat(etag).isNotBlank();
        ApiClient.Response notModified = api.get("/calendar.ics?token=" + FEED, null, "If-None-Match", etag);
        assertThat(notModified.status()).isEqualTo(304);
        assertThat(notModified.body()).isEmpty();
    }

    @Test
    void fullCalendarJsonHasTheExpectedShape() {
        String a = uniqueId("a");
        String cred = register(a);
        String uid = uniqueId("fc");
        Map<String, Object> allDay = new LinkedHashMap<>();
        allDay.put("uid", uid);
        allDay.put("title", "Holiday");
        allDay.put("start", Map.of("date", "2030-01-02"));
        allDay.put("end", Map.of("date", "2030-01-03"));
        allDay.put("location", "Home");
        allDay.put("source", "outlook");
        heartbeat(a, cred, delta(null, List.of(allDay), List.of()));
        ApiClient.Response r = api.get("/sync/events/fullcalendar?start=2030-01-01&end=2030-01-31", ADMIN);
        assertThat(r.status()).as(r.body()).isEqualTo(200);
        JsonNode list = r.json();
        assertThat(list.isArray()).isTrue();
        JsonNode e = list.get(0);
        assertThat(list).hasSize(1);
        assertThat(e.get("title").asText()).isEqualTo("Holiday");
        assertThat(e.get("start").asText()).isEqualTo("2030-01-02");
        assertThat(e.get("end").asText()).isEqualTo("2030-01-03");
        assertThat(e.get("allDay").asBoolean()).isTrue();
        assertThat(e.get("id").asText()).isNotBlank();
        assertThat(e.get("extendedProps").get("origins").get(0).asText()).isEqualTo(a);
        assertThat(e.get("extendedProps").get("location").asText()).isEqualTo("Home");
        assertThat(api.get("/sync/events?from=yesterday", ADMIN).json().get("field").asText()).isEqualTo("from");
    }

    @Test
    void pushedUpdatesAreDeliveredAndAcknowledged() {
        String a = uniqueId("a");
        String cred = register(a);
        ApiClient.Response push = api.post("/sync/push/calendar-metadata", ADMIN,
                Map.of("changes", Map.of("name", "Team", "color", "#00ff00"), "target_agents", List.of(a),
                        "calendar_id", "cal-1", "provider", "outlook"));
        assertThat(push.status()).as(push.body()).isEqualTo(200);
        assertThat(push.json().get("updates_queued").asInt()).isEqualTo(1);
        assertThat(push.json().get("agents").get(0).asText()).isEqualTo(a);
        ApiClient.Response cfg = api.post("/sync/push/sync-config", ADMIN,
                Map.of("changes", Map.of("sync_interval_minutes", 5), "target_agents", List.of(a)));
        assertThat(cfg.json().get("updates_queued").asInt()).isEqualTo(1);
        ApiClient.Response recv = api.post("/sync/agents/" + a + "/receive-updates", ADMIN, List.of(Map.of(
                "type", "event_update", "data", Map.of("action", "create", "source", "outlook",
                        "event", event("pushed-1", "Pushed", "2025-06-15T09:00:00", "2025-06-15T10:00:00")))));
        assertThat(recv.status()).as(recv.body()).isEqualTo(200);
        ApiClient.Response badType = api.post("/sync/agents/" + a + "/receive-updates", ADMIN,
                List.of(Map.of("type", "explode", "data", Map.of())));
        assertThat(badType.status()).isEqualTo(400);
        assertThat(badType.json().get("field").asText()).isEqualTo("[0].type");

        JsonNode hb = heartbeat(a, cred, Map.of("status", "active")).json();
        assertThat(hb.get("pending_updates")).hasSize(3);
        JsonNode pending = api.get("/sync/agents/" + a + "/pending-updates", cred).json().get("updates");
        assertThat(pending).hasSize(3);
        assertThat(pending.get(0).get("type").asText()).isEqualTo("calendar_metadata");
        assertThat(pending.get(0).get("data").get("changes").get("name").asText()).isEqualTo("Team");

        String first = pending.get(0).get("id").asText();
        String second = pending.get(1).get("id").asText();
        String third = pending.get(2).get("id").asText();
        String base = "/sync/agents/" + a + "/updates/";
        assertThat(api.post(base + first + "/processed", cred, null).status()).isEqualTo(200);
        ApiClient.Response failed = api.post(base + second + "/processed", cred, Map.of("success", false, "error", "busy"));
        assertThat(failed.json().get("update").get("attempts").asInt()).isEqualTo(1);
        assertThat(failed.json().get("update").get("status").asText()).isEqualTo("pending");
        ApiClient.Response rejected = api.post(base + third + "/processed", cred,
                Map.of("success", false, "permanent", true, "error", "read-only calendar"));
        assertThat(rejected.json().get("update").get("status").asText()).isEqualTo("rejected");

        JsonNode left = api.get("/sync/agents/" + a + "/pending-updates", cred).json().get("updates");
        assertThat(left).hasSize(1);
        assertThat(left.get(0).get("id").asText()).isEqualTo(second);
        assertThat(api.post(base + second + "/processed", cred, Map.of("success", true)).status()).isEqualTo(200);
        assertThat(api.get("/sync/agents/" + a + "/pending-updates", cred).json().get("updates")).isEmpty();

        String b = uniqueId("b");
        String credB = register(b);
        assertThat(api.post("/sync/agents/" + b + "/updates/" + first + "/processed", credB, null).status()).isEqualTo(404);
        JsonNode history = api.get("/sync/agents/" + a + "/history", ADMIN).json();
        assertThat(history.get("updates")).hasSize(3);
        assertThat(api.get("/sync/queues/status", ADMIN).status()).isEqualTo(200);
        assertThat(api.post("/sync/queues/cleanup?older_than_days=0", ADMIN, null).json().get("purged").asInt())
                .isGreaterThanOrEqualTo(0);
    }

    @Test
    void putCalendarQueuesMetadataForTheAgentsThatHaveIt() {
        String a = uniqueId("a");
        String cred = register(a);
        String cal = uniqueId("cal");
        Map<String, Object> ev = event(uniqueId("uid"), "In cal", "2025-06-16T09:00:00", "2025-06-16T10:00:00");
        ev.put("calendar_id", cal);
        heartbeat(a, cred, delta(null, List.of(ev), List.of()));
        ApiClient.Response r = api.send("PUT", "/calendars/" + cal, ADMIN, "{\"name\":\"Renamed\"}");
        assertThat(r.status()).as(r.body()).isEqualTo(202);
        assertThat(r.json().get("agents")).hasSize(1);
        JsonNode pending = api.get("/sync/agents/" + a + "/pending-updates", cred).json().get("updates");
        assertThat(pending.get(0).get("data").get("calendar_id").asText()).isEqualTo(cal);
        assertThat(api.send("PUT", "/calendars/nobody-has-this", ADMIN, "{\"name\":\"x\"}").status()).isEqualTo(404);
    }

    @Test
    void importGoesThroughTheSameIngest() {
        String uid = uniqueId("imp");
        ApiClient.Response r = api.post("/sync/import/holidays", ADMIN,
                List.of(Map.of("id", uid, "title", "Imported", "start_time", "2025-12-25", "end_time", "2025-12-26",
                        "all_day", true)));
        assertThat(r.status()).as(r.body()).isEqualTo(200);
        assertThat(r.json().get("applied").get("upserted").asInt()).isEqualTo(1);
        assertThat(eventsOf("import").toString()).contains(uid);
        assertThat(api.post("/sync/import/holidays", null, List.of()).status()).isEqualTo(401);
    }

    @Test
    void cleanupIsADryRunByDefault() {
        ApiClient.Response r = api.post("/sync/agents/cleanup?max_inactive_days=0", ADMIN, null);
        assertThat(r.status()).as(r.body()).isEqualTo(200);
        assertThat(r.json().get("dry_run").asBoolean()).isTrue();
        assertThat(api.get("/sync/agents", ADMIN).json().isArray()).isTrue();
        assertThat(api.get("/sync/activity/recent", ADMIN).json().get("activity").isArray()).isTrue();
    }

    @Test
    void theOpenApiDocumentListsTheHeartbeat() {
        ApiClient.Response r = api.get("/api-doc", null);
        assertThat(r.status()).isEqualTo(200);
        assertThat(r.body()).contains("/sync/agents/{agent_id}/heartbeat").contains("/calendar.ics");
    }

    @Test
    void secretsAreNeverLoggedAndGeneratedOnesWouldGoToAFile() {
        // all three secrets are configured in this test, so no secrets.txt is written
        assertThat(Files.exists(dataDir.resolve("secrets.txt"))).isFalse();
    }

    @Test
    void aDigestMismatchAsksForAnInventoryAndTheInventoryAnswersResend() throws Exception {
        String a = uniqueId("inv");
        String cred = register(a);
        Map<String, Object> ev = event(uniqueId("uid"), "Inventoried", "2025-06-17T09:00:00", "2025-06-17T10:00:00");
        Map<String, Object> hb = delta(null, List.of(ev), List.of());
        hb.put("digest", "1:" + "0".repeat(64));
        ApiClient.Response first = heartbeat(a, cred, hb);
        assertThat(first.json().get("need_inventory").asBoolean()).isTrue();

        io.chronoroute.processors.model.CalendarEvent parsed = io.chronoroute.processors.wire.WireJson
                .readEvent(ApiClient.JSON.valueToTree(ev), null);
        parsed = parsed.withOrigin(parsed.origin().withAgent(a));
        String key = io.chronoroute.processors.sync.SyncKey.of(a, parsed).value();
        String unknownKey = "f".repeat(32);
        Map<String, Object> inv = delta(null, List.of(), List.of());
        inv.put("inventory", List.of(key + ":" + "0".repeat(32), unknownKey + ":" + "1".repeat(32)));
        ApiClient.Response second = heartbeat(a, cred, inv);
        assertThat(second.status()).as(second.body()).isEqualTo(200);
        assertThat(second.json().get("need_inventory").asBoolean()).isFalse();
        List<String> resend = new ArrayList<>();
        second.json().get("resend").forEach(n -> resend.add(n.asText()));
        assertThat(resend).containsExactlyInAnyOrder(key, unknownKey);

        ApiClient.Response cleared = api.delete("/sync/events/" + a, ADMIN);
        assertThat(cleared.status()).as(cleared.body()).isEqualTo(200);
        assertThat(cleared.json().get("deleted").asInt()).isEqualTo(1);
        assertThat(eventsOf(a).size()).isZero();
    }
}
