package io.chronoroute.processors.ical;

import io.chronoroute.processors.model.Attendee;
import io.chronoroute.processors.model.CalendarEvent;
import io.chronoroute.processors.model.EventTime;
import io.chronoroute.processors.model.Person;
import net.fortuna.ical4j.model.TimeZone;
import net.fortuna.ical4j.model.TimeZoneRegistry;
import net.fortuna.ical4j.model.TimeZoneRegistryFactory;

import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.time.LocalDateTime;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Function;
import java.util.regex.Pattern;

/**
 * Writes one VCALENDAR. Content lines are produced here (escaping, parameter quoting, folding at 75 octets on
 * UTF-8 boundaries, CRLF), so the output is byte-for-byte deterministic; VTIMEZONE definitions come from ical4j's
 * bundled, offline zone registry. Package-private; see {@link ICalCodec#write}.
 */
final class ICalWriter {

    private static final Pattern X_NAME = Pattern.compile("X-[A-Za-z0-9-]+");
    private static final TimeZoneRegistry REGISTRY = TimeZoneRegistryFactory.getInstance().createRegistry();

    private final StringBuilder out = new StringBuilder(4096);
    /** DTSTAMP for events with neither LAST-MODIFIED nor CREATED: the time of this write, one value per document. */
    private final Instant writeStamp = Instant.now().truncatedTo(java.time.temporal.ChronoUnit.SECONDS);

    String write(Collection<CalendarEvent> events, String prodId, Function<CalendarEvent, Map<String, String>> extra) {
        List<CalendarEvent> ordered = grouped(events);
        Map<String, TimeZone> zones = new LinkedHashMap<>();
        for (CalendarEvent e : ordered) {
            for (EventTime t : times(e)) {
                if (t.zone() != null && !"UTC".equals(t.zone()) && !zones.containsKey(t.zone())) {
                    TimeZone tz = REGISTRY.getTimeZone(t.zone());
                    zones.put(t.zone(), tz);
                }
            }
        }
        header(prodId);
        for (Map.Entry<String, TimeZone> z : zones.entrySet()) {
            if (z.getValue() != null) {
                vtimezone(z.getValue());
            }
        }
        for (CalendarEvent e : ordered) {
            event(e, zones, extra == null ? null : extra.apply(e));
        }
        line("END:VCALENDAR");
        return out.toString();
    }

    private void header(String prodId) {
        line("BEGIN:VCALENDAR");
        line("VERSION:2.0");
        line("PRODID:" + text(prodId == null ? "-//Chronoroute//EN" : prodId));
        line("CALSCALE:GREGORIAN");
    }

    private void vtimezone(TimeZone tz) {
        for (String l : tz.getVTimeZone().toString().split("\r\n|\n")) {
            if (!l.isEmpty()) {
                line(l);
            }
        }
    }

    // ------------------------------------------------------------------ piece by piece (ICalStream)

    /** Zones seen so far by {@link #streamEvent}, with their definition (null: none known, written as UTC). */
    private final Map<String, TimeZone> streamZones = new LinkedHashMap<>();

    String streamBegin(String prodId) {
        header(prodId);
        return drain();
    }

    /** The VTIMEZONE of each zone the event is the first to use, then the VEVENT. */
    String streamEvent(CalendarEvent e) {
        for (EventTime t : times(e)) {
            if (t.zone() != null && !"UTC".equals(t.zone()) && !streamZones.containsKey(t.zone())) {
                TimeZone tz = REGISTRY.getTimeZone(t.zone());
                streamZones.put(t.zone(), tz);
                if (tz != null) {
                    vtimezone(tz);
                }
            }
        }
        event(e, streamZones, null);
        return drain();
    }

    String streamEnd() {
        line("END:VCALENDAR");
        return drain();
    }

    private String drain() {
        String s = out.toString();
        out.setLength(0);
        if (out.capacity() > 65_536) {
            out.trimToSize();
        }
        return s;
    }

