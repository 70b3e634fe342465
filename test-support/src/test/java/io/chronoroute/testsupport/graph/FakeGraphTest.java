package io.chronoroute.testsupport.graph;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;

import static org.assertj.core.api.Assertions.assertThat;

/** The fake Graph's rules, spoken to over HTTP as a client would. */
class FakeGraphTest {

    static final String USER = "ada@contoso.example";
    static final String TAG = "String {8f2c5d0e-3a4b-4c1d-9e8f-0a1b2c3d4e5f} Name ChronorouteUid";
    final ObjectMapper json = new ObjectMapper();
    final HttpClient http = HttpClient.newHttpClient();
    FakeGraph graph;
    String token;
    String cal;

    @BeforeEach
    void start() throws Exception {
        graph = new FakeGraph().start();
        graph.addMailbox(USER);
        cal = graph.defaultCalendarId(USER);
        token = appToken().get("access_token").asText();
    }

    @AfterEach
    void stop() {
        graph.close();
    }

    JsonNode appToken() throws Exception {
        return form("/" + graph.tenant() + "/oauth2/v2.0/token", "grant_type=client_credentials&client_id="
                + graph.clientId() + "&client_secret=" + graph.clientSecret() + "&scope="
                + URLEncoder.encode(FakeGraph.GRAPH_SCOPE, StandardCharsets.UTF_8)).body();
    }

    record Res(int status, JsonNode body, HttpResponse<String> raw) {
    }

    Res form(String path, String body) throws Exception {
        HttpResponse<String> r = http.send(HttpRequest.newBuilder(URI.create(graph.baseUrl() + path))
                .header("Content-Type", "application/x-www-form-urlencoded")
                .POST(HttpRequest.BodyPublishers.ofString(body)).build(), HttpResponse.BodyHandlers.ofString());
        return new Res(r.statusCode(), r.body().isEmpty() ? null : json.readTree(r.body()), r);
    }

