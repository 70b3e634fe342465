package io.chronoroute.agent.status;

import io.chronoroute.agent.AgentProperties;
import io.chronoroute.agent.heartbeat.HeartbeatSchedule;
import io.chronoroute.agent.heartbeat.HeartbeatService;
import io.chronoroute.agent.source.SourceRegistry;
import io.chronoroute.agent.state.AgentState;
import io.chronoroute.agent.state.CredentialStore;
import org.springframework.beans.factory.annotation.Value;
import org.springframework.boot.actuate.health.Health;
import org.springframework.boot.actuate.health.HealthIndicator;
import org.springframework.stereotype.Component;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import java.util.TreeMap;

/**
 * {@code /actuator/health} component "agent": the agent status - sources (and per source its state:
 * {@code sourceStates}, {@link io.chronoroute.agent.source.CalendarSource.SourceState}), current set, outbox, files skipped
 * (with their reasons and count), changes the master refused, whether it is registered and the master reachable.
 * Never shows the credential. Problems of the input or of the master are details, not DOWN (a master outage must not
 * make a local supervisor restart the agent). DOWN means the agent itself no longer works (issue #15): the last
 * heartbeat cycle failed with an Error ({@code heartbeatError}; UP again once a cycle runs through), or the heartbeat
 * timer has not ticked for {@code chronoroute.agent.health.stale-intervals} (default 3) heartbeat intervals plus the
 * request timeout ({@code heartbeatStale}: its thread died).
 */
@Component("agent")
public class AgentHealthIndicator implements HealthIndicator {

    private static final int MAX_PROBLEMS_SHOWN = 200;

    private final AgentState state;
    private final HeartbeatService heartbeat;
    private final SourceRegistry sources;
    private final CredentialStore credentials;
    private final HeartbeatSchedule schedule;
    private final AgentProperties props;
    private final Clock clock;
    private final int staleIntervals;

    public AgentHealthIndicator(AgentState state, HeartbeatService heartbeat, SourceRegistry sources,
                                CredentialStore credentials, HeartbeatSchedule schedule, AgentProperties props,
                                Clock agentClock, @Value("${chronoroute.agent.health.stale-intervals:3}") int staleIntervals) {
        this.state = state;
        this.heartbeat = heartbeat;
        this.sources = sources;
        this.credentials = credentials;
        this.schedule = schedule;
        this.props = props;
        this.clock = agentClock;
        this.staleIntervals = Math.max(1, staleIntervals);
    }

    /** How long the heartbeat timer may be silent before the agent counts as dead. */
    Duration staleAfter() {
        Duration period = schedule.interval().compareTo(props.heartbeatTick()) > 0 ? schedule.interval() : props.heartbeatTick();
        return period.multipliedBy(staleIntervals).plus(props.requestTimeout());
    }

    @Override
    public Health health() {
        Map<String, Object> d = state.read(tx -> {
            Map<String, Object> m = new TreeMap<>();
            m.put("events", tx.currentSize());
            m.put("outbox", tx.outboxSize());
            m.put("digest", tx.digest().toString());
            m.put("masterDigest", String.valueOf(tx.meta("master.digest")));
            Map<String, String> failed = tx.failedFiles();
            m.put("parseErrors", failed.size());
            m.put("skippedFiles", failed);
            // what reading files found (repairs, skipped properties, rejected events and files), as recorded per file
            m.put("inputProblemFiles", tx.problemFileCount());
            m.put("inputProblems", tx.allProblems().stream().limit(MAX_PROBLEMS_SHOWN).toList());
            m.put("rejectedByMaster", tx.rejectedSize());
            m.put("inflightBatch", tx.inflight() == null ? "none" : tx.inflight().batchId());
            return m;
        });
        d.put("sources", sources.all().stream().map(s -> s.name()).sorted().toList());
        // per source (issue #10): kind, writable, last successful read, cursor age, last error
        Map<String, Object> states = new TreeMap<>();
        Instant now = clock.instant();
        sources.all().forEach(s -> states.put(s.name(), sources.stateOf(s).toMap(now)));
        d.put("sourceStates", states);
        d.put("registered", credentials.load().isPresent());
        d.put("masterReachable", heartbeat.masterReachable());
        if (heartbeat.currentProblem() != null) {
            d.put("problem", heartbeat.currentProblem());
        }
        boolean down = false;
        Instant tick = schedule.lastTick();
        d.put("heartbeatLastTick", String.valueOf(tick));
        if (tick != null && Duration.between(tick, clock.instant()).compareTo(staleAfter()) > 0) {
            d.put("heartbeatStale", "the heartbeat timer has not run since " + tick + " (more than " + staleAfter()
                    + "): its thread is dead or stuck; restart the agent");
            down = true;
        }
        String error = heartbeat.cycleError();
        if (error != null) {
            d.put("heartbeatError", error);
            down = true;
        }
        return (down ? Health.down() : Health.up()).withDetails(d).build();
    }
}
