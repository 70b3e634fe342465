package io.chronoroute.master.store;

import java.time.Instant;
import java.util.List;

/**
 * One event of the consolidated calendar. {@code origins} lists "agentId/syncKey" of every source record that
 * shows it (two sources seeing the same meeting = one consolidated event with two origins). A deleted event is
 * kept as a tombstone ({@code deleted=true}, no origins) so destinations can propagate the deletion.
 * {@code lastWriter} is the origin whose content won ("agentId/syncKey"), or a non-agent origin
 * ("destination:&lt;name&gt;", "api:&lt;user&gt;", "conflict:&lt;id&gt;").
 * <p>
 * {@code divergent} (two-way sync) lists the origins ("agentId/syncKey") that still show another version than this
 * one and will not get this one: their calendar cannot be written (Outlook for Mac, a read-only folder or source) or
 * refused the write. Empty when every origin agrees or has the change queued.
 */
public record ConsolidatedEvent(String identity, String eventJson, String contentHash, List<String> origins,
                                long version, long changeSeq, Instant updatedAt, boolean deleted, String lastWriter,
                                List<String> divergent) {

    public ConsolidatedEvent {
        origins = origins == null ? List.of() : List.copyOf(origins);
        divergent = divergent == null ? List.of() : List.copyOf(divergent);
    }

    /** An event on which every origin agrees (no divergent origin). */
    public ConsolidatedEvent(String identity, String eventJson, String contentHash, List<String> origins,
                             long version, long changeSeq, Instant updatedAt, boolean deleted, String lastWriter) {
        this(identity, eventJson, contentHash, origins, version, changeSeq, updatedAt, deleted, lastWriter, List.of());
    }

    /** This event with its change sequence as the store assigned it. */
    public ConsolidatedEvent withChangeSeq(long seq) {
        return new ConsolidatedEvent(identity, eventJson, contentHash, origins, version, seq, updatedAt, deleted,
                lastWriter, divergent);
    }
}
