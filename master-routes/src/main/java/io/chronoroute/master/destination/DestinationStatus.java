package io.chronoroute.master.destination;

import java.time.Instant;
import java.util.List;

/**
 * What {@code GET /sync/destinations} shows for one destination.
 *
 * @param state        RUNNING, PAUSED (quota, until pausedUntil), HELD (deletions wait for confirmation),
 *                     AUTH_REQUIRED, ERROR (last run failed), OK, NEVER_RUN, DISABLED
 * @param lag          master changes not yet written (current change sequence - lastSeq)
 * @param parked       events that could not be written, with their reasons
 * @param held         deletions waiting for confirmation, or null
 */
public record DestinationStatus(String name, String type, String calendarId, String state, Instant lastRunStart,
                                Instant lastRunEnd, SyncResult lastResult, String lastError, long totalWrites,
                                long lastSeq, long lag, long liveEvents, Instant pausedUntil, String pauseReason,
                                List<ParkedView> parked, HeldView held) {

    public record ParkedView(String identity, String operation, String reason, String message, Instant at) {
    }

    public record HeldView(int count, String reason, Instant since, boolean confirmed) {
    }
}
