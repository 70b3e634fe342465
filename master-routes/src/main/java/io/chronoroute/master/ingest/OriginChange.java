package io.chronoroute.master.ingest;

import io.chronoroute.processors.model.CalendarEvent;

import java.time.Instant;

/**
 * One change to the consolidated calendar made somewhere that is not an agent's calendar: in a destination
 * (origin {@code destination:<name>}), through the master's API ({@code api:<user>}), by resolving a parked conflict
 * ({@code conflict:<id>}). It enters through the one ingest route like an agent's heartbeat ({@link ChangeIngest}).
 *
 * @param identity     the consolidated event's identity ({@code SyncKey.identityOf}); for a create, that of {@code event}
 * @param event        the event as the origin now has it (every field the origin does not own already merged in from
 *                     the consolidated event by the caller); null for a delete
 * @param baseHash     the consolidated content hash the origin's edit started from (a destination: the hash it was last
 *                     written with; the API: the hash it showed, or null to take the edit as made on the current
 *                     version). When the consolidated event changed since, the conflict strategy decides.
 * @param modified     when the origin says the change was made (a destination's own modification time); null: now
 * @param createTarget for an event the master does not know yet: the writable calendar {@code <agent-id>/<source>}
 *                     to create it in; null otherwise
 */
public record OriginChange(String identity, CalendarEvent event, String baseHash, Instant modified,
                           String createTarget) {

    public boolean delete() {
        return event == null;
    }
}
