package io.chronoroute.agent.source.outlook;

import java.time.LocalDateTime;
import java.time.format.DateTimeParseException;
import java.util.List;
import java.util.Map;

/**
 * Typed reads from an Outlook property set ({@link OutlookSession}): COM hands back numbers as Integer, Long or
 * Short, dates as OLE wall-clock values, and the recorded property sets hold their text forms; these helpers accept
 * each, and answer null for a property the set does not have (unknown stays unknown).
 */
final class OutlookValues {

    private OutlookValues() {
    }

    static String text(Map<String, Object> p, String name) {
        Object v = p == null ? null : p.get(name);
        if (v == null) {
            return null;
        }
        String s = v.toString();
        return s.isEmpty() ? null : s;
    }

    static Integer integer(Map<String, Object> p, String name) {
        Object v = p == null ? null : p.get(name);
        if (v instanceof Number n) {
            return n.intValue();
        }
        if (v instanceof String s && !s.isBlank()) {
            return Integer.parseInt(s.strip());
        }
        return null;
    }

    static boolean flag(Map<String, Object> p, String name) {
        Object v = p == null ? null : p.get(name);
        if (v instanceof Boolean b) {
            return b;
        }
        if (v instanceof Number n) {
            return n.intValue() != 0;
        }
        return v instanceof String s && Boolean.parseBoolean(s.strip());
    }

    /**
     * An OLE date as its wall-clock value. Outlook's "no date" ({@code 4501-01-01}, e.g. the PatternEndDate of a
     * series without end) is null.
     */
    static LocalDateTime date(Map<String, Object> p, String name) {
        Object v = p == null ? null : p.get(name);
        LocalDateTime t;
        if (v instanceof LocalDateTime l) {
            t = l;
        } else if (v instanceof String s && !s.isBlank()) {
            try {
                t = LocalDateTime.parse(s.strip());
            } catch (DateTimeParseException e) {
                t = java.time.LocalDate.parse(s.strip()).atStartOfDay();
            }
        } else {
            return null;
        }
        return t.getYear() >= 4500 ? null : t;
    }

    @SuppressWarnings("unchecked")
    static Map<String, Object> map(Map<String, Object> p, String name) {
        Object v = p == null ? null : p.get(name);
        return v instanceof Map<?, ?> m ? (Map<String, Object>) m : null;
    }

    @SuppressWarnings("unchecked")
    static List<Map<String, Object>> list(Map<String, Object> p, String name) {
        Object v = p == null ? null : p.get(name);
        return v instanceof List<?> l ? (List<Map<String, Object>>) l : List.of();
    }
}
