package io.chronoroute.master.edit;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.chronoroute.master.ingest.ChangeIngest;
import io.chronoroute.master.ingest.FanOut;
import io.chronoroute.master.ingest.OriginChange;
import io.chronoroute.master.ingest.OriginChanges;
import io.chronoroute.master.ingest.OriginResult;
import io.chronoroute.master.rest.ApiException;
import io.chronoroute.master.rest.RequestJson;
import io.chronoroute.master.store.AgentRecord;
import io.chronoroute.master.store.AgentUpdate;
import io.chronoroute.master.store.ConsolidatedEvent;
import io.chronoroute.master.store.MasterStore;
import io.chronoroute.master.store.Observation;
import io.chronoroute.master.updates.UpdateQueueService;
import io.chronoroute.processors.model.CalendarEvent;
import io.chronoroute.processors.sync.ContentHash;
import io.chronoroute.processors.sync.SyncKey;
import io.chronoroute.processors.wire.WireFormatException;
import io.chronoroute.processors.wire.WireJson;
import org.apache.camel.Body;
import org.apache.camel.Exchange;
import org.apache.camel.Header;
import org.springframework.beans.factory.annotation.Value;
import org.springframework.stereotype.Component;

import java.time.Clock;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.regex.Pattern;

/**
 * Edits of the consolidated calendar: {@code POST /sync/events}, {@code PUT /sync/events/{id}},
 * {@code DELETE /sync/events/{id}} ({@code id} as {@code GET /sync/events} returns it). Each edit is a change of
 * origin {@code api:admin} and goes through the one ingest route ({@link ChangeIngest}): the consolidated event (feed,
 * destinations) changes at once, and the fan-out queues an {@code event_update} for every calendar the event comes
 * from that accepts writes (a create: for the target calendar, which must accept writes). A calendar that accepts
 * writes is one its agent reports as writable in its heartbeat ({@code stats.source_list[].writable}, an ICS folder
 * source with {@code allowEventUpdates=true}); one that does not (Outlook for Mac, a read-only folder, an agent that
 * does not say) is never written and is listed as divergent. Answers: 202 with the calendars written and those that
 * cannot be; 404 for an unknown id; 400 with the field for bad input; 409 for a create into a read-only calendar.
 */
@Component
public class EventEditService {

    /** The origin of edits made through the master's API and console. */
    static final String ORIGIN = "api:admin";

    static final Pattern IDENTITY = Pattern.compile("[0-9a-f]{32}");

    private final MasterStore store;
    private final RequestJson json;
    private final UpdateQueueService updates;
    private final ChangeIngest ingest;
    private final Clock clock;
    private final String defaultTarget;

    public EventEditService(MasterStore store, RequestJson json, UpdateQueueService updates, ChangeIngest ingest,
                            Clock clock, @Value("${chronoroute.events.default-target:}") String defaultTarget) {
        this.store = store;
        this.json = json;
        this.updates = updates;
        this.ingest = ingest;
        this.clock = clock;
        this.defaultTarget = defaultTarget == null || defaultTarget.isBlank() ? null : defaultTarget.strip();
    }

    /** One calendar an event lives in: an agent's source. */
    record Target(String agentId, String source) {
    }

    /** True when {@code id} names a live consolidated event (so {@code DELETE /sync/events/{id}} deletes it). */
    public boolean isEventId(String id) {
        return id != null && IDENTITY.matcher(id).matches()
                && store.findConsolidated(id).filter(c -> !c.deleted()).isPresent();
    }

    /** {@code POST /sync/events}: a new event in the {@code target} calendar (else the configured default). */
    public Map<String, Object> create(@Body byte[] body, Exchange exchange) {
        JsonNode root = json.object(body, false);
        ObjectNode node = eventNode(root);
        Target target = target(root.get("target"));
        if (!node.hasNonNull("uid") && !node.hasNonNull("ical_uid") && !node.hasNonNull("iCalUID")
                && !node.hasNonNull("id")) {
            node.put("uid", UUID.randomUUID() + "@chronoroute");
        }
        CalendarEvent event = read(node, "event");
        if (store.findConsolidated(SyncKey.identityOf(event)).filter(c -> !c.deleted()).isPresent()) {
            throw ApiException.conflict("uid", "an event with this uid already exists; update it with PUT /sync/events/"
                    + SyncKey.identityOf(event));
        }
        AgentRecord agent = store.findAgent(target.agentId()).orElseThrow(() ->
                ApiException.badRequest("target.agent_id", "unknown agent '" + target.agentId() + "'"));
        String notWritable = whyNotWritable(agent, target.source());
        if (notWritable != null) {
            throw ApiException.conflict("target", target.agentId() + "/" + target.source() + ": " + notWritable);
        }
        return apply("create", SyncKey.identityOf(event), event, target, exchange);
    }

