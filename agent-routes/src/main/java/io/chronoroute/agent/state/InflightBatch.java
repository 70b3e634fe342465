package io.chronoroute.agent.state;

import java.util.List;

/**
 * A heartbeat batch that was persisted before it was sent. Until the master acknowledges it, every retry sends
 * exactly {@code body} again (same {@code batch_id}), so a master that already applied it only acknowledges.
 *
 * @param batchId   {@code <agent>-<n>}
 * @param body      the exact JSON body
 * @param items     what the batch carries, with the outbox version that was sent
 * @param inventory whether the body carries an inventory
 */
public record InflightBatch(String batchId, String body, List<Item> items, boolean inventory) {

    public InflightBatch {
        items = items == null ? List.of() : List.copyOf(items);
    }

    /** One change of the batch: sync key, outbox version, op and (for an upsert) the content hash sent. */
    public record Item(String key, long version, String op, String hash) {
    }
}
