package io.chronoroute.master.destination;

import io.chronoroute.master.store.ConsolidatedEvent;
import io.chronoroute.processors.model.CalendarEvent;

/**
 * One write the plan decided for one identity: an upsert of the consolidated event or a delete of what the mapping
 * points at.
 *
 * @param source "agent/source" of the event (the deletion guard's zero-source rule), null when unknown
 */
record SyncOp(Kind kind, String identity, ConsolidatedEvent consolidated, CalendarEvent event, MappingEntry mapping,
              String source) {

    enum Kind { UPSERT, DELETE }

    boolean override() {
        return event != null ? event.recurrenceId() != null : mapping != null && mapping.recurrenceId() != null;
    }

    SyncOp withMapping(MappingEntry m) {
        return new SyncOp(kind, identity, consolidated, event, m, source);
    }

    /** A write ready to send: the op, the event as the writer gets it, the series identity of an override. */
    record Prepared(SyncOp op, DestinationEvent event, String seriesIdentity) {
    }
}
