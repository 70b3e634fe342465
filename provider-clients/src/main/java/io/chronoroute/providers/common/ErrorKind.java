package io.chronoroute.providers.common;

/** How the sync reacts to a failed destination call (see {@link DestinationErrorClassifier}). */
public enum ErrorKind {
    /** Rate limits (429, 403 rateLimitExceeded/userRateLimitExceeded), 5xx, I/O: retried with backoff. */
    TRANSIENT,
    /** Quota exhausted (403 quotaExceeded/dailyLimitExceeded): the destination is paused until the reset. */
    QUOTA,
    /** This event can never be written as it is (400, 404, foreign id): the event is parked, the rest continues. */
    PERMANENT,
    /** Credentials missing, revoked or without write access: the run stops, the status shows it. */
    AUTH,
    /** The change cursor (sync token) is no longer valid (Google 410): the sync clears it and reconciles fully. */
    CURSOR_EXPIRED
}
