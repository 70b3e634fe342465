package io.chronoroute.olk15;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.chronoroute.olk15.fixture.Corruptions;
import io.chronoroute.olk15.fixture.EventEncoder;
import io.chronoroute.olk15.fixture.EventSpec;
import io.chronoroute.olk15.fixture.Olk15Writer;
import io.chronoroute.olk15.fixture.Zones;
import io.chronoroute.olk15.io.Olk15FormatException;
import io.chronoroute.olk15.model.BusyStatus;
import io.chronoroute.olk15.model.Olk15Attendee;
import io.chronoroute.olk15.model.Olk15Event;
import io.chronoroute.olk15.model.Olk15Recurrence;
import io.chronoroute.olk15.model.Olk15Tags;
import io.chronoroute.olk15.model.PropertyValue;
import io.chronoroute.olk15.model.RawProperty;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.time.DayOfWeek;
import java.time.Instant;
import java.time.LocalDate;
import java.time.LocalDateTime;
import java.time.ZoneId;
import java.util.List;
import java.util.UUID;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Decoder tests on SYNTHETIC fixtures (olk15-format.md §(c) cases). */
class Olk15ParserTest {

    private static final ZoneId BERLIN = ZoneId.of("Europe/Berlin");

    static EventSpec fullEvent() {
        return EventSpec.of(4711)
                .subject("Quarterly review 🚀 𝄞")
                .location("Room 1 — Ü")
                .body("<html><head><style>p{}</style></head><body><p>Hello&nbsp;<b>team</b> &amp; co</p>"
                        + "<p>Line&#x20;2</p></body></html>")
                .timed(LocalDateTime.of(2025, 6, 10, 9, 0), LocalDateTime.of(2025, 6, 10, 10, 30), BERLIN)
                .uid("040000008200E00074C5B7101A82E008-synthetic")
                .uuid(UUID.fromString("3f2504e0-4f89-11d3-9a0c-0305e82c3301"))
                .busy(BusyStatus.TENTATIVE)
                .organizer("organizer@example.invalid", "Ada Organizer")
                .attendee(Olk15Attendee.Role.REQUIRED, "Bob Required", "bob@example.invalid")
                .attendee(Olk15Attendee.Role.OPTIONAL, "Cleo 😀 Optional", "cleo@example.invalid")
                .attendee(Olk15Attendee.Role.RESOURCE, "Room 1", "room1@example.invalid")
                .zone(Zones.BERLIN)
                .cancelled(false);
    }

    @Test
    void decodesEveryDocumentedField() throws Exception {
        Olk15Event e = Olk15Parser.parse(EventEncoder.encode(fullEvent()), "full.olk15Event");

        assertThat(e.problems()).isEmpty();
        assertThat(e.name()).isEqualTo("full.olk15Event");
        assertThat(e.recordId()).isEqualTo(4711);
        assertThat(e.subject()).isEqualTo("Quarterly review 🚀 𝄞");
        assertThat(e.location()).isEqualTo("Room 1 — Ü");
        assertThat(e.bodyText()).isEqualTo("Hello team & co\n\nLine 2");
        assertThat(e.start()).isEqualTo(Instant.parse("2025-06-10T07:00:00Z"));
        assertThat(e.end()).isEqualTo(Instant.parse("2025-06-10T08:30:00Z"));
        assertThat(e.localStart()).isEqualTo(LocalDateTime.of(2025, 6, 10, 9, 0));
        assertThat(e.localEnd()).isEqualTo(LocalDateTime.of(2025, 6, 10, 10, 30));
        assertThat(e.allDay()).isFalse();
        assertThat(e.recurring()).isNull();
        assertThat(e.icalUid()).isEqualTo("040000008200E00074C5B7101A82E008-synthetic");
        assertThat(e.recordUuid()).isEqualTo(UUID.fromString("3f2504e0-4f89-11d3-9a0c-0305e82c3301"));
        assertThat(e.busyStatus()).isEqualTo(BusyStatus.TENTATIVE);
        assertThat(e.cancelled()).isFalse();
        assertThat(e.organizerAddress()).isEqualTo("organizer@example.invalid");
        assertThat(e.organizerName()).isEqualTo("Ada Organizer");
        assertThat(e.attendees()).containsExactly(
                new Olk15Attendee(Olk15Attendee.Role.REQUIRED, 0, "Bob Required", "bob@example.invalid"),
                new Olk15Attendee(Olk15Attendee.Role.OPTIONAL, 1, "Cleo 😀 Optional", "cleo@example.invalid"),
                new Olk15Attendee(Olk15Attendee.Role.RESOURCE, 2, "Room 1", "room1@example.invalid"));
        assertThat(e.timeZone().olsonId()).isEqualTo("Europe/Berlin");
        assertThat(e.timeZone().msZoneId()).isNull();
        assertThat(e.timeZone().standard()).singleElement()
                .satisfies(r -> {
                    assertThat(r.rrule()).isEqualTo("FREQ=YEARLY;BYMONTH=10;BYDAY=-1SU");
                    assertThat(r.offsetFrom()).isEqualTo("+0200");
                    assertThat(r.offsetTo()).isEqualTo("+0100");
                });
        assertThat(e.timeZone().daylight()).singleElement()
                .satisfies(r -> assertThat(r.offsetTo()).isEqualTo("+0200"));
        assertThat(e.recurrence()).isNull();
        assertThat(e.masterRecordId()).isNull();
        assertThat(e.recurrenceId()).isNull();
    }

