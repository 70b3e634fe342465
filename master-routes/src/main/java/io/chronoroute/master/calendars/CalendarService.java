package io.chronoroute.master.calendars;

import com.fasterxml.jackson.databind.JsonNode;
import io.chronoroute.master.destination.DestinationConfig;
import io.chronoroute.master.destination.DestinationStatus;
import io.chronoroute.master.destination.DestinationSyncService;
import io.chronoroute.master.rest.ApiException;
import io.chronoroute.master.rest.RequestJson;
import io.chronoroute.master.store.AgentUpdate;
import io.chronoroute.master.store.MasterStore;
import io.chronoroute.master.store.StoreJson;
import io.chronoroute.master.updates.PushService;
import io.chronoroute.master.updates.UpdateQueueService;
import org.apache.camel.Body;
import org.apache.camel.Exchange;
import org.apache.camel.Header;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.stereotype.Component;

import java.time.Clock;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.regex.Pattern;

/**
 * Every calendar Chronoroute knows, and renaming/recolouring them for real ({@code GET /calendars},
 * {@code PUT /calendars/{id}}). Three kinds, by origin:
 * <ul>
 *   <li>the <b>consolidated</b> calendar (id {@value ConsolidatedCalendar#ID}): its name and colour are master
 *       settings ({@link ConsolidatedCalendar}); the feed writes them, and a rename renames the calendar of every
 *       destination ({@link DestinationSyncService#renameCalendar}), each reported on its own: one destination that
 *       cannot be renamed does not undo the others nor the feed;</li>
 *   <li>the calendars of the agents' sources ({@link SourceCalendars}): the master cannot write them itself, so a
 *       change is a {@code calendar_metadata} update queued for the agent, which applies it where the calendar lives
 *       (the calendar name of the files an ICS folder source writes) and confirms it; a source the agent reports as
 *       read-only is refused (409) rather than queued for a certain rejection;</li>
 *   <li>the destinations' calendars: they show the consolidated calendar, so they are renamed with it; a
 *       {@code PUT} naming one (its id {@code destination:<name>}, or the destination's calendar id with the seed's
 *       {@code ?provider=}) renames the consolidated calendar.</li>
 * </ul>
 * The seed's {@code PUT /calendars/{calendar_id}?provider=} with {@code {name?, color?, description?}} or
 * {@code {changes}} keeps working: a calendar id that only an agent's registered configuration mentions is queued
 * for that agent as before.
 */
@Component
public class CalendarService {

    static final String DESTINATION_PREFIX = "destination:";
    private static final Pattern COLOR = Pattern.compile("#[0-9A-Fa-f]{6}([0-9A-Fa-f]{2})?");
    private static final int MAX_NAME = 255;
    private static final Logger LOG = LoggerFactory.getLogger(CalendarService.class);

    private final MasterStore store;
    private final RequestJson json;
    private final ConsolidatedCalendar consolidated;
    private final SourceCalendars sources;
    private final DestinationSyncService destinations;
    private final UpdateQueueService updates;
    private final PushService push;
    private final Clock clock;

    public CalendarService(MasterStore store, RequestJson json, ConsolidatedCalendar consolidated,
                           SourceCalendars sources, DestinationSyncService destinations, UpdateQueueService updates,
                           PushService push, Clock clock) {
        this.store = store;
        this.json = json;
        this.consolidated = consolidated;
        this.sources = sources;
        this.destinations = destinations;
        this.updates = updates;
        this.push = push;
        this.clock = clock;
    }

    // ------------------------------------------------------------------------------------------------ GET /calendars

    /** {@code GET /calendars}: the consolidated calendar, then every agent's calendars, then every destination's. */
    public Map<String, Object> list() {
        List<Map<String, Object>> all = new ArrayList<>();
        all.add(consolidatedView());
        for (SourceCalendars.SourceCalendar c : sources.all()) {
            all.add(c.toMap());
        }
        for (String name : destinations.destinationNames()) {
            all.add(destinationView(name));
        }
        Map<String, Object> out = new LinkedHashMap<>();
        out.put("status", "success");
        out.put("count", all.size());
        out.put("calendars", all);
        return out;
    }

    private Map<String, Object> consolidatedView() {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("id", ConsolidatedCalendar.ID);
        m.put("origin", "master");
        m.put("name", consolidated.name().orElse(null));
        m.put("color", consolidated.color().orElse(null));
        m.put("event_count", store.consolidatedCount());
        m.put("kind", "consolidated");
        m.put("writable", true);
        m.put("feed", "/calendar.ics");
        return m;
    }

