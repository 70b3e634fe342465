package io.chronoroute.master.store;

/**
 * A fenced write was refused: the writer's leadership epoch is no longer the current one (another master leads
 * now). Nothing was written.
 */
public class StaleEpochException extends RuntimeException {

    private final long epoch;
    private final long current;

    public StaleEpochException(long epoch, long current) {
        super("write refused: leadership epoch " + epoch + " is stale (current epoch " + current + ")");
        this.epoch = epoch;
        this.current = current;
    }

    public long epoch() {
        return epoch;
    }

    public long current() {
        return current;
    }
}
