package io.chronoroute.testsupport.google;

import java.time.DayOfWeek;
import java.time.Instant;
import java.time.LocalDate;
import java.time.LocalDateTime;
import java.time.LocalTime;
import java.time.ZoneId;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.time.temporal.ChronoUnit;
import java.time.temporal.TemporalAdjusters;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;

/**
 * Expands the RFC 5545 lines Google keeps in {@code Event.recurrence}: one RRULE (FREQ DAILY/WEEKLY/MONTHLY/YEARLY,
 * INTERVAL, COUNT, UNTIL, BYDAY, BYMONTHDAY), EXDATE and RDATE lines. Occurrences are computed in the local time of
 * the event's zone, so they keep their wall-clock time across DST changes. Enough for tests, not a full RFC engine.
 */
final class GoogleRecurrence {

    static final int MAX_OCCURRENCES = 2000;

    private static final DateTimeFormatter BASIC_DATE_TIME = DateTimeFormatter.ofPattern("yyyyMMdd'T'HHmmss");
    private static final DateTimeFormatter BASIC_DATE = DateTimeFormatter.BASIC_ISO_DATE;

    private GoogleRecurrence() {
    }

    /**
     * Local start times of every occurrence of the series starting at {@code first} (inclusive) whose start is
     * before {@code horizon}, in order, without EXDATEs.
     */
    static List<LocalDateTime> expand(List<String> lines, LocalDateTime first, ZoneId zone, boolean allDay,
            Instant horizon) {
        Map<String, String> rule = null;
        Set<LocalDateTime> exdates = new LinkedHashSet<>();
        Set<LocalDateTime> rdates = new LinkedHashSet<>();
        for (String raw : lines) {
            String line = raw.trim();
            String upper = line.toUpperCase(Locale.ROOT);
            if (upper.startsWith("RRULE:")) {
                rule = parseRule(line.substring(6));
            } else if (upper.startsWith("EXDATE")) {
                exdates.addAll(parseDates(line, zone));
            } else if (upper.startsWith("RDATE")) {
                rdates.addAll(parseDates(line, zone));
            } else {
                throw GoogleApiException.badRequest("invalid", "Invalid recurrence rule.");
            }
        }
        TreeSet<LocalDateTime> result = new TreeSet<>();
        result.add(first);
        if (rule != null) {
            result.addAll(applyRule(rule, first, zone, allDay, horizon));
        }
        for (LocalDateTime r : rdates) {
            if (!r.isBefore(first)) {
                result.add(r);
            }
        }
        result.removeAll(exdates);
        List<LocalDateTime> out = new ArrayList<>();
        for (LocalDateTime t : result) {
            if (!t.atZone(zone).toInstant().isBefore(horizon) || out.size() >= MAX_OCCURRENCES) {
                break;
            }
            out.add(t);
        }
        return out;
    }

    /** Google's suffix for instance ids: {@code 20250110T080000Z} for timed, {@code 20250110} for all-day. */
    static String instanceSuffix(LocalDateTime local, ZoneId zone, boolean allDay) {
        if (allDay) {
            return local.toLocalDate().format(BASIC_DATE);
        }
        return local.atZone(zone).withZoneSameInstant(ZoneOffset.UTC).format(BASIC_DATE_TIME) + "Z";
    }

    private static Map<String, String> parseRule(String body) {
        Map<String, String> parts = new HashMap<>();
        for (String p : body.split(";")) {
            int eq = p.indexOf('=');
            if (eq <= 0) {
                throw GoogleApiException.badRequest("invalid", "Invalid recurrence rule.");
            }
            parts.put(p.substring(0, eq).toUpperCase(Locale.ROOT), p.substring(eq + 1).toUpperCase(Locale.ROOT));
        }
        String freq = parts.get("FREQ");
        if (freq == null || !Set.of("DAILY", "WEEKLY", "MONTHLY", "YEARLY").contains(freq)) {
            throw GoogleApiException.badRequest("invalid", "Invalid recurrence rule.");
        }
        return parts;
    }

    private static List<LocalDateTime> parseDates(String line, ZoneId defaultZone) {
        int colon = line.indexOf(':');
        if (colon < 0) {
            throw GoogleApiException.badRequest("invalid", "Invalid recurrence rule.");
        }
        String params = line.substring(0, colon).toUpperCase(Locale.ROOT);
        ZoneId zone = defaultZone;
        int tzid = params.indexOf("TZID=");
        if (tzid >= 0) {
            String id = line.substring(0, colon).substring(tzid + 5);
            int semi = id.indexOf(';');
            zone = ZoneId.of(semi >= 0 ? id.substring(0, semi) : id);
        }
        List<LocalDateTime> out = new ArrayList<>();
        for (String value : line.substring(colon + 1).split(",")) {
            out.add(parseDateValue(value.trim(), zone, defaultZone));
        }
        return out;
    }

    private static LocalDateTime parseDateValue(String v, ZoneId valueZone, ZoneId seriesZone) {
        try {
            if (v.length() == 8) {
                return LocalDate.parse(v, BASIC_DATE).atStartOfDay();
            }
            if (v.endsWith("Z")) {
                return LocalDateTime.parse(v.substring(0, v.length() - 1), BASIC_DATE_TIME)
                        .atZone(ZoneOffset.UTC).withZoneSameInstant(seriesZone).toLocalDateTime();
            }
            return LocalDateTime.parse(v, BASIC_DATE_TIME).atZone(valueZone).withZoneSameInstant(seriesZone)
                    .toLocalDateTime();
        } catch (RuntimeException e) {
            throw GoogleApiException.badRequest("invalid", "Invalid recurrence rule.");
        }
    }

