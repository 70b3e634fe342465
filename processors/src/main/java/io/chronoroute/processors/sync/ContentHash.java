package io.chronoroute.processors.sync;

import io.chronoroute.processors.model.Attendee;
import io.chronoroute.processors.model.CalendarEvent;
import io.chronoroute.processors.model.EventTime;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;

/**
 * A hash of what an event <i>says</i>: every normalized field except the volatile ones (created, last-modified,
 * and the origin, which says where it was seen rather than what it is). Lists whose order carries no meaning
 * (attendees, categories, EXDATE, RDATE, RRULE) are sorted first, so the same event gives the same hash on any
 * run, JVM or machine. 32 hex digits.
 */
public final class ContentHash {

    private ContentHash() {
    }

    public static String of(CalendarEvent e) {
        return hash(e, true);
    }

    /**
     * The hash of what an event says <i>apart from its SEQUENCE</i>: two copies of one event that differ only in the
     * revision counter a calendar bumps when it writes (an .ics file written back gets SEQUENCE+1) are the same
     * event. Two-way sync compares with this to recognise its own write-back coming back.
     */
    public static String ofSubstance(CalendarEvent e) {
        return hash(e, false);
    }

    /** Whether two events say the same thing apart from SEQUENCE (null only equals null). */
    public static boolean sameSubstance(CalendarEvent a, CalendarEvent b) {
        if (a == null || b == null) {
            return a == b;
        }
        return hash(a, false).equals(hash(b, false));
    }

    private static String hash(CalendarEvent e, boolean withSequence) {
        StringBuilder sb = new StringBuilder(256);
        field(sb, "uid", e.uid());
        field(sb, "rid", t(e.recurrenceId()));
        field(sb, "title", e.title());
        field(sb, "desc", e.description());
        field(sb, "loc", e.location());
        field(sb, "start", t(e.start()));
        field(sb, "end", t(e.end()));
        field(sb, "rrule", sorted(e.rrules()));
        field(sb, "exdate", sorted(e.exdates().stream().map(EventTime::canonical).toList()));
        field(sb, "rdate", sorted(e.rdates().stream().map(EventTime::canonical).toList()));
        field(sb, "org", e.organizer() == null ? null : e.organizer().email() + "|" + e.organizer().name());
        List<Attendee> att = new ArrayList<>(e.attendees());
        att.sort(Comparator.comparing((Attendee a) -> String.valueOf(a.email())).thenComparing(a -> String.valueOf(a.name())));
        StringBuilder a = new StringBuilder();
        for (Attendee x : att) {
            a.append(x.email()).append('|').append(x.name()).append('|').append(x.role()).append('|').append(x.status()).append(';');
        }
        field(sb, "att", a.toString());
        field(sb, "status", e.status());
        field(sb, "transp", e.transparency());
        field(sb, "busy", e.busyStatus());
        field(sb, "class", e.classification());
        if (withSequence) {
            field(sb, "seq", e.sequence() == null ? null : e.sequence().toString());
        }
        field(sb, "cat", sorted(e.categories()));
        return SyncKey.sha256Hex(sb.toString()).substring(0, 32);
    }

    private static String t(EventTime t) {
        return t == null ? null : t.canonical();
    }

    private static String sorted(List<String> l) {
        List<String> c = new ArrayList<>(l);
        c.sort(Comparator.naturalOrder());
        return String.join("\u001e", c);
    }

    private static void field(StringBuilder sb, String name, String value) {
        sb.append(name).append('=');
        if (value == null) {
            sb.append('\u0000');
        } else {
            sb.append(value.length()).append(':').append(value);
        }
        sb.append('\u001f');
    }
}
