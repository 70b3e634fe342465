package io.chronoroute.agent.status;

import io.chronoroute.agent.AgentProperties;
import io.chronoroute.agent.FakeMaster;
import io.chronoroute.agent.heartbeat.HeartbeatSchedule;
import io.chronoroute.agent.heartbeat.HeartbeatService;
import io.chronoroute.agent.heartbeat.MasterClient;
import io.chronoroute.agent.source.SourceRegistry;
import io.chronoroute.agent.state.AgentState;
import io.chronoroute.agent.state.CredentialStore;
import io.chronoroute.agent.transport.HeartbeatTransport;
import io.chronoroute.agent.transport.HttpTransport;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.springframework.boot.actuate.health.Health;
import org.springframework.boot.actuate.health.Status;

import java.io.IOException;
import java.net.http.HttpClient;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneId;
import java.time.ZoneOffset;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicBoolean;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Issue #15: a dead heartbeat must not leave a live-looking agent. An Error in the heartbeat's work (here injected
 * into its transport) is caught - so it cannot kill the timer thread - and turns the "agent" health component DOWN
 * until a cycle runs through again; a heartbeat timer that stopped ticking turns it DOWN too. The clock is driven by
 * the test: no sleeps.
 */
class AgentHealthTest {

    @TempDir
    Path dir;
    final FakeMaster master;
    final MutableClock clock = new MutableClock(Instant.parse("2026-12-01T10:00:00Z"));

    AgentHealthTest() throws IOException {
        master = new FakeMaster("secret");
    }

    @AfterEach
    void stop() {
        master.close();
    }

    AgentProperties props() {
        return new AgentProperties("health-agent", "t", "test", master.url(), "secret", Duration.ofSeconds(30),
                Duration.ofSeconds(1), Duration.ofMillis(50), 5000, 20, Duration.ofSeconds(5), Duration.ofSeconds(5), "UTC");
    }

    @Test
    void anErrorInTheHeartbeatTurnsHealthDownUntilACycleRunsThrough() {
        try (AgentState state = AgentState.open(dir)) {
            AgentProperties p = props();
            HeartbeatSchedule schedule = new HeartbeatSchedule(p, clock);
            MasterClient client = new MasterClient(HttpClient.newHttpClient(), p);
            AtomicBoolean fail = new AtomicBoolean(true);
            HeartbeatTransport http = new HttpTransport(client);
            HeartbeatTransport failing = new HeartbeatTransport() {
                @Override
                public Optional<MasterClient.Answer> send(String agentId, String credential, String batchId, String body)
                        throws IOException {
                    if (fail.get()) {
                        throw new StackOverflowError("injected failure");
                    }
                    return http.send(agentId, credential, batchId, body);
                }

                @Override
                public boolean http() {
                    return true;
                }

                @Override
                public String describe() {
                    return http.describe();
                }
            };
            CredentialStore credentials = new CredentialStore(state);
            HeartbeatService hb = new HeartbeatService(state, credentials, client, schedule, p, new SourceRegistry(),
                    clock, failing);
            AgentHealthIndicator health = new AgentHealthIndicator(state, hb, new SourceRegistry(), credentials,
                    schedule, p, clock, 3);
            schedule.isDue();

            hb.runCycle(); // the Error does not escape to the timer thread

            Health h = health.health();
            assertThat(h.getStatus()).isEqualTo(Status.DOWN);
            assertThat(h.getDetails().get("heartbeatError").toString())
                    .contains("StackOverflowError").contains("injected failure");

            fail.set(false);
            hb.runCycle();

            h = health.health();
            assertThat(h.getStatus()).isEqualTo(Status.UP);
            assertThat(h.getDetails()).doesNotContainKey("heartbeatError");
            assertThat(master.heartbeats()).isNotEmpty();
        }
    }

    @Test
    void aHeartbeatTimerThatStoppedTickingTurnsHealthDown() {
        try (AgentState state = AgentState.open(dir)) {
            AgentProperties p = props();
            HeartbeatSchedule schedule = new HeartbeatSchedule(p, clock);
            MasterClient client = new MasterClient(HttpClient.newHttpClient(), p);
            CredentialStore credentials = new CredentialStore(state);
            HeartbeatService hb = new HeartbeatService(state, credentials, client, schedule, p, new SourceRegistry(),
                    clock);
            AgentHealthIndicator health = new AgentHealthIndicator(state, hb, new SourceRegistry(), credentials,
                    schedule, p, clock, 3);
            schedule.isDue();
            // 3 intervals of 30 s plus the 5 s request timeout may pass
            clock.advance(Duration.ofSeconds(95));
            assertThat(health.health().getStatus()).isEqualTo(Status.UP);

            clock.advance(Duration.ofSeconds(1));
            Health h = health.health();
            assertThat(h.getStatus()).isEqualTo(Status.DOWN);
            assertThat(h.getDetails().get("heartbeatStale").toString()).contains("has not run since");

            schedule.isDue(); // the timer ticks again
            assertThat(health.health().getStatus()).isEqualTo(Status.UP);
        }
    }

    /** A clock the test moves. */
    static final class MutableClock extends Clock {
        private volatile Instant now;

        MutableClock(Instant start) {
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
