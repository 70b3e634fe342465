package io.chronoroute.master.calendars;

import com.fasterxml.jackson.databind.JsonNode;
import io.chronoroute.master.security.AgentRegistration;
import io.chronoroute.master.store.AgentRecord;
import io.chronoroute.master.store.MasterStore;
import io.chronoroute.processors.wire.WireJson;
import org.springframework.stereotype.Component;

import java.io.IOException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The calendars the agents hold, as far as the master knows them. Two things tell: what the agent says about its
 * sources in every heartbeat ({@code stats.source_list[]}: {@code name, kind, writable} today, and
 * {@code calendar_id, calendar_name, color, events} where the agent reports them), and the events it sent (each
 * carries {@code source, calendar_id, calendar_name, provider}). A seed agent reports no source list, so its
 * calendars are known from its events only. Every field the agent did not say stays null: writability is
 * {@code true}/{@code false} when reported, {@code null} when the agent does not say (a seed agent decides itself).
 * Admin-only reads: one pass over each agent's observations is fine.
 */
@Component
public class SourceCalendars {

    private final MasterStore store;

    public SourceCalendars(MasterStore store) {
        this.store = store;
    }

    /**
     * One calendar of one agent's source.
     *
     * @param id                the id {@code PUT /calendars/{id}} takes: the calendar id, or the source name when the
     *                          calendar id is not known
     * @param eventCount        events the agent reports for it, else the events the master holds from it
     * @param writable          whether the agent accepts changes to it (null: the agent does not say)
     * @param notWritableReason why not (null when writable)
     */
    public record SourceCalendar(String id, String agentId, String agentName, String source, String calendarId,
                                 String name, String color, Long eventCount, String provider, String kind,
                                 Boolean writable, String notWritableReason) {

        Map<String, Object> toMap() {
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("id", id);
            m.put("origin", "agent");
            m.put("agent_id", agentId);
            m.put("agent_name", agentName);
            m.put("source", source);
            m.put("calendar_id", calendarId);
            m.put("name", name);
            m.put("color", color);
            m.put("event_count", eventCount);
            m.put("provider", provider);
            m.put("kind", kind);
            m.put("writable", writable);
            m.put("not_writable_reason", notWritableReason);
            return m;
        }
    }

    /** Every calendar of every agent, agents in store order, sources by name. */
    public List<SourceCalendar> all() {
        List<SourceCalendar> out = new ArrayList<>();
        for (AgentRecord a : store.listAgents()) {
            out.addAll(of(a));
        }
        return out;
    }

    /** What the events of one (source, calendar id) say. */
    private static final class Seen {
        long count;
        String calendarName;
        String provider;
    }

    /** The calendars of one agent: reported sources first, then calendars only its events mention. */
    List<SourceCalendar> of(AgentRecord agent) {
        Map<List<String>, Seen> seen = observed(agent.id());
        List<SourceCalendar> out = new ArrayList<>();
        Object list = agent.stats().get("source_list");
        boolean reports = list instanceof List<?>;
        if (reports) {
            for (Object o : (List<?>) list) {
                if (!(o instanceof Map<?, ?> m) || text(m, "name") == null) {
                    continue;
                }
                String source = text(m, "name");
                String calendarId = text(m, "calendar_id");
                if (calendarId == null) {
                    // the agent names no calendar id: take the one its events carry, when there is exactly one
                    List<List<String>> keys = seen.keySet().stream().filter(k -> source.equals(k.get(0))).toList();
                    if (keys.size() == 1) {
                        calendarId = keys.get(0).get(1);
                    }
                }
                Seen s = seen.remove(key(source, calendarId));
                Long events = number(m, "events", "event_count");
                Boolean writable = m.get("writable") instanceof Boolean b ? b : null;
                String kind = text(m, "kind");
                out.add(new SourceCalendar(calendarId == null ? source : calendarId, agent.id(), agent.name(),
                        source, calendarId,
                        first(text(m, "calendar_name"), s == null ? null : s.calendarName),
                        first(text(m, "color"), text(m, "colour")),
                        events != null ? events : s == null ? 0L : s.count,
                        first(text(m, "provider"), s == null ? null : s.provider), kind, writable,
                        whyNot(agent, writable, kind, text(m, "not_writable_reason"), true)));
            }
        }
        for (Map.Entry<List<String>, Seen> e : seen.entrySet()) {
            String source = e.getKey().get(0);
            String calendarId = e.getKey().get(1);
            Boolean writable = AgentRegistration.IMPORT_AGENT.equals(agent.id()) ? Boolean.FALSE
                    : reports ? writableOf((List<?>) list, source) : null;
            out.add(new SourceCalendar(calendarId == null ? source : calendarId, agent.id(), agent.name(), source,
                    calendarId, e.getValue().calendarName, null, e.getValue().count, e.getValue().provider, null,
                    writable, whyNot(agent, writable, null, null, reports && sourceReported((List<?>) list, source))));
        }
        return out;
    }

