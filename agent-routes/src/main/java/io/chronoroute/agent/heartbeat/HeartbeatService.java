package io.chronoroute.agent.heartbeat;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.chronoroute.agent.AgentProperties;
import io.chronoroute.agent.heartbeat.MasterClient.Answer;
import io.chronoroute.agent.source.CalendarSource;
import io.chronoroute.agent.source.SourceConfig;
import io.chronoroute.agent.source.SourceRegistry;
import io.chronoroute.agent.state.AgentState;
import io.chronoroute.agent.state.CredentialStore;
import io.chronoroute.agent.state.InflightBatch;
import io.chronoroute.agent.state.OutboxEntry;
import io.chronoroute.agent.state.StoredEvent;
import io.chronoroute.agent.transport.HeartbeatTransport;
import io.chronoroute.agent.transport.HttpTransport;
import io.chronoroute.processors.sync.SetDigest;
import io.chronoroute.processors.wire.WireJson;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.stereotype.Component;

import java.io.IOException;
import java.time.Clock;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * One heartbeat cycle (route {@code agent-send-heartbeat}): register if needed, then send protocol-2 delta
 * heartbeats until the outbox is drained (at most {@code max-batches-per-tick} per cycle). Sending goes through a
 * {@link HeartbeatTransport} ({@code chronoroute.agent.transport}): HTTP answers at once; the air-gap transports
 * (file drop, e-mail; docs/air-gap.md) carry one heartbeat as a bundle and bring the answer back later, which is
 * applied by {@link #applyAnswer} with the same answer handling. Air-gap agents do not register (they are
 * provisioned by the master's admin) and do not poll pending updates (they come with every answer).
 *
 * <h2>Delivery guarantees</h2>
 * <ul>
 *   <li>A batch ({@code changed}/{@code deleted}/{@code inventory}) gets its {@code batch_id} and its exact body
 *       persisted <b>before</b> it is sent. Until the master acknowledges that id ({@code ack}), every retry - after
 *       a lost answer, an outage or an agent restart - sends the very same body, so a master that applied it already
 *       only acknowledges it.</li>
 *   <li>On {@code ack}, the batch's outbox entries are removed only if their version did not change meanwhile (a
 *       change collected while the batch was in flight is sent again).</li>
 *   <li>Connection errors and 5xx keep everything; the next tick retries. The outage is logged once, and its end.</li>
 *   <li>503 and a refused or reset connection mean "master not ready" (starting or restarting; architecture.md
 *       "Readiness"): everything is kept, nothing is registered, it is logged once at INFO and retried within seconds
 *       ({@link HeartbeatSchedule#masterNotReady()}), not after a whole interval or back-off.</li>
 *   <li>404 (the master does not know this agent) → register again and retry; 401/403 → logged, back-off.</li>
 *   <li>413 → the batch size is halved for this run; 400 naming {@code changed[i]}/{@code deleted[i]} → that one
 *       change is set aside (kept in the state's rejected map, logged as an error) so it cannot block the rest.
 *       Both statuses mean the master applied nothing, so the batch is re-cut with a new id.</li>
 *   <li>200 with {@code rejected} naming {@code changed[i]}/{@code deleted[i]}: the master applied the rest of the
 *       batch; the refused entries go to the rejected map with their reason (not acknowledged, not re-sent until
 *       they change, left out of inventories) and are reported in the {@code problems} field.</li>
 *   <li>A heartbeat with no change carries no {@code batch_id}: status, stats, digest and two empty arrays.</li>
 * </ul>
 *
 * <h2>Digest</h2>
 * The agent keeps the master's acknowledged view of it ({@code acked} map + digest). A batch carries the digest of
 * that view with the batch applied, so a multi-batch drain does not make the master ask for an inventory. When the
 * master says {@code need_inventory}, the next batch that drains the outbox carries the inventory of the current set
 * and the current digest; after its ack the acknowledged view is the inventory minus the keys the master asked to
 * {@code resend} (which are put back into the outbox). Guard against a digest loop (issue #13): an inventory goes at
 * most once per pair (agent set, master digest), see {@link #guardInventory}.
 */
@Component("heartbeatService")
public class HeartbeatService {

    private static final Logger LOG = LoggerFactory.getLogger(HeartbeatService.class);
    private static final ObjectMapper JSON = WireJson.mapper();
    private static final Pattern FIELD_INDEX = Pattern.compile("^(changed|deleted)\\[(\\d+)]");
    private static final String INVENTORY_GUARD = "inventory.guard";
    private static final String INVENTORY_SUPPRESSED = "inventory.suppressed";
    private static final String INVENTORY_RESEND = "inventory.resend";
    private static final String PROBLEMS_ACKED = "problems.acked";
    private static final int MAX_LOGGED_KEYS = 20;

    private final AgentState state;
    private final CredentialStore credentials;
    private final MasterClient client;
    private final HeartbeatTransport transport;
    private final HeartbeatSchedule schedule;
    private final AgentProperties props;
    private final SourceRegistry sources;
    private final Clock clock;
    private final String agentId;

    private volatile int batchSize;
    private volatile String problem;
    private volatile boolean masterReachable;
    private volatile String lastAnswerDigest;
    private volatile Instant lastHeartbeatSuccess;

    public HeartbeatService(AgentState state, CredentialStore credentials, MasterClient client, HeartbeatSchedule schedule,
                            AgentProperties props, SourceRegistry sources, Clock agentClock) {
        this(state, credentials, client, schedule, props, sources, agentClock, new HttpTransport(client));
    }

    /** With the transport chosen by {@code chronoroute.agent.transport} (HTTP, file drop, e-mail). */
    @Autowired
    public HeartbeatService(AgentState state, CredentialStore credentials, MasterClient client, HeartbeatSchedule schedule,
                            AgentProperties props, SourceRegistry sources, Clock agentClock, HeartbeatTransport transport) {
        this.transport = transport;
        this.state = state;
        this.credentials = credentials;
        this.client = client;
        this.schedule = schedule;
        this.props = props;
        this.sources = sources;
        this.clock = agentClock;
        this.agentId = props.id();
        this.batchSize = props.batchSize();
    }

    /** What one send carries: the batch (null for a status-only heartbeat) and the exact body. */
    record Outgoing(InflightBatch batch, String body) {
    }

    /**
     * Runs one cycle and returns the updates the master handed out (each once, in order), for
     * {@code direct:agent-apply-update}.
     */
    public synchronized List<JsonNode> runCycle() {
        try {
            List<JsonNode> out = cycle();
            if (cycleError != null) {
                LOG.info("A heartbeat cycle ran through again after the failure: {}", cycleError);
                cycleError = null;
            }
            return out;
        } catch (Error e) {
            // An Error escaping to the Camel timer would kill its java.util.Timer thread: the agent would look alive
            // and never send again. Caught, logged and shown as DOWN by the health indicator until a cycle succeeds.
            // (An OutOfMemoryError normally ends the process first: run the agent with -XX:+ExitOnOutOfMemoryError.)
            cycleError = e.getClass().getName() + (e.getMessage() == null ? "" : ": " + e.getMessage()) + " (at "
                    + clock.instant() + ")";
            LOG.error("The heartbeat cycle failed with {}; the agent's health is DOWN until a cycle succeeds", e, e);
            schedule.completed();
            return List.of();
        }
    }

    /** Why the last heartbeat cycle failed with an Error (it did not run through), or null when it ran through. */
    public String cycleError() {
        return cycleError;
    }

    private volatile String cycleError;

    private List<JsonNode> cycle() {
        Map<String, JsonNode> updates = new LinkedHashMap<>();
        Optional<String> credential = transport.http() ? credentials.load() : Optional.empty();
        if (transport.http() && credential.isEmpty() && !isLegacyRegistered()) {
            if (!register(null)) {
                schedule.backOff();
                return List.of();
            }
            credential = credentials.load();
        }
        String cred = credential.orElse(null);
        boolean reRegistered = false;
        Cycle cycle = new Cycle();
        for (int i = 0; i < props.maxBatchesPerTick(); i++) {
            schedule.touch();
            Outgoing out = nextOutgoing();
            Answer a;
            try {
                Optional<Answer> sent = transport.send(agentId, cred, out.batch() == null ? null : out.batch().batchId(),
                        out.body());
                if (sent.isEmpty()) {
                    break; // store-and-forward: the answer comes back later as a bundle (applyAnswer)
                }
                a = sent.get();
            } catch (IOException e) {
                // only HTTP: a refused SMTP server or a missing drop folder is no master that is starting
                if (!(transport.http() && refusedOrReset(e) && notReady(describe(e)))) {
                    outage("cannot reach the master at " + transport.describe() + " (" + describe(e) + ")");
                }
                break;
            }
            if (a.status() == 404 && !reRegistered) {
                reRegistered = true;
                LOG.warn("The master does not know agent '{}' (404); registering again", agentId);
                if (!register(cred)) {
                    schedule.backOff();
                    return new ArrayList<>(updates.values());
                }
                cred = credentials.load().orElse(null);
                continue;
            }
            Step step = handleAnswer(out, a, updates, cycle);
            if (step == Step.BACK_OFF) {
                schedule.backOff();
                return new ArrayList<>(updates.values());
            }
            if (step == Step.STOP) {
                break;
            }
        }
        if (transport.http() && cycle.answered && !cycle.sawPendingField) {
            schedule.touch();
            fetchPendingUpdates(cred, updates);
        }
        schedule.completed();
        return new ArrayList<>(updates.values());
    }

    /**
     * An answer that came back asynchronously (an answer bundle of the file-drop / e-mail transport), applied exactly
     * like an HTTP answer to the same heartbeat. {@code batchId} is the batch the answered heartbeat carried (null
     * for a status heartbeat). Returns the updates the master handed out, for {@code direct:agent-apply-update}.
     */
    public synchronized List<JsonNode> applyAnswer(String batchId, Answer a) {
        Outgoing out;
        if (batchId != null) {
            InflightBatch inflight = state.read(AgentState.Tx::inflight);
            if (inflight == null || !inflight.batchId().equals(batchId)) {
                LOG.info("Answer for batch {} ignored: it is no longer in flight", batchId);
                return List.of();
            }
            out = new Outgoing(inflight, inflight.body());
        } else {
            out = new Outgoing(null, null);
        }
        Map<String, JsonNode> updates = new LinkedHashMap<>();
        if (handleAnswer(out, a, updates, new Cycle()) == Step.BACK_OFF) {
            schedule.backOff();
        }
        return new ArrayList<>(updates.values());
    }

    private enum Step { NEXT, STOP, BACK_OFF }

    private static final class Cycle {
        boolean answered;
        boolean sawPendingField;
    }

    /** What every answer of the master means, whichever transport carried it (architecture.md, "Heartbeat"). */
    private Step handleAnswer(Outgoing out, Answer a, Map<String, JsonNode> updates, Cycle cycle) {
        int status = a.status();
        if (status == 200) {
            lastHeartbeatSuccess = clock.instant();
            reachable();
            cycle.answered = true;
            JsonNode body = a.body() == null ? JSON.createObjectNode() : a.body();
            cycle.sawPendingField |= collectUpdates(body.get("pending_updates"), updates);
            if (!acknowledge(out, body)) {
                return Step.STOP;
            }
            return moreToSend() ? Step.NEXT : Step.STOP;
        } else if (status == 401 || status == 403) {
            report("auth", "The master refused this agent's credential (HTTP " + status + "). Restore "
                    + credentials.file() + " or re-enroll the agent; retrying with back-off");
            return Step.BACK_OFF;
        } else if (status == 413) {
            shrinkBatch(out);
            return Step.NEXT;
        } else if (status == 400) {
            badRequest(out, a.body());
            return Step.STOP;
        } else if (status == 503 && notReady("HTTP 503")) {
            return Step.STOP;
        } else if (a.isServerError()) {
            outage("the master at " + transport.describe() + " answered HTTP " + status);
            return Step.STOP;
        }
        report("http-" + status, "Unexpected answer HTTP " + status + " from the master to a heartbeat; "
                + "everything is kept and sent again");
        return Step.STOP;
    }

    // ------------------------------------------------------------------ building

    /**
     * One {@code stats.source_list} entry: name, writable, event count, and for a folder source its one calendar
     * ({@code calendar_id} = the source name, as on its events; {@code calendar_name} and {@code color} as last
     * renamed by the master, else the source name and no colour). An Outlook source holds several calendars, which
     * its events name; no single calendar is claimed for it.
     */
    public static ObjectNode sourceEntry(AgentState.Tx tx, SourceConfig s) {
        return sourceEntry(tx, s, null, null);
    }

    /**
     * {@link #sourceEntry(AgentState.Tx, SourceConfig)} with the source's state (issue #10), which the master shows
     * per agent: {@code kind}, {@code last_read} (ISO instant, to the second; absent: not read since the agent
     * started), {@code cursor_age_seconds} (absent: no cursor yet) and {@code last_error} (absent when fine).
     */
    public static ObjectNode sourceEntry(AgentState.Tx tx, SourceConfig s, CalendarSource.SourceState st, Instant now) {
        ObjectNode n = JSON.createObjectNode();
        n.put("name", s.name());
        n.put("writable", s.allowEventUpdates());
        if (s.provider() != null) {
            n.put("provider", s.provider());
        }
        java.util.Set<String> keys = new java.util.HashSet<>();
        tx.filesOf(s.name()).values().forEach(f -> keys.addAll(f.keys()));
        n.put("event_count", keys.size());
        if (st != null) {
            // compact: this entry is in every heartbeat, an idle one included (the reason for refusing writes is
            // in the agent's health; the master says "read-only source (<kind>)")
            n.put("kind", st.kind());
            if (st.lastRead() != null) {
                n.put("last_read", st.lastRead().truncatedTo(java.time.temporal.ChronoUnit.SECONDS).toString());
            }
            java.time.Duration age = st.cursorAge(now);
            if (age != null) {
                n.put("cursor_age_seconds", Math.max(0, age.toSeconds()));
            }
            if (st.lastError() != null) {
                n.put("last_error", st.lastError());
            }
        }
        if (s.isIcsFolder()) {
            JsonNode meta = tx.calendarMetadata(s.name());
            n.put("calendar_id", s.name());
            n.put("calendar_name", meta != null && meta.hasNonNull("name") ? meta.get("name").asText() : s.name());
            if (meta != null && meta.hasNonNull("color")) {
                n.put("color", meta.get("color").asText());
            } else {
                n.putNull("color");
            }
        }
        return n;
    }

    Outgoing nextOutgoing() {
        return state.write(tx -> {
            InflightBatch inflight = tx.inflight();
            if (inflight != null) {
                return new Outgoing(inflight, inflight.body());
            }
            int limit = batchSize;
            Map<String, OutboxEntry> head = tx.outboxHead(limit);
            boolean drains = tx.outboxSize() <= limit;
            boolean inventory = "true".equals(tx.meta("need_inventory")) && drains;
            ObjectNode body = JSON.createObjectNode();
            body.put("timestamp", clock.instant().toString());
            body.put("status", "active");
            body.put("environment", props.environment());
            ObjectNode stats = body.putObject("stats");
            stats.put("events_processed", tx.currentSize());
            stats.put("outbox", tx.outboxSize());
            stats.put("parse_errors", tx.failedFiles().size());
            stats.put("rejected", tx.rejectedSize());
            stats.put("sources", sources.all().size());
            ObjectNode problems = ProblemReport.build(tx);
            if (!problems.path("version").asText().equals(tx.meta(PROBLEMS_ACKED))) {
                body.set("problems", problems); // only when the list changed since the master last confirmed it
            }
            // which sources accept the master's event_update (the master writes edits only through those)
            ArrayNode sourceList = stats.putArray("source_list");
            sources.all().stream().sorted(java.util.Comparator.comparing(SourceConfig::name)).forEach(s ->
                    sourceList.add(sourceEntry(tx, s, sources.stateOf(s), clock.instant())));
            body.put("protocol", 2);
            ArrayNode changed = body.putArray("changed");
            ArrayNode deleted = body.putArray("deleted");
            if (head.isEmpty() && !inventory) {
                body.put("digest", tx.ackedDigest().toString());
                return new Outgoing(null, body.toString());
            }
            String batchId = agentId + "-" + tx.nextBatchNumber();
            body.put("batch_id", batchId);
            SetDigest digest = tx.ackedDigest();
            List<InflightBatch.Item> upserts = new ArrayList<>();
            List<InflightBatch.Item> deletes = new ArrayList<>();
            for (Map.Entry<String, OutboxEntry> e : head.entrySet()) {
                String key = e.getKey();
                OutboxEntry entry = e.getValue();
                String acked = tx.ackedHash(key);
                if (acked != null) {
                    digest.remove(key, acked);
                }
                if (entry.isUpsert()) {
                    changed.add(entry.event());
                    digest.add(key, entry.hash());
                    upserts.add(new InflightBatch.Item(key, entry.version(), OutboxEntry.UPSERT, entry.hash()));
                } else {
                    deleted.add(entry.deleted());
                    deletes.add(new InflightBatch.Item(key, entry.version(), OutboxEntry.DELETE, null));
                }
            }
            if (inventory) {
                ArrayNode inv = body.putArray("inventory");
                digest = inventory(tx, inv);
                // the guard: one inventory per (set sent, master's view asked about); see guardInventory
                tx.putMeta(INVENTORY_GUARD, digest + "|" + tx.meta("master.digest"));
            }
            body.put("digest", digest.toString());
            List<InflightBatch.Item> items = new ArrayList<>(upserts);
            items.addAll(deletes);
            InflightBatch batch = new InflightBatch(batchId, body.toString(), items, inventory);
            tx.setInflight(batch);
            return new Outgoing(batch, batch.body());
        });
    }

    /**
     * The inventory of the current set without the events the master refused (they stay refused until they change,
     * so the master is not asked to hold them), added to {@code into} when not null; returns its digest.
     */
    private static SetDigest inventory(AgentState.Tx tx, ArrayNode into) {
        SetDigest digest = tx.digest();
        if (tx.rejectedSize() == 0) {
            if (into != null) {
                tx.inventory().forEach(into::add);
            }
            return digest;
        }
        for (String s : tx.inventory()) {
            int colon = s.indexOf(':');
            String key = s.substring(0, colon);
            if (tx.isRejected(key)) {
                digest.remove(key, s.substring(colon + 1));
            } else if (into != null) {
                into.add(s);
            }
        }
        return digest;
    }

    private boolean moreToSend() {
        return state.read(tx -> tx.outboxSize() > 0 || "true".equals(tx.meta("need_inventory")));
    }

    // ------------------------------------------------------------------ answers

    /** Applies a 200 answer; false when the batch was not acknowledged (it stays in flight). */
    private boolean acknowledge(Outgoing out, JsonNode body) {
        InflightBatch batch = out.batch();
        String ack = text(body, "ack");
        if (batch != null && !batch.batchId().equals(ack)) {
            report("no-ack", "The master answered 200 but did not acknowledge batch " + batch.batchId() + " (ack="
                    + ack + "); the batch is kept and sent again. Does the master speak protocol 2?");
            return false;
        }
        Set<String> resend = new HashSet<>();
        body.path("resend").forEach(n -> resend.add(n.asText()));
        Map<InflightBatch.Item, JsonNode> refused = refusedItems(batch, body.path("rejected"));
        int[] requeued = {0};
        List<String> refusedNow = new ArrayList<>();
        String guardNote = state.write(tx -> {
            if (batch != null) {
                if (batch.inventory()) {
                    Map<String, String> view = inventoryOf(batch);
                    refused.keySet().forEach(it -> view.remove(it.key()));
                    tx.replaceAcked(view);
                } else {
                    SetDigest ad = tx.ackedDigest();
                    for (InflightBatch.Item it : batch.items()) {
                        if (refused.containsKey(it)) {
                            continue; // not applied by the master: its view of this key did not change
                        }
                        String old = tx.ackedHash(it.key());
                        if (old != null) {
                            ad.remove(it.key(), old);
                            tx.removeAcked(it.key());
                        }
                        if (OutboxEntry.UPSERT.equals(it.op())) {
                            tx.putAcked(it.key(), it.hash());
                            ad.add(it.key(), it.hash());
                        }
                    }
                    tx.setAckedDigest(ad);
                }
                for (Map.Entry<InflightBatch.Item, JsonNode> r : refused.entrySet()) {
                    InflightBatch.Item it = r.getKey();
                    OutboxEntry entry = tx.outbox(it.key());
                    if (entry != null && entry.version() == it.version()) {
                        JsonNode ev = entry.isUpsert() ? entry.event() : entry.deleted();
                        tx.reject(it.key(), entry, text(r.getValue(), "field") + ": " + text(r.getValue(), "reason"));
                        refusedNow.add("source '" + entry.source() + "', uid " + ev.path("uid").asText() + " ("
                                + text(r.getValue(), "field") + ": " + text(r.getValue(), "reason") + ")");
                    }
                }
                for (InflightBatch.Item it : batch.items()) {
                    tx.removeOutboxIfVersion(it.key(), it.version());
                }
                tx.clearInflight();
                if (batch.inventory()) {
                    tx.putMeta(INVENTORY_RESEND, String.join(",", resend.stream().sorted().limit(MAX_LOGGED_KEYS).toList()));
                }
            }
            if (!resend.isEmpty()) {
                SetDigest ad = tx.ackedDigest();
                for (String key : resend) {
                    String old = tx.ackedHash(key);
                    if (old != null) {
                        ad.remove(key, old);
                        tx.removeAcked(key);
                    }
                    StoredEvent cur = tx.current(key);
                    if (cur != null && !tx.isRejected(key)) {
                        tx.enqueueUpsert(key, cur.source(), cur.hash(), cur.event());
                        requeued[0]++;
                    }
                }
                tx.setAckedDigest(ad);
            }
            if (text(body, "problems_version") != null) {
                tx.putMeta(PROBLEMS_ACKED, text(body, "problems_version"));
            }
            String masterDigest = text(body, "digest");
            tx.putMeta("master.digest", masterDigest);
            boolean need = body.path("need_inventory").asBoolean(false);
            String note = null;
            if (need) {
                note = guardInventory(tx, masterDigest);
                need = note == null;
            }
            tx.putMeta("need_inventory", need ? "true" : null);
            return note;
        });
        lastAnswerDigest = text(body, "digest");
        if (problemCategory != null && !"outage".equals(problemCategory)) {
            LOG.info("Heartbeats are acknowledged again");
            problemCategory = null;
            problem = null;
        }
        if (batch != null) {
            LOG.info("Batch {} acknowledged by the master ({} change(s){})", batch.batchId(), batch.items().size(),
                    batch.inventory() ? ", with inventory" : "");
        }
        if (!resend.isEmpty()) {
            LOG.info("The master asked for {} event(s) again; {} re-queued", resend.size(), requeued[0]);
        }
        for (String r : refusedNow) {
            LOG.error("The master refused the event of {}. It is set aside and not sent again until it changes; the "
                    + "rest of the batch was applied", r);
        }
        if (guardNote != null && !guardNote.isEmpty()) {
            LOG.warn(guardNote);
        }
        if (body.path("need_inventory").asBoolean(false) && guardNote == null) {
            LOG.info("The master's digest of this agent differs; an inventory goes with the next batch");
        }
        return true;
    }

    /**
     * The guard against a digest loop (issue #13, cause 9): an inventory is sent at most once per pair (the set this
     * agent would send, the master's digest it answered). If the master still disagrees after that inventory and
     * the resend of what it asked for, nothing more is sent until either side changes: the disagreement is logged
     * once with the keys the master asked for. Returns null when an inventory may go, else the text to log (empty
     * when it was logged already).
     */
    private String guardInventory(AgentState.Tx tx, String masterDigest) {
        if (masterDigest != null && masterDigest.equals(tx.ackedDigest().toString())) {
            return ""; // the master holds exactly what it acknowledged: nothing to reconcile
        }
        String key = inventory(tx, null) + "|" + masterDigest;
        if (!key.equals(tx.meta(INVENTORY_GUARD))) {
            return null;
        }
        if (key.equals(tx.meta(INVENTORY_SUPPRESSED))) {
            return "";
        }
        tx.putMeta(INVENTORY_SUPPRESSED, key);
        List<String> described = new ArrayList<>();
        String keys = tx.meta(INVENTORY_RESEND);
        if (keys != null && !keys.isEmpty()) {
            for (String k : keys.split(",")) {
                StoredEvent cur = tx.current(k);
                described.add(k + (cur == null ? "" : " (source '" + cur.source() + "', uid "
                        + cur.event().path("uid").asText() + ")"));
            }
        }
        return "The master's digest of this agent (" + masterDigest + ") still differs from the agent's acknowledged "
                + "view (" + tx.ackedDigest() + ") after an inventory and the resend of " + described.size()
                + " event(s) it asked for" + (described.isEmpty() ? "" : ": " + String.join(", ", described))
                + ". The master normalises these events differently; no further inventory is sent until the agent's "
                + "events or the master's view change";
    }

    /**
     * The batch items a 200 answer lists as refused ({@code "rejected": [{"field": "changed[3].rrule", ...}]}): the
     * master applied the rest of the batch.
     */
    private static Map<InflightBatch.Item, JsonNode> refusedItems(InflightBatch batch, JsonNode list) {
        Map<InflightBatch.Item, JsonNode> out = new LinkedHashMap<>();
        if (batch == null || list == null || !list.isArray()) {
            return out;
        }
        for (JsonNode r : list) {
            InflightBatch.Item it = itemOf(batch, text(r, "field"));
            if (it != null) {
                out.put(it, r);
            }
        }
        return out;
    }

    /** The batch item a field path such as {@code changed[3].start} names, or null. */
    private static InflightBatch.Item itemOf(InflightBatch batch, String field) {
        Matcher m = field == null ? null : FIELD_INDEX.matcher(field);
        if (m == null || !m.find()) {
            return null;
        }
        String op = "changed".equals(m.group(1)) ? OutboxEntry.UPSERT : OutboxEntry.DELETE;
        int index = Integer.parseInt(m.group(2));
        List<InflightBatch.Item> ofOp = batch.items().stream().filter(it -> op.equals(it.op())).toList();
        return index < ofOp.size() ? ofOp.get(index) : null;
    }

    private static Map<String, String> inventoryOf(InflightBatch batch) {
        Map<String, String> view = new LinkedHashMap<>();
        try {
            for (JsonNode n : JSON.readTree(batch.body()).path("inventory")) {
                String s = n.asText();
                int colon = s.indexOf(':');
                view.put(s.substring(0, colon), s.substring(colon + 1));
            }
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("corrupt in-flight batch " + batch.batchId(), e);
        }
        return view;
    }

    private void shrinkBatch(Outgoing out) {
        int before = batchSize;
        batchSize = Math.max(1, before / 2);
        LOG.warn("The master refused a batch as too large (413); batch size {} → {} for this run", before, batchSize);
        if (out.batch() != null) {
            state.write(tx -> {
                tx.clearInflight();
                return null;
            });
        }
    }

    private void badRequest(Outgoing out, JsonNode body) {
        String field = text(body, "field");
        String reason = text(body, "reason");
        InflightBatch batch = out.batch();
        if (batch == null) {
            report("400", "The master refused a status heartbeat (400, field=" + field + ", reason=" + reason + ")");
            return;
        }
        InflightBatch.Item bad = itemOf(batch, field);
        String described = state.write(tx -> {
            String d = null;
            if (bad != null) {
                OutboxEntry entry = tx.outbox(bad.key());
                if (entry != null && entry.version() == bad.version()) {
                    JsonNode ev = entry.isUpsert() ? entry.event() : entry.deleted();
                    d = "source '" + entry.source() + "', uid " + ev.path("uid").asText();
                    tx.reject(bad.key(), entry, field + ": " + reason);
                }
            }
            tx.clearInflight();
            return d;
        });
        if (described != null) {
            LOG.error("The master refused the event of {} ({}: {}). It is set aside and not sent again until it changes; "
                    + "the rest of the batch is sent on", described, field, reason);
        } else {
            report("400", "The master refused batch " + batch.batchId() + " (400, field=" + field + ", reason=" + reason
                    + "); it is cut again and re-sent");
        }
    }

    /** Adds updates not seen yet in this cycle; true when the answer had the field at all. */
    private static boolean collectUpdates(JsonNode list, Map<String, JsonNode> into) {
        if (list == null || !list.isArray()) {
            return false;
        }
        for (JsonNode u : list) {
            String id = text(u, "id");
            if (id != null) {
                into.putIfAbsent(id, u);
            }
        }
        return true;
    }

    private void fetchPendingUpdates(String cred, Map<String, JsonNode> into) {
        try {
            Answer a = client.pendingUpdates(agentId, cred);
            if (a.status() == 200 && a.body() != null) {
                collectUpdates(a.body().get("updates"), into);
            }
        } catch (IOException e) {
            LOG.debug("Cannot fetch pending updates: {}", e.getMessage());
        }
    }

    // ------------------------------------------------------------------ registration

    private boolean isLegacyRegistered() {
        return "true".equals(state.read(tx -> tx.meta("registered.legacy")));
    }

    /**
     * POST /sync/agents/register; stores the credential. The secret and the credential are never logged. The body
     * carries {@code proposed_credential}: the stored credential when there is one (the master forgot this agent:
     * it keeps its credential), else a proposal committed to the state before sending (CredentialStore#proposal),
     * so a registration whose answer was lost is retried with the same proof and answered the same.
     */
    boolean register(String currentCredential) {
        ObjectNode body = JSON.createObjectNode();
        body.put("id", agentId);
        body.put("name", props.name());
        body.put("environment", props.environment());
        body.put("agent_type", "chronoroute");
        body.put("interval_minutes", Math.max(1, (schedule.interval().toSeconds() + 59) / 60));
        ArrayNode caps = body.putArray("capabilities");
        caps.add("calendar_sync");
        caps.add("protocol_2");
        if (sources.all().stream().anyMatch(SourceConfig::allowEventUpdates)) {
            caps.add("event_updates");
        }
        ObjectNode config = body.putObject("config");
        String version = HeartbeatService.class.getPackage().getImplementationVersion();
        if (version != null) {
            config.put("version", version);
        }
        config.put("platform", System.getProperty("os.name") + " " + System.getProperty("os.arch"));
        config.put("java_version", System.getProperty("java.version"));
        config.put("time_zone", props.zone().getId());
        String secret = props.enrollmentSecret();
        if (secret != null && !secret.isBlank()) {
            body.put("enrollment_secret", secret);
        }
        String proposed = currentCredential != null ? currentCredential : credentials.proposal();
        body.put("proposed_credential", proposed);
        Answer a;
        try {
            a = client.register(body.toString(), currentCredential);
        } catch (IOException e) {
            if (!(refusedOrReset(e) && notReady(describe(e)))) {
                outage("cannot reach the master at " + client.masterUrl() + " to register (" + describe(e) + ")");
            }
            return false;
        }
        int status = a.status();
        if (status == 201 || status == 200) {
            reachable();
            JsonNode answer = a.body() == null ? JSON.createObjectNode() : a.body();
            String issued = text(answer, "credential");
            String id = text(answer, "id") != null ? text(answer, "id") : text(answer, "agent_id");
            if (id != null && !id.equals(agentId)) {
                LOG.warn("The master registered this agent as '{}' but it is configured as '{}'; the configured id is "
                        + "kept (it is part of every sync key). Set chronoroute.agent.id={} to follow the master.", id, agentId, id);
            }
            boolean legacy = answer.path("legacy").asBoolean(false);
            if (issued != null && !issued.isBlank()) {
                credentials.save(issued);
                LOG.info("Registered with the master at {} as agent '{}'; credential stored in {}", client.masterUrl(),
                        agentId, credentials.file());
            } else if (currentCredential == null && !legacy) {
                credentials.save(proposed);
                LOG.info("Registered with the master at {} as agent '{}' with the credential it proposed; stored in {}",
                        client.masterUrl(), agentId, credentials.file());
            } else if (currentCredential != null) {
                LOG.info("Registered again with the master at {} as agent '{}'; keeping the stored credential",
                        client.masterUrl(), agentId);
            } else {
                state.write(tx -> {
                    tx.putMeta("registered.legacy", "true");
                    return null;
                });
                LOG.warn("The master registered agent '{}' WITHOUT a credential (legacy mode): its calls are not "
                        + "authenticated", agentId);
            }
            problem = null;
            return true;
        }
        if (status == 409) {
            report("register-409", "Registration refused (409): the master already knows agent '" + agentId + "' and this"
                    + " agent has no valid credential for it. Restore " + credentials.file() + " from a backup, or have"
                    + " the master's admin remove the agent; retrying with back-off");
        } else if (status == 401 || status == 403) {
            report("register-401", "Registration refused (HTTP " + status + "): the enrollment secret is missing or wrong."
                    + " Set chronoroute.agent.enrollment-secret (environment CHRONOROUTE_AGENT_ENROLLMENT_SECRET);"
                    + " retrying with back-off");
        } else if (status == 503 && notReady("HTTP 503 to the registration")) {
            return false;
        } else if (a.isServerError()) {
            outage("the master at " + client.masterUrl() + " answered HTTP " + status + " to the registration");
        } else {
            report("register-" + status, "Registration refused with HTTP " + status + "; retrying with back-off");
        }
        return false;
    }

    // ------------------------------------------------------------------ status and logging

    public boolean masterReachable() {
        return masterReachable;
    }

    public String currentProblem() {
        return problem;
    }

    /** When the master last answered a heartbeat with 200 (since this agent started); null when not yet. */
    public Instant lastHeartbeatSuccess() {
        return lastHeartbeatSuccess;
    }

    public String lastAnswerDigest() {
        return lastAnswerDigest;
    }

    private void outage(String message) {
        masterReachable = false;
        long outbox = state.read(AgentState.Tx::outboxSize);
        String text = "Master unavailable: " + message + ". Everything collected is kept (" + outbox
                + " change(s) waiting) and sent when it is back";
        if (!"outage".equals(problemCategory)) {
            LOG.warn(text);
            problemCategory = "outage";
        } else {
            LOG.debug(text);
        }
        problem = text;
    }

    private volatile String problemCategory;

    /**
     * The master is not ready (503, connection refused or reset): logged once at INFO, retried soon. False when it has
     * been so for longer than {@link HeartbeatSchedule#NOT_READY_WINDOW}: the caller treats it as an outage.
     */
    private boolean notReady(String what) {
        if (!schedule.masterNotReady()) {
            return false;
        }
        masterReachable = false;
        long outbox = state.read(AgentState.Tx::outboxSize);
        String text = "The master at " + transport.describe() + " is not ready yet (" + what + "); everything is kept ("
                + outbox + " change(s) waiting) and sent in a moment";
        if (!"not-ready".equals(problemCategory)) {
            LOG.info(text);
            problemCategory = "not-ready";
        } else {
            LOG.debug(text);
        }
        problem = text;
        return true;
    }

    /** A refused or reset connection (the master is down or restarting), as opposed to a timeout or a bad name. */
    static boolean refusedOrReset(IOException e) {
        for (Throwable t = e; t != null; t = t.getCause()) {
            if (t instanceof java.net.http.HttpTimeoutException) {
                return false;
            }
            if (t instanceof java.net.ConnectException || t instanceof java.net.SocketException
                    || t instanceof java.io.EOFException) {
                return true;
            }
            String m = t.getMessage();
            if (m != null && (m.contains("Connection reset") || m.contains("received no bytes")
                    || m.contains("Connection refused"))) {
                return true;
            }
        }
        return false;
    }

    private static String describe(IOException e) {
        return e.getClass().getSimpleName() + (e.getMessage() == null ? "" : ": " + e.getMessage());
    }

    private void report(String category, String message) {
        if (!category.equals(problemCategory)) {
            LOG.error(message);
            problemCategory = category;
        } else {
            LOG.debug(message);
        }
        problem = message;
    }

    private void reachable() {
        schedule.masterAnswered();
        if (!masterReachable && problemCategory != null) {
            LOG.info("The master at {} is reachable again", transport.describe());
        }
        masterReachable = true;
        if ("outage".equals(problemCategory) || "not-ready".equals(problemCategory)) {
            problemCategory = null;
            problem = null;
        }
    }

    private static String text(JsonNode n, String field) {
        if (n == null) {
            return null;
        }
        JsonNode v = n.get(field);
        return v == null || v.isNull() ? null : v.asText();
    }
}
