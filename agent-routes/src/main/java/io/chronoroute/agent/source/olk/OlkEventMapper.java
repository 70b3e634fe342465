package io.chronoroute.agent.source.olk;

import io.chronoroute.olk15.model.BusyStatus;
import io.chronoroute.olk15.model.Olk15Attendee;
import io.chronoroute.olk15.model.Olk15Event;
import io.chronoroute.olk15.model.Olk15TimeZone;
import io.chronoroute.processors.model.Attendee;
import io.chronoroute.processors.model.CalendarEvent;
import io.chronoroute.processors.model.EventTime;
import io.chronoroute.processors.model.Origin;
import io.chronoroute.processors.model.Person;
import io.chronoroute.processors.zone.WindowsZones;

import java.time.Instant;
import java.time.LocalDate;
import java.time.LocalDateTime;
import java.time.ZoneId;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Optional;

/**
 * {@link Olk15Event} (one decoded {@code .olk15Event}) → {@link CalendarEvent}. Plain functions, no state. Nothing is
 * invented: a value the parser could not decode stays null, and everything that could not be mapped is returned as a
 * note for the log.
 * <ul>
 *   <li><b>start/end</b>: the structured values (minutes since 1601 UTC, P✓), never file metadata. All-day events
 *       (stored midnight UTC to midnight UTC) become dates: start = the UTC date of the start, end = the UTC date of
 *       the end (exclusive, as DTEND). An all-day flag on values that are not at midnight UTC is noted and the
 *       instants are kept as they are.</li>
 *   <li><b>zone</b> ({@link #zoneOf}): the time-zone sub-record's Olson id ({@code CFtz}); else its Microsoft zone
 *       (the {@code Name}, a Windows zone name or display name, and the {@code TZID} through {@link WindowsZones};
 *       the numeric TZID has no documented mapping, so WindowsZones answers nothing for it and nothing is guessed);
 *       else the source's {@code timeZone} parameter; else the UTC instants stay with zone {@code "UTC"}. The zone
 *       only labels the instants - the instants themselves always come from the file.</li>
 *   <li><b>busy status</b>: FREE → TRANSPARENT; BUSY, TENTATIVE, OOF → OPAQUE; the status itself → busyStatus.</li>
 *   <li><b>cancelled</b> → STATUS:CANCELLED; not cancelled → status unknown (null): Outlook stores no CONFIRMED.</li>
 *   <li><b>organizer/attendees</b>: only as decoded (attendee addresses only from the attendee list). Role: required →
 *       REQ-PARTICIPANT, optional → OPT-PARTICIPANT, resource → NON-PARTICIPANT; unknown role → null. PARTSTAT is
 *       not decoded: null.</li>
 *   <li><b>UID</b> ({@link #uidOf}): the iCalendar UID property 0x0400001E; if absent, an identifier derived from the
 *       record's Record_UUID ({@code outlook-mac-record-<uuid>}). This is identity (stable for the life of the
 *       record), not content.</li>
 *   <li><b>series</b>: a master carries the RRULE rendered by the parser (when it could render one without
 *       guessing). The recurrence record's exception dates are <b>not</b> mapped to EXDATE: whether they list
 *       deleted or moved occurrences, and on which day boundary, is undocumented (pyolk only) - noted instead. An
 *       exception record becomes an override: the master's UID and RECURRENCE-ID = its stored recurrence id (a date
 *       when the master is all-day, else the instant in the master's zone).</li>
 * </ul>
 */
public final class OlkEventMapper {

    public static final String PROVIDER = "outlook-mac";
    public static final String DERIVED_UID_PREFIX = "outlook-mac-record-";

    private OlkEventMapper() {
    }

    /** Where an event's zone came from. */
    public enum ZoneBasis { OLSON, WINDOWS, SOURCE_TIME_ZONE, UTC }

    public record ZoneChoice(ZoneId zone, ZoneBasis basis) {
    }

    /** The series-level identity of a record: UID, and the RECURRENCE-ID when it is an override. */
    public record Identity(String uid, EventTime recurrenceId) {
    }

    /** The mapped event and what could not be mapped (for the log). */
    public record Mapped(CalendarEvent event, List<String> notes) {
    }

    /** A record is an exception (override) when it names a master record other than itself. */
    public static boolean isException(Olk15Event e) {
        Integer m = e.masterRecordId();
        return m != null && m != 0 && !m.equals(e.recordId());
    }

    /** The UID property, else an id derived from Record_UUID, else null (no identity: the file cannot be used). */
    public static String uidOf(Olk15Event e) {
        if (e.icalUid() != null && !e.icalUid().isBlank()) {
            return e.icalUid();
        }
        if (e.recordUuid() != null) {
            return DERIVED_UID_PREFIX + e.recordUuid().toString().toLowerCase(Locale.ROOT);
        }
        return null;
    }

    /**
     * The zone of an event: Olson id, else the Microsoft zone via {@link WindowsZones}, else {@code sourceZone}
     * (the source's {@code timeZone} parameter, may be null), else UTC.
     */
    public static ZoneChoice zoneOf(Olk15Event e, ZoneId sourceZone) {
        Olk15TimeZone tz = e.timeZone();
        if (tz != null) {
            if (tz.olsonId() != null && !tz.olsonId().isBlank()) {
                Optional<ZoneId> z = zone(tz.olsonId().strip());
                if (z.isPresent()) {
                    return new ZoneChoice(z.get(), ZoneBasis.OLSON);
                }
            }
            List<String> windows = new ArrayList<>(2);
            if (tz.name() != null) {
                windows.add(tz.name());
            }
            if (tz.msZoneId() != null) {
                windows.add(tz.msZoneId().toString());
            }
            for (String w : windows) {
                Optional<ZoneId> z = WindowsZones.toIana(w).flatMap(OlkEventMapper::zone);
                if (z.isPresent()) {
                    return new ZoneChoice(z.get(), ZoneBasis.WINDOWS);
                }
            }
        }
        if (sourceZone != null) {
            return new ZoneChoice(sourceZone, ZoneBasis.SOURCE_TIME_ZONE);
        }
        return new ZoneChoice(ZoneOffset.UTC, ZoneBasis.UTC);
    }

