package io.chronoroute.processors.ical;

import io.chronoroute.processors.model.CalendarEvent;
import io.chronoroute.processors.model.EventTime;
import io.chronoroute.processors.problem.InputProblem;
import io.chronoroute.processors.problem.InputProblem.Kind;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.io.InputStream;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.time.LocalDate;
import java.time.LocalDateTime;
import java.time.ZoneId;
import java.util.List;
import java.util.Optional;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * Issue #13 causes 1-8 and the agent-side .ics findings of #15, one corpus file each: what is kept, what is
 * repaired, what is left out, and that each problem names line, UID and property.
 */
class ICalReaderProblemsTest {

    private static final ZoneId BERLIN = ZoneId.of("Europe/Berlin");

    static String corpus(String name) throws IOException {
        try (InputStream in = ICalReaderProblemsTest.class.getResourceAsStream("/ical/corpus/" + name)) {
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        }
    }

    static ICalReadResult read(String name) throws Exception {
        return ICalCodec.read(corpus(name), null, ICalLimits.DEFAULT);
    }

    static CalendarEvent one(ICalReadResult r, String uid, EventTime rid) {
        return r.events().stream().filter(e -> e.uid().equals(uid) && java.util.Objects.equals(e.recurrenceId(), rid))
                .findFirst().orElseThrow(() -> new AssertionError(uid + " / " + rid + " not in " + r.events()));
    }

    static InputProblem problem(ICalReadResult r, Kind kind, String uid, String property) {
        Optional<InputProblem> p = r.problems().stream().filter(x -> x.kind() == kind
                && java.util.Objects.equals(x.uid(), uid) && java.util.Objects.equals(x.property(), property)).findFirst();
        assertThat(p).as("%s %s %s in %s", kind, uid, property, r.problems()).isPresent();
        assertThat(p.get().line()).as("line of %s", p.get()).isPositive();
        return p.get();
    }

    private static String cal(String... lines) {
        return "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:test\r\n" + String.join("\r\n", lines) + "\r\nEND:VCALENDAR\r\n";
    }

    private static EventTime floating(String local) {
        return EventTime.ofFloating(LocalDateTime.parse(local));
    }

    @Test
    void cause1FloatingTimesStayFloating() throws Exception {
        ICalReadResult r = read("valid/c1-floating.ics");
        assertThat(r.problems()).isEmpty();
        assertThat(one(r, "c1-single@corpus", null).start()).isEqualTo(floating("2025-06-12T09:00"));
        CalendarEvent moved = one(r, "c1-series@corpus", floating("2025-03-17T08:30"));
        assertThat(moved.start()).isEqualTo(floating("2025-03-18T14:00"));
    }

    @Test
    void cause2XWrTimezoneIsTheZoneOfTimesWithoutOne() throws Exception {
        ICalReadResult r = read("valid/c2-x-wr-timezone.ics");
        assertThat(r.problems()).isEmpty();
        CalendarEvent series = one(r, "c2-series@corpus", null);
        assertThat(series.start()).isEqualTo(EventTime.ofZoned(LocalDateTime.parse("2025-03-03T09:00"),
                ZoneId.of("America/New_York")));
        assertThat(one(r, "c2-utc@corpus", null).start()).isEqualTo(EventTime.ofInstant(
                Instant.parse("2025-07-04T16:00:00Z"), "UTC"));
        // an explicit source zone does not override what the file states
        ICalReadResult withDefault = ICalCodec.read(corpus("valid/c2-x-wr-timezone.ics"), BERLIN, ICalLimits.DEFAULT);
        assertThat(one(withDefault, "c2-single@corpus", null).start().zone()).isEqualTo("America/New_York");
    }

    @Test
    void cause3RdatePeriodKeepsItsEndAsAnOverride() throws Exception {
        ICalReadResult r = read("valid/c3-rdate-period.ics");
        assertThat(r.problems()).isEmpty();
        CalendarEvent master = one(r, "c3-series@corpus", null);
        EventTime p1 = EventTime.ofZoned(LocalDateTime.parse("2025-06-20T14:00"), BERLIN);
        EventTime p2 = EventTime.ofZoned(LocalDateTime.parse("2025-06-27T08:00"), BERLIN);
        EventTime plain = EventTime.ofZoned(LocalDateTime.parse("2025-07-01T10:00"), BERLIN);
        assertThat(master.rdates()).containsExactly(p1, p2, plain);
        CalendarEvent o1 = one(r, "c3-series@corpus", p1);
        assertThat(o1.start()).isEqualTo(p1);
        assertThat(o1.end()).isEqualTo(EventTime.ofZoned(LocalDateTime.parse("2025-06-20T17:00"), BERLIN));
        assertThat(o1.title()).isEqualTo(master.title());
        assertThat(o1.rrules()).isEmpty();
        assertThat(one(r, "c3-series@corpus", p2).end())
                .isEqualTo(EventTime.ofZoned(LocalDateTime.parse("2025-06-27T08:30"), BERLIN));
        // a plain RDATE has the series' length: no override
        assertThat(r.events()).hasSize(3);
    }

