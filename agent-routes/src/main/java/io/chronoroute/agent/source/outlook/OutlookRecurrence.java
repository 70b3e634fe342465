package io.chronoroute.agent.source.outlook;

import java.time.DayOfWeek;
import java.time.Instant;
import java.time.LocalDate;
import java.time.LocalDateTime;
import java.time.LocalTime;
import java.time.ZoneId;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

import static io.chronoroute.agent.source.outlook.OutlookValues.date;
import static io.chronoroute.agent.source.outlook.OutlookValues.flag;
import static io.chronoroute.agent.source.outlook.OutlookValues.integer;

/**
 * Outlook's {@code RecurrencePattern} ↔ one RRULE (RFC 5545), both ways, for the patterns Outlook has:
 * <ul>
 *   <li>{@code olRecursDaily} (0) → {@code FREQ=DAILY}; with a DayOfWeekMask ("every weekday") →
 *       {@code FREQ=WEEKLY;BYDAY=...};</li>
 *   <li>{@code olRecursWeekly} (1) → {@code FREQ=WEEKLY;BYDAY=...} (the object model does not say the first day of
 *       the week: no WKST is written, RFC 5545's default Monday applies);</li>
 *   <li>{@code olRecursMonthly} (2) → {@code BYMONTHDAY=d}; Outlook puts day 29-31 on the last day of a shorter
 *       month, which RRULE says as {@code BYMONTHDAY=28,...,d;BYSETPOS=-1};</li>
 *   <li>{@code olRecursMonthNth} (3) / {@code olRecursYearNth} (6) → {@code BYDAY=2TU} (Instance 5 = last = -1), or
 *       for several days ("first weekday") {@code BYDAY=MO,...;BYSETPOS=n};</li>
 *   <li>{@code olRecursYearly} (5) → {@code FREQ=YEARLY;BYMONTH=m;BYMONTHDAY=d}. The yearly Interval: the
 *       documentation says years, Outlook 2010 and later report months (12 = every year); a multiple of 12 is read
 *       as months, anything else as years; written as months (years × 12), and not at all for every year;</li>
 *   <li>range: {@code NoEndDate} → none; else {@code Occurrences} → {@code COUNT} (Outlook computes both an end date
 *       and a count for either kind of end, and the object model does not say which one the user chose, so a series
 *       written with UNTIL reads back with the equivalent COUNT); without a count, {@code PatternEndDate} →
 *       {@code UNTIL} (the end of that day in the series' zone, as the EWS source reads it; a date for an all-day
 *       series).</li>
 * </ul>
 * An RRULE Outlook cannot hold (BYMONTHDAY beyond 28 without the last-day form, several months, BYHOUR, FREQ below
 * DAILY, ...) is refused when writing: the update fails with the reason, nothing is approximated.
 */
final class OutlookRecurrence {

    static final int DAILY = 0;
    static final int WEEKLY = 1;
    static final int MONTHLY = 2;
    static final int MONTH_NTH = 3;
    static final int YEARLY = 5;
    static final int YEAR_NTH = 6;
    private static final DateTimeFormatter UNTIL = DateTimeFormatter.ofPattern("yyyyMMdd'T'HHmmss'Z'");
    private static final DateTimeFormatter DATE = DateTimeFormatter.BASIC_ISO_DATE;
    /** RRULE order of the days, with Outlook's olDaysOfWeek bits. */
    private static final String[] DAYS = {"MO", "TU", "WE", "TH", "FR", "SA", "SU"};
    private static final int[] BITS = {2, 4, 8, 16, 32, 64, 1};

    private OutlookRecurrence() {
    }

    // ------------------------------------------------------------------ reading

    /**
     * The RRULE of a pattern (without "RRULE:"); null when the pattern type is unknown.
     *
     * @param allDay whether the series is all-day (UNTIL is then a date)
     * @param zone   the series' zone (UNTIL of a timed series is the end of the last day there, in UTC)
     */
    static String rrule(Map<String, Object> p, boolean allDay, ZoneId zone) {
        Integer type = integer(p, "RecurrenceType");
        if (type == null) {
            return null;
        }
        int interval = orOne(integer(p, "Interval"));
        int mask = orZero(integer(p, "DayOfWeekMask"));
        int instance = orZero(integer(p, "Instance"));
        List<String> parts = new ArrayList<>();
        switch (type) {
            case DAILY -> {
                if (mask != 0 && mask != 127) {
                    parts.add("FREQ=WEEKLY");
                    addInterval(parts, interval);
                    parts.add("BYDAY=" + days(mask, ""));
                } else {
                    parts.add("FREQ=DAILY");
                    addInterval(parts, interval);
                }
            }
            case WEEKLY -> {
                parts.add("FREQ=WEEKLY");
                addInterval(parts, interval);
                if (mask != 0) {
                    parts.add("BYDAY=" + days(mask, ""));
                }
            }
            case MONTHLY -> {
                parts.add("FREQ=MONTHLY");
                addInterval(parts, interval);
                monthDay(parts, orOne(integer(p, "DayOfMonth")));
            }
            case MONTH_NTH -> {
                parts.add("FREQ=MONTHLY");
                addInterval(parts, interval);
                nth(parts, mask, instance);
            }
            case YEARLY, YEAR_NTH -> {
                parts.add("FREQ=YEARLY");
                addInterval(parts, interval >= 12 && interval % 12 == 0 ? interval / 12 : interval);
                parts.add("BYMONTH=" + orOne(integer(p, "MonthOfYear")));
                if (type == YEARLY) {
                    monthDay(parts, orOne(integer(p, "DayOfMonth")));
                } else {
                    nth(parts, mask, instance);
                }
            }
            default -> {
                return null;
            }
        }
        if (!flag(p, "NoEndDate")) {
            Integer count = integer(p, "Occurrences");
            LocalDateTime end = date(p, "PatternEndDate");
            if (count != null && count > 0) {
                parts.add("COUNT=" + count);
            } else if (end != null) {
                parts.add("UNTIL=" + (allDay ? DATE.format(end.toLocalDate())
                        : UNTIL.format(end.toLocalDate().atTime(LocalTime.MAX).atZone(zone)
                        .withZoneSameInstant(ZoneOffset.UTC).truncatedTo(ChronoUnit.SECONDS))));
            }
        }
        return String.join(";", parts);
    }