    private Map<String, Object> destinationView(String name) {
        DestinationConfig cfg = destinations.config(name);
        DestinationStatus st = destinations.status(name);
        RenameRecord last = lastRename(name);
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("id", DESTINATION_PREFIX + name);
        m.put("origin", "destination");
        m.put("destination", name);
        m.put("calendar_id", st.calendarId());
        // the name we last gave it; what the account shows otherwise is not known here
        m.put("name", last == null ? null : last.renamedTo());
        m.put("event_count", st.liveEvents());
        m.put("kind", cfg.type());
        m.put("enabled", cfg.enabled());
        m.put("state", st.state());
        m.put("writable", cfg.enabled());
        m.put("last_rename", last == null ? null : last.toMap());
        return m;
    }

    // ------------------------------------------------------------------------------------------ PUT /calendars/{id}

    /** What {@code PUT /calendars/{id}} asked for: null fields are unchanged. */
    record Change(String name, String color, String description, Map<String, Object> changes) {
    }

    /**
     * {@code PUT /calendars/{calendar_id}[?provider=][&agent_id=]} with {@code {name?, color?, description?}} (also
     * {@code summary}/{@code display_name}, {@code colour}/{@code background_color}) or the seed's {@code {changes}}.
     */
    public Map<String, Object> put(@Header("calendar_id") String id, @Header("provider") String provider,
                                   @Header("agent_id") String agentId, @Body byte[] body, Exchange exchange) {
        if (id == null || id.isBlank()) {
            throw ApiException.badRequest("calendar_id", "missing in the path");
        }
        JsonNode req = json.object(body, false);
        Change change = change(req);
        String bodyProvider = RequestJson.text(req, "provider", false);
        String prov = provider != null && !provider.isBlank() ? provider.strip() : bodyProvider;

        if (ConsolidatedCalendar.ID.equals(id) || isDestination(id, prov)) {
            return renameConsolidated(change);
        }
        List<SourceCalendars.SourceCalendar> matching = sources.all().stream()
                .filter(c -> id.equals(c.id()) || id.equals(c.calendarId()))
                .filter(c -> agentId == null || agentId.isBlank() || agentId.equals(c.agentId()))
                .toList();
        if (!matching.isEmpty()) {
            return queueForSources(id, prov, change, matching, exchange);
        }
        List<String> configured = agentId == null || agentId.isBlank() ? push.agentsWithCalendar(id)
                : push.agentsWithCalendar(id).stream().filter(agentId::equals).toList();
        if (!configured.isEmpty()) {
            return queueForAgents(id, prov, change, configured, exchange);
        }
        if (destinationWithCalendar(id) != null) {
            return renameConsolidated(change);
        }
        throw ApiException.notFound("calendar_id", "no calendar '" + id + "' is known"
                + (agentId == null || agentId.isBlank() ? "" : " for agent '" + agentId + "'")
                + ": GET /calendars lists them (the consolidated calendar is '" + ConsolidatedCalendar.ID + "')");
    }

    private Change change(JsonNode req) {
        Map<String, Object> changes;
        JsonNode from = req;
        String prefix = "";
        if (req.has("changes")) {
            changes = json.map(req, "changes");
            if (changes == null || changes.isEmpty()) {
                throw ApiException.badRequest("changes", "required: a non-empty object");
            }
            from = req.get("changes");
            prefix = "changes.";
        } else {
            changes = new LinkedHashMap<>();
        }
        String name = firstText(from, prefix, "name", "summary", "display_name", "displayname");
        String color = firstText(from, prefix, "color", "colour", "background_color", "backgroundColor");
        String description = firstText(from, prefix, "description");
        if (name != null) {
            name = name.strip();
            if (name.isEmpty()) {
                throw ApiException.badRequest(prefix + "name", "must not be blank");
            }
            if (name.length() > MAX_NAME) {
                throw ApiException.badRequest(prefix + "name", "at most " + MAX_NAME + " characters");
            }
            changes.put("name", name);
        }
        if (color != null) {
            color = color.strip();
            if (!color.isEmpty() && !COLOR.matcher(color).matches()) {
                throw ApiException.badRequest(prefix + "color", "#RRGGBB or #RRGGBBAA (empty: no colour)");
            }
            changes.put("color", color);
        }
        if (description != null) {
            changes.put("description", description);
        }
        if (name == null && color == null && description == null && changes.isEmpty()) {
            throw ApiException.badRequest("name", "give at least one of name, color, description");
        }
        return new Change(name, color, description, changes);
    }

