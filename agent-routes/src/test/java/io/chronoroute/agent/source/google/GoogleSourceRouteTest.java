package io.chronoroute.agent.source.google;

import io.chronoroute.testsupport.google.FakeGoogleTokenEndpoint;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.chronoroute.agent.ChronorouteAgentApplication;
import io.chronoroute.agent.source.SourceRegistry;
import io.chronoroute.agent.state.AgentState;
import io.chronoroute.agent.state.StoredEvent;
import io.chronoroute.agent.update.UpdateDispatcher;
import io.chronoroute.testsupport.google.FakeGoogleCalendar;
import io.chronoroute.testsupport.google.GoogleWrite;
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
 * The agent (Spring Boot + Camel) with the shipped example {@code examples/agent/google.camel.yaml} instantiating the
 * {@code google-source} template against the fake Google: the secrets come from the environment placeholders, the
 * user's events arrive in the agent's state, an {@code event_update} from the master goes back to Google through
 * the {@link UpdateDispatcher} (sendUpdates=none), and no secret appears in the output.
 */
@CamelSpringBootTest
@SpringBootTest(classes = ChronorouteAgentApplication.class, webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT)
@DirtiesContext(classMode = DirtiesContext.ClassMode.AFTER_CLASS)
@ExtendWith(OutputCaptureExtension.class)
class GoogleSourceRouteTest {

    static final String SOURCE = "work-google";
    static final String CLIENT_ID = "route-client-7";
    static final String CLIENT_SECRET = "route-csecret-Hh71-never-logged";
    static final String REFRESH_TOKEN = "route-rtoken-Kk29-never-logged";
    static final Duration WAIT = Duration.ofSeconds(30);
    static final ObjectMapper JSON = new ObjectMapper();
    static final FakeGoogleCalendar FAKE;
    static final FakeGoogleTokenEndpoint TOKENS;
    static final Path ROOT;
    static final String UID;

    static {
        try {
            FAKE = FakeGoogleCalendar.builder().build().start();
            TOKENS = new FakeGoogleTokenEndpoint(CLIENT_ID, CLIENT_SECRET, REFRESH_TOKEN, null);
            ObjectNode e = JSON.createObjectNode().put("summary", "Quarterly review");
            e.putObject("start").put("dateTime", "2026-12-09T14:00:00+01:00").put("timeZone", "Europe/Berlin");
            e.putObject("end").put("dateTime", "2026-12-09T15:00:00+01:00").put("timeZone", "Europe/Berlin");
            UID = FAKE.userCreate(FAKE.primaryCalendarId(), e).get("iCalUID").asText();
            ROOT = Files.createTempDirectory("chronoroute-agent-google");
            Path sources = Files.createDirectories(ROOT.resolve("sources"));
            // the shipped example as it is, plus what only a test changes (the API and token endpoints, the interval)
            String example = Files.readString(Path.of("..", "src-routes-yaml", "examples", "agent", "google.camel.yaml"));
            Files.writeString(sources.resolve("google.camel.yaml"), example.stripTrailing() + "\n" + """
                          - name: rootUrl
                            value: "%s"
                          - name: tokenUri
                            value: "%s"
                          - name: interval
                            value: "300"
                    """.formatted(FAKE.baseUrl(), TOKENS.uri()));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    @DynamicPropertySource
    static void properties(DynamicPropertyRegistry r) {
        r.add("chronoroute.data-dir", () -> ROOT.resolve("data").toString());
        r.add("chronoroute.sources-dir", () -> ROOT.resolve("sources").toString());
        r.add("chronoroute.agent.id", () -> "google-agent");
        r.add("chronoroute.agent.master-url", () -> "http://127.0.0.1:9");
        r.add("chronoroute.agent.heartbeat-initial-delay", () -> "600000");
        r.add("CHRONOROUTE_GOOGLE_CLIENT_ID", () -> CLIENT_ID);
        r.add("CHRONOROUTE_GOOGLE_CLIENT_SECRET", () -> CLIENT_SECRET);
        r.add("CHRONOROUTE_GOOGLE_REFRESH_TOKEN", () -> REFRESH_TOKEN);
    }

    @AfterAll
    static void stop() {
        FAKE.close();
        TOKENS.close();
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
    void theExampleReadsGoogleAndTheMastersEditGoesBack(CapturedOutput output) {
        assertThat(camel.getRoute("agent-poll-google-work-google")).isNotNull();
        await().atMost(WAIT).until(() -> held().size() == 1);
        JsonNode event = held().get(0);
        assertThat(event.path("uid").asText()).isEqualTo(UID);
        assertThat(event.path("title").asText()).isEqualTo("Quarterly review");
        var sourceState = registry.stateOf(registry.find(SOURCE).orElseThrow());
        assertThat(sourceState.kind()).isEqualTo("google");
        assertThat(sourceState.writable()).isTrue();
        await().atMost(WAIT).until(() -> registry.stateOf(registry.find(SOURCE).orElseThrow()).cursorAt() != null);

        // a person edits the event in Google: the next poll brings it
        FAKE.userEditSummary(FAKE.primaryCalendarId(), FAKE.storedEvents(FAKE.primaryCalendarId()).get(0).get("id")
                .asText(), "Quarterly review (room 4)");
        await().atMost(WAIT).until(() -> held().get(0).path("title").asText().equals("Quarterly review (room 4)"));

        // the master's event_update (two-way): the title changed at the master
        ObjectNode wire = ((ObjectNode) held().get(0)).deepCopy().put("title", "Quarterly review (moved online)");
        ObjectNode update = JSON.createObjectNode().put("id", "upd-g-1").put("type", "event_update");
        update.putObject("data").put("source", SOURCE).put("action", "update").set("event", wire);
        assertThat(dispatcher.apply(update)).isEqualTo(UpdateDispatcher.Outcome.APPLIED);
        assertThat(FAKE.storedEvents(FAKE.primaryCalendarId()).get(0).get("summary").asText())
                .isEqualTo("Quarterly review (moved online)");
        assertThat(FAKE.writes()).extracting(GoogleWrite::sendUpdates).containsOnly("none");
        assertThat(held().get(0).path("title").asText()).isEqualTo("Quarterly review (moved online)");

        assertThat(output.getAll()).doesNotContain(CLIENT_SECRET).doesNotContain(REFRESH_TOKEN)
                .doesNotContain("Bearer at-");
    }

    /** The poll stops before the fake goes away (else the context's shutdown waits for a poll in backoff). */
    @AfterEach
    void stopPolling() throws Exception {
        camel.getRouteController().stopRoute("agent-poll-google-work-google");
    }
}
