package io.chronoroute.agent.source;

import io.chronoroute.agent.collect.ChangeBatch;
import io.chronoroute.agent.update.UpdateFailedException;
import io.chronoroute.processors.model.CalendarEvent;

import java.time.Duration;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The one contract every kind of calendar source of the agent implements (issue #10): read, write back, rename, and
 * say how it is doing. One bean per kind serves every configured source of that kind (the {@link SourceConfig} names
 * which); it announces itself to the {@link SourceRegistry}, so the {@code UpdateDispatcher}, the health and the
 * heartbeat's {@code stats.source_list} reach any source through this interface instead of knowing each class.
 * <p><b>Reading</b> is two-phase so that no change is lost between reading and storing: {@link #read} returns what
 * changed since the source's persisted cursor (everything when there is none yet: the full read), the batches go to
 * {@code direct:agent-collect}, and only after the collector committed them does {@link #committed} advance the
 * cursor. A crash or a failed collect in between reads the same changes again (the collector is idempotent). What the
 * cursor is depends on the kind: the file index (name, size, mtime, SHA-256) for a folder of .ics files, the scan
 * index for Outlook for Mac, ETag/Last-Modified plus the last feed's content for an ICS subscription. A source that
 * cannot be read (missing folder, unreachable server, broken feed) reports it in its {@link SourceState} and returns
 * nothing that deletes: an outage is never "everything deleted".
 * <p><b>Writing</b> ({@link #applyEventUpdate}, {@link #renameCalendar}) is refused permanently by a read-only source,
 * with the reason {@link #refusal} gives (the master shows it as {@code not_writable_reason}).
 */
public interface CalendarSource {

    /** The kind of the sources this bean serves; the {@link SourceConfig#provider()} they register with. */
    String kind();

    /**
     * What changed in the source since its persisted cursor (the full content when there is none yet), for
     * {@code direct:agent-collect}; empty when nothing changed or the source cannot be read now (then its state says
     * why). Does not advance the cursor: {@link #committed} does, after the collector stored the result.
     */
    List<ChangeBatch> read(SourceConfig source);

    /** The collector committed the result of the last {@link #read}: the cursor advances. */
    void committed(SourceConfig source);

    /**
     * Why this source does not accept writes from the master (a clear sentence naming the source), or null when it
     * does. The dispatcher asks before it even reads the update's event.
     */
    String refusal(SourceConfig source);

    /**
     * Applies an {@code event_update} from the master.
     *
     * @param action   create, update or delete
     * @param event    the event as the master sent it (for a delete only UID and RECURRENCE-ID count)
     * @param baseHash the content hash the master believes the source has for the event, or null; when given and the
     *                 event changed since in the source, the update is refused permanently without writing
     * @throws UpdateFailedException permanent when the source is read-only or the update cannot apply; transient
     *                               when the source cannot be reached now
     */
    Applied applyEventUpdate(SourceConfig source, String action, CalendarEvent event, String baseHash)
            throws UpdateFailedException;

    /**
     * Renames and/or recolours one of the source's calendars for real (the master's {@code calendar_metadata}).
     *
     * @param calendarId the calendar as the source reports it in its events' {@code calendar_id}: the source name
     *                   for a source of one calendar, the source's own stable id for one of several
     * @param name       the new name, or null to keep it
     * @param color      the new colour (e.g. {@code #FF0000}), or null to keep it
     */
    Applied renameCalendar(SourceConfig source, String calendarId, String name, String color)
            throws UpdateFailedException;

    /** How the source is doing now, for {@code /actuator/health} and {@code stats.source_list}. */
    SourceState state(SourceConfig source);

    /**
     * What an applied write did: a one-line outcome (logged and remembered with the update id) and what the source
     * holds now where it wrote, read again at once ({@code reread}, for {@code direct:agent-collect}): the agent's
     * state shows the write immediately, so the next heartbeat sends it once and the next read finds it unchanged.
     */
    record Applied(String outcome, List<ChangeBatch> reread) {
    }

    /**
     * A source's state.
     *
     * @param kind               {@link #kind()}
     * @param writable           whether the master's updates are applied to it
     * @param notWritableReason  {@link #refusal}; null when writable
     * @param lastRead           the last successful read since the agent started (changes or not); null: none yet
     * @param cursorAt           when the persisted cursor was last advanced or confirmed current; null: no cursor yet
     * @param lastError          why the last read failed (or what is wrong with the source now); null when fine
     */
    record SourceState(String kind, boolean writable, String notWritableReason, Instant lastRead, Instant cursorAt,
                       String lastError) {

        /** Age of the cursor at {@code now}; null when there is no cursor. */
        public Duration cursorAge(Instant now) {
            return cursorAt == null ? null : Duration.between(cursorAt, now);
        }

        /** For the health endpoint: the fields as text, unknown ones as null. */
        public Map<String, Object> toMap(Instant now) {
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("kind", kind);
            m.put("writable", writable);
            if (notWritableReason != null) {
                m.put("notWritableReason", notWritableReason);
            }
            m.put("lastRead", lastRead == null ? null : lastRead.toString());
            Duration age = cursorAge(now);
            m.put("cursorAgeSeconds", age == null ? null : age.toSeconds());
            m.put("lastError", lastError);
            return m;
        }
    }
}