    private static Optional<ZoneId> zone(String id) {
        try {
            return Optional.of(ZoneId.of(id));
        } catch (RuntimeException ex) {
            return Optional.empty();
        }
    }

    /** Whether the record is stored as all-day in the documented form (flag set, midnight UTC to midnight UTC). */
    public static boolean isAllDay(Olk15Event e) {
        return Boolean.TRUE.equals(e.allDay()) && e.start() != null && midnightUtc(e.start())
                && (e.end() == null || midnightUtc(e.end()));
    }

    /** RECURRENCE-ID of an override: a date for an all-day series, else the instant in the master's zone. */
    public static EventTime recurrenceId(Instant stored, boolean masterAllDay, ZoneId masterZone) {
        if (masterAllDay) {
            return EventTime.ofDate(LocalDate.ofInstant(stored, ZoneOffset.UTC));
        }
        return EventTime.ofInstant(stored, zoneName(masterZone));
    }

    /**
     * Maps one record.
     *
     * @param identity     UID (and RECURRENCE-ID for an override) as determined by the caller
     * @param zone         the record's zone ({@link #zoneOf})
     * @param lastModified Record_ModDate from Outlook.sqlite when known, else null
     * @param origin       where it came from
     */
    public static Mapped map(Olk15Event e, Identity identity, ZoneChoice zone, Instant lastModified, Origin origin) {
        List<String> notes = new ArrayList<>();
        boolean allDay = isAllDay(e);
        if (Boolean.TRUE.equals(e.allDay()) && !allDay && e.start() != null) {
            notes.add("all-day flag on times that are not midnight UTC; kept as timed instants");
        }
        String zoneName = zoneName(zone.zone());
        EventTime start = e.start() == null ? null
                : allDay ? EventTime.ofDate(LocalDate.ofInstant(e.start(), ZoneOffset.UTC))
                : EventTime.ofInstant(e.start(), zoneName);
        EventTime end = e.end() == null ? null
                : allDay ? EventTime.ofDate(LocalDate.ofInstant(e.end(), ZoneOffset.UTC))
                : EventTime.ofInstant(e.end(), zoneName);
        if (!allDay && e.localStart() != null && e.start() != null && zone.basis() != ZoneBasis.OLSON
                && zone.basis() != ZoneBasis.WINDOWS
                && !LocalDateTime.ofInstant(e.start(), zone.zone()).equals(e.localStart())) {
            notes.add("zone " + zoneName + " (" + zone.basis() + ") does not reproduce the stored wall-clock start "
                    + e.localStart() + "; the UTC instants are kept");
        }
        List<String> rrules = List.of();
        if (identity.recurrenceId() == null && Boolean.TRUE.equals(e.recurring()) && !isException(e)) {
            if (e.recurrence() == null) {
                notes.add("recurring, but the file stores no recurrence rule: sent without RRULE");
            } else if (e.recurrence().rrule() == null) {
                notes.add("recurrence rule could not be rendered without guessing: sent without RRULE");
            } else {
                rrules = List.of(e.recurrence().rrule());
            }
            if (e.recurrence() != null && !e.recurrence().exceptionDates().isEmpty()) {
                notes.add(e.recurrence().exceptionDates().size() + " recurrence exception date(s) not mapped to "
                        + "EXDATE (undocumented whether they are deleted or moved occurrences)");
            }
        }
        Person organizer = e.organizerAddress() == null && e.organizerName() == null ? null
                : new Person(e.organizerAddress(), e.organizerName());
        List<Attendee> attendees = new ArrayList<>(e.attendees().size());
        for (Olk15Attendee a : e.attendees()) {
            attendees.add(new Attendee(a.address(), a.name(), role(a.role()), null));
        }
        CalendarEvent event = CalendarEvent.builder()
                .uid(identity.uid())
                .recurrenceId(identity.recurrenceId())
                .title(e.subject())
                .description(e.bodyText())
                .location(e.location())
                .start(start)
                .end(end)
                .rrules(rrules)
                .organizer(organizer)
                .attendees(attendees)
                .status(Boolean.TRUE.equals(e.cancelled()) ? "CANCELLED" : null)
                .transparency(transparency(e.busyStatus()))
                .busyStatus(e.busyStatus() == null ? null : e.busyStatus().name())
                .lastModified(lastModified)
                .origin(origin)
                .build();
        return new Mapped(event, List.copyOf(notes));
    }

    static String role(Olk15Attendee.Role role) {
        if (role == null) {
            return null;
        }
        return switch (role) {
            case REQUIRED -> "REQ-PARTICIPANT";
            case OPTIONAL -> "OPT-PARTICIPANT";
            case RESOURCE -> "NON-PARTICIPANT";
        };
    }

    static String transparency(BusyStatus b) {
        if (b == null) {
            return null;
        }
        return b == BusyStatus.FREE ? "TRANSPARENT" : "OPAQUE";
    }

    static String zoneName(ZoneId zone) {
        return zone == null || zone.equals(ZoneOffset.UTC) ? "UTC" : zone.getId();
    }

    private static boolean midnightUtc(Instant t) {
        return LocalDateTime.ofInstant(t, ZoneOffset.UTC).toLocalTime().toSecondOfDay() == 0;
    }
}
