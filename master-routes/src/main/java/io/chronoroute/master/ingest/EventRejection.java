package io.chronoroute.master.ingest;

import java.util.LinkedHashMap;
import java.util.Map;

/**
 * One event of a heartbeat that the master could not read and left out; the rest of the heartbeat is applied. Listed
 * in the answer's {@code rejected} and kept per agent for {@code GET /sync/agents/{id}/status}.
 *
 * @param field        the offending field, located in the body: {@code changed[3].rrule}, {@code events[0].start}
 * @param uid          the event's UID as sent (abbreviated), or null when it has none
 * @param recurrenceId the RECURRENCE-ID as sent (abbreviated), or null
 * @param source       the event's {@code source} as sent, or null
 * @param reason       what is wrong
 * @param syncKey      the key the event would have had, when it can be told (a snapshot does not delete the stored
 *                     version of a rejected event); null otherwise; not part of the answer
 */
public record EventRejection(String field, String uid, String recurrenceId, String source, String reason,
                             String syncKey) {

    /** The answer's and the status' form: {@code {"field","uid","recurrence_id","source","reason"}}. */
    public Map<String, Object> toWire() {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("field", field);
        m.put("uid", uid);
        m.put("recurrence_id", recurrenceId);
        if (source != null) {
            m.put("source", source);
        }
        m.put("reason", reason);
        return m;
    }
}
