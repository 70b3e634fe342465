package io.chronoroute.processors.wire;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.chronoroute.processors.model.Attendee;
import io.chronoroute.processors.model.CalendarEvent;
import io.chronoroute.processors.model.EventTime;
import io.chronoroute.processors.model.Origin;
import io.chronoroute.processors.model.Person;
import org.junit.jupiter.api.Test;

import java.time.Instant;
import java.time.LocalDate;
import java.time.LocalDateTime;
import java.time.ZoneId;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class WireJsonTest {

    private static final ZoneId BERLIN = ZoneId.of("Europe/Berlin");

    private static JsonNode json(String s) throws Exception {
        return WireJson.mapper().readTree(s.replace('\'', '"'));
    }

    private static CalendarEvent read(String s, ZoneId zone) throws Exception {
        return WireJson.readEvent(json(s), zone);
    }

    @Test
    void outlookMacSpelling() throws Exception {
        CalendarEvent e = read("{'id':'mac-1','file_path':'/Users/x/Outlook/1.olk15Event','provider':'outlook_mac',"
                + "'provider_id':'P1','title':'Standup','description':'d','location':'Room 1',"
                + "'organizer':{'email':'mailto:boss@example.org','name':'Boss'},"
                + "'participants':[{'email':'a@example.org','name':'A','status':'accepted'},"
                + "{'email':'b@example.org','status':'tentativelyAccepted'},{'email':'c@example.org','status':'none'}],"
                + "'start_time':'2025-06-10T09:00:00','end_time':'2025-06-10T09:15:00','all_day':false,'recurring':true,"
                + "'recurrence_pattern':'FREQ=WEEKLY;BYDAY=TU','calendar_id':'cal-1','calendar_name':'Work',"
                + "'private':true,'status':'confirmed','created_at':'2025-01-01T10:00:00Z',"
                + "'modified_at':'2025-05-01T10:00:00+02:00','source':'mac-outlook','account_email':'x@example.org'}",
                BERLIN);
        assertThat(e.uid()).isEqualTo("mac-1");
        assertThat(e.start()).isEqualTo(EventTime.ofZoned(LocalDateTime.parse("2025-06-10T09:00"), BERLIN));
        assertThat(e.end().instant()).isEqualTo(Instant.parse("2025-06-10T07:15:00Z"));
        assertThat(e.rrules()).containsExactly("FREQ=WEEKLY;BYDAY=TU");
        assertThat(e.organizer()).isEqualTo(new Person("boss@example.org", "Boss"));
        assertThat(e.attendees()).extracting(Attendee::status).containsExactly("ACCEPTED", "TENTATIVE", "NEEDS-ACTION");
        assertThat(e.classification()).isEqualTo("PRIVATE");
        assertThat(e.status()).isEqualTo("CONFIRMED");
        assertThat(e.created()).isEqualTo(Instant.parse("2025-01-01T10:00:00Z"));
        assertThat(e.lastModified()).isEqualTo(Instant.parse("2025-05-01T08:00:00Z"));
        // provider_id is the origin's item id; the uid came from "id" (uid/ical_uid/iCalUID absent)
        assertThat(e.origin()).isEqualTo(new Origin(null, "mac-outlook", "cal-1", "Work", "outlook_mac", "P1"));
    }

    @Test
    void outlookWindowsSpellingWithWindowsZone() throws Exception {
        CalendarEvent e = read("{'id':'AAMk1','title':'Review','start':'2025-06-10T14:00:00','end':'2025-06-10T15:00:00',"
                + "'timezone':'W. Europe Standard Time','all_day':false,'recurring':false,'source':'outlook',"
                + "'source_id':'EntryID-1','calendar_id':'c','calendar_name':'Calendar','status':'tentative',"
                + "'participants':[{'email':'a@example.org','name':'A','response_status':'declined'},"
                + "{'email':'b@example.org','response_status':'not_responded'}],'updated_at':'2025-06-01T08:00:00Z'}",
                ZoneId.of("America/New_York"));
        // the event's own zone beats the source zone
        assertThat(e.start()).isEqualTo(EventTime.ofZoned(LocalDateTime.parse("2025-06-10T14:00"), BERLIN));
        assertThat(e.attendees()).extracting(Attendee::status).containsExactly("DECLINED", "NEEDS-ACTION");
        assertThat(e.status()).isEqualTo("TENTATIVE");
        assertThat(e.lastModified()).isEqualTo(Instant.parse("2025-06-01T08:00:00Z"));
        assertThat(e.origin().providerId()).isEqualTo("EntryID-1");
        assertThat(e.origin().agentId()).isNull();
    }

    @Test
    void seedNormalizedModelAllDay() throws Exception {
        CalendarEvent e = read("{'id':'n1','provider':'google','provider_id':'g1','title':'Holiday',"
                + "'start_time':'2025-06-10T00:00:00','end_time':'2025-06-11T00:00:00','all_day':true,"
                + "'organizer':{'email':'o@example.org','name':'O','response_status':'accepted'},"
                + "'recurring':false,'status':'cancelled','link':'x','last_synced':'2025-06-01T00:00:00',"
                + "'original_data':{'a':1}}", BERLIN);
        assertThat(e.start()).isEqualTo(EventTime.ofDate(LocalDate.parse("2025-06-10")));
        assertThat(e.end()).isEqualTo(EventTime.ofDate(LocalDate.parse("2025-06-11")));
        assertThat(e.isAllDay()).isTrue();
        assertThat(e.status()).isEqualTo("CANCELLED");
    }

    @Test
    void allDayWithInclusiveOrEqualEnd() throws Exception {
        CalendarEvent inclusive = read("{'id':'a','start':'2025-06-10T00:00:00Z','end':'2025-06-10T23:59:59Z','all_day':true}", null);
        assertThat(inclusive.end()).isEqualTo(EventTime.ofDate(LocalDate.parse("2025-06-11")));
        CalendarEvent same = read("{'id':'a','start':'2025-06-10','end':'2025-06-10','all_day':'true'}", null);
        assertThat(same.start().date()).isEqualTo(LocalDate.parse("2025-06-10"));
        assertThat(same.end()).isNull();
    }

    @Test
    void localTimeRule() throws Exception {
        String noOffset = "{'uid':'u','start':'2025-06-10T09:00:00'}";
        assertThat(read(noOffset, null).start()).isEqualTo(EventTime.ofFloating(LocalDateTime.parse("2025-06-10T09:00")));
        assertThat(read(noOffset, BERLIN).start().instant()).isEqualTo(Instant.parse("2025-06-10T07:00:00Z"));
        assertThat(read("{'uid':'u','tz':'Asia/Tokyo','start':'2025-06-10T09:00:00'}", BERLIN).start())
                .isEqualTo(EventTime.ofInstant(Instant.parse("2025-06-10T00:00:00Z"), "Asia/Tokyo"));
        assertThat(read("{'uid':'u','start':'2025-06-10T09:00:00Z'}", BERLIN).start())
                .isEqualTo(EventTime.ofInstant(Instant.parse("2025-06-10T09:00:00Z"), "UTC"));
        assertThat(read("{'uid':'u','start':'2025-06-10T09:00:00+0200'}", null).start().instant())
                .isEqualTo(Instant.parse("2025-06-10T07:00:00Z"));
        assertThat(read("{'uid':'u','start':'2025-06-10 09:00:00'}", null).start().floating())
                .isEqualTo(LocalDateTime.parse("2025-06-10T09:00"));
        // protocol-2 object without zone is explicitly floating, even with a source zone
        assertThat(read("{'uid':'u','start':{'date_time':'2025-06-10T09:00:00'}}", BERLIN).start().isFloating()).isTrue();
        assertThat(read("{'uid':'u','start':{'date_time':'2025-06-10T09:00:00','time_zone':'Pacific Standard Time'}}", null)
                .start()).isEqualTo(EventTime.ofZoned(LocalDateTime.parse("2025-06-10T09:00"), ZoneId.of("America/Los_Angeles")));
    }

    @Test
    void recurrenceSpellings() throws Exception {
        assertThat(read("{'uid':'u','start':'2025-06-10','rrule':'RRULE:FREQ=DAILY;COUNT=3'}", null).rrules())
                .containsExactly("FREQ=DAILY;COUNT=3");
        CalendarEvent g = read("{'uid':'u','start':{'date_time':'2025-06-10T09:00:00+02:00','time_zone':'Europe/Berlin'},"
                + "'time_zone':'Europe/Berlin','rrule':['RRULE:FREQ=WEEKLY','EXDATE;TZID=Europe/Berlin:20250617T090000']}", null);
        assertThat(g.rrules()).containsExactly("FREQ=WEEKLY");
        assertThat(g.exdates()).containsExactly(EventTime.ofZoned(LocalDateTime.parse("2025-06-17T09:00"), BERLIN));
    }

    @Test
    void organizerAsText() throws Exception {
        assertThat(read("{'uid':'u','start':'2025-06-10','organizer':'Jane Doe <jane@example.org>'}", null).organizer())
                .isEqualTo(new Person("jane@example.org", "Jane Doe"));
        assertThat(read("{'uid':'u','start':'2025-06-10','organizer':'jane@example.org'}", null).organizer())
                .isEqualTo(new Person("jane@example.org", null));
    }

    @Test
    void uidPrecedence() throws Exception {
        assertThat(read("{'id':'i','ical_uid':'ical','start':'2025-06-10'}", null).uid()).isEqualTo("ical");
        assertThat(read("{'iCalUID':'g','id':'i','start':'2025-06-10'}", null).uid()).isEqualTo("g");
        assertThat(read("{'provider_id':'p','start':'2025-06-10'}", null).uid()).isEqualTo("p");
        assertThat(read("{'id':42,'start':'2025-06-10'}", null).uid()).isEqualTo("42");
    }

    @Test
    void writesProtocol2Spelling() {
        CalendarEvent e = CalendarEvent.builder().uid("u1").title("T")
                .start(EventTime.ofZoned(LocalDateTime.parse("2025-06-10T09:00"), BERLIN))
                .end(EventTime.ofZoned(LocalDateTime.parse("2025-06-10T10:00"), BERLIN))
                .rrules(List.of("FREQ=WEEKLY;BYDAY=TU")).exdates(List.of(EventTime.ofDate(LocalDate.parse("2025-06-17"))))
                .organizer(new Person("o@example.org", null))
                .attendees(List.of(new Attendee("a@example.org", "A", "REQ-PARTICIPANT", "ACCEPTED")))
                .status("CONFIRMED").sequence(2).lastModified(Instant.parse("2025-06-01T00:00:00Z"))
                .origin(new Origin("agent-1", "src", "cal", "Cal", "ics", "file.ics")).build();
        ObjectNode n = WireJson.writeEvent(e);
        assertThat(n.get("start").get("date_time").asText()).isEqualTo("2025-06-10T09:00:00+02:00");
        assertThat(n.get("start").get("time_zone").asText()).isEqualTo("Europe/Berlin");
        assertThat(n.get("rrule").get(0).asText()).isEqualTo("FREQ=WEEKLY;BYDAY=TU");
        assertThat(n.get("exdate").get(0).get("date").asText()).isEqualTo("2025-06-17");
        assertThat(n.get("organizer").has("name")).isFalse();
        assertThat(n.get("attendees").get(0).get("status").asText()).isEqualTo("ACCEPTED");
        assertThat(n.get("last_modified").asText()).isEqualTo("2025-06-01T00:00:00Z");
        assertThat(n.get("source").asText()).isEqualTo("src");
        assertThat(n.get("provider_id").asText()).isEqualTo("file.ics");
        assertThat(n.has("agent_id")).isFalse();
        assertThat(n.has("description")).isFalse();
        assertThat(n.has("categories")).isFalse();
        CalendarEvent back = WireJson.fromJson(WireJson.toJson(e));
        assertThat(back).isEqualTo(e.withOrigin(e.origin().withAgent(null)));
    }

    @Test
    void errorsNameTheField() throws Exception {
        assertError("{'start':'2025-06-10'}", "uid");
        assertError("{'uid':'  ','start':'2025-06-10'}", "uid");
        assertError("{'uid':'u'}", "start");
        assertError("{'uid':'u','start':'2025-13-40'}", "start");
        assertError("{'uid':'u','start_time':'yesterday'}", "start_time");
        assertError("{'uid':'u','start':'2025-06-10T10:00:00Z','end':'2025-06-10T09:00:00Z'}", "end");
        assertError("{'uid':'u','start':'2025-06-10','end':'2025-06-11T09:00:00Z'}", "end");
        assertError("{'uid':'u','time_zone':'Mars/Olympus','start':'2025-06-10T09:00:00'}", "time_zone");
        assertError("{'uid':'u','start':{'date_time':'2025-06-10T09:00:00','time_zone':'Nowhere'}}", "start.time_zone");
        assertError("{'uid':'u','start':42}", "start");
        assertError("{'uid':'u','start':{'foo':1}}", "start");
        assertError("{'uid':'u','start':'2025-06-10','organizer':[1]}", "organizer");
        assertError("{'uid':'u','start':'2025-06-10','attendees':[{'email':'a@x'},{'email':'b@x'},{'email':5}]}",
                "attendees[2].email");
        assertError("{'uid':'u','start':'2025-06-10','participants':{}}", "participants");
        assertError("{'uid':'u','start':'2025-06-10','recurrence_pattern':'FREQ=SOMETIMES'}", "recurrence_pattern");
        assertError("{'uid':'u','start':'2025-06-10','rrule':['FREQ=DAILY','BYDAY=XX']}", "rrule[1]");
        assertError("{'uid':'u','start':'2025-06-10','sequence':'x'}", "sequence");
        // a RECURRENCE-ID's value type is checked against its series (by the .ics reader), not the override's start
        assertThat(WireJson.readEvent(json("{'uid':'u','start':'2025-06-10T09:00:00','recurrence_id':'2025-06-10'}"), null)
                .recurrenceId()).isNotNull();
        assertThatThrownBy(() -> WireJson.readEvent(json("[1]"), null)).isInstanceOf(WireFormatException.class);
        assertThatThrownBy(() -> WireJson.fromJson("{nope")).isInstanceOf(WireFormatException.class);
    }

    @Test
    void prefixedField() {
        WireFormatException ex = new WireFormatException("start", "bad").withPrefix("changed[3].");
        assertThat(ex.field()).isEqualTo("changed[3].start");
        assertThat(ex.reason()).isEqualTo("bad");
        assertThat(new WireFormatException("", "not an object").withPrefix("changed[3]").field()).isEqualTo("changed[3]");
    }

    private static void assertError(String json, String field) {
        assertThatThrownBy(() -> read(json, null))
                .isInstanceOfSatisfying(WireFormatException.class, ex -> assertThat(ex.field()).isEqualTo(field));
    }
}
