package io.chronoroute.master.metrics;

import io.chronoroute.master.destination.DestinationMapping;
import io.chronoroute.master.destination.DestinationState;
import io.chronoroute.master.destination.DestinationSyncService;
import io.chronoroute.master.destination.SyncResult;
import io.chronoroute.master.store.AgentRecord;
import io.chronoroute.master.store.MasterStore;
import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.MultiGauge;
import io.micrometer.core.instrument.Tags;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.function.ToDoubleFunction;

/**
 * The figures an operator alerts on, as Micrometer meters (exported on {@code /actuator/prometheus}; names there in
 * brackets). Per agent (tag {@code agent}): seconds since its last heartbeat ({@code
 * chronoroute_agent_last_heartbeat_age_seconds}), its outbox backlog as it reported it ({@code
 * chronoroute_agent_outbox_backlog}), files it could not read ({@code chronoroute_agent_rejected_files}), changes
 * the master refused ({@code chronoroute_agent_rejected_events}), updates waiting for it ({@code
 * chronoroute_agent_pending_updates}). Per destination (tag {@code destination}): seconds since the last successful
 * run ({@code chronoroute_destination_last_success_age_seconds}), writes ({@code chronoroute_destination_writes_total}),
 * failed runs ({@code chronoroute_destination_errors_total}), parked events, held deletions, paused-until (epoch
 * seconds, 0 = not paused) and changes not yet written ({@code chronoroute_destination_lag_changes}). Plus {@code
 * chronoroute_agents}, the number of registered agents.
 *
 * <p>All values come from the store, which every master shares, so every master exports the same figures. They are
 * read lazily: a scrape reads one snapshot, taken at most every {@code chronoroute.metrics.snapshot-ttl} (5 s) with
 * one agent listing, one pending-update read per agent and one state read per destination, so scrapes stay cheap
 * with many agents and a burst of scrapes costs one store read. A value that is not known (an agent that never
 * reported its outbox, a destination that never succeeded) is NaN, never a guess. Agents added since the last
 * snapshot appear from the snapshot that sees them (in practice the next scrape).
 */
public class MasterMetrics {

    private static final Logger LOG = LoggerFactory.getLogger(MasterMetrics.class);

    record AgentRow(double heartbeatAge, double outbox, double rejectedFiles, double rejectedEvents, double pending) {
    }

    record DestinationRow(double lastSuccessAge, double writes, double failedRuns, double parked, double held,
                          double pausedUntil, double lag) {
    }

    record Snapshot(long takenAtNanos, int agentCount, Map<String, AgentRow> agents,
                    Map<String, DestinationRow> destinations) {
    }

    private static final DestinationRow UNKNOWN_DESTINATION =
            new DestinationRow(Double.NaN, Double.NaN, Double.NaN, Double.NaN, Double.NaN, Double.NaN, Double.NaN);

    private final MasterStore store;
    private final DestinationSyncService destinations;
    private final Clock clock;
    private final long ttlNanos;
    private final List<AgentGauge> agentGauges = new ArrayList<>();
    private volatile Snapshot snapshot;
    private Set<String> registeredAgents = Set.of();

    private record AgentGauge(MultiGauge gauge, ToDoubleFunction<AgentRow> value) {
    }

    public MasterMetrics(MasterStore store, DestinationSyncService destinations, Clock clock, Duration ttl,
                         MeterRegistry registry) {
        this.store = store;
        this.destinations = destinations;
        this.clock = clock;
        this.ttlNanos = Math.max(0, ttl.toNanos());
        Gauge.builder("chronoroute.agents", this, m -> m.snapshot().agentCount())
                .description("Registered agents").register(registry);
        agentGauge(registry, "chronoroute.agent.last.heartbeat.age", "seconds",
                "Seconds since the agent's last heartbeat", AgentRow::heartbeatAge);
        agentGauge(registry, "chronoroute.agent.outbox.backlog", null,
                "Changes waiting in the agent's outbox, as the agent reported it in its last heartbeat", AgentRow::outbox);
        agentGauge(registry, "chronoroute.agent.rejected.files", null,
                "Files the agent could not read, as it reported them", AgentRow::rejectedFiles);
        agentGauge(registry, "chronoroute.agent.rejected.events", null,
                "Changes of the agent that the master refused (set aside by the agent), as it reported them",
                AgentRow::rejectedEvents);
        agentGauge(registry, "chronoroute.agent.pending.updates", null,
                "Updates queued for the agent and not yet processed", AgentRow::pending);
        for (String name : destinations == null ? Set.<String>of() : destinations.destinationNames()) {
            Tags tags = Tags.of("destination", name, "type", String.valueOf(destinations.config(name).type()));
            destinationGauge(registry, "chronoroute.destination.last.success.age", "seconds",
                    "Seconds since the destination's last successful run (NaN: none known)", name, tags,
                    DestinationRow::lastSuccessAge);
            FunctionCounter.builder("chronoroute.destination.writes", this, m -> m.destination(name).writes())
                    .description("Writes into the destination (inserts, updates, deletes)").tags(tags)
                    .register(registry);
            FunctionCounter.builder("chronoroute.destination.errors", this, m -> m.destination(name).failedRuns())
                    .description("Destination runs that ended in an error (FAILED or AUTH_REQUIRED)").tags(tags)
                    .register(registry);
            destinationGauge(registry, "chronoroute.destination.parked.events", null,
                    "Events that could not be written (parked with their reason)", name, tags, DestinationRow::parked);
            destinationGauge(registry, "chronoroute.destination.held.deletions", null,
                    "Deletions held by the deletion guard until confirmed", name, tags, DestinationRow::held);
            destinationGauge(registry, "chronoroute.destination.paused.until", "seconds",
                    "End of a quota pause as Unix epoch seconds (0 = not paused)", name, tags,
                    DestinationRow::pausedUntil);
            destinationGauge(registry, "chronoroute.destination.lag.changes", null,
                    "Master changes not yet written into the destination", name, tags, DestinationRow::lag);
        }
    }

