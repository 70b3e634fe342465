package io.chronoroute.master.destination;

import java.time.Instant;

/**
 * The outcome of one {@link DestinationSyncService#runOnce(String)}.
 *
 * @param outcome       OK, PAUSED (quota; see pausedUntil in the status), FAILED (transient errors outlasted the
 *                      retries, or an unexpected error), AUTH_REQUIRED, BUSY (a run was already going), DISABLED,
 *                      NOT_LEADER (several masters: another master leads and runs it), FENCED (this master lost
 *                      leadership during the run: the store refused its stale epoch, the run stopped there)
 * @param fullReconcile this run listed our tagged events and rebuilt the mapping
 * @param inserted      objects created
 * @param updated       objects updated (incl. revived and repaired ones)
 * @param deleted       objects deleted (or occurrences reset)
 * @param unchanged     identities looked at that needed no write
 * @param parked        events parked by this run (permanent errors)
 * @param held          deletions held by the deletion guard after this run
 * @param apiCalls      requests sent (reads + writes, retries included; each part of a batch request counts as one)
 * @param writeCalls    write requests sent (insert/update/patch/delete, retries included; batch parts each count)
 * @param retries       retries after transient errors (a batch part sent again counts as one)
 * @param waitedMillis  time spent in backoff waits (rate-limit waits not included)
 * @param lastSeq       change sequence the destination is in sync with after this run
 * @param message       short human explanation (error reason, hold reason), or null
 */
public record SyncResult(String destination, Outcome outcome, boolean fullReconcile, int inserted, int updated,
                         int deleted, int unchanged, int parked, int held, long apiCalls, long writeCalls, int retries,
                         long waitedMillis, long lastSeq, String message, Instant startedAt, Instant finishedAt) {

    public enum Outcome { OK, PAUSED, FAILED, AUTH_REQUIRED, BUSY, DISABLED, NOT_LEADER, FENCED }

    /** Successful writes of this run. */
    public int writes() {
        return inserted + updated + deleted;
    }
}
