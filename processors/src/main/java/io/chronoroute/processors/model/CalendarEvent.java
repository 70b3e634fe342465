package io.chronoroute.processors.model;

import java.time.Instant;
import java.util.List;

/**
 * The normalized event: one VEVENT with RFC 5545 meaning. A recurring series is one master record (rrule,
 * exdates, rdates set, recurrenceId null) plus one record per overridden occurrence (same uid, recurrenceId set).
 * Unknown values are null (or empty lists), never guessed.
 *
 * @param uid          iCalendar UID (required)
 * @param recurrenceId RECURRENCE-ID of an overridden occurrence, null for a single event or series master
 * @param status       CONFIRMED, TENTATIVE or CANCELLED (RFC 5545 STATUS), null if unknown
 * @param transparency OPAQUE (busy) or TRANSPARENT (free); null if unknown
 * @param classification PUBLIC, PRIVATE or CONFIDENTIAL; null if unknown
 * @param busyStatus   finer busy state where the source has it (FREE, TENTATIVE, BUSY, OOF), else null
 */
public record CalendarEvent(
        String uid,
        EventTime recurrenceId,
        String title,
        String description,
        String location,
        EventTime start,
        EventTime end,
        List<String> rrules,
        List<EventTime> exdates,
        List<EventTime> rdates,
        Person organizer,
        List<Attendee> attendees,
        String status,
        String transparency,
        String busyStatus,
        String classification,
        Integer sequence,
        Instant created,
        Instant lastModified,
        List<String> categories,
        Origin origin) {

    public CalendarEvent {
        rrules = rrules == null ? List.of() : List.copyOf(rrules);
        exdates = exdates == null ? List.of() : List.copyOf(exdates);
        rdates = rdates == null ? List.of() : List.copyOf(rdates);
        attendees = attendees == null ? List.of() : List.copyOf(attendees);
        categories = categories == null ? List.of() : List.copyOf(categories);
    }

    public boolean isRecurringMaster() {
        return recurrenceId == null && (!rrules.isEmpty() || !rdates.isEmpty());
    }

    public boolean isOverride() {
        return recurrenceId != null;
    }

    public boolean isAllDay() {
        return start != null && start.isDate();
    }

    public CalendarEvent withOrigin(Origin o) {
        return new CalendarEvent(uid, recurrenceId, title, description, location, start, end, rrules, exdates, rdates,
                organizer, attendees, status, transparency, busyStatus, classification, sequence, created, lastModified,
                categories, o);
    }

    /** This event as last modified at {@code t} (the modification time a calendar reports for its change). */
    public CalendarEvent withLastModified(Instant t) {
        return new CalendarEvent(uid, recurrenceId, title, description, location, start, end, rrules, exdates, rdates,
                organizer, attendees, status, transparency, busyStatus, classification, sequence, created, t,
                categories, origin);
    }

    public static Builder builder() {
        return new Builder();
    }

    public Builder toBuilder() {
        Builder b = new Builder();
        b.uid = uid; b.recurrenceId = recurrenceId; b.title = title; b.description = description; b.location = location;
        b.start = start; b.end = end; b.rrules = rrules; b.exdates = exdates; b.rdates = rdates; b.organizer = organizer;
        b.attendees = attendees; b.status = status; b.transparency = transparency; b.busyStatus = busyStatus;
        b.classification = classification; b.sequence = sequence; b.created = created; b.lastModified = lastModified;
        b.categories = categories; b.origin = origin;
        return b;
    }

    /** Mutable builder for parsers; {@link #build()} produces the immutable record. */
    public static final class Builder {
        private String uid;
        private EventTime recurrenceId;
        private String title;
        private String description;
        private String location;
        private EventTime start;
        private EventTime end;
        private List<String> rrules;
        private List<EventTime> exdates;
        private List<EventTime> rdates;
        private Person organizer;
        private List<Attendee> attendees;
        private String status;
        private String transparency;
        private String busyStatus;
        private String classification;
        private Integer sequence;
        private Instant created;
        private Instant lastModified;
        private List<String> categories;
        private Origin origin;

        public Builder uid(String v) { uid = v; return this; }
        public Builder recurrenceId(EventTime v) { recurrenceId = v; return this; }
        public Builder title(String v) { title = v; return this; }
        public Builder description(String v) { description = v; return this; }
        public Builder location(String v) { location = v; return this; }
        public Builder start(EventTime v) { start = v; return this; }
        public Builder end(EventTime v) { end = v; return this; }
        public Builder rrules(List<String> v) { rrules = v; return this; }
        public Builder exdates(List<EventTime> v) { exdates = v; return this; }
        public Builder rdates(List<EventTime> v) { rdates = v; return this; }
        public Builder organizer(Person v) { organizer = v; return this; }
        public Builder attendees(List<Attendee> v) { attendees = v; return this; }
        public Builder status(String v) { status = v; return this; }
        public Builder transparency(String v) { transparency = v; return this; }
        public Builder busyStatus(String v) { busyStatus = v; return this; }
        public Builder classification(String v) { classification = v; return this; }
        public Builder sequence(Integer v) { sequence = v; return this; }
        public Builder created(Instant v) { created = v; return this; }
        public Builder lastModified(Instant v) { lastModified = v; return this; }
        public Builder categories(List<String> v) { categories = v; return this; }
        public Builder origin(Origin v) { origin = v; return this; }

        public CalendarEvent build() {
            return new CalendarEvent(uid, recurrenceId, title, description, location, start, end, rrules, exdates,
                    rdates, organizer, attendees, status, transparency, busyStatus, classification, sequence, created,
                    lastModified, categories, origin);
        }
    }
}
