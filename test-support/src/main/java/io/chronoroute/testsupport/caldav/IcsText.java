package io.chronoroute.testsupport.caldav;

import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * iCalendar text as a person's calendar client treats it: find the VEVENTs that hold a given property line (their
 * {@code UID:...}, or a tag such as {@code X-CHRONOROUTE-KEY:...}), read a property line, change a few properties of
 * those VEVENTs and leave every other line as it was (unknown X- properties, VALARMs, VTIMEZONEs,
 * the other VEVENTs). Text-level on purpose: tests that check what our code writes must not read it with our code.
 * Lines are unfolded; the line ending of the input (CRLF or LF) is kept.
 */
public final class IcsText {

    private static final DateTimeFormatter UTC = DateTimeFormatter.ofPattern("yyyyMMdd'T'HHmmss'Z'")
            .withZone(ZoneOffset.UTC);

    private IcsText() {
    }

    /** An instant as an iCalendar UTC DATE-TIME ({@code 20261202T031500Z}). */
    public static String utc(Instant t) {
        return UTC.format(t);
    }

    /** The VEVENTs (unfolded, lines joined with LF) that hold the line {@code key} themselves (not in a VALARM). */
    public static List<String> blocks(String ics, String key) {
        List<String> out = new ArrayList<>();
        for (List<String> block : vevents(lines(ics))) {
            if (holds(block, key)) {
                out.add(String.join("\n", block));
            }
        }
        return out;
    }

    /** The first line of the VEVENT itself (not of a VALARM in it) naming property {@code name}, or null. */
    public static String line(String block, String name) {
        return property(List.of(block.split("\n", -1)), name);
    }

    /**
     * The text with each VEVENT holding the line {@code key} given these property values (raw iCalendar values: the caller escapes
     * TEXT): an existing line of that property is replaced (parameters dropped), a missing one added before
     * {@code END:VEVENT}. Everything else stays as it was.
     */
    public static String edit(String ics, String key, Map<String, String> values) {
        String eol = ics.contains("\r\n") ? "\r\n" : "\n";
        List<String> in = lines(ics);
        List<String> out = new ArrayList<>();
        List<String> block = null;
        for (String l : in) {
            if (block == null && l.equals("BEGIN:VEVENT")) {
                block = new ArrayList<>();
            }
            if (block == null) {
                out.add(l);
                continue;
            }
            block.add(l);
            if (l.equals("END:VEVENT")) {
                out.addAll(holds(block, key) ? edited(block, values) : block);
                block = null;
            }
        }
        String text = String.join(eol, out);
        return text.endsWith(eol) || text.isEmpty() ? text : text + eol;
    }

    private static List<String> edited(List<String> block, Map<String, String> values) {
        Map<String, String> missing = new LinkedHashMap<>(values);
        List<String> out = new ArrayList<>();
        int depth = 0;
        for (String l : block) {
            if (l.startsWith("BEGIN:")) {
                depth++;
            }
            String replaced = null;
            if (depth == 1) {
                for (Map.Entry<String, String> v : values.entrySet()) {
                    if (l.startsWith(v.getKey() + ":") || l.startsWith(v.getKey() + ";")) {
                        replaced = v.getKey() + ":" + v.getValue();
                        missing.remove(v.getKey());
                    }
                }
            }
            if (l.startsWith("END:")) {
                depth--;
            }
            if (l.equals("END:VEVENT") && depth == 0) {
                missing.forEach((k, v) -> out.add(k + ":" + v));
            }
            out.add(replaced != null ? replaced : l);
        }
        return out;
    }

    private static List<String> lines(String ics) {
        String unfolded = ics.replace("\r\n", "\n").replace("\n ", "").replace("\n\t", "");
        List<String> out = new ArrayList<>(List.of(unfolded.split("\n")));
        out.removeIf(String::isEmpty);
        return out;
    }

    private static List<List<String>> vevents(List<String> lines) {
        List<List<String>> out = new ArrayList<>();
        List<String> block = null;
        for (String l : lines) {
            if (block == null && l.equals("BEGIN:VEVENT")) {
                block = new ArrayList<>();
            }
            if (block != null) {
                block.add(l);
                if (l.equals("END:VEVENT")) {
                    out.add(block);
                    block = null;
                }
            }
        }
        return out;
    }

    private static boolean holds(List<String> block, String key) {
        int colon = key.indexOf(':');
        return key.equals(property(block, colon < 0 ? key : key.substring(0, colon)));
    }

    private static String property(List<String> block, String name) {
        int depth = 0;
        for (String l : block) {
            if (l.startsWith("BEGIN:")) {
                depth++;
            } else if (l.startsWith("END:")) {
                depth--;
            } else if (depth == 1 && (l.startsWith(name + ":") || l.startsWith(name + ";"))) {
                return l;
            }
        }
        return null;
    }
}
