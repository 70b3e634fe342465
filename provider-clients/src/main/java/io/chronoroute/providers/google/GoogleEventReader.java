package io.chronoroute.providers.google;

import com.google.api.client.util.DateTime;
import com.google.api.services.calendar.model.Event;
import com.google.api.services.calendar.model.EventDateTime;
import io.chronoroute.processors.model.CalendarEvent;
import io.chronoroute.processors.model.EventTime;
import io.chronoroute.providers.common.AttendeeText;

import java.time.DateTimeException;
import java.time.Instant;
import java.time.LocalDate;
import java.time.LocalDateTime;
import java.time.ZoneId;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Objects;
import java.util.regex.Pattern;

/**
 * Google {@link Event} → {@link CalendarEvent}, the inverse of what {@link GoogleEventContent} writes (two-way sync,
 * issue #9). Comparisons are made in Google's form: the consolidated event is mapped with the same mapping and each
 * written field is compared with what Google now shows; only a field that differs is read back. This keeps every
 * distinction Google cannot hold (floating vs zoned, PRIVATE vs CONFIDENTIAL, a missing end, busy status FREE vs
 * TRANSPARENT) exactly as the consolidated event has it, so an object nobody edited maps back to the consolidated
 * event itself, and edits of fields we never write (attendees, reminders, colorId) are no edit at all. Used by the
 * master's Google destination (its {@code GoogleEventMapper.fromGoogle}) and, without a consolidated event, by the
 * agent's Google source ({@link GoogleSeries}); it lives here so both read Google the same way.
 */
public final class GoogleEventReader {

    private static final DateTimeFormatter BASIC_LOCAL = DateTimeFormatter.ofPattern("yyyyMMdd'T'HHmmss");
    /** Our attendee block at the end of a description, for a read without the consolidated event. */
    private static final Pattern PEOPLE_BLOCK = Pattern.compile(
            "(?:\\n\\n|^)(?:Organizer: [^\\n]*\\n?)?(?:Participants: [^\\n]*)?\\s*$");

    private final ZoneId floatingZone;
    private final boolean attendeesInDescription;
    private final GoogleEventContent mapper;

    public GoogleEventReader(ZoneId floatingZone, boolean attendeesInDescription) {
        this.floatingZone = floatingZone;
        this.attendeesInDescription = attendeesInDescription;
        this.mapper = new GoogleEventContent(floatingZone, attendeesInDescription);
    }

    /**
     * {@code g} merged into {@code c} (the event it was written from), field by field in Google's form; with
     * {@code c} null the written fields only (uid, organizer, attendees, sequence, times of creation stay unset).
     */
    public CalendarEvent read(Event g, CalendarEvent c) {
        Event w = c == null ? null : mapper.written(c);
        CalendarEvent.Builder b = c == null ? CalendarEvent.builder() : c.toBuilder();
        if (w == null || !Objects.equals(text(g.getSummary()), text(w.getSummary()))) {
            b.title(text(g.getSummary()));
        }
        if (w == null || !Objects.equals(text(g.getDescription()), text(w.getDescription()))) {
            b.description(description(g.getDescription(), c));
        }
        if (w == null || !Objects.equals(text(g.getLocation()), text(w.getLocation()))) {
            b.location(text(g.getLocation()));
        }
        EventTime start = c == null ? null : c.start();
        if (g.getStart() != null && (w == null || !same(g.getStart(), w.getStart()))) {
            start = time(g.getStart(), start);
            b.start(start);
        }
        if (g.getEnd() != null && (w == null || !same(g.getEnd(), w.getEnd()))) {
            EventTime hint = c == null ? null : c.end() != null ? c.end() : c.start();
            b.end(time(g.getEnd(), hint));
        }
        if (g.getOriginalStartTime() != null) {
            if (w == null || !same(g.getOriginalStartTime(), w.getOriginalStartTime())) {
                // an occurrence of a series: RECURRENCE-ID in the form of the series' start (RFC 5545 §3.8.4.4)
                b.recurrenceId(time(g.getOriginalStartTime(), c == null ? null
                        : c.recurrenceId() != null ? c.recurrenceId() : c.start()));
            }
        } else if (w == null || !lines(g.getRecurrence()).equals(lines(w.getRecurrence()))) {
            recurrence(lines(g.getRecurrence()), start, c, b);
        }
        String gt = transparency(g);
        if (w == null || !gt.equals(transparency(w))) {
            b.transparency(gt.toUpperCase(Locale.ROOT));
            String busy = c == null ? null : c.busyStatus();
            if (gt.equals("transparent") && busy != null) {
                b.busyStatus("FREE");
            } else if (gt.equals("opaque") && "FREE".equalsIgnoreCase(busy)) {
                b.busyStatus("BUSY");
            }
        }
        String gv = visibility(g);
        if (w == null || !gv.equals(visibility(w))) {
            b.classification(classification(gv, c == null ? null : c.classification()));
        }
        String gs = status(g);
        if (w == null || !gs.equals(status(w))) {
            b.status(gs.toUpperCase(Locale.ROOT));
        }
        return b.build();
    }

