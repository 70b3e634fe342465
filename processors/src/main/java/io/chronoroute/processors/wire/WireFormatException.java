package io.chronoroute.processors.wire;

/**
 * Bad input on the wire: names the offending field in a path form ({@code "start"}, {@code "attendees[2].email"},
 * {@code "changed[3].start"}) and says why. The master answers it as HTTP 400
 * {@code {"error":"bad_request","field":...,"reason":...}}.
 */
public final class WireFormatException extends RuntimeException {

    private static final long serialVersionUID = 1L;

    private final String field;
    private final String reason;

    public WireFormatException(String field, String reason) {
        this(field, reason, null);
    }

    public WireFormatException(String field, String reason, Throwable cause) {
        super(field + ": " + reason, cause);
        this.field = field;
        this.reason = reason;
    }

    /** Path of the offending field; never null (the empty string means the whole document). */
    public String field() {
        return field == null ? "" : field;
    }

    public String reason() {
        return reason;
    }

    /**
     * A copy located inside an enclosing structure: {@code withPrefix("changed[3]")} turns field {@code start}
     * into {@code changed[3].start}. A trailing dot on the prefix is accepted, so {@code "changed[3]."} works too.
     */
    public WireFormatException withPrefix(String prefix) {
        if (prefix == null || prefix.isEmpty()) {
            return this;
        }
        String p = prefix.endsWith(".") ? prefix.substring(0, prefix.length() - 1) : prefix;
        String f = field();
        String joined = f.isEmpty() ? p : (f.startsWith("[") ? p + f : p + "." + f);
        return new WireFormatException(joined, reason, getCause() == null ? this : getCause());
    }
}