    /**
     * Series stay together: events are grouped by UID in order of first appearance; inside a group the master (no
     * RECURRENCE-ID) comes first, then the overrides in RECURRENCE-ID order.
     */
    private static List<CalendarEvent> grouped(Collection<CalendarEvent> events) {
        Map<String, List<CalendarEvent>> byUid = new LinkedHashMap<>();
        for (CalendarEvent e : events) {
            byUid.computeIfAbsent(e.uid(), k -> new ArrayList<>()).add(e);
        }
        List<CalendarEvent> out = new ArrayList<>(events.size());
        for (List<CalendarEvent> g : byUid.values()) {
            g.sort(Comparator.comparing((CalendarEvent e) -> e.recurrenceId() != null)
                    .thenComparing(e -> e.recurrenceId() == null ? "" : e.recurrenceId().localDateTime().toString()));
            out.addAll(g);
        }
        return out;
    }

    private static List<EventTime> times(CalendarEvent e) {
        List<EventTime> l = new ArrayList<>();
        l.add(e.start());
        if (e.end() != null) {
            l.add(e.end());
        }
        if (e.recurrenceId() != null) {
            l.add(e.recurrenceId());
        }
        l.addAll(e.exdates());
        l.addAll(e.rdates());
        return l;
    }

    private void event(CalendarEvent e, Map<String, TimeZone> zones, Map<String, String> extra) {
        line("BEGIN:VEVENT");
        line("UID:" + text(e.uid()));
        Instant stamp = e.lastModified() != null ? e.lastModified() : e.created() != null ? e.created() : writeStamp;
        line("DTSTAMP:" + utc(stamp));
        time("DTSTART", e.start(), zones);
        if (e.end() != null) {
            time("DTEND", e.end(), zones);
        }
        if (e.recurrenceId() != null) {
            time("RECURRENCE-ID", e.recurrenceId(), zones);
        }
        textProp("SUMMARY", e.title());
        textProp("DESCRIPTION", e.description());
        textProp("LOCATION", e.location());
        for (String r : e.rrules()) {
            line("RRULE:" + r);
        }
        timeList("EXDATE", e.exdates(), zones);
        timeList("RDATE", e.rdates(), zones);
        if (e.organizer() != null) {
            person("ORGANIZER", e.organizer(), null, null);
        }
        for (Attendee a : e.attendees()) {
            person("ATTENDEE", new Person(a.email(), a.name()), a.role(), a.status());
        }
        plain("STATUS", e.status());
        plain("TRANSP", e.transparency());
        plain("CLASS", e.classification());
        plain("X-MICROSOFT-CDO-BUSYSTATUS", e.busyStatus());
        if (e.sequence() != null) {
            line("SEQUENCE:" + e.sequence());
        }
        if (e.created() != null) {
            line("CREATED:" + utc(e.created()));
        }
        if (e.lastModified() != null) {
            line("LAST-MODIFIED:" + utc(e.lastModified()));
        }
        if (!e.categories().isEmpty()) {
            StringBuilder sb = new StringBuilder("CATEGORIES:");
            for (int i = 0; i < e.categories().size(); i++) {
                sb.append(i == 0 ? "" : ",").append(text(e.categories().get(i)));
            }
            line(sb.toString());
        }
        if (extra != null) {
            for (Map.Entry<String, String> x : extra.entrySet()) {
                if (!X_NAME.matcher(x.getKey()).matches()) {
                    throw new IllegalArgumentException("extra property name must be an X-name: " + x.getKey());
                }
                if (x.getValue() != null) {
                    line(x.getKey().toUpperCase(java.util.Locale.ROOT) + ":" + text(x.getValue()));
                }
            }
        }
        line("END:VEVENT");
    }

    private void time(String name, EventTime t, Map<String, TimeZone> zones) {
        line(name + params(t, zones) + ":" + ICalTimes.format(t, utcForm(t, zones)));
    }

