package io.chronoroute.master.ingest;

import io.chronoroute.processors.model.CalendarEvent;
import io.chronoroute.processors.wire.WireJson;

/** One item of an ingest: an observation to store, or one to remove. Items are split and folded in order. */
public sealed interface Incoming {

    String syncKey();

    /**
     * A new or changed observation.
     *
     * @param syncKey  the agent/source/UID/RECURRENCE-ID key
     * @param identity the consolidated identity (UID + RECURRENCE-ID)
     * @param hash     its content hash
     * @param event    the normalized event, origin agent set from the URL
     */
    record Upsert(String syncKey, String identity, String hash, CalendarEvent event) implements Incoming {

        /** Its protocol-2 JSON; computed only for observations that changed (most of a seed's resend is not). */
        public String json() {
            return WireJson.toJson(event);
        }
    }

    /** The agent no longer has this record. */
    record Removal(String syncKey) implements Incoming {
    }

    /** A change of a non-agent origin (destination, API, conflict resolution): see {@link OriginChange}. */
    record Edit(OriginChange change) implements Incoming {

        @Override
        public String syncKey() {
            return change.identity();
        }
    }
}
