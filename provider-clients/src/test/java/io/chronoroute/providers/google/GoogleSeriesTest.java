package io.chronoroute.providers.google;

import com.google.api.client.util.DateTime;
import com.google.api.services.calendar.model.Event;
import com.google.api.services.calendar.model.EventAttendee;
import com.google.api.services.calendar.model.EventDateTime;
import io.chronoroute.processors.model.CalendarEvent;
import io.chronoroute.processors.model.EventTime;
import org.junit.jupiter.api.Test;

import java.time.Instant;
import java.time.LocalDate;
import java.time.ZoneId;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * {@link GoogleSeries}: a series as Google lists it with {@code singleEvents=false} (master + exceptions) becomes the
 * master with EXDATEs for cancelled occurrences plus overrides whose RECURRENCE-ID has the series' form; all-day
 * series stay dates; instance ids are Google's.
 */
class GoogleSeriesTest {

    static final ZoneId BERLIN = ZoneId.of("Europe/Berlin");
    final GoogleSeries series = new GoogleSeries(BERLIN);

    static EventDateTime at(String rfc3339, String zone) {
        return new EventDateTime().setDateTime(DateTime.parseRfc3339(rfc3339)).setTimeZone(zone);
    }

    static EventDateTime day(String date) {
        return new EventDateTime().setDate(new DateTime(date));
    }

    @Test
    void masterWithAChangedAndACancelledOccurrence() {
        Event master = new Event().setId("abc123").setICalUID("uid-1@google.com").setStatus("confirmed")
                .setSummary("Standup").setStart(at("2026-12-07T09:00:00+01:00", "Europe/Berlin"))
                .setEnd(at("2026-12-07T09:15:00+01:00", "Europe/Berlin"))
                .setRecurrence(List.of("RRULE:FREQ=WEEKLY;COUNT=5")).setSequence(2)
                .setUpdated(DateTime.parseRfc3339("2026-11-30T08:00:00Z"))
                .setAttendees(List.of(new EventAttendee().setEmail("ann@example.org").setResponseStatus("accepted")
                        .setOptional(true)));
        Event moved = new Event().setId("abc123_20261214T080000Z").setICalUID("uid-1@google.com")
                .setRecurringEventId("abc123").setStatus("confirmed").setSummary("Standup (late)")
                .setOriginalStartTime(at("2026-12-14T09:00:00+01:00", "Europe/Berlin"))
                .setStart(at("2026-12-14T10:00:00+01:00", "Europe/Berlin"))
                .setEnd(at("2026-12-14T10:15:00+01:00", "Europe/Berlin"));
        // Google's cancelled exceptions carry little more than their ids and original start
        Event cancelled = new Event().setId("abc123_20261221T080000Z").setRecurringEventId("abc123")
                .setStatus("cancelled").setOriginalStartTime(at("2026-12-21T08:00:00Z", null));

        List<CalendarEvent> events = series.read(List.of(moved, cancelled, master));

        assertThat(events).hasSize(2);
        CalendarEvent m = events.get(0);
        assertThat(m.uid()).isEqualTo("uid-1@google.com");
        assertThat(m.recurrenceId()).isNull();
        assertThat(m.rrules()).containsExactly("FREQ=WEEKLY;COUNT=5");
        assertThat(m.exdates()).containsExactly(EventTime.ofInstant(Instant.parse("2026-12-21T08:00:00Z"),
                "Europe/Berlin"));
        assertThat(m.sequence()).isEqualTo(2);
        assertThat(m.lastModified()).isEqualTo(Instant.parse("2026-11-30T08:00:00Z"));
        assertThat(m.attendees()).singleElement().satisfies(a -> {
            assertThat(a.role()).isEqualTo("OPT-PARTICIPANT");
            assertThat(a.status()).isEqualTo("ACCEPTED");
        });
        CalendarEvent o = events.get(1);
        assertThat(o.uid()).isEqualTo("uid-1@google.com");
        assertThat(o.recurrenceId()).isEqualTo(EventTime.ofInstant(Instant.parse("2026-12-14T08:00:00Z"),
                "Europe/Berlin"));
        assertThat(o.rrules()).isEmpty();
        assertThat(o.title()).isEqualTo("Standup (late)");
        assertThat(GoogleSeries.instanceId("abc123", o.recurrenceId(), BERLIN)).isEqualTo(moved.getId());
    }

    @Test
    void anAllDaySeriesKeepsDates() {
        Event master = new Event().setId("d1").setICalUID("d1@google.com").setStatus("confirmed").setSummary("Gym")
                .setStart(day("2026-12-01")).setEnd(day("2026-12-02")).setRecurrence(List.of("RRULE:FREQ=DAILY;COUNT=3"));
        Event cancelled = new Event().setId("d1_20261202").setRecurringEventId("d1").setStatus("cancelled")
                .setOriginalStartTime(day("2026-12-02"));
        List<CalendarEvent> events = series.read(List.of(master, cancelled));
        assertThat(events).singleElement().satisfies(e -> {
            assertThat(e.start()).isEqualTo(EventTime.ofDate(LocalDate.of(2026, 12, 1)));
            assertThat(e.exdates()).containsExactly(EventTime.ofDate(LocalDate.of(2026, 12, 2)));
        });
        assertThat(GoogleSeries.instanceId("d1", EventTime.ofDate(LocalDate.of(2026, 12, 2)), BERLIN))
                .isEqualTo("d1_20261202");
    }

    @Test
    void aCancelledSeriesOrEventIsNoEventAndTheMastersOwnCopiesAreRecognised() {
        Event gone = new Event().setId("x1").setICalUID("x1@google.com").setStatus("cancelled");
        assertThat(series.read(List.of(gone))).isEmpty();
        Event ours = new Event().setId("x2").setExtendedProperties(new Event.ExtendedProperties()
                .setPrivate(java.util.Map.of(GoogleSeries.MASTER_OWNER_TAG, "m1")));
        assertThat(GoogleSeries.writtenByMaster(ours)).isTrue();
        assertThat(GoogleSeries.writtenByMaster(gone)).isFalse();
    }

    @Test
    void whatIsReadIsWrittenBackTheSameWay() {
        Event g = new Event().setId("s1").setICalUID("s1@google.com").setStatus("tentative").setSummary("Lunch")
                .setDescription("Downstairs").setLocation("Canteen").setTransparency("transparent")
                .setVisibility("private").setStart(at("2026-12-03T12:00:00+01:00", "Europe/Berlin"))
                .setEnd(at("2026-12-03T13:00:00+01:00", "Europe/Berlin"));
        CalendarEvent e = series.read(List.of(g)).get(0);
        Event written = new GoogleEventContent(BERLIN, false).written(e);
        assertThat(written.getSummary()).isEqualTo("Lunch");
        assertThat(written.getDescription()).isEqualTo("Downstairs");
        assertThat(written.getLocation()).isEqualTo("Canteen");
        assertThat(written.getTransparency()).isEqualTo("transparent");
        assertThat(written.getVisibility()).isEqualTo("private");
        assertThat(written.getStatus()).isEqualTo("tentative");
        assertThat(written.getStart().getDateTime().getValue()).isEqualTo(g.getStart().getDateTime().getValue());
        assertThat(written.getStart().getTimeZone()).isEqualTo("Europe/Berlin");
    }
}
