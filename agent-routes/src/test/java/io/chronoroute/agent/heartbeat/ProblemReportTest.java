package io.chronoroute.agent.heartbeat;

import com.fasterxml.jackson.databind.JsonNode;
import io.chronoroute.agent.AgentProperties;
import io.chronoroute.agent.FakeMaster;
import io.chronoroute.agent.collect.ChangeBatch;
import io.chronoroute.agent.collect.ChangeCollector;
import io.chronoroute.agent.source.SourceRegistry;
import io.chronoroute.agent.state.AgentState;
import io.chronoroute.agent.state.CredentialStore;
import io.chronoroute.processors.model.CalendarEvent;
import io.chronoroute.processors.model.EventTime;
import io.chronoroute.processors.model.Origin;
import io.chronoroute.processors.problem.InputProblem;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.net.http.HttpClient;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The agent's side of per-event rejection and of the problem list: events the master lists in a 200 answer's
 * {@code rejected} are set aside (not acknowledged, not re-sent until they change, left out of the inventory), and
 * the problems of its files, skipped files and refused events reach the master in the heartbeat's {@code problems}
 * field, once per change of the list.
 */
class ProblemReportTest {

    static final String AGENT = "problem-agent";

    @TempDir
    Path dir;
    final FakeMaster master;

    ProblemReportTest() throws IOException {
        master = new FakeMaster("secret");
    }

    @AfterEach
    void stop() {
        master.close();
    }

    AgentProperties props() {
        return new AgentProperties(AGENT, "t", "test", master.url(), "secret", Duration.ofMillis(100),
                Duration.ofMillis(50), Duration.ofMillis(50), 5000, 20, Duration.ofSeconds(5), Duration.ofSeconds(5), "UTC");
    }

    HeartbeatService service(AgentState state) {
        AgentProperties p = props();
        return new HeartbeatService(state, new CredentialStore(state), new MasterClient(HttpClient.newHttpClient(), p),
                new HeartbeatSchedule(p, Clock.systemUTC()), p, new SourceRegistry(), Clock.systemUTC());
    }

    static CalendarEvent event(String uid, String title) {
        return CalendarEvent.builder().uid(uid).title(title)
                .start(EventTime.ofInstant(Instant.parse("2025-06-10T07:00:00Z"), "UTC"))
                .origin(new Origin(AGENT, "src", "src", "src", "ics", "a.ics")).build();
    }

    void collect(AgentState state, ChangeBatch... batches) {
        new ChangeCollector(state, props()).collect(List.of(batches));
    }

    static ChangeBatch parsed(CalendarEvent... events) {
        return ChangeBatch.parsed("src", "a.ics",
                new ChangeBatch.Fingerprint(1, System.nanoTime(), Long.toHexString(System.nanoTime())), List.of(events));
    }

    @Test
    void eventsTheMasterRefusesAreSetAsideAndTheRestIsAcknowledged() {
        try (AgentState state = AgentState.open(dir)) {
            HeartbeatService hb = service(state);
            master.refuseUid("bad");
            collect(state, parsed(event("good", "Good"), event("bad", "Bad"), event("good2", "Good too")));

            hb.runCycle();
            hb.runCycle();
            hb.runCycle();

            assertThat(master.titles()).containsExactly("Good", "Good too");
            assertThat(state.<Long>read(AgentState.Tx::outboxSize)).isZero();
            assertThat(state.<Long>read(AgentState.Tx::rejectedSize)).isEqualTo(1);
            assertThat(state.<String>read(tx -> tx.ackedDigest().toString())).isEqualTo(master.digest(AGENT));
            // the refused event was sent once: no resend, no inventory, no loop
            assertThat(master.heartbeats().stream().filter(h -> h.body().contains("\"Bad\""))).hasSize(1);
            assertThat(master.heartbeats().stream().filter(h -> h.json().has("inventory"))).isEmpty();

            JsonNode problems = master.problems(AGENT);
            assertThat(problems.path("total").asInt()).isEqualTo(1);
            JsonNode item = problems.path("items").get(0);
            assertThat(item.path("kind").asText()).isEqualTo("EVENT_REJECTED");
            assertThat(item.path("uid").asText()).isEqualTo("bad");
            assertThat(item.path("source").asText()).isEqualTo("src");
            assertThat(item.path("property").asText()).matches("changed\\[\\d+]\\.title");
            assertThat(item.path("message").asText()).contains("refused by the test");

            // once the event changes, it is sent again (and here accepted)
            master.refuseUid("none");
            collect(state, parsed(event("good", "Good"), event("bad", "Bad, fixed"), event("good2", "Good too")));
            assertThat(state.<Long>read(AgentState.Tx::rejectedSize)).isZero();
        }
    }

