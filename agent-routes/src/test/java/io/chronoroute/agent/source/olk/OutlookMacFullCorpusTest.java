package io.chronoroute.agent.source.olk;

import io.chronoroute.agent.ChronorouteAgentApplication;
import io.chronoroute.agent.FakeMaster;
import io.chronoroute.agent.state.AgentState;
import io.chronoroute.olk15.fixture.CorpusGenerator;
import io.chronoroute.olk15.fixture.CorpusSummary;
import org.apache.camel.CamelContext;
import org.apache.camel.builder.NotifyBuilder;
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

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * The seed's headline corpus (SYNTHETIC, {@code CorpusGenerator.generate(root, seed, 9_095, 256)}) through the whole
 * agent to an in-test master: all 9,095 records arrive, masters with their RRULE and exceptions as overrides of
 * the master's UID; the Outlook.sqlite cross-check finds nothing; a rescan sends nothing; nothing is written in
 * Outlook's folder.
 */
@CamelSpringBootTest
@SpringBootTest(classes = ChronorouteAgentApplication.class, webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT)
@DirtiesContext(classMode = DirtiesContext.ClassMode.AFTER_CLASS)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class OutlookMacFullCorpusTest {

    static final String SOURCE = "outlook-full";
    static final String ROUTE = "agent-poll-olk-" + SOURCE;
    static final String SECRET = "olk-full-secret";
    static final Duration WAIT = Duration.ofSeconds(180);
    static final Path ROOT;
    static final Path PROFILE;
    static final Path SOURCES;
    static final Path DATA;
    static final CorpusSummary CORPUS;
    static final FakeMaster MASTER;
    static final Map<String, String> BEFORE;

    static {
        try {
            ROOT = Files.createTempDirectory("chronoroute-olk-full");
            PROFILE = ROOT.resolve("Outlook 15 Profiles/Main Profile");
            CORPUS = CorpusGenerator.generate(PROFILE, 9095L, 9_095, 256);
            SOURCES = Files.createDirectories(ROOT.resolve("sources"));
            DATA = ROOT.resolve("agent-data");
            Files.writeString(SOURCES.resolve("outlook.camel.yaml"), """
                    - templatedRoute:
                        routeTemplateRef: outlook-mac-source
                        routeId: %s
                        parameters:
                          - name: sourceName
                            value: %s
                          - name: eventsDir
                            value: "%s"
                          - name: sqlitePath
                            value: "%s"
                          - name: timeZone
                            value: Europe/Berlin
                          - name: pollDelay
                            value: "300"
                          - name: settleTime
                            value: "300"
                    """.formatted(ROUTE, SOURCE, CORPUS.eventsDir(), CORPUS.sqlitePath()), StandardCharsets.UTF_8);
            BEFORE = OlkAgentTestSupport.snapshot(PROFILE);
            MASTER = new FakeMaster(SECRET);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    @DynamicPropertySource
    static void properties(DynamicPropertyRegistry r) {
        r.add("chronoroute.data-dir", DATA::toString);
        r.add("chronoroute.sources-dir", SOURCES::toString);
        r.add("chronoroute.agent.id", () -> "olk-full-agent");
        r.add("chronoroute.agent.master-url", () -> MASTER.url().toString());
        r.add("chronoroute.agent.enrollment-secret", () -> SECRET);
        r.add("chronoroute.agent.heartbeat-interval", () -> "300ms");
        r.add("chronoroute.agent.heartbeat-tick", () -> "100");
        r.add("chronoroute.agent.heartbeat-initial-delay", () -> "500");
        r.add("chronoroute.agent.max-backoff", () -> "1s");
    }

    @AfterAll
    static void stopMaster() {
        MASTER.close();
    }

    @Autowired
    CamelContext camel;
    @Autowired
    AgentState state;
    @Autowired
    OutlookMacHealthIndicator outlookHealth;

    @Test
    @Order(1)
    void all9095EventsArriveAsSeriesWithOverrides() throws IOException {
        assertThat(CORPUS.events()).isEqualTo(9_095);
        assertThat(CORPUS.accounts()).isEqualTo(256);
        Set<String> expected = OlkAgentTestSupport.expectedRecords(CORPUS.eventsDir(), rel -> true);
        assertThat(expected).hasSize(9_095);

        await().atMost(WAIT).until(() -> MASTER.events().size() >= 9_095);
        await().atMost(WAIT).until(() -> state.<Long>read(AgentState.Tx::outboxSize) == 0);

        assertThat(OlkAgentTestSupport.receivedRecords(MASTER)).isEqualTo(expected);
        long[] shape = OlkAgentTestSupport.seriesShape(MASTER);
        assertThat(shape[0]).isEqualTo(CORPUS.recurringMasters());
        assertThat(shape[1]).isEqualTo(CORPUS.exceptions());
        @SuppressWarnings("unchecked")
        Map<String, Object> status = (Map<String, Object>) outlookHealth.health().getDetails().get(SOURCE);
        assertThat(status.get("databaseMismatchFiles")).isEqualTo(0);
        assertThat(status.get("skippedFiles")).isEqualTo(0);
        assertThat(status.get("filesIndexed")).isEqualTo(9_095);
    }

    @Test
    @Order(2)
    void aRescanSendsNothingAndWritesNothing() {
        int before = MASTER.heartbeats().size();
        NotifyBuilder polls = new NotifyBuilder(camel).fromRoute(ROUTE).whenCompleted(3).create();

        assertThat(polls.matches(WAIT.toSeconds(), TimeUnit.SECONDS)).isTrue();
        await().atMost(WAIT).until(() -> MASTER.heartbeats().size() > before + 1);

        List<FakeMaster.Heartbeat> since = MASTER.heartbeats().subList(before, MASTER.heartbeats().size());
        assertThat(since).allSatisfy(h -> {
            assertThat(h.json().path("changed").size()).isZero();
            assertThat(h.json().path("deleted").size()).isZero();
        });
        assertThat(OlkAgentTestSupport.snapshot(PROFILE)).isEqualTo(BEFORE);
    }
}
