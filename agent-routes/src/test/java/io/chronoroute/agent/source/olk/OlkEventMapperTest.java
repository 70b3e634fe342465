package io.chronoroute.agent.source.olk;

import io.chronoroute.olk15.Olk15Parser;
import io.chronoroute.olk15.fixture.EventEncoder;
import io.chronoroute.olk15.fixture.EventSpec;
import io.chronoroute.olk15.fixture.Zones;
import io.chronoroute.olk15.io.Olk15FormatException;
import io.chronoroute.olk15.model.BusyStatus;
import io.chronoroute.olk15.model.Olk15Attendee;
import io.chronoroute.olk15.model.Olk15Event;
import io.chronoroute.olk15.model.Olk15Recurrence;
import io.chronoroute.processors.model.Attendee;
import io.chronoroute.processors.model.CalendarEvent;
import io.chronoroute.processors.model.EventTime;
import io.chronoroute.processors.model.Origin;
import io.chronoroute.processors.model.Person;
import io.chronoroute.processors.wire.EventValidator;
import org.junit.jupiter.api.Test;

import java.time.DayOfWeek;
import java.time.Instant;
import java.time.LocalDate;
import java.time.LocalDateTime;
import java.time.ZoneId;
import java.time.ZoneOffset;
import java.util.List;
import java.util.UUID;

import static org.assertj.core.api.Assertions.assertThat;

/** Olk15Event → CalendarEvent on SYNTHETIC fixture files (encoded by the parser's FixtureBuilder encoder, then parsed). */
class OlkEventMapperTest {

    static final ZoneId BERLIN = ZoneId.of("Europe/Berlin");
    static final Origin ORIGIN = new Origin("agent", "mac", "101", "Calendar", OlkEventMapper.PROVIDER, "0/1.olk15Event");

    static Olk15Event parse(EventSpec spec) throws Olk15FormatException {
        return Olk15Parser.parse(EventEncoder.encode(spec), spec.recordId + ".olk15Event");
    }

    static CalendarEvent map(Olk15Event e, ZoneId sourceZone) {
        return OlkEventMapper.map(e, new OlkEventMapper.Identity(OlkEventMapper.uidOf(e), null),
                OlkEventMapper.zoneOf(e, sourceZone), null, ORIGIN).event();
    }

    static EventSpec timedBerlin(int id) {
        LocalDateTime start = LocalDateTime.of(2025, 7, 1, 9, 30);
        return EventSpec.of(id).uid("uid-" + id + "@test.invalid").uuid(new UUID(1, id))
                .timed(start, start.plusMinutes(45), BERLIN).zone(Zones.BERLIN);
    }

    @Test
    void allDayEventsBecomeDatesWithAnExclusiveEnd() throws Exception {
        Olk15Event e = parse(EventSpec.of(1).uid("ad@test.invalid").allDay(LocalDate.of(2025, 3, 10), 2));

        CalendarEvent c = map(e, BERLIN);

        assertThat(c.isAllDay()).isTrue();
        assertThat(c.start()).isEqualTo(EventTime.ofDate(LocalDate.of(2025, 3, 10)));
        assertThat(c.end()).isEqualTo(EventTime.ofDate(LocalDate.of(2025, 3, 12)));
        EventValidator.validate(c);
    }

    @Test
    void anAllDayFlagOnTimesThatAreNotMidnightUtcKeepsTheInstants() throws Exception {
        EventSpec s = timedBerlin(2);
        s.allDay = true;
        Olk15Event e = parse(s);

        OlkEventMapper.Mapped m = OlkEventMapper.map(e, new OlkEventMapper.Identity("x", null),
                OlkEventMapper.zoneOf(e, null), null, ORIGIN);

        assertThat(m.event().isAllDay()).isFalse();
        assertThat(m.event().start().instant()).isEqualTo(s.start);
        assertThat(m.notes()).anyMatch(n -> n.contains("not midnight UTC"));
    }

    @Test
    void theOlsonIdOfTheZoneRecordWins() throws Exception {
        Olk15Event e = parse(timedBerlin(3));

        CalendarEvent c = map(e, ZoneId.of("America/New_York"));

        assertThat(OlkEventMapper.zoneOf(e, null).basis()).isEqualTo(OlkEventMapper.ZoneBasis.OLSON);
        assertThat(c.start()).isEqualTo(EventTime.ofInstant(LocalDateTime.of(2025, 7, 1, 9, 30).atZone(BERLIN).toInstant(), "Europe/Berlin"));
        assertThat(c.end().instant()).isEqualTo(LocalDateTime.of(2025, 7, 1, 10, 15).atZone(BERLIN).toInstant());
    }

