package io.chronoroute.testsupport.google;

/** An error the fake answers in Google's JSON error format. */
final class GoogleApiException extends RuntimeException {

    private final int status;
    private final String domain;
    private final String reason;
    private final Integer retryAfterSeconds;

    GoogleApiException(int status, String domain, String reason, String message) {
        this(status, domain, reason, message, null);
    }

    GoogleApiException(int status, String domain, String reason, String message, Integer retryAfterSeconds) {
        super(message);
        this.status = status;
        this.domain = domain;
        this.reason = reason;
        this.retryAfterSeconds = retryAfterSeconds;
    }

    static GoogleApiException badRequest(String reason, String message) {
        return new GoogleApiException(400, "global", reason, message);
    }

    static GoogleApiException notFound() {
        return new GoogleApiException(404, "global", "notFound", "Not Found");
    }

    int status() {
        return status;
    }

    String domain() {
        return domain;
    }

    String reason() {
        return reason;
    }

    Integer retryAfterSeconds() {
        return retryAfterSeconds;
    }
}
