package io.chronoroute.providers.graph;

import java.io.IOException;
import java.time.Duration;

/**
 * A non-2xx answer of Graph or of the token endpoint: the status, Graph's error code ({@code error.code}, or the
 * OAuth {@code error}) and message, and a Retry-After when one was sent. Never carries a request header or token.
 */
public final class GraphHttpException extends IOException {

    private final int status;
    private final String code;
    private final Duration retryAfter;

    public GraphHttpException(int status, String code, String message, Duration retryAfter) {
        super("HTTP " + status + (code == null ? "" : " " + code) + (message == null ? "" : ": " + message));
        this.status = status;
        this.code = code;
        this.retryAfter = retryAfter;
    }

    public int status() {
        return status;
    }

    public String code() {
        return code;
    }

    public Duration retryAfter() {
        return retryAfter;
    }
}
