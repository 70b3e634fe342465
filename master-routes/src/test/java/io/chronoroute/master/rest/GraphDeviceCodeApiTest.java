package io.chronoroute.master.rest;

import com.fasterxml.jackson.databind.JsonNode;
import io.chronoroute.master.ChronorouteMasterApplication;
import io.chronoroute.master.destination.DestinationSyncService;
import io.chronoroute.master.destination.SecretBox;
import io.chronoroute.master.destination.SyncResult;
import io.chronoroute.master.destination.graph.GraphDestinationWriterFactory;
import io.chronoroute.master.store.MasterStore;
import io.chronoroute.providers.graph.GraphAuth;
import io.chronoroute.testsupport.MutableClock;
import io.chronoroute.testsupport.graph.FakeGraph;
import org.apache.camel.test.spring.junit5.CamelSpringBootTest;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.boot.test.web.server.LocalServerPort;
import org.springframework.test.context.DynamicPropertyRegistry;
import org.springframework.test.context.DynamicPropertySource;

import java.net.http.HttpClient;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Microsoft 365 sign-in of a Graph destination with the device code flow over the master's REST API against the
 * fake Graph (strict single-use refresh tokens, so only the newest works): start, pending, the user signs in, the
 * refresh token stored encrypted and never answered, the next run uses it, every rotated token persisted (a new
 * writer starts from the newest); unknown destination 404, no admin token 401, declined 403, expired 410.
 */
@CamelSpringBootTest
@SpringBootTest(classes = ChronorouteMasterApplication.class, webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT,
        properties = "chronoroute.routes-dir=" + GraphDeviceCodeApiTest.ROUTES_DIR)
class GraphDeviceCodeApiTest {

    static final String ROUTES_DIR = "target/empty-routes-folder";
    static final String ADMIN = "admin-token-for-tests-0123456789";
    static final String UPN = "ada@contoso.example";
    static final String DEST = "m365";
    static final MutableClock FAKE_CLOCK = new MutableClock(Instant.now());
    static FakeGraph graph;

    @TempDir
    static Path dataDir;

    @DynamicPropertySource
    static void props(DynamicPropertyRegistry r) throws Exception {
        Files.createDirectories(Path.of(ROUTES_DIR));
        graph = FakeGraph.builder().clock(FAKE_CLOCK).build().start();
        graph.addMailbox(UPN);
        graph.singleUseRefreshTokens(true);
        r.add("chronoroute.data-dir", () -> dataDir.toString());
        r.add("chronoroute.admin-token", () -> ADMIN);
        r.add("chronoroute.feed-token", () -> "feed-token-for-tests-0123456789");
        r.add("chronoroute.enrollment-secret", () -> "enroll-secret-for-tests-0123456789");
        r.add("chronoroute.destinations." + DEST + ".type", () -> "graph");
        r.add("chronoroute.destinations." + DEST + ".graph.tenant", graph::tenant);
        r.add("chronoroute.destinations." + DEST + ".graph.client-id", graph::clientId);
        r.add("chronoroute.destinations." + DEST + ".graph.graph-url", graph::graphUrl);
        r.add("chronoroute.destinations." + DEST + ".graph.authority-url", graph::authorityUrl);
        r.add("chronoroute.destinations." + DEST + ".graph.timeout", () -> "10s");
    }

    @AfterAll
    static void stop() {
        if (graph != null) {
            graph.close();
        }
    }

    @LocalServerPort
    int port;
    @Autowired
    MasterStore store;
    @Autowired
    SecretBox destinationSecretBox;
    @Autowired
    DestinationSyncService sync;
    @Autowired
    GraphDestinationWriterFactory factory;

    ApiClient api() {
        return new ApiClient(port);
    }

    String storedToken() {
        String key = GraphDestinationWriterFactory.refreshTokenKey(DEST);
        String v = store.getSetting(key).orElseThrow();
        assertThat(v).startsWith("v1:").doesNotContainPattern("(?<![A-Za-z0-9])rt-[A-Za-z0-9_-]{16}");
        return destinationSecretBox.decrypt(v, key);
    }

    ApiClient.Response start() {
        ApiClient.Response r = api().post("/sync/config/graph/device-code", ADMIN, Map.of("destination", DEST));
        assertThat(r.status()).as(r.body()).isEqualTo(200);
        return r;
    }