    @Test
    void propertiesAreSortedByTypeThenIdAndKeepOffsets() throws Exception {
        Olk15Event e = Olk15Parser.parse(EventEncoder.encode(fullEvent()), "x");
        List<RawProperty> props = e.properties();
        for (int i = 1; i < props.size(); i++) {
            assertThat(Olk15Tags.sortKey(props.get(i).tag()))
                    .isGreaterThanOrEqualTo(Olk15Tags.sortKey(props.get(i - 1).tag()));
        }
        assertThat(props.get(0).offset()).isGreaterThan(0x28 + 12);
        RawProperty subject = props.stream().filter(p -> p.tag() == Olk15Tags.SUBJECT).findFirst().orElseThrow();
        byte[] file = EventEncoder.encode(fullEvent());
        byte[] at = java.util.Arrays.copyOfRange(file, (int) subject.offset(), (int) subject.offset() + subject.length());
        assertThat(at).isEqualTo(subject.bytes());
    }

    @Test
    void allDayIsMidnightToMidnightUtc() throws Exception {
        EventSpec s = EventSpec.of(1).subject("Holiday").allDay(LocalDate.of(2025, 12, 24), 2);
        Olk15Event e = Olk15Parser.parse(EventEncoder.encode(s), "x");
        assertThat(e.allDay()).isTrue();
        assertThat(e.start()).isEqualTo(Instant.parse("2025-12-24T00:00:00Z"));
        assertThat(e.end()).isEqualTo(Instant.parse("2025-12-26T00:00:00Z"));
        assertThat(e.problems()).isEmpty();
    }

    @Test
    void dstTransitionKeepsUtcAndWallClockApart() throws Exception {
        // 2025-03-30 Berlin springs forward at 02:00; an event 01:30-03:30 local lasts one hour of real time.
        EventSpec s = EventSpec.of(2).subject("Across DST")
                .timed(LocalDateTime.of(2025, 3, 30, 1, 30), LocalDateTime.of(2025, 3, 30, 3, 30), BERLIN)
                .zone(Zones.BERLIN);
        Olk15Event e = Olk15Parser.parse(EventEncoder.encode(s), "x");
        assertThat(e.start()).isEqualTo(Instant.parse("2025-03-30T00:30:00Z"));
        assertThat(e.end()).isEqualTo(Instant.parse("2025-03-30T01:30:00Z"));
        assertThat(e.localEnd()).isEqualTo(LocalDateTime.of(2025, 3, 30, 3, 30));
    }

    @Test
    void weeklyRecurrenceRendersRrule() throws Exception {
        EventSpec s = EventSpec.of(3).subject("Standup")
                .timed(LocalDateTime.of(2025, 1, 6, 9, 0), LocalDateTime.of(2025, 1, 6, 9, 15), BERLIN)
                .zone(Zones.BERLIN)
                .recurrence(new EventSpec.RecurrenceSpec(Olk15Recurrence.Type.WEEKLY, 1,
                        List.of(DayOfWeek.MONDAY, DayOfWeek.WEDNESDAY), null, null,
                        Olk15Recurrence.EndType.BY_DATE, null, LocalDate.of(2025, 3, 31), LocalDate.of(2025, 1, 6),
                        List.of(LocalDate.of(2025, 1, 8))));
        Olk15Event e = Olk15Parser.parse(EventEncoder.encode(s), "x");
        assertThat(e.recurring()).isTrue();
        Olk15Recurrence r = e.recurrence();
        assertThat(r.type()).isEqualTo(Olk15Recurrence.Type.WEEKLY);
        assertThat(r.days()).containsExactly(DayOfWeek.MONDAY, DayOfWeek.WEDNESDAY);
        assertThat(r.untilDate()).isEqualTo(LocalDate.of(2025, 3, 31));
        assertThat(r.exceptionDates()).containsExactly(LocalDate.of(2025, 1, 8));
        // last second of 2025-03-31 in Berlin (CEST, +02:00) in UTC
        assertThat(r.rrule()).isEqualTo("FREQ=WEEKLY;INTERVAL=1;BYDAY=MO,WE;UNTIL=20250331T215959Z");
        assertThat(e.problems()).isEmpty();
    }

