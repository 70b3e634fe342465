package io.chronoroute.providers.graph;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.chronoroute.processors.model.CalendarEvent;
import io.chronoroute.processors.model.EventTime;
import org.junit.jupiter.api.Test;

import java.time.Instant;
import java.time.LocalDate;
import java.time.LocalDateTime;
import java.time.ZoneId;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class GraphEventMapperTest {

    final ObjectMapper json = new ObjectMapper();
    static final ZoneId BERLIN = ZoneId.of("Europe/Berlin");

    JsonNode parse(String s) throws Exception {
        return json.readTree(s.replace('\'', '"'));
    }

    @Test
    void readsUtcTimesWithTheWindowsZoneTheEventWasWrittenIn() throws Exception {
        JsonNode g = parse("{'id':'A','iCalUId':'uid-1','subject':'Review','body':{'contentType':'text','content':'x'},"
                + "'start':{'dateTime':'2026-03-02T08:00:00.0000000','timeZone':'UTC'},"
                + "'end':{'dateTime':'2026-03-02T09:00:00.0000000','timeZone':'UTC'},"
                + "'originalStartTimeZone':'W. Europe Standard Time','originalEndTimeZone':'W. Europe Standard Time',"
                + "'location':{'displayName':'Room 1'},'showAs':'tentative','sensitivity':'private','isAllDay':false,"
                + "'organizer':{'emailAddress':{'name':'Ada','address':'ada@x'}},"
                + "'attendees':[{'type':'optional','status':{'response':'accepted'},'emailAddress':{'address':'b@x'}}],"
                + "'categories':['Red'],'lastModifiedDateTime':'2026-03-01T10:00:00.1234567Z'}");
        CalendarEvent e = GraphEventMapper.read(g, List.of(), null).get(0);
        assertThat(e.uid()).isEqualTo("uid-1");
        assertThat(e.start()).isEqualTo(EventTime.ofZoned(LocalDateTime.parse("2026-03-02T09:00"), BERLIN));
        assertThat(e.location()).isEqualTo("Room 1");
        assertThat(e.busyStatus()).isEqualTo("TENTATIVE");
        assertThat(e.transparency()).isEqualTo("OPAQUE");
        assertThat(e.classification()).isEqualTo("PRIVATE");
        assertThat(e.attendees().get(0).role()).isEqualTo("OPT-PARTICIPANT");
        assertThat(e.attendees().get(0).status()).isEqualTo("ACCEPTED");
        assertThat(e.lastModified()).isEqualTo(Instant.parse("2026-03-01T10:00:00.1234567Z"));

        JsonNode custom = parse("{'iCalUId':'u','start':{'dateTime':'2026-03-02T08:00:00','timeZone':'UTC'},"
                + "'end':{'dateTime':'2026-03-02T09:00:00','timeZone':'UTC'},"
                + "'originalStartTimeZone':'tzone://Microsoft/Custom'}");
        assertThat(GraphEventMapper.read(custom, List.of(), null).get(0).start())
                .as("no IANA equivalent: the instant with UTC, never a guessed zone")
                .isEqualTo(EventTime.ofInstant(Instant.parse("2026-03-02T08:00:00Z"), "UTC"));
    }

    @Test
    void seriesWithExceptionAndCancelledOccurrence() throws Exception {
        JsonNode master = parse("{'id':'M','iCalUId':'series','subject':'Weekly','type':'seriesMaster',"
                + "'start':{'dateTime':'2026-03-02T08:00:00','timeZone':'UTC'},"
                + "'end':{'dateTime':'2026-03-02T09:00:00','timeZone':'UTC'},'originalStartTimeZone':'Europe/Berlin',"
                + "'recurrence':{'pattern':{'type':'weekly','interval':1,'daysOfWeek':['monday'],'firstDayOfWeek':'sunday'},"
                + "'range':{'type':'endDate','startDate':'2026-03-02','endDate':'2026-03-30'}},"
                + "'cancelledOccurrences':['OID.M.2026-03-16']}");
        JsonNode exception = parse("{'id':'X','type':'exception','seriesMasterId':'M','subject':'Moved',"
                + "'originalStart':'2026-03-09T08:00:00Z','originalStartTimeZone':'Europe/Berlin',"
                + "'start':{'dateTime':'2026-03-10T08:00:00','timeZone':'UTC'},"
                + "'end':{'dateTime':'2026-03-10T09:00:00','timeZone':'UTC'}}");
        List<CalendarEvent> events = GraphEventMapper.read(master, List.of(exception), "kept-uid");
        assertThat(events).hasSize(2).allMatch(e -> e.uid().equals("kept-uid"));
        CalendarEvent m = events.get(0);
        assertThat(m.rrules()).containsExactly("FREQ=WEEKLY;UNTIL=20260330T070000Z;BYDAY=MO");
        assertThat(m.exdates()).containsExactly(EventTime.ofZoned(LocalDateTime.parse("2026-03-16T09:00"), BERLIN));
        assertThat(events.get(1).recurrenceId()).isEqualTo(EventTime.ofInstant(Instant.parse("2026-03-09T08:00:00Z"),
                "Europe/Berlin"));
        assertThat(events.get(1).title()).isEqualTo("Moved");

        ObjectNode back = GraphEventMapper.recurrence(m.rrules().get(0), m.start(), BERLIN);
        assertThat(back.path("pattern").path("type").asText()).isEqualTo("weekly");
        assertThat(back.path("range").path("endDate").asText()).isEqualTo("2026-03-30");
        assertThat(back.path("range").path("startDate").asText()).isEqualTo("2026-03-02");
    }

    @Test
    void allDayAndRecurrenceRoundTrips() throws Exception {
        CalendarEvent allDay = CalendarEvent.builder().uid("d").title("Holiday")
                .start(EventTime.ofDate(LocalDate.parse("2026-12-24"))).end(EventTime.ofDate(LocalDate.parse("2026-12-25")))
                .rrules(List.of("FREQ=YEARLY;BYMONTH=12;BYMONTHDAY=24")).transparency("TRANSPARENT").build();
        ObjectNode w = GraphEventMapper.written(allDay, BERLIN);
        assertThat(w.path("isAllDay").asBoolean()).isTrue();
        assertThat(w.path("start").path("dateTime").asText()).isEqualTo("2026-12-24T00:00:00");
        assertThat(w.path("showAs").asText()).isEqualTo("free");
        assertThat(w.path("recurrence").path("pattern").path("type").asText()).isEqualTo("absoluteYearly");
        assertThat(w.has("attendees")).isFalse();
        ObjectNode stored = w.deepCopy().put("iCalUId", "d");
        CalendarEvent read = GraphEventMapper.read(stored, List.of(), null).get(0);
        assertThat(read.start()).isEqualTo(allDay.start());
        assertThat(read.rrules()).containsExactly("FREQ=YEARLY;BYMONTH=12;BYMONTHDAY=24");

        for (String rule : List.of("FREQ=DAILY;INTERVAL=2;COUNT=10", "FREQ=MONTHLY;BYDAY=-1FR",
                "FREQ=MONTHLY;BYDAY=TU;BYSETPOS=2", "FREQ=WEEKLY;INTERVAL=2;BYDAY=MO,WE;WKST=SU")) {
            EventTime start = EventTime.ofZoned(LocalDateTime.parse("2026-01-05T10:00"), BERLIN);
            ObjectNode rec = GraphEventMapper.recurrence(rule, start, BERLIN);
            String again = GraphEventMapper.rrule(rec, start);
            assertThat(GraphEventMapper.recurrence(again, start, BERLIN)).as(rule).isEqualTo(rec);
        }
        assertThatThrownBy(() -> GraphEventMapper.recurrence("FREQ=HOURLY", EventTime.ofZoned(
                LocalDateTime.parse("2026-01-05T10:00"), BERLIN), BERLIN)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> GraphEventMapper.recurrence("FREQ=DAILY;BYHOUR=9", EventTime.ofZoned(
                LocalDateTime.parse("2026-01-05T10:00"), BERLIN), BERLIN)).isInstanceOf(IllegalArgumentException.class);
    }
}
