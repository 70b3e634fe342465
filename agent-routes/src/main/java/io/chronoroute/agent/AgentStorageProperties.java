package io.chronoroute.agent;

import org.springframework.boot.context.properties.ConfigurationProperties;
import org.springframework.boot.context.properties.bind.DefaultValue;

import java.nio.file.Path;

/**
 * Where the agent keeps its files.
 *
 * @param dataDir    {@code chronoroute.data-dir}: {@code agent.mv.db} (MVStore) and {@code credential} (owner-only)
 * @param sourcesDir {@code chronoroute.sources-dir}: one {@code *.camel.yaml} per source (loaded through
 *                   {@code camel.main.routes-include-pattern}); created when missing, so an agent without sources starts
 */
@ConfigurationProperties("chronoroute")
public record AgentStorageProperties(@DefaultValue("./chronoroute-data/agent") Path dataDir,
                                     @DefaultValue("./sources") Path sourcesDir) {
}
