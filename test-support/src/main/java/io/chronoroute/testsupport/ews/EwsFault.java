package io.chronoroute.testsupport.ews;

/** An EWS error: a ResponseCode (e.g. ErrorItemNotFound) and its MessageText. */
final class EwsFault extends RuntimeException {

    private final String code;

    EwsFault(String code, String message) {
        super(message);
        this.code = code;
    }

    String code() {
        return code;
    }
}
