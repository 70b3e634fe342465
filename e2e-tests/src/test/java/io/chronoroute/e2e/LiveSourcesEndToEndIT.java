package io.chronoroute.e2e;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.chronoroute.testsupport.caldav.DavCollection;
import io.chronoroute.testsupport.caldav.RadicaleLauncher;
import io.chronoroute.testsupport.ews.FakeEwsServer;
import io.chronoroute.testsupport.google.FakeGoogleCalendar;
import io.chronoroute.testsupport.google.FakeGoogleTokenEndpoint;
import io.chronoroute.testsupport.graph.FakeGraph;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.extension.ExtensionContext;
import org.junit.jupiter.api.extension.TestWatcher;

import java.net.URI;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.Base64;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * Issues #10 and #11 end to end: one agent process with four live sources, all writable, and a master process: a
 * CalDAV account on a real Radicale ({@code caldav-source}, calendars found by discovery), a mailbox on the
 * schema-validating fake Exchange ({@code ews-source}), a Google calendar on the fake Google ({@code google-source},
 * OAuth refresh through the fake token endpoint) and a Microsoft 365 mailbox on the fake Graph ({@code graph-source},
 * app-only token from the fake identity platform). Each API sits behind a {@link GoogleTap} (a pass-through proxy),
 * which lets the test see every request the agent makes and take the server down.
 * A person's create, edit and delete in each calendar reach the master's feed; an edit made through the master
 * reaches every calendar; a restarted agent resumes from its persisted cursors (no full read); an outage of all four
 * servers changes nothing at the master and shows as each source's last error. Last, the master's Microsoft 365
 * destination (the fake Graph, another mailbox) gets every consolidated event, and an edit made there goes back to
 * the calendar the event came from.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
@ExtendWith(LiveSourcesEndToEndIT.ShowLogsOnFailure.class)
class LiveSourcesEndToEndIT {

    static final String ADMIN = "Bearer " + Apps.ADMIN;
    static final Duration WAIT = Duration.ofSeconds(60);
    static final String DAV_UID = "live-dav-0001@chronoroute.invalid";
    static final String EWS_UID = "live-ews-0001@chronoroute.invalid";
    static final String MAILBOX = "ada@contoso.example";
    /** The mailbox of the master's Microsoft 365 destination {@code m365} (same fake tenant, another mailbox). */
    static final String TEAM = "team@contoso.example";
    static final String DAV_BASIC = "Basic " + Base64.getEncoder().encodeToString("e2e:e2e".getBytes(StandardCharsets.UTF_8));

    static RadicaleLauncher radicale;
    static DavCollection dav;
    static FakeEwsServer ews;
    static GoogleTap davTap;
    static GoogleTap ewsTap;
    static FakeGoogleCalendar google;
    static FakeGoogleTokenEndpoint googleTokens;
    static GoogleTap googleTap;
    static FakeGraph graph;
    static GoogleTap graphTap;
    static String googleUid;
    static String graphUid;
    static Apps apps;
    static String ewsItem;

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
        apps = new Apps(Files.createTempDirectory("chronoroute-live-sources-e2e"), false);
        HttpResponse<String> mk = apps.send("MKCALENDAR", radicale.baseUrl() + "e2e/work/", DAV_BASIC, null);
        assertThat(mk.statusCode()).as(mk.body()).isEqualTo(201);
        dav = new DavCollection(radicale.baseUrl() + "e2e/work/", "e2e");
        assertThat(dav.put(dav.href("planning"), vevent(DAV_UID, "Planning (Radicale)", "20261207T090000Z"), null))
                .isIn(201, 204);
        ews = FakeEwsServer.builder().credentials("alice", "e2e-secret").build().start();
        ewsItem = ews.userCreate("Board meeting (Exchange)", Instant.parse("2026-12-08T10:00:00Z"),
                Instant.parse("2026-12-08T11:00:00Z"), EWS_UID);
        google = new FakeGoogleCalendar().start();
        googleTokens = new FakeGoogleTokenEndpoint();
        googleUid = google.userCreate(google.primaryCalendarId(), googleEvent("Review (Google)", "2026-12-09T14:00:00Z"))
                .get("iCalUID").asText();
        graph = FakeGraph.builder().client("e2e-m365-client", "e2e-m365-secret").build().start();
        graph.addMailbox(MAILBOX);
        graph.addMailbox(TEAM);
        graphUid = graph.userCreate(MAILBOX, graph.defaultCalendarId(MAILBOX), graphEvent("Retro (Microsoft 365)",
                "2026-12-11T09:00:00")).get("iCalUId").asText();
        googleTap = new GoogleTap(google.baseUrl(), Duration.ZERO);
        URI graphUri = URI.create(graph.graphUrl());
        graphTap = new GoogleTap(graphUri.getScheme() + "://" + graphUri.getRawAuthority(), Duration.ZERO);
        davTap = new GoogleTap(radicale.baseUrl(), Duration.ZERO);
        URI ewsUri = URI.create(ews.url());
        ewsTap = new GoogleTap(ewsUri.getScheme() + "://" + ewsUri.getRawAuthority(), Duration.ZERO);

