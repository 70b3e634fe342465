package io.chronoroute.processors.wire;

import io.chronoroute.processors.model.Attendee;
import io.chronoroute.processors.model.CalendarEvent;
import io.chronoroute.processors.model.EventTime;
import net.fortuna.ical4j.model.Recur;

import java.time.ZoneId;
import java.util.List;

/**
 * Structural checks on an event, whatever its source. Throws {@link WireFormatException} naming the first bad
 * field. Limits protect the master from oversized input; they are far above anything a calendar produces.
 */
public final class EventValidator {

    public static final int MAX_UID = 1024;
    public static final int MAX_TITLE = 10_000;
    public static final int MAX_LOCATION = 10_000;
    public static final int MAX_DESCRIPTION = 1024 * 1024;
    public static final int MAX_SHORT_TEXT = 1024;
    public static final int MAX_ATTENDEES = 1000;
    public static final int MAX_LIST = 10_000;
    /** Longest origin {@code provider_id} (a file path, an EntryID, ...). */
    public static final int MAX_PROVIDER_ID = 4096;
    /**
     * Dates and times must fall in the years {@value #MIN_YEAR}..{@value #MAX_YEAR} (UTC for absolute times): what
     * every calendar client parses (RFC 5545 writes four-digit years; Windows' FILETIME starts in 1601).
     */
    public static final int MIN_YEAR = 1601;
    public static final int MAX_YEAR = 9999;

    private EventValidator() {
    }

    public static void validate(CalendarEvent e) {
        if (e == null) {
            throw new WireFormatException("", "event is null");
        }
        if (e.uid() == null || e.uid().isBlank()) {
            throw new WireFormatException("uid", "missing or blank");
        }
        length("uid", e.uid(), MAX_UID);
        if (e.start() == null) {
            throw new WireFormatException("start", "missing");
        }
        zone("start", e.start());
        year("start", e.start());
        if (e.end() != null) {
            zone("end", e.end());
            year("end", e.end());
            if (e.end().isDate() != e.start().isDate()) {
                throw new WireFormatException("end", "start and end must both be dates or both date-times");
            }
            if (compare(e.end(), e.start()) < 0) {
                throw new WireFormatException("end", "end " + e.end().canonical() + " is before start "
                        + e.start().canonical());
            }
        }
        if (e.recurrenceId() != null) {
            // RFC 5545 matches RECURRENCE-ID's type with the series' DTSTART, not the override's own: an override
            // may move a timed occurrence to an all-day one. The .ics reader checks it against the series.
            zone("recurrence_id", e.recurrenceId());
            year("recurrence_id", e.recurrenceId());
        }
        length("title", e.title(), MAX_TITLE);
        length("description", e.description(), MAX_DESCRIPTION);
        length("location", e.location(), MAX_LOCATION);
        length("status", e.status(), MAX_SHORT_TEXT);
        length("transparency", e.transparency(), MAX_SHORT_TEXT);
        length("busy_status", e.busyStatus(), MAX_SHORT_TEXT);
        length("classification", e.classification(), MAX_SHORT_TEXT);
        if (e.organizer() != null) {
            length("organizer.email", e.organizer().email(), MAX_SHORT_TEXT);
            length("organizer.name", e.organizer().name(), MAX_SHORT_TEXT);
        }
        if (e.attendees().size() > MAX_ATTENDEES) {
            throw new WireFormatException("attendees", e.attendees().size() + " attendees, at most " + MAX_ATTENDEES);
        }
        for (int i = 0; i < e.attendees().size(); i++) {
            Attendee a = e.attendees().get(i);
            if (a == null) {
                throw new WireFormatException("attendees[" + i + "]", "is null");
            }
            length("attendees[" + i + "].email", a.email(), MAX_SHORT_TEXT);
            length("attendees[" + i + "].name", a.name(), MAX_SHORT_TEXT);
        }
        list("rrule", e.rrules());
        for (int i = 0; i < e.rrules().size(); i++) {
            checkRrule("rrule[" + i + "]", e.rrules().get(i));
        }
        list("exdate", e.exdates());
        for (int i = 0; i < e.exdates().size(); i++) {
            zone("exdate[" + i + "]", e.exdates().get(i));
            year("exdate[" + i + "]", e.exdates().get(i));
        }
        list("rdate", e.rdates());
        for (int i = 0; i < e.rdates().size(); i++) {
            zone("rdate[" + i + "]", e.rdates().get(i));
            year("rdate[" + i + "]", e.rdates().get(i));
        }
        list("categories", e.categories());
        for (int i = 0; i < e.categories().size(); i++) {
            String c = e.categories().get(i);
            if (c == null) {
                throw new WireFormatException("categories[" + i + "]", "is null");
            }
            length("categories[" + i + "]", c, MAX_SHORT_TEXT);
        }
        if (e.sequence() != null && e.sequence() < 0) {
            throw new WireFormatException("sequence", "must not be negative");
        }
        year("created", e.created());
        year("last_modified", e.lastModified());
        if (e.origin() != null) {
            length("source", e.origin().source(), MAX_SHORT_TEXT);
            length("calendar_id", e.origin().calendarId(), MAX_SHORT_TEXT);
            length("calendar_name", e.origin().calendarName(), MAX_SHORT_TEXT);
            length("provider", e.origin().provider(), MAX_SHORT_TEXT);
            length("provider_id", e.origin().providerId(), MAX_PROVIDER_ID);
        }
    }

