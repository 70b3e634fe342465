package io.chronoroute.processors.wire;

import com.fasterxml.jackson.databind.JsonNode;
import io.chronoroute.processors.model.Attendee;
import io.chronoroute.processors.model.CalendarEvent;
import io.chronoroute.processors.model.EventTime;
import io.chronoroute.processors.model.Origin;
import io.chronoroute.processors.model.Person;

import java.time.Instant;
import java.time.LocalDate;
import java.time.LocalTime;
import java.time.ZoneId;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * Reads one wire event in any accepted spelling. One instance per event (it carries the event's zones).
 * Package-private; the public entry point is {@link WireJson#readEvent(JsonNode, ZoneId)}.
 */
final class WireEventReader {

    private static final Map<String, String> PARTSTAT = Map.ofEntries(
            Map.entry("accepted", "ACCEPTED"), Map.entry("declined", "DECLINED"),
            Map.entry("tentative", "TENTATIVE"), Map.entry("tentativelyaccepted", "TENTATIVE"),
            Map.entry("needsaction", "NEEDS-ACTION"), Map.entry("needs-action", "NEEDS-ACTION"),
            Map.entry("needs_action", "NEEDS-ACTION"), Map.entry("none", "NEEDS-ACTION"),
            Map.entry("not_responded", "NEEDS-ACTION"), Map.entry("notresponded", "NEEDS-ACTION"),
            Map.entry("delegated", "DELEGATED"));
    private static final Map<String, String> ROLES = Map.of(
            "req-participant", "REQ-PARTICIPANT", "required", "REQ-PARTICIPANT",
            "opt-participant", "OPT-PARTICIPANT", "optional", "OPT-PARTICIPANT",
            "chair", "CHAIR", "non-participant", "NON-PARTICIPANT", "resource", "NON-PARTICIPANT");
    private static final Map<String, String> STATUS = Map.of(
            "confirmed", "CONFIRMED", "tentative", "TENTATIVE", "cancelled", "CANCELLED", "canceled", "CANCELLED");
    private static final Map<String, String> TRANSP = Map.of("opaque", "OPAQUE", "transparent", "TRANSPARENT");
    private static final Map<String, String> BUSY = Map.of("free", "FREE", "tentative", "TENTATIVE", "busy", "BUSY",
            "oof", "OOF", "out_of_office", "OOF", "outofoffice", "OOF", "workingelsewhere", "WORKINGELSEWHERE");
    private static final Map<String, String> CLASS = Map.of("public", "PUBLIC", "private", "PRIVATE",
            "confidential", "CONFIDENTIAL");

    private final JsonNode node;
    private final ZoneId sourceZone;
    private ZoneId eventZone;
    private boolean allDay;

    WireEventReader(JsonNode node, ZoneId sourceZone) {
        this.node = node;
        this.sourceZone = sourceZone;
    }

    CalendarEvent read() {
        if (node == null || !node.isObject()) {
            throw new WireFormatException("", "an event must be a JSON object");
        }
        String zoneKey = firstKey("time_zone", "timezone", "tz");
        eventZone = zoneKey == null ? null : WireTimes.zone(zoneKey, string(zoneKey));
        allDay = bool("all_day") || bool("allDay") || bool("is_all_day") || bool("isAllDay");

        CalendarEvent.Builder b = CalendarEvent.builder();
        String uidKey = firstKey("uid", "ical_uid", "iCalUID", "id", "provider_id");
        if (uidKey == null) {
            throw new WireFormatException("uid", "missing: none of uid, ical_uid, iCalUID, id, provider_id is present");
        }
        String uid = scalar(uidKey);
        if (uid.isBlank()) {
            throw new WireFormatException(uidKey, "is blank");
        }
        b.uid(uid);

        String startKey = firstKey("start", "start_time");
        if (startKey == null) {
            throw new WireFormatException("start", "missing: neither start nor start_time is present");
        }
        EventTime start = time(startKey, node.get(startKey), false);
        String endKey = firstKey("end", "end_time");
        EventTime end = endKey == null ? null : time(endKey, node.get(endKey), true);
        if (allDay && end != null && end.isDate() && start.isDate() && end.date().equals(start.date())) {
            // RFC 5545 ends are exclusive: an all-day end equal to its start is a producer's inclusive end of a one-day
            // event; "no end" means exactly that (one day) without inventing a date.
            end = null;
        }
        b.start(start).end(end);
        String ridKey = firstKey("recurrence_id", "recurrenceId");
        if (ridKey != null) {
            b.recurrenceId(time(ridKey, node.get(ridKey), false));
        }

        b.title(string(firstKey("title", "summary", "subject")));
        b.description(string(firstKey("description")));
        b.location(location());
        readRecurrence(b);
        b.organizer(organizer());
        b.attendees(attendees());
        b.status(mapped("status", STATUS));
        b.transparency(mapped(firstKey("transparency", "transp"), TRANSP));
        b.busyStatus(mapped(firstKey("busy_status", "show_as", "showAs"), BUSY));
        b.classification(classification());
        b.sequence(integer("sequence"));
        b.created(instant(firstKey("created", "created_at")));
        b.lastModified(instant(firstKey("last_modified", "modified_at", "updated_at", "lastModified")));
        b.categories(categories());
        b.origin(origin());
        return b.build();
    }

    // ---- times ----------------------------------------------------------------------------------------------------

    private EventTime time(String field, JsonNode v, boolean isEnd) {
        if (v == null || v.isNull()) {
            return null;
        }
        ZoneId explicit = eventZone;
        String text;
        if (v.isTextual()) {
            text = v.asText();
        } else if (v.isObject()) {
            String dateKey = v.has("date") ? "date" : null;
            String dtKey = v.has("date_time") ? "date_time" : v.has("dateTime") ? "dateTime" : null;
            String tzKey = v.has("time_zone") ? "time_zone" : v.has("timeZone") ? "timeZone" : null;
            if (dtKey == null && dateKey == null) {
                throw new WireFormatException(field, "a time object needs \"date\" or \"date_time\"");
            }
            String sub = dtKey != null ? dtKey : dateKey;
            JsonNode inner = v.get(sub);
            if (!inner.isTextual()) {
                throw new WireFormatException(field + "." + sub, "must be an ISO-8601 string");
            }
            text = inner.asText();
            ZoneId own = tzKey == null ? null : WireTimes.zone(field + "." + tzKey, WireTimes.text(v.get(tzKey)));
            WireTimes.Parsed p = WireTimes.parseText(field + "." + sub, text);
            if (allDay) {
                return allDayDate(p, isEnd);
            }
            // Protocol 2: an object without time_zone and without offset is explicitly floating.
            return WireTimes.toEventTime(p, own != null ? own : (p.offset() != null ? explicit : null), null);
        } else {
            throw new WireFormatException(field, "expected a time object or an ISO-8601 string");
        }
        WireTimes.Parsed p = WireTimes.parseText(field, text);
        if (allDay) {
            return allDayDate(p, isEnd);
        }
        return WireTimes.toEventTime(p, explicit, sourceZone);
    }

    /**
     * All-day values become dates: the date as written (never shifted through a zone, the classic all-day bug). An
     * end with a time of day after midnight (an inclusive end such as 23:59:59) ends after that day.
     */
    private static EventTime allDayDate(WireTimes.Parsed p, boolean isEnd) {
        LocalDate d = p.wallDate();
        if (isEnd && !p.wallTime().equals(LocalTime.MIDNIGHT)) {
            d = d.plusDays(1);
        }
        return EventTime.ofDate(d);
    }

    private List<EventTime> times(String field) {
        JsonNode v = node.get(field);
        List<EventTime> out = new ArrayList<>();
        if (v == null || v.isNull()) {
            return out;
        }
        if (v.isArray()) {
            for (int i = 0; i < v.size(); i++) {
                out.add(time(field + "[" + i + "]", v.get(i), false));
            }
        } else {
            out.add(time(field, v, false));
        }
        return out;
    }

    private Instant instant(String field) {
        if (field == null) {
            return null;
        }
        JsonNode v = node.get(field);
        if (v == null || v.isNull()) {
            return null;
        }
        if (!v.isTextual()) {
            throw new WireFormatException(field, "expected an ISO-8601 instant string");
        }
        WireTimes.Parsed p = WireTimes.parseText(field, v.asText());
        if (p.offset() != null) {
            return p.offset().toInstant();
        }
        ZoneId z = eventZone != null ? eventZone : sourceZone;
        if (p.local() != null && z != null) {
            return p.local().atZone(z).toInstant();
        }
        // A date, or a local time with no zone to read it in: the instant is unknown.
        return null;
    }

    // ---- recurrence -----------------------------------------------------------------------------------------------

    private void readRecurrence(CalendarEvent.Builder b) {
        List<String> rrules = new ArrayList<>();
        List<EventTime> exdates = times("exdate");
        if (exdates.isEmpty()) {
            exdates = times("exdates");
        }
        List<EventTime> rdates = times("rdate");
        if (rdates.isEmpty()) {
            rdates = times("rdates");
        }
        String key = firstKey("rrule", "rrules", "recurrence_pattern");
        if (key != null) {
            JsonNode v = node.get(key);
            List<String> entries = new ArrayList<>();
            if (v.isTextual()) {
                entries.add(v.asText());
            } else if (v.isArray()) {
                for (int i = 0; i < v.size(); i++) {
                    if (!v.get(i).isTextual()) {
                        throw new WireFormatException(key + "[" + i + "]", "must be RRULE text");
                    }
                    entries.add(v.get(i).asText());
                }
            } else {
                throw new WireFormatException(key, "must be RRULE text or a list of RRULE texts");
            }
            for (int i = 0; i < entries.size(); i++) {
                String f = v.isArray() ? key + "[" + i + "]" : key;
                for (String line : entries.get(i).split("\\r?\\n")) {
                    readRecurrenceLine(f, line.trim(), rrules, exdates, rdates);
                }
            }
        }
        for (int i = 0; i < rrules.size(); i++) {
            EventValidator.checkRrule(key + (rrules.size() > 1 || node.get(key).isArray() ? "[" + i + "]" : ""),
                    rrules.get(i));
        }
        b.rrules(rrules).exdates(exdates).rdates(rdates);
    }

    /**
     * One line of a recurrence text: a bare RRULE value, {@code RRULE:...}, or (Google style) an
     * {@code EXDATE;TZID=...:v1,v2} / {@code RDATE...} line whose values are read like iCalendar.
     */
    private void readRecurrenceLine(String field, String line, List<String> rrules, List<EventTime> exdates,
                                    List<EventTime> rdates) {
        if (line.isEmpty()) {
            return;
        }
        String upper = line.toUpperCase(Locale.ROOT);
        if (upper.startsWith("RRULE:")) {
            rrules.add(line.substring(6).trim());
        } else if (upper.startsWith("EXDATE") || upper.startsWith("RDATE")) {
            List<EventTime> target = upper.startsWith("EXDATE") ? exdates : rdates;
            int colon = line.indexOf(':');
            if (colon < 0) {
                throw new WireFormatException(field, "recurrence line without value: '" + WireTimes.abbreviate(line) + "'");
            }
            ZoneId zone = eventZone;
            for (String param : line.substring(0, colon).split(";")) {
                if (param.toUpperCase(Locale.ROOT).startsWith("TZID=")) {
                    zone = WireTimes.zone(field, param.substring(5).replace("\"", ""));
                }
            }
            for (String value : line.substring(colon + 1).split(",")) {
                WireTimes.Parsed p = WireTimes.parseText(field, value.trim());
                target.add(allDay ? allDayDate(p, false) : WireTimes.toEventTime(p, zone, sourceZone));
            }
        } else if (upper.startsWith("EXRULE:")) {
            throw new WireFormatException(field, "EXRULE is not supported (deprecated by RFC 5545)");
        } else {
            rrules.add(line);
        }
    }

    // ---- people ---------------------------------------------------------------------------------------------------

    private Person organizer() {
        JsonNode v = node.get("organizer");
        if (v == null || v.isNull()) {
            return null;
        }
        if (v.isTextual()) {
            return personFromText(v.asText());
        }
        if (!v.isObject()) {
            throw new WireFormatException("organizer", "must be an object {email, name} or a text");
        }
        return new Person(email("organizer", v), name("organizer", v));
    }

    /** "Name &lt;a@b&gt;", "mailto:a@b", "a@b" or a bare display name. */
    static Person personFromText(String s) {
        String t = s.trim();
        int lt = t.lastIndexOf('<');
        if (lt >= 0 && t.endsWith(">")) {
            String name = t.substring(0, lt).trim().replaceAll("^\"|\"$", "");
            return new Person(stripMailto(t.substring(lt + 1, t.length() - 1).trim()), name.isEmpty() ? null : name);
        }
        if (t.contains("@")) {
            return new Person(stripMailto(t), null);
        }
        return new Person(null, t.isEmpty() ? null : t);
    }

    static String stripMailto(String s) {
        return s != null && s.regionMatches(true, 0, "mailto:", 0, 7) ? s.substring(7) : s;
    }

    private List<Attendee> attendees() {
        String key = firstKey("attendees", "participants");
        if (key == null) {
            return List.of();
        }
        JsonNode v = node.get(key);
        if (!v.isArray()) {
            throw new WireFormatException(key, "must be a list");
        }
        List<Attendee> out = new ArrayList<>(v.size());
        for (int i = 0; i < v.size(); i++) {
            String f = key + "[" + i + "]";
            JsonNode a = v.get(i);
            if (a.isTextual()) {
                Person p = personFromText(a.asText());
                out.add(new Attendee(p.email(), p.name(), null, null));
                continue;
            }
            if (!a.isObject()) {
                throw new WireFormatException(f, "an attendee must be an object or a text");
            }
            String role = mappedIn(a, f, firstKeyIn(a, "role", "type"), ROLES);
            String status = mappedIn(a, f, firstKeyIn(a, "status", "response_status", "responseStatus", "partstat"),
                    PARTSTAT);
            out.add(new Attendee(email(f, a), name(f, a), role, status));
        }
        return out;
    }

    private static String email(String field, JsonNode o) {
        String k = firstKeyIn(o, "email", "address", "mail");
        if (k == null) {
            return null;
        }
        JsonNode v = o.get(k);
        if (!v.isTextual()) {
            throw new WireFormatException(field + "." + k, "must be a text");
        }
        return stripMailto(v.asText());
    }

    private static String name(String field, JsonNode o) {
        String k = firstKeyIn(o, "name", "display_name", "displayName");
        if (k == null) {
            return null;
        }
        JsonNode v = o.get(k);
        if (!v.isTextual()) {
            throw new WireFormatException(field + "." + k, "must be a text");
        }
        return v.asText();
    }

    // ---- scalar fields --------------------------------------------------------------------------------------------

    private String location() {
        JsonNode v = node.get("location");
        if (v == null || v.isNull()) {
            return null;
        }
        if (v.isObject()) {
            String k = firstKeyIn(v, "display_name", "displayName", "name");
            return k == null ? null : WireTimes.text(v.get(k));
        }
        return string("location");
    }

    private String classification() {
        String key = firstKey("classification", "class", "visibility", "sensitivity");
        if (key != null) {
            String c = mapped(key, CLASS);
            if (c != null) {
                return c;
            }
        }
        // Only "private": true carries information; false is not a statement about PUBLIC vs CONFIDENTIAL.
        return bool("private") ? "PRIVATE" : null;
    }

    private List<String> categories() {
        JsonNode v = node.get("categories");
        List<String> out = new ArrayList<>();
        if (v == null || v.isNull()) {
            return out;
        }
        if (v.isTextual()) {
            for (String s : v.asText().split(",")) {
                if (!s.isBlank()) {
                    out.add(s.trim());
                }
            }
            return out;
        }
        if (!v.isArray()) {
            throw new WireFormatException("categories", "must be a list of texts");
        }
        for (int i = 0; i < v.size(); i++) {
            if (!v.get(i).isTextual()) {
                throw new WireFormatException("categories[" + i + "]", "must be a text");
            }
            out.add(v.get(i).asText());
        }
        return out;
    }

    private Origin origin() {
        String source = string(firstKey("source"));
        String calendarId = scalarOrNull(firstKey("calendar_id"));
        String calendarName = string(firstKey("calendar_name"));
        String provider = string(firstKey("provider"));
        String providerId = scalarOrNull(firstKey("provider_id", "source_id", "file_path"));
        if (source == null && calendarId == null && calendarName == null && provider == null && providerId == null) {
            return null;
        }
        // agentId stays null: the master takes it from the URL and never trusts the body.
        return new Origin(null, source, calendarId, calendarName, provider, providerId);
    }

    private Integer integer(String key) {
        JsonNode v = node.get(key);
        if (v == null || v.isNull()) {
            return null;
        }
        if (v.isIntegralNumber() && v.canConvertToInt()) {
            return v.intValue();
        }
        if (v.isTextual()) {
            try {
                return Integer.valueOf(v.asText().trim());
            } catch (NumberFormatException ex) {
                throw new WireFormatException(key, "not an integer: '" + WireTimes.abbreviate(v.asText()) + "'");
            }
        }
        throw new WireFormatException(key, "must be an integer");
    }

    private boolean bool(String key) {
        JsonNode v = node.get(key);
        if (v == null || v.isNull()) {
            return false;
        }
        if (v.isBoolean()) {
            return v.booleanValue();
        }
        if (v.isTextual() && ("true".equalsIgnoreCase(v.asText()) || "false".equalsIgnoreCase(v.asText()))) {
            return Boolean.parseBoolean(v.asText().toLowerCase(Locale.ROOT));
        }
        if (v.isIntegralNumber() && (v.intValue() == 0 || v.intValue() == 1)) {
            return v.intValue() == 1;
        }
        throw new WireFormatException(key, "must be true or false");
    }

    /** A text field; null when absent; an error when present but not a text. */
    private String string(String key) {
        if (key == null) {
            return null;
        }
        JsonNode v = node.get(key);
        if (v == null || v.isNull()) {
            return null;
        }
        if (!v.isTextual()) {
            throw new WireFormatException(key, "must be a text");
        }
        return v.asText();
    }

    /** A text or number field as text (ids are sometimes numbers). */
    private String scalar(String key) {
        JsonNode v = node.get(key);
        if (v.isTextual() || v.isNumber()) {
            return v.asText();
        }
        throw new WireFormatException(key, "must be a text");
    }

    private String scalarOrNull(String key) {
        return key == null || node.get(key).isNull() ? null : scalar(key);
    }

    private String mapped(String key, Map<String, String> table) {
        return key == null ? null : mappedIn(node, "", key, table);
    }

    /**
     * Maps a keyword case-insensitively (RFC spelling or a known alias). An unknown keyword is not invented into one
     * of ours: it becomes null (unknown). Non-text values are errors.
     */
    private static String mappedIn(JsonNode obj, String prefix, String key, Map<String, String> table) {
        if (key == null) {
            return null;
        }
        JsonNode v = obj.get(key);
        if (v == null || v.isNull()) {
            return null;
        }
        String field = prefix.isEmpty() ? key : prefix + "." + key;
        if (!v.isTextual()) {
            throw new WireFormatException(field, "must be a text");
        }
        String k = v.asText().trim().toLowerCase(Locale.ROOT);
        String m = table.get(k);
        if (m == null && table.containsValue(k.toUpperCase(Locale.ROOT))) {
            m = k.toUpperCase(Locale.ROOT);
        }
        return m;
    }

    private String firstKey(String... keys) {
        return firstKeyIn(node, keys);
    }

    /** The first of the keys present with a non-null value. */
    private static String firstKeyIn(JsonNode obj, String... keys) {
        for (String k : keys) {
            JsonNode v = obj.get(k);
            if (v != null && !v.isNull()) {
                return k;
            }
        }
        return null;
    }
}
