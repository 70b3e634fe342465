package io.chronoroute.master.destination;

import io.chronoroute.processors.model.CalendarEvent;
import io.chronoroute.providers.common.DestinationErrorClassifier;
import io.chronoroute.providers.common.ErrorKind;

import java.util.Set;
import java.util.function.Consumer;

/**
 * The provider side of a destination: everything the {@link DestinationSyncService} needs, nothing more. The sync
 * owns the decisions (what to write, guard, retry, park, progress); a writer only talks to its provider.
 *
 * <h2>Contract every writer must keep</h2>
 * <ul>
 *   <li><b>Deterministic identity.</b> A new object gets an id derived from {@link DestinationEvent#identity()}
 *       (Google: base32hex id; EWS: none, so tag + FindItem first; CalDAV: href {@code <identity>.ics}). A retried
 *       create after a crash must find the object created before and update it, never create a second one.</li>
 *   <li><b>Tagged.</b> Every written object carries the identity, the content hash, the origin and the owner
 *       (Google private extended properties, EWS extended properties, CalDAV {@code X-CHRONOROUTE-*}), so
 *       {@link #listOwn} can rebuild the mapping when the store is lost.</li>
 *   <li><b>Only our objects.</b> Update/delete only ids from the mapping or from our tag; an id collision with an
 *       object without our tag is a permanent error, never an overwrite.</li>
 *   <li><b>No invitations.</b> Attendees are never written as attendees; notifications off (Google
 *       {@code sendUpdates=none}, EWS {@code SendToNone}, CalDAV {@code SCHEDULE-AGENT=CLIENT}).</li>
 *   <li><b>Rate.</b> Call {@link DestinationContext#gate()} before every request (retries included); a batch takes
 *       one token per part ({@link BatchingWriter}).</li>
 *   <li><b>Errors.</b> Throw the provider's exception; {@link #classifier()} classifies it. Handle the provider's
 *       "already gone" answers of a delete yourself (success).</li>
 *   <li><b>Series resets.</b> A master update that drops the series' overrides on the provider (EWS: a new
 *       {@code t:Recurrence}) says so with {@link WriteResult#seriesReset()}, also on a retry whose earlier attempt
 *       may have done it; the sync then writes every override of the series again, after the master.</li>
 *   <li><b>Two-way.</b> {@link #readChanges} fills {@link RemoteEvent#event()} (mapped back from the provider's form,
 *       our UID/RECURRENCE-ID as the consolidated event has them where the provider keeps its own) and
 *       {@link RemoteEvent#modified()}, for ours and for foreign objects (user-created events); {@link #writtenFields}
 *       and {@link #asWritten} (or {@link #merge}) say what of it can be an edit. An entry of the mapping without
 *       content hash on a foreign object means the sync adopted it (created at the master from the destination):
 *       the next upsert writes our tags onto that very object instead of refusing it.</li>
 * </ul>
 */
public interface DestinationWriter extends AutoCloseable {

    /**
     * Creates or updates the event. {@code current} is the mapping (null when none: create with the deterministic
     * id; if it exists, verify our tag and update). For an override, {@link DestinationEvent#masterRemoteId()} is set.
     */
    WriteResult upsert(DestinationEvent event, MappingEntry current) throws Exception;

    /**
     * Removes the event {@code current} points at. For an override, the occurrence goes back to the series
     * ({@link DestinationEvent#masterEvent()} set) or nothing is done when the master itself is gone (null).
     */
    void delete(DestinationEvent event, MappingEntry current) throws Exception;

    /** Every object carrying our owner tag, deleted ones included where the provider keeps them. */
    void listOwn(Consumer<RemoteEvent> sink) throws Exception;

    /**
     * Changes since {@code cursor} (null: establish a baseline cursor; the returned list may then be empty). Throws
     * an exception classified {@link ErrorKind#CURSOR_EXPIRED} when the cursor is no longer valid.
     */
    RemoteChanges readChanges(String cursor) throws Exception;

    /**
     * Renames the destination calendar (Google calendar summary, CalDAV displayname, Exchange folder display name).
     * Issue #9: each writer implements it.
     */
    default void renameCalendar(String displayName) throws Exception {
        throw new UnsupportedOperationException("this destination cannot rename its calendar");
    }

    /**
     * Two-way sync: the fields this writer writes into the destination, i.e. the only ones a user's edit in the
     * destination can change in the consolidated event ({@link EventField#merge}). Default: none (a writer whose
     * {@link RemoteEvent#event()} stays null is repaired as in one-way sync).
     */
    default Set<EventField> writtenFields() {
        return Set.of();
    }

    /**
     * Two-way sync: {@code consolidated} as this writer shapes it for the destination (e.g. floating times pinned to
     * {@code floating-zone}, attendees appended to the description), so that {@link EventField#merge} can tell an
     * edited field from one that only looks different because of the shaping. Default: unchanged.
     */
    default CalendarEvent asWritten(CalendarEvent consolidated) {
        return consolidated;
    }

    /**
     * Two-way sync: the consolidated event with the destination's edits of the fields this writer writes, from
     * {@code remote} ({@link RemoteEvent#event()}). Default: {@link EventField#merge} over {@link #writtenFields()}
     * and {@link #asWritten}; a writer overrides it to undo what its shaping adds (e.g. the attendee text appended to
     * the description).
     */
    default CalendarEvent merge(CalendarEvent consolidated, CalendarEvent remote) {
        return EventField.merge(consolidated, asWritten(consolidated), remote, writtenFields());
    }

    DestinationErrorClassifier classifier();

    @Override
    default void close() {
    }
}
