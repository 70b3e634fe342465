package io.chronoroute.agent.source.outlook;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.api.Test;

import java.time.LocalDateTime;
import java.time.ZoneId;
import java.util.LinkedHashMap;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * {@link OutlookRecurrence}: each Outlook pattern type read as an RRULE, and the RRULEs this class produces written
 * as a pattern that reads back as the same RRULE.
 */
class OutlookRecurrenceTest {

    static final ZoneId BERLIN = ZoneId.of("Europe/Berlin");

    private static Map<String, Object> p(Object... kv) {
        Map<String, Object> m = new LinkedHashMap<>();
        for (int i = 0; i < kv.length; i += 2) {
            m.put((String) kv[i], kv[i + 1]);
        }
        m.putIfAbsent("NoEndDate", true);
        return m;
    }

    @Test
    void patternTypesReadAsRrules() {
        assertThat(OutlookRecurrence.rrule(p("RecurrenceType", 0, "Interval", 3), false, BERLIN))
                .isEqualTo("FREQ=DAILY;INTERVAL=3");
        assertThat(OutlookRecurrence.rrule(p("RecurrenceType", 0, "Interval", 1, "DayOfWeekMask", 62), false, BERLIN))
                .isEqualTo("FREQ=WEEKLY;BYDAY=MO,TU,WE,TH,FR");
        assertThat(OutlookRecurrence.rrule(p("RecurrenceType", 1, "Interval", 2, "DayOfWeekMask", 1 | 8), false,
                BERLIN)).isEqualTo("FREQ=WEEKLY;INTERVAL=2;BYDAY=WE,SU");
        assertThat(OutlookRecurrence.rrule(p("RecurrenceType", 2, "Interval", 1, "DayOfMonth", 15), false, BERLIN))
                .isEqualTo("FREQ=MONTHLY;BYMONTHDAY=15");
        assertThat(OutlookRecurrence.rrule(p("RecurrenceType", 2, "Interval", 1, "DayOfMonth", 31), false, BERLIN))
                .isEqualTo("FREQ=MONTHLY;BYMONTHDAY=28,29,30,31;BYSETPOS=-1");
        assertThat(OutlookRecurrence.rrule(p("RecurrenceType", 3, "Interval", 1, "DayOfWeekMask", 4,
                "Instance", 2), false, BERLIN)).isEqualTo("FREQ=MONTHLY;BYDAY=2TU");
        assertThat(OutlookRecurrence.rrule(p("RecurrenceType", 3, "Interval", 1, "DayOfWeekMask", 62,
                "Instance", 1), false, BERLIN)).isEqualTo("FREQ=MONTHLY;BYDAY=MO,TU,WE,TH,FR;BYSETPOS=1");
        assertThat(OutlookRecurrence.rrule(p("RecurrenceType", 6, "Interval", 12, "DayOfWeekMask", 16,
                "Instance", 4, "MonthOfYear", 11), false, BERLIN)).isEqualTo("FREQ=YEARLY;BYMONTH=11;BYDAY=4TH");
        assertThat(OutlookRecurrence.rrule(p("RecurrenceType", 5, "Interval", 1, "DayOfMonth", 1,
                "MonthOfYear", 1), false, BERLIN)).isEqualTo("FREQ=YEARLY;BYMONTH=1;BYMONTHDAY=1"); // years, as documented
        assertThat(OutlookRecurrence.rrule(p("RecurrenceType", 5, "Interval", 24, "DayOfMonth", 1,
                "MonthOfYear", 1), false, BERLIN)).isEqualTo("FREQ=YEARLY;INTERVAL=2;BYMONTH=1;BYMONTHDAY=1");
        assertThat(OutlookRecurrence.rrule(p("RecurrenceType", 1, "DayOfWeekMask", 2, "NoEndDate", false,
                "PatternEndDate", "2026-03-30T00:00:00"), true, BERLIN))
                .isEqualTo("FREQ=WEEKLY;BYDAY=MO;UNTIL=20260330");
        assertThat(OutlookRecurrence.rrule(p("RecurrenceType", 9), false, BERLIN)).isNull();
    }

    @ParameterizedTest
    @CsvSource(delimiter = '|', value = {
        "FREQ=DAILY;INTERVAL=3",
        "FREQ=WEEKLY;BYDAY=MO,TU,WE,TH,FR;COUNT=20",
        "FREQ=WEEKLY;INTERVAL=2;BYDAY=WE,SU",
        "FREQ=MONTHLY;BYMONTHDAY=15;COUNT=6",
        "FREQ=MONTHLY;BYMONTHDAY=28,29,30,31;BYSETPOS=-1",
        "FREQ=MONTHLY;BYDAY=-1FR;UNTIL=20260626T215959Z",
        "FREQ=MONTHLY;BYDAY=MO,TU,WE,TH,FR;BYSETPOS=1",
        "FREQ=YEARLY;BYMONTH=11;BYDAY=4TH",
        "FREQ=YEARLY;INTERVAL=2;BYMONTH=3;BYMONTHDAY=14",
    })
    void rrulesRoundTripThroughAPattern(String rule) {
        Map<String, Object> pattern = OutlookRecurrence.pattern(rule, LocalDateTime.parse("2026-01-30T15:00"), BERLIN);
        assertThat(pattern.keySet().iterator().next()).isEqualTo("RecurrenceType");
        if (pattern.containsKey("Interval") && pattern.containsKey("PatternEndDate")) {
            assertThat(pattern.keySet()).containsSubsequence("Interval", "PatternEndDate");
        }
        assertThat(OutlookRecurrence.rrule(pattern, false, BERLIN)).isEqualTo(rule);
    }

    @Test
    void rulesOutlookCannotHoldAreRefused() {
        LocalDateTime start = LocalDateTime.parse("2026-01-05T09:00");
        assertThatThrownBy(() -> OutlookRecurrence.pattern("FREQ=WEEKLY;BYHOUR=9", start, BERLIN))
                .hasMessageContaining("BYHOUR");
        assertThatThrownBy(() -> OutlookRecurrence.pattern("FREQ=MONTHLY;BYDAY=MO,TU", start, BERLIN))
                .isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> OutlookRecurrence.pattern("FREQ=YEARLY;BYMONTH=1,7", start, BERLIN))
                .isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> OutlookRecurrence.pattern("FREQ=MONTHLY;BYDAY=3MO;BYSETPOS=2", start, BERLIN))
                .isInstanceOf(IllegalArgumentException.class);
    }
}
