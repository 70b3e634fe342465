package io.chronoroute.processors.ical;

import io.chronoroute.processors.model.CalendarEvent;

import java.time.ZoneId;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.function.Function;

/**
 * iCalendar (RFC 5545) ↔ {@link CalendarEvent}, on ical4j 4.4.0 with its offline zone registry (network zone
 * updates are off: resource {@code ical4j.properties}).
 *
 * <h2>Parsing</h2>
 * Every VEVENT becomes one event, overrides (RECURRENCE-ID) included. RRULE, EXDATE and RDATE are kept as rules,
 * never expanded. Values:
 * <ul>
 *   <li>{@code VALUE=DATE} (or an 8-digit value) stays a date;</li>
 *   <li>a value ending in {@code Z} is UTC and stays UTC (zone "UTC");</li>
 *   <li>{@code TZID=} resolves through: IANA ids, Windows names and Outlook display names
 *       ({@link io.chronoroute.processors.zone.WindowsZones}), quoted names, Mozilla-style path prefixes, the
 *       VTIMEZONE's {@code X-LIC-LOCATION}; failing those, the file's own VTIMEZONE rules give the exact instant,
 *       stored with zone "UTC" because no IANA zone is known (e.g. Outlook's "Customized Time Zone"). A TZID that
 *       resolves nowhere is an {@link ICalParseException};</li>
 *   <li>a DATE-TIME with neither TZID nor Z is <b>floating</b> (RFC 5545 form #1) unless {@code defaultZone} is
 *       given, in which case it is read as wall time in that zone (use it for sources known to write local times
 *       without a zone).</li>
 * </ul>
 * ORGANIZER/ATTENDEE give address ({@code mailto:} stripped), CN, ROLE and PARTSTAT; STATUS, TRANSP, CLASS,
 * SEQUENCE, CREATED, LAST-MODIFIED, CATEGORIES and {@code X-MICROSOFT-CDO-BUSYSTATUS} (→ busyStatus) are read;
 * DTEND missing but DURATION present gives end = start + duration. RRULE text is kept in ical4j's canonical
 * part order (e.g. {@code FREQ=WEEKLY;UNTIL=...;BYDAY=TU}), so the same rule always reads back the same text. Each event must pass
 * {@link io.chronoroute.processors.wire.EventValidator}. Origin is left null: the caller knows the source.
 *
 * <h2>Writing</h2>
 * One VCALENDAR with a VTIMEZONE for each zone used; series stay adjacent (master, then its overrides). A person
 * without address is written as {@code invalid:nomail} and read back as a null address. Instants are written to
 * the second (iCalendar has no fractions). DTSTAMP is the event's LAST-MODIFIED, else CREATED, else the time of the
 * write; everything else is deterministic, so the same events always give the same text apart from that stamp.
 */
public final class ICalCodec {

    private ICalCodec() {
    }

    /**
     * Parses every VEVENT.
     *
     * @param defaultZone zone for DATE-TIMEs without TZID and without Z, or null to keep them floating
     * @throws ICalParseException with line and reason on syntax errors, unknown TZIDs and invalid events
     */
    public static List<CalendarEvent> parse(String icsText, ZoneId defaultZone) throws ICalParseException {
        return new ICalReader(icsText, defaultZone).read();
    }

    public static String write(Collection<CalendarEvent> events, String prodId) {
        return write(events, prodId, null);
    }

    /**
     * Writes one VCALENDAR.
     *
     * @param extraProps per-event extra properties (X-names only, e.g. {@code X-CHRONOROUTE-KEY}); may be null or
     *                   return null
     * @throws IllegalArgumentException when an extra property name is not an X-name
     */
    public static String write(Collection<CalendarEvent> events, String prodId,
                               Function<CalendarEvent, Map<String, String>> extraProps) {
        return new ICalWriter().write(events, prodId, extraProps);
    }
}