    @Test
    void cause4MissingUidGetsAStableDerivedId() throws Exception {
        ICalReadResult r = read("valid/c4-no-uid.ics");
        List<String> uids = r.events().stream().map(CalendarEvent::uid).toList();
        assertThat(uids).hasSize(3).contains("c4-with-uid@corpus");
        assertThat(uids.get(0)).matches("chronoroute-[0-9a-f]{32}").isNotEqualTo(uids.get(1));
        InputProblem p = problem(r, Kind.WARNING, uids.get(0), "UID");
        assertThat(p.line()).isEqualTo(4);
        assertThat(p.message()).contains("has no UID").contains(uids.get(0));
        // same content, another run (and a changed DTSTAMP, which exports rewrite): same id
        String again = corpus("valid/c4-no-uid.ics").replace("DTSTAMP:20250101T000000Z", "DTSTAMP:20251111T111111Z");
        assertThat(ICalCodec.read(again, null, ICalLimits.DEFAULT).events().stream().map(CalendarEvent::uid).toList())
                .isEqualTo(uids);
    }

    @Test
    void cause5RecurrenceIdIsCheckedAgainstTheSeries() throws Exception {
        ICalReadResult r = read("valid/c5-recurrence-id.ics");
        // a timed occurrence moved to an all-day one: RECURRENCE-ID stays the timed occurrence it names
        EventTime timedRid = EventTime.ofZoned(LocalDateTime.parse("2025-06-09T09:00"), BERLIN);
        CalendarEvent allDayOverride = one(r, "c5-timed@corpus", timedRid);
        assertThat(allDayOverride.start()).isEqualTo(EventTime.ofDate(LocalDate.parse("2025-06-09")));
        // Exchange: a Windows-zone DATE-TIME RECURRENCE-ID on an all-day series names the date
        CalendarEvent moved = one(r, "c5-allday@corpus", EventTime.ofDate(LocalDate.parse("2025-06-10")));
        assertThat(moved.start()).isEqualTo(EventTime.ofDate(LocalDate.parse("2025-06-11")));
        InputProblem p = problem(r, Kind.REPAIRED, "c5-allday@corpus", "RECURRENCE-ID");
        assertThat(p.message()).contains("2025-06-10");
        assertThat(r.problems()).hasSize(1);
    }

    @Test
    void cause6OneBadPropertyHarmsOnlyItself() throws Exception {
        ICalReadResult r = read("problems/c6-bad-properties.ics");
        assertThat(r.events()).extracting(CalendarEvent::uid).containsExactly("c6-empty-rrule@corpus",
                "c6-alarm@corpus", "c6-mixed-end@corpus", "c6-bad-sequence@corpus", "c6-good@corpus");
        assertThat(one(r, "c6-empty-rrule@corpus", null).rrules()).isEmpty();
        assertThat(problem(r, Kind.PROPERTY_SKIPPED, "c6-empty-rrule@corpus", "RRULE").line()).isEqualTo(9);
        // the VALARM is not kept at all, so its TRIGGER;VALUE=TIME is nobody's problem
        assertThat(r.problems()).noneMatch(p -> "c6-alarm@corpus".equals(p.uid()));
        CalendarEvent mixed = one(r, "c6-mixed-end@corpus", null);
        assertThat(mixed.end()).isEqualTo(EventTime.ofZoned(LocalDateTime.parse("2025-06-05T00:00"), BERLIN));
        assertThat(problem(r, Kind.REPAIRED, "c6-mixed-end@corpus", "DTEND").line()).isEqualTo(28);
        assertThat(one(r, "c6-bad-sequence@corpus", null).sequence()).isNull();
        problem(r, Kind.PROPERTY_SKIPPED, "c6-bad-sequence@corpus", "SEQUENCE");
        InputProblem tz = problem(r, Kind.EVENT_REJECTED, "c6-unknown-tzid@corpus", "DTSTART");
        assertThat(tz.message()).contains("Mars/Olympus_Mons");
        assertThat(tz.line()).isEqualTo(41);
    }