    private void agentGauge(MeterRegistry registry, String name, String unit, String description,
                            ToDoubleFunction<AgentRow> value) {
        MultiGauge.Builder b = MultiGauge.builder(name).description(description);
        if (unit != null) {
            b.baseUnit(unit);
        }
        agentGauges.add(new AgentGauge(b.register(registry), value));
    }

    private void destinationGauge(MeterRegistry registry, String meter, String unit, String description, String name,
                                  Tags tags, ToDoubleFunction<DestinationRow> value) {
        Gauge.Builder<MasterMetrics> b = Gauge.builder(meter, this, m -> value.applyAsDouble(m.destination(name)))
                .description(description).tags(tags);
        if (unit != null) {
            b.baseUnit(unit);
        }
        b.register(registry);
    }

    private DestinationRow destination(String name) {
        return snapshot().destinations().getOrDefault(name, UNKNOWN_DESTINATION);
    }

    private double agentValue(String id, ToDoubleFunction<AgentRow> value) {
        AgentRow row = snapshot().agents().get(id);
        return row == null ? Double.NaN : value.applyAsDouble(row);
    }

    /** The current snapshot, taken anew when older than the TTL. */
    Snapshot snapshot() {
        Snapshot s = snapshot;
        if (s != null && System.nanoTime() - s.takenAtNanos() < ttlNanos) {
            return s;
        }
        synchronized (this) {
            s = snapshot;
            if (s != null && System.nanoTime() - s.takenAtNanos() < ttlNanos) {
                return s;
            }
            try {
                s = take();
            } catch (RuntimeException e) {
                // the store does not answer: keep showing the last snapshot (or nothing) and say so once per attempt
                LOG.warn("metrics: cannot read the store: {}", e.toString());
                return s != null ? s : new Snapshot(System.nanoTime(), 0, Map.of(), Map.of());
            }
            snapshot = s;
            syncAgentRows(s.agents().keySet());
            return s;
        }
    }

    private Snapshot take() {
        Instant now = clock.instant();
        Map<String, AgentRow> agents = new TreeMap<>();
        List<AgentRecord> list = store.listAgents();
        for (AgentRecord a : list) {
            Instant last = a.lastHeartbeat();
            Map<String, Object> stats = a.stats();
            agents.put(a.id(), new AgentRow(
                    last == null ? Double.NaN : Math.max(0, Duration.between(last, now).toMillis() / 1000.0),
                    number(stats.get("outbox")), number(stats.get("parse_errors")), number(stats.get("rejected")),
                    store.pendingUpdates(a.id()).size()));
        }
        Map<String, DestinationRow> dests = new TreeMap<>();
        if (destinations != null && !destinations.destinationNames().isEmpty()) {
            long seq = store.currentChangeSeq();
            for (String name : destinations.destinationNames()) {
                DestinationState st = new DestinationMapping(store, name).loadState();
                dests.put(name, st == null ? new DestinationRow(Double.NaN, 0, 0, 0, 0, 0, seq) : row(st, now, seq));
            }
        }
        return new Snapshot(System.nanoTime(), list.size(), agents, dests);
    }

    private static DestinationRow row(DestinationState st, Instant now, long seq) {
        Instant success = st.lastSuccess;
        if (success == null && st.lastResult != null && st.lastResult.outcome() == SyncResult.Outcome.OK) {
            success = st.lastRunEnd; // state written before lastSuccess was kept: the last run was a success
        }
        double age = success == null ? Double.NaN : Math.max(0, Duration.between(success, now).toMillis() / 1000.0);
        boolean paused = st.pausedUntil != null && now.isBefore(st.pausedUntil);
        return new DestinationRow(age, st.totalWrites, st.failedRuns, st.parked.size(),
                st.held == null ? 0 : st.held.identities.size(), paused ? st.pausedUntil.getEpochSecond() : 0,
                Math.max(0, seq - st.lastSeq));
    }

    /** Registers a row per agent in each per-agent gauge when the set of agents changed. */
    private void syncAgentRows(Set<String> ids) {
        if (ids.equals(registeredAgents)) {
            return;
        }
        for (AgentGauge g : agentGauges) {
            List<MultiGauge.Row<?>> rows = new ArrayList<>();
            for (String id : ids) {
                rows.add(MultiGauge.Row.of(Tags.of("agent", id), () -> agentValue(id, g.value())));
            }
            g.gauge().register(rows, true);
        }
        registeredAgents = Set.copyOf(ids);
    }

    static double number(Object v) {
        if (v instanceof Number n) {
            return n.doubleValue();
        }
        if (v instanceof String s) {
            try {
                return Double.parseDouble(s.trim());
            } catch (NumberFormatException e) {
                return Double.NaN;
            }
        }
        return Double.NaN;
    }
}
