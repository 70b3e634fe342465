package io.chronoroute.testsupport.graph;

/** An error the fake Graph answers in Graph's format: {@code {"error":{"code":…,"message":…}}}. */
final class GraphApiException extends RuntimeException {

    final int status;
    final String code;
    final Long retryAfterSeconds;

    GraphApiException(int status, String code, String message, Long retryAfterSeconds) {
        super(message);
        this.status = status;
        this.code = code;
        this.retryAfterSeconds = retryAfterSeconds;
    }

    static GraphApiException badRequest(String code, String message) {
        return new GraphApiException(400, code, message, null);
    }

    static GraphApiException notFound(String message) {
        return new GraphApiException(404, "ErrorItemNotFound", message, null);
    }
}
