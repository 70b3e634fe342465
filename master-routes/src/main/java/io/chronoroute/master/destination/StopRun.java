package io.chronoroute.master.destination;

import io.chronoroute.providers.common.DestinationException;
import io.chronoroute.providers.common.ErrorKind;

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
