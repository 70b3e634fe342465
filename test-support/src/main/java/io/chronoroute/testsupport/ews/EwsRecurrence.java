package io.chronoroute.testsupport.ews;

import java.time.DayOfWeek;
import java.time.Instant;
import java.time.LocalDate;
import java.time.LocalDateTime;
import java.time.LocalTime;
import java.time.Month;
import java.time.ZoneId;
import java.time.temporal.TemporalAdjusters;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.TreeSet;
import org.w3c.dom.Element;
import org.w3c.dom.Node;

/**
 * Expands an EWS {@code t:Recurrence}: Daily, Weekly, AbsoluteMonthly, RelativeMonthly, AbsoluteYearly and
 * RelativeYearly patterns with NoEnd, EndDate and Numbered ranges. Occurrences keep the master's local start time in
 * the master's zone; the list index + 1 is the EWS InstanceIndex.
 */
final class EwsRecurrence {

    static final int MAX_OCCURRENCES = 1000;

    private EwsRecurrence() {
    }

    static List<LocalDateTime> expand(Element recurrence, LocalTime time, ZoneId zone, Instant horizon) {
        Element pattern = null;
        Element range = null;
        for (Node n = recurrence.getFirstChild(); n != null; n = n.getNextSibling()) {
            if (n instanceof Element e) {
                if (e.getLocalName().endsWith("Recurrence") && pattern == null) {
                    pattern = e;
                } else if (e.getLocalName().endsWith("Recurrence")) {
                    range = e;
                }
            }
        }
        if (pattern == null || range == null) {
            throw new EwsFault("ErrorCalendarInvalidRecurrence", "The recurrence pattern is incomplete.");
        }
        LocalDate startDate = date(text(range, "StartDate"));
        LocalDate endDate = "EndDateRecurrence".equals(range.getLocalName()) ? date(text(range, "EndDate")) : null;
        int count = "NumberedRecurrence".equals(range.getLocalName())
                ? Integer.parseInt(text(range, "NumberOfOccurrences")) : Integer.MAX_VALUE;
        int interval = text(pattern, "Interval") == null ? 1 : Integer.parseInt(text(pattern, "Interval"));
        if (interval < 1) {
            throw new EwsFault("ErrorCalendarInvalidRecurrence", "Interval must be at least 1.");
        }
        List<LocalDateTime> out = new ArrayList<>();
        for (int period = 0; period < 50_000; period++) {
            for (LocalDate d : candidates(pattern, startDate, (long) period * interval)) {
                if (d.isBefore(startDate)) {
                    continue;
                }
                LocalDateTime occ = d.atTime(time);
                if ((endDate != null && d.isAfter(endDate)) || out.size() >= count || out.size() >= MAX_OCCURRENCES
                        || !occ.atZone(zone).toInstant().isBefore(horizon)) {
                    return out;
                }
                out.add(occ);
            }
        }
        return out;
    }

    private static List<LocalDate> candidates(Element p, LocalDate start, long offset) {
        TreeSet<LocalDate> days = new TreeSet<>();
        switch (p.getLocalName()) {
            case "DailyRecurrence" -> days.add(start.plusDays(offset));
            case "WeeklyRecurrence" -> {
                DayOfWeek first = text(p, "FirstDayOfWeek") == null ? DayOfWeek.SUNDAY : day(text(p, "FirstDayOfWeek"));
                LocalDate weekStart = start.with(TemporalAdjusters.previousOrSame(first)).plusWeeks(offset);
                for (String d : text(p, "DaysOfWeek").trim().split("\\s+")) {
                    days.add(weekStart.with(TemporalAdjusters.nextOrSame(day(d))));
                }
            }
            case "AbsoluteMonthlyRecurrence" -> {
                LocalDate month = start.withDayOfMonth(1).plusMonths(offset);
                int dom = Integer.parseInt(text(p, "DayOfMonth"));
                if (dom <= month.lengthOfMonth()) {
                    days.add(month.withDayOfMonth(dom));
                }
            }
            case "RelativeMonthlyRecurrence" ->
                days.add(relative(start.withDayOfMonth(1).plusMonths(offset), p));
            case "AbsoluteYearlyRecurrence" -> {
                LocalDate month = start.withDayOfYear(1).plusYears(offset).withMonth(month(text(p, "Month")));
                int dom = Integer.parseInt(text(p, "DayOfMonth"));
                if (dom <= month.lengthOfMonth()) {
                    days.add(month.withDayOfMonth(dom));
                }
            }
            case "RelativeYearlyRecurrence" ->
                days.add(relative(start.withDayOfYear(1).plusYears(offset).withMonth(month(text(p, "Month"))), p));
            default -> throw new EwsFault("ErrorUnsupportedRecurrence",
                    "Recurrence pattern " + p.getLocalName() + " is not supported by the fake.");
        }
        return List.copyOf(days);
    }

    private static LocalDate relative(LocalDate month, Element p) {
        DayOfWeek dow = day(text(p, "DaysOfWeek").trim());
        String index = text(p, "DayOfWeekIndex");
        if ("Last".equals(index)) {
            return month.with(TemporalAdjusters.lastInMonth(dow));
        }
        int n = switch (index) {
            case "First" -> 1;
            case "Second" -> 2;
            case "Third" -> 3;
            case "Fourth" -> 4;
            default -> throw new EwsFault("ErrorCalendarInvalidRecurrence", "Bad DayOfWeekIndex " + index);
        };
        return month.with(TemporalAdjusters.dayOfWeekInMonth(n, dow));
    }

    private static DayOfWeek day(String name) {
        return DayOfWeek.valueOf(name.trim().toUpperCase(Locale.ROOT));
    }

    private static int month(String name) {
        return Month.valueOf(name.trim().toUpperCase(Locale.ROOT)).getValue();
    }

    /** xs:date, possibly with a zone suffix ("2025-03-24Z", "2025-03-24+01:00"). */
    static LocalDate date(String value) {
        if (value == null) {
            throw new EwsFault("ErrorCalendarInvalidRecurrence", "Missing recurrence date.");
        }
        return LocalDate.parse(value.trim().substring(0, 10));
    }

    static String text(Element parent, String localName) {
        for (Node n = parent.getFirstChild(); n != null; n = n.getNextSibling()) {
            if (n instanceof Element e && localName.equals(e.getLocalName())) {
                return e.getTextContent();
            }
        }
        return null;
    }
}
