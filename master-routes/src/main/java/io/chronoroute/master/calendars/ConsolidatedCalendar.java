package io.chronoroute.master.calendars;

import io.chronoroute.master.store.MasterStore;
import org.springframework.stereotype.Component;

import java.nio.charset.StandardCharsets;
import java.util.Optional;

/**
 * The name and colour of the consolidated calendar, as set with {@code PUT /calendars/consolidated}. They are master
 * settings (in the store, so every master of a cluster and every restart sees the same), not configuration: the
 * operator renames the calendar at runtime, like a user renames a calendar in any calendar app. Unset stays unset:
 * without a name the feed carries no {@code X-WR-CALNAME} and subscribers keep whatever name they gave it.
 * <p>
 * The feed ({@code /calendar.ics}) writes them as {@code X-WR-CALNAME} and {@code X-APPLE-CALENDAR-COLOR}
 * ({@link #icsProperties()}), and they are part of its ETag ({@link #etagPart()}), so a rename reaches subscribers
 * that poll with {@code If-None-Match} even when no event changed.
 */
@Component
public class ConsolidatedCalendar {

    /** The id of the consolidated calendar in {@code GET /calendars} and {@code PUT /calendars/{id}}. */
    public static final String ID = "consolidated";
    static final String NAME_KEY = "calendar.consolidated.name";
    static final String COLOR_KEY = "calendar.consolidated.color";

    private final MasterStore store;

    public ConsolidatedCalendar(MasterStore store) {
        this.store = store;
    }

    /** The name set, if any. */
    public Optional<String> name() {
        return store.getSetting(NAME_KEY).filter(s -> !s.isBlank());
    }

    /** The colour set ({@code #RRGGBB} or {@code #RRGGBBAA}), if any. */
    public Optional<String> color() {
        return store.getSetting(COLOR_KEY).filter(s -> !s.isBlank());
    }

    /** Stores the name (null: unchanged). */
    void setName(String name) {
        if (name != null) {
            store.putSetting(NAME_KEY, name);
        }
    }

    /** Stores the colour (null: unchanged; empty: removed). */
    void setColor(String color) {
        if (color == null) {
            return;
        }
        if (color.isEmpty()) {
            store.deleteSetting(COLOR_KEY);
        } else {
            store.putSetting(COLOR_KEY, color);
        }
    }

    /**
     * The calendar's own properties for the feed, as content lines after {@code CALSCALE} (CRLF-terminated, TEXT
     * escaped, folded at 75 octets): empty when neither name nor colour is set.
     */
    public String icsProperties() {
        StringBuilder out = new StringBuilder();
        name().ifPresent(n -> out.append(fold("X-WR-CALNAME:" + escape(n))));
        color().ifPresent(c -> out.append(fold("X-APPLE-CALENDAR-COLOR:" + escape(c))));
        return out.toString();
    }

    /** A short, stable digest of name and colour for the feed's ETag; empty when neither is set. */
    public String etagPart() {
        String n = name().orElse(null);
        String c = color().orElse(null);
        if (n == null && c == null) {
            return "";
        }
        return "-" + Integer.toHexString((n + "\u0000" + c).hashCode());
    }

    /** RFC 5545 TEXT escaping (backslash, semicolon, comma, newline). */
    static String escape(String s) {
        return s.replace("\\", "\\\\").replace(";", "\\;").replace(",", "\\,")
                .replace("\r\n", "\\n").replace("\n", "\\n").replace("\r", "\\n");
    }

    /** One content line folded at 75 octets without splitting a UTF-8 sequence or a surrogate pair, plus CRLF. */
    static String fold(String line) {
        StringBuilder out = new StringBuilder(line.length() + 8);
        int octets = 0;
        int limit = 75;
        for (int i = 0; i < line.length(); ) {
            int cp = line.codePointAt(i);
            int n = new String(Character.toChars(cp)).getBytes(StandardCharsets.UTF_8).length;
            if (octets + n > limit) {
                out.append("\r\n ");
                octets = 0;
                limit = 74; // the leading space of a continuation line counts
            }
            out.appendCodePoint(cp);
            octets += n;
            i += Character.charCount(cp);
        }
        return out.append("\r\n").toString();
    }
}
