package io.chronoroute.master.ingest;

import com.fasterxml.jackson.databind.JsonNode;
import io.chronoroute.master.store.Activity;
import io.chronoroute.master.store.AgentRecord;
import io.chronoroute.master.store.AgentUpdate;
import io.chronoroute.master.store.ChangeSet;
import io.chronoroute.master.store.ConsolidatedEvent;
import io.chronoroute.master.store.MasterStore;
import io.chronoroute.master.store.Observation;
import io.chronoroute.processors.model.CalendarEvent;
import io.chronoroute.processors.sync.ContentHash;
import io.chronoroute.processors.wire.WireJson;
import org.springframework.stereotype.Component;

import java.time.Clock;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.UUID;

/**
 * The last step of the one ingest route (two-way sync): a consolidated event changed, so every <i>other</i> calendar
 * it comes from gets the new version. For each origin ("agentId/syncKey") of each changed event, except the one that
 * made the change:
 * <ul>
 *   <li>an origin whose last observation already says the same (apart from SEQUENCE) gets nothing: this is also how a
 *       write-back that comes back is recognised (see {@link ContentHash#ofSubstance});</li>
 *   <li>an origin whose source accepts writes (the agent reports it writable in {@code stats.source_list}) gets an
 *       {@code event_update} (update, or delete when the event was deleted) carrying {@code base_hash}, the content
 *       hash the master last saw there: the agent refuses the write when its calendar changed meanwhile, and its own
 *       change then arrives as an edit for the conflict strategy. Pending event updates of the same calendar and event
 *       that were not applied yet are superseded by the new one;</li>
 *   <li>an origin that cannot be written is listed in the event's {@code divergent} origins, visible in the API.</li>
 * </ul>
 * A create made through the API or in a destination with a {@code create-target} is queued as a {@code create} for that
 * calendar. Destinations need nothing here: they follow the store's change feed and rewrite what changed.
 * <p>
 * Everything is added to the ingest's own {@link ChangeSet}, so the change and its fan-out are stored atomically.
 */
@Component
public class FanOut {

    /** Activity kind of a fan-out line. */
    static final String ACTIVITY = "fan-out";

    /** One changed identity: the origin that made the change (gets nothing back) and a calendar to create it in. */
    record Change(String by, String createTarget) {
    }

    private final MasterStore store;
    private final Clock clock;

    public FanOut(MasterStore store, Clock clock) {
        this.store = store;
        this.clock = clock;
    }

    /** Counters of one fan-out, for the activity line and the answer. */
    record Result(int updates, int divergent, int superseded) {
    }

    /**
     * Plans the fan-out of the state's changes: updates go into {@code cs.putUpdates} (and superseded ones are marked),
     * the divergent origins into the touched consolidated events. Call after folding, before {@code state.changeSet()}.
     */
    Result plan(ConsolidationState state, ChangeSet cs) {
        if (state.fanOut.isEmpty()) {
            return new Result(0, 0, 0);
        }
        Instant now = clock.instant();
        Map<String, AgentRecord> agents = new HashMap<>();
        Map<String, List<AgentUpdate>> pending = new HashMap<>();
        int updates = 0;
        int divergentCount = 0;
        int superseded = 0;
        for (Map.Entry<String, Change> en : state.fanOut.entrySet()) {
            String identity = en.getKey();
            Change change = en.getValue();
            ConsolidatedEvent c = state.touched().containsKey(identity) ? state.touched().get(identity)
                    : state.current(identity);
            if (c == null) {
                continue;
            }
            CalendarEvent event = c.deleted() ? null : WireJson.fromJson(c.eventJson()).withOrigin(null);
            Set<String> divergent = new LinkedHashSet<>(c.divergent());
            Set<String> targets = new LinkedHashSet<>(c.origins());
            for (String origin : targets) {
                if (origin.equals(change.by())) {
                    divergent.remove(origin);
                    continue;
                }
                int slash = origin.indexOf('/');
                if (slash < 0) {
                    continue;
                }
                String agentId = origin.substring(0, slash);
                String syncKey = origin.substring(slash + 1);
                Optional<Observation> obs = agentId.equals(state.agentId) && state.nonAgentOrigin == null
                        ? state.currentObservation(syncKey) : store.findObservation(agentId, syncKey);
                if (obs.isEmpty()) {
                    divergent.remove(origin);
                    continue;
                }
                CalendarEvent seen = WireJson.fromJson(obs.get().eventJson());
                if (event != null && ContentHash.sameSubstance(seen, event)) {
                    divergent.remove(origin);
                    continue;
                }
                String source = seen.origin() == null ? null : seen.origin().source();
                AgentRecord agent = agents.computeIfAbsent(agentId, a -> store.findAgent(a).orElse(null));
                String why = agent == null ? "agent no longer registered"
                        : source == null ? "source unknown" : whyNotWritable(agent, source);
                if (why != null) {
                    if (divergent.add(origin)) {
                        divergentCount++;
                    }
                    continue;
                }
                divergent.remove(origin);
                String action = event == null ? "delete" : "update";
                CalendarEvent payload = event == null ? seen.withOrigin(null) : event;
                superseded += supersede(cs, pending, agentId, source, identity, now);
                cs.putUpdates.add(update(agentId, action, source, identity, payload, obs.get().contentHash(),
                        change.by(), now));
                updates++;
            }
            if (change.createTarget() != null && event != null) {
                int slash = change.createTarget().indexOf('/');
                String agentId = change.createTarget().substring(0, slash);
                String source = change.createTarget().substring(slash + 1);
                superseded += supersede(cs, pending, agentId, source, identity, now);
                cs.putUpdates.add(update(agentId, "create", source, identity, event, null, change.by(), now));
                updates++;
            }
            if (!divergent.equals(new LinkedHashSet<>(c.divergent()))) {
                state.put(new ConsolidatedEvent(c.identity(), c.eventJson(), c.contentHash(), c.origins(), c.version(),
                        c.changeSeq(), c.updatedAt(), c.deleted(), c.lastWriter(), List.copyOf(divergent)));
            }
        }
        if (updates + divergentCount > 0) {
            String who = state.nonAgentOrigin != null ? state.nonAgentOrigin : state.agentId;
            cs.activities.add(new Activity(now, who, ACTIVITY, updates + " update(s) queued for the calendars the "
                    + "changed events come from" + (divergentCount == 0 ? "" : ", " + divergentCount
                    + " calendar(s) cannot be written and are divergent")
                    + (superseded == 0 ? "" : ", " + superseded + " older update(s) superseded")));
        }
        return new Result(updates, divergentCount, superseded);
    }