    @Test
    void fileProblemsReachTheMasterOncePerChange() {
        try (AgentState state = AgentState.open(dir)) {
            HeartbeatService hb = service(state);
            collect(state, parsed(event("u1", "One")), ChangeBatch.failed("src", "broken.ics", "not iCalendar: line 3"));
            state.write(tx -> {
                tx.putProblems("src", "a.ics", List.of(new InputProblem(InputProblem.Kind.REPAIRED, "src", "a.ics", 7,
                        "u1", null, "CLASS", "empty CLASS: left out")));
                return null;
            });

            hb.runCycle();
            hb.runCycle();
            hb.runCycle();

            JsonNode problems = master.problems(AGENT);
            assertThat(problems.path("total").asInt()).isEqualTo(2);
            assertThat(problems.path("counts").path("REPAIRED").asInt()).isEqualTo(1);
            assertThat(problems.path("counts").path("FILE_REJECTED").asInt()).isEqualTo(1);
            assertThat(problems.path("items").toString()).contains("\"file\":\"broken.ics\"")
                    .contains("not iCalendar: line 3").contains("\"line\":7").contains("\"property\":\"CLASS\"");
            assertThat(master.heartbeats().stream().filter(h -> h.json().has("problems"))).hasSize(1);

            collect(state, ChangeBatch.removed("src", "broken.ics"));
            hb.runCycle();
            hb.runCycle();

            assertThat(master.problems(AGENT).path("total").asInt()).isEqualTo(1);
            assertThat(master.heartbeats().stream().filter(h -> h.json().has("problems"))).hasSize(2);
        }
    }

    @Test
    void anEventTheMastersReaderWouldRefuseIsNotSentAndIsReported() {
        try (AgentState state = AgentState.open(dir)) {
            HeartbeatService hb = service(state);
            collect(state, parsed(event("u1", "One"), event("series", "Weekly")));
            hb.runCycle();
            assertThat(master.titles()).containsExactly("One", "Weekly");

            CalendarEvent broken = CalendarEvent.builder().uid("series").title("Weekly")
                    .start(EventTime.ofInstant(Instant.parse("2025-06-10T07:00:00Z"), "UTC"))
                    .rrules(List.of("FREQ=SOMETIMES"))
                    .origin(new Origin(AGENT, "src", "src", "src", "ics", "a.ics")).build();
            collect(state, parsed(event("u1", "One"), broken));
            hb.runCycle();
            hb.runCycle();

            // left out like an event the reader rejects: its earlier version is deleted, its refusal kept and shown
            assertThat(master.titles()).containsExactly("One");
            assertThat(state.<Long>read(AgentState.Tx::rejectedSize)).isEqualTo(1);
            assertThat(master.digest(AGENT)).isEqualTo(state.<String>read(tx -> tx.digest().toString()));
            JsonNode item = master.problems(AGENT).path("items").get(0);
            assertThat(item.path("kind").asText()).isEqualTo("EVENT_REJECTED");
            assertThat(item.path("uid").asText()).isEqualTo("series");
            assertThat(item.path("property").asText()).isEqualTo("rrule[0]");
            assertThat(item.path("message").asText()).contains("FREQ=SOMETIMES");
        }
    }
}