    @Test
    void cause7MalformedInputIsReportedAndNeverMadeEndless() throws Exception {
        ICalReadResult r = read("problems/c7-malformed.ics");
        CalendarEvent two = one(r, "c7-two-dtstart@corpus", null);
        assertThat(two.start().instant()).isEqualTo(Instant.parse("2025-06-02T09:00:00Z"));
        InputProblem dup = problem(r, Kind.PROPERTY_SKIPPED, "c7-two-dtstart@corpus", "DTSTART");
        assertThat(dup.line()).isEqualTo(8);
        assertThat(dup.message()).contains("second DTSTART").contains("line 7");
        CalendarEvent untl = one(r, "c7-untl@corpus", null);
        assertThat(untl.rrules()).as("never endless").isEmpty();
        InputProblem rule = problem(r, Kind.PROPERTY_SKIPPED, "c7-untl@corpus", "RRULE");
        assertThat(rule.message()).contains("UNTL").contains("UNTIL?").contains("endless");
        assertThat(rule.line()).isEqualTo(17);
        one(r, "c7-good@corpus", null);
    }

    @Test
    void cause8DuplicatesResolvedBySequenceThenLastModified() throws Exception {
        ICalReadResult r = read("valid/c8-duplicates.ics");
        assertThat(r.events()).hasSize(3);
        assertThat(one(r, "c8-dup@corpus", null).title()).isEqualTo("c8 newest by SEQUENCE");
        assertThat(one(r, "c8-series@corpus", EventTime.ofInstant(Instant.parse("2025-06-03T08:00:00Z"), "UTC")).title())
                .isEqualTo("c8 override latest LAST-MODIFIED");
        assertThat(problem(r, Kind.WARNING, "c8-dup@corpus", "UID").message()).contains("SEQUENCE 2");
        assertThat(r.problems()).filteredOn(p -> p.kind() == Kind.WARNING).hasSize(2);
    }

    @Test
    void customVtimezoneWithTheRulesOfAnIanaZoneBecomesThatZone() throws Exception {
        ICalReadResult r = read("valid/custom-vtimezone.ics");
        assertThat(r.problems()).extracting(InputProblem::message)
                .anySatisfy(m -> assertThat(m).contains("'Customized Time Zone'").contains("America/Chicago"))
                .hasSize(2);
        CalendarEvent central = one(r, "custom-central@corpus", null);
        assertThat(ZoneId.of(central.start().zone()).getRules()).isEqualTo(ZoneId.of("America/Chicago").getRules());
        assertThat(central.start().instant()).isEqualTo(Instant.parse("2025-02-25T16:00:00Z"));
        assertThat(one(r, "custom-fixed@corpus", null).start().instant()).isEqualTo(Instant.parse("2025-04-15T04:00:00Z"));
    }

    @Test
    void vtimezoneThatRepeatsEverySecondIsNotExpanded() throws Exception {
        ICalReadResult r = read("problems/vtimezone-secondly.ics");
        assertThat(r.problems()).filteredOn(p -> p.kind() == Kind.WARNING && "VTIMEZONE".equals(p.property()))
                .extracting(InputProblem::message)
                .anySatisfy(m -> assertThat(m).contains("Storm Zone").contains("FREQ=SECONDLY").contains("rejected"))
                .anySatisfy(m -> assertThat(m).contains("IANA zone Europe/Berlin"));
        problem(r, Kind.EVENT_REJECTED, "tz-storm@corpus", "DTSTART");
        assertThat(one(r, "tz-berlin@corpus", null).start())
                .isEqualTo(EventTime.ofZoned(LocalDateTime.parse("2025-06-02T09:00"), BERLIN));
    }

    @Test
    void vtimezoneReferringToItselfOrRepeatedIsReported() throws Exception {
        ICalReadResult r = read("problems/vtimezone-self.ics");
        assertThat(r.problems()).extracting(InputProblem::message)
                .anySatisfy(m -> assertThat(m).contains("Loop Zone").contains("names TZID"))
                .anySatisfy(m -> assertThat(m).contains("defined again").contains("first definition (line 4)"));
        assertThat(one(r, "tz-loop@corpus", null).start().instant()).isEqualTo(Instant.parse("2025-06-02T06:00:00Z"));
    }