    @Test
    void aWindowsZoneNameIsMappedThroughWindowsZones() throws Exception {
        EventSpec s = timedBerlin(4).zone(new EventSpec.ZoneSpec(null, null, "W. Europe Standard Time", List.of(), List.of()));
        Olk15Event e = parse(s);

        OlkEventMapper.ZoneChoice z = OlkEventMapper.zoneOf(e, null);

        assertThat(z.basis()).isEqualTo(OlkEventMapper.ZoneBasis.WINDOWS);
        assertThat(z.zone()).isEqualTo(BERLIN);
        assertThat(map(e, null).start().zone()).isEqualTo("Europe/Berlin");
    }

    @Test
    void aNumericMicrosoftIdAloneIsNotGuessedSoTheSourceZoneIsUsed() throws Exception {
        EventSpec s = timedBerlin(5).zone(new EventSpec.ZoneSpec(null, 110, null, List.of(), List.of()));
        Olk15Event e = parse(s);

        OlkEventMapper.ZoneChoice z = OlkEventMapper.zoneOf(e, ZoneId.of("Europe/Paris"));

        assertThat(z.basis()).isEqualTo(OlkEventMapper.ZoneBasis.SOURCE_TIME_ZONE);
        assertThat(z.zone()).isEqualTo(ZoneId.of("Europe/Paris"));
        // the instant is the file's, whatever zone labels it
        assertThat(map(e, ZoneId.of("Europe/Paris")).start().instant()).isEqualTo(s.start);
    }

    @Test
    void withoutAnyZoneTheUtcInstantsStayUtc() throws Exception {
        EventSpec s = timedBerlin(6);
        s.zone = null;
        Olk15Event e = parse(s);

        CalendarEvent c = map(e, null);

        assertThat(OlkEventMapper.zoneOf(e, null).basis()).isEqualTo(OlkEventMapper.ZoneBasis.UTC);
        assertThat(c.start()).isEqualTo(EventTime.ofInstant(s.start, "UTC"));
        assertThat(c.end()).isEqualTo(EventTime.ofInstant(s.end, "UTC"));
    }

    @Test
    void aMasterCarriesItsRuleAndAnExceptionBecomesAnOverrideOfTheMastersUid() throws Exception {
        EventSpec ms = timedBerlin(10).subject("Weekly");
        ms.recurrence(new EventSpec.RecurrenceSpec(Olk15Recurrence.Type.WEEKLY, 1, List.of(DayOfWeek.TUESDAY), null,
                null, Olk15Recurrence.EndType.AFTER_COUNT, 10, null, LocalDate.of(2025, 7, 1), List.of()));
        Olk15Event master = parse(ms);
        Instant original = LocalDateTime.of(2025, 7, 15, 9, 30).atZone(BERLIN).toInstant();
        LocalDateTime moved = LocalDateTime.of(2025, 7, 15, 11, 0);
        EventSpec xs = EventSpec.of(11).uuid(new UUID(2, 11)).subject("Weekly (moved)")
                .timed(moved, moved.plusMinutes(45), BERLIN).zone(Zones.BERLIN).exceptionOf(10, original);
        xs.recurring = true;
        Olk15Event exception = parse(xs);

        CalendarEvent m = map(master, null);
        assertThat(OlkEventMapper.isException(master)).isFalse();
        assertThat(m.rrules()).hasSize(1);
        assertThat(m.rrules().get(0)).contains("FREQ=WEEKLY").contains("BYDAY=TU").contains("COUNT=10");
        assertThat(m.recurrenceId()).isNull();
        assertThat(m.isRecurringMaster()).isTrue();

        assertThat(OlkEventMapper.isException(exception)).isTrue();
        EventTime rid = OlkEventMapper.recurrenceId(exception.recurrenceId(), false, BERLIN);
        CalendarEvent o = OlkEventMapper.map(exception, new OlkEventMapper.Identity(m.uid(), rid),
                OlkEventMapper.zoneOf(exception, null), null, ORIGIN).event();
        assertThat(o.uid()).isEqualTo(m.uid());
        assertThat(o.recurrenceId()).isEqualTo(EventTime.ofInstant(original, "Europe/Berlin"));
        assertThat(o.rrules()).isEmpty();
        assertThat(o.start().instant()).isEqualTo(moved.atZone(BERLIN).toInstant());
        assertThat(o.title()).isEqualTo("Weekly (moved)");
        EventValidator.validate(o);
    }

    @Test
    void theRecurrenceIdOfAnAllDaySeriesIsADate() {
        Instant midnight = LocalDate.of(2025, 8, 4).atStartOfDay().toInstant(ZoneOffset.UTC);
        assertThat(OlkEventMapper.recurrenceId(midnight, true, BERLIN)).isEqualTo(EventTime.ofDate(LocalDate.of(2025, 8, 4)));
    }

