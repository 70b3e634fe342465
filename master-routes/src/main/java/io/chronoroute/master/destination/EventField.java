package io.chronoroute.master.destination;

import io.chronoroute.processors.model.CalendarEvent;
import io.chronoroute.processors.model.EventTime;

import java.util.List;
import java.util.Objects;
import java.util.Set;
import java.util.function.BiConsumer;
import java.util.function.Function;

/**
 * The fields of a {@link CalendarEvent} a {@link DestinationWriter} may write ({@link DestinationWriter#writtenFields()}).
 * Two-way sync merges a destination's version of one of our events into the consolidated event field by field
 * ({@link #merge}): only what the writer writes can have been edited in the destination by the user as far as we are
 * concerned; everything else (attendees, reminders, colours, a field this writer never writes) stays the consolidated
 * event's. UID, RECURRENCE-ID, origin, CREATED and LAST-MODIFIED are never taken from a destination.
 */
public enum EventField {
    TITLE(CalendarEvent::title, (b, v) -> b.title((String) v)),
    DESCRIPTION(CalendarEvent::description, (b, v) -> b.description((String) v)),
    LOCATION(CalendarEvent::location, (b, v) -> b.location((String) v)),
    START(e -> canonical(e.start()), (b, v) -> b.start((EventTime) v), CalendarEvent::start),
    END(e -> canonical(e.end()), (b, v) -> b.end((EventTime) v), CalendarEvent::end),
    RRULES(e -> Set.copyOf(e.rrules()), (b, v) -> b.rrules(cast(v)), CalendarEvent::rrules),
    EXDATES(e -> canonicals(e.exdates()), (b, v) -> b.exdates(cast(v)), CalendarEvent::exdates),
    RDATES(e -> canonicals(e.rdates()), (b, v) -> b.rdates(cast(v)), CalendarEvent::rdates),
    ORGANIZER(CalendarEvent::organizer, (b, v) -> b.organizer((io.chronoroute.processors.model.Person) v)),
    ATTENDEES(e -> Set.copyOf(e.attendees()), (b, v) -> b.attendees(cast(v)), CalendarEvent::attendees),
    STATUS(CalendarEvent::status, (b, v) -> b.status((String) v)),
    TRANSPARENCY(CalendarEvent::transparency, (b, v) -> b.transparency((String) v)),
    BUSY_STATUS(CalendarEvent::busyStatus, (b, v) -> b.busyStatus((String) v)),
    CLASSIFICATION(CalendarEvent::classification, (b, v) -> b.classification((String) v)),
    CATEGORIES(e -> Set.copyOf(e.categories()), (b, v) -> b.categories(cast(v)), CalendarEvent::categories);

    /** The field's meaning, for comparison (times by their canonical text, unordered lists as sets). */
    private final Function<CalendarEvent, Object> key;
    private final BiConsumer<CalendarEvent.Builder, Object> setter;
    /** The field's value, to copy. */
    private final Function<CalendarEvent, Object> value;

    EventField(Function<CalendarEvent, Object> key, BiConsumer<CalendarEvent.Builder, Object> setter) {
        this(key, setter, key);
    }

    EventField(Function<CalendarEvent, Object> key, BiConsumer<CalendarEvent.Builder, Object> setter,
               Function<CalendarEvent, Object> value) {
        this.key = key;
        this.setter = setter;
        this.value = value;
    }

    /**
     * The consolidated event with the destination's value of every field in {@code fields} that the destination
     * changed. A field counts as changed when the destination's value differs from {@code written}, the consolidated
     * event as the writer shapes it for the destination (e.g. floating times pinned to a zone, attendees moved into
     * the description): a field the destination still shows as we wrote it keeps the consolidated value, so an
     * unedited field never changes through the round trip (floating stays floating, the description keeps no
     * attendee text). SEQUENCE is left as the consolidated event has it.
     *
     * @param consolidated the consolidated event
     * @param written      {@code consolidated} as the writer writes it ({@link DestinationWriter#asWritten})
     * @param remote       the event as the destination now shows it
     */
    public static CalendarEvent merge(CalendarEvent consolidated, CalendarEvent written, CalendarEvent remote,
                                      Set<EventField> fields) {
        CalendarEvent.Builder b = consolidated.toBuilder();
        for (EventField f : fields) {
            if (!Objects.equals(f.key.apply(written), f.key.apply(remote))) {
                f.setter.accept(b, f.value.apply(remote));
            }
        }
        return b.build();
    }

    private static String canonical(EventTime t) {
        return t == null ? null : t.canonical();
    }

    private static Set<String> canonicals(List<EventTime> times) {
        return times.stream().map(EventTime::canonical).collect(java.util.stream.Collectors.toSet());
    }

    @SuppressWarnings("unchecked")
    private static <T> List<T> cast(Object v) {
        return (List<T>) v;
    }
}