    @Test
    void hugeCountIsReportedAndUnboundedSecondlyLeftOut() throws Exception {
        ICalReadResult r = read("problems/rrule-unbounded.ics");
        assertThat(one(r, "rr-million@corpus", null).rrules()).containsExactly("FREQ=DAILY;COUNT=1000000");
        assertThat(problem(r, Kind.WARNING, "rr-million@corpus", "RRULE").message()).contains("1000000");
        assertThat(one(r, "rr-secondly@corpus", null).rrules()).isEmpty();
        assertThat(problem(r, Kind.PROPERTY_SKIPPED, "rr-secondly@corpus", "RRULE").message())
                .contains("FREQ=SECONDLY without COUNT");
    }

    @Test
    void wholeFileProblems() throws Exception {
        assertThatThrownBy(() -> read("problems/empty.ics")).isInstanceOf(ICalParseException.class)
                .hasMessageContaining("empty");
        assertThatThrownBy(() -> read("problems/not-a-calendar.ics")).isInstanceOf(ICalParseException.class)
                .hasMessageContaining("BEGIN:VCALENDAR");
        // a cut file is not its complete content (reading it would delete what it lost): rejected whole
        assertThatThrownBy(() -> read("problems/truncated.ics")).isInstanceOfSatisfying(ICalParseException.class,
                ex -> {
                    assertThat(ex.line()).isEqualTo(11);
                    assertThat(ex.reason()).contains("END:VCALENDAR");
                });
        // a VEVENT without END inside a complete file harms only itself
        ICalReadResult r = read("problems/unclosed-vevent.ics");
        assertThat(r.events()).extracting(CalendarEvent::uid).containsExactly("uc-good@corpus", "uc-after@corpus");
        InputProblem p = problem(r, Kind.EVENT_REJECTED, "uc-open@corpus", "VEVENT");
        assertThat(p.message()).contains("not closed");
        assertThat(p.line()).isEqualTo(8);
    }

    @Test
    void aPropertyAboveTheLimitIsRefusedNamingTheLimit() throws Exception {
        ICalLimits limits = new ICalLimits(64 * 1024, 10_000, 10_000, 1000, "chronoroute.agent.ics.max-property-chars");
        String big = "DESCRIPTION:" + "x".repeat(5_000_000);
        ICalReadResult r = ICalCodec.read(cal("BEGIN:VEVENT", "UID:big", "DTSTART:20250602T090000Z",
                "SUMMARY:kept", big, "END:VEVENT"), null, limits);
        CalendarEvent e = one(r, "big", null);
        assertThat(e.title()).isEqualTo("kept");
        assertThat(e.description()).isNull();
        InputProblem p = problem(r, Kind.PROPERTY_SKIPPED, "big", "DESCRIPTION");
        assertThat(p.message()).contains("5000012").contains("65536").contains("chronoroute.agent.ics.max-property-chars");
        assertThat(p.line()).isEqualTo(8);
    }

    @Test
    void aLargeExportIsStreamedEventByEvent(@TempDir Path dir) throws Exception {
        Path file = dir.resolve("large.ics");
        int n = 5_000;
        try (Writer w = Files.newBufferedWriter(file, StandardCharsets.UTF_8)) {
            w.write("BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:big\r\n");
            for (int i = 0; i < n; i++) {
                w.write("BEGIN:VEVENT\r\nUID:e" + i + "\r\nDTSTART;TZID=Europe/Berlin:20250602T090000\r\n"
                        + "DTEND;TZID=Europe/Berlin:20250602T100000\r\nSUMMARY:event " + i + "\r\n"
                        + (i == 777 ? "RRULE:FREQ=WEEKLY;BYDAYS=MO\r\n" : "") + "END:VEVENT\r\n");
            }
            w.write("END:VCALENDAR\r\n");
        }
        ICalReadResult r = ICalCodec.read(file, null, ICalLimits.DEFAULT);
        assertThat(r.events()).hasSize(n);
        assertThat(r.problems()).singleElement().satisfies(p -> {
            assertThat(p.uid()).isEqualTo("e777");
            assertThat(p.property()).isEqualTo("RRULE");
        });
    }

    @Test
    void strictParseThrowsOnLostInputOnly() throws Exception {
        assertThat(ICalCodec.parse(corpus("valid/c5-recurrence-id.ics"), null)).hasSize(4);
        assertThatThrownBy(() -> ICalCodec.parse(corpus("problems/c7-malformed.ics"), null))
                .isInstanceOfSatisfying(ICalParseException.class, ex -> {
                    assertThat(ex.line()).isEqualTo(8);
                    assertThat(ex.field()).isEqualTo("DTSTART");
                });
    }
}
