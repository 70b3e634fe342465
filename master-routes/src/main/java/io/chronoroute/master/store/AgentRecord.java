package io.chronoroute.master.store;

import java.time.Instant;
import java.util.List;
import java.util.Map;

/**
 * A registered agent. {@code credentialHash} is the SHA-256 (hex) of the agent's bearer credential, never the
 * credential itself; {@code legacy} marks a seed agent registered without credentials.
 */
public record AgentRecord(String id, String name, String environment, String agentType, String credentialHash,
                          boolean legacy, Instant registeredAt, Instant lastSeen, Instant lastHeartbeat, String status,
                          long eventCount, Integer intervalMinutes, List<String> capabilities,
                          Map<String, Object> config, Map<String, Object> stats) {

    public AgentRecord {
        capabilities = capabilities == null ? List.of() : List.copyOf(capabilities);
        config = config == null ? Map.of() : Map.copyOf(config);
        stats = stats == null ? Map.of() : Map.copyOf(stats);
    }

    public AgentRecord seen(Instant at, String newStatus, Map<String, Object> newStats, long events) {
        return new AgentRecord(id, name, environment, agentType, credentialHash, legacy, registeredAt, at, at,
                newStatus == null ? status : newStatus, events, intervalMinutes, capabilities, config,
                newStats == null ? stats : newStats);
    }
}
