package io.chronoroute.providers.google;

import com.google.api.client.util.DateTime;
import com.google.api.services.calendar.model.Event;
import com.google.api.services.calendar.model.EventDateTime;
import io.chronoroute.processors.model.CalendarEvent;
import io.chronoroute.processors.model.EventTime;
import io.chronoroute.providers.common.AttendeeText;

import java.time.Instant;
import java.time.LocalDateTime;
import java.time.ZoneId;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * {@link CalendarEvent} → the content of a Google {@link Event}, without tags: what both the master's Google
 * destination (which adds its tags, {@code GoogleEventMapper}) and the agent's Google source (which writes a
 * user's calendar back) write, so that one mapping decides how an event looks in Google.
 * <ul>
 *   <li>Times: timed = {@code dateTime} with the offset valid at that instant + {@code timeZone} (IANA), so Google
 *       keeps the wall-clock time across DST; all-day = {@code date}; floating = placed in {@code floatingZone}.
 *       A missing end = start (timed) or start + 1 day (all-day).</li>
 *   <li>Series: {@code recurrence} lines {@code RRULE:...}, {@code EXDATE}/{@code RDATE} as UTC instants
 *       ({@code EXDATE:20251027T080000Z}) or dates ({@code EXDATE;VALUE=DATE:20251027}); an occurrence gets
 *       {@code originalStartTime} (and {@code status=cancelled} when the occurrence is cancelled).</li>
 *   <li>Attendees are never written as attendees (no invitations): with {@code attendeesInDescription} organizer and
 *       participants are appended to the description as text, else left out.</li>
 *   <li>transparency OPAQUE/TRANSPARENT (busy status FREE = transparent), visibility PRIVATE/CONFIDENTIAL = private,
 *       PUBLIC = default; status confirmed/tentative.</li>
 * </ul>
 */
public final class GoogleEventContent {

    private static final DateTimeFormatter BASIC_UTC = DateTimeFormatter.ofPattern("yyyyMMdd'T'HHmmss'Z'")
            .withZone(ZoneOffset.UTC);

    private final ZoneId floatingZone;
    private final boolean attendeesInDescription;

    public GoogleEventContent(ZoneId floatingZone, boolean attendeesInDescription) {
        this.floatingZone = floatingZone;
        this.attendeesInDescription = attendeesInDescription;
    }

    public ZoneId floatingZone() {
        return floatingZone;
    }

    /** The event as it is written, without tags: content, and recurrence or the occurrence's original start. */
    public Event written(CalendarEvent e) {
        Event g = content(e);
        if (e.recurrenceId() != null) {
            g.setOriginalStartTime(time(e.recurrenceId()));
            if ("CANCELLED".equalsIgnoreCase(e.status())) {
                g.setStatus("cancelled");
            }
        } else {
            List<String> lines = recurrence(e);
            if (!lines.isEmpty()) {
                g.setRecurrence(lines);
            }
        }
        return g;
    }

    /** Summary, description, location, start/end, transparency, visibility, status (no recurrence, no tags). */
    public Event content(CalendarEvent e) {
        Event g = new Event();
        g.setSummary(e.title());
        g.setDescription(AttendeeText.description(e, attendeesInDescription));
        g.setLocation(e.location());
        g.setStart(time(e.start()));
        EventTime end = e.end();
        if (end == null) {
            end = e.start().isDate() ? EventTime.ofDate(e.start().date().plusDays(1)) : e.start();
        }
        g.setEnd(time(end));
        if ("TRANSPARENT".equalsIgnoreCase(e.transparency()) || "FREE".equalsIgnoreCase(e.busyStatus())) {
            g.setTransparency("transparent");
        } else if (e.transparency() != null || e.busyStatus() != null) {
            g.setTransparency("opaque");
        }
        if (e.classification() != null) {
            String c = e.classification().toUpperCase(Locale.ROOT);
            g.setVisibility(c.equals("PRIVATE") || c.equals("CONFIDENTIAL") ? "private" : "default");
        }
        g.setStatus("TENTATIVE".equalsIgnoreCase(e.status()) ? "tentative" : "confirmed");
        return g;
    }

    /** A time in Google's form: {@code date}, or {@code dateTime} with its offset and the IANA {@code timeZone}. */
    public EventDateTime time(EventTime t) {
        EventDateTime d = new EventDateTime();
        if (t.isDate()) {
            return d.setDate(new DateTime(t.date().toString()));
        }
        Instant instant = t.toInstant(floatingZone);
        ZoneId zone = t.isFloating() ? floatingZone : t.zoneId();
        int offsetMinutes = zone.getRules().getOffset(instant).getTotalSeconds() / 60;
        return d.setDateTime(new DateTime(false, instant.toEpochMilli(), offsetMinutes)).setTimeZone(zone.getId());
    }

    /** The {@code recurrence} lines of a series master (empty for a single event). */
    public List<String> recurrence(CalendarEvent e) {
        List<String> lines = new ArrayList<>();
        for (String r : e.rrules()) {
            lines.add(r.regionMatches(true, 0, "RRULE:", 0, 6) ? r : "RRULE:" + r);
        }
        boolean allDay = e.isAllDay();
        for (EventTime x : e.exdates()) {
            lines.add(dateLine("EXDATE", x, allDay));
        }
        for (EventTime x : e.rdates()) {
            lines.add(dateLine("RDATE", x, allDay));
        }
        return lines;
    }

    private String dateLine(String name, EventTime t, boolean allDay) {
        if (allDay || t.isDate()) {
            LocalDateTime local = t.isDate() ? t.date().atStartOfDay() : t.localDateTime();
            return name + ";VALUE=DATE:" + local.toLocalDate().format(DateTimeFormatter.BASIC_ISO_DATE);
        }
        return name + ":" + BASIC_UTC.format(t.toInstant(floatingZone));
    }
}
