package io.chronoroute.processors.ical;

import io.chronoroute.processors.model.CalendarEvent;
import io.chronoroute.processors.problem.InputProblem;

import java.util.List;

/**
 * What one iCalendar file gave: the events that could be used (repaired where a value had one obvious meaning) and
 * every problem found, each naming line, UID, RECURRENCE-ID and property (source and file are left null: the caller
 * knows them).
 */
public record ICalReadResult(List<CalendarEvent> events, List<InputProblem> problems) {

    public ICalReadResult {
        events = List.copyOf(events);
        problems = List.copyOf(problems);
    }
}
