package io.chronoroute.master.destination;

import io.chronoroute.master.store.ConsolidatedEvent;
import io.chronoroute.processors.model.CalendarEvent;
import io.chronoroute.processors.model.Origin;
import io.chronoroute.processors.sync.SyncKey;
import io.chronoroute.processors.wire.WireJson;

/** Reading consolidated events as the destination sync needs them (parsing, series identity, origin). */
final class StoredEvents {

    private StoredEvents() {
    }

    static String masterIdentity(CalendarEvent override) {
        return SyncKey.identityOf(CalendarEvent.builder().uid(override.uid()).build());
    }

    static CalendarEvent parseOrNull(String json) {
        if (json == null) {
            return null;
        }
        try {
            return WireJson.fromJson(json);
        } catch (RuntimeException e) {
            return null;
        }
    }

    /**
     * "agent/source" of an event: the source from the event's origin, the agent from the origin or, as the wire form
     * carries no agent, from the consolidated event's last writer / first origin ("agentId/syncKey").
     */
    static String sourceOf(ConsolidatedEvent c, CalendarEvent ev) {
        Origin o = ev == null ? null : ev.origin();
        if (o == null || o.source() == null) {
            return null;
        }
        String agent = o.agentId();
        if (agent == null && c != null) {
            String w = c.lastWriter() != null ? c.lastWriter() : c.origins().isEmpty() ? null : c.origins().get(0);
            if (w != null) {
                int slash = w.indexOf('/');
                agent = slash < 0 ? w : w.substring(0, slash);
            }
        }
        return (agent == null ? "?" : agent) + "/" + o.source();
    }

    static String originOf(ConsolidatedEvent c, CalendarEvent ev) {
        String s = sourceOf(c, ev);
        if (s != null) {
            return s;
        }
        if (c.lastWriter() != null) {
            return c.lastWriter();
        }
        return c.origins().isEmpty() ? null : c.origins().get(0);
    }
}
