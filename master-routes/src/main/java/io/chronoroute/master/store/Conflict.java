package io.chronoroute.master.store;

import java.time.Instant;

/**
 * A conflict parked by the {@code manual} strategy (or recorded by another strategy for the audit trail):
 * the consolidated version and the incoming version of the same identity. Status OPEN or RESOLVED.
 */
public record Conflict(String id, String identity, String agentId, String syncKey, String currentJson,
                       String incomingJson, String strategy, String status, String resolution, Instant createdAt,
                       Instant resolvedAt) {
}
