package io.chronoroute.providers.common;

import java.time.Duration;

/**
 * A classified destination failure. Messages never contain credentials: writers build them from status codes and
 * the provider's reason only.
 */
public class DestinationException extends RuntimeException {

    private final ErrorKind kind;
    private final transient Duration retryAfter;
    private final String reason;

    public DestinationException(ErrorKind kind, String reason, String message, Duration retryAfter, Throwable cause) {
        super(message, cause);
        this.kind = kind;
        this.reason = reason;
        this.retryAfter = retryAfter;
    }

    public DestinationException(ErrorKind kind, String reason, String message) {
        this(kind, reason, message, null, null);
    }

    public ErrorKind kind() {
        return kind;
    }

    /** Provider reason code (e.g. {@code rateLimitExceeded}, {@code notFound}); never null. */
    public String reason() {
        return reason == null ? kind.name().toLowerCase() : reason;
    }

    /** The server's Retry-After, or null. */
    public Duration retryAfter() {
        return retryAfter;
    }
}