    // ------------------------------------------------------------------------------------------------ fields

    private static String text(String s) {
        return s == null || s.isEmpty() ? null : s;
    }

    /** Google's description without the attendee block we appended (attendees are never read back). */
    private String description(String google, CalendarEvent c) {
        String d = text(google);
        if (d == null || !attendeesInDescription) {
            return d;
        }
        if (c != null) {
            String full = AttendeeText.description(c, true);
            String own = c.description() == null ? "" : c.description();
            String block = full != null && full.startsWith(own) ? full.substring(own.length()) : "";
            if (!block.isEmpty() && d.endsWith(block)) {
                return text(d.substring(0, d.length() - block.length()));
            }
            return d;
        }
        return text(PEOPLE_BLOCK.matcher(d).replaceFirst(""));
    }

    private static String transparency(Event g) {
        return "transparent".equals(g.getTransparency()) ? "transparent" : "opaque";
    }

    private static String visibility(Event g) {
        String v = g.getVisibility();
        return v == null ? "default" : v;
    }

    /** Google has one "private": a consolidated PRIVATE or CONFIDENTIAL stays what it was. */
    private static String classification(String visibility, String consolidated) {
        String c = consolidated == null ? "" : consolidated.toUpperCase(Locale.ROOT);
        return switch (visibility) {
            case "private" -> c.equals("CONFIDENTIAL") ? "CONFIDENTIAL" : "PRIVATE";
            case "confidential" -> "CONFIDENTIAL";
            case "public" -> "PUBLIC";
            // "default": no explicit class unless the event was private before
            default -> c.equals("PRIVATE") || c.equals("CONFIDENTIAL") ? "PUBLIC" : consolidated;
        };
    }

    private static String status(Event g) {
        return g.getStatus() == null ? "confirmed" : g.getStatus();
    }

    // ------------------------------------------------------------------------------------------------ times

    /** Same value in Google's terms: the date, or the instant and the time zone. */
    private static boolean same(EventDateTime a, EventDateTime b) {
        if (a == null || b == null) {
            return a == b;
        }
        if (a.getDate() != null || b.getDate() != null) {
            return a.getDate() != null && b.getDate() != null
                    && a.getDate().toStringRfc3339().equals(b.getDate().toStringRfc3339());
        }
        return a.getDateTime() != null && b.getDateTime() != null
                && a.getDateTime().getValue() == b.getDateTime().getValue()
                && Objects.equals(a.getTimeZone(), b.getTimeZone());
    }

    /**
     * A Google time in the form of {@code hint} (the consolidated value): floating stays floating (as the
     * wall-clock time in the floating zone) unless Google now names another zone; otherwise the instant in Google's
     * {@code timeZone}, else in the hint's zone when it gives the same offset, else UTC (the instant is exact).
     */
    private EventTime time(EventDateTime t, EventTime hint) {
        if (t.getDate() != null) {
            return EventTime.ofDate(LocalDate.parse(t.getDate().toStringRfc3339().substring(0, 10)));
        }
        DateTime dt = t.getDateTime();
        Instant instant = Instant.ofEpochMilli(dt.getValue());
        String tz = t.getTimeZone();
        if (hint != null && hint.isFloating() && (tz == null || tz.equals(floatingZone.getId()))) {
            return EventTime.ofFloating(LocalDateTime.ofInstant(instant, floatingZone));
        }
        ZoneId zone = zoneOrNull(tz);
        if (zone != null) {
            return EventTime.ofInstant(instant, zone.getId());
        }
        if (hint != null && hint.instant() != null) {
            ZoneOffset offset = ZoneOffset.ofTotalSeconds(dt.getTimeZoneShift() * 60);
            if (hint.zoneId().getRules().getOffset(instant).equals(offset)) {
                return EventTime.ofInstant(instant, hint.zone());
            }
        }
        return EventTime.ofInstant(instant, "UTC");
    }

