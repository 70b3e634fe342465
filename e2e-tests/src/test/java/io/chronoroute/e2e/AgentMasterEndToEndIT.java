package io.chronoroute.e2e;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.extension.ExtensionContext;
import org.junit.jupiter.api.extension.TestWatcher;
import org.junit.jupiter.api.extension.ExtendWith;

import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * The foundation's promise, end to end: master and agent as separate processes over real HTTP on loopback.
 * One scenario in steps, because each step builds on the state the previous one left (as a user's day does).
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
@ExtendWith(AgentMasterEndToEndIT.ShowLogsOnFailure.class)
class AgentMasterEndToEndIT {

    static final String SERIES_UID = "e2e-series-0001@chronoroute.invalid";
    static final String SINGLE_UID = "e2e-single-0002@chronoroute.invalid";
    static final String ALLDAY_UID = "e2e-allday-0003@chronoroute.invalid";
    static final String LATE_UID = "e2e-late-0004@chronoroute.invalid";
    static final Duration WAIT = Duration.ofSeconds(60);

    static Apps apps;

    static final class ShowLogsOnFailure implements TestWatcher {
        @Override
        public void testFailed(ExtensionContext context, Throwable cause) {
            if (apps != null) {
                System.err.println(apps.logs());
            }
        }
    }

    @BeforeAll
    static void start() throws Exception {
        apps = new Apps(Files.createTempDirectory("chronoroute-e2e"));
        apps.startBoth();
    }

    @AfterAll
    static void stop() {
        if (apps != null) {
            apps.close();
        }
    }

    static String ics(String... vevents) {
        return "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//Chronoroute//e2e synthetic//EN\r\n"
                + String.join("", vevents) + "END:VCALENDAR\r\n";
    }

    static String series(String title) {
        return "BEGIN:VEVENT\r\nUID:" + SERIES_UID + "\r\nDTSTAMP:20261101T080000Z\r\nSUMMARY:" + title + "\r\n"
                + "DTSTART;TZID=W. Europe Standard Time:20261005T093000\r\nDTEND;TZID=W. Europe Standard Time:20261005T100000\r\n"
                + "RRULE:FREQ=WEEKLY;COUNT=8;BYDAY=MO\r\nEXDATE;TZID=W. Europe Standard Time:20261102T093000\r\nEND:VEVENT\r\n"
                + "BEGIN:VEVENT\r\nUID:" + SERIES_UID + "\r\nDTSTAMP:20261101T080000Z\r\n"
                + "RECURRENCE-ID;TZID=W. Europe Standard Time:20261026T093000\r\nSUMMARY:" + title + " (moved)\r\n"
                + "DTSTART;TZID=W. Europe Standard Time:20261026T140000\r\nDTEND;TZID=W. Europe Standard Time:20261026T143000\r\nEND:VEVENT\r\n";
    }

    static String single(String uid, String title) {
        return "BEGIN:VEVENT\r\nUID:" + uid + "\r\nDTSTAMP:20261101T080000Z\r\nSUMMARY:" + title + "\r\n"
                + "DTSTART:20261201T170000Z\r\nDTEND:20261201T180000Z\r\nEND:VEVENT\r\n";
    }

    static String allDay() {
        return "BEGIN:VEVENT\r\nUID:" + ALLDAY_UID + "\r\nDTSTAMP:20261101T080000Z\r\nSUMMARY:Company holiday\r\n"
                + "DTSTART;VALUE=DATE:20261224\r\nDTEND;VALUE=DATE:20261227\r\nEND:VEVENT\r\n";
    }

    @Test
    @Order(1)
    void droppedIcsAppearsInTheFeed() throws Exception {
        Files.writeString(apps.exports.resolve("team.ics"), ics(series("Weekly sync"), single(SINGLE_UID, "Dentist"), allDay()));
        await().atMost(WAIT).untilAsserted(() -> {
            String feed = apps.feed();
            assertThat(Apps.vevents(feed)).containsEntry(SERIES_UID, 2).containsEntry(SINGLE_UID, 1).containsEntry(ALLDAY_UID, 1);
            assertThat(feed).contains("SUMMARY:Weekly sync (moved)").contains("RRULE:FREQ=WEEKLY;COUNT=8;BYDAY=MO")
                    .contains("DTSTART;VALUE=DATE:20261224").contains("TZID=Europe/Berlin").contains("EXDATE");
        });
    }

    @Test
    @Order(2)
    void editedEventIsUpdated() throws Exception {
        Files.writeString(apps.exports.resolve("team.ics"), ics(series("Weekly sync"), single(SINGLE_UID, "Dentist, rescheduled"), allDay()));
        await().atMost(WAIT).untilAsserted(() -> {
            String feed = apps.feed();
            assertThat(feed).contains("SUMMARY:Dentist\\, rescheduled").doesNotContain("SUMMARY:Dentist\r\n");
            assertThat(Apps.vevents(feed)).containsEntry(SINGLE_UID, 1);
        });
    }

    @Test
    @Order(3)
    void deletedEventAndFileAreGone() throws Exception {
        Files.writeString(apps.exports.resolve("team.ics"), ics(series("Weekly sync"), allDay()));
        await().atMost(WAIT).untilAsserted(() -> assertThat(Apps.vevents(apps.feed()))
                .doesNotContainKey(SINGLE_UID).containsEntry(SERIES_UID, 2).containsEntry(ALLDAY_UID, 1));
        Files.writeString(apps.exports.resolve("other.ics"), ics(single("e2e-other@chronoroute.invalid", "Other file")));
        await().atMost(WAIT).until(() -> Apps.vevents(apps.feed()).containsKey("e2e-other@chronoroute.invalid"));
        Files.delete(apps.exports.resolve("other.ics"));
        await().atMost(WAIT).until(() -> !Apps.vevents(apps.feed()).containsKey("e2e-other@chronoroute.invalid"));
    }

    @Test
    @Order(4)
    void restartOfBothLosesAndDoublesNothing() {
        Map<String, Integer> before = Apps.vevents(apps.feed());
        int storedBefore = apps.events().path("events").size();
        apps.agent().stop();
        apps.master().kill(); // kill -9: the embedded store must hold everything it acknowledged
        apps.startBoth();
        // let the agent complete at least two heartbeats against the restarted master
        await().atMost(WAIT).until(() -> apps.agentHealth().path("components").path("agent").path("details")
                .path("masterReachable").asBoolean(false));
        await().atMost(WAIT).untilAsserted(() -> {
            JsonNode d = apps.agentHealth().path("components").path("agent").path("details");
            assertThat(d.path("outbox").asInt(-1)).isZero();
            assertThat(d.path("digest").asText()).isEqualTo(d.path("masterDigest").asText());
        });
        assertThat(Apps.vevents(apps.feed())).isEqualTo(before);
        assertThat(apps.events().path("events").size()).isEqualTo(storedBefore);
    }

    @Test
    @Order(5)
    void collectedWhileTheMasterIsDownIsDeliveredLater() throws Exception {
        apps.master().stop();
        Files.writeString(apps.exports.resolve("late.ics"), ics(single(LATE_UID, "Collected during the outage")));
        // the agent collects it into its durable outbox while nobody answers
        await().atMost(WAIT).until(() -> apps.agentHealth().path("components").path("agent").path("details")
                .path("outbox").asInt(0) >= 1);
        apps.agent().stop(); // and even an agent restart during the outage loses nothing
        apps.startAgent();
        apps.startMaster();
        await().atMost(WAIT).untilAsserted(() -> assertThat(Apps.vevents(apps.feed())).containsEntry(LATE_UID, 1));
    }

    @Test
    @Order(6)
    void replayedHeartbeatCreatesNoDuplicate() throws Exception {
        ObjectNode reg = Apps.JSON.createObjectNode().put("id", "e2e-replayer").put("name", "replayer")
                .put("enrollment_secret", Apps.ENROLL);
        HttpResponse<String> r = apps.post("/sync/agents/register", null, reg.toString());
        assertThat(r.statusCode()).isEqualTo(201);
        String bearer = "Bearer " + Apps.json(r).path("credential").asText();
        String heartbeat = """
                {"timestamp":"2026-11-22T10:00:00Z","status":"active","protocol":2,"batch_id":"e2e-replayer-1",
                 "changed":[{"uid":"replayed@chronoroute.invalid","title":"Replayed",
                             "start":{"date_time":"2026-12-02T10:00:00+01:00","time_zone":"Europe/Berlin"},
                             "end":{"date_time":"2026-12-02T11:00:00+01:00","time_zone":"Europe/Berlin"},
                             "source":"manual"}],
                 "deleted":[]}""";
        HttpResponse<String> first = apps.post("/sync/agents/e2e-replayer/heartbeat", bearer, heartbeat);
        HttpResponse<String> second = apps.post("/sync/agents/e2e-replayer/heartbeat", bearer, heartbeat);
        HttpResponse<String> sameContentNewBatch = apps.post("/sync/agents/e2e-replayer/heartbeat", bearer,
                heartbeat.replace("e2e-replayer-1", "e2e-replayer-2"));
        assertThat(first.statusCode()).isEqualTo(200);
        assertThat(second.statusCode()).isEqualTo(200);
        assertThat(Apps.json(second).path("ack").asText()).isEqualTo("e2e-replayer-1");
        assertThat(Apps.json(second).path("applied").path("upserted").asInt()).isZero();
        assertThat(Apps.json(sameContentNewBatch).path("applied").path("upserted").asInt()).isZero();
        assertThat(Apps.vevents(apps.feed())).containsEntry("replayed@chronoroute.invalid", 1);
    }

    /** Issue #13 "visibility": a file the agent could not read shows up in the master's status of the agent. */
    @Test
    @Order(1) // before the restarts: independent of the feed tests, needs only a running pair
    void aFileTheAgentSkipsIsListedInTheMastersAgentStatus() throws Exception {
        Files.writeString(apps.exports.resolve("broken.ics"), "this is not a calendar\r\n");
        await().atMost(WAIT).untilAsserted(() -> {
            JsonNode status = Apps.json(apps.get(apps.masterUrl + "/sync/agents/e2e-agent/status", "Bearer " + Apps.ADMIN));
            JsonNode problems = status.path("problems");
            assertThat(problems.path("agent_total").asLong()).isPositive();
            boolean listed = false;
            for (JsonNode item : problems.path("items")) {
                listed |= "broken.ics".equals(item.path("file").asText()) && "agent".equals(item.path("by").asText())
                        && "FILE_REJECTED".equals(item.path("kind").asText()) && !item.path("message").asText().isBlank();
            }
            assertThat(listed).as(problems.toString()).isTrue();
        });
        Files.delete(apps.exports.resolve("broken.ics"));
    }
}
