package io.chronoroute.agent.status;

import io.chronoroute.agent.heartbeat.HeartbeatService;
import io.chronoroute.agent.source.SourceRegistry;
import io.chronoroute.agent.state.AgentState;
import io.chronoroute.agent.state.CredentialStore;
import org.springframework.boot.actuate.health.Health;
import org.springframework.boot.actuate.health.HealthIndicator;
import org.springframework.stereotype.Component;

import java.util.Map;
import java.util.TreeMap;

/**
 * {@code /actuator/health} component "agent": the agent status - sources, current set, outbox, files skipped
 * (with their reasons and count), changes the master refused, whether it is registered and the master reachable.
 * Never shows the credential. The agent is UP while it runs; problems are details, not DOWN (a master outage
 * must not make a local supervisor restart the agent).
 */
@Component("agent")
public class AgentHealthIndicator implements HealthIndicator {

    private static final int MAX_PROBLEMS_SHOWN = 200;

    private final AgentState state;
    private final HeartbeatService heartbeat;
    private final SourceRegistry sources;
    private final CredentialStore credentials;

    public AgentHealthIndicator(AgentState state, HeartbeatService heartbeat, SourceRegistry sources,
                                CredentialStore credentials) {
        this.state = state;
        this.heartbeat = heartbeat;
        this.sources = sources;
        this.credentials = credentials;
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
        d.put("registered", credentials.load().isPresent());
        d.put("masterReachable", heartbeat.masterReachable());
        if (heartbeat.currentProblem() != null) {
            d.put("problem", heartbeat.currentProblem());
        }
        return Health.up().withDetails(d).build();
    }
}