    Res api(String method, String path, Object body, String... headers) throws Exception {
        String url = path.startsWith("http") ? path : graph.graphUrl() + path;
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(url)).header("Authorization", "Bearer " + token)
                .method(method, body == null ? HttpRequest.BodyPublishers.noBody()
                        : HttpRequest.BodyPublishers.ofString(json.writeValueAsString(body)))
                .header("Content-Type", "application/json");
        for (int i = 0; i < headers.length; i += 2) {
            b.header(headers[i], headers[i + 1]);
        }
        HttpResponse<String> r = http.send(b.build(), HttpResponse.BodyHandlers.ofString());
        return new Res(r.statusCode(), r.body().isEmpty() ? null : json.readTree(r.body()), r);
    }

    String users() {
        return "/users/" + USER;
    }

    ObjectNode event(String subject, String start, String end, String zone) {
        ObjectNode e = json.createObjectNode().put("subject", subject);
        e.putObject("start").put("dateTime", start).put("timeZone", zone);
        e.putObject("end").put("dateTime", end).put("timeZone", zone);
        return e;
    }

    ObjectNode weekly(String subject) {
        ObjectNode e = event(subject, "2026-03-02T09:00:00", "2026-03-02T10:00:00", "Europe/Berlin");
        ObjectNode rec = e.putObject("recurrence");
        rec.putObject("pattern").put("type", "weekly").put("interval", 1).putArray("daysOfWeek").add("monday");
        rec.putObject("range").put("type", "numbered").put("startDate", "2026-03-02").put("numberOfOccurrences", 5);
        return e;
    }

    @Test
    void tokensClientCredentialsRefreshAndDeviceCode() throws Exception {
        Res bad = form("/" + graph.tenant() + "/oauth2/v2.0/token", "grant_type=client_credentials&client_id="
                + graph.clientId() + "&client_secret=nope&scope=" + FakeGraph.GRAPH_SCOPE);
        assertThat(bad.status()).isEqualTo(401);
        assertThat(bad.body().get("error").asText()).isEqualTo("invalid_client");

        assertThat(api("GET", "/me/calendars", null).status()).as("/me with an app token").isEqualTo(400);
        String rt = graph.issueRefreshToken(USER);
        Res refreshed = form("/" + graph.tenant() + "/oauth2/v2.0/token", "grant_type=refresh_token&client_id="
                + graph.clientId() + "&refresh_token=" + rt);
        assertThat(refreshed.status()).isEqualTo(200);
        assertThat(refreshed.body().get("refresh_token").asText()).isNotEqualTo(rt);
        token = refreshed.body().get("access_token").asText();
        assertThat(api("GET", "/me/calendars", null).status()).isEqualTo(200);

        Res dc = form("/organizations/oauth2/v2.0/devicecode", "client_id=" + graph.clientId() + "&scope=Calendars.ReadWrite");
        String device = "grant_type=urn:ietf:params:oauth:grant-type:device_code&client_id=" + graph.clientId()
                + "&device_code=" + dc.body().get("device_code").asText();
        assertThat(form("/organizations/oauth2/v2.0/token", device).body().get("error").asText())
                .isEqualTo("authorization_pending");
        graph.approveDevice(dc.body().get("user_code").asText(), USER);
        assertThat(form("/organizations/oauth2/v2.0/token", device).body().has("refresh_token")).isTrue();

        graph.expireAccessTokens();
        Res expired = api("GET", users() + "/calendars", null);
        assertThat(expired.status()).isEqualTo(401);
        assertThat(expired.body().get("error").get("code").asText()).isEqualTo("InvalidAuthenticationToken");
    }

    @Test
    void eventsCrudWithEtagsReadOnlyIdsAndTransactionId() throws Exception {
        ObjectNode body = event("Review", "2026-03-02T09:00:00", "2026-03-02T10:00:00", "W. Europe Standard Time");
        body.put("transactionId", "tx-1");
        body.putArray("singleValueExtendedProperties").addObject().put("id", TAG).put("value", "uid-1@x");
        Res created = api("POST", users() + "/calendars/" + cal + "/events", body);
        assertThat(created.status()).isEqualTo(201);
        String id = created.body().get("id").asText();
        assertThat(created.body().get("start").get("timeZone").asText()).isEqualTo("UTC");
        assertThat(created.body().get("start").get("dateTime").asText()).isEqualTo("2026-03-02T08:00:00.0000000");
        assertThat(created.body().get("originalStartTimeZone").asText()).isEqualTo("W. Europe Standard Time");
        assertThat(created.body().has("singleValueExtendedProperties")).isFalse();
        assertThat(api("POST", users() + "/calendars/" + cal + "/events", body).body().get("id").asText())
                .as("a retried POST with the same transactionId").isEqualTo(id);
        assertThat(api("POST", users() + "/events", event("x", "2026-03-02T09:00:00", "2026-03-02T10:00:00", "UTC")
                .put("iCalUId", "mine")).status()).isEqualTo(400);

        Res berlin = api("GET", users() + "/events/" + id, null, "Prefer", "outlook.timezone=\"Europe/Berlin\"");
        assertThat(berlin.body().get("start").get("dateTime").asText()).isEqualTo("2026-03-02T09:00:00.0000000");

        String filter = "singleValueExtendedProperties/Any(ep: ep/id eq '" + TAG + "' and ep/value eq 'uid-1@x')";
        Res found = api("GET", users() + "/calendars/" + cal + "/events?$filter="
                + URLEncoder.encode(filter, StandardCharsets.UTF_8) + "&$expand=" + URLEncoder.encode(
                "singleValueExtendedProperties($filter=id eq '" + TAG + "')", StandardCharsets.UTF_8), null);
        assertThat(found.body().get("value")).hasSize(1);
        assertThat(found.body().get("value").get(0).get("singleValueExtendedProperties").get(0).get("value").asText())
                .isEqualTo("uid-1@x");

        String etag = created.body().get("@odata.etag").asText();
        graph.userEdit(USER, id, json.createObjectNode().put("subject", "Edited in Outlook"));
        Res stale = api("PATCH", users() + "/events/" + id, json.createObjectNode().put("subject", "Ours"),
                "If-Match", etag);
        assertThat(stale.status()).isEqualTo(412);
        assertThat(stale.body().get("error").get("code").asText()).isEqualTo("ErrorIrresolvableConflict");
        String fresh = api("GET", users() + "/events/" + id, null).body().get("@odata.etag").asText();
        assertThat(api("PATCH", users() + "/events/" + id, json.createObjectNode().put("subject", "Ours"),
                "If-Match", fresh).status()).isEqualTo(200);
        assertThat(api("DELETE", users() + "/events/" + id, null).status()).isEqualTo(204);
        assertThat(api("GET", users() + "/events/" + id, null).status()).isEqualTo(404);
        assertThat(graph.messagesSent()).isEmpty();
    }

    @Test
    void seriesOccurrencesExceptionsAndCancelledOccurrences() throws Exception {
        String master = api("POST", users() + "/calendars/" + cal + "/events", weekly("Weekly")).body().get("id")
                .asText();
        Res inst = api("GET", users() + "/events/" + master + "/instances?startDateTime=2026-03-01T00:00:00Z"
                + "&endDateTime=2026-04-30T00:00:00Z", null);
        assertThat(inst.body().get("value")).hasSize(5);
        JsonNode second = inst.body().get("value").get(1);
        assertThat(second.get("type").asText()).isEqualTo("occurrence");
        assertThat(second.get("originalStart").asText()).isEqualTo("2026-03-09T08:00:00Z");
        Res moved = api("PATCH", users() + "/events/" + second.get("id").asText(),
                event("Moved", "2026-03-10T09:00:00", "2026-03-10T10:00:00", "Europe/Berlin"));
        assertThat(moved.body().get("type").asText()).isEqualTo("exception");
        assertThat(moved.body().get("seriesMasterId").asText()).isEqualTo(master);
        String third = inst.body().get("value").get(2).get("id").asText();
        assertThat(api("DELETE", users() + "/events/" + third, null).status()).isEqualTo(204);

        JsonNode m = api("GET", users() + "/events/" + master + "?$expand=exceptionOccurrences", null).body();
        assertThat(m.get("cancelledOccurrences")).hasSize(1);
        assertThat(m.get("cancelledOccurrences").get(0).asText()).isEqualTo("OID." + master + ".2026-03-16");
        assertThat(m.get("exceptionOccurrences")).hasSize(1);
        assertThat(m.get("exceptionOccurrences").get(0).get("subject").asText()).isEqualTo("Moved");
        assertThat(api("GET", users() + "/events/" + master + "/instances?startDateTime=2026-03-01T00:00:00Z"
                + "&endDateTime=2026-04-30T00:00:00Z", null).body().get("value")).hasSize(4);
    }

    @Test
    void eventsDeltaPagesLinksRemovalsAnd410() throws Exception {
        for (int i = 0; i < 60; i++) {
            graph.userCreate(USER, cal, event("E" + i, "2026-03-02T09:00:00", "2026-03-02T10:00:00", "UTC"));
        }
        List<JsonNode> items = new ArrayList<>();
        String deltaLink = drain(users() + "/calendars/" + cal + "/events/delta", items);
        assertThat(items).hasSize(60);
        assertThat(drain(deltaLink, new ArrayList<>())).isNotNull();

        String first = items.get(0).get("id").asText();
        String second = items.get(1).get("id").asText();
        graph.userEdit(USER, first, json.createObjectNode().put("subject", "changed"));
        graph.userDelete(USER, second);
        List<JsonNode> changes = new ArrayList<>();
        String next = drain(deltaLink, changes);
        assertThat(changes).hasSize(2);
        assertThat(changes.get(0).get("subject").asText()).isEqualTo("changed");
        assertThat(changes.get(1).get("id").asText()).isEqualTo(second);
        assertThat(changes.get(1).get("@removed").get("reason").asText()).isEqualTo("deleted");

        graph.invalidateDeltaTokens();
        Res gone = api("GET", next, null);
        assertThat(gone.status()).isEqualTo(410);
        assertThat(gone.body().get("error").get("code").asText()).isEqualTo("SyncStateNotFound");
    }

    @Test
    void calendarViewDeltaReturnsOccurrencesInTheWindow() throws Exception {
        api("POST", users() + "/calendars/" + cal + "/events", weekly("Weekly"));
        api("POST", users() + "/calendars/" + cal + "/events", event("Outside", "2027-03-02T09:00:00",
                "2027-03-02T10:00:00", "UTC"));
        assertThat(api("GET", users() + "/calendars/" + cal + "/calendarView/delta", null).status()).isEqualTo(400);
        List<JsonNode> items = new ArrayList<>();
        drain(users() + "/calendars/" + cal + "/calendarView/delta?startDateTime=2026-03-01T00:00:00Z"
                + "&endDateTime=2026-03-20T00:00:00Z", items);
        assertThat(items).hasSize(3).allMatch(i -> i.get("type").asText().equals("occurrence"));
    }

    @Test
    void batchLimitThrottlingAndConcurrency() throws Exception {
        ObjectNode batch = json.createObjectNode();
        var requests = batch.putArray("requests");
        for (int i = 0; i < 21; i++) {
            requests.addObject().put("id", "" + i).put("method", "GET").put("url", users() + "/calendars");
        }
        assertThat(api("POST", "/$batch", batch).status()).isEqualTo(400);
        requests.remove(20);
        Res ok = api("POST", "/$batch", batch);
        assertThat(ok.status()).isEqualTo(200);
        assertThat(ok.body().get("responses")).hasSize(20);

        graph.requestsPerWindow(3, Duration.ofMinutes(10), 7);
        api("GET", users() + "/calendars", null);
        api("GET", users() + "/calendars", null);
        api("GET", users() + "/calendars", null);
        Res throttled = api("GET", users() + "/calendars", null);
        assertThat(throttled.status()).isEqualTo(429);
        assertThat(throttled.raw().headers().firstValue("Retry-After")).contains("7");
        graph.requestsPerWindow(0, Duration.ofMinutes(10), 0);

        graph.holdRequests();
        List<CompletableFuture<HttpResponse<String>>> held = new ArrayList<>();
        for (int i = 0; i < 4; i++) {
            held.add(http.sendAsync(HttpRequest.newBuilder(URI.create(graph.graphUrl() + users() + "/calendars"))
                    .header("Authorization", "Bearer " + token).build(), HttpResponse.BodyHandlers.ofString()));
        }
        Instant until = Instant.now().plusSeconds(5);
        while (graph.inFlight(USER) < 4 && Instant.now().isBefore(until)) {
            Thread.onSpinWait();
        }
        Res fifth = api("GET", users() + "/calendars", null);
        graph.release();
        assertThat(fifth.status()).isEqualTo(429);
        assertThat(fifth.body().get("error").get("code").asText()).isEqualTo("ApplicationThrottled");
        for (var f : held) {
            assertThat(f.get().statusCode()).isEqualTo(200);
        }
    }

    @Test
    void calendarRenameColourEnumAndReadOnlyHexColor() throws Exception {
        Res renamed = api("PATCH", users() + "/calendars/" + cal, json.createObjectNode().put("name", "Work")
                .put("color", "lightGreen"));
        assertThat(renamed.status()).isEqualTo(200);
        assertThat(renamed.body().get("hexColor").asText()).isEqualTo("#87d28e");
        assertThat(api("PATCH", users() + "/calendars/" + cal, json.createObjectNode().put("hexColor", "#ff0000"))
                .status()).isEqualTo(400);
        assertThat(api("PATCH", users() + "/calendars/" + cal, json.createObjectNode().put("color", "purple"))
                .status()).isEqualTo(400);
    }

    /** Follows nextLinks to the deltaLink; returns it. */
    String drain(String url, List<JsonNode> items) throws Exception {
        String next = url;
        while (true) {
            Res r = api("GET", next, null);
            assertThat(r.status()).as(r.raw().body()).isEqualTo(200);
            r.body().get("value").forEach(items::add);
            if (r.body().has("@odata.deltaLink")) {
                return r.body().get("@odata.deltaLink").asText();
            }
            next = r.body().get("@odata.nextLink").asText();
        }
    }
}
