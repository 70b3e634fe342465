package io.chronoroute.testsupport.graph;

import com.fasterxml.jackson.databind.JsonNode;

import java.time.DayOfWeek;
import java.time.LocalDate;
import java.time.temporal.TemporalAdjusters;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * Expands a Graph {@code patternedRecurrence} into the local dates of its occurrences, as Exchange does for
 * {@code /instances} and {@code calendarView}: pattern types {@code daily}, {@code weekly} (daysOfWeek,
 * firstDayOfWeek), {@code absoluteMonthly} (dayOfMonth), {@code relativeMonthly} (daysOfWeek + index),
 * {@code absoluteYearly} (month + dayOfMonth), {@code relativeYearly}; range {@code endDate}, {@code numbered},
 * {@code noEnd}. Anything else is a 400 for the fake (Graph refuses an invalid pattern).
 */
final class GraphRecurrence {

    /** Hard stop for noEnd series: the fake never expands beyond this many dates. */
    static final int MAX_OCCURRENCES = 5000;

    private GraphRecurrence() {
    }

    /** Throws {@link GraphApiException} 400 when the recurrence is not a valid patternedRecurrence. */
    static void validate(JsonNode rec) {
        JsonNode p = rec.path("pattern");
        JsonNode r = rec.path("range");
        String type = p.path("type").asText("");
        if (!List.of("daily", "weekly", "absoluteMonthly", "relativeMonthly", "absoluteYearly", "relativeYearly")
                .contains(type)) {
            throw GraphApiException.badRequest("ErrorInvalidRecurrence", "pattern.type '" + type + "' is invalid");
        }
        if (p.path("interval").asInt(0) < 1) {
            throw GraphApiException.badRequest("ErrorInvalidRecurrence", "pattern.interval must be at least 1");
        }
        if ((type.equals("weekly") || type.startsWith("relative")) && p.path("daysOfWeek").isEmpty()) {
            throw GraphApiException.badRequest("ErrorInvalidRecurrence", "daysOfWeek required for " + type);
        }
        String rt = r.path("type").asText("");
        if (!List.of("endDate", "noEnd", "numbered").contains(rt) || r.path("startDate").asText("").isEmpty()) {
            throw GraphApiException.badRequest("ErrorInvalidRecurrence", "range type/startDate invalid");
        }
        if (rt.equals("endDate") && r.path("endDate").asText("").isEmpty()
                || rt.equals("numbered") && r.path("numberOfOccurrences").asInt(0) < 1) {
            throw GraphApiException.badRequest("ErrorInvalidRecurrence", "range " + rt + " incomplete");
        }
    }

    /** The occurrence dates up to {@code until} (inclusive). */
    static List<LocalDate> dates(JsonNode rec, LocalDate until) {
        JsonNode p = rec.path("pattern");
        JsonNode r = rec.path("range");
        String type = p.path("type").asText();
        int interval = p.path("interval").asInt(1);
        LocalDate start = LocalDate.parse(r.path("startDate").asText());
        LocalDate end = r.path("type").asText().equals("endDate") ? LocalDate.parse(r.path("endDate").asText()) : null;
        int count = r.path("type").asText().equals("numbered") ? r.path("numberOfOccurrences").asInt() : -1;
        LocalDate stop = end == null || end.isAfter(until) ? until : end;
        List<DayOfWeek> days = new ArrayList<>();
        p.path("daysOfWeek").forEach(d -> days.add(DayOfWeek.valueOf(d.asText().toUpperCase(Locale.ROOT))));
        List<LocalDate> out = new ArrayList<>();
        for (int period = 0; out.size() < MAX_OCCURRENCES; period++) {
            if (periodStart(type, start, period * interval).isAfter(stop)) {
                break;
            }
            List<LocalDate> candidates = candidates(type, p, start, period * interval, days);
            for (LocalDate d : candidates) {
                if (d.isBefore(start) || d.isAfter(stop)) {
                    continue;
                }
                out.add(d);
                if (count > 0 && out.size() >= count) {
                    return out;
                }
            }
        }
        return out;
    }

    private static LocalDate periodStart(String type, LocalDate start, int offset) {
        return switch (type) {
            case "daily" -> start.plusDays(offset);
            case "weekly" -> start.plusWeeks(offset).with(TemporalAdjusters.previousOrSame(DayOfWeek.SUNDAY));
            case "absoluteMonthly", "relativeMonthly" -> start.withDayOfMonth(1).plusMonths(offset);
            default -> start.withDayOfYear(1).plusYears(offset);
        };
    }

    private static List<LocalDate> candidates(String type, JsonNode p, LocalDate start, int offset,
                                              List<DayOfWeek> days) {
        List<LocalDate> out = new ArrayList<>();
        switch (type) {
            case "daily" -> out.add(start.plusDays(offset));
            case "weekly" -> {
                DayOfWeek first = DayOfWeek.valueOf(p.path("firstDayOfWeek").asText("sunday").toUpperCase(Locale.ROOT));
                LocalDate weekStart = start.with(TemporalAdjusters.previousOrSame(first)).plusWeeks(offset);
                for (int i = 0; i < 7; i++) {
                    LocalDate d = weekStart.plusDays(i);
                    if (days.contains(d.getDayOfWeek())) {
                        out.add(d);
                    }
                }
            }
            case "absoluteMonthly" -> {
                LocalDate month = start.withDayOfMonth(1).plusMonths(offset);
                int dom = p.path("dayOfMonth").asInt(start.getDayOfMonth());
                if (dom <= month.lengthOfMonth()) {
                    out.add(month.withDayOfMonth(dom));
                }
            }
            case "relativeMonthly" -> out.add(relative(start.withDayOfMonth(1).plusMonths(offset), p, days));
            case "absoluteYearly" -> {
                int year = start.getYear() + offset;
                int month = p.path("month").asInt(start.getMonthValue());
                int dom = p.path("dayOfMonth").asInt(start.getDayOfMonth());
                LocalDate m = LocalDate.of(year, month, 1);
                if (dom <= m.lengthOfMonth()) {
                    out.add(m.withDayOfMonth(dom));
                }
            }
            default -> out.add(relative(LocalDate.of(start.getYear() + offset, p.path("month").asInt(
                    start.getMonthValue()), 1), p, days));
        }
        return out;
    }

    private static LocalDate relative(LocalDate month, JsonNode p, List<DayOfWeek> days) {
        String index = p.path("index").asText("first");
        DayOfWeek dow = days.get(0);
        return switch (index) {
            case "last" -> month.with(TemporalAdjusters.lastInMonth(dow));
            case "second" -> month.with(TemporalAdjusters.dayOfWeekInMonth(2, dow));
            case "third" -> month.with(TemporalAdjusters.dayOfWeekInMonth(3, dow));
            case "fourth" -> month.with(TemporalAdjusters.dayOfWeekInMonth(4, dow));
            default -> month.with(TemporalAdjusters.firstInMonth(dow));
        };
    }
}