    @Test
    void otherRecurrenceShapes() throws Exception {
        assertThat(rrule(Olk15Recurrence.Type.DAILY, 2880, List.of(), null, null,
                Olk15Recurrence.EndType.AFTER_COUNT, 10, null, false)).isEqualTo("FREQ=DAILY;INTERVAL=2;COUNT=10");
        assertThat(rrule(Olk15Recurrence.Type.MONTHLY, 1, List.of(), 15, null,
                Olk15Recurrence.EndType.NEVER, null, null, false)).isEqualTo("FREQ=MONTHLY;INTERVAL=1;BYMONTHDAY=15");
        assertThat(rrule(Olk15Recurrence.Type.MONTH_NTH, 1, List.of(DayOfWeek.FRIDAY), null, 5,
                Olk15Recurrence.EndType.NEVER, null, null, false))
                .isEqualTo("FREQ=MONTHLY;INTERVAL=1;BYDAY=FR;BYSETPOS=-1");
        assertThat(rrule(Olk15Recurrence.Type.DAILY, 1440, List.of(), null, null,
                Olk15Recurrence.EndType.BY_DATE, null, LocalDate.of(2025, 2, 1), true))
                .isEqualTo("FREQ=DAILY;INTERVAL=1;UNTIL=20250201");
        // not renderable without guessing
        assertThat(rrule(Olk15Recurrence.Type.DAILY, 90, List.of(), null, null,
                Olk15Recurrence.EndType.NEVER, null, null, false)).isNull();
        assertThat(rrule(Olk15Recurrence.Type.YEARLY, 12, List.of(), 1, null,
                Olk15Recurrence.EndType.NEVER, null, null, false)).isNull();
    }

    private static String rrule(Olk15Recurrence.Type type, int interval, List<DayOfWeek> days, Integer dom,
                                Integer nth, Olk15Recurrence.EndType end, Integer count, LocalDate until,
                                boolean allDay) throws Olk15FormatException {
        EventSpec s = EventSpec.of(9).subject("r");
        if (allDay) {
            s.allDay(LocalDate.of(2025, 1, 1), 1);
        } else {
            s.timed(LocalDateTime.of(2025, 1, 1, 9, 0), LocalDateTime.of(2025, 1, 1, 10, 0), BERLIN);
        }
        s.recurrence(new EventSpec.RecurrenceSpec(type, interval, days, dom, nth, end, count, until, null, null));
        Olk15Event e = Olk15Parser.parse(EventEncoder.encode(s), "x");
        if (e.recurrence().rrule() == null) {
            assertThat(e.problems()).anyMatch(p -> p.startsWith("recurrence:"));
        }
        return e.recurrence().rrule();
    }

    @Test
    void untilWithoutZoneIsNotGuessed() throws Exception {
        EventSpec s = EventSpec.of(5).subject("no zone")
                .timed(LocalDateTime.of(2025, 1, 6, 9, 0), LocalDateTime.of(2025, 1, 6, 10, 0), BERLIN)
                .recurrence(new EventSpec.RecurrenceSpec(Olk15Recurrence.Type.WEEKLY, 1, List.of(DayOfWeek.MONDAY),
                        null, null, Olk15Recurrence.EndType.BY_DATE, null, LocalDate.of(2025, 3, 31), null, null));
        Olk15Event e = Olk15Parser.parse(EventEncoder.encode(s), "x");
        assertThat(e.recurrence().rrule()).isNull();
        assertThat(e.recurrence().untilDate()).isEqualTo(LocalDate.of(2025, 3, 31));
        assertThat(e.problems()).anyMatch(p -> p.contains("UNTIL needs the event's zone"));
    }

