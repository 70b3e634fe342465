package io.chronoroute.providers.common;

import java.io.IOException;
import java.time.Instant;

/**
 * Maps any failure of a destination call to a {@link DestinationException} with its {@link ErrorKind}. Each writer
 * supplies one that knows its provider's error format; {@link #GENERIC} handles what every writer shares
 * (already classified exceptions, I/O errors) and is the fallback of the provider classifiers.
 */
@FunctionalInterface
public interface DestinationErrorClassifier {

    DestinationException classify(Throwable error);

    /**
     * When a quota this provider resets at a fixed time (not given as Retry-After) is back, for the QUOTA error
     * {@code quota} seen at {@code now}; null when the provider has no such rule (the destination then pauses for
     * {@code quota-pause}). Google: the daily quota resets at midnight America/Los_Angeles.
     */
    default Instant quotaResetAfter(DestinationException quota, Instant now) {
        return null;
    }

    /** Already classified → as is; I/O anywhere in the cause chain → transient; anything else → permanent. */
    DestinationErrorClassifier GENERIC = error -> {
        for (Throwable t = error; t != null; t = t.getCause()) {
            if (t instanceof DestinationException d) {
                return d;
            }
        }
        for (Throwable t = error; t != null; t = t.getCause()) {
            if (t instanceof IOException io) {
                return new DestinationException(ErrorKind.TRANSIENT, "io", "I/O error: " + io.getClass().getSimpleName()
                        + (io.getMessage() == null ? "" : ": " + io.getMessage()), null, error);
            }
        }
        return new DestinationException(ErrorKind.PERMANENT, "unexpected", error.getClass().getSimpleName()
                + (error.getMessage() == null ? "" : ": " + error.getMessage()), null, error);
    };
}