    /** {@code PUT /sync/events/{id}}: the event's new content (the whole event), written to each writable origin. */
    public Map<String, Object> update(@Header("id") String id, @Body byte[] body, Exchange exchange) {
        ConsolidatedEvent current = live(id);
        CalendarEvent existing = WireJson.fromJson(current.eventJson());
        ObjectNode node = eventNode(json.object(body, false));
        for (String f : List.of("uid", "ical_uid", "iCalUID", "id")) {
            JsonNode v = node.get(f);
            if (v != null && !v.isNull() && !v.asText().equals(existing.uid())
                    && !("id".equals(f) && v.asText().equals(id))) {
                throw ApiException.badRequest(f, "the uid of an event cannot change (" + existing.uid() + ")");
            }
            node.remove(f);
        }
        node.put("uid", existing.uid());
        if (existing.recurrenceId() != null && !node.hasNonNull("recurrence_id")) {
            node.set("recurrence_id", WireJson.writeEvent(existing).get("recurrence_id"));
        }
        CalendarEvent event = read(node, "event");
        if (!SyncKey.identityOf(event).equals(id)) {
            throw ApiException.badRequest("recurrence_id", "does not match the event " + id);
        }
        return apply("update", id, event, null, exchange);
    }

    /** {@code DELETE /sync/events/{id}}: deleted in each writable origin (by UID, and recurrence id for an override). */
    public Map<String, Object> delete(@Header("agent_id") String id, Exchange exchange) {
        live(id);
        return apply("delete", id, null, null, exchange);
    }

    /**
     * {@code GET /sync/events/{id}}: the event, each calendar it comes from (agent, source, calendar, whether that
     * calendar's version differs from the consolidated one, whether it accepts writes and why not) and the open
     * conflicts about it.
     */
    public Map<String, Object> details(@Header("id") String id) {
        ConsolidatedEvent c = live(id);
        List<Map<String, Object>> origins = new ArrayList<>();
        for (String origin : c.origins()) {
            OriginView v = origin(origin);
            var o = v.seen() == null ? null : v.seen().origin();
            boolean differs = v.seen() != null && !ContentHash.sameSubstance(v.seen(), WireJson.fromJson(c.eventJson()));
            boolean divergent = c.divergent().contains(origin);
            boolean pending = differs && !divergent && store.pendingUpdates(v.target().agentId()).stream().anyMatch(u ->
                    "event_update".equals(u.type()) && id.equals(u.data().get("identity")));
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("agent_id", v.target().agentId());
            m.put("source", v.target().source());
            m.put("calendar_id", o == null ? null : o.calendarId());
            m.put("calendar_name", o == null ? null : o.calendarName());
            m.put("provider", o == null ? null : o.provider());
            m.put("in_sync", !differs);
            m.put("update_pending", pending);
            m.put("divergent", divergent);
            m.put("writable", v.notWritable() == null);
            m.put("not_writable_reason", v.notWritable());
            if (differs) {
                m.put("event", WireJson.mapper().convertValue(WireJson.writeEvent(v.seen().withOrigin(null)),
                        LinkedHashMap.class));
            }
            origins.add(m);
        }
        List<Map<String, Object>> conflicts = new ArrayList<>();
        for (var k : store.recentConflicts(1000)) {
            if (id.equals(k.identity()) && "OPEN".equals(k.status())) {
                Map<String, Object> m = new LinkedHashMap<>();
                m.put("id", k.id());
                m.put("agent_id", k.agentId());
                m.put("strategy", k.strategy());
                m.put("created_at", k.createdAt() == null ? null : k.createdAt().toString());
                conflicts.add(m);
            }
        }
        Map<String, Object> out = new LinkedHashMap<>();
        out.put("id", id);
        out.put("event", WireJson.mapper().convertValue(
                WireJson.writeEvent(WireJson.fromJson(c.eventJson()).withOrigin(null)), LinkedHashMap.class));
        out.put("version", c.version());
        out.put("updated_at", c.updatedAt() == null ? null : c.updatedAt().toString());
        out.put("last_writer", c.lastWriter());
        out.put("origins", origins);
        out.put("open_conflicts", conflicts);
        return out;
    }

    /** One origin ("agentId/syncKey") of a consolidated event: what its source last said, and whether it is writable. */
    private record OriginView(Target target, Observation observation, CalendarEvent seen, String notWritable) {
    }

    private OriginView origin(String origin) {
        int slash = origin.indexOf('/');
        String agentId = slash < 0 ? origin : origin.substring(0, slash);
        Observation obs = slash < 0 ? null : store.findObservation(agentId, origin.substring(slash + 1)).orElse(null);
        CalendarEvent seen = obs == null ? null : WireJson.fromJson(obs.eventJson());
        String source = seen == null || seen.origin() == null ? null : seen.origin().source();
        AgentRecord agent = store.findAgent(agentId).orElse(null);
        String why = agent == null ? "agent no longer registered"
                : source == null ? "source unknown" : whyNotWritable(agent, source);
        return new OriginView(new Target(agentId, source), obs, seen, why);
    }

    /** Null when the agent reports {@code source} as writable; else why it cannot be written. */
    static String whyNotWritable(AgentRecord agent, String source) {
        return FanOut.whyNotWritable(agent, source);
    }


