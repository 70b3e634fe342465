package io.chronoroute.processors.zone;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.time.ZoneId;
import java.util.HashMap;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Windows time zone names ↔ IANA zone ids, from the Unicode CLDR {@code windowsZones} data (resource
 * {@code windows-zones.txt}: territory "001" for Windows → IANA, a few other territories for IANA → Windows).
 * <p>
 * {@link #toIana(String)} accepts, in this order: an IANA id the JDK knows (returned as-is, in the JDK's spelling,
 * so an event's zone survives a round trip unchanged); a Windows standard name ({@code "W. Europe Standard Time"}, case-insensitive); the forms Outlook writes into a TZID: quoted,
 * prefixed with {@code tzone://Microsoft/}, or a display name such as
 * {@code "(UTC+01:00) Amsterdam, Berlin, Bern, Rome, Stockholm, Vienna"} (also the older
 * {@code "(GMT+01.00) Amsterdam / Berlin / ..."}). Outlook's {@code "Customized Time Zone"} and
 * {@code tzone://Microsoft/Custom} have no IANA equivalent: the answer is empty, never a guess from the offset.
 * For Windows names, the legacy ids CLDR still uses (e.g. {@code Asia/Calcutta}) are answered in their current
 * form ({@code Asia/Kolkata}) when the JDK knows it.
 */
public final class WindowsZones {

    private static final Map<String, String> WINDOWS_TO_IANA = new HashMap<>();   // lower-case Windows name -> IANA
    private static final Map<String, String> WINDOWS_CANONICAL = new HashMap<>();  // lower-case -> Windows spelling
    private static final Map<String, String> IANA_TO_WINDOWS = new HashMap<>();    // IANA (any form) -> Windows
    private static final Map<String, String> DISPLAY_TO_WINDOWS = new HashMap<>(); // normalized city list -> Windows
    private static final Map<String, String> LEGACY_TO_CURRENT = new HashMap<>();
    private static final Map<String, String> IANA_LOWER = new HashMap<>();         // lower-case IANA -> JDK id
    private static final Pattern DISPLAY = Pattern.compile(
            "^\\(\\s*(?:UTC|GMT)\\s*(?:[+-]\\s*\\d{1,2}(?:[:.]\\d{2})?)?\\s*\\)\\s*(.+)$", Pattern.CASE_INSENSITIVE);

    static {
        load();
        Set<String> available = ZoneId.getAvailableZoneIds();
        for (String id : available) {
            IANA_LOWER.put(id.toLowerCase(Locale.ROOT), id);
        }
        IANA_LOWER.put("utc", "UTC");
    }

    private WindowsZones() {
    }

    /**
     * The IANA zone id for a Windows name, an IANA id or an Outlook TZID text; empty when unknown or custom.
     * The returned id is always one {@link ZoneId#of(String)} accepts.
     */
    public static Optional<String> toIana(String name) {
        if (name == null) {
            return Optional.empty();
        }
        String n = name.trim();
        if (n.length() >= 2 && n.startsWith("\"") && n.endsWith("\"")) {
            n = n.substring(1, n.length() - 1).trim();
        }
        if (n.regionMatches(true, 0, "tzone://Microsoft/", 0, 18)) {
            n = n.substring(18).trim();
        }
        n = n.replaceAll("\\s+", " ");
        if (n.isEmpty()) {
            return Optional.empty();
        }
        String lower = n.toLowerCase(Locale.ROOT);
        if (lower.startsWith("customized time zone") || lower.equals("custom")) {
            return Optional.empty();
        }
        String iana = IANA_LOWER.get(lower);
        if (iana != null) {
            return Optional.of(iana);
        }
        String mapped = WINDOWS_TO_IANA.get(lower);
        if (mapped != null) {
            return Optional.of(current(mapped));
        }
        Matcher m = DISPLAY.matcher(n);
        if (m.matches()) {
            String windows = DISPLAY_TO_WINDOWS.get(cities(m.group(1)));
            if (windows != null) {
                return Optional.of(current(WINDOWS_TO_IANA.get(windows.toLowerCase(Locale.ROOT))));
            }
        }
        return Optional.empty();
    }

    /** The Windows standard name for an IANA id (current or legacy form); empty when CLDR data has none here. */
    public static Optional<String> toWindows(String iana) {
        if (iana == null || iana.isBlank()) {
            return Optional.empty();
        }
        String id = iana.trim();
        String w = IANA_TO_WINDOWS.get(id);
        if (w == null) {
            String known = IANA_LOWER.get(id.toLowerCase(Locale.ROOT));
            if (known != null) {
                w = IANA_TO_WINDOWS.get(known);
            }
        }
        return Optional.ofNullable(w);
    }

    /** Whether the text is a Windows standard name of the table (case-insensitive). */
    public static boolean isWindowsName(String name) {
        return name != null && WINDOWS_CANONICAL.containsKey(name.trim().toLowerCase(Locale.ROOT));
    }

    private static String current(String id) {
        String cur = LEGACY_TO_CURRENT.get(id);
        if (cur != null && (IANA_LOWER.containsKey(cur.toLowerCase(Locale.ROOT)))) {
            return cur;
        }
        return id;
    }

    private static String cities(String list) {
        String[] parts = list.split("[,/]");
        StringBuilder sb = new StringBuilder();
        for (String p : parts) {
            String t = p.trim().replaceAll("\\s+", " ").toLowerCase(Locale.ROOT);
            if (!t.isEmpty()) {
                sb.append(sb.length() == 0 ? "" : ",").append(t);
            }
        }
        return sb.toString();
    }

    private static void load() {
        try (InputStream in = WindowsZones.class.getResourceAsStream("windows-zones.txt")) {
            if (in == null) {
                throw new IllegalStateException("resource windows-zones.txt missing from the processors jar");
            }
            BufferedReader r = new BufferedReader(new InputStreamReader(in, StandardCharsets.UTF_8));
            String line;
            while ((line = r.readLine()) != null) {
                line = line.strip();
                if (line.isEmpty() || line.startsWith("#")) {
                    continue;
                }
                int bar = line.lastIndexOf('|');
                String left = line.substring(0, bar).strip();
                String right = line.substring(bar + 1).strip();
                switch (left.charAt(0)) {
                    case '+' -> IANA_TO_WINDOWS.putIfAbsent(right, left.substring(1));
                    case '@' -> DISPLAY_TO_WINDOWS.put(cities(left.substring(1)), right);
                    case '~' -> LEGACY_TO_CURRENT.put(left.substring(1), right);
                    default -> {
                        WINDOWS_TO_IANA.put(left.toLowerCase(Locale.ROOT), right);
                        WINDOWS_CANONICAL.put(left.toLowerCase(Locale.ROOT), left);
                        IANA_TO_WINDOWS.put(right, left);
                    }
                }
            }
            for (Map.Entry<String, String> e : LEGACY_TO_CURRENT.entrySet()) {
                String w = IANA_TO_WINDOWS.get(e.getKey());
                if (w != null) {
                    IANA_TO_WINDOWS.putIfAbsent(e.getValue(), w);
                }
            }
        } catch (IOException ex) {
            throw new UncheckedIOException(ex);
        }
    }
}
