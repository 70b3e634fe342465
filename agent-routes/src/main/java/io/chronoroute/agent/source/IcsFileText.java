package io.chronoroute.agent.source;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Set;

/**
 * One iCalendar file as text, for rewriting it without losing what the event model does not carry. The event
 * model ({@link io.chronoroute.processors.model.CalendarEvent}) knows a fixed set of VEVENT properties; a file
 * written back from the model alone loses VALARMs, X- properties and everything else (issue #9). So a write-back
 * edits the file's text instead of regenerating it:
 * <ul>
 *   <li>the file is split into content lines, each kept with its exact raw text (folding and line ending
 *       included), and grouped into the calendar's own lines and its components (VEVENT, VTIMEZONE, VTODO, ...);</li>
 *   <li>a component that is not touched is written back byte for byte;</li>
 *   <li>an updated VEVENT is the model's new VEVENT ({@link #merge}) plus, from the original, every property the
 *       model does not own ({@link #MODELLED}) and every sub-component (VALARM), raw.</li>
 * </ul>
 * Only structure is interpreted here (BEGIN/END nesting, property names); what the values mean is left to
 * {@link io.chronoroute.processors.ical.ICalCodec}.
 */
final class IcsFileText {

    /** The VEVENT properties the event model reads and writes; every other one is kept from the original. */
    static final Set<String> MODELLED = Set.of("UID", "DTSTAMP", "DTSTART", "DTEND", "DURATION", "RECURRENCE-ID",
            "SUMMARY", "DESCRIPTION", "LOCATION", "RRULE", "EXDATE", "RDATE", "ORGANIZER", "ATTENDEE", "STATUS",
            "TRANSP", "CLASS", "X-MICROSOFT-CDO-BUSYSTATUS", "SEQUENCE", "CREATED", "LAST-MODIFIED", "CATEGORIES");

    /** One content line: its raw text (continuation lines and line ending included) and its property name. */
    record Line(String raw, String name, String unfolded) {

        boolean isBegin() {
            return "BEGIN".equals(name);
        }

        boolean isEnd() {
            return "END".equals(name);
        }

        /** The value after the first ':' outside quotes (for BEGIN/END: the component name, upper case). */
        String value() {
            boolean quoted = false;
            for (int i = 0; i < unfolded.length(); i++) {
                char c = unfolded.charAt(i);
                if (c == '"') {
                    quoted = !quoted;
                } else if (c == ':' && !quoted) {
                    return unfolded.substring(i + 1);
                }
            }
            return "";
        }

        /** Whether a parameter {@code NAME=} appears before the value. */
        boolean hasParam(String param) {
            int colon = unfolded.length() - value().length() - 1;
            String head = colon < 0 ? unfolded : unfolded.substring(0, colon);
            return head.toUpperCase(Locale.ROOT).contains(";" + param + "=");
        }
    }

    /**
     * A part of the file: either one line of the calendar itself (its BEGIN/END, VERSION, X-WR-CALNAME, anything
     * outside a component) or a whole component directly inside VCALENDAR ({@code component} is its name).
     */
    record Part(String component, List<Line> lines) {

        boolean isComponent(String name) {
            return name.equals(component);
        }

        String raw() {
            StringBuilder sb = new StringBuilder();
            lines.forEach(l -> sb.append(l.raw()));
            return sb.toString();
        }

        /** The first property of the component itself (not of a sub-component) with this name, or null. */
        Line property(String name) {
            int depth = 0;
            for (Line l : lines) {
                if (l.isBegin()) {
                    depth++;
                } else if (l.isEnd()) {
                    depth--;
                } else if (depth == 1 && name.equals(l.name())) {
                    return l;
                }
            }
            return null;
        }
    }

    private final String bom;
    private final String eol;
    private final List<Part> parts;

    private IcsFileText(String bom, String eol, List<Part> parts) {
        this.bom = bom;
        this.eol = eol;
        this.parts = parts;
    }