    /**
     * The edit goes through the one ingest route as a change of origin {@code api:admin}: the consolidated event
     * changes at once (feed and destinations follow), and the fan-out queues an {@code event_update} for every
     * calendar the event comes from that accepts writes (a create: for the target calendar); a calendar that cannot
     * be written is marked divergent. 202: the calendars are written when their agents next call.
     */
    private Map<String, Object> apply(String action, String id, CalendarEvent event, Target createIn,
                                      Exchange exchange) {
        Instant start = clock.instant();
        OriginChange change = new OriginChange(id, event == null ? null : event.withOrigin(null), null, start,
                createIn == null ? null : createIn.agentId() + "/" + createIn.source());
        OriginResult r = ingest.ingest(new OriginChanges(ORIGIN, List.of(change))).get(0);
        if (r.outcome() == OriginResult.Outcome.REJECTED) {
            throw ApiException.badRequest("event", r.reason());
        }
        List<Map<String, Object>> written = new ArrayList<>();
        List<Map<String, Object>> notWritable = new ArrayList<>();
        ConsolidatedEvent after = store.findConsolidated(id).orElse(null);
        Set<String> agents = new LinkedHashSet<>();
        if (createIn != null) {
            agents.add(createIn.agentId());
        }
        if (after != null) {
            for (String origin : after.origins()) {
                agents.add(origin.substring(0, Math.max(0, origin.indexOf('/'))));
            }
            for (String origin : after.divergent()) {
                OriginView v = origin(origin);
                Map<String, Object> m = new LinkedHashMap<>();
                m.put("agent_id", v.target().agentId());
                m.put("source", v.target().source());
                m.put("reason", v.notWritable() == null ? "divergent" : v.notWritable());
                notWritable.add(m);
            }
        }
        for (String agentId : agents) {
            for (AgentUpdate u : store.pendingUpdates(agentId)) {
                if ("event_update".equals(u.type()) && id.equals(u.data().get("identity"))
                        && ORIGIN.equals(u.data().get("changed_by")) && !u.createdAt().isBefore(start)) {
                    Map<String, Object> m = new LinkedHashMap<>();
                    m.put("agent_id", agentId);
                    m.put("source", u.data().get("source"));
                    m.put("update_id", u.id());
                    written.add(m);
                }
            }
        }
        Map<String, Object> out = new LinkedHashMap<>();
        out.put("status", "accepted");
        out.put("action", action);
        out.put("outcome", r.outcome().name().toLowerCase(java.util.Locale.ROOT));
        out.put("id", id);
        out.put("uid", event != null ? event.uid()
                : after == null ? null : WireJson.fromJson(after.eventJson()).uid());
        out.put("origins_written", written);
        out.put("origins_not_writable", notWritable);
        out.put("message", "the consolidated calendar has the change; queued for " + written.size()
                + " calendar(s), written when their agents next call"
                + (notWritable.isEmpty() ? "" : "; " + notWritable.size() + " calendar(s) cannot be written and "
                + "stay divergent"));
        exchange.getMessage().setHeader(Exchange.HTTP_RESPONSE_CODE, 202);
        return out;
    }

    private ConsolidatedEvent live(String id) {
        if (id == null || !IDENTITY.matcher(id).matches()) {
            throw ApiException.notFound("id", "not an event id (32 hex digits, as GET /sync/events returns)");
        }
        return store.findConsolidated(id).filter(c -> !c.deleted())
                .orElseThrow(() -> ApiException.notFound("id", "no such event"));
    }

    private static ObjectNode eventNode(JsonNode root) {
        JsonNode ev = root.has("event") ? root.get("event") : root;
        if (ev == null || !ev.isObject()) {
            throw ApiException.badRequest("event", "must be an object");
        }
        ObjectNode copy = ((ObjectNode) ev).deepCopy();
        copy.remove("target");
        return copy;
    }

    private static CalendarEvent read(JsonNode node, String prefix) {
        try {
            return WireJson.readEvent(node, null);
        } catch (WireFormatException e) {
            throw e.withPrefix(prefix);
        }
    }

    private Target target(JsonNode t) {
        if (t != null && !t.isNull()) {
            if (!t.isObject()) {
                throw ApiException.badRequest("target", "must be an object {agent_id, source}");
            }
            String agent = RequestJson.text(t, "agent_id", true);
            String source = RequestJson.text(t, "source", true);
            return new Target(agent, source);
        }
        if (defaultTarget == null) {
            throw ApiException.badRequest("target", "no target {agent_id, source} given and no default configured "
                    + "(chronoroute.events.default-target=<agent-id>/<source>)");
        }
        int slash = defaultTarget.indexOf('/');
        if (slash <= 0 || slash == defaultTarget.length() - 1) {
            throw ApiException.badRequest("target", "chronoroute.events.default-target must be <agent-id>/<source>, was '"
                    + defaultTarget + "'");
        }
        return new Target(defaultTarget.substring(0, slash), defaultTarget.substring(slash + 1));
    }
}
