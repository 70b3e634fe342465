package io.chronoroute.processors.ical;

import io.chronoroute.processors.model.CalendarEvent;

import io.chronoroute.processors.problem.InputProblem;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.Reader;
import java.io.StringReader;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
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
 *       stored with zone "UTC" because no IANA zone is known (e.g. Outlook's "Customized Time Zone"). A VTIMEZONE
 *       whose observances repeat other than yearly is not used (it would expand without bound). A TZID that
 *       resolves nowhere rejects the event (DTSTART, RECURRENCE-ID, EXDATE) or the property (DTEND, RDATE);</li>
 *   <li>a DATE-TIME with neither TZID nor Z is read in the calendar's {@code X-WR-TIMEZONE} (Google, Apple), else
 *       in {@code defaultZone} when given, else it stays <b>floating</b> (RFC 5545 form #1).</li>
 * </ul>
 * Problems are handled per property and per event ({@link #read}): see {@link ICalReader} and the README section
 * "What happens to your calendar data". A VEVENT without UID gets {@code chronoroute-<hash of its content>}; an
 * RDATE;VALUE=PERIOD whose length differs from the series' becomes an override (RECURRENCE-ID = the period start)
 * with the period's end, so the wire format and the feed carry it without a new field.
 * ORGANIZER/ATTENDEE give address ({@code mailto:} stripped), CN, ROLE and PARTSTAT; STATUS, TRANSP, CLASS,
 * SEQUENCE, CREATED, LAST-MODIFIED, CATEGORIES and {@code X-MICROSOFT-CDO-BUSYSTATUS} (→ busyStatus) are read;
 * DTEND missing but DURATION present gives end = start + duration. RRULE text is kept in ical4j's canonical
 * part order (e.g. {@code FREQ=WEEKLY;UNTIL=...;BYDAY=TU}), so the same rule always reads back the same text. Each event must pass
 * {@link io.chronoroute.processors.wire.EventValidator} (else it is rejected). Origin is left null: the caller knows the source.
 *
 * <h2>Writing</h2>
 * One VCALENDAR with a VTIMEZONE for each zone used; series stay adjacent (master, then its overrides). A person
 * without address is written as {@code invalid:nomail} and read back as a null address. Instants are written to
 * the second (iCalendar has no fractions). DTSTAMP is the event's LAST-MODIFIED, else CREATED, else the time of the
 * write; everything else is deterministic, so the same events always give the same text apart from that stamp.
 */
public final class ICalCodec {

    /** RFC 5545 TEXT value unescaped ({@code \n \N \\ \; \,}), as the reader does. */
    public static String unescapeText(String v) {
        return ICalLines.unescape(v);
    }


    private ICalCodec() {
    }

    /**
     * Parses every VEVENT, strictly: the events as {@link #read} gives them, but any problem that lost input (a
     * property left out, an event or the file rejected) is thrown. Repairs and warnings are not. For callers that
     * rewrite the text (a lost property would be lost from the file too) and for single remote resources.
     *
     * @param defaultZone zone for DATE-TIMEs without TZID and without Z, or null to keep them floating
     * @throws ICalParseException with line, property and reason of the first such problem
     */
    public static List<CalendarEvent> parse(String icsText, ZoneId defaultZone) throws ICalParseException {
        ICalReadResult r = read(icsText, defaultZone, ICalLimits.DEFAULT);
        for (InputProblem p : r.problems()) {
            if (p.kind() != InputProblem.Kind.REPAIRED && p.kind() != InputProblem.Kind.WARNING) {
                throw new ICalParseException(p.line() > 0 ? p.line() : -1, p.property(), p.message(), null);
            }
        }
        return r.events();
    }

    /**
     * Reads every VEVENT leniently: what has one obvious meaning is repaired, what cannot be read is left out (a
     * property, else the event), and each of these is listed in {@link ICalReadResult#problems()}.
     *
     * @throws ICalParseException when the text is no iCalendar text at all (empty, no BEGIN:VCALENDAR)
     */
    public static ICalReadResult read(String icsText, ZoneId defaultZone, ICalLimits limits) throws ICalParseException {
        String text = icsText == null ? "" : icsText;
        try {
            return new ICalReader(() -> new StringReader(text), defaultZone, limits).read();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /**
     * Like {@link #read(String, ZoneId, ICalLimits)} for a file, streamed (UTF-8, a leading BOM ignored): the file
     * is never held in memory whole, only one VEVENT at a time and the events read.
     */
    public static ICalReadResult read(Path file, ZoneId defaultZone, ICalLimits limits)
            throws ICalParseException, IOException {
        return new ICalReader(() -> {
            Reader r = new BufferedReader(new InputStreamReader(Files.newInputStream(file), StandardCharsets.UTF_8), 65536);
            r.mark(1);
            if (r.read() != '\uFEFF') {
                r.reset();
            }
            return r;
        }, defaultZone, limits).read();
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