    private static void addInterval(List<String> parts, int interval) {
        if (interval > 1) {
            parts.add("INTERVAL=" + interval);
        }
    }

    private static void monthDay(List<String> parts, int day) {
        if (day <= 28) {
            parts.add("BYMONTHDAY=" + day);
            return;
        }
        StringBuilder sb = new StringBuilder("BYMONTHDAY=28");
        for (int d = 29; d <= day; d++) {
            sb.append(',').append(d);
        }
        parts.add(sb.toString());
        parts.add("BYSETPOS=-1");
    }

    private static void nth(List<String> parts, int mask, int instance) {
        String pos = instance >= 5 ? "-1" : String.valueOf(Math.max(instance, 1));
        if (Integer.bitCount(mask) == 1) {
            parts.add("BYDAY=" + days(mask, pos));
        } else {
            parts.add("BYDAY=" + days(mask, ""));
            parts.add("BYSETPOS=" + pos);
        }
    }

    private static String days(int mask, String prefix) {
        List<String> out = new ArrayList<>();
        for (int i = 0; i < DAYS.length; i++) {
            if ((mask & BITS[i]) != 0) {
                out.add(prefix + DAYS[i]);
            }
        }
        return String.join(",", out);
    }

    // ------------------------------------------------------------------ writing

    /**
     * The pattern properties for an RRULE, in the order Outlook wants them set (RecurrenceType first, Interval
     * before PatternEndDate).
     *
     * @param start the series' first start: its date is PatternStartDate, its weekday/day the default of a rule
     *              that does not say
     * @param zone  the zone UNTIL is read in
     * @throws IllegalArgumentException with the reason when Outlook cannot hold the rule
     */
    static Map<String, Object> pattern(String rrule, LocalDateTime start, ZoneId zone) {
        Map<String, String> r = new LinkedHashMap<>();
        for (String part : rrule.replaceFirst("(?i)^RRULE:", "").split(";")) {
            int eq = part.indexOf('=');
            if (eq > 0) {
                r.put(part.substring(0, eq).strip().toUpperCase(Locale.ROOT), part.substring(eq + 1).strip());
            }
        }
        for (String k : r.keySet()) {
            if (!List.of("FREQ", "INTERVAL", "BYDAY", "BYMONTHDAY", "BYMONTH", "BYSETPOS", "COUNT", "UNTIL", "WKST")
                    .contains(k)) {
                throw new IllegalArgumentException("Outlook cannot hold the RRULE part " + k + " (" + rrule + ")");
            }
        }
        String freq = r.getOrDefault("FREQ", "");
        int interval = r.containsKey("INTERVAL") ? Integer.parseInt(r.get("INTERVAL")) : 1;
        Map<String, Object> p = new LinkedHashMap<>();
        String byDay = r.get("BYDAY");
        String setPos = r.get("BYSETPOS");
        switch (freq) {
            case "DAILY" -> {
                if (byDay != null || r.containsKey("BYMONTHDAY") || r.containsKey("BYMONTH")) {
                    throw unsupported(rrule);
                }
                p.put("RecurrenceType", DAILY);
                p.put("Interval", interval);
            }
            case "WEEKLY" -> {
                if (r.containsKey("BYMONTHDAY") || r.containsKey("BYMONTH") || setPos != null) {
                    throw unsupported(rrule);
                }
                p.put("RecurrenceType", WEEKLY);
                p.put("DayOfWeekMask", byDay == null ? bit(start.getDayOfWeek()) : mask(byDay, rrule, false));
                p.put("Interval", interval);
            }
            case "MONTHLY", "YEARLY" -> {
                boolean yearly = freq.equals("YEARLY");
                if (!yearly && r.containsKey("BYMONTH")) {
                    throw unsupported(rrule);
                }
                if (yearly) {
                    String month = r.getOrDefault("BYMONTH", String.valueOf(start.getMonthValue()));
                    if (!month.matches("\\d{1,2}")) {
                        throw unsupported(rrule);
                    }
                }
                if (byDay != null) {
                    int[] nth = nth(byDay, setPos, rrule);
                    p.put("RecurrenceType", yearly ? YEAR_NTH : MONTH_NTH);
                    p.put("DayOfWeekMask", nth[0]);
                    p.put("Instance", nth[1]);
                } else {
                    p.put("RecurrenceType", yearly ? YEARLY : MONTHLY);
                    p.put("DayOfMonth", monthDay(r.get("BYMONTHDAY"), setPos, start.getDayOfMonth(), rrule));
                }
                if (yearly) {
                    p.put("MonthOfYear", Integer.parseInt(r.getOrDefault("BYMONTH",
                            String.valueOf(start.getMonthValue()))));
                    if (interval > 1) {
                        p.put("Interval", interval * 12);
                    }
                } else {
                    p.put("Interval", interval);
                }
            }
            default -> throw new IllegalArgumentException("Outlook has no recurrence of FREQ=" + freq + " (" + rrule
                    + ")");
        }
        p.put("PatternStartDate", start.toLocalDate().atStartOfDay());
        if (r.containsKey("COUNT")) {
            p.put("Occurrences", Integer.parseInt(r.get("COUNT")));
        } else if (r.containsKey("UNTIL")) {
            p.put("PatternEndDate", untilDate(r.get("UNTIL"), zone).atStartOfDay());
        } else {
            p.put("NoEndDate", Boolean.TRUE);
        }
        return p;
    }

