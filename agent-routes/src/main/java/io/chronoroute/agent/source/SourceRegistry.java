package io.chronoroute.agent.source;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.stereotype.Component;

import java.util.Collection;
import java.time.Instant;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The sources running in this agent. Each source route registers its configuration on every poll (the first poll
 * runs right after start), so the update dispatcher can route a master update to the source it names.
 */
@Component
public class SourceRegistry {

    private static final Logger LOG = LoggerFactory.getLogger(SourceRegistry.class);
    private final Map<String, SourceConfig> sources = new ConcurrentHashMap<>();
    private final Map<String, Instant> lastRead = new ConcurrentHashMap<>();

    public void register(SourceConfig config) {
        SourceConfig previous = sources.put(config.name(), config);
        if (previous == null) {
            LOG.info("Source '{}' active: folder {}, zone {}, event updates from the master {}", config.name(),
                    config.folder(), config.zone(), config.allowEventUpdates() ? "allowed" : "not allowed");
        } else if (!previous.equals(config)) {
            LOG.warn("Source '{}' re-registered with a different configuration: {} (was {})", config.name(), config, previous);
        }
    }

    /** The source's folder (or Events tree) was read successfully at {@code at} (a poll, changes or not). */
    public void markRead(String name, Instant at) {
        lastRead.put(name, at);
    }

    /** When the source was last read successfully since the agent started; null when not yet. */
    public Instant lastRead(String name) {
        return lastRead.get(name);
    }

    public Optional<SourceConfig> find(String name) {
        return name == null ? Optional.empty() : Optional.ofNullable(sources.get(name));
    }

    public Collection<SourceConfig> all() {
        return sources.values();
    }
}