    static IcsFileText parse(String text) {
        String bom = "";
        if (!text.isEmpty() && text.charAt(0) == '\uFEFF') {
            bom = "\uFEFF";
            text = text.substring(1);
        }
        String eol = text.contains("\r\n") || !text.contains("\n") ? "\r\n" : "\n";
        List<Part> parts = new ArrayList<>();
        List<Line> component = null;
        String componentName = null;
        int depth = 0; // 0 outside VCALENDAR, 1 inside it, 2+ inside a component
        for (Line l : lines(text)) {
            if (component != null) {
                component.add(l);
                if (l.isBegin()) {
                    depth++;
                } else if (l.isEnd() && --depth == 1) {
                    parts.add(new Part(componentName, component));
                    component = null;
                }
                continue;
            }
            if (l.isBegin() && depth == 1) {
                componentName = l.value().strip().toUpperCase(Locale.ROOT);
                component = new ArrayList<>();
                component.add(l);
                depth = 2;
                continue;
            }
            if (l.isBegin()) {
                depth++;
            } else if (l.isEnd() && depth > 0) {
                depth--;
            }
            parts.add(new Part(null, List.of(l)));
        }
        if (component != null) { // unterminated component: kept as it was
            parts.add(new Part(componentName, component));
        }
        return new IcsFileText(bom, eol, parts);
    }

    /** Splits into content lines: a line starting with a space or tab continues the previous one (RFC 5545 §3.1). */
    private static List<Line> lines(String text) {
        List<Line> out = new ArrayList<>();
        int i = 0;
        int n = text.length();
        StringBuilder raw = new StringBuilder();
        StringBuilder unfolded = new StringBuilder();
        while (i < n) {
            int end = i;
            while (end < n && text.charAt(end) != '\r' && text.charAt(end) != '\n') {
                end++;
            }
            int next = end;
            if (next < n && text.charAt(next) == '\r') {
                next++;
            }
            if (next < n && text.charAt(next) == '\n') {
                next++;
            }
            boolean continuation = raw.length() > 0 && (text.charAt(i) == ' ' || text.charAt(i) == '\t');
            if (!continuation && raw.length() > 0) {
                out.add(line(raw.toString(), unfolded.toString()));
                raw.setLength(0);
                unfolded.setLength(0);
            }
            raw.append(text, i, next);
            unfolded.append(text, continuation ? i + 1 : i, end);
            i = next;
        }
        if (raw.length() > 0) {
            out.add(line(raw.toString(), unfolded.toString()));
        }
        return out;
    }

    private static Line line(String raw, String unfolded) {
        int i = 0;
        while (i < unfolded.length() && (Character.isLetterOrDigit(unfolded.charAt(i)) || unfolded.charAt(i) == '-')) {
            i++;
        }
        return new Line(raw, i == 0 ? null : unfolded.substring(0, i).toUpperCase(Locale.ROOT), unfolded);
    }

    List<Part> parts() {
        return parts;
    }

    String eol() {
        return eol;
    }

    String text() {
        StringBuilder sb = new StringBuilder(bom);
        parts.forEach(p -> sb.append(p.raw()));
        return sb.toString();
    }

    /** The calendar's own lines and its VTIMEZONEs (all a VEVENT of this file needs to be read on its own). */
    String contextFor(Part vevent) {
        StringBuilder sb = new StringBuilder();
        boolean open = false;
        for (Part p : parts) {
            if (p.component() == null) {
                Line l = p.lines().get(0);
                if (l.isBegin()) {
                    open = true;
                }
                if (open && !l.isEnd()) {
                    sb.append(l.raw());
                }
            } else if (p.isComponent("VTIMEZONE")) {
                sb.append(p.raw());
            }
        }
        sb.append(vevent.raw());
        if (!vevent.raw().endsWith("\n")) {
            sb.append(eol);
        }
        sb.append("END:VCALENDAR").append(eol);
        return sb.toString();
    }

    // ------------------------------------------------------------------ edits

    void replace(Part old, Part replacement) {
        parts.set(parts.indexOf(old), replacement);
    }

    void remove(Part p) {
        parts.remove(p);
    }

    /** Inserts {@code p} after {@code after}, or before the last END:VCALENDAR when {@code after} is null. */
    void insertAfter(Part after, Part p) {
        if (after != null) {
            parts.add(parts.indexOf(after) + 1, p);
            return;
        }
        parts.add(calendarEnd(), p);
    }

    /** Adds a VTIMEZONE before the first VEVENT (after the existing VTIMEZONEs where there is no VEVENT). */
    void addTimeZone(Part vtimezone) {
        for (int i = 0; i < parts.size(); i++) {
            if (parts.get(i).isComponent("VEVENT")) {
                parts.add(i, vtimezone);
                return;
            }
        }
        parts.add(calendarEnd(), vtimezone);
    }

