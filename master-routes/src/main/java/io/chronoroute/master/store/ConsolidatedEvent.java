package io.chronoroute.master.store;

import java.time.Instant;
import java.util.List;

/**
 * One event of the consolidated calendar. {@code origins} lists "agentId/syncKey" of every source record that
 * shows it (two sources seeing the same meeting = one consolidated event with two origins). A deleted event is
 * kept as a tombstone ({@code deleted=true}, no origins) so destinations can propagate the deletion.
 * {@code lastWriter} is the origin whose content won ("agentId/syncKey"), or "destination"/"admin".
 */
public record ConsolidatedEvent(String identity, String eventJson, String contentHash, List<String> origins,
                                long version, long changeSeq, Instant updatedAt, boolean deleted, String lastWriter) {

    public ConsolidatedEvent {
        origins = origins == null ? List.of() : List.copyOf(origins);
    }
}