    private static String firstText(JsonNode obj, String prefix, String... fields) {
        for (String f : fields) {
            JsonNode v = obj.get(f);
            if (v == null || v.isNull()) {
                continue;
            }
            if (!v.isTextual()) {
                throw ApiException.badRequest(prefix + f, "must be a string");
            }
            return v.asText();
        }
        return null;
    }

    // ---------------------------------------------------------------------------------------- consolidated calendar

    /** What the last rename of a destination's calendar did. */
    public record RenameRecord(String requestedName, String renamedTo, String status, String reason, String at) {

        Map<String, Object> toMap() {
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("requested_name", requestedName);
            m.put("status", status);
            m.put("reason", reason);
            m.put("at", at);
            return m;
        }
    }

    private Map<String, Object> renameConsolidated(Change change) {
        consolidated.setName(change.name());
        consolidated.setColor(change.color());
        List<Map<String, Object>> results = new ArrayList<>();
        int failed = 0;
        for (String dest : destinations.destinationNames()) {
            Map<String, Object> r = renameDestination(dest, change.name());
            if ("failed".equals(r.get("status"))) {
                failed++;
            }
            results.add(r);
        }
        Map<String, Object> feed = new LinkedHashMap<>();
        feed.put("name", consolidated.name().orElse(null));
        feed.put("color", consolidated.color().orElse(null));
        feed.put("status", "renamed");
        Map<String, Object> out = new LinkedHashMap<>();
        out.put("status", failed == 0 ? "success" : "partial");
        out.put("id", ConsolidatedCalendar.ID);
        out.put("name", consolidated.name().orElse(null));
        out.put("color", consolidated.color().orElse(null));
        out.put("feed", feed);
        out.put("destinations", results);
        if (change.description() != null) {
            out.put("ignored", List.of("description"));
        }
        out.put("message", "the feed carries the new "
                + (change.name() == null ? "colour" : "name") + "; " + results.size() + " destination(s), "
                + failed + " failed");
        return out;
    }

    private Map<String, Object> renameDestination(String dest, String name) {
        DestinationConfig cfg = destinations.config(dest);
        Map<String, Object> r = new LinkedHashMap<>();
        r.put("destination", dest);
        r.put("kind", cfg.type());
        r.put("calendar_id", destinations.status(dest).calendarId());
        String status;
        String reason = null;
        if (name == null) {
            status = "skipped";
            reason = "no new name (a destination's calendar colour is not ours to set)";
        } else if (!cfg.enabled()) {
            status = "skipped";
            reason = "destination disabled";
        } else {
            try {
                destinations.renameCalendar(dest, name);
                status = "renamed";
            } catch (UnsupportedOperationException e) {
                status = "failed";
                reason = "not supported: " + e.getMessage();
            } catch (RuntimeException e) {
                status = "failed";
                reason = e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage();
                LOG.warn("destination {}: renaming its calendar to '{}' failed: {}", dest, name, reason);
            }
        }
        r.put("status", status);
        if (reason != null) {
            r.put("reason", reason);
        }
        if (name != null) {
            RenameRecord previous = lastRename(dest);
            String renamedTo = "renamed".equals(status) ? name : previous == null ? null : previous.renamedTo();
            store.putSetting(renameKey(dest), StoreJson.write(new RenameRecord(name, renamedTo, status, reason,
                    clock.instant().toString())));
        }
        return r;
    }

    private RenameRecord lastRename(String dest) {
        return store.getSetting(renameKey(dest)).map(s -> StoreJson.read(s, RenameRecord.class)).orElse(null);
    }

    private static String renameKey(String dest) {
        return "calendar.destination." + dest + ".rename";
    }

    /** {@code destination:<name>}, or a destination's calendar id given with that destination's type as provider. */
    private boolean isDestination(String id, String provider) {
        if (id.startsWith(DESTINATION_PREFIX)) {
            String name = id.substring(DESTINATION_PREFIX.length());
            if (destinations.destinationNames().contains(name)) {
                return true;
            }
            throw ApiException.notFound("calendar_id", "no destination named '" + name + "'");
        }
        if (provider == null || provider.isBlank()) {
            return false;
        }
        String dest = destinationWithCalendar(id);
        return dest != null && destinations.config(dest).type().equals(provider.toLowerCase(Locale.ROOT));
    }

    private String destinationWithCalendar(String calendarId) {
        for (String name : destinations.destinationNames()) {
            if (calendarId.equals(destinations.status(name).calendarId())) {
                return name;
            }
        }
        return null;
    }

