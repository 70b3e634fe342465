package io.chronoroute.agent.source.graph;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.chronoroute.agent.ChronorouteAgentApplication;
import io.chronoroute.agent.source.SourceRegistry;
import io.chronoroute.agent.state.AgentState;
import io.chronoroute.agent.state.StoredEvent;
import io.chronoroute.agent.update.UpdateDispatcher;
import io.chronoroute.testsupport.graph.FakeGraph;
import org.apache.camel.CamelContext;
import org.apache.camel.test.spring.junit5.CamelSpringBootTest;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.boot.test.system.CapturedOutput;
import org.springframework.boot.test.system.OutputCaptureExtension;
import org.springframework.test.annotation.DirtiesContext;
import org.springframework.test.context.DynamicPropertyRegistry;
import org.springframework.test.context.DynamicPropertySource;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * The agent (Spring Boot + Camel) with the shipped example {@code examples/agent/graph.camel.yaml} instantiating the
 * {@code graph-source} template against the fake Graph: the secret comes from the environment placeholder, the
 * mailbox's events arrive in the agent's state, an {@code event_update} from the master goes back through the
 * {@link UpdateDispatcher}, and no secret appears in the output.
 */
@CamelSpringBootTest
@SpringBootTest(classes = ChronorouteAgentApplication.class, webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT)
@DirtiesContext(classMode = DirtiesContext.ClassMode.AFTER_CLASS)
@ExtendWith(OutputCaptureExtension.class)
class GraphSourceRouteTest {

    static final String SOURCE = "work-m365";
    static final String USER = "ada@contoso.example";
    static final String SECRET = "route-m365-secret-Tt83-never-logged";
    static final Duration WAIT = Duration.ofSeconds(30);
    static final ObjectMapper JSON = new ObjectMapper();
    static final FakeGraph GRAPH;
    static final Path ROOT;
    static final String UID;
    static final String CAL;

    static {
        try {
            GRAPH = FakeGraph.builder().client("route-m365-client", SECRET).build().start();
            GRAPH.addMailbox(USER);
            CAL = GRAPH.defaultCalendarId(USER);
            ObjectNode e = JSON.createObjectNode().put("subject", "Quarterly review");
            e.putObject("start").put("dateTime", "2026-12-09T14:00:00").put("timeZone", "W. Europe Standard Time");
            e.putObject("end").put("dateTime", "2026-12-09T15:00:00").put("timeZone", "W. Europe Standard Time");
            UID = GRAPH.userCreate(USER, CAL, e).get("iCalUId").asText();
            ROOT = Files.createTempDirectory("chronoroute-agent-graph");
            Path sources = Files.createDirectories(ROOT.resolve("sources"));
            String example = Files.readString(Path.of("..", "src-routes-yaml", "examples", "agent", "graph.camel.yaml"));
            Files.writeString(sources.resolve("graph.camel.yaml"), example.stripTrailing() + "\n" + """
                          - name: graphUrl
                            value: "%s"
                          - name: authorityUrl
                            value: "%s"
                          - name: interval
                            value: "300"
                    """.formatted(GRAPH.graphUrl(), GRAPH.authorityUrl()));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    @DynamicPropertySource
    static void properties(DynamicPropertyRegistry r) {
        r.add("chronoroute.data-dir", () -> ROOT.resolve("data").toString());
        r.add("chronoroute.sources-dir", () -> ROOT.resolve("sources").toString());
        r.add("chronoroute.agent.id", () -> "graph-agent");
        r.add("chronoroute.agent.master-url", () -> "http://127.0.0.1:9");
        r.add("chronoroute.agent.heartbeat-initial-delay", () -> "600000");
        r.add("CHRONOROUTE_GRAPH_CLIENT_ID", () -> "route-m365-client");
        r.add("CHRONOROUTE_GRAPH_CLIENT_SECRET", () -> SECRET);
    }

    @AfterAll
    static void stop() {
        GRAPH.close();
    }

    @Autowired
    CamelContext camel;
    @Autowired
    AgentState state;
    @Autowired
    SourceRegistry registry;
    @Autowired
    UpdateDispatcher dispatcher;

    List<JsonNode> held() {
        return state.read(tx -> {
            List<JsonNode> out = new ArrayList<>();
            tx.filesOf(SOURCE).values().forEach(f -> f.keys().forEach(k -> {
                StoredEvent e = tx.current(k);
                if (e != null) {
                    out.add(e.event());
                }
            }));
            return out;
        });
    }

    @Test
    void theExampleReadsMicrosoft365AndTheMastersEditGoesBack(CapturedOutput output) {
        assertThat(camel.getRoute("agent-poll-graph-work-m365")).isNotNull();
        await().atMost(WAIT).until(() -> held().size() == 1);
        JsonNode event = held().get(0);
        assertThat(event.path("uid").asText()).isEqualTo(UID);
        assertThat(event.path("title").asText()).isEqualTo("Quarterly review");
        var sourceState = registry.stateOf(registry.find(SOURCE).orElseThrow());
        assertThat(sourceState.kind()).isEqualTo("graph");
        assertThat(sourceState.writable()).isTrue();
        await().atMost(WAIT).until(() -> registry.stateOf(registry.find(SOURCE).orElseThrow()).cursorAt() != null);

        String id = GRAPH.storedEvents(USER, CAL).get(0).get("id").asText();
        GRAPH.userEdit(USER, id, JSON.createObjectNode().put("subject", "Quarterly review (room 4)"));
        await().atMost(WAIT).until(() -> held().get(0).path("title").asText().equals("Quarterly review (room 4)"));

        ObjectNode wire = ((ObjectNode) held().get(0)).deepCopy().put("title", "Quarterly review (moved online)");
        ObjectNode update = JSON.createObjectNode().put("id", "upd-m-1").put("type", "event_update");
        update.putObject("data").put("source", SOURCE).put("action", "update").set("event", wire);
        assertThat(dispatcher.apply(update)).isEqualTo(UpdateDispatcher.Outcome.APPLIED);
        assertThat(GRAPH.storedEvents(USER, CAL).get(0).get("subject").asText())
                .isEqualTo("Quarterly review (moved online)");
        assertThat(held().get(0).path("title").asText()).isEqualTo("Quarterly review (moved online)");
        assertThat(GRAPH.messagesSent()).isEmpty();
        // tokens as the fake issues them (at-/rt- and 16 characters), not any "at-" ("heartbeat-interval")
        assertThat(output.getAll()).doesNotContain(SECRET)
                .doesNotContainPattern("(?<![A-Za-z0-9])(at|rt)-[A-Za-z0-9_-]{16}");
    }

    @AfterEach
    void stopPolling() throws Exception {
        camel.getRouteController().stopRoute("agent-poll-graph-work-m365");
    }
}
