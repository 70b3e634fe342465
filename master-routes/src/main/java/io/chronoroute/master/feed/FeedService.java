package io.chronoroute.master.feed;

import io.chronoroute.master.calendars.ConsolidatedCalendar;
import io.chronoroute.master.config.ChronorouteProperties;
import io.chronoroute.master.rest.ApiException;
import io.chronoroute.master.store.ConsolidatedEvent;
import io.chronoroute.master.store.MasterStore;
import io.chronoroute.processors.model.CalendarEvent;
import io.chronoroute.processors.model.EventTime;
import io.chronoroute.processors.wire.WireJson;
import org.apache.camel.Exchange;
import org.apache.camel.Header;
import org.springframework.stereotype.Component;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.chronoroute.master.store.ConsolidatedPage;
import io.chronoroute.processors.ical.ICalStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.Collections;
import java.util.Iterator;
import org.apache.camel.support.SynchronizationAdapter;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import java.time.DateTimeException;
import java.time.Instant;
import java.time.LocalDate;
import java.time.LocalDateTime;
import java.time.OffsetDateTime;
import java.time.ZoneId;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Read views of the consolidated calendar: the iCalendar feed (ETag/304 by change sequence), the event list with
 * filters and paging, and FullCalendar JSON.
 * <p>
 * All three are <b>streamed</b>: the answer is an {@link InputStream} that the HTTP binding copies to the response
 * (chunked) while it walks the store page by page ({@link MasterStore#consolidatedPage}); memory per read is one
 * store page (at most {@value #PAGE_EVENTS} events or about 1 MB) and one encoded event, whatever the store holds.
 * {@link ReadGate} bounds how many run at once. A failure in the middle of a walk (the store went away) aborts the
 * response, so a client never takes a cut answer for a whole one.
 */
@Component
public class FeedService {

    static final String PROD_ID = "-//Chronoroute//Master//EN";
    /** Events per page of {@code GET /sync/events?limit=} when no limit is given. */
    public static final int DEFAULT_LIMIT = 1000;
    /** The largest {@code limit} accepted. */
    public static final int MAX_LIMIT = 10_000;
    /** A store page of a walk: at most this many events... */
    static final int PAGE_EVENTS = 256;
    /** ...or about this many bytes of stored JSON. */
    static final long PAGE_BYTES = 1024 * 1024;
    /** Part of the feed's ETag: raise it when the feed's text changes for the same events. */
    static final String FEED_FORMAT = "v2";
    private static final String CURSOR_PREFIX = "c1:";

    private static final Logger LOG = LoggerFactory.getLogger(FeedService.class);

    private final MasterStore store;
    private final ZoneId displayZone;
    private final ReadGate gate;
    private final ConsolidatedCalendar calendar;

    public FeedService(MasterStore store, ChronorouteProperties props, ReadGate gate, ConsolidatedCalendar calendar) {
        this.store = store;
        this.displayZone = props.displayZone();
        this.gate = gate;
        this.calendar = calendar;
    }

    /**
     * The feed's ETag: the store's change sequence (every change of a consolidated event raises it) and the number of
     * live events, so it is known before a byte of the feed is written. Taken before the walk: a change that lands
     * during the walk may be in the body but not in the tag, so the next request downloads again (never the reverse).
     * The calendar's name and colour ({@link ConsolidatedCalendar}) are part of it: a rename alone is a new feed.
     */
    String feedEtag() {
        return "\"" + FEED_FORMAT + "-" + store.currentChangeSeq() + "-" + store.consolidatedCount()
                + calendar.etagPart() + "\"";
    }

    /** {@code GET /calendar.ics}: the streamed feed and its headers; 304 without body when If-None-Match matches. */
    public InputStream calendarIcs(@Header("If-None-Match") String ifNoneMatch, Exchange exchange) {
        String etag = feedEtag();
        var m = exchange.getMessage();
        m.setHeader("ETag", etag);
        m.setHeader("Cache-Control", "private, no-cache");
        if (ifNoneMatch != null && matches(ifNoneMatch, etag)) {
            m.setHeader(Exchange.HTTP_RESPONSE_CODE, 304);
            m.removeHeader(Exchange.CONTENT_TYPE);
            return null;
        }
        m.setHeader(Exchange.CONTENT_TYPE, "text/calendar; charset=utf-8");
        ICalStream ics = new ICalStream(PROD_ID);
        Walk walk = new Walk(store, null);
        String calendarProperties = calendar.icsProperties(); // X-WR-CALNAME, X-APPLE-CALENDAR-COLOR when set
        boolean[] state = new boolean[2]; // begun, ended
        return stream(exchange, "calendar.ics", () -> {
            if (!state[0]) {
                state[0] = true;
                return utf8(ics.begin() + calendarProperties);
            }
            if (state[1]) {
                return null;
            }
            ConsolidatedEvent c = walk.next();
            if (c == null) {
                state[1] = true;
                return utf8(ics.end());
            }
            CalendarEvent e = decode(c, "calendar.ics");
            return e == null ? new byte[0] : utf8(ics.event(e));
        });
    }

    private static boolean matches(String header, String etag) {
        for (String t : header.split(",")) {
            String s = t.trim();
            if (s.startsWith("W/")) {
                s = s.substring(2);
            }
            if (s.equals(etag) || s.equals("*")) {
                return true;
            }
        }
        return false;
    }

    /**
     * {@code GET /sync/events?agent_id&from&to[&limit][&cursor]}: live consolidated events, streamed.
     * <ul>
     * <li>Without {@code limit} and {@code cursor} (the seed's form): every matching event,
     * {@code {"status":"success","events":[...],"count":n}}.</li>
     * <li>With either: one page of at most {@code limit} events (default {@value #DEFAULT_LIMIT}, at most
     * {@value #MAX_LIMIT}) in identity order after {@code cursor}, plus {@code "limit"} and {@code "next_cursor"}
     * (opaque; null on the last page). Pass {@code next_cursor} back as {@code cursor} with the same filters. A page
     * can hold fewer events than the limit; the listing is complete when {@code next_cursor} is null.</li>
     * </ul>
     */
    public InputStream events(@Header("agent_id") String agentId, @Header("from") String from,
                              @Header("to") String to, @Header("limit") String limit, @Header("cursor") String cursor,
                              Exchange exchange) {
        Instant f = parseBound(from, "from", false);
        Instant t = parseBound(to, "to", true);
        boolean paged = (limit != null && !limit.isBlank()) || (cursor != null && !cursor.isBlank());
        int max = paged ? parseLimit(limit) : Integer.MAX_VALUE;
        String after = paged ? decodeCursor(cursor) : null;
        exchange.getMessage().setHeader(Exchange.CONTENT_TYPE, "application/json");
        Walk walk = new Walk(store, after);
        ObjectMapper json = WireJson.mapper();
        int[] count = {0};
        int[] stage = {0}; // 0 head, 1 events, 2 done
        return stream(exchange, "events", () -> {
            if (stage[0] == 0) {
                stage[0] = 1;
                return utf8("{\"status\":\"success\",\"events\":[");
            }
            if (stage[0] == 2) {
                return null;
            }
            while (count[0] < max) {
                ConsolidatedEvent c = walk.next();
                if (c == null) {
                    break;
                }
                if (agentId != null && c.origins().stream().noneMatch(o -> o.startsWith(agentId + "/"))) {
                    continue;
                }
                CalendarEvent e = decode(c, "events");
                if (e == null || !inRange(e, f, t)) {
                    continue;
                }
                Map<String, Object> m = new LinkedHashMap<>();
                m.put("id", c.identity());
                m.putAll(json.convertValue(WireJson.writeEvent(e), LinkedHashMap.class));
                m.put("origins", originAgents(c));
                if (!c.divergent().isEmpty()) {
                    // two-way sync: calendars that show another version and will not get this one
                    m.put("divergent", originAgents(new ConsolidatedEvent(c.identity(), null, null, c.divergent(),
                            0, 0, null, false, null)));
                }
                m.put("version", c.version());
                m.put("updated_at", c.updatedAt() == null ? null : c.updatedAt().toString());
                byte[] b = json.writeValueAsBytes(m);
                return count[0]++ == 0 ? b : prefixComma(b);
            }
            stage[0] = 2;
            StringBuilder tail = new StringBuilder("],\"count\":").append(count[0]);
            if (paged) {
                String next = count[0] >= max && walk.hasMore() ? walk.lastIdentity() : null;
                tail.append(",\"limit\":").append(max).append(",\"next_cursor\":")
                        .append(next == null ? "null" : "\"" + encodeCursor(next) + "\"");
            }
            return utf8(tail.append('}').toString());
        });
    }

    /**
     * FullCalendar event objects, streamed as one JSON array: id, title, start, end, allDay, extendedProps{origins,
     * location, ...}. With {@code expand=true} and both bounds, a recurring series becomes its occurrences in the
     * window (id and groupId = the series' id), without its EXDATEs and without the occurrences its overrides replace;
     * a cancelled override (STATUS:CANCELLED) removes its occurrence and is not shown itself. Expanding walks the store
     * twice: first for the overrides' recurrence ids (only those are held), then to write the answer.
     */
    public InputStream fullCalendar(@Header("start") String start, @Header("end") String end,
                                    @Header("from") String from, @Header("to") String to,
                                    @Header("expand") String expand, Exchange exchange) {
        Instant f = parseBound(start != null ? start : from, start != null ? "start" : "from", false);
        Instant t = parseBound(end != null ? end : to, end != null ? "end" : "to", true);
        boolean expanding = "true".equalsIgnoreCase(expand) && f != null && t != null;
        Map<String, Set<Instant>> overridden = new java.util.HashMap<>();
        if (expanding) {
            Walk first = new Walk(store, null);
            for (ConsolidatedEvent c = first.next(); c != null; c = first.next()) {
                CalendarEvent e = decode(c, "fullcalendar");
                if (e != null && e.isOverride()) {
                    overridden.computeIfAbsent(e.uid(), u -> new java.util.HashSet<>())
                            .add(e.recurrenceId().toInstant(displayZone));
                }
            }
        }
        exchange.getMessage().setHeader(Exchange.CONTENT_TYPE, "application/json");
        Walk walk = new Walk(store, null);
        ObjectMapper json = WireJson.mapper();
        int[] count = {0};
        int[] stage = {0};
        return stream(exchange, "fullcalendar", () -> {
            if (stage[0] == 0) {
                stage[0] = 1;
                return utf8("[");
            }
            if (stage[0] == 2) {
                return null;
            }
            for (ConsolidatedEvent c = walk.next(); c != null; c = walk.next()) {
                CalendarEvent e = decode(c, "fullcalendar");
                if (e == null || !inRange(e, f, t)) {
                    continue;
                }
                if (expanding && e.isOverride() && "CANCELLED".equalsIgnoreCase(e.status())) {
                    continue;
                }
                List<Map<String, Object>> items = new ArrayList<>(1);
                if (expanding && e.isRecurringMaster()) {
                    for (SeriesExpander.Occurrence o : SeriesExpander.expand(e, f, t, displayZone,
                            overridden.getOrDefault(e.uid(), Set.of()))) {
                        Map<String, Object> m = fcEvent(c, e, o.start(), o.end());
                        m.put("groupId", c.identity());
                        items.add(m);
                    }
                } else if (!expanding || e.isOverride() || inWindow(e, f, t)) {
                    items.add(fcEvent(c, e, e.start(), e.end()));
                }
                if (items.isEmpty()) {
                    continue;
                }
                java.io.ByteArrayOutputStream out = new java.io.ByteArrayOutputStream();
                for (Map<String, Object> m : items) {
                    if (count[0]++ > 0) {
                        out.write(',');
                    }
                    out.write(json.writeValueAsBytes(m));
                }
                return out.toByteArray();
            }
            stage[0] = 2;
            return utf8("]");
        });
    }

    /**
     * Takes a read slot and wraps the source as the body: the slot is given back at the end of the body, on a
     * failure, or when the exchange completes (the client went away before the end).
     */
    private InputStream stream(Exchange exchange, String what, ChunkStream.Source source) {
        Runnable release = gate.enter();
        ChunkStream body = new ChunkStream(() -> {
            try {
                return source.next();
            } catch (IOException | RuntimeException e) {
                LOG.warn("streamed {} answer aborted: {}", what, e.toString());
                throw e;
            }
        }, release);
        exchange.getExchangeExtension().addOnCompletion(new SynchronizationAdapter() {
            @Override
            public void onDone(Exchange ex) {
                body.close();
            }
        });
        // the binding copies a stream body to the response as it is read (chunked); never as one String
        exchange.getMessage().setHeader(Exchange.HTTP_CHUNKED, true);
        return body;
    }

    /**
     * The stored event, or null (logged) when it no longer reads: one such event (stored by an older version under
     * other limits, say) is left out of the answer instead of cutting the whole answer off.
     */
    private static CalendarEvent decode(ConsolidatedEvent c, String what) {
        try {
            return WireJson.fromJson(c.eventJson());
        } catch (RuntimeException e) {
            LOG.warn("consolidated event {} cannot be read and is left out of the {} answer: {}", c.identity(), what,
                    e.getMessage());
            return null;
        }
    }

    private static byte[] utf8(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }

    private static byte[] prefixComma(byte[] b) {
        byte[] out = new byte[b.length + 1];
        out[0] = ',';
        System.arraycopy(b, 0, out, 1, b.length);
        return out;
    }

    private static int parseLimit(String v) {
        if (v == null || v.isBlank()) {
            return DEFAULT_LIMIT;
        }
        try {
            int n = Integer.parseInt(v.trim());
            if (n >= 1 && n <= MAX_LIMIT) {
                return n;
            }
        } catch (NumberFormatException e) {
            // answered below
        }
        throw ApiException.badRequest("limit", "must be a whole number from 1 to " + MAX_LIMIT + ": '"
                + abbreviate(v) + "'");
    }

    static String encodeCursor(String identity) {
        return Base64.getUrlEncoder().withoutPadding()
                .encodeToString((CURSOR_PREFIX + identity).getBytes(StandardCharsets.UTF_8));
    }

    static String decodeCursor(String cursor) {
        if (cursor == null || cursor.isBlank()) {
            return null;
        }
        try {
            String s = new String(Base64.getUrlDecoder().decode(cursor.trim()), StandardCharsets.UTF_8);
            if (s.startsWith(CURSOR_PREFIX) && s.length() > CURSOR_PREFIX.length()) {
                return s.substring(CURSOR_PREFIX.length());
            }
        } catch (IllegalArgumentException e) {
            // answered below
        }
        throw ApiException.badRequest("cursor", "not a cursor of this listing (pass next_cursor back unchanged)");
    }

    /** Consolidated events one by one, tombstones skipped, one store page in memory at a time. */
    static final class Walk {
        private final MasterStore store;
        private String after;
        private boolean last;
        private Iterator<ConsolidatedEvent> page = Collections.emptyIterator();
        private String lastIdentity;

        Walk(MasterStore store, String after) {
            this.store = store;
            this.after = after;
        }

        /** The next event, or null at the end. */
        ConsolidatedEvent next() {
            if (!hasMore()) {
                return null;
            }
            ConsolidatedEvent e = page.next();
            lastIdentity = e.identity();
            return e;
        }

        /** Whether an event follows the last one returned (reads the next page when needed). */
        boolean hasMore() {
            while (!page.hasNext()) {
                if (last) {
                    return false;
                }
                ConsolidatedPage p = store.consolidatedPage(after, PAGE_EVENTS, PAGE_BYTES, false);
                page = p.events().iterator();
                after = p.next();
                last = after == null;
            }
            return true;
        }

        String lastIdentity() {
            return lastIdentity;
        }
    }

    private boolean inWindow(CalendarEvent e, Instant from, Instant to) {
        Instant s = e.start().toInstant(displayZone);
        Instant en = e.end() == null ? s : e.end().toInstant(displayZone);
        return s.isBefore(to) && !en.isBefore(from);
    }

    private Map<String, Object> fcEvent(ConsolidatedEvent c, CalendarEvent e, EventTime start, EventTime end) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("id", c.identity());
        m.put("title", e.title() == null ? "" : e.title());
        m.put("start", fc(start));
        if (end != null) {
            m.put("end", fc(end));
        }
        m.put("allDay", e.isAllDay());
        Map<String, Object> ext = new LinkedHashMap<>();
        ext.put("origins", originAgents(c));
        ext.put("location", e.location());
        ext.put("uid", e.uid());
        ext.put("status", e.status());
        ext.put("recurring", e.isRecurringMaster());
        ext.put("override", e.isOverride());
        m.put("extendedProps", ext);
        return m;
    }

    private String fc(EventTime t) {
        if (t.isDate()) {
            return t.date().toString();
        }
        if (t.isFloating()) {
            return t.floating().toString();
        }
        return OffsetDateTime.ofInstant(t.instant(), displayZone).toString();
    }

    private boolean inRange(CalendarEvent e, Instant from, Instant to) {
        if (from == null && to == null) {
            return true;
        }
        if (e.isRecurringMaster()) {
            // A series can have occurrences anywhere after its start; keep it unless it starts after the window.
            return to == null || e.start().toInstant(displayZone).isBefore(to);
        }
        Instant s = e.start().toInstant(displayZone);
        Instant en = e.end() == null ? s : e.end().toInstant(displayZone);
        return (to == null || s.isBefore(to)) && (from == null || !en.isBefore(from));
    }

    private Instant parseBound(String v, String field, boolean end) {
        if (v == null || v.isBlank()) {
            return null;
        }
        String s = v.trim();
        try {
            if (s.length() == 10) {
                LocalDate d = LocalDate.parse(s);
                return (end ? d.plusDays(1) : d).atStartOfDay(displayZone).toInstant();
            }
            try {
                return OffsetDateTime.parse(s).toInstant();
            } catch (DateTimeException e) {
                return LocalDateTime.parse(s).atZone(displayZone).toInstant();
            }
        } catch (DateTimeException e) {
            throw ApiException.badRequest(field, "not an ISO date or date-time: '" + abbreviate(s) + "'");
        }
    }

    private static String abbreviate(String s) {
        return s.length() > 40 ? s.substring(0, 40) + "..." : s;
    }

    static List<String> originAgents(ConsolidatedEvent c) {
        Set<String> agents = new LinkedHashSet<>();
        for (String o : c.origins()) {
            int i = o.indexOf('/');
            agents.add(i < 0 ? o : o.substring(0, i));
        }
        return List.copyOf(agents);
    }
}