    private static List<LocalDateTime> applyRule(Map<String, String> rule, LocalDateTime first, ZoneId zone,
            boolean allDay, Instant horizon) {
        String freq = rule.get("FREQ");
        int interval = Integer.parseInt(rule.getOrDefault("INTERVAL", "1"));
        int count = rule.containsKey("COUNT") ? Integer.parseInt(rule.get("COUNT")) : Integer.MAX_VALUE;
        LocalDateTime until = rule.containsKey("UNTIL") ? parseDateValue(rule.get("UNTIL"), zone, zone) : null;
        if (until != null && allDay && rule.get("UNTIL").length() == 8) {
            until = until.with(LocalTime.MAX);
        }
        List<String> byDay = rule.containsKey("BYDAY") ? List.of(rule.get("BYDAY").split(",")) : List.of();
        List<Integer> byMonthDay = new ArrayList<>();
        if (rule.containsKey("BYMONTHDAY")) {
            for (String d : rule.get("BYMONTHDAY").split(",")) {
                byMonthDay.add(Integer.parseInt(d));
            }
        }
        List<LocalDateTime> out = new ArrayList<>();
        int produced = 0;
        for (int period = 0; period < 100_000 && produced < Math.min(count, MAX_OCCURRENCES); period++) {
            List<LocalDateTime> candidates = candidates(freq, first, period * (long) interval, byDay, byMonthDay);
            boolean pastEnd = false;
            for (LocalDateTime c : candidates) {
                if (c.isBefore(first)) {
                    continue;
                }
                if ((until != null && c.isAfter(until)) || !c.atZone(zone).toInstant().isBefore(horizon)) {
                    pastEnd = true;
                    break;
                }
                if (produced >= count) {
                    pastEnd = true;
                    break;
                }
                out.add(c);
                produced++;
            }
            if (pastEnd) {
                break;
            }
        }
        return out;
    }

    private static List<LocalDateTime> candidates(String freq, LocalDateTime first, long offset, List<String> byDay,
            List<Integer> byMonthDay) {
        LocalTime time = first.toLocalTime();
        List<LocalDateTime> out = new ArrayList<>();
        switch (freq) {
            case "DAILY" -> out.add(first.plusDays(offset));
            case "WEEKLY" -> {
                if (byDay.isEmpty()) {
                    out.add(first.plusWeeks(offset));
                } else {
                    LocalDate weekStart = first.toLocalDate().with(TemporalAdjusters.previousOrSame(DayOfWeek.MONDAY))
                            .plusWeeks(offset);
                    TreeSet<LocalDate> days = new TreeSet<>();
                    for (String d : byDay) {
                        days.add(weekStart.with(TemporalAdjusters.nextOrSame(dayOf(d))));
                    }
                    days.forEach(day -> out.add(day.atTime(time)));
                }
            }
            case "MONTHLY" -> {
                LocalDate month = first.toLocalDate().withDayOfMonth(1).plusMonths(offset);
                TreeSet<LocalDate> days = new TreeSet<>();
                if (!byMonthDay.isEmpty()) {
                    for (int d : byMonthDay) {
                        int len = month.lengthOfMonth();
                        int day = d > 0 ? d : len + d + 1;
                        if (day >= 1 && day <= len) {
                            days.add(month.withDayOfMonth(day));
                        }
                    }
                } else if (!byDay.isEmpty()) {
                    for (String d : byDay) {
                        days.addAll(nthWeekdays(month, d));
                    }
                } else if (first.getDayOfMonth() <= month.lengthOfMonth()) {
                    days.add(month.withDayOfMonth(first.getDayOfMonth()));
                }
                days.forEach(day -> out.add(day.atTime(time)));
            }
            default -> {
                LocalDate year = first.toLocalDate().withDayOfMonth(1).plusYears(offset);
                if (first.getDayOfMonth() <= year.lengthOfMonth()) {
                    out.add(year.withDayOfMonth(first.getDayOfMonth()).atTime(time));
                }
            }
        }
        return out;
    }

    private static List<LocalDate> nthWeekdays(LocalDate month, String spec) {
        String digits = spec.substring(0, spec.length() - 2);
        DayOfWeek dow = dayOf(spec.substring(spec.length() - 2));
        List<LocalDate> all = new ArrayList<>();
        for (LocalDate d = month.with(TemporalAdjusters.firstInMonth(dow)); d.getMonth() == month.getMonth();
                d = d.plusWeeks(1)) {
            all.add(d);
        }
        if (digits.isEmpty()) {
            return all;
        }
        int n = Integer.parseInt(digits);
        int index = n > 0 ? n - 1 : all.size() + n;
        return index >= 0 && index < all.size() ? List.of(all.get(index)) : List.of();
    }

    private static DayOfWeek dayOf(String two) {
        return switch (two) {
            case "MO" -> DayOfWeek.MONDAY;
            case "TU" -> DayOfWeek.TUESDAY;
            case "WE" -> DayOfWeek.WEDNESDAY;
            case "TH" -> DayOfWeek.THURSDAY;
            case "FR" -> DayOfWeek.FRIDAY;
            case "SA" -> DayOfWeek.SATURDAY;
            case "SU" -> DayOfWeek.SUNDAY;
            default -> throw GoogleApiException.badRequest("invalid", "Invalid recurrence rule.");
        };
    }

    static long daysBetween(LocalDate a, LocalDate b) {
        return ChronoUnit.DAYS.between(a, b);
    }
}
