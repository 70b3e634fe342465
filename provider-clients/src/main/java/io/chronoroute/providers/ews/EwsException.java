package io.chronoroute.providers.ews;

/**
 * An EWS failure: a SOAP fault or an {@code ResponseClass="Error"} message ({@code code} = ResponseCode such as
 * {@code ErrorServerBusy}), or an HTTP status without SOAP ({@code code} = {@code HTTP<status>}).
 */
public class EwsException extends Exception {

    private final String code;
    private final int httpStatus;
    private final long backOffMillis;

    public EwsException(String code, String message, int httpStatus, long backOffMillis) {
        super(code + (message == null || message.isBlank() ? "" : ": " + message));
        this.code = code;
        this.httpStatus = httpStatus;
        this.backOffMillis = backOffMillis;
    }

    public String code() {
        return code;
    }

    public int httpStatus() {
        return httpStatus;
    }

    /** BackOffMilliseconds of an ErrorServerBusy fault, or -1. */
    public long backOffMillis() {
        return backOffMillis;
    }
}
