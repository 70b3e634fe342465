package io.chronoroute.olk15.format;

import io.chronoroute.olk15.io.ByteReader;
import io.chronoroute.olk15.io.Olk15FormatException;
import io.chronoroute.olk15.model.Olk15Recurrence;
import io.chronoroute.olk15.model.Olk15Tags;
import io.chronoroute.olk15.model.RawProperty;
import java.time.DayOfWeek;
import java.time.LocalDate;
import java.time.LocalTime;
import java.time.ZoneId;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.List;

/**
 * Reads the recurrence sub-record 0x0200000D (pyolk only; MAPI constants). A {@link CollectionReader collection}:
 *
 * <pre>
 * 0x01000003 type (0 daily, 1 weekly, 2 monthly, 3 monthNth, 5 yearly, 6 yearNth)
 * 0x02000003 interval (daily: in minutes, per pyolk)   0x03000003 end type (8225 date, 8226 count, 8227 never)
 * 0x04000003 occurrences                               0x07000003 weekday mask (bit 0 Sunday .. bit 6 Saturday)
 * 0x08000003 day of month                              0x09000003 weekday mask for monthNth
 * 0x0A000003 nth week (5 = last)                       0x0F000003 series start, minutes since 1601
 * 0x10000003 until, minutes since 1601                 0x0200000D exception dates: i32 minutes each
 * </pre>
 *
 * <p>The RRULE is rendered only from stored values: a missing interval, weekday mask or day of month leaves it null
 * (reported). Yearly types are never rendered: their month is not documented. A by-date end becomes
 * {@code UNTIL=<date>} for all-day events, and the last second of that day in the event's Olson zone (in UTC,
 * as RFC 5545 requires for date-time starts) when the zone is known; otherwise the rule is not rendered.
 */
public final class RecurrenceReader {

    private static final String[] DAY_CODES = {"SU", "MO", "TU", "WE", "TH", "FR", "SA"};
    private static final DayOfWeek[] DAYS = {DayOfWeek.SUNDAY, DayOfWeek.MONDAY, DayOfWeek.TUESDAY,
            DayOfWeek.WEDNESDAY, DayOfWeek.THURSDAY, DayOfWeek.FRIDAY, DayOfWeek.SATURDAY};
    private static final DateTimeFormatter UTC_STAMP = DateTimeFormatter.ofPattern("yyyyMMdd'T'HHmmss'Z'");
    private static final DateTimeFormatter DATE = DateTimeFormatter.BASIC_ISO_DATE;

    private RecurrenceReader() {
    }

    /**
     * @param allDay whether the event is all-day (null = unknown)
     * @param zone   the event's zone from its time-zone sub-record, or null
     */
    public static Olk15Recurrence read(byte[] value, long base, Boolean allDay, ZoneId zone, List<String> problems)
            throws Olk15FormatException {
        List<RawProperty> props = CollectionReader.read(new ByteReader(value), base, 1, problems, true);
        Integer type = null;
        Integer interval = null;
        Integer endType = null;
        Integer count = null;
        Integer weekMask = null;
        Integer monthDay = null;
        Integer monthMask = null;
        Integer nth = null;
        Integer start = null;
        Integer until = null;
        List<LocalDate> exceptions = new ArrayList<>();
        for (RawProperty p : props) {
            Integer i = Props.asInt(p.value());
            switch (p.tag()) {
                case Olk15Tags.REC_TYPE -> type = first(type, i);
                case Olk15Tags.REC_INTERVAL -> interval = first(interval, i);
                case Olk15Tags.REC_END_TYPE -> endType = first(endType, i);
                case Olk15Tags.REC_OCCURRENCES -> count = first(count, i);
                case Olk15Tags.REC_WEEKDAYS -> weekMask = first(weekMask, i);
                case Olk15Tags.REC_MONTH_DAY -> monthDay = first(monthDay, i);
                case Olk15Tags.REC_MONTH_WEEKDAYS -> monthMask = first(monthMask, i);
                case Olk15Tags.REC_MONTH_NTH -> nth = first(nth, i);
                case Olk15Tags.REC_START -> start = first(start, i);
                case Olk15Tags.REC_UNTIL -> until = first(until, i);
                case Olk15Tags.REC_EXCEPTION_DATES -> {
                    byte[] b = p.bytes();
                    if (b.length % 4 != 0) {
                        problems.add("recurrence exception dates at offset 0x" + Long.toHexString(p.offset())
                                + ": length " + b.length + " is not a multiple of 4; ignored");
                    } else {
                        for (int k = 0; k < b.length; k += 4) {
                            exceptions.add(WinMinutes.toDate(ValueDecoder.le32(b, k)));
                        }
                    }
                }
                default -> {
                }
            }
        }
        Olk15Recurrence.Type t = Olk15Recurrence.Type.fromCode(type);
        Olk15Recurrence.EndType e = Olk15Recurrence.EndType.fromCode(endType);
        if (type != null && t == null) {
            problems.add("recurrence: unknown MAPI type " + type);
        }
        if (endType != null && e == null) {
            problems.add("recurrence: unknown end type " + endType);
        }
        Integer mask = t == Olk15Recurrence.Type.MONTH_NTH || t == Olk15Recurrence.Type.YEAR_NTH ? monthMask : weekMask;
        List<DayOfWeek> days = days(mask);
        Integer setPos = nth == null ? null : (nth == 5 ? -1 : nth);
        LocalDate untilDate = until == null ? null : WinMinutes.toDate(until);
        String rrule = render(t, interval, days, monthDay, setPos, e, count, untilDate, allDay, zone, problems);
        return new Olk15Recurrence(t, type, interval, days, monthDay, setPos, e, endType, count, untilDate,
                start == null ? null : WinMinutes.toDate(start), exceptions, rrule);
    }

