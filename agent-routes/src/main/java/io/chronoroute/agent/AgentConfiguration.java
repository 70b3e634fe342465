package io.chronoroute.agent;

import io.chronoroute.agent.state.AgentState;
import io.chronoroute.agent.state.CredentialStore;
import io.chronoroute.agent.state.StateFileIdempotentRepository;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;

import java.net.http.HttpClient;
import java.time.Clock;
import java.time.Duration;

/** The agent's infrastructure beans: the durable state, the credential store, the file repository, HTTP client. */
@Configuration(proxyBeanMethods = false)
public class AgentConfiguration {

    @Bean(destroyMethod = "close")
    public AgentState agentState(AgentStorageProperties storage) {
        return AgentState.open(storage.dataDir());
    }

    @Bean
    public CredentialStore credentialStore(AgentState state) {
        return new CredentialStore(state);
    }

    /** Referenced by the source templates as {@code idempotentRepository=#agentFileRepository}. */
    @Bean
    public StateFileIdempotentRepository agentFileRepository(AgentState state) {
        return new StateFileIdempotentRepository(state);
    }

    @Bean
    public HttpClient agentHttpClient() {
        return HttpClient.newBuilder()
                .connectTimeout(Duration.ofSeconds(10))
                .followRedirects(HttpClient.Redirect.NEVER)
                .build();
    }

    @Bean
    public Clock agentClock() {
        return Clock.systemUTC();
    }
}
