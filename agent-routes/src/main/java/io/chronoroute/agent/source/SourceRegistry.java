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
 * runs right after start), so the update dispatcher can route a master update to the source it names. Each kind of
 * source ({@link CalendarSource}) announces itself here once ({@link #addKind}), so a source's configuration leads to
 * the bean that reads, writes and reports it ({@link #implementationOf}) without the callers knowing the classes.
 */
@Component
public class SourceRegistry {

    private static final Logger LOG = LoggerFactory.getLogger(SourceRegistry.class);
    private final Map<String, SourceConfig> sources = new ConcurrentHashMap<>();
    private final Map<String, Instant> lastRead = new ConcurrentHashMap<>();
    private final Map<String, CalendarSource> kinds = new ConcurrentHashMap<>();

    /** A kind of source is available (its bean calls this when it is created). */
    public void addKind(CalendarSource kind) {
        kinds.put(kind.kind(), kind);
    }

    /** The bean serving this source's kind; empty for a kind this agent does not run. */
    public Optional<CalendarSource> implementationOf(SourceConfig config) {
        return config == null || config.provider() == null ? Optional.empty()
                : Optional.ofNullable(kinds.get(config.provider()));
    }

    /** The source's state from its kind; a source of a kind not known here is reported as such. */
    public CalendarSource.SourceState stateOf(SourceConfig config) {
        return implementationOf(config).map(k -> k.state(config)).orElseGet(() -> new CalendarSource.SourceState(
                config.provider(), false, "no source of kind '" + config.provider() + "' in this agent",
                lastRead(config.name()), null, null));
    }

    public void register(SourceConfig config) {
        SourceConfig previous = sources.put(config.name(), config);
        if (previous == null) {
            LOG.info("Source '{}' ({}) active: {}, zone {}, event updates from the master {}", config.name(),
                    config.provider(), config.folder() == null ? "no folder" : "folder " + config.folder(), config.zone(), config.allowEventUpdates() ? "allowed" : "not allowed");
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
