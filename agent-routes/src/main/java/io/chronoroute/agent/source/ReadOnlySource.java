package io.chronoroute.agent.source;

import io.chronoroute.agent.update.UpdateFailedException;
import io.chronoroute.processors.model.CalendarEvent;

/**
 * A source that is never written (Outlook for Mac, an ICS subscription): every event update and rename is refused
 * permanently with the source's own {@link #refusal} reason, so the master marks its events divergent instead of
 * retrying. Implementations only say why.
 */
public interface ReadOnlySource extends CalendarSource {

    @Override
    default Applied applyEventUpdate(SourceConfig source, String action, CalendarEvent event, String baseHash)
            throws UpdateFailedException {
        throw new UpdateFailedException(refusal(source), true);
    }

    @Override
    default Applied renameCalendar(SourceConfig source, String calendarId, String name, String color) throws UpdateFailedException {
        throw new UpdateFailedException(refusal(source), true);
    }
}