        Files.writeString(apps.work.resolve("sources").resolve("caldav.camel.yaml"), """
                - templatedRoute:
                    routeTemplateRef: caldav-source
                    routeId: agent-poll-caldav-e2e
                    parameters:
                      - name: sourceName
                        value: e2e-dav
                      - name: url
                        value: "%s"
                      - name: username
                        value: e2e
                      - name: password
                        value: e2e
                      - name: allowEventUpdates
                        value: "true"
                      - name: interval
                        value: "1000"
                """.formatted(davTap.baseUrl()));
        Files.writeString(apps.work.resolve("sources").resolve("ews.camel.yaml"), """
                - templatedRoute:
                    routeTemplateRef: ews-source
                    routeId: agent-poll-ews-e2e
                    parameters:
                      - name: sourceName
                        value: e2e-ews
                      - name: url
                        value: "%s"
                      - name: username
                        value: alice
                      - name: password
                        value: e2e-secret
                      - name: allowEventUpdates
                        value: "true"
                      - name: interval
                        value: "1000"
                """.formatted(ewsTap.baseUrl() + FakeEwsServer.PATH.substring(1)));
        Files.writeString(apps.work.resolve("sources").resolve("google.camel.yaml"), """
                - templatedRoute:
                    routeTemplateRef: google-source
                    routeId: agent-poll-google-e2e
                    parameters:
                      - name: sourceName
                        value: e2e-google
                      - name: clientId
                        value: "%s"
                      - name: clientSecret
                        value: "%s"
                      - name: refreshToken
                        value: "%s"
                      - name: calendars
                        value: primary
                      - name: allowEventUpdates
                        value: "true"
                      - name: interval
                        value: "1000"
                      - name: rootUrl
                        value: "%s"
                      - name: tokenUri
                        value: "%s"
                """.formatted(FakeGoogleTokenEndpoint.CLIENT_ID, FakeGoogleTokenEndpoint.CLIENT_SECRET,
                FakeGoogleTokenEndpoint.REFRESH, googleTap.baseUrl(), googleTokens.uri()));
        Files.writeString(apps.work.resolve("sources").resolve("graph.camel.yaml"), """
                - templatedRoute:
                    routeTemplateRef: graph-source
                    routeId: agent-poll-graph-e2e
                    parameters:
                      - name: sourceName
                        value: e2e-m365
                      - name: tenant
                        value: "%s"
                      - name: clientId
                        value: e2e-m365-client
                      - name: clientSecret
                        value: e2e-m365-secret
                      - name: mailbox
                        value: "%s"
                      - name: calendars
                        value: default
                      - name: allowEventUpdates
                        value: "true"
                      - name: interval
                        value: "1000"
                      - name: graphUrl
                        value: "%s"
                      - name: authorityUrl
                        value: "%s"
                """.formatted(graph.tenant(), MAILBOX, graphTap.baseUrl() + graphUri.getRawPath().substring(1),
                graph.authorityUrl()));
        Path routes = Files.createDirectories(apps.work.resolve("routes"));
        // an hour: every run of the destination is an explicit POST /sync/destinations/m365/run
        Files.writeString(routes.resolve("m365.camel.yaml"), """
                - templatedRoute:
                    routeTemplateRef: destination-sync
                    routeId: master-sync-destination-m365
                    parameters:
                      - name: destination
                        value: m365
                      - name: period
                        value: "3600000"
                      - name: initialDelay
                        value: "3600000"
                """);
        apps.startBoth(List.of("--chronoroute.routes-dir=" + routes,
                "--chronoroute.destinations.m365.type=graph",
                "--chronoroute.destinations.m365.graph.tenant=" + graph.tenant(),
                "--chronoroute.destinations.m365.graph.client-id=e2e-m365-client",
                "--chronoroute.destinations.m365.graph.client-secret=e2e-m365-secret",
                "--chronoroute.destinations.m365.graph.mailbox=" + TEAM,
                "--chronoroute.destinations.m365.graph.graph-url=" + graph.graphUrl(),
                "--chronoroute.destinations.m365.graph.authority-url=" + graph.authorityUrl()), Duration.ofMinutes(3));
        await().atMost(WAIT).until(() -> apps.feed().contains("SUMMARY:Planning (Radicale)")
                && apps.feed().contains("SUMMARY:Board meeting (Exchange)") && apps.feed().contains("SUMMARY:Review (Google)")
                && apps.feed().contains("SUMMARY:Retro (Microsoft 365)"));
    }

    @AfterAll
    static void stop() {
        for (AutoCloseable c : new AutoCloseable[] {apps, davTap, ewsTap, googleTap, graphTap, ews, radicale, google,
                googleTokens, graph}) {
            if (c != null) {
                try {
                    c.close();
                } catch (Exception e) {
                    System.err.println("closing " + c + ": " + e);
                }
            }
        }
    }

    @Test
    @Order(1)
    void aCreateAnEditAndADeleteInRadicaleReachTheFeed() {
        String uid = "live-dav-0002@chronoroute.invalid";
        assertThat(dav.put(dav.href("created"), vevent(uid, "Created in Radicale", "20261209T090000Z"), null))
                .isIn(201, 204);
        await().atMost(WAIT).until(() -> apps.feed().contains("SUMMARY:Created in Radicale"));

        DavCollection.Resource r = dav.get(dav.href("created"));
        assertThat(dav.put(dav.href("created"), r.body().replace("SUMMARY:Created in Radicale",
                "SUMMARY:Edited in Radicale").replace("SEQUENCE:0", "SEQUENCE:1"), r.etag())).isIn(200, 201, 204);
        await().atMost(WAIT).until(() -> apps.feed().contains("SUMMARY:Edited in Radicale"));
        assertThat(Apps.vevents(apps.feed())).containsEntry(uid, 1);

        HttpResponse<String> del = apps.send("DELETE", radicale.baseUrl() + dav.href("created").substring(1), DAV_BASIC,
                null);
        assertThat(del.statusCode()).isIn(200, 204);
        await().atMost(WAIT).until(() -> !apps.feed().contains(uid));
    }

    @Test
    @Order(2)
    void aCreateAnEditAndADeleteInExchangeReachTheFeed() {
        String uid = "live-ews-0002@chronoroute.invalid";
        String item = ews.userCreate("Created in Exchange", Instant.parse("2026-12-10T09:00:00Z"),
                Instant.parse("2026-12-10T10:00:00Z"), uid);
        await().atMost(WAIT).until(() -> apps.feed().contains("SUMMARY:Created in Exchange"));

        ews.userEdit(item, "Subject", "Edited in Exchange");
        await().atMost(WAIT).until(() -> apps.feed().contains("SUMMARY:Edited in Exchange"));
        assertThat(Apps.vevents(apps.feed())).containsEntry(uid, 1);

        ews.userDelete(item);
        await().atMost(WAIT).until(() -> !apps.feed().contains(uid));
    }

    @Test
    @Order(2)
    void aCreateAnEditAndADeleteInGoogleReachTheFeed() {
        String cal = google.primaryCalendarId();
        ObjectNode created = google.userCreate(cal, googleEvent("Created in Google", "2026-12-10T13:00:00Z"));
        String uid = created.get("iCalUID").asText();
        await().atMost(WAIT).until(() -> apps.feed().contains("SUMMARY:Created in Google"));
        google.userEditSummary(cal, created.get("id").asText(), "Edited in Google");
        await().atMost(WAIT).until(() -> apps.feed().contains("SUMMARY:Edited in Google"));
        assertThat(Apps.vevents(apps.feed())).containsEntry(uid, 1);
        google.userDelete(cal, created.get("id").asText());
        await().atMost(WAIT).until(() -> !apps.feed().contains(uid));
    }

    @Test
    @Order(2)
    void aCreateAnEditAndADeleteInMicrosoft365ReachTheFeed() {
        ObjectNode created = graph.userCreate(MAILBOX, graph.defaultCalendarId(MAILBOX),
                graphEvent("Created in Outlook on the web", "2026-12-10T15:00:00"));
        String uid = created.get("iCalUId").asText();
        await().atMost(WAIT).until(() -> apps.feed().contains("SUMMARY:Created in Outlook on the web"));
        graph.userEdit(MAILBOX, created.get("id").asText(),
                Apps.JSON.createObjectNode().put("subject", "Edited in Outlook on the web"));
        await().atMost(WAIT).until(() -> apps.feed().contains("SUMMARY:Edited in Outlook on the web"));
        assertThat(Apps.vevents(apps.feed())).containsEntry(uid, 1);
        graph.userDelete(MAILBOX, created.get("id").asText());
        await().atMost(WAIT).until(() -> !apps.feed().contains(uid));
    }

    @Test
    @Order(3)
    void anEditThroughTheMasterReachesEveryCalendar() {
        edit(DAV_UID, "Planning (edited through the master)");
        edit(EWS_UID, "Board meeting (edited through the master)");
        edit(googleUid, "Review (edited through the master)");
        edit(graphUid, "Retro (edited through the master)");
        await().atMost(WAIT).until(() -> google.storedEvents(google.primaryCalendarId()).stream()
                .anyMatch(e -> "Review (edited through the master)".equals(e.path("summary").asText())));
        await().atMost(WAIT).until(() -> graph.storedEvents(MAILBOX, graph.defaultCalendarId(MAILBOX)).stream()
                .anyMatch(e -> "Retro (edited through the master)".equals(e.path("subject").asText())));
        await().atMost(WAIT).until(() -> dav.get(dav.href("planning")).body()
                .contains("SUMMARY:Planning (edited through the master)"));
        await().atMost(WAIT).until(() -> "Board meeting (edited through the master)".equals(ews.field(ewsItem, "Subject")));
        // the write-backs come back in the next reads and are recognised: one copy each, no new write
        long writes = ews.writeCalls();
        await().atMost(WAIT).until(() -> apps.feed().contains("SUMMARY:Board meeting (edited through the master)")
                && apps.feed().contains("SUMMARY:Planning (edited through the master)"));
        await().atMost(WAIT).until(() -> apps.feed().contains("SUMMARY:Review (edited through the master)")
                && apps.feed().contains("SUMMARY:Retro (edited through the master)"));
        assertThat(Apps.vevents(apps.feed())).containsEntry(DAV_UID, 1).containsEntry(EWS_UID, 1)
                .containsEntry(googleUid, 1).containsEntry(graphUid, 1);
        assertThat(graph.messagesSent()).as("messages Microsoft 365 sent to attendees").isEmpty();
        assertThat(dav.etags().keySet().stream().filter(href -> dav.get(href).body().contains("UID:" + DAV_UID)))
                .as("Radicale resources holding " + DAV_UID).hasSize(1);
        assertThat(dav.get(dav.href("planning")).body()).contains("X-E2E-UNKNOWN:kept by every write-back");
        await().during(Duration.ofSeconds(3)).atMost(WAIT).until(() -> ews.writeCalls() == writes);
    }

    @Test
    @Order(4)
    void aRestartedAgentResumesFromItsCursorsWithoutAFullRead() {
        Map<String, Integer> before = Apps.vevents(apps.feed());
        apps.agent().stop();
        Instant restarted = Instant.now();
        long getItems = ews.count("GetItem");
        apps.startAgent();
        await().atMost(WAIT).until(() -> SOURCES.stream().allMatch(s -> readSince(s, restarted)));
        // two more polls each: had the cursors been lost, a full read would have happened by now
        Instant polled = Instant.now();
        await().atMost(WAIT).until(() -> SOURCES.stream().allMatch(s -> readSince(s, polled.plusSeconds(2))));
        assertThat(ews.count("GetItem")).as("Exchange items fetched again after the restart").isEqualTo(getItems);
        // a sync-collection from the persisted token is fine (it brings what changed, e.g. our own write-back); a
        // full read would be one without a token
        assertThat(davTap.requests()).filteredOn(r -> !r.at().isBefore(restarted) && "REPORT".equals(r.method()))
                .as("CalDAV reports after the restart").noneMatch(r -> r.body().contains("<D:sync-token/>"));
        // Google: every events.list after the restart carries the persisted sync token; Graph: every delta its link
        assertThat(googleTap.requests()).filteredOn(r -> !r.at().isBefore(restarted) && r.path().contains("/events")
                && "GET".equals(r.method())).as("Google event lists after the restart").isNotEmpty()
                .allMatch(r -> r.path().contains("syncToken="));
        assertThat(graphTap.requests()).filteredOn(r -> !r.at().isBefore(restarted) && r.path().contains("/delta"))
                .as("Graph delta calls after the restart").isNotEmpty()
                .allMatch(r -> r.path().contains("deltatoken=") || r.path().contains("skiptoken="));
        assertThat(Apps.vevents(apps.feed())).isEqualTo(before);
    }

    @Test
    @Order(5)
    void anOutageOfEveryServerChangesNothingAtTheMaster() {
        Map<String, Integer> before = Apps.vevents(apps.feed());
        List<GoogleTap> taps = List.of(davTap, ewsTap, googleTap, graphTap);
        taps.forEach(t -> t.down(true));
        try {
            await().atMost(WAIT).until(() -> SOURCES.stream().allMatch(s -> lastError(s) != null));
            // several failed polls of each (every second) and heartbeats: the consolidated calendar stays as it was
            await().during(Duration.ofSeconds(4)).atMost(WAIT).until(() -> Apps.vevents(apps.feed()).equals(before));
        } finally {
            taps.forEach(t -> t.down(false));
        }
        await().atMost(WAIT).until(() -> SOURCES.stream().allMatch(s -> lastError(s) == null));
        assertThat(Apps.vevents(apps.feed())).isEqualTo(before);
        assertThat(apps.feed()).contains("SUMMARY:Planning (edited through the master)")
                .contains("SUMMARY:Board meeting (edited through the master)");
    }

    @Test
    @Order(6)
    void theMicrosoft365DestinationGetsEveryEventAndAnEditThereGoesBackToItsOrigin() {
        String team = graph.defaultCalendarId(TEAM);
        JsonNode first = runM365();
        int consolidated = Apps.vevents(apps.feed()).size();
        assertThat(first.path("inserted").asInt()).as(first.toString()).isEqualTo(consolidated);
        assertThat(graph.storedEvents(TEAM, team)).hasSize(consolidated);
        assertThat(runM365().path("inserted").asInt()).as("a second run without change").isZero();

        // a person edits the Radicale event's copy in Outlook on the web: it comes back through the ingest and the
        // agent writes it into Radicale
        ObjectNode copy = graph.storedEvents(TEAM, team).stream()
                .filter(e -> e.path("subject").asText().equals("Planning (edited through the master)")).findFirst()
                .orElseThrow();
        graph.userEdit(TEAM, copy.path("id").asText(),
                Apps.JSON.createObjectNode().put("subject", "Planning (edited in Microsoft 365)"));
        runM365();
        await().atMost(WAIT).until(() -> dav.get(dav.href("planning")).body()
                .contains("SUMMARY:Planning (edited in Microsoft 365)"));
        await().atMost(WAIT).until(() -> apps.feed().contains("SUMMARY:Planning (edited in Microsoft 365)"));
        assertThat(Apps.vevents(apps.feed())).containsEntry(DAV_UID, 1);
        assertThat(graph.storedEvents(TEAM, team)).hasSize(consolidated);
        assertThat(graph.messagesSent()).as("messages Microsoft 365 sent to attendees").isEmpty();
    }

    // ---------------------------------------------------------------------------------------------------- helpers

    static JsonNode runM365() {
        HttpResponse<String> r = apps.post("/sync/destinations/m365/run", ADMIN, "");
        assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
        JsonNode result = Apps.json(r);
        assertThat(result.path("outcome").asText()).as(r.body()).isEqualTo("OK");
        return result;
    }

    static final List<String> SOURCES = List.of("e2e-dav", "e2e-ews", "e2e-google", "e2e-m365");

    static ObjectNode googleEvent(String summary, String startUtc) {
        ObjectNode e = Apps.JSON.createObjectNode().put("summary", summary);
        Instant start = Instant.parse(startUtc);
        e.putObject("start").put("dateTime", start.toString()).put("timeZone", "Europe/Berlin");
        e.putObject("end").put("dateTime", start.plusSeconds(3600).toString()).put("timeZone", "Europe/Berlin");
        return e;
    }

    static ObjectNode graphEvent(String subject, String startWallClock) {
        ObjectNode e = Apps.JSON.createObjectNode().put("subject", subject);
        java.time.LocalDateTime start = java.time.LocalDateTime.parse(startWallClock);
        e.putObject("start").put("dateTime", start.toString()).put("timeZone", "W. Europe Standard Time");
        e.putObject("end").put("dateTime", start.plusHours(1).toString()).put("timeZone", "W. Europe Standard Time");
        return e;
    }

    static String vevent(String uid, String summary, String start) {
        return "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//e2e//live sources//EN\r\nBEGIN:VEVENT\r\nUID:" + uid
                + "\r\nDTSTAMP:20261201T080000Z\r\nDTSTART:" + start + "\r\nDURATION:PT1H\r\nSEQUENCE:0\r\nSUMMARY:"
                + summary + "\r\nX-E2E-UNKNOWN:kept by every write-back\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n";
    }

    static void edit(String uid, String title) {
        String id = null;
        for (JsonNode e : apps.events().path("events")) {
            if (uid.equals(e.path("uid").asText())) {
                id = e.path("id").asText();
            }
        }
        assertThat(id).as("consolidated event " + uid).isNotNull();
        JsonNode details = Apps.json(apps.get(apps.masterUrl + "/sync/events/" + id, ADMIN));
        ObjectNode event = ((ObjectNode) details.path("event").deepCopy()).put("title", title);
        HttpResponse<String> r = apps.send("PUT", apps.masterUrl + "/sync/events/" + id, ADMIN, event.toString());
        assertThat(r.statusCode()).as(r.body()).isEqualTo(202);
    }

    static JsonNode sourceState(String source) {
        return apps.agentHealth().path("components").path("agent").path("details").path("sourceStates").path(source);
    }

    static boolean readSince(String source, Instant t) {
        String at = sourceState(source).path("lastRead").asText(null);
        return at != null && !Instant.parse(at).isBefore(t);
    }

    static String lastError(String source) {
        JsonNode e = sourceState(source).path("lastError");
        return e.isMissingNode() || e.isNull() ? null : e.asText();
    }
}