    @Test
    void recurrenceExceptionCarriesMasterAndRecurrenceId() throws Exception {
        Instant original = Instant.parse("2025-01-13T08:00:00Z");
        EventSpec s = EventSpec.of(6).subject("Moved standup")
                .timed(LocalDateTime.of(2025, 1, 13, 11, 0), LocalDateTime.of(2025, 1, 13, 11, 15), BERLIN)
                .exceptionOf(3, original);
        Olk15Event e = Olk15Parser.parse(EventEncoder.encode(s), "x");
        assertThat(e.masterRecordId()).isEqualTo(3);
        assertThat(e.recurrenceId()).isEqualTo(original);
    }

    @Test
    void absentFieldsStayNull() throws Exception {
        Olk15Event e = Olk15Parser.parse(EventEncoder.encode(EventSpec.of(7)), "empty");
        assertThat(e.recordId()).isEqualTo(7);
        assertThat(e.subject()).isNull();
        assertThat(e.start()).isNull();
        assertThat(e.bodyText()).isNull();
        assertThat(e.allDay()).isNull();
        assertThat(e.busyStatus()).isNull();
        assertThat(e.timeZone()).isNull();
        assertThat(e.attendees()).isEmpty();
        assertThat(e.properties()).isEmpty();
        assertThat(e.problems()).isEmpty();
    }

    @Test
    void eightByteI32IsDecoded() throws Exception {
        EventSpec s = EventSpec.of(8).subject("wide")
                .timed(LocalDateTime.of(2025, 6, 10, 9, 0), LocalDateTime.of(2025, 6, 10, 10, 0), BERLIN).wide();
        Olk15Event e = Olk15Parser.parse(EventEncoder.encode(s), "x");
        assertThat(e.start()).isEqualTo(Instant.parse("2025-06-10T07:00:00Z"));
        assertThat(e.properties()).filteredOn(p -> p.tag() == Olk15Tags.START_UTC).singleElement()
                .satisfies(p -> {
                    assertThat(p.length()).isEqualTo(8);
                    assertThat(p.value()).isInstanceOf(PropertyValue.WideI32.class);
                });
    }

    @Test
    void unknownTypesAndTagsAreKeptRaw() throws Exception {
        EventSpec s = EventSpec.of(9).subject("unknown")
                .extra(0x7700_0077, new byte[] {1, 2, 3})          // unknown type 0x77
                .extra(0x5500_0003, Olk15Writer.i32(42));           // unknown id, known type
        Olk15Event e = Olk15Parser.parse(EventEncoder.encode(s), "x");
        assertThat(e.properties()).extracting(RawProperty::tag).contains(0x77000077, 0x55000003);
        RawProperty raw = e.properties().stream().filter(p -> p.tag() == 0x77000077).findFirst().orElseThrow();
        assertThat(raw.bytes()).containsExactly(1, 2, 3);
        assertThat(raw.value()).isInstanceOf(PropertyValue.Opaque.class);
        assertThat(e.subject()).isEqualTo("unknown");
    }

    @Test
    void duplicatesAreToleratedFirstWinsAndReported() throws Exception {
        EventSpec s = EventSpec.of(10).subject("first").extra(Olk15Tags.SUBJECT, Olk15Writer.utf16z("second"));
        Olk15Event e = Olk15Parser.parse(EventEncoder.encode(s), "x");
        assertThat(e.subject()).isEqualTo("first");
        assertThat(e.properties()).filteredOn(p -> p.tag() == Olk15Tags.SUBJECT).hasSize(2);
        assertThat(e.problems()).anyMatch(p -> p.startsWith("duplicate tag 0x0200001F"));
    }

    @Test
    void wrongSizedKnownValueLeavesFieldUnknown() throws Exception {
        EventSpec s = EventSpec.of(11).extra(Olk15Tags.START_UTC, new byte[] {1, 2, 3});
        Olk15Event e = Olk15Parser.parse(EventEncoder.encode(s), "x");
        assertThat(e.start()).isNull();
        assertThat(e.problems()).anyMatch(p -> p.contains("0x13000003") && p.contains("3 bytes"));
    }

    @Test
    void unknownBusyCodeIsNotMapped() throws Exception {
        EventSpec s = EventSpec.of(12).extra(Olk15Tags.BUSY_STATUS, Olk15Writer.i32(9));
        Olk15Event e = Olk15Parser.parse(EventEncoder.encode(s), "x");
        assertThat(e.busyStatus()).isNull();
        assertThat(e.problems()).anyMatch(p -> p.contains("busy status code 9"));
    }

