package io.chronoroute.processors.ical;

import io.chronoroute.processors.model.Attendee;
import io.chronoroute.processors.model.CalendarEvent;
import io.chronoroute.processors.model.EventTime;
import io.chronoroute.processors.model.Person;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.time.LocalDate;
import java.time.LocalDateTime;
import java.time.ZoneId;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class ICalCodecTest {

    private static final ZoneId BERLIN = ZoneId.of("Europe/Berlin");

    static String resource(String name) throws IOException {
        try (InputStream in = ICalCodecTest.class.getResourceAsStream("/ical/" + name)) {
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        }
    }

    private static EventTime berlin(String local) {
        return EventTime.ofZoned(LocalDateTime.parse(local), BERLIN);
    }

    @ParameterizedTest
    @ValueSource(strings = {"berlin-weekly-series.ics", "outlook-export-synthetic.ics", "google-export-synthetic.ics"})
    void roundTripPreservesEveryEvent(String file) throws Exception {
        List<CalendarEvent> first = ICalCodec.parse(resource(file), null);
        String written = ICalCodec.write(first, "-//Chronoroute//test//EN");
        List<CalendarEvent> second = ICalCodec.parse(written, null);
        assertThat(second).containsExactlyInAnyOrderElementsOf(first);
        assertThat(withoutStamp(ICalCodec.write(second, "-//Chronoroute//test//EN"))).isEqualTo(withoutStamp(written));
    }

    @Test
    void berlinSeriesAcrossDst() throws Exception {
        List<CalendarEvent> events = ICalCodec.parse(resource("berlin-weekly-series.ics"), null);
        assertThat(events).hasSize(6);
        CalendarEvent master = events.get(0);
        assertThat(master.isRecurringMaster()).isTrue();
        assertThat(master.start()).isEqualTo(berlin("2025-03-18T09:00"));
        assertThat(master.start().instant()).isEqualTo(Instant.parse("2025-03-18T08:00:00Z"));
        assertThat(master.rrules()).containsExactly("FREQ=WEEKLY;UNTIL=20250506T070000Z;BYDAY=TU");
        assertThat(master.exdates()).containsExactly(berlin("2025-04-08T09:00"));
        assertThat(master.exdates().get(0).instant()).isEqualTo(Instant.parse("2025-04-08T07:00:00Z"));
        assertThat(master.title()).isEqualTo("Weekly sync, team A");
        assertThat(master.description()).isEqualTo("Agenda:\n1. status\n2. risks");
        assertThat(master.organizer()).isEqualTo(new Person("alice@example.org", "Alice Example"));
        assertThat(master.attendees()).containsExactly(
                new Attendee("bob@example.org", "Bob Example", "REQ-PARTICIPANT", "ACCEPTED"),
                new Attendee("carol@example.org", "Carol, C.", "OPT-PARTICIPANT", "NEEDS-ACTION"));
        assertThat(master.sequence()).isEqualTo(3);
        assertThat(master.categories()).containsExactly("Work", "Team");
        assertThat(master.created()).isEqualTo(Instant.parse("2025-03-01T10:00:00Z"));
        assertThat(master.lastModified()).isEqualTo(Instant.parse("2025-03-10T12:00:00Z"));
        assertThat(events.get(1).recurrenceId()).isEqualTo(berlin("2025-04-01T09:00"));
        assertThat(events.get(1).start()).isEqualTo(berlin("2025-04-01T10:00"));
        assertThat(events.get(2).recurrenceId()).isEqualTo(berlin("2025-03-25T09:00"));

        CalendarEvent allDay = events.get(3);
        assertThat(allDay.start()).isEqualTo(EventTime.ofDate(LocalDate.parse("2025-06-10")));
        assertThat(allDay.end()).isEqualTo(EventTime.ofDate(LocalDate.parse("2025-06-12")));
        assertThat(allDay.transparency()).isEqualTo("TRANSPARENT");

        assertThat(events.get(4).start()).isEqualTo(EventTime.ofFloating(LocalDateTime.parse("2025-06-11T08:00")));
        CalendarEvent utc = events.get(5);
        assertThat(utc.start()).isEqualTo(EventTime.ofInstant(Instant.parse("2025-06-12T15:00:00Z"), "UTC"));
        assertThat(utc.end()).isEqualTo(EventTime.ofInstant(Instant.parse("2025-06-12T15:45:00Z"), "UTC"));
    }

    @Test
    void floatingUsesDefaultZoneWhenGiven() throws Exception {
        List<CalendarEvent> events = ICalCodec.parse(resource("berlin-weekly-series.ics"), ZoneId.of("Asia/Tokyo"));
        assertThat(events.get(4).start()).isEqualTo(EventTime.ofInstant(Instant.parse("2025-06-10T23:00:00Z"), "Asia/Tokyo"));
        // zoned and UTC values are not affected
        assertThat(events.get(0).start()).isEqualTo(berlin("2025-03-18T09:00"));
        assertThat(events.get(5).start().zone()).isEqualTo("UTC");
    }

    @Test
    void outlookExport() throws Exception {
        List<CalendarEvent> events = ICalCodec.parse(resource("outlook-export-synthetic.ics"), null);
        assertThat(events).hasSize(3);
        CalendarEvent review = events.get(0);
        assertThat(review.start()).isEqualTo(berlin("2025-06-12T14:00"));
        assertThat(review.end()).isEqualTo(berlin("2025-06-12T15:00"));
        assertThat(review.busyStatus()).isEqualTo("OOF");
        assertThat(review.classification()).isEqualTo("PRIVATE");
        assertThat(review.title()).isEqualTo("Q2 review");
        assertThat(review.description()).startsWith("Quarterly review. Please prepare your numbers.\n\nDial-in: see the");
        assertThat(review.organizer()).isEqualTo(new Person("dana@example.com", "Dana Director"));
        assertThat(review.attendees()).extracting(Attendee::status).containsExactly("TENTATIVE", null);
        assertThat(review.attendees()).extracting(Attendee::role).containsExactly("REQ-PARTICIPANT", "NON-PARTICIPANT");
        CalendarEvent vacation = events.get(1);
        assertThat(vacation.isAllDay()).isTrue();
        assertThat(vacation.end().date()).isEqualTo(LocalDate.parse("2025-07-03"));
        // "Customized Time Zone": the file's VTIMEZONE gives the exact instant; its rules are those of an IANA zone
        // (India's), which is then used, so that a series would keep its wall time
        CalendarEvent custom = events.get(2);
        assertThat(custom.start().instant()).isEqualTo(Instant.parse("2025-06-13T04:30:00Z"));
        assertThat(ZoneId.of(custom.start().zone()).getRules()).isEqualTo(ZoneId.of("Asia/Kolkata").getRules());
    }

    @Test
    void googleExport() throws Exception {
        List<CalendarEvent> events = ICalCodec.parse(resource("google-export-synthetic.ics"), null);
        assertThat(events).hasSize(3);
        CalendarEvent master = events.get(0);
        ZoneId la = ZoneId.of("America/Los_Angeles");
        assertThat(master.start()).isEqualTo(EventTime.ofZoned(LocalDateTime.parse("2025-03-03T10:00"), la));
        assertThat(master.start().instant()).isEqualTo(Instant.parse("2025-03-03T18:00:00Z"));
        assertThat(master.exdates()).containsExactly(EventTime.ofZoned(LocalDateTime.parse("2025-03-17T10:00"), la));
        assertThat(master.exdates().get(0).instant()).isEqualTo(Instant.parse("2025-03-17T17:00:00Z"));
        assertThat(master.description()).isEqualTo("Weekly 1:1 — ünïcødé ✓");
        assertThat(master.attendees()).extracting(Attendee::name).containsExactly("frank@example.net", "Gina G");
        assertThat(events.get(1).recurrenceId()).isEqualTo(EventTime.ofZoned(LocalDateTime.parse("2025-03-10T10:00"), la));
        assertThat(events.get(2).categories()).containsExactly("Learning");
    }

    @Test
    void windowsAndQuotedAndMozillaZoneNamesWithoutVtimezone() throws Exception {
        String ics = cal("BEGIN:VEVENT", "UID:w1", "DTSTART;TZID=W. Europe Standard Time:20250610T090000",
                "DTEND;TZID=\"(UTC+01:00) Amsterdam, Berlin, Bern, Rome, Stockholm, Vienna\":20250610T100000",
                "RECURRENCE-ID;TZID=/mozilla.org/20050126_1/Europe/Berlin:20250610T090000", "END:VEVENT");
        CalendarEvent e = ICalCodec.parse(ics, null).get(0);
        assertThat(e.start()).isEqualTo(berlin("2025-06-10T09:00"));
        assertThat(e.end()).isEqualTo(berlin("2025-06-10T10:00"));
        assertThat(e.recurrenceId()).isEqualTo(berlin("2025-06-10T09:00"));
    }

    @Test
    void writeKeepsSeriesAdjacentWithZonesAndExtraProps() throws Exception {
        List<CalendarEvent> events = ICalCodec.parse(resource("berlin-weekly-series.ics"), null);
        List<CalendarEvent> shuffled = List.of(events.get(2), events.get(3), events.get(0), events.get(5), events.get(1));
        String out = ICalCodec.write(shuffled, "-//Chronoroute//test//EN",
                e -> Map.of("X-CHRONOROUTE-KEY", "key-" + e.uid()));
        assertThat(out).startsWith("BEGIN:VCALENDAR\r\n").endsWith("END:VCALENDAR\r\n");
        assertThat(out).contains("BEGIN:VTIMEZONE\r\nTZID:Europe/Berlin\r\n");
        assertThat(out.split("BEGIN:VTIMEZONE", -1)).hasSize(2);
        assertThat(out).contains("X-CHRONOROUTE-KEY:key-series-1@chronoroute.test");
        List<CalendarEvent> back = ICalCodec.parse(out, null);
        assertThat(back).extracting(CalendarEvent::uid).containsExactly("series-1@chronoroute.test",
                "series-1@chronoroute.test", "series-1@chronoroute.test", "allday-1@chronoroute.test", "utc-1@chronoroute.test");
        assertThat(back.get(0).recurrenceId()).isNull();
        assertThat(back.get(1).recurrenceId()).isEqualTo(berlin("2025-03-25T09:00"));
        assertThat(back.get(2).recurrenceId()).isEqualTo(berlin("2025-04-01T09:00"));
        for (String line : out.split("\r\n")) {
            assertThat(line.getBytes(StandardCharsets.UTF_8).length).isLessThanOrEqualTo(75);
        }
        assertThatThrownBy(() -> ICalCodec.write(events, "p", e -> Map.of("SUMMARY", "x")))
                .isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void longUnicodeTextIsFoldedAndReadBack() throws Exception {
        String title = "Ünïcødé ✓ ".repeat(30) + "\uD83D\uDE00 end; with, specials\\";
        CalendarEvent e = CalendarEvent.builder().uid("long-1").title(title)
                .start(EventTime.ofDate(LocalDate.parse("2025-06-10")))
                .organizer(new Person(null, "No Mail")).build();
        CalendarEvent back = ICalCodec.parse(ICalCodec.write(List.of(e), "p"), null).get(0);
        assertThat(back).isEqualTo(e);
    }

    @Test
    void errorsAreTyped() {
        assertThatThrownBy(() -> ICalCodec.parse(cal("BEGIN:VEVENT", "UID:x", "DTSTART;TZID=Mars/Olympus:20250610T090000",
                "END:VEVENT"), null))
                .isInstanceOfSatisfying(ICalParseException.class, ex -> {
                    assertThat(ex.line()).isEqualTo(6);
                    assertThat(ex.field()).isEqualTo("DTSTART");
                    assertThat(ex.reason()).contains("Mars/Olympus");
                });
        assertThatThrownBy(() -> ICalCodec.parse(cal("BEGIN:VEVENT", "UID:x", "END:VEVENT"), null))
                .isInstanceOfSatisfying(ICalParseException.class, ex -> assertThat(ex.field()).isEqualTo("DTSTART"));
        assertThatThrownBy(() -> ICalCodec.parse(cal("BEGIN:VEVENT", "UID:x", "DTSTART:20250610T100000Z",
                "DTEND:20250610T090000Z", "END:VEVENT"), null))
                .isInstanceOfSatisfying(ICalParseException.class, ex -> assertThat(ex.field()).isEqualTo("DTEND"));
        assertThatThrownBy(() -> ICalCodec.parse(cal("BEGIN:VEVENT", "UID:x", "DTSTART:2025-06-10", "END:VEVENT"), null))
                .isInstanceOf(ICalParseException.class);
        assertThatThrownBy(() -> ICalCodec.parse("BEGIN:VCALENDAR\r\nthis is not ical\r\n", null))
                .isInstanceOf(ICalParseException.class);
        assertThatThrownBy(() -> ICalCodec.parse("", null)).isInstanceOf(ICalParseException.class);
    }

    private static String withoutStamp(String ics) {
        return ics.replaceAll("DTSTAMP:\\d{8}T\\d{6}Z\r\n", "");
    }

    private static String cal(String... lines) {
        return "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:test\r\n" + String.join("\r\n", lines) + "\r\nEND:VCALENDAR\r\n";
    }
}