    private static String whyNot(AgentRecord agent, Boolean writable, String kind, String given, boolean reported) {
        if (Boolean.TRUE.equals(writable)) {
            return null;
        }
        if (AgentRegistration.IMPORT_AGENT.equals(agent.id())) {
            return "imported with POST /sync/import: no calendar to write back to";
        }
        if (given != null) {
            return given;
        }
        if (!(agent.stats().get("source_list") instanceof List<?>)) {
            return "the agent does not report whether its calendars accept changes; it decides when applying";
        }
        if (!reported) {
            return "the agent no longer reports this source";
        }
        if (writable == null) {
            return "the agent does not say whether this source accepts changes";
        }
        return "read-only source" + (kind == null ? "" : " (" + kind + ")");
    }

    private static Boolean writableOf(List<?> list, String source) {
        for (Object o : list) {
            if (o instanceof Map<?, ?> m && source.equals(m.get("name"))) {
                return m.get("writable") instanceof Boolean b ? b : null;
            }
        }
        return false; // the agent lists its sources and this one is not among them
    }

    private static boolean sourceReported(List<?> list, String source) {
        return list.stream().anyMatch(o -> o instanceof Map<?, ?> m && source.equals(m.get("name")));
    }

    /** (source, calendar id) → what the agent's events say, in first-seen order. */
    private Map<List<String>, Seen> observed(String agentId) {
        Map<List<String>, Seen> out = new LinkedHashMap<>();
        store.forEachObservation(agentId, o -> {
            JsonNode n;
            try {
                n = WireJson.mapper().readTree(o.eventJson());
            } catch (IOException e) {
                return; // a stored observation is always JSON; nothing to count if not
            }
            String source = textOf(n, "source");
            if (source == null) {
                return;
            }
            Seen s = out.computeIfAbsent(key(source, textOf(n, "calendar_id")), k -> new Seen());
            s.count++;
            s.calendarName = first(s.calendarName, textOf(n, "calendar_name"));
            s.provider = first(s.provider, textOf(n, "provider"));
        });
        return out;
    }

    private static List<String> key(String source, String calendarId) {
        return java.util.Arrays.asList(source, calendarId);
    }

    private static String textOf(JsonNode n, String field) {
        JsonNode v = n.get(field);
        return v == null || v.isNull() || v.asText().isBlank() ? null : v.asText();
    }

    private static String text(Map<?, ?> m, String field) {
        Object v = m.get(field);
        return v == null || v.toString().isBlank() ? null : v.toString();
    }

    private static Long number(Map<?, ?> m, String... fields) {
        for (String f : fields) {
            if (m.get(f) instanceof Number n) {
                return n.longValue();
            }
        }
        return null;
    }

    private static String first(String a, String b) {
        return a != null ? a : b;
    }
}