    private static IllegalArgumentException unsupported(String rrule) {
        return new IllegalArgumentException("Outlook has no recurrence pattern for " + rrule);
    }

    private static int bit(DayOfWeek d) {
        return BITS[d.getValue() - 1];
    }

    private static int mask(String byDay, String rrule, boolean allowPrefix) {
        int mask = 0;
        for (String d : byDay.split(",")) {
            String day = d.strip().toUpperCase(Locale.ROOT);
            if (!allowPrefix && day.length() != 2) {
                throw unsupported(rrule);
            }
            int i = List.of(DAYS).indexOf(day.substring(day.length() - 2));
            if (i < 0) {
                throw unsupported(rrule);
            }
            mask |= BITS[i];
        }
        return mask;
    }

    /** BYDAY=2TU, or BYDAY=MO,...;BYSETPOS=n → {mask, Instance}. */
    private static int[] nth(String byDay, String setPos, String rrule) {
        String pos;
        String days;
        if (setPos != null) {
            pos = setPos;
            days = byDay;
            if (byDay.matches(".*[0-9].*")) {
                throw unsupported(rrule);
            }
        } else {
            if (byDay.contains(",")) {
                throw unsupported(rrule);
            }
            String d = byDay.strip();
            pos = d.substring(0, d.length() - 2).replace("+", "");
            days = d.substring(d.length() - 2);
        }
        int instance = switch (pos) {
            case "1", "2", "3", "4" -> Integer.parseInt(pos);
            case "-1" -> 5;
            default -> throw unsupported(rrule);
        };
        return new int[] {mask(days, rrule, false), instance};
    }

    private static int monthDay(String byMonthDay, String setPos, int dflt, String rrule) {
        if (byMonthDay == null) {
            if (dflt > 28) {
                throw new IllegalArgumentException("Outlook moves day " + dflt + " to the end of shorter months; "
                        + "the rule " + rrule + " skips them");
            }
            return dflt;
        }
        String[] days = byMonthDay.split(",");
        if (days.length == 1 && setPos == null) {
            int d = Integer.parseInt(days[0].strip());
            if (d < 1 || d > 28) {
                throw new IllegalArgumentException("Outlook moves day " + d + " to the end of shorter months; "
                        + "the rule " + rrule + " skips them");
            }
            return d;
        }
        // the last-day form this class reads: BYMONTHDAY=28,29[,30[,31]];BYSETPOS=-1
        int last = Integer.parseInt(days[days.length - 1].strip());
        StringBuilder expected = new StringBuilder("28");
        for (int d = 29; d <= last; d++) {
            expected.append(',').append(d);
        }
        if (!"-1".equals(setPos) || last > 31 || !expected.toString().equals(byMonthDay.replace(" ", ""))) {
            throw unsupported(rrule);
        }
        return last;
    }

    private static LocalDate untilDate(String until, ZoneId zone) {
        String u = until.strip();
        if (u.length() == 8) {
            return LocalDate.parse(u, DATE);
        }
        if (u.endsWith("Z")) {
            return Instant.from(UNTIL.withZone(ZoneOffset.UTC).parse(u)).atZone(zone).toLocalDate();
        }
        return LocalDateTime.parse(u, DateTimeFormatter.ofPattern("yyyyMMdd'T'HHmmss")).toLocalDate();
    }

    private static int orOne(Integer i) {
        return i == null || i < 1 ? 1 : i;
    }

    private static int orZero(Integer i) {
        return i == null ? 0 : i;
    }
}
