package io.chronoroute.master.destination;

import java.util.List;

/**
 * What {@link DestinationWriter#readChanges(String)} returns: the events changed since the cursor (ours and
 * foreign; foreign ones are ignored by the sync, except as creates in two-way sync with a {@code create-target})
 * and the cursor to persist for next time.
 */
public record RemoteChanges(List<RemoteEvent> changed, String nextCursor) {

    public RemoteChanges {
        changed = changed == null ? List.of() : List.copyOf(changed);
    }
}
