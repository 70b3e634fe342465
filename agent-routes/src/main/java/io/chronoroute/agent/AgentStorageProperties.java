package io.chronoroute.agent;

import org.springframework.boot.context.properties.ConfigurationProperties;
import org.springframework.boot.context.properties.bind.DefaultValue;

import java.nio.file.Path;

/**
 * Where the agent keeps its durable state ({@code chronoroute.data-dir}): {@code agent.mv.db} (MVStore) and
 * {@code credential} (owner-only permissions).
 */
@ConfigurationProperties("chronoroute")
public record AgentStorageProperties(@DefaultValue("./chronoroute-data/agent") Path dataDir) {
}
