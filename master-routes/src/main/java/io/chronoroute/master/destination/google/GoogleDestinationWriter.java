package io.chronoroute.master.destination.google;

import com.google.api.services.calendar.model.Event;
import com.google.api.services.calendar.model.Events;
import io.chronoroute.master.destination.DestinationContext;
import io.chronoroute.master.destination.DestinationErrorClassifier;
import io.chronoroute.master.destination.DestinationEvent;
import io.chronoroute.master.destination.DestinationException;
import io.chronoroute.master.destination.DestinationWriter;
import io.chronoroute.master.destination.ErrorKind;
import io.chronoroute.master.destination.MappingEntry;
import io.chronoroute.master.destination.RemoteChanges;
import io.chronoroute.master.destination.RemoteEvent;
import io.chronoroute.master.destination.WriteResult;
import io.chronoroute.processors.model.EventTime;

import java.time.Instant;
import java.time.LocalDate;
import java.time.LocalDateTime;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;

/**
 * Google Calendar writer over camel-google-calendar ({@link GoogleAccount}). Every write sends
 * {@code sendUpdates=none}; no attendee is ever written ({@link GoogleEventMapper}).
 * <ul>
 *   <li>upsert: mapped → {@code update}; else {@code insert} with the deterministic id ({@link GoogleIds}); 409
 *       (the id exists, possibly cancelled) → {@code get}, check our tag (else: permanent error, never overwritten),
 *       {@code update} (revives a cancelled event). Override → {@code update} of the instance id.</li>
 *   <li>delete: {@code delete}; 404/410 = already gone. Override → the occurrence is reset to the series.</li>
 *   <li>listOwn: {@code list?privateExtendedProperty=chronorouteOwner=<owner>&showDeleted=true}, all pages.</li>
 *   <li>readChanges: {@code list?syncToken=...&showDeleted=true}, all pages (the token comes on the last one);
 *       without a token a plain full listing establishes one. 410 → CURSOR_EXPIRED.</li>
 * </ul>
 */
public final class GoogleDestinationWriter implements DestinationWriter {

    private static final int PAGE = 2500;

    private final DestinationContext ctx;
    private final GoogleAccount account;
    private final String calendarId;
    private final GoogleEventMapper mapper;
    private final GoogleErrorClassifier classifier = new GoogleErrorClassifier();

    public GoogleDestinationWriter(DestinationContext ctx, GoogleAccount account, String calendarId) {
        this.ctx = ctx;
        this.account = account;
        this.calendarId = calendarId;
        this.mapper = new GoogleEventMapper(ctx.owner(), ctx.config().floatingZone(),
                "description".equals(ctx.config().attendees()));
    }

    public String calendarId() {
        return calendarId;
    }

    @Override
    public WriteResult upsert(DestinationEvent de, MappingEntry current) throws Exception {
        Event body = mapper.toGoogle(de);
        if (de.isOverride()) {
            String id = current != null && current.remoteId() != null && !current.deleted() ? current.remoteId()
                    : GoogleIds.instanceId(de.masterRemoteId(), de.event().recurrenceId(), ctx.config().floatingZone());
            Event r = update(id, body);
            return new WriteResult(id, r.getEtag(), false);
        }
        if (current != null && current.remoteId() != null) {
            try {
                Event r = update(current.remoteId(), body);
                return new WriteResult(current.remoteId(), r.getEtag(), false);
            } catch (Exception e) {
                if (GoogleErrorClassifier.statusOf(e) != 404) {
                    throw e;
                }
            }
        }
        String id = GoogleIds.eventId(de.identity());
        body.setId(id);
        try {
            Event r = (Event) write("events/insert", args("content", body));
            return new WriteResult(id, r.getEtag(), true);
        } catch (Exception e) {
            if (GoogleErrorClassifier.statusOf(e) != 409) {
                throw e;
            }
        }
        Event existing = get(id);
        if (!mapper.isOurs(existing, de.identity())) {
            throw new DestinationException(ErrorKind.PERMANENT, "foreignId",
                    "event id " + id + " exists in the calendar but was not created by this destination");
        }
        Event r = update(id, body);
        return new WriteResult(id, r.getEtag(), false);
    }

