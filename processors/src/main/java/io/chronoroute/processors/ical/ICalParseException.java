package io.chronoroute.processors.ical;

/**
 * An iCalendar text that cannot be read: the physical line (1-based; -1 when not known), the property or field
 * concerned (may be null) and the reason.
 */
public final class ICalParseException extends Exception {

    private static final long serialVersionUID = 1L;

    private final int line;
    private final String field;
    private final String reason;

    public ICalParseException(int line, String field, String reason, Throwable cause) {
        super((line > 0 ? "line " + line + ": " : "") + (field == null ? "" : field + ": ") + reason, cause);
        this.line = line;
        this.field = field;
        this.reason = reason;
    }

    public ICalParseException(int line, String reason) {
        this(line, null, reason, null);
    }

    /** 1-based physical line number, -1 when unknown. */
    public int line() {
        return line;
    }

    /** The property or field concerned, e.g. {@code DTSTART} or {@code rrule[0]}; null when not specific. */
    public String field() {
        return field;
    }

    public String reason() {
        return reason;
    }
}