    @Test
    void exceptionDatesOfTheRuleAreNotInventedIntoExdates() throws Exception {
        EventSpec ms = timedBerlin(12);
        ms.recurrence(new EventSpec.RecurrenceSpec(Olk15Recurrence.Type.WEEKLY, 1, List.of(DayOfWeek.TUESDAY), null,
                null, Olk15Recurrence.EndType.NEVER, null, null, LocalDate.of(2025, 7, 1), List.of(LocalDate.of(2025, 7, 8))));
        Olk15Event master = parse(ms);

        OlkEventMapper.Mapped m = OlkEventMapper.map(master, new OlkEventMapper.Identity("u", null),
                OlkEventMapper.zoneOf(master, null), null, ORIGIN);

        assertThat(m.event().exdates()).isEmpty();
        assertThat(m.notes()).anyMatch(n -> n.contains("not mapped to EXDATE"));
    }

    @Test
    void cancelledAndBusyStatus() throws Exception {
        CalendarEvent cancelled = map(parse(timedBerlin(20).cancelled(true).busy(BusyStatus.FREE)), null);
        CalendarEvent tentative = map(parse(timedBerlin(21).cancelled(false).busy(BusyStatus.TENTATIVE)), null);
        CalendarEvent oof = map(parse(timedBerlin(22).busy(BusyStatus.OOF)), null);

        assertThat(cancelled.status()).isEqualTo("CANCELLED");
        assertThat(cancelled.transparency()).isEqualTo("TRANSPARENT");
        assertThat(cancelled.busyStatus()).isEqualTo("FREE");
        assertThat(tentative.status()).isNull();
        assertThat(tentative.transparency()).isEqualTo("OPAQUE");
        assertThat(tentative.busyStatus()).isEqualTo("TENTATIVE");
        assertThat(oof.transparency()).isEqualTo("OPAQUE");
        assertThat(oof.busyStatus()).isEqualTo("OOF");
    }

    @Test
    void organizerAndAttendeesAsDecoded() throws Exception {
        EventSpec s = timedBerlin(30).organizer("ada@example.invalid", "Ada (synthetic)")
                .attendee(Olk15Attendee.Role.REQUIRED, "Bob", "bob@example.invalid")
                .attendee(Olk15Attendee.Role.OPTIONAL, "Cleo", "cleo@example.invalid")
                .attendee(Olk15Attendee.Role.RESOURCE, "Room A", "room-a@example.invalid")
                .body("<p>Mail eve@example.invalid for details</p>");

        CalendarEvent c = map(parse(s), null);

        assertThat(c.organizer()).isEqualTo(new Person("ada@example.invalid", "Ada (synthetic)"));
        assertThat(c.attendees()).containsExactly(
                new Attendee("bob@example.invalid", "Bob", "REQ-PARTICIPANT", null),
                new Attendee("cleo@example.invalid", "Cleo", "OPT-PARTICIPANT", null),
                new Attendee("room-a@example.invalid", "Room A", "NON-PARTICIPANT", null));
        // an address in the body text is never taken as an attendee
        assertThat(c.description()).contains("eve@example.invalid");
        assertThat(c.attendees()).extracting(Attendee::email).doesNotContain("eve@example.invalid");
    }

    @Test
    void missingValuesStayNull() throws Exception {
        EventSpec s = EventSpec.of(40).uuid(new UUID(0x1234, 0x5678));
        s.start = Instant.parse("2025-05-05T08:00:00Z");
        s.end = Instant.parse("2025-05-05T09:00:00Z");
        Olk15Event e = parse(s);

        CalendarEvent c = map(e, null);

        assertThat(c.uid()).isEqualTo("outlook-mac-record-" + new UUID(0x1234, 0x5678));
        assertThat(c.title()).isNull();
        assertThat(c.location()).isNull();
        assertThat(c.description()).isNull();
        assertThat(c.organizer()).isNull();
        assertThat(c.attendees()).isEmpty();
        assertThat(c.status()).isNull();
        assertThat(c.transparency()).isNull();
        assertThat(c.busyStatus()).isNull();
        assertThat(c.classification()).isNull();
        assertThat(c.lastModified()).isNull();
        assertThat(c.created()).isNull();
        assertThat(c.rrules()).isEmpty();
        assertThat(c.start()).isEqualTo(EventTime.ofInstant(s.start, "UTC"));
        EventValidator.validate(c);
    }

    @Test
    void theUidPropertyWinsOverTheRecordUuidAndWithoutEitherThereIsNoIdentity() throws Exception {
        assertThat(OlkEventMapper.uidOf(parse(timedBerlin(50)))).isEqualTo("uid-50@test.invalid");
        EventSpec none = timedBerlin(51);
        none.icalUid = null;
        none.recordUuid = null;
        assertThat(OlkEventMapper.uidOf(parse(none))).isNull();
    }

    @Test
    void withoutAStartTheEventCannotBeSent() throws Exception {
        EventSpec s = EventSpec.of(60).uid("no-start@test.invalid");
        CalendarEvent c = map(parse(s), null);
        assertThat(c.start()).isNull();
        org.assertj.core.api.Assertions.assertThatThrownBy(() -> EventValidator.validate(c))
                .hasMessageContaining("start");
    }
}
