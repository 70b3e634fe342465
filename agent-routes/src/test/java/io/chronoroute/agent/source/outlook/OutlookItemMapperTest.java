package io.chronoroute.agent.source.outlook;

import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.chronoroute.processors.model.CalendarEvent;
import io.chronoroute.processors.model.EventTime;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.io.InputStream;
import java.time.Instant;
import java.time.LocalDate;
import java.time.LocalDateTime;
import java.time.ZoneId;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * {@link OutlookItemMapper} and {@link OutlookRecurrence} on the property sets under {@code src/test/resources/outlook}
 * (hand-written from the Outlook object model documentation in the form {@link ComOutlookSession} returns them; not
 * recordings from a real Outlook): times and zones, all-day dates, series with modified and deleted occurrences,
 * the UID sources, and the write direction (event → properties → read back the same).
 */
class OutlookItemMapperTest {

    static final ZoneId BERLIN = ZoneId.of("Europe/Berlin");
    final OutlookItemMapper mapper = new OutlookItemMapper("agent", "outlook", "outlook", "Calendar", null,
            OutlookItemMapper.zoneOf("W. Europe Standard Time"));

    static Map<String, Object> recorded(String name) {
        try (InputStream in = OutlookItemMapperTest.class.getResourceAsStream("/outlook/" + name)) {
            return new ObjectMapper().readValue(in, new TypeReference<LinkedHashMap<String, Object>>() { });
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }

    @Test
    void singleAppointmentAtItsUtcInstantsInTheIanaZoneOfItsWindowsZone() {
        List<CalendarEvent> events = mapper.events(recorded("single-timed.json"));
        assertThat(events).hasSize(1);
        CalendarEvent e = events.get(0);
        assertThat(e.uid()).isEqualTo("040000008200E00074C5B7101A82E00800000000D0E1C2B3A495DC01000000000000000010000000"
                + "112233445566778899AABBCCDDEEFF00");
        assertThat(e.title()).isEqualTo("Dentist");
        assertThat(e.description()).isEqualTo("Bring the insurance card");
        assertThat(e.location()).isEqualTo("Dr. Weber, Hauptstr. 5");
        assertThat(e.start()).isEqualTo(EventTime.ofInstant(Instant.parse("2026-02-02T10:00:00Z"), "Europe/Berlin"));
        assertThat(e.end()).isEqualTo(EventTime.ofInstant(Instant.parse("2026-02-02T11:00:00Z"), "Europe/Berlin"));
        assertThat(e.busyStatus()).isEqualTo("OOF");
        assertThat(e.transparency()).isEqualTo("OPAQUE");
        assertThat(e.classification()).isEqualTo("PRIVATE");
        assertThat(e.categories()).containsExactly("Personal", "Health");
        assertThat(e.status()).isNull(); // Outlook has no STATUS for a plain appointment: unknown
        assertThat(e.created()).isEqualTo(Instant.parse("2026-01-20T07:15:00Z")); // local CET
        assertThat(e.lastModified()).isEqualTo(Instant.parse("2026-01-21T16:42:10Z"));
        assertThat(e.origin().provider()).isEqualTo("outlook");
        assertThat(e.origin().providerId()).endsWith("A0010000");
        assertThat(e.rrules()).isEmpty();
    }

    @Test
    void weeklySeriesWithAModifiedAndADeletedOccurrence() {
        List<CalendarEvent> events = mapper.events(recorded("series-weekly.json"));
        assertThat(events).hasSize(2);
        CalendarEvent master = events.get(0);
        assertThat(master.recurrenceId()).isNull();
        assertThat(master.start()).isEqualTo(EventTime.ofZoned(LocalDateTime.parse("2026-01-05T09:00:00"), BERLIN));
        assertThat(master.rrules()).containsExactly("FREQ=WEEKLY;BYDAY=MO;COUNT=10");
        assertThat(master.exdates()).containsExactly(
                EventTime.ofZoned(LocalDateTime.parse("2026-01-19T09:00:00"), BERLIN));
        CalendarEvent moved = events.get(1);
        assertThat(moved.uid()).isEqualTo(master.uid()); // the occurrence's own GlobalAppointmentID is not its UID
        assertThat(moved.recurrenceId()).isEqualTo(
                EventTime.ofZoned(LocalDateTime.parse("2026-01-12T09:00:00"), BERLIN));
        assertThat(moved.start()).isEqualTo(EventTime.ofZoned(LocalDateTime.parse("2026-01-12T10:00:00"), BERLIN));
        assertThat(moved.title()).isEqualTo("Weekly (moved room)");
        assertThat(moved.location()).isEqualTo("Room 9");
        assertThat(moved.rrules()).isEmpty();
    }

    @Test
    void allDayYearlySeriesAsDatesWithTheIntervalInMonths() {
        List<CalendarEvent> events = mapper.events(recorded("allday-yearly.json"));
        CalendarEvent e = events.get(0);
        assertThat(e.start()).isEqualTo(EventTime.ofDate(LocalDate.parse("2026-03-14")));
        assertThat(e.end()).isEqualTo(EventTime.ofDate(LocalDate.parse("2026-03-15")));
        assertThat(e.rrules()).containsExactly("FREQ=YEARLY;BYMONTH=3;BYMONTHDAY=14");
        assertThat(e.exdates()).containsExactly(EventTime.ofDate(LocalDate.parse("2027-03-14")));
        assertThat(e.transparency()).isEqualTo("TRANSPARENT");
        assertThat(e.busyStatus()).isEqualTo("FREE");
        assertThat(e.description()).isNull();
        assertThat(e.location()).isNull();
    }

    @Test
    void aCustomZoneFallsBackToTheSourceZoneOrOutlooksLocalZone() {
        Map<String, Object> item = recorded("monthly-last-friday-custom-zone.json");
        CalendarEvent e = mapper.events(item).get(0);
        assertThat(e.start()).isEqualTo(EventTime.ofInstant(Instant.parse("2026-01-30T14:00:00Z"), "Europe/Berlin"));
        // UNTIL: the end of the last day in the series' zone (CEST in June), in UTC
        assertThat(e.rrules()).containsExactly("FREQ=MONTHLY;BYDAY=-1FR;UNTIL=20260626T215959Z");
        assertThat(e.classification()).isEqualTo("CONFIDENTIAL");
        assertThat(e.busyStatus()).isEqualTo("TENTATIVE");
        OutlookItemMapper withZone = new OutlookItemMapper("agent", "outlook", "outlook", "Calendar",
                ZoneId.of("Europe/London"), OutlookItemMapper.zoneOf("W. Europe Standard Time"));
        assertThat(withZone.events(item).get(0).start().zone()).isEqualTo("Europe/London");
    }

    @Test
    void anImportedItemKeepsItsICalendarUidAndACancelledMeetingIsCancelled() {
        CalendarEvent e = mapper.events(recorded("imported-vcal-cancelled.json")).get(0);
        assertThat(e.uid()).isEqualTo("event-42@example.org");
        assertThat(e.status()).isEqualTo("CANCELLED");
        assertThat(e.start()).isEqualTo(EventTime.ofInstant(Instant.parse("2026-07-01T14:00:00Z"),
                "America/Los_Angeles"));
        assertThat(e.categories()).containsExactly("Work", "Vendors");
    }

    @Test
    void theUidUserPropertyWinsOverTheGlobalAppointmentId() {
        Map<String, Object> item = recorded("single-timed.json");
        item.put(OutlookItemMapper.UID_PROPERTY, "from-the-master@example.org");
        assertThat(OutlookItemMapper.uid(item)).isEqualTo("from-the-master@example.org");
        item.remove(OutlookItemMapper.UID_PROPERTY);
        item.remove("GlobalAppointmentID");
        assertThat(OutlookItemMapper.uid(item)).isEqualTo(item.get("EntryID"));
    }

    @Test
    void writtenPropertiesReadBackAsTheSameEvent() {
        CalendarEvent master = mapper.events(recorded("series-weekly.json")).get(0);
        Map<String, Object> p = mapper.properties(master, true, true);
        assertThat(p.keySet()).containsSubsequence("Subject", "AllDayEvent", "StartTimeZone", "StartUTC",
                "RecurrencePattern", OutlookItemMapper.UID_PROPERTY);
        assertThat(p.get("StartTimeZone")).isEqualTo("W. Europe Standard Time");
        assertThat(p.get("StartUTC")).isEqualTo(LocalDateTime.parse("2026-01-05T08:00:00"));
        @SuppressWarnings("unchecked")
        Map<String, Object> pattern = (Map<String, Object>) p.get("RecurrencePattern");
        assertThat(pattern).containsEntry("RecurrenceType", 1).containsEntry("DayOfWeekMask", 2)
                .containsEntry("Occurrences", 10).containsEntry("PatternStartDate",
                        LocalDateTime.parse("2026-01-05T00:00:00"));
        // what Outlook would hold after the write, read back
        Map<String, Object> item = new LinkedHashMap<>(p);
        item.put("IsRecurring", true);
        item.put("EntryID", "E1");
        CalendarEvent back = mapper.events(item).get(0);
        assertThat(back.uid()).isEqualTo(master.uid());
        assertThat(back.start()).isEqualTo(master.start());
        assertThat(back.end()).isEqualTo(master.end());
        assertThat(back.rrules()).isEqualTo(master.rrules());
        assertThat(back.title()).isEqualTo(master.title());
        assertThat(back.busyStatus()).isEqualTo(master.busyStatus());
    }

    @Test
    void allDayEventsAreWrittenAsLocalMidnights() {
        CalendarEvent e = mapper.events(recorded("allday-yearly.json")).get(0);
        Map<String, Object> p = mapper.properties(e, true, false);
        assertThat(p).containsEntry("AllDayEvent", true).containsEntry("Start", LocalDateTime.parse("2026-03-14T00:00"))
                .containsEntry("End", LocalDateTime.parse("2026-03-15T00:00")).doesNotContainKey("StartUTC")
                .doesNotContainKey(OutlookItemMapper.UID_PROPERTY);
        assertThat(p.get("RecurrencePattern")).isInstanceOfSatisfying(Map.class, m -> assertThat(m)
                .containsEntry("RecurrenceType", 5).containsEntry("MonthOfYear", 3).containsEntry("DayOfMonth", 14)
                .containsEntry("NoEndDate", true).doesNotContainKey("Interval"));
    }

    @Test
    void aRuleOutlookCannotHoldIsRefusedNotApproximated() {
        CalendarEvent e = mapper.events(recorded("single-timed.json")).get(0).toBuilder()
                .rrules(List.of("FREQ=HOURLY;COUNT=3")).build();
        assertThatThrownBy(() -> mapper.properties(e, true, false)).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("FREQ=HOURLY");
        CalendarEvent skip = e.toBuilder().rrules(List.of("FREQ=MONTHLY;BYMONTHDAY=31")).build();
        assertThatThrownBy(() -> mapper.properties(skip, true, false)).hasMessageContaining("shorter months");
    }

    @Test
    void originalStartOfAnOccurrenceIsInOutlooksLocalTime() {
        CalendarEvent master = mapper.events(recorded("series-weekly.json")).get(0);
        EventTime rid = EventTime.ofInstant(Instant.parse("2026-01-12T08:00:00Z"), "UTC");
        assertThat(mapper.originalLocal(rid, master)).isEqualTo(LocalDateTime.parse("2026-01-12T09:00:00"));
        CalendarEvent allDay = mapper.events(recorded("allday-yearly.json")).get(0);
        assertThat(mapper.originalLocal(EventTime.ofDate(LocalDate.parse("2027-03-14")), allDay))
                .isEqualTo(LocalDateTime.parse("2027-03-14T00:00"));
    }

    @Test
    void oleDatesConvertExactlyBothWays() {
        assertThat(ComOutlookSession.fromOle(46027.375)).isEqualTo(LocalDateTime.parse("2026-01-05T09:00:00"));
        assertThat(ComOutlookSession.toOle(LocalDateTime.parse("2026-01-05T09:00:00"))).isEqualTo(46027.375);
        LocalDateTime t = LocalDateTime.parse("2031-10-26T02:30:15");
        assertThat(ComOutlookSession.fromOle(ComOutlookSession.toOle(t))).isEqualTo(t);
        assertThat(ComOutlookSession.fromOle(0)).isEqualTo(LocalDateTime.parse("1899-12-30T00:00"));
    }
}