    private static void year(String field, EventTime t) {
        int y = t.isDate() ? t.date().getYear() : t.isFloating() ? t.floating().getYear() : utcYear(t.instant());
        yearInRange(field, y, t.canonical());
    }

    private static void year(String field, java.time.Instant t) {
        if (t != null) {
            yearInRange(field, utcYear(t), t.toString());
        }
    }

    private static int utcYear(java.time.Instant t) {
        try {
            return t.atOffset(java.time.ZoneOffset.UTC).getYear();
        } catch (java.time.DateTimeException e) {
            return t.isBefore(java.time.Instant.EPOCH) ? Integer.MIN_VALUE : Integer.MAX_VALUE;
        }
    }

    private static void yearInRange(String field, int year, String shown) {
        if (year < MIN_YEAR || year > MAX_YEAR) {
            throw new WireFormatException(field, "year " + year + " is outside " + MIN_YEAR + ".." + MAX_YEAR
                    + " (" + WireTimes.abbreviate(shown) + ")");
        }
    }

    /** Checks that a RRULE value (without the "RRULE:" prefix) parses as an RFC 5545 recurrence rule. */
    public static void checkRrule(String field, String rrule) {
        if (rrule == null || rrule.isBlank()) {
            throw new WireFormatException(field, "empty recurrence rule");
        }
        if (rrule.length() > MAX_SHORT_TEXT) {
            throw new WireFormatException(field, "recurrence rule longer than " + MAX_SHORT_TEXT + " characters");
        }
        try {
            Recur<?> r = new Recur<>(rrule);
            if (r.getFrequency() == null) {
                throw new WireFormatException(field, "recurrence rule without FREQ: '" + rrule + "'");
            }
        } catch (WireFormatException ex) {
            throw ex;
        } catch (RuntimeException ex) {
            throw new WireFormatException(field, "invalid recurrence rule '" + WireTimes.abbreviate(rrule) + "': "
                    + ex.getMessage(), ex);
        }
    }

    /** Orders two times of the same kind; floating and zoned values compare by their wall or absolute time. */
    private static int compare(EventTime a, EventTime b) {
        if (a.isDate()) {
            return a.date().compareTo(b.date());
        }
        if (a.isFloating() || b.isFloating()) {
            return a.localDateTime().compareTo(b.localDateTime());
        }
        return a.instant().compareTo(b.instant());
    }

    private static void zone(String field, EventTime t) {
        if (t.zone() != null) {
            try {
                ZoneId.of(t.zone());
            } catch (RuntimeException ex) {
                throw new WireFormatException(field, "unknown time zone '" + t.zone() + "'", ex);
            }
        }
    }

    private static void length(String field, String value, int max) {
        if (value != null && value.length() > max) {
            throw new WireFormatException(field, "longer than " + max + " characters");
        }
    }

    private static void list(String field, List<?> l) {
        if (l.size() > MAX_LIST) {
            throw new WireFormatException(field, l.size() + " entries, at most " + MAX_LIST);
        }
    }
}
