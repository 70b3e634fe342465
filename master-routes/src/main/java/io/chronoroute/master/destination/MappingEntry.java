package io.chronoroute.master.destination;

import java.time.Instant;

/**
 * What one destination holds for one consolidated identity. Kept after a delete ({@code deleted=true}) because
 * some destinations keep deleted ids reserved (Google answers 409 on reuse), and a recreated event must revive the
 * same remote object.
 *
 * @param remoteId       destination id
 * @param version        destination version after our last write (etag / ChangeKey)
 * @param contentHash    content hash we last wrote (equal to the consolidated hash = nothing to do)
 * @param deleted        we deleted it (or found it deleted)
 * @param recurrenceId   canonical RECURRENCE-ID ({@code EventTime.canonical()}) for an override, else null
 * @param seriesIdentity identity of the series master for an override, else null
 * @param writtenAt      when we last wrote it
 */
public record MappingEntry(String remoteId, String version, String contentHash, boolean deleted,
                           String recurrenceId, String seriesIdentity, Instant writtenAt) {

    public boolean live() {
        return !deleted;
    }
}