    private AgentUpdate update(String agentId, String action, String source, String identity, CalendarEvent event,
                               String baseHash, String by, Instant now) {
        Map<String, Object> data = new LinkedHashMap<>();
        data.put("action", action);
        data.put("source", source);
        data.put("identity", identity);
        if ("delete".equals(action)) {
            Map<String, Object> target = new LinkedHashMap<>();
            target.put("uid", event.uid());
            JsonNode rid = WireJson.writeEvent(event).get("recurrence_id");
            if (rid != null) {
                target.put("recurrence_id", WireJson.mapper().convertValue(rid, Object.class));
            }
            data.put("event", target);
        } else {
            data.put("event", WireJson.mapper().convertValue(WireJson.writeEvent(event), LinkedHashMap.class));
        }
        if (baseHash != null) {
            data.put("base_hash", baseHash);
        }
        if (by != null) {
            data.put("changed_by", by);
        }
        return new AgentUpdate(UUID.randomUUID().toString(), agentId, "event_update", data, AgentUpdate.PENDING, now,
                null, 0, null);
    }

    /** Marks the agent's pending event updates of the same source and event superseded; returns how many. */
    private int supersede(ChangeSet cs, Map<String, List<AgentUpdate>> pending, String agentId, String source,
                         String identity, Instant now) {
        int n = 0;
        List<AgentUpdate> list = pending.computeIfAbsent(agentId, a -> new ArrayList<>(store.pendingUpdates(a)));
        for (AgentUpdate u : list) {
            if ("event_update".equals(u.type()) && AgentUpdate.PENDING.equals(u.status())
                    && identity.equals(u.data().get("identity")) && Objects.equals(source, u.data().get("source"))
                    && cs.putUpdates.stream().noneMatch(p -> p.id().equals(u.id()))) {
                cs.putUpdates.add(new AgentUpdate(u.id(), u.agentId(), u.type(), u.data(), AgentUpdate.REJECTED,
                        u.createdAt(), now, u.attempts(), "superseded by a newer change of the same event"));
                n++;
            }
        }
        // superseded updates of this ingest (two changes of one event in one ingest) are replaced in place
        cs.putUpdates.removeIf(p -> AgentUpdate.PENDING.equals(p.status()) && agentId.equals(p.agentId())
                && "event_update".equals(p.type()) && identity.equals(p.data().get("identity"))
                && Objects.equals(source, p.data().get("source")));
        return n;
    }

    /** Null when the agent reports {@code source} as writable; else why it cannot be written. */
    public static String whyNotWritable(AgentRecord agent, String source) {
        Object list = agent.stats() == null ? null : agent.stats().get("source_list");
        if (!(list instanceof List<?> sources)) {
            return "the agent does not report which of its sources accept writes";
        }
        for (Object o : sources) {
            if (o instanceof Map<?, ?> m && source.equals(m.get("name"))) {
                return Boolean.TRUE.equals(m.get("writable")) ? null
                        : "read-only source" + (m.get("kind") == null ? "" : " (" + m.get("kind") + ")");
            }
        }
        return "the agent does not report a source named '" + source + "'";
    }
}
