package io.chronoroute.providers.google;

import com.google.api.client.util.DateTime;
import com.google.api.services.calendar.model.Event;
import com.google.api.services.calendar.model.EventAttendee;
import io.chronoroute.processors.model.Attendee;
import io.chronoroute.processors.model.CalendarEvent;
import io.chronoroute.processors.model.EventTime;
import io.chronoroute.processors.model.Person;

import java.time.Instant;
import java.time.ZoneId;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

/**
 * A Google calendar's events as the {@link CalendarEvent}s of a calendar <i>source</i> (the agent reads a user's
 * Google calendar): unlike the master's destination, which only reads back what it wrote, everything Google holds
 * that the model carries is read, with Google's {@code iCalUID} as UID.
 * <ul>
 *   <li>With {@code singleEvents=false} Google lists a recurring series as its master (with {@code recurrence}) plus
 *       one item per exception, each with {@code recurringEventId} and {@code originalStartTime}: a changed
 *       occurrence becomes an override whose RECURRENCE-ID is the original start in the form of the series' start
 *       (date, or the instant in the series' zone: RFC 5545 §3.8.4.4); a cancelled one becomes an EXDATE of the
 *       master (Google keeps deleted occurrences as cancelled exceptions, never as EXDATE lines).</li>
 *   <li>A cancelled master or single event is the deletion of the whole series/event: no events.</li>
 *   <li>Content, times (all-day, zones), recurrence lines, transparency, visibility and status are read with the
 *       master's own {@link GoogleEventReader}; SEQUENCE, CREATED, LAST-MODIFIED ({@code updated}), organizer and
 *       attendees (address, name, optional → OPT-PARTICIPANT, response → PARTSTAT) come from Google as they are.</li>
 *   <li>Extended properties are not part of the model: they stay in Google, and a write-back patches only the fields
 *       it changes, so they are kept.</li>
 * </ul>
 * The grouping unit is the series: {@link #seriesId} names the group an item belongs to.
 */
public final class GoogleSeries {

    /**
     * The private extended property the master's Google destination tags its own events with
     * ({@code GoogleEventMapper.OWNER}): such an event is a consolidated copy, not a user's event.
     */
    public static final String MASTER_OWNER_TAG = "chronorouteOwner";

    private static final DateTimeFormatter BASIC_UTC = DateTimeFormatter.ofPattern("yyyyMMdd'T'HHmmss'Z'")
            .withZone(ZoneOffset.UTC);
    private static final DateTimeFormatter BASIC_DATE = DateTimeFormatter.BASIC_ISO_DATE;

    private final GoogleEventReader reader;

    /** @param floatingZone where a floating time was placed when written (reading gives zoned times back) */
    public GoogleSeries(ZoneId floatingZone) {
        this.reader = new GoogleEventReader(floatingZone, false);
    }

    /** The series an item belongs to: its {@code recurringEventId} for an occurrence, else its own id. */
    public static String seriesId(Event g) {
        return g.getRecurringEventId() != null ? g.getRecurringEventId() : g.getId();
    }

    public static boolean cancelled(Event g) {
        return "cancelled".equals(g.getStatus());
    }

    /** Whether the master's Google destination wrote this event (its owner tag). */
    public static boolean writtenByMaster(Event g) {
        Map<String, String> p = g.getExtendedProperties() == null ? null : g.getExtendedProperties().getPrivate();
        return p != null && p.containsKey(MASTER_OWNER_TAG);
    }

