package io.chronoroute.agent.status;

import io.chronoroute.agent.AgentProperties;
import io.chronoroute.agent.heartbeat.HeartbeatService;
import io.chronoroute.agent.source.SourceConfig;
import io.chronoroute.agent.source.SourceRegistry;
import io.chronoroute.agent.state.AgentState;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.MultiGauge;
import io.micrometer.core.instrument.Tags;
import org.springframework.stereotype.Component;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.stream.Collectors;

/**
 * The agent's own figures an operator alerts on, on {@code /actuator/prometheus} (tag {@code agent} = the agent id):
 * {@code chronoroute_outbox_backlog} (changes waiting for the master), {@code
 * chronoroute_heartbeat_last_success_age_seconds} (NaN until the first acknowledged heartbeat since the start),
 * {@code chronoroute_source_last_read_age_seconds} per source (NaN until its first successful read), {@code
 * chronoroute_failed_files} (files that could not be read) and {@code chronoroute_rejected_events} (changes the
 * master refused), plus {@code chronoroute_sources}. Read on each scrape from the agent's local state (one small
 * MVStore read) and memory; sources that appear later get their row from the next scrape on.
 */
@Component
public class AgentMetrics {

    private final AgentState state;
    private final HeartbeatService heartbeat;
    private final SourceRegistry sources;
    private final Clock clock;
    private final Tags agent;
    private final MultiGauge sourceReadAge;
    private Set<String> registeredSources = Set.of();

    public AgentMetrics(AgentState state, HeartbeatService heartbeat, SourceRegistry sources, Clock agentClock,
                        AgentProperties props, MeterRegistry registry) {
        this.state = state;
        this.heartbeat = heartbeat;
        this.sources = sources;
        this.clock = agentClock;
        this.agent = Tags.of("agent", props.id());
        Gauge.builder("chronoroute.outbox.backlog", this, m -> m.state.read(AgentState.Tx::outboxSize))
                .description("Changes collected and not yet acknowledged by the master").tags(agent).register(registry);
        Gauge.builder("chronoroute.heartbeat.last.success.age", this, m -> m.age(m.heartbeat.lastHeartbeatSuccess()))
                .baseUnit("seconds").description("Seconds since the master last acknowledged a heartbeat (NaN: not "
                        + "since the agent started)").tags(agent).register(registry);
        Gauge.builder("chronoroute.failed.files", this, m -> m.state.read(tx -> tx.failedFiles().size()))
                .description("Source files that could not be read (skipped, with their reason in /actuator/health)")
                .tags(agent).register(registry);
        Gauge.builder("chronoroute.rejected.events", this, m -> m.state.read(AgentState.Tx::rejectedSize))
                .description("Changes the master refused (set aside until they change)").tags(agent).register(registry);
        Gauge.builder("chronoroute.sources", this, AgentMetrics::sourceCount)
                .description("Active sources").tags(agent).register(registry);
        sourceReadAge = MultiGauge.builder("chronoroute.source.last.read.age").baseUnit("seconds")
                .description("Seconds since the source was last read successfully (NaN: not since the agent started)")
                .register(registry);
    }

    private double age(Instant at) {
        return at == null ? Double.NaN : Math.max(0, Duration.between(at, clock.instant()).toMillis() / 1000.0);
    }

    /** The number of sources; also gives each source its row in the per-source gauge. */
    private synchronized double sourceCount() {
        Set<String> names = sources.all().stream().map(SourceConfig::name).collect(Collectors.toCollection(TreeSet::new));
        if (!names.equals(registeredSources)) {
            List<MultiGauge.Row<?>> rows = names.stream()
                    .<MultiGauge.Row<?>>map(n -> MultiGauge.Row.of(agent.and("source", n), () -> age(sources.lastRead(n))))
                    .toList();
            sourceReadAge.register(rows, true);
            registeredSources = names;
        }
        return names.size();
    }
}