    private static ZoneId zoneOrNull(String id) {
        if (id == null || id.isBlank()) {
            return null;
        }
        try {
            return ZoneId.of(id);
        } catch (DateTimeException e) {
            return null;
        }
    }

    // ------------------------------------------------------------------------------------------------ recurrence

    private static List<String> lines(List<String> l) {
        return l == null ? List.of() : l;
    }

    /** RRULE/EXDATE/RDATE lines; a date equal (same instant) to a consolidated one keeps the consolidated form. */
    private void recurrence(List<String> lines, EventTime start, CalendarEvent c, CalendarEvent.Builder b) {
        List<String> rrules = new ArrayList<>();
        List<EventTime> exdates = new ArrayList<>();
        List<EventTime> rdates = new ArrayList<>();
        for (String line : lines) {
            String upper = line.toUpperCase(Locale.ROOT);
            if (upper.startsWith("RRULE:")) {
                rrules.add(line.substring(6).trim());
            } else if (upper.startsWith("EXDATE")) {
                dates(line, start, c == null ? List.of() : c.exdates(), exdates);
            } else if (upper.startsWith("RDATE")) {
                dates(line, start, c == null ? List.of() : c.rdates(), rdates);
            }
        }
        b.rrules(rrules).exdates(exdates).rdates(rdates);
    }

    private void dates(String line, EventTime start, List<EventTime> known, List<EventTime> out) {
        int colon = line.indexOf(':');
        if (colon < 0) {
            return;
        }
        boolean dateValue = false;
        ZoneId tzid = null;
        for (String p : line.substring(0, colon).split(";")) {
            String u = p.toUpperCase(Locale.ROOT);
            if (u.equals("VALUE=DATE")) {
                dateValue = true;
            } else if (u.startsWith("TZID=")) {
                tzid = zoneOrNull(p.substring(5).replace("\"", ""));
            }
        }
        for (String v : line.substring(colon + 1).split(",")) {
            EventTime t;
            try {
                t = date(v.trim(), dateValue, tzid, start);
            } catch (DateTimeParseException e) {
                continue; // not a value we can read: left out, never guessed
            }
            EventTime same = null;
            for (EventTime k : known) {
                if (k.toInstant(floatingZone).equals(t.toInstant(floatingZone)) && k.isDate() == t.isDate()) {
                    same = k;
                }
            }
            out.add(same != null ? same : t);
        }
    }

    private EventTime date(String v, boolean dateValue, ZoneId tzid, EventTime start) {
        if (dateValue || v.length() == 8) {
            return EventTime.ofDate(LocalDate.parse(v.substring(0, 8), DateTimeFormatter.BASIC_ISO_DATE));
        }
        boolean utc = v.endsWith("Z");
        LocalDateTime local = LocalDateTime.parse(utc ? v.substring(0, v.length() - 1) : v, BASIC_LOCAL);
        Instant instant = utc ? local.toInstant(ZoneOffset.UTC) : tzid != null ? local.atZone(tzid).toInstant()
                : null;
        if (start != null && start.isFloating()) {
            return EventTime.ofFloating(instant == null ? local : LocalDateTime.ofInstant(instant, floatingZone));
        }
        if (instant == null) {
            return start != null && start.instant() != null ? EventTime.ofZoned(local, start.zoneId())
                    : EventTime.ofFloating(local);
        }
        return EventTime.ofInstant(instant, tzid != null ? tzid.getId()
                : start != null && start.instant() != null ? start.zone() : "UTC");
    }
}
