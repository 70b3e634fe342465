package io.chronoroute.agent.heartbeat;

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

/** The heartbeat logic without Camel: replay after a restart, changes made while in flight, refused enrollment. */
class HeartbeatServiceTest {

    static final String AGENT = "hb-agent";

    @TempDir
    Path dir;
    final FakeMaster master;

    HeartbeatServiceTest() throws IOException {
        master = new FakeMaster("secret");
    }

    @AfterEach
    void stop() {
        master.close();
    }

    AgentProperties props(String secret) {
        return props(secret, Duration.ofMillis(100));
    }

    AgentProperties props(String secret, Duration interval) {
        return new AgentProperties(AGENT, "t", "test", master.url(), secret, interval,
                Duration.ofMillis(50), Duration.ofMillis(50), 5000, 20, Duration.ofSeconds(5), Duration.ofSeconds(5), "UTC");
    }

    HeartbeatService service(AgentState state, AgentProperties props, HeartbeatSchedule schedule) {
        return new HeartbeatService(state, new CredentialStore(state), new MasterClient(HttpClient.newHttpClient(), props),
                schedule, props, new SourceRegistry(), Clock.systemUTC());
    }

    HeartbeatService service(AgentState state) {
        AgentProperties p = props("secret");
        return service(state, p, new HeartbeatSchedule(p, Clock.systemUTC()));
    }

    static CalendarEvent event(String uid, String title) {
        return CalendarEvent.builder().uid(uid).title(title)
                .start(EventTime.ofInstant(Instant.parse("2025-06-10T07:00:00Z"), "UTC"))
                .origin(new Origin(AGENT, "src", "src", "src", "ics", "a.ics")).build();
    }

    void collect(AgentState state, CalendarEvent... events) {
        new ChangeCollector(state, props("secret")).collect(List.of(ChangeBatch.parsed("src", "a.ics",
                new ChangeBatch.Fingerprint(1, System.nanoTime(), Long.toHexString(System.nanoTime())), List.of(events))));
    }

    @Test
    void aBatchInFlightDuringACrashIsResentWithTheSameIdAndBodyAfterTheRestart() {
        String batchId;
        try (AgentState state = AgentState.open(dir)) {
            collect(state, event("u1", "One"), event("u2", "Two"));
            master.mode(FakeMaster.Mode.LOSE_NEXT_ANSWER);
            service(state).runCycle();
            batchId = state.<String>read(tx -> tx.inflight().batchId());
            assertThat(master.applyCount(batchId)).isEqualTo(1);
            assertThat(state.<Long>read(AgentState.Tx::outboxSize)).isEqualTo(2);
        }
        try (AgentState state = AgentState.open(dir)) {
            service(state).runCycle();

            assertThat(state.<Long>read(AgentState.Tx::outboxSize)).isZero();
            assertThat(state.<Object>read(AgentState.Tx::inflight)).isNull();
            List<FakeMaster.Heartbeat> carrying = master.heartbeats().stream().filter(h -> batchId.equals(h.batchId())).toList();
            assertThat(carrying).hasSize(2);
            assertThat(carrying.get(1).body()).isEqualTo(carrying.get(0).body());
            assertThat(carrying.get(1).replay()).isTrue();
            assertThat(master.applyCount(batchId)).isEqualTo(1);
            assertThat(master.titles()).containsExactly("One", "Two");
            assertThat(master.digest(AGENT)).isEqualTo(state.<String>read(tx -> tx.digest().toString()));
        }
    }

    @Test
    void aChangeCollectedWhileItsBatchWasInFlightIsSentAgain() {
        try (AgentState state = AgentState.open(dir)) {
            HeartbeatService hb = service(state);
            collect(state, event("u1", "First"));
            master.mode(FakeMaster.Mode.LOSE_NEXT_ANSWER);
            hb.runCycle();
            collect(state, event("u1", "Second"));

            hb.runCycle();

            assertThat(master.titles()).containsExactly("Second");
            assertThat(state.<Long>read(AgentState.Tx::outboxSize)).isZero();
            assertThat(master.digest(AGENT)).isEqualTo(state.<String>read(tx -> tx.digest().toString()));
            assertThat(state.<String>read(tx -> tx.ackedDigest().toString())).isEqualTo(master.digest(AGENT));
        }
    }

    @Test
    void aNoChangeHeartbeatCarriesNoBatchAndStaysSmall() {
        try (AgentState state = AgentState.open(dir)) {
            HeartbeatService hb = service(state);
            collect(state, event("u1", "One"));
            hb.runCycle();
            hb.runCycle();

            FakeMaster.Heartbeat last = master.heartbeats().get(master.heartbeats().size() - 1);
            assertThat(last.batchId()).isNull();
            assertThat(last.body().length()).isLessThanOrEqualTo(1024);
            assertThat(last.json().path("digest").asText()).isEqualTo(master.digest(AGENT));
        }
    }

    @Test
    void aDigestMismatchLeadsToAnInventoryAndTheResendOfWhatTheMasterLacks() {
        try (AgentState state = AgentState.open(dir)) {
            HeartbeatService hb = service(state);
            collect(state, event("u1", "One"), event("u2", "Two"));
            hb.runCycle();
            // the master lost its data: 404 → new registration; its view is empty → digest differs → inventory → resend
            master.wipe();
            hb.runCycle();

            assertThat(master.titles()).containsExactly("One", "Two");
            assertThat(master.heartbeats()).anyMatch(h -> h.json().has("inventory"));
            assertThat(master.digest(AGENT)).isEqualTo(state.<String>read(tx -> tx.digest().toString()));
        }
    }

    @Test
    void aRefusedEnrollmentSendsNothingAndBacksOff() {
        try (AgentState state = AgentState.open(dir)) {
            AgentProperties p = props("wrong-secret", Duration.ofMinutes(1));
            HeartbeatSchedule schedule = new HeartbeatSchedule(p, Clock.systemUTC());
            collect(state, event("u1", "One"));

            service(state, p, schedule).runCycle();

            assertThat(master.registrations()).hasSize(1);
            assertThat(master.heartbeats()).isEmpty();
            assertThat(schedule.isDue()).isFalse();
            assertThat(state.<Long>read(AgentState.Tx::outboxSize)).isEqualTo(1);
            assertThat(new CredentialStore(state).load()).isEmpty();
        }
    }
}
