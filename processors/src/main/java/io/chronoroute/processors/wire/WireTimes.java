package io.chronoroute.processors.wire;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.chronoroute.processors.model.EventTime;
import io.chronoroute.processors.zone.WindowsZones;

import java.time.DateTimeException;
import java.time.Instant;
import java.time.LocalDate;
import java.time.LocalDateTime;
import java.time.LocalTime;
import java.time.OffsetDateTime;
import java.time.ZoneId;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.time.format.DateTimeFormatterBuilder;
import java.time.temporal.ChronoField;
import java.time.temporal.TemporalAccessor;
import java.util.regex.Pattern;

/**
 * Reading and writing of {@code <time>} values. Package-private helper of {@link WireJson}; see its Javadoc for
 * the local-time rule.
 */
final class WireTimes {

    /** ISO local date-time with an optional offset in any of the forms producers write: Z, +02:00, +0200, +02. */
    private static final DateTimeFormatter LENIENT = new DateTimeFormatterBuilder()
            .parseCaseInsensitive()
            .append(DateTimeFormatter.ISO_LOCAL_DATE)
            .appendLiteral('T')
            .append(DateTimeFormatter.ISO_LOCAL_TIME)
            .optionalStart().appendOffset("+HH:MM:ss", "Z").optionalEnd()
            .optionalStart().appendOffset("+HHMM", "Z").optionalEnd()
            .optionalStart().appendOffset("+HH", "Z").optionalEnd()
            .toFormatter();
    private static final DateTimeFormatter BASIC_LOCAL = DateTimeFormatter.ofPattern("uuuuMMdd'T'HHmmss");
    private static final DateTimeFormatter BASIC_DATE = DateTimeFormatter.BASIC_ISO_DATE;
    private static final Pattern DATE_ONLY = Pattern.compile("[+-]?\\d{4,}-\\d{2}-\\d{2}");
    private static final Pattern BASIC_DATE_ONLY = Pattern.compile("\\d{8}");
    private static final Pattern BASIC_DATE_TIME = Pattern.compile("\\d{8}T\\d{6}Z?");
    private static final Pattern SPACE_SEPARATED = Pattern.compile("(\\d{4}-\\d{2}-\\d{2}) (\\d{2}:.*)");

    private WireTimes() {
    }

    /** A parsed ISO text: exactly one of date, local (no offset) or offset set. */
    record Parsed(LocalDate date, LocalDateTime local, OffsetDateTime offset) {
        LocalDate wallDate() {
            return date != null ? date : local != null ? local.toLocalDate() : offset.toLocalDate();
        }

        LocalTime wallTime() {
            return date != null ? LocalTime.MIDNIGHT : local != null ? local.toLocalTime() : offset.toLocalTime();
        }
    }

    static Parsed parseText(String field, String raw) {
        if (raw == null) {
            throw new WireFormatException(field, "time is null");
        }
        String text = raw.trim();
        Parsed fast = fastIso(text);
        return fast != null ? fast : generalParse(field, raw, text);
    }

    /** Every accepted form, with {@code java.time}'s parsers. */
    static Parsed generalParse(String field, String raw, String text) {
        try {
            if (DATE_ONLY.matcher(text).matches()) {
                return new Parsed(LocalDate.parse(text), null, null);
            }
            if (BASIC_DATE_ONLY.matcher(text).matches()) {
                return new Parsed(LocalDate.parse(text, BASIC_DATE), null, null);
            }
            if (BASIC_DATE_TIME.matcher(text).matches()) {
                LocalDateTime l = LocalDateTime.parse(text.substring(0, 15), BASIC_LOCAL);
                return text.endsWith("Z") ? new Parsed(null, null, l.atOffset(java.time.ZoneOffset.UTC))
                        : new Parsed(null, l, null);
            }
            var m = SPACE_SEPARATED.matcher(text);
            if (m.matches()) {
                text = m.group(1) + "T" + m.group(2);
            }
            TemporalAccessor t = LENIENT.parse(text);
            LocalDateTime local = LocalDateTime.of(LocalDate.from(t), LocalTime.from(t));
            if (t.isSupported(ChronoField.OFFSET_SECONDS)) {
                return new Parsed(null, null, OffsetDateTime.from(t));
            }
            return new Parsed(null, local, null);
        } catch (DateTimeException ex) {
            throw new WireFormatException(field, "not an ISO-8601 date or date-time: '" + abbreviate(raw) + "'", ex);
        }
    }

