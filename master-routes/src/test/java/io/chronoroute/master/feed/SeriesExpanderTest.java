package io.chronoroute.master.feed;

import io.chronoroute.processors.model.CalendarEvent;
import io.chronoroute.processors.model.EventTime;
import org.junit.jupiter.api.Test;

import java.time.Instant;
import java.time.LocalDate;
import java.time.LocalDateTime;
import java.time.ZoneId;
import java.util.List;
import java.util.Set;

import static org.assertj.core.api.Assertions.assertThat;

class SeriesExpanderTest {

    static final ZoneId BERLIN = ZoneId.of("Europe/Berlin");

    @Test
    void aWeeklySeriesKeepsItsLocalTimeAcrossDstWithoutExdatesAndOverriddenOccurrences() {
        CalendarEvent series = CalendarEvent.builder().uid("s").title("Weekly")
                .start(EventTime.ofZoned(LocalDateTime.of(2026, 10, 5, 9, 30), BERLIN))
                .end(EventTime.ofZoned(LocalDateTime.of(2026, 10, 5, 10, 0), BERLIN))
                .rrules(List.of("FREQ=WEEKLY;COUNT=12;BYDAY=MO"))
                .exdates(List.of(EventTime.ofZoned(LocalDateTime.of(2026, 11, 2, 9, 30), BERLIN)))
                .build();
        Set<Instant> overridden = Set.of(LocalDateTime.of(2026, 10, 26, 9, 30).atZone(BERLIN).toInstant());

        List<SeriesExpander.Occurrence> out = SeriesExpander.expand(series, Instant.parse("2026-10-12T00:00:00Z"),
                Instant.parse("2026-11-10T00:00:00Z"), ZoneId.of("UTC"), overridden);

        assertThat(out).extracting(o -> o.start().instant()).containsExactly(
                Instant.parse("2026-10-12T07:30:00Z"), Instant.parse("2026-10-19T07:30:00Z"),
                Instant.parse("2026-11-09T08:30:00Z"));
        assertThat(out.get(2).end().instant()).isEqualTo(Instant.parse("2026-11-09T09:00:00Z"));
        assertThat(out.get(2).start().zone()).isEqualTo("Europe/Berlin");
    }

    @Test
    void anAllDaySeriesRecursOnDatesAndAnOccurrenceRunningIntoTheWindowIsShown() {
        CalendarEvent series = CalendarEvent.builder().uid("d").title("Yearly")
                .start(EventTime.ofDate(LocalDate.of(2020, 12, 31))).end(EventTime.ofDate(LocalDate.of(2021, 1, 2)))
                .rrules(List.of("FREQ=YEARLY")).build();

        List<SeriesExpander.Occurrence> out = SeriesExpander.expand(series, Instant.parse("2027-01-01T00:00:00Z"),
                Instant.parse("2027-01-31T00:00:00Z"), ZoneId.of("UTC"), Set.of());

        assertThat(out).extracting(o -> o.start().date()).containsExactly(LocalDate.of(2026, 12, 31));
        assertThat(out.get(0).end().date()).isEqualTo(LocalDate.of(2027, 1, 2));
    }
}
