package io.chronoroute.agent.state;

import com.fasterxml.jackson.databind.JsonNode;

/**
 * A change not yet acknowledged by the master. One entry per sync key: a newer change of the same key replaces the
 * entry and gets a new {@code version}, so an acknowledgement of an older version does not remove it.
 *
 * @param op      {@link #UPSERT} or {@link #DELETE}
 * @param version strictly increasing over the whole outbox
 * @param source  the source name
 * @param hash    content hash of the event (upsert only)
 * @param event   the wire event (upsert only)
 * @param deleted {@code {"source","uid","recurrence_id"}} (delete only)
 */
public record OutboxEntry(String op, long version, String source, String hash, JsonNode event, JsonNode deleted) {

    public static final String UPSERT = "upsert";
    public static final String DELETE = "delete";

    public boolean isUpsert() {
        return UPSERT.equals(op);
    }
}