    boolean hasTimeZone(String tzid) {
        for (Part p : parts) {
            Line l = p.isComponent("VTIMEZONE") ? p.property("TZID") : null;
            if (l != null && l.value().strip().equals(tzid)) {
                return true;
            }
        }
        return false;
    }

    /** Whether anything but VTIMEZONEs is left in the calendar. */
    boolean hasContent() {
        return parts.stream().anyMatch(p -> p.component() != null && !p.isComponent("VTIMEZONE"));
    }

    private int calendarEnd() {
        for (int i = parts.size() - 1; i >= 0; i--) {
            Part p = parts.get(i);
            if (p.component() == null && p.lines().get(0).isEnd()) {
                return i;
            }
        }
        return parts.size();
    }

    /**
     * Sets a property of the calendar itself: replaces the value of the first occurrence, or (when {@code add})
     * inserts it before the first component.
     *
     * @return whether the text changed
     */
    boolean setCalendarProperty(String name, String escapedValue, boolean add) {
        String fresh = fold(name + ":" + escapedValue);
        for (int i = 0; i < parts.size(); i++) {
            Part p = parts.get(i);
            if (p.component() == null && name.equals(p.lines().get(0).name())) {
                Line old = p.lines().get(0);
                Line updated = line(fresh + lineEnd(old.raw()), name + ":" + escapedValue);
                if (old.raw().equals(updated.raw())) {
                    return false;
                }
                parts.set(i, new Part(null, List.of(updated)));
                return true;
            }
        }
        if (!add) {
            return false;
        }
        int at = -1;
        for (int i = 0; i < parts.size(); i++) {
            if (parts.get(i).component() != null || (i > 0 && parts.get(i).lines().get(0).isEnd())) {
                at = i;
                break;
            }
        }
        if (at < 0) {
            return false; // no calendar to put it in
        }
        parts.add(at, new Part(null, List.of(line(fresh + eol, name + ":" + escapedValue))));
        return true;
    }

    private static String lineEnd(String raw) {
        return raw.endsWith("\r\n") ? "\r\n" : raw.endsWith("\n") ? "\n" : raw.endsWith("\r") ? "\r" : "";
    }

    /** Folds at 75 characters (continuation lines start with a space); the line ending is the file's. */
    private String fold(String unfolded) {
        if (unfolded.length() <= 75) {
            return unfolded;
        }
        StringBuilder sb = new StringBuilder();
        int i = 0;
        int width = 75;
        while (i < unfolded.length()) {
            int end = Math.min(unfolded.length(), i + width);
            if (end < unfolded.length() && Character.isHighSurrogate(unfolded.charAt(end - 1))) {
                end--;
            }
            if (i > 0) {
                sb.append(eol).append(' ');
            }
            sb.append(unfolded, i, end);
            i = end;
            width = 74;
        }
        return sb.toString();
    }

    /**
     * The updated VEVENT: {@code generated} (the model's VEVENT for the new version, written by the codec) with the
     * original's properties that the model does not own and its sub-components (VALARM, ...) appended before its
     * END, as they were. Generated lines take the file's line ending.
     */
    Part merge(Part original, Part generated) {
        List<Line> out = new ArrayList<>();
        List<Line> gen = generated.lines();
        for (int i = 0; i < gen.size() - 1; i++) {
            out.add(withEol(gen.get(i)));
        }
        int depth = 0;
        for (Line l : original.lines()) {
            if (l.isBegin()) {
                depth++;
                if (depth > 1) {
                    out.add(l);
                }
            } else if (l.isEnd()) {
                if (depth > 1) {
                    out.add(l);
                }
                depth--;
            } else if (depth > 1 || (depth == 1 && l.name() != null && !MODELLED.contains(l.name()))) {
                out.add(l);
            }
        }
        out.add(withEol(gen.get(gen.size() - 1)));
        return new Part("VEVENT", out);
    }

    /** A part of another text (the codec's output) with this file's line endings. */
    Part adopt(Part p) {
        return new Part(p.component(), p.lines().stream().map(this::withEol).toList());
    }

    private Line withEol(Line l) {
        String raw = l.raw().replace("\r\n", "\n").replace("\n", eol);
        return new Line(raw, l.name(), l.unfolded());
    }
}
