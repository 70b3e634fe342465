package io.chronoroute.agent.collect;

import io.chronoroute.processors.model.CalendarEvent;
import io.chronoroute.processors.problem.InputProblem;

import java.util.List;

/**
 * What a source observed about one of its files; the collector ({@code direct:agent-collect}) turns it into changes
 * of the current set and the outbox, atomically.
 *
 * @param kind        what happened
 * @param source      the source name (the templated route's {@code sourceName})
 * @param file        the file name relative to the source folder
 * @param fingerprint size, mtime and SHA-256 of the file (PARSED, TOUCHED)
 * @param events      every event the file holds now, origin set (PARSED)
 * @param reason      why the file was skipped (FAILED)
 * @param problems    what reading the file found (PARSED: repairs, skipped properties, rejected events; FAILED: the
 *                    FILE_REJECTED problem); replaces what was recorded for the file
 */
public record ChangeBatch(Kind kind, String source, String file, Fingerprint fingerprint, List<CalendarEvent> events,
                          String reason, List<InputProblem> problems) {

    public enum Kind {
        /** The file was parsed: {@code events} is its complete content; events no longer in it are deleted. */
        PARSED,
        /** The file's bytes did not change (only its time or name did): refresh the fingerprint, nothing else. */
        TOUCHED,
        /** The file is gone: its events are deleted. */
        REMOVED,
        /** The file could not be read or parsed: reported; its previously collected events are kept. */
        FAILED
    }

    /** Size in bytes, last-modified epoch millis and SHA-256 of the bytes. */
    public record Fingerprint(long size, long modified, String sha256) {
    }

    public ChangeBatch {
        events = events == null ? List.of() : List.copyOf(events);
        problems = problems == null ? List.of() : List.copyOf(problems);
    }

    public static ChangeBatch parsed(String source, String file, Fingerprint fp, List<CalendarEvent> events) {
        return parsed(source, file, fp, events, List.of());
    }

    public static ChangeBatch parsed(String source, String file, Fingerprint fp, List<CalendarEvent> events,
                                     List<InputProblem> problems) {
        return new ChangeBatch(Kind.PARSED, source, file, fp, events, null, problems);
    }

    public static ChangeBatch touched(String source, String file, Fingerprint fp) {
        return new ChangeBatch(Kind.TOUCHED, source, file, fp, List.of(), null, null);
    }

    public static ChangeBatch removed(String source, String file) {
        return new ChangeBatch(Kind.REMOVED, source, file, null, List.of(), null, null);
    }

    public static ChangeBatch failed(String source, String file, String reason) {
        return failed(source, file, reason, 0);
    }

    /** A file that cannot be used at all; recorded as its one FILE_REJECTED problem too. */
    public static ChangeBatch failed(String source, String file, String reason, int line) {
        return new ChangeBatch(Kind.FAILED, source, file, null, List.of(), reason, List.of(new InputProblem(
                InputProblem.Kind.FILE_REJECTED, source, file, Math.max(line, 0), null, null, null,
                reason + "; its previously collected events are kept")));
    }
}
