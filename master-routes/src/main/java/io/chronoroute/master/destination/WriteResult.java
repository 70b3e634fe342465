package io.chronoroute.master.destination;

/**
 * The outcome of one successful upsert.
 *
 * @param remoteId the destination id now holding the event
 * @param version  its new version (etag), remembered in the mapping
 * @param created  true when a new remote object was created (insert), false for an update or a revival
 */
public record WriteResult(String remoteId, String version, boolean created) {
}
