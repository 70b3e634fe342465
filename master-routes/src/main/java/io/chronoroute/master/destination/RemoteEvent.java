package io.chronoroute.master.destination;

import io.chronoroute.processors.model.CalendarEvent;

import java.time.Instant;

/**
 * An event as the destination reports it, reduced to what the sync needs. {@code identity}, {@code contentHash},
 * {@code recurrenceId} and {@code seriesIdentity} come from our tag; an event without our owner tag has
 * {@code identity == null} and is never touched.
 *
 * @param remoteId       the destination's id (Google event id, EWS ItemId, CalDAV href)
 * @param version        the destination's version (etag / ChangeKey); compared with the mapping to detect edits
 *                       made outside Chronoroute
 * @param cancelled      true when the destination reports it deleted
 * @param recurrenceId   canonical RECURRENCE-ID of an override (tag), else null
 * @param seriesIdentity identity of the series master of an override (tag), else null
 * @param event          two-way sync: the event as the destination now shows it, mapped back from the provider's form,
 *                       holding only the fields the writer writes (null when not read, or cancelled)
 * @param modified       the destination's own last-modification time of the object (null when unknown)
 */
public record RemoteEvent(String remoteId, String identity, String contentHash, String version, boolean cancelled,
                          String recurrenceId, String seriesIdentity, CalendarEvent event, Instant modified) {

    /** Without the content (one-way sync, listings). */
    public RemoteEvent(String remoteId, String identity, String contentHash, String version, boolean cancelled,
                       String recurrenceId, String seriesIdentity) {
        this(remoteId, identity, contentHash, version, cancelled, recurrenceId, seriesIdentity, null, null);
    }

    public boolean ours() {
        return identity != null;
    }
}
