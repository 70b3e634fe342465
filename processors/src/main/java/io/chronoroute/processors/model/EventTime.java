package io.chronoroute.processors.model;

import java.time.Instant;
import java.time.LocalDate;
import java.time.LocalDateTime;
import java.time.ZoneId;
import java.time.ZoneOffset;
import java.util.Objects;

/**
 * A point in time as RFC 5545 knows it. Exactly one of three forms:
 * <ul>
 *   <li><b>date</b> (all-day, {@code VALUE=DATE}): {@link #date()} set, nothing else;</li>
 *   <li><b>zoned</b>: {@link #instant()} set, with the IANA {@link #zone()} the event was written in
 *       ({@code "UTC"} for a UTC time);</li>
 *   <li><b>floating</b>: {@link #floating()} set, a wall-clock time that belongs to no zone (RFC 5545 §3.3.5
 *       form #1). It is kept as floating, never silently pinned to a zone.</li>
 * </ul>
 */
public record EventTime(Instant instant, String zone, LocalDate date, LocalDateTime floating) {

    public EventTime {
        int forms = (instant != null ? 1 : 0) + (date != null ? 1 : 0) + (floating != null ? 1 : 0);
        if (forms != 1) {
            throw new IllegalArgumentException("EventTime needs exactly one of instant, date, floating");
        }
        if (instant != null && zone == null) {
            zone = "UTC";
        }
        if (instant == null) {
            zone = null;
        }
    }

    public static EventTime ofInstant(Instant instant, String zone) {
        return new EventTime(Objects.requireNonNull(instant), zone, null, null);
    }

    public static EventTime ofZoned(LocalDateTime local, ZoneId zone) {
        return new EventTime(local.atZone(zone).toInstant(), zone.getId(), null, null);
    }

    public static EventTime ofDate(LocalDate date) {
        return new EventTime(null, null, Objects.requireNonNull(date), null);
    }

    public static EventTime ofFloating(LocalDateTime local) {
        return new EventTime(null, null, null, Objects.requireNonNull(local));
    }

    public boolean isDate() {
        return date != null;
    }

    public boolean isFloating() {
        return floating != null;
    }

    public ZoneId zoneId() {
        return zone == null ? null : ZoneId.of(zone);
    }

    /** Wall-clock time in the event's own zone (or the floating/date value itself at midnight). */
    public LocalDateTime localDateTime() {
        if (instant != null) {
            return LocalDateTime.ofInstant(instant, zoneId());
        }
        return date != null ? date.atStartOfDay() : floating;
    }

    /**
     * An instant for ordering and range queries. Dates and floating times have none of their own; they are
     * placed in {@code viewerZone} (the master's display zone) - the stored value is not changed by this.
     */
    public Instant toInstant(ZoneId viewerZone) {
        if (instant != null) {
            return instant;
        }
        ZoneId z = viewerZone == null ? ZoneOffset.UTC : viewerZone;
        return localDateTime().atZone(z).toInstant();
    }

    /** Canonical text used in hashes and keys: {@code D:2025-06-10}, {@code Z:2025-06-10T07:00:00Z@Europe/Berlin}, {@code F:2025-06-10T09:00}. */
    public String canonical() {
        if (date != null) {
            return "D:" + date;
        }
        if (floating != null) {
            return "F:" + floating;
        }
        return "Z:" + instant + "@" + zone;
    }
}