    ApiClient.Response poll() {
        return api().post("/sync/config/graph/device-code/poll", ADMIN, Map.of("destination", DEST));
    }

    @Test
    void deviceCodeSignInThenRunsWithTheStoredAndEveryRotatedToken() throws Exception {
        // not signed in yet: the run asks for authorization
        assertThat(sync.runOnce(DEST).outcome()).isNotEqualTo(SyncResult.Outcome.OK);

        JsonNode started = start().json();
        assertThat(started.path("user_code").asText()).isNotBlank();
        assertThat(started.path("verification_uri").asText()).isEqualTo("https://microsoft.com/devicelogin");
        assertThat(started.path("expires_in").asInt()).isEqualTo(900);
        assertThat(started.path("interval").asInt()).isEqualTo(5);
        assertThat(started.path("message").asText()).contains(started.path("user_code").asText());
        assertThat(started.has("device_code")).isFalse();

        ApiClient.Response pending = poll();
        assertThat(pending.status()).as(pending.body()).isEqualTo(202);
        assertThat(pending.json().path("status").asText()).isEqualTo("pending");

        graph.approveDevice(started.path("user_code").asText(), UPN);
        ApiClient.Response done = poll();
        assertThat(done.status()).as(done.body()).isEqualTo(200);
        assertThat(done.json().path("status").asText()).isEqualTo("success");
        assertThat(done.body()).doesNotContain("rt-").doesNotContain("at-");
        String signedIn = storedToken();
        assertThat(signedIn).startsWith("rt-");
        // the device code was used up
        assertThat(poll().status()).isEqualTo(409);

        // the next run works with it (delegated, /me), and the refresh grant's new token is stored
        SyncResult run = sync.runOnce(DEST);
        assertThat(run.outcome()).as(run.message()).isEqualTo(SyncResult.Outcome.OK);
        String rotated = storedToken();
        assertThat(rotated).isNotEqualTo(signedIn);

        // single-use tokens: only the newest works; a new writer (what a restart builds) starts from it
        assertThat(factory.refreshToken(DEST, factory.settings(DEST), store)).isEqualTo(rotated);
        GraphAuth stale = new GraphAuth(HttpClient.newHttpClient(), graph.authorityUrl(), graph.tenant(),
                graph.clientId(), null, signedIn, Clock.systemUTC(), Duration.ofSeconds(10));
        org.assertj.core.api.Assertions.assertThatThrownBy(stale::accessToken).hasMessageContaining("invalid_grant");
        sync.invalidate(DEST);
        SyncResult again = sync.runOnce(DEST);
        assertThat(again.outcome()).as(again.message()).isEqualTo(SyncResult.Outcome.OK);
        assertThat(storedToken()).isNotIn(signedIn, rotated);
    }

    @Test
    void unknownDestinationNoAdminTokenDeclinedAndExpired() {
        ApiClient.Response unknown = api().post("/sync/config/graph/device-code", ADMIN, Map.of("destination", "nope"));
        assertThat(unknown.status()).isEqualTo(404);
        assertThat(unknown.json().path("error").asText()).isEqualTo("not_found");
        assertThat(api().post("/sync/config/graph/device-code/poll", ADMIN, Map.of("destination", "nope")).status())
                .isEqualTo(404);
        assertThat(api().post("/sync/config/graph/device-code", null, Map.of("destination", DEST)).status())
                .isEqualTo(401);
        assertThat(api().post("/sync/config/graph/device-code/poll", "wrong-token", Map.of("destination", DEST))
                .status()).isEqualTo(401);

        graph.declineDevice(start().json().path("user_code").asText());
        ApiClient.Response declined = poll();
        assertThat(declined.status()).as(declined.body()).isEqualTo(403);
        assertThat(declined.json().path("error").asText()).isEqualTo("declined");

        start();
        FAKE_CLOCK.advance(Duration.ofMinutes(16));
        ApiClient.Response expired = poll();
        assertThat(expired.status()).as(expired.body()).isEqualTo(410);
        assertThat(expired.json().path("error").asText()).isEqualTo("expired");
        assertThat(expired.body()).doesNotContain("dc-");
    }
}
