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
import java.net.ConnectException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpConnectTimeoutException;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneId;
import java.time.ZoneOffset;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * A master that is not ready (503 while it starts, connection refused while it is down or restarting) is retried
 * within seconds, not after a whole interval or back-off; the agent keeps its state and does not try to register on
 * a 503. Time is moved by hand: no sleeping, no timing asserts.
 */
class MasterNotReadyTest {

    static final String AGENT = "nr-agent";
    static final Duration INTERVAL = Duration.ofMinutes(1);

    @TempDir
    Path dir;
    final FakeMaster master;
    final HandClock clock = new HandClock(Instant.parse("2026-12-01T08:00:00Z"));

    MasterNotReadyTest() throws IOException {
        master = new FakeMaster("secret");
    }

    @AfterEach
    void stop() {
        master.close();
    }

    AgentProperties props(URI url) {
        return new AgentProperties(AGENT, "t", "test", url, "secret", INTERVAL, Duration.ofMillis(50),
                Duration.ofMillis(50), 5000, 20, Duration.ofSeconds(5), Duration.ofMinutes(10), "UTC");
    }

    HeartbeatService service(AgentState state, AgentProperties p, HeartbeatSchedule schedule) {
        return new HeartbeatService(state, new CredentialStore(state), new MasterClient(HttpClient.newHttpClient(), p),
                schedule, p, new SourceRegistry(), clock);
    }

    void collect(AgentState state, String uid) {
        CalendarEvent e = CalendarEvent.builder().uid(uid).title(uid)
                .start(EventTime.ofInstant(Instant.parse("2026-12-10T07:00:00Z"), "UTC"))
                .origin(new Origin(AGENT, "src", "src", "src", "ics", "a.ics")).build();
        new ChangeCollector(state, props(master.url())).collect(List.of(ChangeBatch.parsed("src", "a.ics",
                new ChangeBatch.Fingerprint(1, System.nanoTime(), Long.toHexString(System.nanoTime())), List.of(e))));
    }

    @Test
    void a503ToTheRegistrationIsRetriedWithinSecondsAndDeliversOnceTheMasterIsReady() {
        try (AgentState state = AgentState.open(dir)) {
            AgentProperties p = props(master.url());
            HeartbeatSchedule schedule = new HeartbeatSchedule(p, clock);
            HeartbeatService hb = service(state, p, schedule);
            collect(state, "u1");
            master.mode(FakeMaster.Mode.DOWN); // answers 503 to everything, as a starting master does

            hb.runCycle();
            assertThat(schedule.isDue()).isFalse();
            clock.advance(Duration.ofSeconds(1));
            assertThat(schedule.isDue()).as("retried after 1 s, not after the 1 min interval").isTrue();
            hb.runCycle();
            clock.advance(Duration.ofSeconds(1));
            assertThat(schedule.isDue()).isFalse();
            clock.advance(Duration.ofSeconds(1));
            assertThat(schedule.isDue()).as("then after 2 s").isTrue();
            assertThat(hb.masterReachable()).isFalse();
            assertThat(hb.currentProblem()).contains("not ready");
            assertThat(state.<Long>read(AgentState.Tx::outboxSize)).isEqualTo(1);
            assertThat(new CredentialStore(state).load()).isEmpty();

            master.mode(FakeMaster.Mode.UP);
            hb.runCycle();

            assertThat(master.registrations()).hasSize(1);
            assertThat(master.titles()).containsExactly("u1");
            assertThat(state.<Long>read(AgentState.Tx::outboxSize)).isZero();
            assertThat(hb.currentProblem()).isNull();
            assertThat(schedule.isDue()).isFalse();
            clock.advance(INTERVAL);
            assertThat(schedule.isDue()).as("back to the normal interval").isTrue();
        }
    }

    @Test
    void a503ToAHeartbeatKeepsTheBatchAndDoesNotRegisterAgain() {
        try (AgentState state = AgentState.open(dir)) {
            AgentProperties p = props(master.url());
            HeartbeatSchedule schedule = new HeartbeatSchedule(p, clock);
            HeartbeatService hb = service(state, p, schedule);
            hb.runCycle(); // registered, first heartbeat acknowledged
            assertThat(master.registrations()).hasSize(1);
            collect(state, "u2");
            master.mode(FakeMaster.Mode.DOWN);
            clock.advance(INTERVAL);

            hb.runCycle();

            assertThat(master.heartbeats().get(master.heartbeats().size() - 1).status()).isEqualTo(503);
            String batch = state.<String>read(tx -> tx.inflight().batchId());
            clock.advance(Duration.ofSeconds(1));
            assertThat(schedule.isDue()).isTrue();
            master.mode(FakeMaster.Mode.UP);
            hb.runCycle();

            assertThat(master.registrations()).as("503 is not 'unknown agent'").hasSize(1);
            assertThat(master.applyCount(batch)).isEqualTo(1);
            assertThat(master.titles()).containsExactly("u2");
        }
    }

    @Test
    void aRefusedConnectionIsRetriedSoonAndAfterTheWindowTheNormalIntervalApplies() throws IOException {
        URI closed;
        try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            closed = URI.create("http://127.0.0.1:" + s.getLocalPort());
        }
        try (AgentState state = AgentState.open(dir)) {
            AgentProperties p = props(closed);
            HeartbeatSchedule schedule = new HeartbeatSchedule(p, clock);
            HeartbeatService hb = service(state, p, schedule);
            collect(state, "u3");

            hb.runCycle();
            clock.advance(Duration.ofSeconds(1));
            assertThat(schedule.isDue()).isTrue();
            assertThat(hb.currentProblem()).contains("not ready").contains("ConnectException");
            // retries grow to at most 5 s apart
            for (int i = 0; i < 6; i++) {
                hb.runCycle();
                clock.advance(Duration.ofSeconds(5));
                assertThat(schedule.isDue()).isTrue();
            }
            assertThat(state.<Long>read(AgentState.Tx::outboxSize)).isEqualTo(1);

            clock.advance(HeartbeatSchedule.NOT_READY_WINDOW);
            hb.runCycle();
            assertThat(hb.currentProblem()).startsWith("Master unavailable");
            clock.advance(Duration.ofSeconds(5));
            assertThat(schedule.isDue()).as("an outage longer than the window backs off as before").isFalse();
        }
    }

    @Test
    void onlyRefusedOrResetConnectionsCountAsNotReady() {
        assertThat(HeartbeatService.refusedOrReset(new ConnectException())).isTrue();
        assertThat(HeartbeatService.refusedOrReset(new IOException("Connection reset"))).isTrue();
        assertThat(HeartbeatService.refusedOrReset(new IOException("HTTP/1.1 header parser received no bytes"))).isTrue();
        assertThat(HeartbeatService.refusedOrReset(new HttpConnectTimeoutException("connect timed out"))).isFalse();
        assertThat(HeartbeatService.refusedOrReset(new IOException("something else"))).isFalse();
    }

    static final class HandClock extends Clock {
        private volatile Instant now;

        HandClock(Instant start) {
            now = start;
        }

        void advance(Duration d) {
            now = now.plus(d);
        }

        @Override
        public ZoneId getZone() {
            return ZoneOffset.UTC;
        }

        @Override
        public Clock withZone(ZoneId zone) {
            return this;
        }

        @Override
        public Instant instant() {
            return now;
        }
    }
}