    @Test
    void truncatedFileIsATypedError() {
        byte[] file = EventEncoder.encode(fullEvent());
        assertThatThrownBy(() -> Olk15Parser.parse(Corruptions.truncate(file, file.length - 5), "t"))
                .isInstanceOf(Olk15FormatException.class).hasMessageContaining("fileLength");
        assertThatThrownBy(() -> Olk15Parser.parse(Corruptions.truncate(file, 30), "t"))
                .isInstanceOf(Olk15FormatException.class).hasMessageContaining("shorter than");
        assertThatThrownBy(() -> Olk15Parser.parse(new byte[0], "t")).isInstanceOf(Olk15FormatException.class);
    }

    @Test
    void sizeMismatchWrongMagicBadTableAndClassAreTypedErrors() {
        byte[] file = EventEncoder.encode(fullEvent());
        assertThatThrownBy(() -> Olk15Parser.parse(Corruptions.sizeMismatch(file, 3), "t"))
                .isInstanceOf(Olk15FormatException.class).hasMessageContaining("fileLength");
        assertThatThrownBy(() -> Olk15Parser.parse(Corruptions.wrongMagic(file), "t"))
                .isInstanceOfSatisfying(Olk15FormatException.class, ex -> assertThat(ex.offset()).isZero());
        assertThatThrownBy(() -> Olk15Parser.parse(Corruptions.badTableSize(file), "t"))
                .isInstanceOfSatisfying(Olk15FormatException.class, ex -> assertThat(ex.offset()).isEqualTo(0x2C));
        assertThatThrownBy(() -> Olk15Parser.parse(Corruptions.wrongClass(file, 3), "t"))
                .isInstanceOfSatisfying(Olk15FormatException.class, ex -> assertThat(ex.offset()).isEqualTo(0x10));
    }

    @Test
    void entrySizesBeyondDataSizeAreRejectedWithEntryOffset() {
        byte[] file = EventEncoder.encode(EventSpec.of(1).subject("abc"));
        byte[] bad = file.clone();
        // first table entry size at 0x28 + 12 + 4
        System.arraycopy(Olk15Writer.i32(0x7fff_ffff), 0, bad, 0x28 + 16, 4);
        assertThatThrownBy(() -> Olk15Parser.parse(bad, "t"))
                .isInstanceOfSatisfying(Olk15FormatException.class,
                        ex -> assertThat(ex.offset()).isEqualTo(0x28 + 12));
    }

    @Test
    void missingFileIsNoSuchFile(@TempDir Path dir) {
        assertThatThrownBy(() -> Olk15Parser.parse(dir.resolve("gone.olk15Event")))
                .isInstanceOf(NoSuchFileException.class);
    }

    @Test
    void parsesFromPath(@TempDir Path dir) throws Exception {
        Path f = dir.resolve("a.olk15Event");
        Files.write(f, EventEncoder.encode(fullEvent()));
        assertThat(Olk15Parser.parse(f).name()).isEqualTo("a.olk15Event");
    }

    @Test
    void corruptSubRecordsAreReportedNotFatal() throws Exception {
        EventSpec s = EventSpec.of(13).subject("bad subs")
                .extra(Olk15Tags.ATTENDEES, new byte[] {5, 0, 0, 0, 1})
                .extra(Olk15Tags.TIME_ZONE, new byte[] {1, 2})
                .extra(Olk15Tags.RECURRENCE, new byte[] {(byte) 0xff, (byte) 0xff, (byte) 0xff, 0x7f, 0, 0, 0, 0});
        Olk15Event e = Olk15Parser.parse(EventEncoder.encode(s), "x");
        assertThat(e.subject()).isEqualTo("bad subs");
        assertThat(e.attendees()).isEmpty();
        assertThat(e.timeZone()).isNull();
        assertThat(e.recurrence()).isNull();
        assertThat(e.problems()).anyMatch(p -> p.startsWith("attendee list not decoded"))
                .anyMatch(p -> p.startsWith("time zone not decoded"))
                .anyMatch(p -> p.startsWith("recurrence not decoded"));
    }

    @Test
    void otherTypesDecode() throws Exception {
        EventSpec s = EventSpec.of(14)
                .extra(0x05000002, Olk15Writer.i16(-2))
                .extra(0x30010014, Olk15Writer.i64(1L << 40))
                .extra(0x1100004D, Olk15Writer.absoluteTime(Instant.parse("2024-01-01T00:00:00Z")));
        Olk15Event e = Olk15Parser.parse(EventEncoder.encode(s), "x");
        assertThat(e.properties()).extracting(RawProperty::value).containsExactly(
                new PropertyValue.I16((short) -2), new PropertyValue.I64(1L << 40),
                new PropertyValue.AbsoluteTime(725_760_000.0, Instant.parse("2024-01-01T00:00:00Z")));
    }
}
