package io.chronoroute.processors.ical;

import java.time.DayOfWeek;
import java.time.Instant;
import java.time.LocalDate;
import java.time.LocalDateTime;
import java.time.ZoneOffset;
import java.time.temporal.TemporalAdjusters;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.function.LongToIntFunction;

/**
 * The UTC offsets of a VTIMEZONE, computed here rather than by ical4j (whose offsets around a transition were found
 * hours off). Covers what producers write: observances with DTSTART, TZOFFSETFROM/TO, RDATEs and a yearly RRULE of
 * one BYMONTH with either one BYDAY (optionally with an ordinal, e.g. {@code 2SU}, {@code -1SU}), one BYDAY plus a
 * BYMONTHDAY range (the old US form) or one BYMONTHDAY; UNTIL and COUNT honoured. Anything else: {@link #of} is
 * empty. Only yearly rules: the cost of an offset is a few onsets per observance, whatever the rule says.
 */
final class ICalZoneRules implements LongToIntFunction {

    private record Rule(int month, int nth, DayOfWeek day, List<Integer> monthDays, Instant until, int count) {
    }

    private record Observance(LocalDateTime start, int from, int to, Rule rule, List<LocalDateTime> rdates) {
    }

    private final List<Observance> observances;

    private ICalZoneRules(List<Observance> observances) {
        this.observances = observances;
    }

    /** From the content lines of one VTIMEZONE (nested STANDARD/DAYLIGHT included); empty when not covered. */
    static Optional<ICalZoneRules> of(List<ICalLines.Line> lines) {
        List<Observance> out = new ArrayList<>();
        Map<String, String> cur = null;
        List<LocalDateTime> rdates = null;
        try {
            for (ICalLines.Line l : lines) {
                if (l.name() == null || l.value() == null) {
                    continue;
                }
                String v = l.value().trim();
                if (l.is("BEGIN")) {
                    cur = new TreeMap<>();
                    rdates = new ArrayList<>();
                } else if (l.is("END") && cur != null) {
                    LocalDateTime start = LocalDateTime.parse(cur.get("DTSTART"), ICalTimes.LOCAL);
                    Rule rule = cur.containsKey("RRULE") ? rule(cur.get("RRULE"), offset(cur.get("TZOFFSETFROM"))) : null;
                    if (cur.containsKey("RRULE") && rule == null) {
                        return Optional.empty();
                    }
                    out.add(new Observance(start, offset(cur.get("TZOFFSETFROM")), offset(cur.get("TZOFFSETTO")), rule,
                            rdates));
                    cur = null;
                } else if (cur != null && l.is("RDATE")) {
                    for (String d : v.split(",")) {
                        rdates.add(LocalDateTime.parse(d.trim(), ICalTimes.LOCAL));
                    }
                } else if (cur != null) {
                    if (cur.put(l.name(), v) != null && (l.is("RRULE") || l.is("DTSTART"))) {
                        return Optional.empty();
                    }
                }
            }
        } catch (RuntimeException ex) {
            return Optional.empty();
        }
        return out.isEmpty() ? Optional.empty() : Optional.of(new ICalZoneRules(out));
    }

    private static int offset(String v) {
        String s = v.trim();
        int sign = s.startsWith("-") ? -1 : 1;
        String d = s.replaceFirst("^[+-]", "");
        int h = Integer.parseInt(d.substring(0, 2));
        int m = Integer.parseInt(d.substring(2, 4));
        int sec = d.length() >= 6 ? Integer.parseInt(d.substring(4, 6)) : 0;
        return sign * ((h * 3600 + m * 60 + sec) * 1000);
    }