    @Override
    public void delete(DestinationEvent de, MappingEntry current) throws Exception {
        try {
            if (current.recurrenceId() != null && current.seriesIdentity() != null) {
                if (de.masterEvent() == null || de.masterRemoteId() == null) {
                    return;
                }
                EventTime original = parseCanonical(current.recurrenceId());
                update(current.remoteId(), mapper.resetInstance(de.masterEvent(), original, de.masterRemoteId()));
                return;
            }
            Map<String, Object> a = args("eventId", current.remoteId());
            a.put("sendUpdates", "none");
            write("events/delete", a);
        } catch (Exception e) {
            int status = GoogleErrorClassifier.statusOf(e);
            if (status != 404 && status != 410) {
                throw e;
            }
        }
    }

    @Override
    public void listOwn(Consumer<RemoteEvent> sink) throws Exception {
        String page = null;
        do {
            Map<String, Object> a = args("privateExtendedProperty", List.of(mapper.ownerFilter()));
            a.put("showDeleted", Boolean.TRUE);
            a.put("maxResults", PAGE);
            a.put("pageToken", page);
            Events events = (Events) read("events/list", a);
            if (events.getItems() != null) {
                events.getItems().forEach(e -> sink.accept(mapper.toRemote(e)));
            }
            page = events.getNextPageToken();
        } while (page != null);
    }

    @Override
    public RemoteChanges readChanges(String cursor) throws Exception {
        List<RemoteEvent> out = new ArrayList<>();
        String page = null;
        String next = null;
        do {
            Map<String, Object> a = new HashMap<>();
            a.put("calendarId", calendarId);
            a.put("maxResults", PAGE);
            a.put("pageToken", page);
            if (cursor != null) {
                a.put("syncToken", cursor);
                a.put("showDeleted", Boolean.TRUE);
            }
            Events events = (Events) read("events/list", a);
            if (cursor != null && events.getItems() != null) {
                for (Event e : events.getItems()) {
                    out.add(remoteOfChange(e));
                }
            }
            page = events.getNextPageToken();
            next = events.getNextSyncToken() != null ? events.getNextSyncToken() : next;
        } while (page != null);
        return new RemoteChanges(out, next);
    }

    /** A cancelled item in the feed may come without extended properties: recognise our ids by their encoding. */
    private RemoteEvent remoteOfChange(Event e) {
        RemoteEvent r = mapper.toRemote(e);
        if (!r.ours() && "cancelled".equals(e.getStatus()) && (e.getExtendedProperties() == null)) {
            String identity = GoogleIds.identityOf(e.getId());
            if (identity != null) {
                return new RemoteEvent(e.getId(), identity, null, e.getEtag(), true, null, null);
            }
        }
        return r;
    }

    @Override
    public DestinationErrorClassifier classifier() {
        return classifier;
    }

    @Override
    public void close() {
        account.close();
    }

    private Event update(String eventId, Event body) throws Exception {
        Map<String, Object> a = args("eventId", eventId);
        a.put("content", body);
        a.put("sendUpdates", "none");
        return (Event) write("events/update", a);
    }

    private Event get(String eventId) throws Exception {
        return (Event) read("events/get", args("eventId", eventId));
    }

    private Object write(String method, Map<String, Object> a) throws Exception {
        if (!method.equals("events/delete")) {
            a.put("sendUpdates", "none");
        }
        ctx.gate().acquire(true);
        return account.call(method, a);
    }

    private Object read(String method, Map<String, Object> a) throws Exception {
        ctx.gate().acquire(false);
        return account.call(method, a);
    }

    private Map<String, Object> args(String key, Object value) {
        Map<String, Object> a = new HashMap<>();
        a.put("calendarId", calendarId);
        a.put(key, value);
        return a;
    }

    /** Inverse of {@code EventTime.canonical()}: {@code D:2025-06-10}, {@code Z:<instant>@<zone>}, {@code F:<local>}. */
    static EventTime parseCanonical(String text) {
        String v = text.substring(2);
        return switch (text.charAt(0)) {
            case 'D' -> EventTime.ofDate(LocalDate.parse(v));
            case 'F' -> EventTime.ofFloating(LocalDateTime.parse(v));
            case 'Z' -> {
                int at = v.indexOf('@');
                yield EventTime.ofInstant(Instant.parse(v.substring(0, at)), v.substring(at + 1));
            }
            default -> throw new IllegalArgumentException("not a canonical time: " + text);
        };
    }
}