    // --------------------------------------------------------------------------------------------- agent calendars

    private Map<String, Object> queueForSources(String id, String provider, Change change,
                                                List<SourceCalendars.SourceCalendar> matching, Exchange exchange) {
        List<SourceCalendars.SourceCalendar> writable = new ArrayList<>();
        List<Map<String, Object>> notWritable = new ArrayList<>();
        for (SourceCalendars.SourceCalendar c : matching) {
            if (Boolean.FALSE.equals(c.writable())) {
                Map<String, Object> m = new LinkedHashMap<>();
                m.put("agent_id", c.agentId());
                m.put("source", c.source());
                m.put("calendar_id", c.calendarId());
                m.put("reason", c.notWritableReason());
                notWritable.add(m);
            } else {
                writable.add(c); // writable, or the agent does not say (a seed agent decides when applying)
            }
        }
        if (writable.isEmpty()) {
            StringBuilder reason = new StringBuilder("calendar '" + id + "' is read-only");
            for (Map<String, Object> m : notWritable) {
                reason.append("; ").append(m.get("agent_id")).append('/').append(m.get("source")).append(": ")
                        .append(m.get("reason"));
            }
            throw ApiException.conflict("calendar_id", reason.toString());
        }
        List<AgentUpdate> list = new ArrayList<>();
        for (SourceCalendars.SourceCalendar c : writable) {
            list.add(updates.newUpdate(c.agentId(), "calendar_metadata",
                    data(c.calendarId(), provider != null ? provider : c.provider(), c.source(), change)));
        }
        List<String> ids = updates.queueAll(list, "calendar " + id);
        List<Map<String, Object>> queued = new ArrayList<>();
        for (int i = 0; i < writable.size(); i++) {
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("agent_id", writable.get(i).agentId());
            m.put("source", writable.get(i).source());
            m.put("calendar_id", writable.get(i).calendarId());
            m.put("update_id", ids.get(i));
            queued.add(m);
        }
        return accepted(id, ids, writable.stream().map(SourceCalendars.SourceCalendar::agentId).distinct().toList(),
                queued, notWritable, exchange);
    }

    /** The seed's case: only an agent's registered configuration names the calendar; the agent decides. */
    private Map<String, Object> queueForAgents(String id, String provider, Change change, List<String> agents,
                                               Exchange exchange) {
        List<AgentUpdate> list = new ArrayList<>();
        for (String a : agents) {
            list.add(updates.newUpdate(a, "calendar_metadata", data(id, provider, null, change)));
        }
        List<String> ids = updates.queueAll(list, "calendar " + id);
        List<Map<String, Object>> queued = new ArrayList<>();
        for (int i = 0; i < agents.size(); i++) {
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("agent_id", agents.get(i));
            m.put("calendar_id", id);
            m.put("update_id", ids.get(i));
            queued.add(m);
        }
        return accepted(id, ids, agents, queued, List.of(), exchange);
    }

    /**
     * The {@code calendar_metadata} data: the seed's {@code {calendar_id, provider, changes}} plus
     * {@code source, name, color} at the top, so an agent finds the calendar by source when it has no calendar id.
     */
    private static Map<String, Object> data(String calendarId, String provider, String source, Change change) {
        Map<String, Object> data = new LinkedHashMap<>();
        if (calendarId != null) {
            data.put("calendar_id", calendarId);
        }
        data.put("provider", provider);
        if (source != null) {
            data.put("source", source);
        }
        if (change.name() != null) {
            data.put("name", change.name());
        }
        if (change.color() != null) {
            data.put("color", change.color());
        }
        data.put("changes", change.changes());
        return data;
    }

    private static Map<String, Object> accepted(String id, List<String> ids, List<String> agents,
                                                List<Map<String, Object>> queued, List<Map<String, Object>> notWritable,
                                                Exchange exchange) {
        Map<String, Object> out = new LinkedHashMap<>();
        out.put("status", "accepted");
        out.put("id", id);
        out.put("updates_queued", ids.size());
        out.put("agents", agents);
        out.put("update_ids", ids);
        out.put("calendars", queued);
        out.put("not_writable", notWritable);
        out.put("message", "calendar_metadata queued for " + ids.size() + " calendar(s); each agent applies it and "
                + "confirms it" + (notWritable.isEmpty() ? "" : "; " + notWritable.size() + " read-only"));
        exchange.getMessage().setHeader(Exchange.HTTP_RESPONSE_CODE, 202);
        return out;
    }
}
