package io.chronoroute.providers.caldav;

import java.time.Duration;

/**
 * A CalDAV answer that is not a success. The message holds method, href, status and the server's DAV error element
 * (never credentials, never the request body).
 */
public class CalDavHttpException extends Exception {

    private final int status;
    private final String davError;
    private final transient Duration retryAfter;

    public CalDavHttpException(String method, String href, int status, String davError, Duration retryAfter) {
        super(method + " " + href + " -> " + status + (davError == null ? "" : " (" + davError + ")"));
        this.status = status;
        this.davError = davError;
        this.retryAfter = retryAfter;
    }

    public int status() {
        return status;
    }

    /** Local name of the first child of a DAV:error body (e.g. {@code valid-sync-token}), or null. */
    public String davError() {
        return davError;
    }

    public Duration retryAfter() {
        return retryAfter;
    }
}
