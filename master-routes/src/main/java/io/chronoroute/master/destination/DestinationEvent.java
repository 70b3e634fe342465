package io.chronoroute.master.destination;

import io.chronoroute.processors.model.CalendarEvent;

/**
 * One consolidated event as a {@link DestinationWriter} receives it.
 *
 * @param identity       consolidated identity (32 hex, {@code SyncKey.identityOf}); the key of the mapping and of the
 *                       destination's tag
 * @param event          the event to write (for a delete: the last known version, may be null)
 * @param contentHash    {@code ContentHash} of {@code event}; written into the tag so a lost mapping can be rebuilt
 * @param origin         where the winning content came from ("agentId/source"), written into the tag
 * @param masterRemoteId for an override (event.recurrenceId set): the destination id of its series master
 * @param masterEvent    for an override: the series master (used to reset an occurrence whose override went away)
 */
public record DestinationEvent(String identity, CalendarEvent event, String contentHash, String origin,
                               String masterRemoteId, CalendarEvent masterEvent) {

    public boolean isOverride() {
        return event != null && event.recurrenceId() != null;
    }
}
