package io.chronoroute.master.store;

import java.time.Instant;
import java.util.Map;

/**
 * An update queued for one agent (seed protocol: calendar_metadata, sync_config, event_update, calendar_create,
 * calendar_delete). Status: PENDING, PROCESSED, REJECTED (the agent said it can never apply it).
 */
public record AgentUpdate(String id, String agentId, String type, Map<String, Object> data, String status,
                          Instant createdAt, Instant processedAt, int attempts, String lastError) {

    public static final String PENDING = "PENDING";
    public static final String PROCESSED = "PROCESSED";
    public static final String REJECTED = "REJECTED";

    public AgentUpdate {
        data = data == null ? Map.of() : data;
    }
}
