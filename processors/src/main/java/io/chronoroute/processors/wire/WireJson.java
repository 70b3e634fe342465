package io.chronoroute.processors.wire;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.datatype.jsr310.JavaTimeModule;
import io.chronoroute.processors.model.Attendee;
import io.chronoroute.processors.model.CalendarEvent;
import io.chronoroute.processors.model.EventTime;
import io.chronoroute.processors.model.Origin;

import java.time.ZoneId;
import java.util.List;

/**
 * JSON codec for wire events (architecture.md "Wire event"; wire-protocol.md for the seed spellings).
 *
 * <h2>Reading</h2>
 * {@link #readEvent(JsonNode, ZoneId)} accepts the protocol-2 spelling and every seed spelling: the Outlook-for-Mac
 * agent, the Outlook-for-Windows agent and the seed's normalized model. Field aliases are tried in a fixed order,
 * the first present (non-null) one wins: uid = {@code uid | ical_uid | iCalUID | id | provider_id}; start =
 * {@code start | start_time}; end = {@code end | end_time}; zone = {@code time_zone | timezone | tz}; recurrence =
 * {@code rrule | rrules | recurrence_pattern} (text or list; an {@code RRULE:} prefix is dropped, Google-style
 * {@code EXDATE}/{@code RDATE} lines are read too); attendees = {@code attendees | participants} with
 * {@code status | response_status} mapped to PARTSTAT; last-modified = {@code last_modified | modified_at |
 * updated_at}; created = {@code created | created_at}; origin from {@code source, calendar_id, calendar_name,
 * provider, provider_id | source_id | file_path}. {@code origin.agentId} is always null: the master sets it from the
 * URL and never trusts the body. Keywords (STATUS, PARTSTAT, ROLE, ...) are mapped case-insensitively; an
 * unknown keyword becomes null rather than a guess. {@code "private": true} gives PRIVATE; {@code false} says
 * nothing more and stays null.
 *
 * <h2>Local-time rule</h2>
 * A time is a {@code <time>} object or an ISO-8601 string.
 * <ul>
 *   <li>With an offset or {@code Z}: the instant is exact; its zone is the value's {@code time_zone}, else the
 *       event's zone, else {@code "UTC"} (a bare offset is not a zone, so none is invented).</li>
 *   <li>ISO <b>string</b> without offset (seed spelling): read in the event's own zone ({@code time_zone}), else in
 *       {@code sourceZone} (the heartbeat's {@code source_time_zone} or the agent's configured zone), else it stays
 *       <b>floating</b> ({@link EventTime#ofFloating}).</li>
 *   <li>Protocol-2 <b>object</b> without offset: read in its own {@code time_zone}; without one it is explicitly
 *       floating (that is how {@link #writeEvent} writes floating times), the event and source zones do not apply.</li>
 *   <li>Date only ({@code 2025-06-10} or {@code {"date"}}): a date.</li>
 *   <li>{@code all_day: true}: every time becomes the date <i>as written</i> (never shifted through a zone, so
 *       "2025-06-10T00:00:00" is 2025-06-10). Ends are exclusive (RFC 5545): an end with a time of day after
 *       midnight (an inclusive "23:59:59") ends after that day; an end equal to the start is dropped (no end means
 *       one day for a date start).</li>
 *   <li>{@code created}/{@code last_modified} without offset are read in the event or source zone; with neither
 *       they are unknown (null).</li>
 * </ul>
 * Windows zone names are accepted everywhere a zone is ({@link io.chronoroute.processors.zone.WindowsZones}).
 * Bad input raises {@link WireFormatException} naming the field; the result always passes
 * {@link EventValidator#validate}.
 *
 * <h2>Writing</h2>
 * {@link #writeEvent(CalendarEvent)} writes the protocol-2 spelling exactly; null fields and empty lists are
 * omitted. {@code fromJson(toJson(e))} equals {@code e} for every valid event whose origin is null or has a null
 * agentId and at least one other field (so {@link io.chronoroute.processors.sync.ContentHash} agrees on agent and
 * master).
 */
public final class WireJson {

