package io.chronoroute.providers.caldav;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * One CalDAV resource split into its top-level components, kept as text: VTIMEZONEs (by TZID) and VEVENTs (the
 * series master and its overrides). The writer replaces or removes single VEVENTs and puts the resource back
 * together, so overrides written earlier (and anything the server added) survive a master update untouched.
 * Lines are kept as received (folded); properties are read from the unfolded form.
 */
public final class ICalResource {

    /** A component's raw text (CRLF lines, BEGIN..END) and its own top-level properties (first value per name). */
    public record Block(String text, Map<String, String> props) {

        public String prop(String name) {
            return props.get(name);
        }

        /** The same component with another UID (servers refuse a resource whose UID changes: no-uid-conflict). */
        public Block withUid(String uid) {
            String old = props.get("UID");
            if (uid == null || uid.equals(old)) {
                return this;
            }
            StringBuilder sb = new StringBuilder();
            int depth = 0;
            for (String line : text.split("\r\n")) {
                String upper = line.toUpperCase(Locale.ROOT);
                depth += upper.startsWith("BEGIN:") ? 1 : 0;
                boolean uidLine = depth == 1 && name(line).equals("UID");
                depth -= upper.startsWith("END:") ? 1 : 0;
                if (uidLine) {
                    sb.append("UID:").append(uid).append("\r\n");
                } else if (!(depth == 1 && !line.isEmpty() && (line.charAt(0) == ' ' || line.charAt(0) == '\t')
                        && sb.toString().endsWith("UID:" + uid + "\r\n"))) {
                    sb.append(line).append("\r\n");
                }
            }
            Map<String, String> p = new LinkedHashMap<>(props);
            p.put("UID", uid);
            return new Block(sb.toString(), p);
        }

        /**
         * A fingerprint of the component as the server holds it, DTSTAMP left out: our "version" of one VEVENT.
         * The resource ETag cannot serve, because writing an override changes the ETag of the whole resource.
         */
        public String fingerprint() {
            StringBuilder sb = new StringBuilder();
            for (String line : unfold(text)) {
                String name = name(line);
                if (!"DTSTAMP".equals(name)) {
                    sb.append(line).append('\n');
                }
            }
            try {
                byte[] d = MessageDigest.getInstance("SHA-256").digest(sb.toString().getBytes(StandardCharsets.UTF_8));
                return HexFormat.of().formatHex(d, 0, 16);
            } catch (NoSuchAlgorithmException e) {
                throw new IllegalStateException(e);
            }
        }
    }

    final Map<String, Block> timezones = new LinkedHashMap<>();
    final List<Block> events = new ArrayList<>();
    final List<Block> others = new ArrayList<>();

    /** The VEVENTs, in order; the live list (the writer replaces and removes entries before {@link #compose}). */
    public List<Block> events() {
        return events;
    }

    /** The VTIMEZONEs by TZID; the live map. */
    public Map<String, Block> timezones() {
        return timezones;
    }

    public static ICalResource parse(String text) {
        ICalResource r = new ICalResource();
        if (text == null) {
            return r;
        }
        String[] lines = text.split("\r?\n", -1);
        int depth = 0;
        StringBuilder current = null;
        String kind = null;
        for (String line : lines) {
            if (line.isEmpty()) {
                continue;
            }
            String upper = line.toUpperCase(Locale.ROOT);
            if (upper.startsWith("BEGIN:")) {
                depth++;
                if (depth == 2) {
                    current = new StringBuilder();
                    kind = upper.substring(6).trim();
                }
            }
            if (current != null) {
                current.append(line).append("\r\n");
            }
            if (upper.startsWith("END:")) {
                if (depth == 2 && current != null) {
                    Block b = new Block(current.toString(), topLevelProps(current.toString()));
                    if ("VTIMEZONE".equals(kind)) {
                        r.timezones.put(String.valueOf(b.prop("TZID")), b);
                    } else if ("VEVENT".equals(kind)) {
                        r.events.add(b);
                    } else {
                        r.others.add(b);
                    }
                    current = null;
                }
                depth--;
            }
        }
        return r;
    }

    /** Adds every VTIMEZONE of {@code other} (replacing same TZIDs). */
    public void mergeTimezones(ICalResource other) {
        timezones.putAll(other.timezones);
    }

    public String compose(String prodId) {
        StringBuilder sb = new StringBuilder("BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:").append(prodId).append("\r\n");
        timezones.values().forEach(b -> sb.append(b.text()));
        others.forEach(b -> sb.append(b.text()));
        events.forEach(b -> sb.append(b.text()));
        return sb.append("END:VCALENDAR\r\n").toString();
    }

    // ------------------------------------------------------------------------------------------------ lines

    private static Map<String, String> topLevelProps(String block) {
        Map<String, String> props = new LinkedHashMap<>();
        int depth = 0;
        for (String line : unfold(block)) {
            String upper = line.toUpperCase(Locale.ROOT);
            if (upper.startsWith("BEGIN:")) {
                depth++;
                continue;
            }
            if (upper.startsWith("END:")) {
                depth--;
                continue;
            }
            if (depth != 1) {
                continue;
            }
            String name = name(line);
            if (name.equals("TZID") || name.equals("UID") || name.equals("RECURRENCE-ID") || name.startsWith("X-")) {
                props.putIfAbsent(name, name.equals("RECURRENCE-ID") ? line.substring(name.length())
                        : unescape(value(line)));
            }
        }
        return props;
    }

    public static List<String> unfold(String text) {
        List<String> out = new ArrayList<>();
        for (String line : text.split("\r?\n")) {
            if (line.isEmpty()) {
                continue;
            }
            if ((line.charAt(0) == ' ' || line.charAt(0) == '\t') && !out.isEmpty()) {
                out.set(out.size() - 1, out.get(out.size() - 1) + line.substring(1));
            } else {
                out.add(line);
            }
        }
        return out;
    }

    public static String name(String line) {
        int i = 0;
        while (i < line.length() && line.charAt(i) != ';' && line.charAt(i) != ':') {
            i++;
        }
        return line.substring(0, i).toUpperCase(Locale.ROOT);
    }

    /** The value after the first ':' that is not inside a quoted parameter value. */
    public static String value(String line) {
        boolean quoted = false;
        for (int i = 0; i < line.length(); i++) {
            char c = line.charAt(i);
            if (c == '"') {
                quoted = !quoted;
            } else if (c == ':' && !quoted) {
                return line.substring(i + 1);
            }
        }
        return "";
    }

    public static String unescape(String v) {
        StringBuilder sb = new StringBuilder(v.length());
        for (int i = 0; i < v.length(); i++) {
            char c = v.charAt(i);
            if (c == '\\' && i + 1 < v.length()) {
                char n = v.charAt(++i);
                sb.append(n == 'n' || n == 'N' ? '\n' : n);
            } else {
                sb.append(c);
            }
        }
        return sb.toString();
    }
}
