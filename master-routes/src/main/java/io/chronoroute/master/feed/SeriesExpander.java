package io.chronoroute.master.feed;

import io.chronoroute.processors.model.CalendarEvent;
import io.chronoroute.processors.model.EventTime;
import net.fortuna.ical4j.model.Recur;

import java.time.Duration;
import java.time.Instant;
import java.time.LocalDate;
import java.time.LocalDateTime;
import java.time.ZoneId;
import java.time.ZonedDateTime;
import java.time.temporal.Temporal;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;

/**
 * The occurrences of a recurring series inside a window, for calendar views: RRULEs (ical4j's recurrence engine)
 * and RDATEs from the series' start in its own zone (so a weekly 09:30 stays 09:30 across a DST change), minus
 * EXDATEs and minus the occurrences that an override record replaces (the override is shown by itself). All-day
 * series recur on dates, floating ones in local time. At most {@link #MAX} occurrences per series and window.
 */
final class SeriesExpander {

    static final int MAX = 2000;

    /** One occurrence: its start and end (the series' duration after the start). */
    record Occurrence(EventTime start, EventTime end) {
    }

    private SeriesExpander() {
    }

    /**
     * @param overridden the recurrence ids (as instants in {@code viewZone}) of this series' override records
     */
    static List<Occurrence> expand(CalendarEvent series, Instant from, Instant to, ZoneId viewZone,
                                   Set<Instant> overridden) {
        EventTime start = series.start();
        Set<Instant> excluded = new TreeSet<>(overridden);
        for (EventTime ex : series.exdates()) {
            excluded.add(ex.toInstant(viewZone));
        }
        List<Temporal> starts = new ArrayList<>();
        Temporal seed = temporal(start, viewZone);
        // widen the window by the duration so an occurrence that began before 'from' and is still running shows
        Duration length = length(series, viewZone);
        Instant fromWide = from.minus(length).minusSeconds(1);
        for (String rule : series.rrules()) {
            Recur<Temporal> recur = new Recur<>(rule);
            starts.addAll(recur.getDates(seed, bound(fromWide, seed, viewZone), bound(to, seed, viewZone), MAX));
        }
        for (EventTime r : series.rdates()) {
            starts.add(temporal(r, viewZone));
        }
        if (series.rrules().isEmpty()) {
            starts.add(seed);
        }
        List<Occurrence> out = new ArrayList<>();
        Set<Instant> seen = new TreeSet<>();
        for (Temporal t : starts) {
            EventTime s = eventTime(t, start);
            Instant at = s.toInstant(viewZone);
            if (excluded.contains(at) || !seen.add(at) || !at.isBefore(to) || at.plus(length).isBefore(from)) {
                continue;
            }
            out.add(new Occurrence(s, end(series, s, viewZone)));
            if (out.size() >= MAX) {
                break;
            }
        }
        out.sort((a, b) -> a.start().toInstant(viewZone).compareTo(b.start().toInstant(viewZone)));
        return out;
    }

    private static Duration length(CalendarEvent e, ZoneId viewZone) {
        if (e.end() == null) {
            return e.start().isDate() ? Duration.ofDays(1) : Duration.ZERO;
        }
        return Duration.between(e.start().toInstant(viewZone), e.end().toInstant(viewZone));
    }

    private static EventTime end(CalendarEvent series, EventTime occurrenceStart, ZoneId viewZone) {
        if (series.end() == null) {
            return null;
        }
        if (occurrenceStart.isDate()) {
            long days = java.time.temporal.ChronoUnit.DAYS.between(series.start().date(), series.end().date());
            return EventTime.ofDate(occurrenceStart.date().plusDays(days));
        }
        Duration d = Duration.between(series.start().toInstant(viewZone), series.end().toInstant(viewZone));
        if (occurrenceStart.isFloating()) {
            return EventTime.ofFloating(occurrenceStart.floating().plus(d));
        }
        return EventTime.ofInstant(occurrenceStart.instant().plus(d), occurrenceStart.zone());
    }

    private static Temporal temporal(EventTime t, ZoneId viewZone) {
        if (t.isDate()) {
            return t.date();
        }
        if (t.isFloating()) {
            return t.floating();
        }
        return t.instant().atZone(t.zoneId() == null ? viewZone : t.zoneId());
    }

    private static Temporal bound(Instant i, Temporal seed, ZoneId viewZone) {
        if (seed instanceof LocalDate) {
            return LocalDate.ofInstant(i, viewZone);
        }
        if (seed instanceof LocalDateTime) {
            return LocalDateTime.ofInstant(i, viewZone);
        }
        return i.atZone(((ZonedDateTime) seed).getZone());
    }

    private static EventTime eventTime(Temporal t, EventTime like) {
        if (t instanceof LocalDate d) {
            return EventTime.ofDate(d);
        }
        if (t instanceof LocalDateTime l) {
            return EventTime.ofFloating(l);
        }
        ZonedDateTime z = (ZonedDateTime) t;
        return EventTime.ofInstant(z.toInstant(), like.zone());
    }
}
