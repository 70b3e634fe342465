package io.chronoroute.agent.heartbeat;

import io.chronoroute.agent.AgentProperties;
import io.chronoroute.agent.FakeMaster;
import io.chronoroute.agent.source.SourceRegistry;
import io.chronoroute.agent.state.AgentState;
import io.chronoroute.agent.state.CredentialStore;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.net.http.HttpClient;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * A registration is safe to repeat (issue #15): the agent commits its proposed credential before it sends, so when
 * the master committed the registration but the agent never stored the answer, the agent's retry carries the same
 * proof and gets in, without a 409 and without admin action.
 */
class RegistrationRetryTest {

    static final String AGENT = "retry-agent";

    @TempDir
    Path dir;
    final FakeMaster master;

    RegistrationRetryTest() throws IOException {
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

    HeartbeatService service(AgentState state, MasterClient client) {
        AgentProperties p = props();
        return new HeartbeatService(state, new CredentialStore(state), client, new HeartbeatSchedule(p, Clock.systemUTC()),
                p, new SourceRegistry(), Clock.systemUTC());
    }

    MasterClient client() {
        return new MasterClient(HttpClient.newHttpClient(), props());
    }

    @Test
    void agentKilledAfterSendingBeforeStoringTheAnswerGetsInAfterTheRestart() {
        MasterClient dying = new MasterClient(HttpClient.newHttpClient(), props()) {
            @Override
            public Answer register(String body, String credential) throws IOException {
                super.register(body, credential);
                throw new IllegalStateException("killed after sending, before storing the answer");
            }
        };
        try (AgentState state = AgentState.open(dir)) {
            assertThatThrownBy(() -> service(state, dying).runCycle()).hasMessageContaining("killed");
            assertThat(new CredentialStore(state).load()).isEmpty();
        }
        assertThat(master.credentialOf(AGENT)).as("the master committed the registration").isNotNull();

        try (AgentState state = AgentState.open(dir)) {
            service(state, client()).runCycle();

            CredentialStore credentials = new CredentialStore(state);
            assertThat(credentials.load()).contains(master.credentialOf(AGENT));
            assertThat(master.heartbeats()).isNotEmpty().allSatisfy(h -> assertThat(h.status()).isEqualTo(200));
            assertThat(master.registrations()).hasSize(2);
            assertThat(master.registrations().get(1).path("proposed_credential").asText())
                    .isEqualTo(master.registrations().get(0).path("proposed_credential").asText());
        }
    }

    @Test
    void registrationWhoseAnswerIsLostIsRetriedWithTheSameProof() {
        try (AgentState state = AgentState.open(dir)) {
            master.loseNextRegistrationAnswer();
            service(state, client()).runCycle();
            assertThat(new CredentialStore(state).load()).isEmpty();
            assertThat(master.credentialOf(AGENT)).isNotNull();

            service(state, client()).runCycle();

            assertThat(new CredentialStore(state).load()).contains(master.credentialOf(AGENT));
            assertThat(master.heartbeats()).isNotEmpty().allSatisfy(h -> assertThat(h.status()).isEqualTo(200));
        }
    }

    @Test
    void anAgentWithAStoredCredentialProposesItWhenTheMasterForgotIt() {
        try (AgentState state = AgentState.open(dir)) {
            HeartbeatService hb = service(state, client());
            hb.runCycle();
            String credential = new CredentialStore(state).load().orElseThrow();
            master.forget(AGENT);

            hb.runCycle();

            assertThat(new CredentialStore(state).load()).contains(credential);
            assertThat(master.credentialOf(AGENT)).isEqualTo(credential);
        }
    }
}
