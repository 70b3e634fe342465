package io.chronoroute.bench;

import io.chronoroute.processors.model.Attendee;
import io.chronoroute.processors.model.CalendarEvent;
import io.chronoroute.processors.model.EventTime;
import io.chronoroute.processors.model.Origin;
import io.chronoroute.processors.model.Person;

import java.time.Instant;
import java.time.LocalDate;
import java.time.LocalDateTime;
import java.time.ZoneId;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;

/**
 * Deterministic synthetic events for load drivers: a mix of timed events in several zones, all-day events and
 * weekly series, with realistic field sizes (title, location, description, two attendees). Labelled synthetic.
 */
public final class SyntheticEvents {

    private static final String[] ZONES = {"Europe/Berlin", "America/New_York", "Asia/Kolkata", "Australia/Sydney", "UTC"};

    private SyntheticEvents() {
    }

    public static List<CalendarEvent> generate(int count, long seed, String source, String uidPrefix) {
        Random rnd = new Random(seed);
        List<CalendarEvent> out = new ArrayList<>(count);
        LocalDate base = LocalDate.of(2026, 1, 5);
        for (int i = 0; i < count; i++) {
            ZoneId zone = ZoneId.of(ZONES[i % ZONES.length]);
            LocalDateTime start = base.plusDays(rnd.nextInt(365)).atTime(7 + rnd.nextInt(10), rnd.nextBoolean() ? 0 : 30);
            CalendarEvent.Builder b = CalendarEvent.builder()
                    .uid(uidPrefix + "-" + i + "@bench.chronoroute.invalid")
                    .title("Synthetic meeting " + i + " about topic " + Integer.toHexString(rnd.nextInt()))
                    .location("Room " + (1 + rnd.nextInt(40)))
                    .description("Synthetic benchmark event " + i + ". Agenda: status, risks, next steps.")
                    .organizer(new Person("organizer" + (i % 50) + "@example.org", "Organizer " + (i % 50)))
                    .attendees(List.of(new Attendee("a" + (i % 97) + "@example.org", "Attendee A", "REQ-PARTICIPANT", "ACCEPTED"),
                            new Attendee("b" + (i % 89) + "@example.org", "Attendee B", "OPT-PARTICIPANT", "TENTATIVE")))
                    .status("CONFIRMED").transparency("OPAQUE").classification("PUBLIC").sequence(0)
                    .lastModified(Instant.parse("2026-01-01T00:00:00Z"))
                    .origin(new Origin(null, source, "bench-calendar", "Benchmark calendar", "ics", null));
            if (i % 10 == 0) {
                LocalDate d = start.toLocalDate();
                b.start(EventTime.ofDate(d)).end(EventTime.ofDate(d.plusDays(1)));
            } else {
                b.start(EventTime.ofZoned(start, zone)).end(EventTime.ofZoned(start.plusMinutes(30 + 30L * rnd.nextInt(3)), zone));
                if (i % 7 == 0) {
                    b.rrules(List.of("FREQ=WEEKLY;COUNT=10"));
                }
            }
            out.add(b.build());
        }
        return out;
    }

    /** The same event with a changed title: what a "1% changed" cycle edits. */
    public static CalendarEvent edited(CalendarEvent e, int round) {
        return e.toBuilder().title(e.title() + " (edited " + round + ")").sequence(round)
                .lastModified(Instant.parse("2026-02-01T00:00:00Z").plusSeconds(round)).build();
    }
}