    private static Integer first(Integer current, Integer candidate) {
        return current != null ? current : candidate;
    }

    private static List<DayOfWeek> days(Integer mask) {
        List<DayOfWeek> out = new ArrayList<>();
        if (mask != null) {
            for (int bit = 0; bit < 7; bit++) {
                if ((mask & (1 << bit)) != 0) {
                    out.add(DAYS[bit]);
                }
            }
        }
        return out;
    }

    private static String byDay(List<DayOfWeek> days) {
        StringBuilder sb = new StringBuilder();
        for (DayOfWeek d : days) {
            if (sb.length() > 0) {
                sb.append(',');
            }
            sb.append(DAY_CODES[d.getValue() % 7]);
        }
        return sb.toString();
    }

    static String render(Olk15Recurrence.Type t, Integer interval, List<DayOfWeek> days, Integer monthDay,
                         Integer setPos, Olk15Recurrence.EndType end, Integer count, LocalDate untilDate,
                         Boolean allDay, ZoneId zone, List<String> problems) {
        if (t == null || interval == null || end == null) {
            problems.add("recurrence: RRULE not rendered, type/interval/end type missing");
            return null;
        }
        StringBuilder sb = new StringBuilder();
        switch (t) {
            case DAILY -> {
                if (interval <= 0 || interval % 1440 != 0) {
                    problems.add("recurrence: daily interval " + interval + " minutes is not whole days; no RRULE");
                    return null;
                }
                sb.append("FREQ=DAILY;INTERVAL=").append(interval / 1440);
            }
            case WEEKLY -> {
                if (interval <= 0 || days.isEmpty()) {
                    problems.add("recurrence: weekly rule without interval or weekdays; no RRULE");
                    return null;
                }
                sb.append("FREQ=WEEKLY;INTERVAL=").append(interval).append(";BYDAY=").append(byDay(days));
            }
            case MONTHLY -> {
                if (interval <= 0 || monthDay == null || monthDay < 1 || monthDay > 31) {
                    problems.add("recurrence: monthly rule without interval or day of month; no RRULE");
                    return null;
                }
                sb.append("FREQ=MONTHLY;INTERVAL=").append(interval).append(";BYMONTHDAY=").append(monthDay);
            }
            case MONTH_NTH -> {
                if (interval <= 0 || days.isEmpty() || setPos == null || setPos == 0 || setPos < -1 || setPos > 4) {
                    problems.add("recurrence: monthNth rule without interval, weekdays or week number; no RRULE");
                    return null;
                }
                sb.append("FREQ=MONTHLY;INTERVAL=").append(interval).append(";BYDAY=").append(byDay(days))
                        .append(";BYSETPOS=").append(setPos);
            }
            default -> {
                problems.add("recurrence: " + t + " rules are not rendered (month and interval unit undocumented)");
                return null;
            }
        }
        switch (end) {
            case AFTER_COUNT -> {
                if (count == null || count <= 0) {
                    problems.add("recurrence: end after count but no positive count; no RRULE");
                    return null;
                }
                sb.append(";COUNT=").append(count);
            }
            case BY_DATE -> {
                if (untilDate == null) {
                    problems.add("recurrence: end by date but no until date; no RRULE");
                    return null;
                }
                if (Boolean.TRUE.equals(allDay)) {
                    sb.append(";UNTIL=").append(untilDate.format(DATE));
                } else if (zone != null && allDay != null) {
                    sb.append(";UNTIL=").append(untilDate.atTime(LocalTime.of(23, 59, 59)).atZone(zone)
                            .withZoneSameInstant(ZoneOffset.UTC).format(UTC_STAMP));
                } else {
                    problems.add("recurrence: UNTIL needs the event's zone (unknown); no RRULE");
                    return null;
                }
            }
            case NEVER -> {
            }
        }
        return sb.toString();
    }
}