    private static final ObjectMapper MAPPER = new ObjectMapper()
            .registerModule(new JavaTimeModule())
            .disable(SerializationFeature.WRITE_DATES_AS_TIMESTAMPS)
            .disable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES);

    private WireJson() {
    }

    /** The shared mapper: JavaTimeModule, ISO text instead of timestamps, unknown properties ignored. */
    public static ObjectMapper mapper() {
        return MAPPER;
    }

    /**
     * Reads one event in any accepted spelling.
     *
     * @param sourceZone the source's configured zone for times without offset, or null
     * @throws WireFormatException naming the field when the input is not a valid event
     */
    public static CalendarEvent readEvent(JsonNode node, ZoneId sourceZone) {
        CalendarEvent e = new WireEventReader(node, sourceZone).read();
        EventValidator.validate(e);
        return e;
    }

    /** The protocol-2 spelling of an event; null values and empty lists are left out. */
    public static ObjectNode writeEvent(CalendarEvent e) {
        ObjectNode n = MAPPER.createObjectNode();
        put(n, "uid", e.uid());
        time(n, "recurrence_id", e.recurrenceId());
        put(n, "title", e.title());
        put(n, "description", e.description());
        put(n, "location", e.location());
        time(n, "start", e.start());
        time(n, "end", e.end());
        if (!e.rrules().isEmpty()) {
            ArrayNode a = n.putArray("rrule");
            e.rrules().forEach(a::add);
        }
        times(n, "exdate", e.exdates());
        times(n, "rdate", e.rdates());
        if (e.organizer() != null) {
            ObjectNode o = n.putObject("organizer");
            put(o, "email", e.organizer().email());
            put(o, "name", e.organizer().name());
        }
        if (!e.attendees().isEmpty()) {
            ArrayNode a = n.putArray("attendees");
            for (Attendee at : e.attendees()) {
                ObjectNode o = a.addObject();
                put(o, "email", at.email());
                put(o, "name", at.name());
                put(o, "role", at.role());
                put(o, "status", at.status());
            }
        }
        put(n, "status", e.status());
        put(n, "transparency", e.transparency());
        put(n, "busy_status", e.busyStatus());
        put(n, "classification", e.classification());
        if (e.sequence() != null) {
            n.put("sequence", e.sequence());
        }
        put(n, "created", e.created() == null ? null : e.created().toString());
        put(n, "last_modified", e.lastModified() == null ? null : e.lastModified().toString());
        if (!e.categories().isEmpty()) {
            ArrayNode a = n.putArray("categories");
            e.categories().forEach(a::add);
        }
        Origin o = e.origin();
        if (o != null) {
            put(n, "source", o.source());
            put(n, "calendar_id", o.calendarId());
            put(n, "calendar_name", o.calendarName());
            put(n, "provider", o.provider());
            put(n, "provider_id", o.providerId());
        }
        return n;
    }

    public static String toJson(CalendarEvent e) {
        try {
            return MAPPER.writeValueAsString(writeEvent(e));
        } catch (JsonProcessingException ex) {
            throw new IllegalStateException("cannot serialize a JSON tree", ex);
        }
    }

    /**
     * Parses one protocol-2 event ({@code readEvent(tree, null)}).
     *
     * @throws WireFormatException when the text is not JSON (field "") or not a valid event
     */
    public static CalendarEvent fromJson(String json) {
        JsonNode tree;
        try {
            tree = MAPPER.readTree(json);
        } catch (JsonProcessingException ex) {
            throw new WireFormatException("", "not valid JSON: " + ex.getOriginalMessage(), ex);
        }
        return readEvent(tree, null);
    }

    private static void put(ObjectNode n, String k, String v) {
        if (v != null) {
            n.put(k, v);
        }
    }

    private static void time(ObjectNode n, String k, EventTime t) {
        if (t != null) {
            n.set(k, WireTimes.write(t));
        }
    }

    private static void times(ObjectNode n, String k, List<EventTime> ts) {
        if (!ts.isEmpty()) {
            ArrayNode a = n.putArray(k);
            ts.forEach(t -> a.add(WireTimes.write(t)));
        }
    }
}
