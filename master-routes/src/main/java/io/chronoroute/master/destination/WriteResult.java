package io.chronoroute.master.destination;

/**
 * The outcome of one successful upsert.
 *
 * @param remoteId    the destination id now holding the event
 * @param version     its new version (etag), remembered in the mapping
 * @param created     true when a new remote object was created (insert), false for an update or a revival
 * @param seriesReset only for a series master: the destination dropped the series' modified and deleted occurrences
 *                    with this write (EWS when {@code t:Recurrence} is set), or may have done so (a retry after an
 *                    attempt whose outcome is unknown). The sync then writes every override of the series again in
 *                    the same run, after the master, whether or not its content changed.
 */
public record WriteResult(String remoteId, String version, boolean created, boolean seriesReset) {

    public WriteResult(String remoteId, String version, boolean created) {
        this(remoteId, version, created, false);
    }
}
