package io.chronoroute.master.feed;

import io.chronoroute.master.config.ChronorouteProperties;
import io.chronoroute.master.rest.ApiException;
import io.chronoroute.master.security.Tokens;
import io.chronoroute.master.store.ConsolidatedEvent;
import io.chronoroute.master.store.MasterStore;
import io.chronoroute.processors.ical.ICalCodec;
import io.chronoroute.processors.model.CalendarEvent;
import io.chronoroute.processors.model.EventTime;
import io.chronoroute.processors.wire.WireJson;
import org.apache.camel.Exchange;
import org.apache.camel.Header;
import org.springframework.stereotype.Component;

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
 * Read views of the consolidated calendar: the iCalendar feed (cached by change sequence, ETag/304), the event
 * list with filters, and FullCalendar JSON.
 */
@Component
public class FeedService {

    static final String PROD_ID = "-//Chronoroute//Master//EN";

    private final MasterStore store;
    private final ZoneId displayZone;
    private volatile CachedFeed cache;

    /** The last built feed and the change sequence it reflects. */
    record CachedFeed(long seq, String text, String etag) {
    }

    public FeedService(MasterStore store, ChronorouteProperties props) {
        this.store = store;
        this.displayZone = props.displayZone();
    }

    /** The current feed; rebuilt only when the store's change sequence moved. */
    CachedFeed feed() {
        long seq = store.currentChangeSeq();
        CachedFeed c = cache;
        if (c != null && c.seq() == seq) {
            return c;
        }
        List<CalendarEvent> events = new ArrayList<>();
        store.forEachConsolidated(false, e -> events.add(WireJson.fromJson(e.eventJson())));
        String text = ICalCodec.write(events, PROD_ID);
        c = new CachedFeed(seq, text, "\"" + seq + "-" + Tokens.sha256Hex(text).substring(0, 16) + "\"");
        cache = c;
        return c;
    }

    /** {@code GET /calendar.ics}: body and headers; 304 without body when If-None-Match matches. */
    public String calendarIcs(@Header("If-None-Match") String ifNoneMatch, Exchange exchange) {
        CachedFeed c = feed();
        var m = exchange.getMessage();
        m.setHeader("ETag", c.etag());
        m.setHeader("Cache-Control", "private, no-cache");
        if (ifNoneMatch != null && matches(ifNoneMatch, c.etag())) {
            m.setHeader(Exchange.HTTP_RESPONSE_CODE, 304);
            m.removeHeader(Exchange.CONTENT_TYPE);
            return null;
        }
        m.setHeader(Exchange.CONTENT_TYPE, "text/calendar; charset=utf-8");
        return c.text();
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

    /** {@code GET /sync/events?agent_id&from&to}: live consolidated events. */
    public Map<String, Object> events(@Header("agent_id") String agentId, @Header("from") String from,
                                      @Header("to") String to) {
        Instant f = parseBound(from, "from", false);
        Instant t = parseBound(to, "to", true);
        List<Map<String, Object>> out = new ArrayList<>();
        store.forEachConsolidated(false, c -> {
            if (agentId != null && c.origins().stream().noneMatch(o -> o.startsWith(agentId + "/"))) {
                return;
            }
            CalendarEvent e = WireJson.fromJson(c.eventJson());
            if (!inRange(e, f, t)) {
                return;
            }
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("id", c.identity());
            m.putAll(WireJson.mapper().convertValue(WireJson.writeEvent(e), LinkedHashMap.class));
            m.put("origins", originAgents(c));
            m.put("version", c.version());
            m.put("updated_at", c.updatedAt() == null ? null : c.updatedAt().toString());
            out.add(m);
        });
        Map<String, Object> res = new LinkedHashMap<>();
        res.put("status", "success");
        res.put("count", out.size());
        res.put("events", out);
        return res;
    }

    /**
     * FullCalendar event objects: id, title, start, end, allDay, extendedProps{origins, location, ...}. With
     * {@code expand=true} and both bounds, a recurring series becomes its occurrences in the window (id and groupId
     * = the series' id, extendedProps.series = true), without its EXDATEs and without the occurrences its
     * overrides replace; a cancelled override (STATUS:CANCELLED) removes its occurrence and is not shown itself.
     */
    public List<Map<String, Object>> fullCalendar(@Header("start") String start, @Header("end") String end,
                                                  @Header("from") String from, @Header("to") String to,
                                                  @Header("expand") String expand) {
        Instant f = parseBound(start != null ? start : from, start != null ? "start" : "from", false);
        Instant t = parseBound(end != null ? end : to, end != null ? "end" : "to", true);
        boolean expanding = "true".equalsIgnoreCase(expand) && f != null && t != null;
        List<ConsolidatedEvent> all = new ArrayList<>();
        Map<String, Set<Instant>> overridden = new java.util.HashMap<>();
        store.forEachConsolidated(false, c -> {
            all.add(c);
            if (expanding) {
                CalendarEvent e = WireJson.fromJson(c.eventJson());
                if (e.isOverride()) {
                    overridden.computeIfAbsent(e.uid(), u -> new java.util.HashSet<>())
                            .add(e.recurrenceId().toInstant(displayZone));
                }
            }
        });
        List<Map<String, Object>> out = new ArrayList<>();
        for (ConsolidatedEvent c : all) {
            CalendarEvent e = WireJson.fromJson(c.eventJson());
            if (!inRange(e, f, t)) {
                continue;
            }
            if (expanding && e.isOverride() && "CANCELLED".equalsIgnoreCase(e.status())) {
                continue;
            }
            if (expanding && e.isRecurringMaster()) {
                for (SeriesExpander.Occurrence o : SeriesExpander.expand(e, f, t, displayZone,
                        overridden.getOrDefault(e.uid(), Set.of()))) {
                    Map<String, Object> m = fcEvent(c, e, o.start(), o.end());
                    m.put("groupId", c.identity());
                    out.add(m);
                }
                continue;
            }
            if (expanding && !e.isOverride() && !inWindow(e, f, t)) {
                continue;
            }
            out.add(fcEvent(c, e, e.start(), e.end()));
        }
        return out;
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