    /** EXDATE/RDATE: one line per kind and zone, values in their original order within it. */
    private void timeList(String name, List<EventTime> ts, Map<String, TimeZone> zones) {
        Map<String, List<EventTime>> groups = new LinkedHashMap<>();
        for (EventTime t : ts) {
            groups.computeIfAbsent(params(t, zones), k -> new ArrayList<>()).add(t);
        }
        for (Map.Entry<String, List<EventTime>> g : groups.entrySet()) {
            StringBuilder sb = new StringBuilder(name).append(g.getKey()).append(':');
            for (int i = 0; i < g.getValue().size(); i++) {
                EventTime t = g.getValue().get(i);
                sb.append(i == 0 ? "" : ",").append(ICalTimes.format(t, utcForm(t, zones)));
            }
            line(sb.toString());
        }
    }

    /** UTC values, and zones the registry has no VTIMEZONE for, are written as UTC (the instant stays exact). */
    private static boolean utcForm(EventTime t, Map<String, TimeZone> zones) {
        return t.instant() != null && ("UTC".equals(t.zone()) || zones.get(t.zone()) == null);
    }

    private static String params(EventTime t, Map<String, TimeZone> zones) {
        if (t.isDate()) {
            return ";VALUE=DATE";
        }
        if (t.isFloating() || utcForm(t, zones)) {
            return "";
        }
        return ";TZID=" + param(t.zone());
    }

    private void person(String name, Person p, String role, String partstat) {
        StringBuilder sb = new StringBuilder(name);
        if (p.name() != null) {
            sb.append(";CN=").append(param(p.name()));
        }
        if (role != null) {
            sb.append(";ROLE=").append(param(role));
        }
        if (partstat != null) {
            sb.append(";PARTSTAT=").append(param(partstat));
        }
        sb.append(':').append(p.email() == null ? ICalReader.NO_MAIL : "mailto:" + p.email());
        line(sb.toString());
    }

    private void textProp(String name, String value) {
        if (value != null) {
            line(name + ":" + text(value));
        }
    }

    private void plain(String name, String value) {
        if (value != null) {
            line(name + ":" + text(value));
        }
    }

    private static String utc(Instant i) {
        return ICalTimes.LOCAL.format(LocalDateTime.ofInstant(i, ZoneOffset.UTC)) + "Z";
    }

    /** RFC 5545 TEXT escaping. */
    static String text(String s) {
        StringBuilder sb = new StringBuilder(s.length() + 8);
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            switch (c) {
                case '\\' -> sb.append("\\\\");
                case ';' -> sb.append("\\;");
                case ',' -> sb.append("\\,");
                case '\n' -> sb.append("\\n");
                case '\r' -> {
                    if (i + 1 < s.length() && s.charAt(i + 1) == '\n') {
                        break;
                    }
                    sb.append("\\n");
                }
                default -> sb.append(c < 0x20 && c != '\t' ? ' ' : c);
            }
        }
        return sb.toString();
    }

    /** A parameter value: quoted when it holds ':', ';' or ','; DQUOTE and controls cannot be represented. */
    static String param(String v) {
        String clean = v.replace("\"", "'").replaceAll("[\\x00-\\x08\\x0A-\\x1F]", " ");
        return clean.matches(".*[:;,].*") ? "\"" + clean + "\"" : clean;
    }

    /** Appends one content line, folded at 75 octets without splitting a UTF-8 sequence or surrogate pair. */
    private void line(String l) {
        int octets = 0;
        int i = 0;
        int limit = 75;
        while (i < l.length()) {
            int cp = l.codePointAt(i);
            int n = new String(Character.toChars(cp)).getBytes(StandardCharsets.UTF_8).length;
            if (octets + n > limit) {
                out.append("\r\n ");
                octets = 1;
            }
            out.appendCodePoint(cp);
            octets += n;
            i += Character.charCount(cp);
        }
        out.append("\r\n");
    }
}
