package io.chronoroute.olk15.format;

/**
 * Plain text from an HTML body: a single linear pass, no regex, no DOM, no network (so nothing in the body can
 * trigger a fetch or an entity expansion). Tags are dropped, {@code <script>}/{@code <style>}/{@code <head>}
 * contents are dropped, block ends ({@code br p div li tr h1-h6}) become line breaks, the common named entities
 * and numeric references are decoded, runs of blanks collapse to one space and blank lines collapse to one.
 */
public final class HtmlText {

    private HtmlText() {
    }

    public static String toText(String html) {
        if (html == null) {
            return null;
        }
        StringBuilder out = new StringBuilder(html.length());
        int n = html.length();
        int i = 0;
        String skipUntil = null;
        while (i < n) {
            char c = html.charAt(i);
            if (c == '<') {
                int close = html.indexOf('>', i + 1);
                if (close < 0) {
                    break;
                }
                String name = tagName(html, i + 1, close);
                if (skipUntil != null) {
                    if (name.equals("/" + skipUntil)) {
                        skipUntil = null;
                    }
                } else if (name.equals("script") || name.equals("style") || name.equals("head")) {
                    skipUntil = name;
                } else if (isBreak(name)) {
                    newline(out);
                }
                i = close + 1;
                continue;
            }
            if (skipUntil != null) {
                i++;
                continue;
            }
            if (c == '&') {
                int semi = html.indexOf(';', i + 1);
                if (semi > i && semi - i <= 10) {
                    String decoded = entity(html.substring(i + 1, semi));
                    if (decoded != null) {
                        appendText(out, decoded);
                        i = semi + 1;
                        continue;
                    }
                }
            }
            appendChar(out, c);
            i++;
        }
        return finish(out);
    }

    private static String tagName(String html, int from, int to) {
        int s = from;
        boolean slash = false;
        if (s < to && html.charAt(s) == '/') {
            slash = true;
            s++;
        }
        int e = s;
        while (e < to && Character.isLetterOrDigit(html.charAt(e))) {
            e++;
        }
        String name = html.substring(s, e).toLowerCase(java.util.Locale.ROOT);
        return slash ? "/" + name : name;
    }

    private static boolean isBreak(String name) {
        return switch (name) {
            case "br", "br/", "/p", "p", "/div", "/li", "/tr", "/h1", "/h2", "/h3", "/h4", "/h5", "/h6", "/table",
                 "/ul", "/ol" -> true;
            default -> false;
        };
    }

    private static String entity(String e) {
        switch (e) {
            case "amp":
                return "&";
            case "lt":
                return "<";
            case "gt":
                return ">";
            case "quot":
                return "\"";
            case "apos":
            case "#39":
                return "'";
            case "nbsp":
                return " ";
            default:
                break;
        }
        if (e.length() > 1 && e.charAt(0) == '#') {
            try {
                int cp = e.charAt(1) == 'x' || e.charAt(1) == 'X' ? Integer.parseInt(e.substring(2), 16)
                        : Integer.parseInt(e.substring(1));
                if (Character.isValidCodePoint(cp) && cp != 0) {
                    return new String(Character.toChars(cp));
                }
            } catch (NumberFormatException ex) {
                return null;
            }
        }
        return null;
    }

    private static void appendText(StringBuilder out, String s) {
        for (int k = 0; k < s.length(); k++) {
            appendChar(out, s.charAt(k));
        }
    }

    private static void appendChar(StringBuilder out, char c) {
        if (Character.isWhitespace(c) || c == '\u00a0') {
            int len = out.length();
            if (len > 0 && out.charAt(len - 1) != ' ' && out.charAt(len - 1) != '\n') {
                out.append(' ');
            }
        } else {
            out.append(c);
        }
    }

    private static void newline(StringBuilder out) {
        int len = out.length();
        while (len > 0 && out.charAt(len - 1) == ' ') {
            out.setLength(--len);
        }
        if (len > 0 && !(len >= 2 && out.charAt(len - 1) == '\n' && out.charAt(len - 2) == '\n')) {
            out.append('\n');
        }
    }

    private static String finish(StringBuilder out) {
        int start = 0;
        int end = out.length();
        while (start < end && Character.isWhitespace(out.charAt(start))) {
            start++;
        }
        while (end > start && Character.isWhitespace(out.charAt(end - 1))) {
            end--;
        }
        return out.substring(start, end);
    }
}
