package io.chronoroute.agent;

import io.chronoroute.agent.state.AgentState;
import io.chronoroute.agent.state.CredentialStore;
import io.chronoroute.agent.state.StateFileIdempotentRepository;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.http.HttpClient;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;

/** The agent's infrastructure beans: the durable state, the credential store, the file repository, HTTP client. */
@Configuration(proxyBeanMethods = false)
public class AgentConfiguration {

    private static final Logger LOG = LoggerFactory.getLogger(AgentConfiguration.class);

    /** The folder of source definitions as a bean. */
    public record SourcesFolder(Path path) {
    }

    /**
     * Creates the sources folder when missing: Camel resolves {@code file:<sources-dir>/*.camel.yaml} when the context
     * is refreshed (after all singletons exist) and fails on a folder that does not exist.
     */
    @Bean
    public SourcesFolder sourcesFolder(AgentStorageProperties storage) {
        Path dir = storage.sourcesDir().toAbsolutePath().normalize();
        try {
            Files.createDirectories(dir);
            try (var files = Files.list(dir)) {
                long n = files.filter(f -> f.getFileName().toString().endsWith(".camel.yaml")).count();
                LOG.info("Sources are defined in {} ({} *.camel.yaml file(s))", dir, n);
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot create the sources folder " + dir, e);
        }
        return new SourcesFolder(dir);
    }

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
