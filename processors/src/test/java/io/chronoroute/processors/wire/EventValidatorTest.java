package io.chronoroute.processors.wire;

import io.chronoroute.processors.model.Attendee;
import io.chronoroute.processors.model.CalendarEvent;
import io.chronoroute.processors.model.EventTime;
import org.junit.jupiter.api.Test;

import java.time.Instant;
import java.time.LocalDate;
import java.time.LocalDateTime;
import java.util.Collections;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThatCode;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.assertThat;

class EventValidatorTest {

    private static final EventTime D1 = EventTime.ofDate(LocalDate.parse("2025-06-10"));
    private static final EventTime T1 = EventTime.ofInstant(Instant.parse("2025-06-10T09:00:00Z"), "Europe/Berlin");

    private static CalendarEvent.Builder ok() {
        return CalendarEvent.builder().uid("u").start(T1).end(EventTime.ofInstant(T1.instant().plusSeconds(60), "UTC"));
    }

    @Test
    void acceptsValid() {
        assertThatCode(() -> EventValidator.validate(ok().rrules(List.of("FREQ=WEEKLY;BYDAY=MO,TU")).build()))
                .doesNotThrowAnyException();
        assertThatCode(() -> EventValidator.validate(CalendarEvent.builder().uid("u").start(D1).build()))
                .doesNotThrowAnyException();
        assertThatCode(() -> EventValidator.validate(ok().end(T1).build())).doesNotThrowAnyException();
    }

    @Test
    void recurrenceIdTypeIsTheSeriesBusinessNotTheOverrides() {
        // RFC 5545: an override may move a timed occurrence to an all-day one; the series is checked by the reader
        EventValidator.validate(ok().recurrenceId(D1).build());
    }

    @Test
    void rejects() {
        field(ok().uid(null), "uid");
        field(ok().uid(" "), "uid");
        field(ok().uid("x".repeat(1025)), "uid");
        field(ok().start(null), "start");
        field(ok().end(EventTime.ofInstant(T1.instant().minusSeconds(1), "UTC")), "end");
        field(ok().end(D1), "end");
        field(CalendarEvent.builder().uid("u").start(EventTime.ofFloating(LocalDateTime.parse("2025-06-10T10:00")))
                .end(EventTime.ofFloating(LocalDateTime.parse("2025-06-10T09:00"))), "end");
        field(ok().recurrenceId(EventTime.ofInstant(T1.instant(), "Mars/Base")), "recurrence_id");
        field(ok().title("x".repeat(10_001)), "title");
        field(ok().description("x".repeat(1024 * 1024 + 1)), "description");
        field(ok().attendees(Collections.nCopies(1001, new Attendee("a@x", null, null, null))), "attendees");
        field(ok().rrules(List.of("FREQ=DAILY", "FREQ=NEVER")), "rrule[1]");
        field(ok().rrules(List.of("BYDAY=MO")), "rrule[0]");
        field(ok().start(EventTime.ofInstant(T1.instant(), "Mars/Base")), "start");
        field(ok().sequence(-1), "sequence");
    }

    @Test
    void datesStayInYears1601To9999AndOriginTextsAreBounded() {
        assertThatCode(() -> EventValidator.validate(CalendarEvent.builder().uid("u")
                .start(EventTime.ofDate(LocalDate.parse("1601-01-01"))).end(EventTime.ofDate(LocalDate.parse("9999-12-31")))
                .build())).doesNotThrowAnyException();
        field(CalendarEvent.builder().uid("u").start(EventTime.ofDate(LocalDate.of(0, 6, 10))), "start");
        field(CalendarEvent.builder().uid("u").start(EventTime.ofInstant(Instant.parse("+99999-06-10T09:00:00Z"), "UTC")),
                "start");
        field(ok().end(EventTime.ofInstant(Instant.parse("+10000-01-01T00:00:00Z"), "UTC")), "end");
        field(CalendarEvent.builder().uid("u").start(EventTime.ofFloating(LocalDateTime.parse("1600-12-31T23:00"))),
                "start");
        field(ok().exdates(List.of(EventTime.ofInstant(Instant.parse("1500-01-01T00:00:00Z"), "UTC"))), "exdate[0]");
        field(ok().lastModified(Instant.parse("0000-01-01T00:00:00Z")), "last_modified");
        field(ok().created(Instant.MAX), "created");
        field(ok().origin(new io.chronoroute.processors.model.Origin(null, "s".repeat(1025), null, null, null, null)),
                "source");
        field(ok().origin(new io.chronoroute.processors.model.Origin(null, "s", null, null, null, "p".repeat(4097))),
                "provider_id");
    }

    private static void field(CalendarEvent.Builder b, String field) {
        assertThatThrownBy(() -> EventValidator.validate(b.build()))
                .isInstanceOfSatisfying(WireFormatException.class, ex -> assertThat(ex.field()).isEqualTo(field));
    }
}
