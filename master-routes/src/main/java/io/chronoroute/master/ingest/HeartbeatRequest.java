package io.chronoroute.master.ingest;

import io.chronoroute.master.store.AgentRecord;

import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * A parsed and validated heartbeat (or import). Built before anything is applied: a body that is not a heartbeat
 * rejects the whole request; a malformed event is left out and listed in {@code rejected}.
 *
 * @param agent      the agent, identified by the URL path (never by the body)
 * @param batchId    idempotency key, or null (seed agents)
 * @param status     agent status text, or null; for admin actions ({@code seen=false}) the activity kind
 * @param stats      agent stats, or null
 * @param snapshot   true for the seed's {@code events}: the set is complete, anything else of the agent is deleted
 * @param upserts    incoming observations (last one wins per sync key)
 * @param deletes    sync keys the agent deleted
 * @param digest     the agent's SetDigest "count:hex", or null
 * @param inventory  syncKey → contentHash when the agent sent an inventory, else null
 * @param seen       whether this is the agent's own call (updates last-seen, delivers pending updates); false
 *                   for admin imports and deletions
 * @param rejected   events of the body that could not be read: left out, listed in the answer
 * @param problems   the agent's own problem list ({@code problems} field), or null when it did not send one
 */
public record HeartbeatRequest(AgentRecord agent, String batchId, String status, Map<String, Object> stats,
                               boolean snapshot, List<Incoming.Upsert> upserts, Set<String> deletes, String digest,
                               Map<String, String> inventory, boolean seen, List<EventRejection> rejected,
                               ReportedProblems problems) {

    public HeartbeatRequest {
        rejected = rejected == null ? List.of() : List.copyOf(rejected);
    }

    /** A request without rejected events and without a problem list (imports, admin actions). */
    public HeartbeatRequest(AgentRecord agent, String batchId, String status, Map<String, Object> stats,
                            boolean snapshot, List<Incoming.Upsert> upserts, Set<String> deletes, String digest,
                            Map<String, String> inventory, boolean seen) {
        this(agent, batchId, status, stats, snapshot, upserts, deletes, digest, inventory, seen, List.of(), null);
    }

    public String agentId() {
        return agent.id();
    }

    /** This request without its incoming events (kept for the answer once they are folded). */
    public HeartbeatRequest withoutEvents() {
        return new HeartbeatRequest(agent, batchId, status, stats, snapshot, List.of(), Set.of(), digest, inventory,
                seen, rejected, problems);
    }

    /**
     * Identity, not value, equality: a request is one message. Camel hashes the body when it evaluates
     * {@code ${body.x}} (its bean-info cache key), and the value hash walked all 10,000 events of a large heartbeat.
     */
    @Override
    public boolean equals(Object o) {
        return this == o;
    }

    @Override
    public int hashCode() {
        return System.identityHashCode(this);
    }
}
