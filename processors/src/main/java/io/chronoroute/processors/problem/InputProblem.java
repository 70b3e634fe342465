package io.chronoroute.processors.problem;

import com.fasterxml.jackson.annotation.JsonInclude;

/**
 * One problem found in input: a calendar file read by an agent source, or an event in a heartbeat read by the
 * master. It names where (file, line, UID, recurrence id, property) and what was done about it, so a user at the
 * master can see exactly what was repaired, skipped or rejected and why. Unknown parts are null.
 *
 * @param kind          what was done
 * @param source        the agent's source name (null when not known)
 * @param file          the file name within the source (null for events that do not come from a file)
 * @param line          1-based line in the file where the problem is (0 = unknown)
 * @param uid           the event's UID (null when the event has none or it is unknown)
 * @param recurrenceId  the override's RECURRENCE-ID as written (null for a series master or a single event)
 * @param property      the property (or wire field) concerned, e.g. {@code RRULE}, {@code changed[3].start}
 * @param message       what was wrong and what was done, in words
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
public record InputProblem(Kind kind, String source, String file, int line, String uid, String recurrenceId,
                           String property, String message) {

    /** What happened to the input that had the problem. */
    public enum Kind {
        /** Had one obvious meaning and was repaired; the event was kept. */
        REPAIRED,
        /** One property could not be read and was left out; the rest of the event was kept. */
        PROPERTY_SKIPPED,
        /** The event could not be used and was left out; the rest of the file (or heartbeat) was kept. */
        EVENT_REJECTED,
        /** The whole file could not be used; its previously collected events are kept. */
        FILE_REJECTED,
        /** Accepted as is, but worth knowing (e.g. a derived UID, a duplicate resolved by SEQUENCE). */
        WARNING
    }

    public InputProblem withSource(String newSource, String newFile) {
        return new InputProblem(kind, newSource, newFile, line, uid, recurrenceId, property, message);
    }
}
