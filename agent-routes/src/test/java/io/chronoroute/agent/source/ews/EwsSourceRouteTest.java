package io.chronoroute.agent.source.ews;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.chronoroute.agent.ChronorouteAgentApplication;
import io.chronoroute.agent.FakeMaster;
import io.chronoroute.agent.discover.EwsDiscoverer;
import io.chronoroute.agent.source.SourceRegistry;
import io.chronoroute.processors.wire.WireJson;
import io.chronoroute.testsupport.ews.FakeEwsServer;
import org.apache.camel.test.spring.junit5.CamelSpringBootTest;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.test.annotation.DirtiesContext;
import org.springframework.test.context.DynamicPropertyRegistry;
import org.springframework.test.context.DynamicPropertySource;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * The agent (Spring Boot + Camel + the ews-source YAML template) with the source file {@code discover ews
 * --write-route} wrote, against the fake EWS and an in-test master: the calendar's items reach the master, a person's
 * edit in Exchange follows, and an {@code event_update} from the master lands in Exchange without invitations. The
 * password reaches the route only as the placeholder named after {@code --password-env}.
 */
@CamelSpringBootTest
@SpringBootTest(classes = ChronorouteAgentApplication.class, webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT)
@DirtiesContext(classMode = DirtiesContext.ClassMode.AFTER_CLASS)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class EwsSourceRouteTest {

    static final String AGENT = "ews-agent";
    static final String SECRET = "ews-enrollment-secret";
    static final String PASSWORD = "Route-Pw-3x";
    static final String ENV = "EWS_ROUTE_TEST_PASSWORD";
    static final Duration WAIT = Duration.ofSeconds(60);
    static final Path ROOT;
    static final Path SOURCES;
    static final FakeEwsServer EWS;
    static final FakeMaster MASTER;
    static final String DENTIST;
    static final String LISTING;
    static final String YAML;

    static {
        try {
            ROOT = Files.createTempDirectory("chronoroute-ews-route");
            SOURCES = Files.createDirectories(ROOT.resolve("sources"));
            EWS = FakeEwsServer.builder().credentials("alice", PASSWORD).build().start();
            DENTIST = EWS.userCreate("Dentist", Instant.parse("2026-02-02T10:00:00Z"),
                    Instant.parse("2026-02-02T11:00:00Z"), "uid-dentist");
            EWS.userCreate("Lunch", Instant.parse("2026-02-03T12:00:00Z"), Instant.parse("2026-02-03T13:00:00Z"),
                    "uid-lunch");
            ByteArrayOutputStream out = new ByteArrayOutputStream();
            Path file = SOURCES.resolve("ews.camel.yaml");
            int rc = new EwsDiscoverer().run(new String[] {"--url", EWS.url(), "--user", "alice", "--password-env", ENV,
                    "--write-route", file.toString(), "--source-name", "exchange", "--allow-event-updates",
                    "--interval", "300"}, Map.of(ENV, PASSWORD), new PrintStream(out, true, StandardCharsets.UTF_8),
                    System.err);
            if (rc != 0) {
                throw new IllegalStateException("discover ews failed: " + rc);
            }
            LISTING = out.toString(StandardCharsets.UTF_8);
            YAML = Files.readString(file);
            MASTER = new FakeMaster(SECRET);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    @DynamicPropertySource
    static void properties(DynamicPropertyRegistry r) {
        r.add("chronoroute.data-dir", () -> ROOT.resolve("agent-data").toString());
        r.add("chronoroute.sources-dir", SOURCES::toString);
        r.add("chronoroute.agent.id", () -> AGENT);
        r.add("chronoroute.agent.master-url", () -> MASTER.url().toString());
        r.add("chronoroute.agent.enrollment-secret", () -> SECRET);
        r.add("chronoroute.agent.heartbeat-interval", () -> "300ms");
        r.add("chronoroute.agent.heartbeat-tick", () -> "100");
        r.add("chronoroute.agent.heartbeat-initial-delay", () -> "500");
        r.add("chronoroute.agent.max-backoff", () -> "1s");
        r.add(ENV, () -> PASSWORD); // as the environment variable would
    }

    @AfterAll
    static void stop() {
        MASTER.close();
        EWS.close();
    }

    @Autowired
    SourceRegistry registry;

    @Test
    @Order(1)
    void discoverListsTheCalendarAndWritesAFileWithoutThePassword() {
        assertThat(LISTING).contains("calendar").contains(" 2\n").contains("1 calendar(s)");
        assertThat(YAML).contains("routeTemplateRef: ews-source").contains("{{" + ENV + "}}")
                .doesNotContain(PASSWORD);
    }

    @Test
    @Order(2)
    void theSourceReachesTheMasterAndFollowsExchange() {
        await().atMost(WAIT).until(() -> MASTER.titles().equals(java.util.List.of("Dentist", "Lunch")));
        assertThat(registry.find("exchange")).get().satisfies(c -> {
            assertThat(c.provider()).isEqualTo("ews");
            assertThat(c.allowEventUpdates()).isTrue();
        });
        EWS.userEdit(DENTIST, "Subject", "Dentist (moved)");
        await().atMost(WAIT).until(() -> MASTER.titles().contains("Dentist (moved)"));
    }

    @Test
    @Order(3)
    void anEventUpdateFromTheMasterLandsInExchangeWithoutInvitations() {
        FakeMaster.Stored stored = MASTER.events().values().stream()
                .filter(s -> "uid-dentist".equals(s.event().path("uid").asText())).findFirst().orElseThrow();
        ObjectNode event = stored.event().deepCopy();
        event.put("title", "Dentist (from the master)");
        ObjectNode data = WireJson.mapper().createObjectNode();
        data.put("source", "exchange");
        data.put("action", "update");
        data.set("event", event);
        data.put("base_hash", stored.hash());
        MASTER.queueUpdate("upd-ews-1", "event_update", data);
        await().atMost(WAIT).until(() -> "Dentist (from the master)".equals(EWS.field(DENTIST, "Subject")));
        assertThat(EWS.journal().matching(e -> "UpdateItem".equals(e.operation())))
                .allMatch(e -> e.body().contains("SendMeetingInvitationsOrCancellations=\"SendToNone\""));
        await().atMost(WAIT).until(() -> !MASTER.isPending("upd-ews-1"));
        await().atMost(WAIT).until(() -> MASTER.titles().contains("Dentist (from the master)"));
    }
}