    /**
     * The common forms without the general parser ({@code DateTimeFormatter} allocated some kilobytes per value,
     * the largest share of a 10,000-event ingest's garbage): {@code yyyy-MM-dd},
     * {@code yyyy-MM-ddTHH:mm[:ss[.f{1,9}]]} with nothing, {@code Z} or {@code ±HH:MM} after. Anything else, and any
     * out-of-range field, returns null and takes the general path, which accepts or rejects it as before.
     */
    static Parsed fastIso(String t) {
        int n = t.length();
        if (n < 10 || !digits(t, 0, 4) || t.charAt(4) != '-' || !digits(t, 5, 2) || t.charAt(7) != '-'
                || !digits(t, 8, 2)) {
            return null;
        }
        try {
            int year = num(t, 0, 4);
            int month = num(t, 5, 2);
            int day = num(t, 8, 2);
            if (n == 10) {
                return new Parsed(LocalDate.of(year, month, day), null, null);
            }
            if (n < 16 || (t.charAt(10) != 'T' && t.charAt(10) != 't') || !digits(t, 11, 2) || t.charAt(13) != ':'
                    || !digits(t, 14, 2)) {
                return null;
            }
            int hour = num(t, 11, 2);
            int minute = num(t, 14, 2);
            int second = 0;
            int nano = 0;
            int i = 16;
            if (i < n && t.charAt(i) == ':') {
                if (!digits(t, i + 1, 2)) {
                    return null;
                }
                second = num(t, i + 1, 2);
                i += 3;
                if (i < n && t.charAt(i) == '.') {
                    int start = ++i;
                    while (i < n && i - start < 9 && Character.isDigit(t.charAt(i))) {
                        i++;
                    }
                    if (i == start) {
                        return null;
                    }
                    nano = num(t, start, i - start);
                    for (int k = i - start; k < 9; k++) {
                        nano *= 10;
                    }
                }
            }
            LocalDateTime local = LocalDateTime.of(year, month, day, hour, minute, second, nano);
            if (i == n) {
                return new Parsed(null, local, null);
            }
            char c = t.charAt(i);
            if ((c == 'Z' || c == 'z') && i + 1 == n) {
                return new Parsed(null, null, local.atOffset(ZoneOffset.UTC));
            }
            if ((c == '+' || c == '-') && i + 6 == n && digits(t, i + 1, 2) && t.charAt(i + 3) == ':'
                    && digits(t, i + 4, 2)) {
                int sign = c == '-' ? -1 : 1;
                ZoneOffset off = ZoneOffset.ofHoursMinutes(sign * num(t, i + 1, 2), sign * num(t, i + 4, 2));
                return new Parsed(null, null, local.atOffset(off));
            }
            return null;
        } catch (DateTimeException e) {
            return null;
        }
    }

    private static boolean digits(String t, int from, int count) {
        if (from + count > t.length()) {
            return false;
        }
        for (int i = from; i < from + count; i++) {
            char c = t.charAt(i);
            if (c < '0' || c > '9') {
                return false;
            }
        }
        return true;
    }

    private static int num(String t, int from, int count) {
        int v = 0;
        for (int i = from; i < from + count; i++) {
            v = v * 10 + (t.charAt(i) - '0');
        }
        return v;
    }

    /**
     * Resolves a zone name (IANA or Windows) or throws naming the field.
     *
     * @return null for a null or blank name
     */
    static ZoneId zone(String field, String name) {
        if (name == null || name.isBlank()) {
            return null;
        }
        String iana = WindowsZones.toIana(name)
                .orElseThrow(() -> new WireFormatException(field, "unknown time zone '" + abbreviate(name) + "'"));
        return ZoneId.of(iana);
    }

    /**
     * Converts a parsed text to an EventTime.
     *
     * @param explicitZone zone given with the value itself ({@code {"time_zone"}}) or the event's zone
     * @param fallbackZone the source's configured zone, used only for values without offset when explicitZone is null
     */
    static EventTime toEventTime(Parsed p, ZoneId explicitZone, ZoneId fallbackZone) {
        if (p.date() != null) {
            return EventTime.ofDate(p.date());
        }
        if (p.offset() != null) {
            Instant i = p.offset().toInstant();
            return EventTime.ofInstant(i, explicitZone == null ? "UTC" : explicitZone.getId());
        }
        ZoneId z = explicitZone != null ? explicitZone : fallbackZone;
        return z == null ? EventTime.ofFloating(p.local()) : EventTime.ofZoned(p.local(), z);
    }

    /** The protocol-2 {@code <time>} object. */
    static ObjectNode write(EventTime t) {
        ObjectNode n = JsonNodeFactory.instance.objectNode();
        if (t.isDate()) {
            n.put("date", t.date().toString());
        } else if (t.isFloating()) {
            n.put("date_time", DateTimeFormatter.ISO_LOCAL_DATE_TIME.format(t.floating()));
        } else {
            ZoneId z = t.zoneId();
            n.put("date_time", DateTimeFormatter.ISO_OFFSET_DATE_TIME.format(t.instant().atZone(z).toOffsetDateTime()));
            n.put("time_zone", t.zone());
        }
        return n;
    }

    static String text(JsonNode n) {
        return n == null || n.isNull() || n.isMissingNode() ? null : n.asText();
    }

    static String abbreviate(String s) {
        return s.length() <= 80 ? s : s.substring(0, 77) + "...";
    }
}
