package io.chronoroute.master.rest;

/**
 * A classified client error: the shared error handler answers it with {@link #status()} and
 * {@code {"error":code,"field":field,"reason":reason}} (field omitted when null). Messages carry no secrets.
 */
public class ApiException extends RuntimeException {

    private static final long serialVersionUID = 1L;

    private final int status;
    private final String code;
    private final String field;
    private final String reason;

    public ApiException(int status, String code, String field, String reason) {
        super(code + (field == null ? "" : " " + field) + ": " + reason);
        this.status = status;
        this.code = code;
        this.field = field;
        this.reason = reason;
    }

    public static ApiException badRequest(String field, String reason) {
        return new ApiException(400, "bad_request", field, reason);
    }

    public static ApiException unauthorized(String reason) {
        return new ApiException(401, "unauthorized", null, reason);
    }

    public static ApiException forbidden(String reason) {
        return new ApiException(403, "forbidden", null, reason);
    }

    public static ApiException notFound(String field, String reason) {
        return new ApiException(404, "not_found", field, reason);
    }

    public static ApiException conflict(String field, String reason) {
        return new ApiException(409, "conflict", field, reason);
    }

    public static ApiException tooLarge(String field, String reason) {
        return new ApiException(413, "payload_too_large", field, reason);
    }

    public int status() {
        return status;
    }

    public String code() {
        return code;
    }

    public String field() {
        return field;
    }

    public String reason() {
        return reason;
    }
}
