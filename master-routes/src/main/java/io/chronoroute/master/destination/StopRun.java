package io.chronoroute.master.destination;

/**
 * Thrown inside a run to stop it (quota, auth, transient errors beyond the retries); {@link DestinationSyncService}
 * turns its classification into the run's outcome.
 */
final class StopRun extends RuntimeException {

    final DestinationException cause;

    StopRun(DestinationException cause) {
        super(cause.getMessage(), cause);
        this.cause = cause;
    }

    static StopRun interrupted() {
        return new StopRun(new DestinationException(ErrorKind.TRANSIENT, "interrupted", "run interrupted"));
    }
}
