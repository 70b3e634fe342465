package io.chronoroute.master.destination;

import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * Durable per-destination sync state (store setting {@code destination.<name>.state}, JSON). Mutable, used only
 * under the destination's run lock. A missing state means "first run or store lost": the next run reconciles fully.
 */
public final class DestinationState {

    /** Change sequence of the master store this destination is in sync with (advanced only after a full success). */
    public long lastSeq;
    /** Provider change cursor (Google nextSyncToken), null = none yet. */
    public String cursor;
    /** A full reconcile has completed at least once against this store. */
    public boolean reconciled;
    /** Our live objects in the destination (the deletion guard's denominator). */
    public long mappedLive;
    public Instant pausedUntil;
    public String pauseReason;
    /** Events that cannot be written as they are, by identity. */
    public Map<String, Parked> parked = new TreeMap<>();
    /** Deletions held by the guard, or null. */
    public Held held;
    public Instant lastRunStart;
    public Instant lastRunEnd;
    public String lastError;
    public SyncResult lastResult;
    public long totalWrites;
    /** End of the last run that ended OK (null = none since this field exists; see lastResult). */
    public Instant lastSuccess;
    /** Runs that ended FAILED or AUTH_REQUIRED, ever (the errors an operator alerts on). */
    public long failedRuns;

    /**
     * @param contentHash the hash that failed ("deleted" for a failed delete); a new hash is tried again
     * @param operation   upsert | delete
     */
    public record Parked(String contentHash, String operation, String reason, String message, Instant at) {
    }

    /** Deletions waiting for {@code POST /sync/destinations/{name}/confirm-deletions}. */
    public static final class Held {
        public List<String> identities = new ArrayList<>();
        public String reason;
        public Instant since;
        public boolean confirmed;
    }
}
