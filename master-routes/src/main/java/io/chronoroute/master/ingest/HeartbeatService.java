package io.chronoroute.master.ingest;

import io.chronoroute.master.store.Activity;
import io.chronoroute.master.store.AgentRecord;
import io.chronoroute.master.store.ChangeSet;
import io.chronoroute.master.store.MasterStore;
import io.chronoroute.master.updates.UpdateQueueService;
import io.chronoroute.processors.conflict.ConflictStrategy;
import org.springframework.stereotype.Component;

import java.time.Clock;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The two ends of the ingest around the split: {@link #prepare} reads what the agent had in one batch read and
 * decides which items need folding (unchanged ones are counted, not split); {@link #commit} applies the
 * {@code ChangeSet} atomically and builds the answer of architecture.md.
 */
@Component
public class HeartbeatService {

    private final MasterStore store;
    private final ConflictStrategy strategy;
    private final UpdateQueueService updates;
    private final Clock clock;
    private final AgentProblems problems;
    private final FanOut fanOut;

    public HeartbeatService(MasterStore store, ConflictStrategy strategy, UpdateQueueService updates, Clock clock,
                            AgentProblems problems, FanOut fanOut) {
        this.store = store;
        this.strategy = strategy;
        this.updates = updates;
        this.clock = clock;
        this.problems = problems;
        this.fanOut = fanOut;
    }

    /**
     * The first step of the one ingest route: an agent's heartbeat (HTTP or air-gap bundle), an import or an admin
     * removal ({@link HeartbeatRequest}), or the changes of a non-agent origin ({@link OriginChanges}).
     */
    public ConsolidationState prepareAny(Object request) {
        if (request instanceof OriginChanges oc) {
            return prepareOrigin(oc);
        }
        return prepare((HeartbeatRequest) request);
    }

    /** Changes of a destination, the API or a conflict resolution: one item each, folded in order. */
    ConsolidationState prepareOrigin(OriginChanges oc) {
        List<Incoming> items = new ArrayList<>(oc.changes().size());
        for (OriginChange c : oc.changes()) {
            items.add(new Incoming.Edit(c));
        }
        return new ConsolidationState(oc.origin(), strategy, clock.instant(), new HashMap<>(), store::findConsolidated,
                k -> java.util.Optional.empty(), items, 0, oc);
    }

    /** The last step for a non-agent origin: fan-out, one atomic apply, one result per change. */
    private List<OriginResult> commitOrigin(ConsolidationState state, OriginChanges oc) {
        Instant now = state.now();
        FanOut.Result f = fanOut.plan(state, state.changes);
        ChangeSet cs = state.changeSet();
        state.release(oc);
        if (state.upserted() + state.deleted() + state.conflicts() > 0) {
            cs.activities.add(new Activity(now, oc.origin(), "change", "upserted " + state.upserted() + ", deleted "
                    + state.deleted() + ", unchanged " + state.unchanged() + ", conflicts " + state.conflicts()
                    + ", updates queued " + f.updates()));
        }
        if (!cs.isEmpty()) {
            store.apply(cs);
        }
        return List.copyOf(state.originResults());
    }

    public ConsolidationState prepare(HeartbeatRequest req) {
        String agentId = req.agentId();
        Map<String, String> hashes = new HashMap<>(store.observationHashes(agentId));
        List<Incoming> items = new ArrayList<>();
        Set<String> incomingKeys = new HashSet<>();
        for (Incoming.Upsert u : req.upserts()) {
            incomingKeys.add(u.syncKey());
        }
        Set<String> removals = new java.util.LinkedHashSet<>();
        for (String k : req.deletes()) {
            if (hashes.containsKey(k) && !incomingKeys.contains(k)) {
                removals.add(k);
            }
        }
        if (req.snapshot() || req.inventory() != null) {
            // a rejected event of a snapshot is not a deletion: its stored version stays until it can be read
            Set<String> rejectedKeys = new HashSet<>();
            req.rejected().forEach(r -> rejectedKeys.add(r.syncKey()));
            for (String k : hashes.keySet()) {
                boolean listed = req.inventory() != null && req.inventory().containsKey(k);
                if (!incomingKeys.contains(k) && !listed && !(req.snapshot() && rejectedKeys.contains(k))) {
                    removals.add(k);
                }
            }
        }
        for (String k : removals) {
            items.add(new Incoming.Removal(k));
        }
        int unchanged = 0;
        for (Incoming.Upsert u : req.upserts()) {
            if (u.hash().equals(hashes.get(u.syncKey()))) {
                unchanged++;
            } else {
                items.add(u);
            }
        }
        ConsolidationState state = new ConsolidationState(agentId, strategy, clock.instant(), hashes,
                store::findConsolidated, k -> store.findObservation(agentId, k), items, unchanged, req);
        if (req.seen()) {
            // a record gone from a source the agent still reads was deleted there; a source the agent no longer
            // reports (removed from its configuration) deletes nothing elsewhere
            Set<String> reported = reportedSources(req.stats() != null ? req.stats() : req.agent().stats());
            state.deletesPropagate(o -> {
                var ev = io.chronoroute.processors.wire.WireJson.fromJson(o.eventJson());
                return ev.origin() != null && ev.origin().source() != null
                        && reported != null && reported.contains(ev.origin().source());
            });
        }
        return state;
    }

    /** Source names the agent reports in {@code stats.source_list}; null when it does not report them. */
    private static Set<String> reportedSources(Map<String, Object> stats) {
        Object list = stats == null ? null : stats.get("source_list");
        if (!(list instanceof List<?> sources)) {
            return null;
        }
        Set<String> names = new HashSet<>();
        for (Object o : sources) {
            if (o instanceof Map<?, ?> m && m.get("name") != null) {
                names.add(String.valueOf(m.get("name")));
            }
        }
        return names;
    }

    /** The last step of the one ingest route: what {@link #prepareAny} started. */
    public Object commitAny(ConsolidationState state) {
        if (state.request() instanceof OriginChanges oc) {
            return commitOrigin(state, oc);
        }
        return commit(state);
    }

    public Map<String, Object> commit(ConsolidationState state) {
        HeartbeatRequest req = ((HeartbeatRequest) state.request()).withoutEvents();
        AgentRecord agent = req.agent();
        Instant now = state.now();
        fanOut.plan(state, state.changes);
        ChangeSet cs = state.changeSet();
        state.release(req);
        boolean changed = state.upserted() + state.deleted() > 0;
        if (req.seen()) {
            cs.putAgent = agent.seen(now, req.status() == null ? "active" : req.status(), req.stats(),
                    state.hashes().size());
        } else if (changed || store.findAgent(agent.id()).isEmpty()) {
            cs.putAgent = new AgentRecord(agent.id(), agent.name(), agent.environment(), agent.agentType(),
                    agent.credentialHash(), agent.legacy(), agent.registeredAt(), now, agent.lastHeartbeat(),
                    agent.status(), state.hashes().size(), agent.intervalMinutes(), agent.capabilities(),
                    agent.config(), agent.stats());
        }
        if (changed || state.conflicts() > 0) {
            cs.activities.add(new Activity(now, agent.id(), req.seen() ? "heartbeat" : String.valueOf(req.status()),
                    "upserted " + state.upserted() + ", deleted " + state.deleted() + ", unchanged "
                            + state.unchanged() + ", conflicts " + state.conflicts()
                            + (req.batchId() == null ? "" : " (batch " + req.batchId() + ")")));
        }
        if (req.batchId() != null) {
            cs.addKey(BatchIdempotentRepository.namespace(agent.id()), req.batchId());
        }
        if (!req.rejected().isEmpty()) {
            cs.activities.add(new Activity(now, agent.id(), "rejected", req.rejected().size() + " event(s) left out: "
                    + req.rejected().get(0).field() + ": " + req.rejected().get(0).reason()
                    + (req.rejected().size() > 1 ? " (and more; see the agent's status)" : "")));
        }
        store.apply(cs);
        if (req.seen()) {
            problems.recordRejections(agent.id(), req.rejected());
            if (req.problems() != null) {
                problems.storeReported(agent.id(), req.problems());
            }
        }
        Map<String, Object> applied = new LinkedHashMap<>();
        applied.put("upserted", state.upserted());
        applied.put("deleted", state.deleted());
        applied.put("unchanged", state.unchanged());
        applied.put("conflicts", state.conflicts());
        List<String> resend = new ArrayList<>();
        if (req.inventory() != null) {
            req.inventory().forEach((k, h) -> {
                if (!h.equals(state.hashes().get(k))) {
                    resend.add(k);
                }
            });
            resend.sort(null);
        }
        return answer(req, applied, resend, false);
    }

    /** The answer to a replayed batch: acknowledged again, nothing applied. */
    public Map<String, Object> answerDuplicate(HeartbeatRequest req) {
        Map<String, Object> applied = new LinkedHashMap<>();
        applied.put("upserted", 0);
        applied.put("deleted", 0);
        applied.put("unchanged", 0);
        applied.put("conflicts", 0);
        return answer(req, applied, List.of(), true);
    }

    private Map<String, Object> answer(HeartbeatRequest req, Map<String, Object> applied, List<String> resend,
                                       boolean duplicate) {
        String digest = store.agentDigest(req.agentId());
        Map<String, Object> out = new LinkedHashMap<>();
        out.put("status", "success");
        out.put("message", duplicate ? "Batch already applied" : "Heartbeat received");
        out.put("pending_updates", req.seen() ? updates.pendingWire(req.agentId()) : List.of());
        out.put("ack", req.batchId());
        out.put("applied", applied);
        out.put("digest", digest);
        out.put("need_inventory", req.digest() != null && req.inventory() == null && !req.digest().equalsIgnoreCase(String.valueOf(digest)));
        out.put("resend", resend);
        if (!req.rejected().isEmpty()) {
            out.put("rejected", req.rejected().stream().map(EventRejection::toWire).toList());
        }
        if (req.seen()) {
            String version = req.problems() != null ? req.problems().version() : problems.reportedVersion(req.agentId());
            if (version != null) {
                out.put("problems_version", version);
            }
        }
        if (duplicate) {
            out.put("duplicate", true);
        }
        return out;
    }
}
