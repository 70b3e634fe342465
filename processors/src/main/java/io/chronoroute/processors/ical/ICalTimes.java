package io.chronoroute.processors.ical;

import io.chronoroute.processors.model.EventTime;
import io.chronoroute.processors.zone.WindowsZones;
import net.fortuna.ical4j.model.TimeZone;
import net.fortuna.ical4j.model.component.VTimeZone;

import java.time.DateTimeException;
import java.time.Instant;
import java.time.LocalDate;
import java.time.LocalDateTime;
import java.time.ZoneId;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.Map;
import java.util.Optional;

/**
 * iCalendar DATE / DATE-TIME values ↔ {@link EventTime}, with TZID resolution. Package-private helper of
 * {@link ICalCodec}.
 */
final class ICalTimes {

    static final DateTimeFormatter LOCAL = DateTimeFormatter.ofPattern("uuuuMMdd'T'HHmmss");
    static final DateTimeFormatter DATE = DateTimeFormatter.BASIC_ISO_DATE;

    private ICalTimes() {
    }

    /** How one TZID resolves: an IANA zone, or only the file's VTIMEZONE rules (then instants are in UTC). */
    record ResolvedZone(ZoneId iana, java.util.function.LongToIntFunction vtimezone) {
        Instant toInstant(LocalDateTime local) {
            if (iana != null) {
                return local.atZone(iana).toInstant();
            }
            long asUtc = local.toInstant(ZoneOffset.UTC).toEpochMilli();
            int off = vtimezone.applyAsInt(asUtc - vtimezone.applyAsInt(asUtc));
            return Instant.ofEpochMilli(asUtc - off).plusNanos(local.getNano() % 1_000_000);
        }

        String zoneLabel() {
            return iana != null ? iana.getId() : "UTC";
        }
    }

    /**
     * Resolves a TZID: IANA ids, Windows names and Outlook display names ({@link WindowsZones}); old Mozilla-style
     * ids with a path prefix ({@code /mozilla.org/20050126_1/Europe/Berlin}); the X-LIC-LOCATION of the file's
     * VTIMEZONE; and last the VTIMEZONE's own rules (Outlook's "Customized Time Zone"). Empty when none applies.
     */
    static Optional<ResolvedZone> resolve(String tzid, Map<String, VTimeZone> fileZones) {
        String id = tzid.trim();
        Optional<String> iana = WindowsZones.toIana(id);
        if (iana.isEmpty() && id.contains("/")) {
            String[] parts = id.split("/");
            for (int i = 1; i < parts.length - 1 && iana.isEmpty(); i++) {
                iana = WindowsZones.toIana(String.join("/", java.util.Arrays.copyOfRange(parts, i, parts.length)));
            }
        }
        VTimeZone vtz = fileZones.get(id);
        if (iana.isEmpty() && vtz != null) {
            iana = vtz.getProperty("X-LIC-LOCATION").flatMap(p -> WindowsZones.toIana(p.getValue()));
        }
        if (iana.isPresent()) {
            return Optional.of(new ResolvedZone(ZoneId.of(iana.get()), null));
        }
        if (vtz != null) {
            return Optional.of(new ResolvedZone(null, new TimeZone(vtz)::getOffset));
        }
        return Optional.empty();
    }

    /**
     * One value. DATE when {@code VALUE=DATE} or 8 digits; UTC when it ends in Z; in the resolved TZID; otherwise
     * floating, or zoned in {@code defaultZone} when given.
     */
    static EventTime parse(String value, boolean dateValue, ResolvedZone zone, ZoneId defaultZone) {
        String v = value.trim();
        try {
            if (dateValue || v.length() == 8) {
                return EventTime.ofDate(LocalDate.parse(v.substring(0, 8), DATE));
            }
            if (v.endsWith("Z") || v.endsWith("z")) {
                LocalDateTime l = LocalDateTime.parse(v.substring(0, v.length() - 1), LOCAL);
                return EventTime.ofInstant(l.toInstant(ZoneOffset.UTC), "UTC");
            }
            LocalDateTime l = LocalDateTime.parse(v, LOCAL);
            if (zone != null) {
                return EventTime.ofInstant(zone.toInstant(l), zone.zoneLabel());
            }
            return defaultZone == null ? EventTime.ofFloating(l) : EventTime.ofZoned(l, defaultZone);
        } catch (DateTimeException | StringIndexOutOfBoundsException ex) {
            throw new IllegalArgumentException("not an iCalendar DATE or DATE-TIME: '" + value + "'", ex);
        }
    }

    /** The value text of a time ({@code 20250610}, {@code 20250610T070000Z}, or local in its zone). */
    static String format(EventTime t, boolean utcForm) {
        if (t.isDate()) {
            return DATE.format(t.date());
        }
        if (t.isFloating()) {
            return LOCAL.format(t.floating());
        }
        if (utcForm) {
            return LOCAL.format(LocalDateTime.ofInstant(t.instant(), ZoneOffset.UTC)) + "Z";
        }
        return LOCAL.format(LocalDateTime.ofInstant(t.instant(), t.zoneId()));
    }
}
