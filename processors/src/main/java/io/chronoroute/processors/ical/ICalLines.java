package io.chronoroute.processors.ical;

import java.io.IOException;
import java.io.Reader;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * Streams the content lines of an iCalendar text (RFC 5545 §3.1): unfolds folded lines, accepts CRLF, LF and CR
 * line ends, and splits each line into name, parameters and value. It never holds more than one content line, and
 * of a line longer than {@code maxChars} only the name is kept (the rest is counted, not stored), so an absurdly
 * large property cannot take the heap. Package-private helper of {@link ICalReader}.
 */
final class ICalLines {

    /** One parameter: name (upper case) and its values (quotes removed). */
    record Param(String name, List<String> values) {
        String first() {
            return values.isEmpty() ? "" : values.get(0);
        }
    }

    /**
     * One content line.
     *
     * @param line     1-based physical line on which it starts
     * @param name     upper-case property name, or null when the line is not a content line
     * @param params   parameters in order
     * @param value    the value (escapes not resolved); null when the line was longer than the limit
     * @param length   the unfolded line's length in characters
     * @param raw      the line as read (null when too long); used for messages and derived ids
     */
    record Line(int line, String name, List<Param> params, String value, long length, String raw) {

        boolean oversized() {
            return value == null && name != null;
        }

        String param(String paramName) {
            for (Param p : params) {
                if (p.name().equals(paramName)) {
                    return p.first();
                }
            }
            return null;
        }

        boolean is(String n) {
            return n.equals(name);
        }
    }

    private final Reader in;
    private final int maxChars;
    private final StringBuilder buf = new StringBuilder(256);
    private int physicalLine;
    private int pending = -2;
    private final char[] chunk = new char[16384];
    private int pos;
    private int len;

    ICalLines(Reader in, int maxChars) {
        this.in = in;
        this.maxChars = maxChars;
    }

    /** The next content line, or null at the end of the text. Blank lines are skipped. */
    Line next() throws IOException {
        while (true) {
            int c = read();
            if (c == -1) {
                return null;
            }
            physicalLine++;
            int start = physicalLine;
            buf.setLength(0);
            long length = 0;
            while (c != -1) {
                if (c == '\r' || c == '\n') {
                    if (c == '\r') {
                        int n = read();
                        if (n != '\n') {
                            unread(n);
                        }
                    }
                    int n = read();
                    if (n == ' ' || n == '\t') {
                        physicalLine++;
                        c = read();
                        continue;
                    }
                    unread(n);
                    break;
                }
                length++;
                if (buf.length() < maxChars) {
                    buf.append((char) c);
                }
                c = read();
            }
            if (length == 0) {
                continue;
            }
            return parse(start, length);
        }
    }

    private int read() throws IOException {
        if (pending != -2) {
            int p = pending;
            pending = -2;
            return p;
        }
        if (pos >= len) {
            len = in.read(chunk, 0, chunk.length);
            pos = 0;
            if (len <= 0) {
                len = 0;
                return -1;
            }
        }
        return chunk[pos++];
    }

    private void unread(int c) {
        pending = c;
    }

    private Line parse(int line, long length) {
        String s = buf.toString();
        boolean complete = length <= maxChars;
        int i = 0;
        int n = s.length();
        while (i < n && (Character.isLetterOrDigit(s.charAt(i)) || s.charAt(i) == '-')) {
            i++;
        }
        if (i == 0 || (i < n && s.charAt(i) != ';' && s.charAt(i) != ':') || (i == n && complete)) {
            return new Line(line, null, List.of(), null, length, complete ? s : null);
        }
        String name = s.substring(0, i).toUpperCase(Locale.ROOT);
        if (!complete) {
            return new Line(line, name, List.of(), null, length, null);
        }
        List<Param> params = new ArrayList<>(2);
        while (i < n && s.charAt(i) == ';') {
            int ns = ++i;
            while (i < n && s.charAt(i) != '=' && s.charAt(i) != ';' && s.charAt(i) != ':') {
                i++;
            }
            String pname = s.substring(ns, i).trim().toUpperCase(Locale.ROOT);
            List<String> values = new ArrayList<>(1);
            if (i < n && s.charAt(i) == '=') {
                i++;
                while (true) {
                    StringBuilder v = new StringBuilder();
                    if (i < n && s.charAt(i) == '"') {
                        i++;
                        while (i < n && s.charAt(i) != '"') {
                            v.append(s.charAt(i++));
                        }
                        if (i < n) {
                            i++;
                        }
                    }
                    while (i < n && s.charAt(i) != ',' && s.charAt(i) != ';' && s.charAt(i) != ':') {
                        v.append(s.charAt(i++));
                    }
                    values.add(v.toString());
                    if (i < n && s.charAt(i) == ',') {
                        i++;
                        continue;
                    }
                    break;
                }
            }
            params.add(new Param(pname, values));
        }
        if (i >= n || s.charAt(i) != ':') {
            return new Line(line, null, List.of(), null, length, s);
        }
        return new Line(line, name, params, s.substring(i + 1), length, s);
    }

    /** The last physical line read. */
    int lastLine() {
        return physicalLine;
    }

    /** RFC 5545 TEXT: resolves {@code \n \N \\ \; \,}. */
    static String unescape(String v) {
        if (v.indexOf('\\') < 0) {
            return v;
        }
        StringBuilder sb = new StringBuilder(v.length());
        for (int i = 0; i < v.length(); i++) {
            char c = v.charAt(i);
            if (c == '\\' && i + 1 < v.length()) {
                char d = v.charAt(++i);
                sb.append(d == 'n' || d == 'N' ? '\n' : d);
            } else {
                sb.append(c);
            }
        }
        return sb.toString();
    }

    /** Splits a TEXT list on commas that are not escaped; each part unescaped. */
    static List<String> splitText(String v) {
        List<String> out = new ArrayList<>();
        StringBuilder cur = new StringBuilder();
        for (int i = 0; i < v.length(); i++) {
            char c = v.charAt(i);
            if (c == '\\' && i + 1 < v.length()) {
                cur.append(c).append(v.charAt(++i));
            } else if (c == ',') {
                out.add(unescape(cur.toString()));
                cur.setLength(0);
            } else {
                cur.append(c);
            }
        }
        out.add(unescape(cur.toString()));
        return out;
    }
}
