package io.chronoroute.processors.wire;

import io.chronoroute.processors.model.Attendee;
import io.chronoroute.processors.model.CalendarEvent;
import io.chronoroute.processors.model.EventTime;
import io.chronoroute.processors.model.Origin;
import io.chronoroute.processors.model.Person;
import io.chronoroute.processors.sync.ContentHash;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;

import java.time.Instant;
import java.time.LocalDateTime;
import java.time.ZoneOffset;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/** {@code fromJson(toJson(e)) == e} for every valid event, so agent and master compute the same ContentHash. */
class WireJsonRoundTripProperties {

    private static final List<String> ZONES = List.of("UTC", "Europe/Berlin", "America/New_York", "Asia/Kolkata",
            "Asia/Calcutta", "Australia/Lord_Howe", "Pacific/Chatham", "Etc/GMT+12", "America/St_Johns", "Europe/London");
    private static final List<String> RRULES = List.of("FREQ=WEEKLY;BYDAY=MO", "FREQ=DAILY;COUNT=10",
            "FREQ=MONTHLY;BYMONTHDAY=-1;INTERVAL=2", "FREQ=YEARLY;BYMONTH=3;BYDAY=-1SU", "FREQ=WEEKLY;UNTIL=20301231T000000Z");

    @Property(tries = 400)
    void roundTripIsIdentity(@ForAll("events") CalendarEvent e) {
        EventValidator.validate(e);
        String json = WireJson.toJson(e);
        CalendarEvent back = WireJson.fromJson(json);
        assertThat(back).as(json).isEqualTo(e);
        assertThat(ContentHash.of(back)).isEqualTo(ContentHash.of(e));
        assertThat(WireJson.toJson(back)).isEqualTo(json);
    }

    private enum Kind { DATE, ZONED, FLOATING }

    @Provide
    Arbitrary<CalendarEvent> events() {
        Arbitrary<Kind> kinds = Arbitraries.of(Kind.class);
        return kinds.flatMap(kind -> {
            Arbitrary<EventTime> time = time(kind);
            Arbitrary<CalendarEvent.Builder> core = Combinators.combine(
                    Arbitraries.strings().ofMinLength(1).ofMaxLength(40).filter(s -> !s.isBlank()),
                    time, Arbitraries.longs().between(0, 90L * 86_400).injectNull(0.2),
                    time.injectNull(0.7), text(), text(), text()
            ).as((uid, start, dur, rid, title, desc, loc) -> CalendarEvent.builder().uid(uid).start(start)
                    .end(dur == null ? null : plus(start, dur)).recurrenceId(rid).title(title).description(desc)
                    .location(loc));
            return Combinators.combine(core,
                    Arbitraries.of(RRULES).list().ofMaxSize(2),
                    time(Kind.DATE).list().ofMaxSize(3), time.list().ofMaxSize(3),
                    person().injectNull(0.3), attendee().list().ofMaxSize(4),
                    Arbitraries.of("CONFIRMED", "TENTATIVE", "CANCELLED").injectNull(0.3),
                    Arbitraries.of("OPAQUE", "TRANSPARENT").injectNull(0.3)
            ).as((b, rr, ex, rd, org, att, status, transp) -> b.rrules(rr).exdates(ex).rdates(rd).organizer(org)
                    .attendees(att).status(status).transparency(transp))
                    .flatMap(b -> Combinators.combine(
                            Arbitraries.of("FREE", "TENTATIVE", "BUSY", "OOF", "WORKINGELSEWHERE").injectNull(0.3),
                            Arbitraries.of("PUBLIC", "PRIVATE", "CONFIDENTIAL").injectNull(0.3),
                            Arbitraries.integers().between(0, 100_000).injectNull(0.3),
                            instant().injectNull(0.3), instant().injectNull(0.3),
                            Arbitraries.strings().ofMaxLength(12).list().ofMaxSize(3),
                            origin().injectNull(0.3)
                    ).as((busy, cls, seq, created, modified, cats, origin) -> b.busyStatus(busy).classification(cls)
                            .sequence(seq).created(created).lastModified(modified).categories(cats).origin(origin)
                            .build()));
        });
    }

    private static EventTime plus(EventTime t, long seconds) {
        if (t.isDate()) {
            return EventTime.ofDate(t.date().plusDays(seconds / 86_400));
        }
        if (t.isFloating()) {
            return EventTime.ofFloating(t.floating().plusSeconds(seconds));
        }
        return EventTime.ofInstant(t.instant().plusSeconds(seconds), t.zone());
    }

    private static Arbitrary<EventTime> time(Kind kind) {
        Arbitrary<LocalDateTime> local = Combinators.combine(
                Arbitraries.longs().between(-5_000_000_000L, 7_000_000_000L),
                Arbitraries.integers().between(0, 999_999_999).edgeCases(c -> c.add(0)))
                .as((s, n) -> LocalDateTime.ofEpochSecond(s, n, ZoneOffset.UTC));
        return switch (kind) {
            case DATE -> local.map(l -> EventTime.ofDate(l.toLocalDate()));
            case FLOATING -> local.map(EventTime::ofFloating);
            case ZONED -> Combinators.combine(instant(), Arbitraries.of(ZONES)).as(EventTime::ofInstant);
        };
    }

    private static Arbitrary<Instant> instant() {
        return Combinators.combine(Arbitraries.longs().between(-5_000_000_000L, 7_000_000_000L),
                Arbitraries.integers().between(0, 999_999_999)).as(Instant::ofEpochSecond);
    }

    private static Arbitrary<String> text() {
        return Arbitraries.strings().ofMaxLength(30).injectNull(0.3);
    }

    private static Arbitrary<String> email() {
        return Arbitraries.strings().alpha().ofMinLength(1).ofMaxLength(10).map(s -> s + "@example.org").injectNull(0.2);
    }

    private static Arbitrary<Person> person() {
        return Combinators.combine(email(), text()).as(Person::new);
    }

    private static Arbitrary<Attendee> attendee() {
        return Combinators.combine(email(), text(),
                Arbitraries.of("REQ-PARTICIPANT", "OPT-PARTICIPANT", "CHAIR", "NON-PARTICIPANT").injectNull(0.3),
                Arbitraries.of("NEEDS-ACTION", "ACCEPTED", "DECLINED", "TENTATIVE", "DELEGATED").injectNull(0.3))
                .as(Attendee::new);
    }

    private static Arbitrary<Origin> origin() {
        return Combinators.combine(text(), text(), text(), text(), text())
                .as((s, ci, cn, p, pid) -> new Origin(null, s, ci, cn, p, pid))
                .filter(o -> o.source() != null || o.calendarId() != null || o.calendarName() != null
                        || o.provider() != null || o.providerId() != null);
    }
}
