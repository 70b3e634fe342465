package io.chronoroute.providers.graph;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.chronoroute.providers.common.Backoff;
import io.chronoroute.providers.common.DestinationException;
import io.chronoroute.providers.common.ErrorKind;
import io.chronoroute.testsupport.graph.FakeGraph;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.net.http.HttpClient;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** GraphClient and GraphAuth against the fake Graph: tokens, paging, delta links, 410, batches, 429. */
class GraphClientTest {

    static final String USER = "ada@contoso.example";
    final ObjectMapper json = new ObjectMapper();
    final HttpClient http = HttpClient.newHttpClient();
    final List<Duration> waits = new ArrayList<>();
    FakeGraph graph;
    GraphClient client;
    GraphAuth auth;
    String cal;

    @BeforeEach
    void start() {
        graph = new FakeGraph().start();
        graph.addMailbox(USER);
        cal = graph.defaultCalendarId(USER);
        auth = new GraphAuth(http, graph.authorityUrl(), graph.tenant(), graph.clientId(), graph.clientSecret(), null,
                Clock.systemUTC(), Duration.ofSeconds(10));
        client = new GraphClient(http, auth, graph.graphUrl(), Duration.ofSeconds(10), write -> { },
                new Backoff(Duration.ofSeconds(1), Duration.ofSeconds(8), 3, () -> 1.0), waits::add);
    }

    @AfterEach
    void stop() {
        graph.close();
    }

    ObjectNode event(String subject) {
        ObjectNode e = json.createObjectNode().put("subject", subject);
        e.putObject("start").put("dateTime", "2026-05-04T09:00:00").put("timeZone", "Europe/Berlin");
        e.putObject("end").put("dateTime", "2026-05-04T10:00:00").put("timeZone", "Europe/Berlin");
        return e;
    }

    String events() {
        return "/users/" + GraphClient.seg(USER) + "/calendars/" + GraphClient.seg(cal) + "/events";
    }

    @Test
    void clientCredentialsTokenIsCachedAndRenewedAfter401() {
        client.get("/users/" + USER + "/calendars");
        client.get("/users/" + USER + "/calendars");
        assertThat(auth.grants()).isEqualTo(1);
        graph.expireAccessTokens();
        assertThat(client.get("/users/" + USER + "/calendars").path("value")).hasSize(1);
        assertThat(auth.grants()).isEqualTo(2);
        assertThat(auth.toString()).doesNotContain(graph.clientSecret());
    }

    @Test
    void wrongSecretIsAnAuthError() {
        GraphAuth bad = new GraphAuth(http, graph.authorityUrl(), graph.tenant(), graph.clientId(), "wrong", null,
                Clock.systemUTC(), Duration.ofSeconds(10));
        GraphClient c = new GraphClient(http, bad, graph.graphUrl(), Duration.ofSeconds(10), w -> { },
                GraphClient.defaultBackoff(), waits::add);
        assertThatThrownBy(() -> c.get("/users/" + USER + "/calendars")).isInstanceOf(DestinationException.class)
                .satisfies(e -> assertThat(((DestinationException) e).kind()).isEqualTo(ErrorKind.AUTH))
                .hasMessageNotContaining("wrong");
    }

    @Test
    void refreshTokenAndDeviceCodeFlows() throws Exception {
        GraphAuth.DeviceCode dc = GraphAuth.startDeviceCode(http, graph.authorityUrl(), "organizations",
                graph.clientId(), Duration.ofSeconds(5));
        assertThat(GraphAuth.pollDeviceCode(http, graph.authorityUrl(), "organizations", graph.clientId(), dc,
                Duration.ofSeconds(5))).isEmpty();
        graph.approveDevice(dc.userCode(), USER);
        GraphAuth.Tokens t = GraphAuth.pollDeviceCode(http, graph.authorityUrl(), "organizations", graph.clientId(),
                dc, Duration.ofSeconds(5)).orElseThrow();
        GraphAuth user = new GraphAuth(http, graph.authorityUrl(), graph.tenant(), graph.clientId(), null,
                t.refreshToken(), Clock.systemUTC(), Duration.ofSeconds(10));
        GraphClient c = new GraphClient(http, user, graph.graphUrl(), Duration.ofSeconds(10), w -> { },
                GraphClient.defaultBackoff(), waits::add);
        assertThat(c.get("/me/calendars").path("value")).hasSize(1);
        assertThat(t.toString()).doesNotContain(t.refreshToken());
    }

