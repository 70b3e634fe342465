package io.chronoroute.agent.source.ews;

import io.chronoroute.processors.model.CalendarEvent;
import io.chronoroute.processors.model.Origin;
import io.chronoroute.providers.ews.EwsClient;
import io.chronoroute.providers.ews.EwsEventReader;
import org.w3c.dom.Element;

import java.time.Instant;
import java.time.ZoneId;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;

/**
 * One EWS item (a single appointment, or a series master with its exception items) as the agent's events, through
 * the master's {@link EwsEventReader} without a consolidated event: Subject, Body, Location, Start/End in the IANA
 * zone of the item's Windows zone (all-day: dates), Recurrence → RRULE, DeletedOccurrences → EXDATE,
 * OriginalStart → RECURRENCE-ID, free/busy, sensitivity. Added here: the item's iCalendar {@code UID} (an
 * exception carries its series' UID), DateTimeCreated/LastModifiedTime, {@code IsCancelled} → CANCELLED, and the
 * origin (provider id = the ItemId, which the write-back uses to find an exception again). Organizer and
 * attendees are not read: unknown stays unknown.
 */
final class EwsItemMapper {

    private final String agentId;
    private final String source;
    private final String calendarId;
    private final String calendarName;
    private final EwsEventReader reader;

    EwsItemMapper(String agentId, String source, String calendarId, String calendarName, ZoneId zone) {
        this.agentId = agentId;
        this.source = source;
        this.calendarId = calendarId;
        this.calendarName = calendarName;
        this.reader = new EwsEventReader(zone == null ? ZoneOffset.UTC : zone, false);
    }

    /** The master (or single item) first, then its exceptions. */
    List<CalendarEvent> events(Element item, List<Element> exceptions, String file) {
        String uid = uid(item);
        List<CalendarEvent> out = new ArrayList<>();
        out.add(event(item, uid));
        for (Element ex : exceptions) {
            String own = text(ex, "UID");
            out.add(event(ex, own == null ? uid : own));
        }
        return out;
    }

    CalendarEvent event(Element ci, String uid) {
        CalendarEvent.Builder b = reader.fromItem(ci, null).toBuilder().uid(uid);
        String created = text(ci, "DateTimeCreated");
        if (created != null) {
            b.created(Instant.parse(created));
        }
        String modified = text(ci, "LastModifiedTime");
        if (modified != null) {
            b.lastModified(Instant.parse(modified));
        }
        if ("true".equals(text(ci, "IsCancelled"))) {
            b.status("CANCELLED");
        }
        Element id = EwsClient.child(ci, "ItemId");
        b.origin(new Origin(agentId, source, calendarId, calendarName, EwsCalendarSource.PROVIDER,
                id == null ? null : id.getAttribute("Id")));
        return b.build();
    }

    /** The item's iCalendar UID; an item without one (rare: created by an old client) is named by its ItemId. */
    static String uid(Element ci) {
        String uid = text(ci, "UID");
        if (uid != null) {
            return uid;
        }
        Element id = EwsClient.child(ci, "ItemId");
        return id == null ? null : id.getAttribute("Id");
    }

    private static String text(Element ci, String local) {
        String t = EwsClient.textOf(EwsClient.child(ci, local));
        return t == null || t.isBlank() ? null : t.trim();
    }
}