    /**
     * The events of one series group (its master and/or exceptions, or one single event), as listed by Google;
     * empty when the series or event is cancelled (deleted). The master comes first.
     */
    public List<CalendarEvent> read(List<Event> group) {
        Event master = null;
        List<Event> occurrences = new ArrayList<>();
        for (Event g : group) {
            if (g.getRecurringEventId() == null) {
                master = g;
            } else {
                occurrences.add(g);
            }
        }
        if (master != null && cancelled(master)) {
            return List.of();
        }
        CalendarEvent m = master == null ? null : event(master, null);
        EventTime seriesStart = m == null ? null : m.start();
        List<CalendarEvent> out = new ArrayList<>();
        Set<String> exdates = new LinkedHashSet<>();
        List<EventTime> extra = new ArrayList<>();
        if (m != null) {
            m.exdates().forEach(x -> exdates.add(instantKey(x)));
        }
        for (Event o : occurrences) {
            if (cancelled(o)) {
                if (o.getOriginalStartTime() != null && m != null) {
                    EventTime rid = recurrenceId(o, seriesStart);
                    if (exdates.add(instantKey(rid))) {
                        extra.add(rid);
                    }
                }
                continue;
            }
            out.add(event(o, seriesStart));
        }
        if (m != null) {
            if (!extra.isEmpty()) {
                List<EventTime> all = new ArrayList<>(m.exdates());
                all.addAll(extra);
                m = m.toBuilder().exdates(all).build();
            }
            out.add(0, m);
        }
        return out;
    }

    /**
     * One Google event as a {@link CalendarEvent}; an occurrence (with {@code originalStartTime}) gets its
     * RECURRENCE-ID in the form of {@code seriesStart} (null: as Google gives it).
     */
    public CalendarEvent event(Event g, EventTime seriesStart) {
        CalendarEvent.Builder b = reader.read(g, null).toBuilder().uid(g.getICalUID());
        if (g.getOriginalStartTime() != null) {
            b.recurrenceId(recurrenceId(g, seriesStart));
        }
        b.sequence(g.getSequence());
        b.created(instant(g.getCreated()));
        b.lastModified(instant(g.getUpdated()));
        if (g.getOrganizer() != null && (g.getOrganizer().getEmail() != null
                || g.getOrganizer().getDisplayName() != null)) {
            b.organizer(new Person(g.getOrganizer().getEmail(), g.getOrganizer().getDisplayName()));
        }
        if (g.getAttendees() != null && !g.getAttendees().isEmpty()) {
            List<Attendee> attendees = new ArrayList<>();
            for (EventAttendee a : g.getAttendees()) {
                attendees.add(new Attendee(a.getEmail(), a.getDisplayName(),
                        Boolean.TRUE.equals(a.getOptional()) ? "OPT-PARTICIPANT" : "REQ-PARTICIPANT",
                        partstat(a.getResponseStatus())));
            }
            b.attendees(attendees);
        }
        return b.build();
    }

    /** The original start of an occurrence in the form of the series' start (date, or instant in its zone). */
    public EventTime recurrenceId(Event occurrence, EventTime seriesStart) {
        EventTime rid = reader.read(new Event().setStart(occurrence.getOriginalStartTime())
                .setEnd(occurrence.getOriginalStartTime()), null).start();
        if (seriesStart == null || rid == null) {
            return rid;
        }
        if (seriesStart.isDate()) {
            return rid.isDate() ? rid : EventTime.ofDate(rid.localDateTime().toLocalDate());
        }
        if (rid.isDate()) {
            return rid; // a dated original start of a timed series: kept as Google says
        }
        return EventTime.ofInstant(rid.toInstant(ZoneOffset.UTC), seriesStart.zone());
    }

    /**
     * Google's id of one occurrence of a series: {@code <seriesId>_<original start>}, the start in UTC basic form
     * ({@code 20251027T080000Z}) or, for an all-day series, the date ({@code 20251027}).
     */
    public static String instanceId(String seriesId, EventTime originalStart, ZoneId floatingZone) {
        if (originalStart.isDate()) {
            return seriesId + "_" + originalStart.date().format(BASIC_DATE);
        }
        return seriesId + "_" + BASIC_UTC.format(originalStart.toInstant(floatingZone));
    }

    private static String instantKey(EventTime t) {
        return t.isDate() ? "D" + t.date() : "I" + t.toInstant(ZoneOffset.UTC);
    }

    private static Instant instant(DateTime t) {
        return t == null ? null : Instant.ofEpochMilli(t.getValue());
    }

    private static String partstat(String response) {
        if (response == null) {
            return null;
        }
        return switch (response) {
            case "accepted" -> "ACCEPTED";
            case "declined" -> "DECLINED";
            case "tentative" -> "TENTATIVE";
            case "needsAction" -> "NEEDS-ACTION";
            default -> response.toUpperCase(Locale.ROOT);
        };
    }
}
