package io.chronoroute.e2e;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.chronoroute.testsupport.caldav.DavCollection;
import io.chronoroute.testsupport.caldav.IcsText;
import io.chronoroute.testsupport.caldav.RadicaleLauncher;
import io.chronoroute.testsupport.google.FakeGoogleCalendar;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.extension.ExtensionContext;
import org.junit.jupiter.api.extension.TestWatcher;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * Issue #9, two-way sync end to end: master and agent as processes, the agent's ICS folder source writable
 * (allowEventUpdates), a real Radicale as CalDAV destination {@code dav} and the fake Google Calendar as destination
 * {@code g} (behind a {@link GoogleTap}, which counts the master's writes), both two-way by default. Every calendar is
 * edited as its user would edit it (the folder's file rewritten, an HTTP PUT of the CalDAV resource keeping the
 * properties the client does not know, a delete in Google, the master's API) and the change must reach every other
 * calendar exactly once. The cycles are driven, not waited for: the destinations' timers are set to an hour and each
 * run is {@code POST /sync/destinations/{name}/run}; the agent beats every second and the test polls (bounded) for
 * the outcome. One scenario in steps, each building on the state the previous one left.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
@ExtendWith(TwoWayEndToEndIT.ShowLogsOnFailure.class)
class TwoWayEndToEndIT {

    static final String UID = "two-way-0001@chronoroute.invalid";
    /** A second event of the same file that nobody edits: it must come through every step unchanged. */
    static final String BYSTANDER = "two-way-0002@chronoroute.invalid";
    static final String ADMIN = "Bearer " + Apps.ADMIN;
    static final String AGENT = "e2e-agent";
    static final Duration WAIT = Duration.ofSeconds(60);

    static RadicaleLauncher radicale;
    static FakeGoogleCalendar google;
    static GoogleTap tap;
    static DavCollection dav;
    static Apps apps;
    /** The consolidated id of {@link #UID} ({@code GET /sync/events}): also its CalDAV resource name and Google key. */
    static String id;
    static String bystanderId;

    static final class ShowLogsOnFailure implements TestWatcher {
        @Override
        public void testFailed(ExtensionContext context, Throwable cause) {
            if (apps != null) {
                System.err.println(apps.logs());
            }
            if (radicale != null) {
                System.err.println("--- radicale log ---\n" + radicale.log());
            }
        }
    }

    @BeforeAll
    static void start() throws Exception {
        radicale = RadicaleLauncher.start(Duration.ofSeconds(30));
        dav = new DavCollection(radicale.baseUrl() + "e2e/chronoroute/", "e2e");
        google = new FakeGoogleCalendar().start();
        tap = new GoogleTap(google.baseUrl(), Duration.ZERO);
        apps = new Apps(Files.createTempDirectory("chronoroute-two-way-e2e"), true);
        Files.writeString(apps.exports.resolve("team.ics"), AgentMasterEndToEndIT.ics(
                AgentMasterEndToEndIT.single(UID, "Planning"), AgentMasterEndToEndIT.single(BYSTANDER, "Standup")));
        Path routes = Files.createDirectories(apps.work.resolve("routes"));
        for (String name : List.of("dav", "g")) {
            // an hour: every run of this test is an explicit POST /sync/destinations/{name}/run
            Files.writeString(routes.resolve(name + ".camel.yaml"), """
                    - templatedRoute:
                        routeTemplateRef: destination-sync
                        routeId: master-sync-destination-%1$s
                        parameters:
                          - name: destination
                            value: %1$s
                          - name: period
                            value: "3600000"
                          - name: initialDelay
                            value: "3600000"
                    """.formatted(name));
        }
        apps.startBoth(List.of("--chronoroute.routes-dir=" + routes,
                "--chronoroute.destinations.dav.type=caldav",
                "--chronoroute.destinations.dav.caldav.url=" + dav.collection,
                "--chronoroute.destinations.dav.caldav.username=e2e",
                "--chronoroute.destinations.dav.caldav.password=e2e",
                "--chronoroute.destinations.dav.caldav.create-calendar=true",
                "--chronoroute.destinations.g.type=google",
                "--chronoroute.destinations.g.calendar-id=primary",
                "--chronoroute.destinations.g.google.client-id=e2e-client",
                "--chronoroute.destinations.g.google.client-secret=e2e-secret",
                "--chronoroute.destinations.g.google.access-token=e2e-access-token",
                "--chronoroute.destinations.g.google.root-url=" + tap.baseUrl()), Duration.ofMinutes(3));
        await().atMost(WAIT).until(() -> Apps.vevents(apps.feed()).keySet().containsAll(List.of(UID, BYSTANDER)));
        id = idOf(UID);
        bystanderId = idOf(BYSTANDER);
        assertThat(run("dav").path("inserted").asInt()).isEqualTo(2);
        assertThat(run("g").path("inserted").asInt()).isEqualTo(2);
        assertThat(radicale(id)).hasSize(1);
        assertThat(googleEvents(id)).hasSize(1);
    }

    @AfterAll
    static void stop() {
        if (apps != null) {
            apps.close();
        }
        if (tap != null) {
            tap.close();
        }
        if (google != null) {
            google.close();
        }
        if (radicale != null) {
            radicale.close();
        }
    }

    // ---------------------------------------------------------------------------------------------------- scenarios

    @Test
    @Order(1)
    void anEditInRadicaleReachesTheFolderAndGoogleWithoutDuplicates() {
        DavCollection.Resource r = dav.get(dav.href(id));
        String edited = withEdit(r.body(), key(id), "Planning (edited in Radicale)", Instant.now());
        assertThat(edited).as("a client keeps the properties it does not know").contains("X-CHRONOROUTE-");
        assertThat(dav.put(dav.href(id), edited, r.etag())).isIn(200, 201, 204);

        run("dav");
        await().atMost(WAIT).until(() -> folderSummary(UID), "SUMMARY:Planning (edited in Radicale)"::equals);
        run("g");
        assertThat(googleEvents(id)).singleElement()
                .satisfies(e -> assertThat(e.path("summary").asText()).isEqualTo("Planning (edited in Radicale)"));
        assertEverywhereOnce(UID, "Planning (edited in Radicale)");
        assertThat(dav.etags()).as("nothing created beside the two resources").hasSize(2);
        settle();
    }

    @Test
    @Order(2)
    void anEditThroughTheApiReachesTheFolderRadicaleAndGoogle() {
        JsonNode details = Apps.json(apps.get(apps.masterUrl + "/sync/events/" + id, ADMIN));
        ObjectNode event = ((ObjectNode) details.path("event").deepCopy()).put("title", "Planning (edited through the API)");
        HttpResponse<String> r = put("/sync/events/" + id, event.toString());
        assertThat(r.statusCode()).as(r.body()).isEqualTo(202);
        assertThat(r.body()).contains(AGENT);

        await().atMost(WAIT).until(() -> folderSummary(UID), "SUMMARY:Planning (edited through the API)"::equals);
        run("dav");
        run("g");
        assertEverywhereOnce(UID, "Planning (edited through the API)");
        settle();
    }

    @Test
    @Order(3)
    void theSameEventEditedInTheFolderAndInRadicaleEndsEqualEverywhereWithTheNewestEdit() throws Exception {
        // between two destination cycles: first the folder is edited (and its agent tells the master), then Radicale,
        // which has not seen the folder's edit yet, a second later by LAST-MODIFIED: latest_wins → Radicale's edit
        Instant folderEdit = Instant.now().truncatedTo(ChronoUnit.SECONDS);
        Path file = apps.exports.resolve("team.ics");
        Files.writeString(file, withEdit(Files.readString(file), "UID:" + UID, "Planning (folder edit)", folderEdit));
        await().atMost(WAIT).until(() -> title(id), "Planning (folder edit)"::equals);
        DavCollection.Resource r = dav.get(dav.href(id));
        Instant radicaleEdit = Instant.now().truncatedTo(ChronoUnit.SECONDS);
        radicaleEdit = radicaleEdit.isAfter(folderEdit) ? radicaleEdit : folderEdit.plusSeconds(1);
        assertThat(dav.put(dav.href(id), withEdit(r.body(), key(id), "Planning (Radicale edit)", radicaleEdit),
                r.etag())).isIn(200, 201, 204);

        run("dav");
        assertThat(title(id)).as("latest_wins: the newest LAST-MODIFIED wins").isEqualTo("Planning (Radicale edit)");
        await().atMost(WAIT).until(() -> folderSummary(UID), "SUMMARY:Planning (Radicale edit)"::equals);
        run("g");
        run("dav");
        assertEverywhereOnce(UID, "Planning (Radicale edit)");
        settle();
    }

    @Test
    @Order(4)
    void aDeleteInGoogleDeletesTheEventInTheFolderAndInRadicale() {
        JsonNode ours = googleEvents(id).get(0);
        // a person deletes it (any Google client; not through the tap, so not one of the master's writes)
        HttpResponse<String> del = apps.send("DELETE", google.baseUrl() + "calendar/v3/calendars/"
                + google.primaryCalendarId() + "/events/" + ours.path("id").asText(), null, null);
        assertThat(del.statusCode()).as(del.body()).isIn(200, 204);

        JsonNode result = run("g");
        assertThat(result.path("held").asInt()).as("one delete of two events passes the deletion guard").isZero();
        await().atMost(WAIT).until(() -> folderCount(UID) == 0);
        await().atMost(WAIT).until(() -> !Apps.vevents(apps.feed()).containsKey(UID));
        assertThat(run("dav").path("deleted").asInt()).isEqualTo(1);
        assertThat(radicale(id)).isEmpty();
        assertThat(googleEvents(id)).isEmpty();
        assertThat(folderCount(BYSTANDER)).isEqualTo(1);
        assertThat(radicale(bystanderId)).hasSize(1);
    }

    @Test
    @Order(5)
    void renamesReachRadicaleGoogleTheFeedAndTheFolderFiles() {
        HttpResponse<String> r = put("/calendars/consolidated", "{\"name\":\"Team (two-way)\"}");
        assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
        assertThat(Apps.json(r).path("status").asText()).as(r.body()).isEqualTo("success");
        assertThat(dav.displayName()).isEqualTo("Team (two-way)");
        assertThat(Apps.json(apps.get(google.baseUrl() + "calendar/v3/calendars/" + google.primaryCalendarId(), null))
                .path("summary").asText()).isEqualTo("Team (two-way)");
        assertThat(apps.feed()).contains("X-WR-CALNAME:Team (two-way)");

        JsonNode folder = null;
        for (JsonNode c : Apps.json(apps.get(apps.masterUrl + "/calendars", ADMIN)).path("calendars")) {
            if ("agent".equals(c.path("origin").asText()) && "e2e-ics".equals(c.path("source").asText())) {
                folder = c;
            }
        }
        assertThat(folder).as("the folder source in GET /calendars").isNotNull();
        assertThat(folder.path("writable").asBoolean()).isTrue();
        HttpResponse<String> f = put("/calendars/" + folder.path("id").asText() + "?agent_id=" + AGENT,
                "{\"name\":\"Folder (renamed)\"}");
        assertThat(f.statusCode()).as(f.body()).isEqualTo(202);
        await().atMost(WAIT).until(() -> icsFiles().stream().allMatch(t -> t.contains("X-WR-CALNAME:Folder (renamed)")));
    }

    @Test
    @Order(6)
    void fiveIdleCyclesQueueNoUpdateAndWriteNothing() {
        settle();
        int history = history();
        long googleWrites = tap.writes();
        Map<String, String> etags = dav.etags();
        for (int cycle = 1; cycle <= 5; cycle++) {
            for (String name : List.of("dav", "g")) {
                JsonNode result = run(name);
                assertThat(result.path("write_calls").asLong()).as("cycle %d, %s: %s", cycle, name, result).isZero();
            }
            awaitHeartbeats(1);
            assertThat(agentStatus().path("pending_updates").asInt()).as("cycle %d", cycle).isZero();
        }
        assertThat(history()).as("updates queued for the agent").isEqualTo(history);
        assertThat(tap.writes()).as("Google writes").isEqualTo(googleWrites);
        assertThat(dav.etags()).as("Radicale resources untouched").isEqualTo(etags);
        assertThat(Apps.vevents(apps.feed())).containsEntry(BYSTANDER, 1).doesNotContainKey(UID);
    }

    // ------------------------------------------------------------------------------------------------------ helpers

    /** One run of a destination now; its {@code SyncResult}, which must be OK. */
    static JsonNode run(String destination) {
        HttpResponse<String> r = apps.post("/sync/destinations/" + destination + "/run", ADMIN, "");
        assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
        JsonNode result = Apps.json(r);
        assertThat(result.path("outcome").asText()).as(r.body()).isEqualTo("OK");
        return result;
    }

    static HttpResponse<String> put(String path, String body) {
        return apps.send("PUT", apps.masterUrl + path, ADMIN, body);
    }

    static String idOf(String uid) {
        for (JsonNode e : apps.events().path("events")) {
            if (uid.equals(e.path("uid").asText())) {
                return e.path("id").asText();
            }
        }
        throw new AssertionError("no consolidated event " + uid);
    }

    static String title(String consolidatedId) {
        return Apps.json(apps.get(apps.masterUrl + "/sync/events/" + consolidatedId, ADMIN)).path("event").path("title")
                .asText();
    }

    static JsonNode agentStatus() {
        return Apps.json(apps.get(apps.masterUrl + "/sync/agents/" + AGENT + "/status", ADMIN));
    }

    /** Every update ever queued for the agent (pending, processed, rejected). */
    static int history() {
        return Apps.json(apps.get(apps.masterUrl + "/sync/agents/" + AGENT + "/history?limit=1000", ADMIN))
                .path("updates").size();
    }

    /**
     * Waits until the agent has applied every update queued for it and told the master the result: no update
     * pending, then two more heartbeats (the one after a write-back carries the rewritten file's version, which the
     * master must recognise as its own echo). The next scenario starts from there. Without it, a change arriving in
     * the master between a write-back and its echo meets a known race: the update the master then queues carries
     * the base_hash of the agent's version before the write-back, the agent refuses it ("changed since") and its
     * echo is taken for a new edit (seen with a Google delete 0.5 s after a write-back: the edit won, the event
     * came back). Not what these scenarios are about; it needs its own fix and test.
     */
    static void settle() {
        await().atMost(WAIT).until(() -> agentStatus().path("pending_updates").asInt(-1) == 0);
        awaitHeartbeats(2);
    }

    /** Waits until the master has seen {@code n} more heartbeats of the agent. */
    static void awaitHeartbeats(int n) {
        String seen = agentStatus().path("last_seen").asText();
        for (int i = 0; i < n; i++) {
            String before = seen;
            seen = await().atMost(WAIT).until(() -> agentStatus().path("last_seen").asText(), s -> !s.equals(before));
        }
    }

    /** Our live events in the fake Google Calendar tagged with the consolidated id. */
    static List<JsonNode> googleEvents(String consolidatedId) {
        return google.storedEvents(google.primaryCalendarId()).stream()
                .filter(e -> !"cancelled".equals(e.path("status").asText()))
                .filter(e -> consolidatedId.equals(e.path("extendedProperties").path("private").path("chronorouteKey")
                        .asText()))
                .map(e -> (JsonNode) e).toList();
    }

    static List<String> icsFiles() {
        try (Stream<Path> files = Files.list(apps.exports)) {
            return files.filter(p -> p.toString().endsWith(".ics")).map(p -> {
                try {
                    return Files.readString(p);
                } catch (IOException e) {
                    throw new UncheckedIOException(e);
                }
            }).toList();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** VEVENTs with this UID in the whole folder. */
    static long folderCount(String uid) {
        return icsFiles().stream().mapToLong(t -> IcsText.blocks(t, "UID:" + uid).size()).sum();
    }

    /** The SUMMARY line of the one VEVENT with this UID in the folder (null when not exactly one). */
    static String folderSummary(String uid) {
        List<String> blocks = icsFiles().stream().flatMap(t -> IcsText.blocks(t, "UID:" + uid).stream()).toList();
        return blocks.size() == 1 ? IcsText.line(blocks.get(0), "SUMMARY") : null;
    }

    /** The folder, Radicale, Google and the feed each hold the event once, with this title. */
    static void assertEverywhereOnce(String uid, String title) {
        assertThat(title(id)).isEqualTo(title);
        assertThat(folderCount(uid)).as("VEVENTs with the UID in the folder").isEqualTo(1);
        assertThat(folderSummary(uid)).isEqualTo("SUMMARY:" + title);
        List<DavCollection.Resource> resources = radicale(id);
        assertThat(resources).as("Radicale resources of the event").hasSize(1);
        assertThat(IcsText.blocks(resources.get(0).body(), key(id))).singleElement()
                .satisfies(b -> assertThat(IcsText.line(b, "SUMMARY")).isEqualTo("SUMMARY:" + title));
        assertThat(googleEvents(id)).singleElement()
                .satisfies(e -> assertThat(e.path("summary").asText()).isEqualTo(title));
        assertThat(Apps.vevents(apps.feed())).containsEntry(uid, 1).containsEntry(BYSTANDER, 1);
        assertThat(folderCount(BYSTANDER)).isEqualTo(1);
    }

    /** The calendar text with the VEVENT holding {@code key} given a new SUMMARY and LAST-MODIFIED, the rest kept. */
    static String withEdit(String ics, String key, String summary, Instant lastModified) {
        return IcsText.edit(ics, key, Map.of("SUMMARY", summary, "LAST-MODIFIED", IcsText.utc(lastModified)));
    }

    /** Our tag on the VEVENTs the CalDAV writer writes (their UID is our own, not the origin's). */
    static String key(String consolidatedId) {
        return "X-CHRONOROUTE-KEY:" + consolidatedId;
    }

    /** The Radicale resources holding the event. */
    static List<DavCollection.Resource> radicale(String consolidatedId) {
        return dav.holding(key(consolidatedId));
    }
}