    private static Rule rule(String text, int fromOffset) {
        int month = 0;
        int nth = 0;
        DayOfWeek day = null;
        List<Integer> monthDays = new ArrayList<>();
        Instant until = null;
        int count = Integer.MAX_VALUE;
        boolean yearly = false;
        for (String part : text.toUpperCase(Locale.ROOT).split(";")) {
            int eq = part.indexOf('=');
            if (eq < 0) {
                return null;
            }
            String name = part.substring(0, eq).trim();
            String value = part.substring(eq + 1).trim();
            switch (name) {
                case "FREQ" -> yearly = value.equals("YEARLY");
                case "BYMONTH" -> month = Integer.parseInt(value);
                case "BYDAY" -> {
                    String dayName = value.substring(value.length() - 2);
                    String ord = value.substring(0, value.length() - 2);
                    nth = ord.isEmpty() ? 0 : Integer.parseInt(ord.replace("+", ""));
                    day = weekday(dayName);
                }
                case "BYMONTHDAY" -> {
                    for (String d : value.split(",")) {
                        monthDays.add(Integer.parseInt(d.trim()));
                    }
                }
                case "UNTIL" -> until = value.endsWith("Z")
                        ? LocalDateTime.parse(value.substring(0, value.length() - 1), ICalTimes.LOCAL).toInstant(ZoneOffset.UTC)
                        : value.length() == 8 ? LocalDate.parse(value, ICalTimes.DATE).atStartOfDay().toInstant(ZoneOffset.UTC)
                        : LocalDateTime.parse(value, ICalTimes.LOCAL).minusNanos(fromOffset * 1_000_000L).toInstant(ZoneOffset.UTC);
                case "COUNT" -> count = Integer.parseInt(value);
                case "INTERVAL" -> {
                    if (!value.equals("1")) {
                        return null;
                    }
                }
                case "WKST" -> {
                }
                default -> {
                    return null;
                }
            }
        }
        if (!yearly || month < 1 || month > 12 || (day == null && monthDays.size() != 1)
                || (day != null && nth != 0 && !monthDays.isEmpty()) || Math.abs(nth) > 5) {
            return null;
        }
        return new Rule(month, nth, day, monthDays, until, count);
    }

    private static DayOfWeek weekday(String d) {
        return switch (d) {
            case "MO" -> DayOfWeek.MONDAY;
            case "TU" -> DayOfWeek.TUESDAY;
            case "WE" -> DayOfWeek.WEDNESDAY;
            case "TH" -> DayOfWeek.THURSDAY;
            case "FR" -> DayOfWeek.FRIDAY;
            case "SA" -> DayOfWeek.SATURDAY;
            case "SU" -> DayOfWeek.SUNDAY;
            default -> throw new IllegalArgumentException(d);
        };
    }

    /** The local onset of a yearly rule in one year, null when none. */
    private static LocalDateTime onset(Observance o, int year) {
        Rule r = o.rule();
        LocalDate first = LocalDate.of(year, r.month(), 1);
        LocalDate d;
        if (r.day() == null) {
            int md = r.monthDays().get(0);
            int len = first.lengthOfMonth();
            if (Math.abs(md) > len || md == 0) {
                return null;
            }
            d = md > 0 ? first.withDayOfMonth(md) : first.withDayOfMonth(len + md + 1);
        } else if (!r.monthDays().isEmpty()) {
            d = null;
            for (int md : r.monthDays()) {
                if (md > 0 && md <= first.lengthOfMonth() && first.withDayOfMonth(md).getDayOfWeek() == r.day()) {
                    d = first.withDayOfMonth(md);
                    break;
                }
            }
            if (d == null) {
                return null;
            }
        } else if (r.nth() >= 0) {
            d = first.with(TemporalAdjusters.dayOfWeekInMonth(Math.max(r.nth(), 1), r.day()));
        } else {
            d = first.with(TemporalAdjusters.dayOfWeekInMonth(r.nth(), r.day()));
        }
        if (d.getMonthValue() != r.month()) {
            return null;
        }
        return d.atTime(o.start().toLocalTime());
    }

    @Override
    public int applyAsInt(long utcMillis) {
        int year = LocalDateTime.ofEpochSecond(Math.floorDiv(utcMillis, 1000), 0, ZoneOffset.UTC).getYear();
        long best = Long.MIN_VALUE;
        int bestTo = 0;
        Observance earliest = null;
        for (Observance o : observances) {
            if (earliest == null || o.start().isBefore(earliest.start())) {
                earliest = o;
            }
            List<LocalDateTime> onsets = new ArrayList<>(o.rdates());
            onsets.add(o.start());
            if (o.rule() != null) {
                for (int y = year - 1; y <= year + 1; y++) {
                    LocalDateTime on = onset(o, y);
                    if (on != null && !on.isBefore(o.start()) && y - o.start().getYear() < o.rule().count()) {
                        onsets.add(on);
                    }
                }
            }
            for (LocalDateTime on : onsets) {
                long t = on.toInstant(ZoneOffset.UTC).toEpochMilli() - o.from();
                if (o.rule() != null && o.rule().until() != null && on != o.start()
                        && t > o.rule().until().toEpochMilli()) {
                    continue;
                }
                if (t <= utcMillis && t > best) {
                    best = t;
                    bestTo = o.to();
                }
            }
        }
        return best == Long.MIN_VALUE ? earliest.from() : bestTo;
    }
}