    @Test
    void everyRotatedRefreshTokenIsReportedAndTheNewestIsUsed() throws Exception {
        graph.singleUseRefreshTokens(true);
        String first = graph.issueRefreshToken(USER);
        List<String> rotated = new ArrayList<>();
        GraphAuth user = new GraphAuth(http, graph.authorityUrl(), graph.tenant(), graph.clientId(), null, first,
                Clock.systemUTC(), Duration.ofSeconds(10)).onRefreshTokenRotated(rotated::add);
        user.accessToken();
        assertThat(rotated).hasSize(1).doesNotContain(first);
        assertThat(user.refreshToken()).isEqualTo(rotated.get(0));
        user.accessToken();
        assertThat(rotated).hasSize(1); // cached access token: no grant, no rotation
        user.invalidate();
        user.accessToken();
        assertThat(rotated).hasSize(2).doesNotHaveDuplicates();
        // single use: the first token is gone, a new instance from the newest one works (what a restart does)
        GraphAuth stale = new GraphAuth(http, graph.authorityUrl(), graph.tenant(), graph.clientId(), null, first,
                Clock.systemUTC(), Duration.ofSeconds(10));
        assertThatThrownBy(stale::accessToken).isInstanceOf(GraphHttpException.class)
                .hasMessageNotContaining(first);
        // a failing listener does not fail the grant; the newest stays in memory
        user.onRefreshTokenRotated(t -> { throw new IllegalStateException("store down"); });
        user.invalidate();
        assertThat(user.accessToken()).isNotBlank();
        assertThat(user.refreshToken()).isNotIn(first, rotated.get(0), rotated.get(1));
        GraphAuth restarted = new GraphAuth(http, graph.authorityUrl(), graph.tenant(), graph.clientId(), null,
                user.refreshToken(), Clock.systemUTC(), Duration.ofSeconds(10));
        assertThat(restarted.accessToken()).isNotBlank();
        // app-only: nothing to rotate
        assertThat(auth.refreshToken()).isNull();
    }

    @Test
    void pagingDeltaAnd410() {
        List<GraphClient.BatchRequest> creates = new ArrayList<>();
        for (int i = 0; i < 45; i++) {
            creates.add(new GraphClient.BatchRequest("POST", events(), event("E" + i), null));
        }
        List<GraphClient.BatchResponse> created = client.batch(creates);
        assertThat(created).hasSize(45).allMatch(GraphClient.BatchResponse::ok);
        assertThat(graph.journal().count(e -> e.operation().equals("batch"))).as("45 requests in 3 batches")
                .isEqualTo(3);
        assertThat(client.list(events() + "?$top=10")).hasSize(45);

        GraphClient.Delta d = client.delta(events() + "/delta");
        assertThat(d.items()).hasSize(45);
        assertThat(d.items().get(0).path("start").path("timeZone").asText()).isEqualTo("UTC");
        graph.userDelete(USER, created.get(0).body().path("id").asText());
        GraphClient.Delta next = client.delta(d.deltaLink());
        assertThat(next.items()).hasSize(1);
        assertThat(next.items().get(0).has("@removed")).isTrue();

        graph.invalidateDeltaTokens();
        assertThatThrownBy(() -> client.delta(next.deltaLink())).isInstanceOf(DestinationException.class)
                .satisfies(e -> assertThat(((DestinationException) e).kind()).isEqualTo(ErrorKind.CURSOR_EXPIRED));
    }

    @Test
    void throttlingIsRetriedAfterRetryAfter() {
        graph.failNext(2, 429, "ApplicationThrottled", 5);
        JsonNode ok = client.get("/users/" + USER + "/calendars");
        assertThat(ok.path("value")).hasSize(1);
        assertThat(waits).hasSize(2).allMatch(w -> w.compareTo(Duration.ofSeconds(5)) >= 0);

        waits.clear();
        graph.failNext(3, 503, "ServiceUnavailable", 0);
        assertThatThrownBy(() -> client.get("/users/" + USER + "/calendars"))
                .satisfies(e -> assertThat(((DestinationException) e).kind()).isEqualTo(ErrorKind.TRANSIENT));
        assertThat(waits).hasSize(2);
    }

    @Test
    void batchPartsThrottledAreSentAgain() {
        graph.failNext(1, 429, "ApplicationThrottled", 2);
        List<GraphClient.BatchResponse> r = client.batch(List.of(
                new GraphClient.BatchRequest("POST", events(), event("A"), null),
                new GraphClient.BatchRequest("POST", events(), event("B"), null)));
        assertThat(r).allMatch(GraphClient.BatchResponse::ok);
        assertThat(graph.storedEvents(USER, cal)).hasSize(2);
        assertThat(waits).hasSize(1).allMatch(w -> w.compareTo(Duration.ofSeconds(2)) >= 0);
    }
}
