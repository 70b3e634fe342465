package io.chronoroute.master.destination;

import io.chronoroute.master.cluster.Leadership;
import io.chronoroute.master.store.ChangeEntry;
import io.chronoroute.master.store.ConsolidatedEvent;
import io.chronoroute.master.store.MasterStore;
import io.chronoroute.master.store.StaleEpochException;
import io.chronoroute.processors.model.CalendarEvent;
import io.chronoroute.processors.model.Origin;
import io.chronoroute.processors.sync.SyncKey;
import io.chronoroute.processors.wire.WireJson;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.LocalDate;
import java.time.ZoneId;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.DoubleSupplier;

/**
 * Writes the consolidated calendar into one configured destination, minimally and safely. One run
 * ({@link #runOnce(String)}):
 * <ol>
 *   <li><b>Paused?</b> After "quota exhausted" nothing is sent until {@code pausedUntil}.</li>
 *   <li><b>Remote changes.</b> With a cursor: read the destination's changes; our objects edited or deleted outside
 *       Chronoroute (version differs from the mapping) are repaired (the master is the source of truth), our objects
 *       missing from the mapping (crash between write and mapping update) are adopted. Foreign objects are ignored.
 *       Cursor expired (Google 410) → full reconcile.</li>
 *   <li><b>Full reconcile</b> (first run, lost store, expired cursor, or asked for): list every object with our owner
 *       tag, rebuild the mapping from the tags (identity, content hash, version), then diff the whole consolidated
 *       calendar. Otherwise: the identities changed since {@code lastSeq} (store change log).</li>
 *   <li><b>Plan</b> per identity: live and hash differs from the mapping → upsert; gone but mapped live → delete;
 *       else nothing (a second run without changes makes zero write calls).</li>
 *   <li><b>Deletion guard</b>: deletions above {@code delete-guard-share} of our live objects, or all events of a
 *       source that now reports none, are held (shown in the status) until confirmed.</li>
 *   <li><b>Execute</b> (series masters before overrides; override deletes before master deletes), each call through
 *       the token bucket, transient errors retried with backoff (Retry-After honoured); permanent errors park that
 *       event; quota pauses the destination; auth stops the run. The mapping is updated right after each write.
 *       A writer that is a {@link BatchingWriter} gets the writes in batches of {@code batch-size} (one token per
 *       part); each part is then booked, retried or parked on its own, as its single call would be. A master write
 *       that reset its series on the destination ({@link WriteResult#seriesReset()}) has all the series' overrides
 *       written again in the same run, after it.</li>
 *   <li><b>Progress</b>: {@code lastSeq} and the cursor are saved only when every write the run covers succeeded (or
 *       was parked/held); a failed run is simply redone, skipping what is already written.</li>
 * </ol>
 * Thread-safe: one run per destination at a time (a second caller gets {@code BUSY}).
 *
 * <p><b>Several masters</b> ({@link Leadership}): a run happens only on the leader ({@code NOT_LEADER} elsewhere) and
 * every bookkeeping write carries the epoch of its leadership term; the store refuses a write from a stale epoch, and
 * the gate checks the epoch before every write request, so a master that lost leadership while paused stops at the
 * first refusal ({@code FENCED}) without writing to the destination again.
 */
public class DestinationSyncService implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(DestinationSyncService.class);
    private static final String DELETED_HASH = "deleted";
    private static final ZoneId GOOGLE_QUOTA_ZONE = ZoneId.of("America/Los_Angeles");

    private final MasterStore store;
    private final Map<String, DestinationConfig> configs;
    private final Map<String, DestinationWriterFactory> factories = new HashMap<>();
    private final Clock clock;
    private final Sleeper sleeper;
    private final DoubleSupplier random;
    private final Map<String, Runtime> runtimes = new ConcurrentHashMap<>();
    private final Leadership leadership;

    /** Per-destination live objects: writer, rate limit, lock, counters of the current run. */
    private static final class Runtime {
        final ReentrantLock lock = new ReentrantLock();
        final DestinationWriter writer;
        final TokenBucket bucket;
        final Backoff backoff;
        final AtomicLong apiCalls = new AtomicLong();
        final AtomicLong writeCalls = new AtomicLong();
        /** The mapping of the run in progress: its epoch is checked before every write request. */
        volatile DestinationMapping fence;

        Runtime(DestinationWriter writer, TokenBucket bucket, Backoff backoff) {
            this.writer = writer;
            this.bucket = bucket;
            this.backoff = backoff;
        }
    }

    /** Thrown inside a run to stop it (quota, auth, transient errors beyond the retries). */
    private static final class StopRun extends RuntimeException {
        final DestinationException cause;

        StopRun(DestinationException cause) {
            super(cause.getMessage(), cause);
            this.cause = cause;
        }
    }

    private enum OpKind { UPSERT, DELETE }

    private record Op(OpKind kind, String identity, ConsolidatedEvent consolidated, CalendarEvent event,
                      MappingEntry mapping, String source) {

        boolean override() {
            return event != null ? event.recurrenceId() != null : mapping != null && mapping.recurrenceId() != null;
        }

        Op withMapping(MappingEntry m) {
            return new Op(kind, identity, consolidated, event, m, source);
        }
    }

    /** A write ready to send: the op, the event as the writer gets it, the series identity of an override. */
    private record Prepared(Op op, DestinationEvent event, String seriesIdentity) {
    }

    /** Counters of one run. */
    private static final class Run {
        final String name;
        final DestinationConfig config;
        final Runtime rt;
        final DestinationMapping mapping;
        final DestinationState state;
        final Set<String> done = new HashSet<>();
        /** Series masters whose write reset the series: their final mapping entry, put once the overrides are back. */
        final Map<String, MappingEntry> resetMasters = new LinkedHashMap<>();
        /** Overrides of reset series still to be written again in this run. */
        final Set<String> resetQueue = new LinkedHashSet<>();
        /** Overrides whose mapping entry a series reset marked deleted (for mappedLive, booked once). */
        final Set<String> vanished = new HashSet<>();
        /** Overrides the plan counted unchanged (a reset writes them after all: counted once, as updated). */
        final Set<String> unchangedOverrides = new HashSet<>();
        /** Override identities by series identity, read from the store on the first series reset of the run. */
        Map<String, List<String>> overridesBySeries;
        int inserted;
        int updated;
        int deleted;
        int unchanged;
        int parked;
        int retries;
        long waitedMillis;

        Run(String name, DestinationConfig config, Runtime rt, DestinationMapping mapping, DestinationState state) {
            this.name = name;
            this.config = config;
            this.rt = rt;
            this.mapping = mapping;
            this.state = state;
        }
    }

    public DestinationSyncService(MasterStore store, Map<String, DestinationConfig> configs,
                                  Collection<? extends DestinationWriterFactory> writerFactories, Clock clock,
                                  Sleeper sleeper) {
        this(store, configs, writerFactories, clock, sleeper, () -> ThreadLocalRandom.current().nextDouble());
    }

    public DestinationSyncService(MasterStore store, Map<String, DestinationConfig> configs,
                                  Collection<? extends DestinationWriterFactory> writerFactories, Clock clock,
                                  Sleeper sleeper, DoubleSupplier random) {
        this(store, configs, writerFactories, clock, sleeper, random, Leadership.LOCAL);
    }

    public DestinationSyncService(MasterStore store, Map<String, DestinationConfig> configs,
                                  Collection<? extends DestinationWriterFactory> writerFactories, Clock clock,
                                  Sleeper sleeper, DoubleSupplier random, Leadership leadership) {
        this.leadership = Objects.requireNonNull(leadership, "leadership");
        this.store = Objects.requireNonNull(store, "store");
        this.configs = new TreeMap<>(configs);
        this.configs.keySet().forEach(DestinationsProperties::checkName);
        for (DestinationWriterFactory f : writerFactories) {
            factories.put(f.type(), f);
        }
        this.clock = clock;
        this.sleeper = sleeper;
        this.random = random;
    }

    // ------------------------------------------------------------------------------------------------ public API

    public Set<String> destinationNames() {
        return configs.keySet();
    }

    public DestinationConfig config(String name) {
        DestinationConfig c = configs.get(name);
        if (c == null) {
            throw new IllegalArgumentException("unknown destination: " + name);
        }
        return c;
    }

    /** One sync run of the named destination (the entry point of the YAML route and of benchmarks). */
    public SyncResult runOnce(String name) {
        return run(name, false);
    }

    /** A run that lists our tagged objects and diffs everything, whatever the state says. */
    public SyncResult reconcile(String name) {
        return run(name, true);
    }

    /** Releases the held deletions and runs at once (the confirmed deletions are then carried out). */
    public SyncResult confirmDeletions(String name) {
        config(name);
        Runtime rt = runtime(name);
        rt.lock.lock();
        try {
            DestinationMapping mapping = new DestinationMapping(store, name);
            DestinationState st = mapping.loadState();
            if (st == null || st.held == null) {
                throw new IllegalStateException("no deletions are held for " + name);
            }
            st.held.confirmed = true;
            mapping.saveState(st);
            LOG.info("destination {}: {} held deletions confirmed", name, st.held.identities.size());
        } finally {
            rt.lock.unlock();
        }
        return runOnce(name);
    }

    /** Lifts a quota pause now (an operator who knows the quota is back). */
    public void resume(String name) {
        config(name);
        Runtime rt = runtime(name);
        rt.lock.lock();
        try {
            DestinationMapping mapping = new DestinationMapping(store, name);
            DestinationState st = mapping.loadState();
            if (st != null && st.pausedUntil != null) {
                st.pausedUntil = null;
                st.pauseReason = null;
                mapping.saveState(st);
            }
        } finally {
            rt.lock.unlock();
        }
    }

    /**
     * Renames the destination's calendar (Google calendar summary, CalDAV displayname, Exchange folder display name)
     * after the consolidated calendar was renamed ({@code PUT /calendars/{id}}). Issue #9: being implemented.
     */
    public void renameCalendar(String name, String displayName) {
        throw new UnsupportedOperationException("renaming destination calendars is not built yet");
    }

    /** Drops the cached writer (after a settings change such as a new calendar id or new credentials). */
    public void invalidate(String name) {
        Runtime rt = runtimes.remove(name);
        if (rt != null) {
            rt.writer.close();
        }
    }

    public List<DestinationStatus> statuses() {
        return configs.keySet().stream().map(this::status).toList();
    }

    public DestinationStatus status(String name) {
        DestinationConfig cfg = config(name);
        DestinationState st = Optional.ofNullable(new DestinationMapping(store, name).loadState())
                .orElseGet(DestinationState::new);
        Runtime rt = runtimes.get(name);
        Instant now = clock.instant();
        String state;
        if (!cfg.enabled()) {
            state = "DISABLED";
        } else if (rt != null && rt.lock.isLocked()) {
            state = "RUNNING";
        } else if (st.pausedUntil != null && now.isBefore(st.pausedUntil)) {
            state = "PAUSED";
        } else if (st.held != null && !st.held.identities.isEmpty()) {
            state = "HELD";
        } else if (st.lastResult == null) {
            state = "NEVER_RUN";
        } else if (st.lastResult.outcome() == SyncResult.Outcome.AUTH_REQUIRED) {
            state = "AUTH_REQUIRED";
        } else if (st.lastResult.outcome() == SyncResult.Outcome.FAILED) {
            state = "ERROR";
        } else {
            state = "OK";
        }
        List<DestinationStatus.ParkedView> parked = new ArrayList<>();
        st.parked.forEach((id, p) -> parked.add(new DestinationStatus.ParkedView(id, p.operation(), p.reason(),
                p.message(), p.at())));
        DestinationStatus.HeldView held = st.held == null ? null : new DestinationStatus.HeldView(
                st.held.identities.size(), st.held.reason, st.held.since, st.held.confirmed);
        long current = store.currentChangeSeq();
        return new DestinationStatus(name, cfg.type(), calendarIdOf(name, cfg), state, st.lastRunStart,
                st.lastRunEnd, st.lastResult, st.lastError, st.totalWrites, st.lastSeq,
                Math.max(0, current - st.lastSeq), st.mappedLive, st.pausedUntil, st.pauseReason, parked, held);
    }

    @Override
    public void close() {
        runtimes.values().forEach(rt -> rt.writer.close());
        runtimes.clear();
    }

    // ------------------------------------------------------------------------------------------------ the run

    private SyncResult run(String name, boolean forceFull) {
        DestinationConfig cfg = config(name);
        Instant started = clock.instant();
        if (!cfg.enabled()) {
            return result(name, SyncResult.Outcome.DISABLED, 0, "destination disabled", started);
        }
        long epoch = leadership.writeEpoch();
        if (epoch == Leadership.NOT_LEADER) {
            return result(name, SyncResult.Outcome.NOT_LEADER, 0,
                    "this master does not lead the cluster: destination runs happen on the leader", started);
        }
        Runtime rt;
        try {
            rt = runtime(name);
        } catch (RuntimeException e) {
            return result(name, SyncResult.Outcome.FAILED, 0, "cannot create writer: " + e.getMessage(), started);
        }
        if (!rt.lock.tryLock()) {
            return result(name, SyncResult.Outcome.BUSY, 0, "a run is already in progress", started);
        }
        try {
            DestinationMapping mapping = new DestinationMapping(store, name, epoch);
            rt.fence = mapping;
            DestinationState loaded = mapping.loadState();
            DestinationState st = loaded == null ? new DestinationState() : loaded;
            if (st.pausedUntil != null && started.isBefore(st.pausedUntil)) {
                return result(name, SyncResult.Outcome.PAUSED, st.lastSeq,
                        "paused until " + st.pausedUntil + ": " + st.pauseReason, started);
            }
            st.pausedUntil = null;
            st.pauseReason = null;
            st.lastRunStart = started;
            rt.apiCalls.set(0);
            rt.writeCalls.set(0);
            Run run = new Run(name, cfg, rt, mapping, st);
            SyncResult.Outcome outcome = SyncResult.Outcome.OK;
            String message = null;
            boolean full = forceFull || !st.reconciled;
            try {
                full = sync(run, full);
            } catch (StopRun stop) {
                DestinationException d = stop.cause;
                message = d.getMessage();
                st.lastError = d.reason() + ": " + d.getMessage();
                if (d.kind() == ErrorKind.QUOTA) {
                    outcome = SyncResult.Outcome.PAUSED;
                    st.pausedUntil = pauseUntil(cfg, d);
                    st.pauseReason = d.reason();
                    LOG.warn("destination {}: quota exhausted ({}), paused until {}", name, d.reason(), st.pausedUntil);
                } else if (d.kind() == ErrorKind.AUTH) {
                    outcome = SyncResult.Outcome.AUTH_REQUIRED;
                    LOG.warn("destination {}: not authorized: {}", name, d.getMessage());
                } else {
                    outcome = SyncResult.Outcome.FAILED;
                    LOG.warn("destination {}: run stopped: {}", name, d.getMessage());
                }
            } catch (StaleEpochException fenced) {
                outcome = SyncResult.Outcome.FENCED;
                message = fenced.getMessage();
                LOG.warn("destination {}: run stopped, this master no longer leads: {}", name, fenced.getMessage());
            } catch (RuntimeException e) {
                outcome = SyncResult.Outcome.FAILED;
                message = e.getClass().getSimpleName() + ": " + e.getMessage();
                st.lastError = message;
                LOG.error("destination {}: run failed", name, e);
            } finally {
                st.lastRunEnd = clock.instant();
                st.totalWrites += run.inserted + run.updated + run.deleted;
                SyncResult r = new SyncResult(name, outcome, full, run.inserted, run.updated, run.deleted,
                        run.unchanged, run.parked, st.held == null ? 0 : st.held.identities.size(),
                        rt.apiCalls.get(), rt.writeCalls.get(), run.retries, run.waitedMillis, st.lastSeq, message,
                        started, st.lastRunEnd);
                st.lastResult = r;
                if (outcome == SyncResult.Outcome.OK) {
                    st.lastError = null;
                    st.lastSuccess = st.lastRunEnd;
                } else if (outcome == SyncResult.Outcome.FAILED || outcome == SyncResult.Outcome.AUTH_REQUIRED) {
                    st.failedRuns++;
                }
                if (outcome != SyncResult.Outcome.FENCED) {
                    try {
                        mapping.saveState(st);
                    } catch (StaleEpochException fenced) {
                        LOG.warn("destination {}: run state not saved, this master no longer leads: {}", name,
                                fenced.getMessage());
                        st.lastResult = fenced(r, fenced);
                    }
                }
            }
            SyncResult r = st.lastResult;
            LOG.info("destination {}: {} full={} +{} ~{} -{} ={} parked={} held={} calls={} writes={} retries={}",
                    name, r.outcome(), r.fullReconcile(), r.inserted(), r.updated(), r.deleted(), r.unchanged(),
                    r.parked(), r.held(), r.apiCalls(), r.writeCalls(), r.retries());
            return r;
        } finally {
            rt.fence = null;
            rt.lock.unlock();
        }
    }

    private static SyncResult fenced(SyncResult r, StaleEpochException e) {
        return new SyncResult(r.destination(), SyncResult.Outcome.FENCED, r.fullReconcile(), r.inserted(), r.updated(),
                r.deleted(), r.unchanged(), r.parked(), r.held(), r.apiCalls(), r.writeCalls(), r.retries(),
                r.waitedMillis(), r.lastSeq(), e.getMessage(), r.startedAt(), r.finishedAt());
    }

    /** The body of a run; returns whether it was a full reconcile. Throws {@link StopRun} to stop. */
    private boolean sync(Run run, boolean full) {
        DestinationState st = run.state;
        Set<String> repair = new HashSet<>();
        LinkedHashSet<String> identities = new LinkedHashSet<>();
        String cursor = null;
        long target = store.currentChangeSeq();
        if (!full) {
            try {
                RemoteChanges changes = call(run, () -> run.rt.writer.readChanges(st.cursor));
                cursor = changes.nextCursor();
                applyRemoteChanges(run, changes.changed(), identities, repair);
            } catch (StopRun stop) {
                if (stop.cause.kind() != ErrorKind.CURSOR_EXPIRED) {
                    throw stop;
                }
                LOG.info("destination {}: change cursor expired, full resync", run.name);
                st.cursor = null;
                full = true;
            }
        }
        if (full) {
            target = store.currentChangeSeq();
            cursor = reconcileMapping(run, identities);
        } else {
            long after = st.lastSeq;
            while (true) {
                List<ChangeEntry> page = store.changesSince(after, Math.max(1, run.config.pageSize()));
                if (page.isEmpty()) {
                    break;
                }
                for (ChangeEntry e : page) {
                    identities.add(e.identity());
                    after = Math.max(after, e.seq());
                }
                if (after >= target) {
                    target = after;
                    break;
                }
            }
        }
        if (st.held != null) {
            identities.addAll(st.held.identities);
        }
        List<Op> upserts = new ArrayList<>();
        List<Op> deletes = new ArrayList<>();
        plan(run, identities, repair, upserts, deletes);
        deletes = guard(run, deletes);
        // series masters before their overrides, override deletes before master deletes; each group batched
        execute(run, upserts.stream().filter(op -> !op.override()).toList());
        // overrides, with those of series reset by a master write above (written again although unchanged); a master
        // written inline before its first override may reset its series too: its other overrides follow
        execute(run, withResetOverrides(run, upserts.stream().filter(Op::override).toList()));
        for (List<Op> more = withResetOverrides(run, List.of()); !more.isEmpty();
             more = withResetOverrides(run, List.of())) {
            execute(run, more);
        }
        finishResets(run);
        execute(run, deletes.stream().filter(Op::override).toList());
        execute(run, deletes.stream().filter(op -> !op.override()).toList());
        st.lastSeq = Math.max(st.lastSeq, target);
        st.cursor = cursor;
        st.reconciled = true;
        return full;
    }

    /** Remote changes of our objects: adopt unknown ones, repair edited/deleted ones; ignore foreign ones. */
    private void applyRemoteChanges(Run run, List<RemoteEvent> changed, Set<String> identities, Set<String> repair) {
        for (RemoteEvent re : changed) {
            if (!re.ours()) {
                continue;
            }
            Optional<MappingEntry> current = run.mapping.get(re.identity());
            if (current.isEmpty()) {
                adopt(run, re);
                identities.add(re.identity());
                continue;
            }
            MappingEntry m = current.get();
            if (Objects.equals(m.version(), re.version()) || (re.cancelled() && m.deleted())) {
                continue;
            }
            LOG.info("destination {}: our event {} was {} outside Chronoroute; repairing", run.name, re.identity(),
                    re.cancelled() ? "deleted" : "changed");
            if (re.cancelled() && m.live()) {
                run.mapping.put(re.identity(), new MappingEntry(m.remoteId(), re.version(), m.contentHash(), true,
                        m.recurrenceId(), m.seriesIdentity(), m.writtenAt()));
                run.state.mappedLive = Math.max(0, run.state.mappedLive - 1);
            }
            repair.add(re.identity());
            identities.add(re.identity());
        }
    }

    private void adopt(Run run, RemoteEvent re) {
        run.mapping.put(re.identity(), new MappingEntry(re.remoteId(), re.version(), re.contentHash(), re.cancelled(),
                re.recurrenceId(), re.seriesIdentity(), clock.instant()));
        if (!re.cancelled()) {
            run.state.mappedLive++;
        }
    }

    /**
     * Lists our tagged objects and makes the mapping say exactly what they say; returns the baseline cursor.
     * {@code identities} receives every identity to diff: the whole consolidated calendar plus our remote objects
     * the store does not know.
     */
    private String reconcileMapping(Run run, Set<String> identities) {
        Map<String, RemoteEvent> remote = new LinkedHashMap<>();
        List<RemoteEvent> duplicates = new ArrayList<>();
        call(run, () -> {
            remote.clear();
            duplicates.clear();
            run.rt.writer.listOwn(re -> {
                if (!re.ours()) {
                    return;
                }
                RemoteEvent prev = remote.get(re.identity());
                if (prev == null || (prev.cancelled() && !re.cancelled())) {
                    remote.put(re.identity(), re);
                    if (prev != null) {
                        duplicates.add(prev);
                    }
                } else {
                    duplicates.add(re);
                }
            });
            return null;
        });
        String cursor = call(run, () -> run.rt.writer.readChanges(null)).nextCursor();
        long live = 0;
        for (RemoteEvent re : remote.values()) {
            run.mapping.put(re.identity(), new MappingEntry(re.remoteId(), re.version(), re.contentHash(),
                    re.cancelled(), re.recurrenceId(), re.seriesIdentity(), clock.instant()));
            if (!re.cancelled()) {
                live++;
            }
        }
        run.state.mappedLive = live;
        store.forEachConsolidated(true, c -> {
            identities.add(c.identity());
            if (!remote.containsKey(c.identity())) {
                run.mapping.get(c.identity()).ifPresent(stale -> run.mapping.remove(c.identity()));
            }
        });
        identities.addAll(remote.keySet());
        for (RemoteEvent dup : duplicates) {
            if (dup.cancelled()) {
                continue;
            }
            LOG.warn("destination {}: removing duplicate {} of {}", run.name, dup.remoteId(), dup.identity());
            MappingEntry m = new MappingEntry(dup.remoteId(), dup.version(), dup.contentHash(), false,
                    dup.recurrenceId(), dup.seriesIdentity(), null);
            try {
                call(run, () -> {
                    run.rt.writer.delete(new DestinationEvent(dup.identity(), null, dup.contentHash(), null, null,
                            null), m);
                    return null;
                });
                run.deleted++;
            } catch (StopRun stop) {
                if (stop.cause.kind() != ErrorKind.PERMANENT) {
                    throw stop;
                }
                LOG.warn("destination {}: duplicate {} not removed: {}", run.name, dup.remoteId(),
                        stop.cause.getMessage());
            }
        }
        LOG.info("destination {}: reconciled {} tagged objects ({} live)", run.name, remote.size(), live);
        return cursor;
    }

    private void plan(Run run, Collection<String> identities, Set<String> repair, List<Op> upserts, List<Op> deletes) {
        for (String id : identities) {
            ConsolidatedEvent c = store.findConsolidated(id).orElse(null);
            MappingEntry m = run.mapping.get(id).orElse(null);
            CalendarEvent ev = null;
            if (c != null && c.eventJson() != null) {
                try {
                    ev = WireJson.fromJson(c.eventJson());
                } catch (RuntimeException e) {
                    if (!c.deleted()) {
                        park(run, id, c.contentHash(), "upsert", "unreadable", "stored event is not readable: "
                                + e.getMessage());
                        continue;
                    }
                }
            }
            boolean live = c != null && !c.deleted() && ev != null
                    && !("CANCELLED".equalsIgnoreCase(ev.status()) && ev.recurrenceId() == null);
            DestinationState.Parked p = run.state.parked.get(id);
            if (live) {
                boolean same = m != null && m.live() && Objects.equals(c.contentHash(), m.contentHash());
                if (same && !repair.contains(id)) {
                    run.unchanged++;
                    if (ev.recurrenceId() != null) {
                        run.unchangedOverrides.add(id);
                    }
                    if (p != null) {
                        run.state.parked.remove(id);
                    }
                    continue;
                }
                if (p != null && Objects.equals(p.contentHash(), c.contentHash()) && !repair.contains(id)) {
                    continue;
                }
                upserts.add(new Op(OpKind.UPSERT, id, c, ev, m, sourceOf(c, ev)));
            } else if (m != null && m.live()) {
                if (p != null && DELETED_HASH.equals(p.contentHash()) && !repair.contains(id)) {
                    continue;
                }
                deletes.add(new Op(OpKind.DELETE, id, c, ev, m, sourceOf(c, ev)));
            } else {
                run.unchanged++;
                if (p != null && !live) {
                    run.state.parked.remove(id);
                }
            }
        }
    }

    /** Applies the deletion guard; returns the deletions to carry out now. */
    private List<Op> guard(Run run, List<Op> deletes) {
        DestinationState st = run.state;
        DestinationConfig cfg = run.config;
        Set<String> confirmed = st.held != null && st.held.confirmed ? new HashSet<>(st.held.identities) : Set.of();
        List<Op> now = new ArrayList<>();
        List<Op> unconfirmed = new ArrayList<>();
        for (Op op : deletes) {
            (confirmed.contains(op.identity()) ? now : unconfirmed).add(op);
        }
        String reason = null;
        int n = unconfirmed.size();
        if (n > 0 && n >= cfg.deleteGuardMinDeletes() && n > cfg.deleteGuardShare() * st.mappedLive) {
            reason = String.format("this run would delete %d of our %d events (more than %.0f%%)", n, st.mappedLive,
                    cfg.deleteGuardShare() * 100);
        }
        if (reason == null && n > 0) {
            reason = zeroSourceReason(unconfirmed, cfg.zeroSourceMinEvents());
        }
        if (reason == null) {
            st.held = null;
            now.addAll(unconfirmed);
            return now;
        }
        DestinationState.Held held = new DestinationState.Held();
        held.identities = unconfirmed.stream().map(Op::identity).toList();
        held.reason = reason;
        held.since = st.held != null && !st.held.confirmed && st.held.since != null ? st.held.since : clock.instant();
        st.held = held;
        LOG.warn("destination {}: {} deletions HELD: {} (confirm with POST /sync/destinations/{}/confirm-deletions)",
                run.name, n, reason, run.name);
        return now;
    }

    /** A source whose events are all being deleted and that has no live event left ("suddenly reports zero"). */
    private String zeroSourceReason(List<Op> deletes, int minEvents) {
        Map<String, Integer> bySource = new HashMap<>();
        for (Op op : deletes) {
            if (op.source() != null) {
                bySource.merge(op.source(), 1, Integer::sum);
            }
        }
        bySource.values().removeIf(count -> count < Math.max(1, minEvents));
        if (bySource.isEmpty()) {
            return null;
        }
        Set<String> stillLive = new HashSet<>();
        store.forEachConsolidated(false, c -> {
            if (stillLive.size() < bySource.size() && c.eventJson() != null) {
                String s = sourceOf(c, parseOrNull(c.eventJson()));
                if (s != null && bySource.containsKey(s)) {
                    stillLive.add(s);
                }
            }
        });
        for (Map.Entry<String, Integer> e : new TreeMap<>(bySource).entrySet()) {
            if (!stillLive.contains(e.getKey())) {
                return "source " + e.getKey() + " reports zero events (" + e.getValue() + " of ours would be deleted)";
            }
        }
        return null;
    }

    /**
     * Carries out {@code ops} (all upserts or all deletes, in order): in batches of {@code batch-size} when the writer
     * can batch, else one call each. Ops are prepared (series master written first, mapping read) chunk by chunk,
     * so an override's chunk sees the masters written before it.
     */
    private void execute(Run run, List<Op> ops) {
        int size = batchSize(run);
        if (size < 2) {
            for (Op op : ops) {
                Prepared p = prepare(run, op);
                if (p != null) {
                    single(run, p);
                }
            }
            return;
        }
        List<Prepared> chunk = new ArrayList<>(size);
        for (Op op : ops) {
            Prepared p = prepare(run, op);
            if (p == null) {
                continue;
            }
            chunk.add(p);
            if (chunk.size() >= size) {
                batch(run, chunk);
                chunk = new ArrayList<>(size);
            }
        }
        if (!chunk.isEmpty()) {
            batch(run, chunk);
        }
    }

    /** The writer's batch size for this destination, 0 when the writer sends one request per write. */
    private static int batchSize(Run run) {
        if (run.rt.writer instanceof BatchingWriter b) {
            return Math.max(0, Math.min(run.config.batchSize(), b.maxBatchSize()));
        }
        return 0;
    }

    private Prepared prepare(Run run, Op op) {
        return op.kind() == OpKind.UPSERT ? prepareUpsert(run, op) : prepareDelete(run, op);
    }

    private void single(Run run, Prepared p) {
        if (p.op().kind() == OpKind.UPSERT) {
            upsertSingle(run, p);
        } else {
            deleteSingle(run, p);
        }
    }

    /** An upsert outside the batches (the series master of an override that needs it first). */
    private void upsert(Run run, Op op) {
        Prepared p = prepareUpsert(run, op);
        if (p != null) {
            upsertSingle(run, p);
        }
    }

    /**
     * Everything an upsert needs before its request: for an override the series master (written first when it is
     * not current yet; the override is parked when there is none). Null when there is nothing to send (already done
     * in this run, or parked).
     */
    private Prepared prepareUpsert(Run run, Op op) {
        if (!run.done.add(op.identity())) {
            return null;
        }
        CalendarEvent ev = op.event();
        String masterRemoteId = null;
        CalendarEvent master = null;
        String seriesIdentity = null;
        if (ev.recurrenceId() != null) {
            seriesIdentity = masterIdentity(ev);
            MappingEntry mm = run.mapping.get(seriesIdentity).orElse(null);
            ConsolidatedEvent mc = store.findConsolidated(seriesIdentity).orElse(null);
            if ((mm == null || mm.deleted() || !Objects.equals(mm.contentHash(), mc == null ? null : mc.contentHash()))
                    && mc != null && !mc.deleted() && !run.done.contains(seriesIdentity)) {
                CalendarEvent me = parseOrNull(mc.eventJson());
                if (me != null) {
                    upsert(run, new Op(OpKind.UPSERT, seriesIdentity, mc, me, mm, sourceOf(mc, me)));
                    mm = run.mapping.get(seriesIdentity).orElse(null);
                }
            }
            if (mm == null || mm.deleted()) {
                park(run, op.identity(), op.consolidated().contentHash(), "upsert", "seriesMissing",
                        "the series master of this occurrence is not in the destination");
                return null;
            }
            masterRemoteId = mm.remoteId();
            master = mc == null ? null : parseOrNull(mc.eventJson());
        }
        DestinationEvent de = new DestinationEvent(op.identity(), ev, op.consolidated().contentHash(),
                originOf(op.consolidated(), ev), masterRemoteId, master);
        return new Prepared(op, de, seriesIdentity);
    }

    private void upsertSingle(Run run, Prepared p) {
        WriteResult w;
        try {
            w = call(run, () -> run.rt.writer.upsert(p.event(), p.op().mapping()));
        } catch (StopRun stop) {
            if (stop.cause.kind() != ErrorKind.PERMANENT) {
                throw stop;
            }
            park(run, p, stop.cause);
            return;
        }
        upserted(run, p, w);
    }

    /**
     * Bookkeeping right after a successful upsert: the mapping entry, then the counters. A master write that reset
     * its series ({@link WriteResult#seriesReset()}) keeps the previous content hash in its mapping entry until its
     * overrides are written again ({@link #finishResets}): a run that stops before (or a crash) writes the master
     * again next time, and the writer then reports the reset again, so the overrides are never left out.
     */
    private void upserted(Run run, Prepared p, WriteResult w) {
        Op op = p.op();
        CalendarEvent ev = op.event();
        MappingEntry before = op.mapping();
        boolean vanished = run.vanished.remove(op.identity());
        MappingEntry entry = new MappingEntry(w.remoteId(), w.version(), op.consolidated().contentHash(),
                false, ev.recurrenceId() == null ? null : SyncKey.ridText(ev.recurrenceId()), p.seriesIdentity(),
                clock.instant());
        if (w.seriesReset() && ev.recurrenceId() == null) {
            run.mapping.put(op.identity(), new MappingEntry(entry.remoteId(), entry.version(),
                    before == null ? null : before.contentHash(), false, null, null, entry.writtenAt()));
            seriesReset(run, op.identity(), entry);
        } else {
            run.mapping.put(op.identity(), entry);
        }
        if (before == null || before.deleted() || vanished) {
            run.state.mappedLive++;
        }
        run.state.parked.remove(op.identity());
        if (w.created()) {
            run.inserted++;
        } else {
            run.updated++;
        }
    }

    /**
     * Everything a delete needs before its request. An override whose series master is gone needs no request (the
     * occurrence went with the master): it is marked deleted at once and null is returned.
     */
    private Prepared prepareDelete(Run run, Op op) {
        MappingEntry m = op.mapping();
        String masterRemoteId = null;
        CalendarEvent master = null;
        if (m.recurrenceId() != null && m.seriesIdentity() != null) {
            MappingEntry mm = run.mapping.get(m.seriesIdentity()).orElse(null);
            ConsolidatedEvent mc = store.findConsolidated(m.seriesIdentity()).orElse(null);
            if (mm != null && mm.live() && mc != null && !mc.deleted()) {
                masterRemoteId = mm.remoteId();
                master = parseOrNull(mc.eventJson());
            }
        }
        DestinationEvent de = new DestinationEvent(op.identity(), op.event(),
                op.consolidated() == null ? null : op.consolidated().contentHash(), null, masterRemoteId, master);
        boolean callNeeded = m.recurrenceId() == null || master != null;
        if (!callNeeded) {
            deleted(run, op, false);
            return null;
        }
        return new Prepared(op, de, m.seriesIdentity());
    }

    private void deleteSingle(Run run, Prepared p) {
        try {
            call(run, () -> {
                run.rt.writer.delete(p.event(), p.op().mapping());
                return null;
            });
        } catch (StopRun stop) {
            if (stop.cause.kind() != ErrorKind.PERMANENT) {
                throw stop;
            }
            park(run, p, stop.cause);
            return;
        }
        deleted(run, p.op(), true);
    }

    /** Bookkeeping right after a successful delete (or one that needed no request). */
    private void deleted(Run run, Op op, boolean called) {
        MappingEntry m = op.mapping();
        if (called) {
            run.deleted++;
        }
        run.mapping.put(op.identity(), new MappingEntry(m.remoteId(), m.version(), m.contentHash(), true,
                m.recurrenceId(), m.seriesIdentity(), clock.instant()));
        if (!run.vanished.remove(op.identity())) {
            run.state.mappedLive = Math.max(0, run.state.mappedLive - 1);
        }
        run.state.parked.remove(op.identity());
    }

    // ------------------------------------------------------------------------------------------------ series resets

    /**
     * The write of master {@code seriesIdentity} dropped the series' overrides on the destination (EWS: a new
     * {@code t:Recurrence} drops every modified and deleted occurrence). Every override of the series the store holds
     * (live and CANCELLED ones; tombstones need nothing, their occurrence is back to the series) is queued to be
     * written again in this run, after the master, whatever its content hash says; its mapping entry no longer
     * points at anything and is marked deleted until the rewrite books it again.
     *
     * <p>An override whose occurrence the new rule no longer produces cannot be written (EWS answers
     * {@code occurrenceMissing}, a permanent error): it is <b>parked</b> with that reason, visible in the status,
     * and its mapping entry stays deleted (its exception went with the old rule), so the next run makes no write for
     * it; it is tried again when it changes or when its series is reset again (e.g. the old rule comes back).
     */
    private void seriesReset(Run run, String seriesIdentity, MappingEntry masterEntry) {
        run.resetMasters.put(seriesIdentity, masterEntry);
        List<String> overrides = overridesOf(run, seriesIdentity);
        LOG.info("destination {}: series {} was reset by a new or removed rule; its {} overrides are written again", run.name,
                seriesIdentity, overrides.size());
        for (String id : overrides) {
            MappingEntry m = run.mapping.get(id).orElse(null);
            if (m != null && m.live() && run.vanished.add(id)) {
                run.mapping.put(id, new MappingEntry(m.remoteId(), m.version(), m.contentHash(), true,
                        m.recurrenceId(), m.seriesIdentity(), m.writtenAt()));
                run.state.mappedLive = Math.max(0, run.state.mappedLive - 1);
            }
            // an override already taken up in this run is written after this reset (its master goes first)
            if (!run.done.contains(id)) {
                run.resetQueue.add(id);
            }
        }
    }

    /**
     * {@code planned} (override upserts) with the queued overrides of reset series: planned ones get their mapping
     * entry as the reset left it, the others are read from the store and appended. Empties the queue.
     */
    private List<Op> withResetOverrides(Run run, List<Op> planned) {
        if (run.resetQueue.isEmpty()) {
            return planned;
        }
        Set<String> queued = new LinkedHashSet<>(run.resetQueue);
        run.resetQueue.clear();
        List<Op> out = new ArrayList<>(planned.size() + queued.size());
        for (Op op : planned) {
            out.add(queued.remove(op.identity()) ? op.withMapping(run.mapping.get(op.identity()).orElse(null)) : op);
        }
        for (String id : queued) {
            ConsolidatedEvent c = store.findConsolidated(id).orElse(null);
            CalendarEvent ev = c == null || c.deleted() ? null : parseOrNull(c.eventJson());
            if (ev == null || ev.recurrenceId() == null || run.done.contains(id)) {
                continue;
            }
            if (run.unchangedOverrides.remove(id)) {
                run.unchanged--;
            }
            out.add(new Op(OpKind.UPSERT, id, c, ev, run.mapping.get(id).orElse(null), sourceOf(c, ev)));
        }
        return out;
    }

    /** The overrides of every reset series are written (or parked): their masters' mapping entries are now final. */
    private void finishResets(Run run) {
        run.resetMasters.forEach(run.mapping::put);
        run.resetMasters.clear();
    }

    /** Identities of the live overrides (CANCELLED ones included) of a series, from one store pass per run. */
    private List<String> overridesOf(Run run, String seriesIdentity) {
        if (run.overridesBySeries == null) {
            Map<String, List<String>> bySeries = new HashMap<>();
            store.forEachConsolidated(false, c -> {
                String json = c.eventJson();
                // only overrides carry a recurrence id: the others are not parsed
                if (json == null || !(json.contains("recurrence_id") || json.contains("recurrenceId"))) {
                    return;
                }
                CalendarEvent ev = parseOrNull(json);
                if (ev != null && ev.recurrenceId() != null) {
                    bySeries.computeIfAbsent(masterIdentity(ev), k -> new ArrayList<>()).add(c.identity());
                }
            });
            run.overridesBySeries = bySeries;
        }
        return run.overridesBySeries.getOrDefault(seriesIdentity, List.of());
    }

    /**
     * Sends prepared writes as batch requests. Each part is booked exactly as its single call would be, right after
     * the batch answered: done → mapping; permanent error → parked; an answer the batch cannot settle (an insert
     * meeting 409) → the single-call path. Parts with a transient error are sent again (only they) after a backoff
     * that honours the largest Retry-After among them; the attempt count restarts whenever a round settled at least
     * one part, so the run gives up only after {@code max-attempts} rounds in a row without progress. A batch refused
     * as a whole is retried (transient) or its writes go one by one (permanent); quota or auth errors stop the run
     * after the successful parts of that batch are booked.
     */
    private void batch(Run run, List<Prepared> chunk) {
        BatchingWriter writer = (BatchingWriter) run.rt.writer;
        Backoff backoff = run.rt.backoff;
        List<Prepared> pending = chunk;
        int attempt = 0;
        while (true) {
            if (pending.size() == 1) { // a batch of one saves nothing: the plain call, with its own retries
                single(run, pending.get(0));
                return;
            }
            List<BatchingWriter.BatchItem> items = new ArrayList<>(pending.size());
            for (Prepared p : pending) {
                items.add(p.op().kind() == OpKind.UPSERT ? BatchingWriter.BatchItem.upsert(p.event(), p.op().mapping())
                        : BatchingWriter.BatchItem.delete(p.event(), p.op().mapping()));
            }
            List<BatchingWriter.BatchOutcome> outcomes;
            try {
                outcomes = writer.writeBatch(items);
            } catch (InterruptedException ie) {
                Thread.currentThread().interrupt();
                throw new StopRun(new DestinationException(ErrorKind.TRANSIENT, "interrupted", "run interrupted"));
            } catch (StopRun | StaleEpochException stop) {
                throw stop;
            } catch (Exception ex) {
                DestinationException d = writer.classifier().classify(ex);
                if (d.kind() == ErrorKind.TRANSIENT) {
                    if (attempt + 1 >= backoff.maxAttempts()) {
                        throw gaveUp(backoff, d);
                    }
                    run.retries += pending.size();
                    backoffWait(run, backoff.delay(attempt, d.retryAfter()), d);
                    attempt++;
                    continue;
                }
                if (d.kind() == ErrorKind.PERMANENT) {
                    LOG.warn("destination {}: batch of {} refused ({}: {}), sending its writes one by one", run.name,
                            pending.size(), d.reason(), d.getMessage());
                    pending.forEach(p -> single(run, p));
                    return;
                }
                throw new StopRun(d);
            }
            if (outcomes.size() != pending.size()) {
                throw new IllegalStateException("writer answered " + outcomes.size() + " outcomes for "
                        + pending.size() + " batch parts");
            }
            List<Prepared> again = new ArrayList<>();
            List<Prepared> singles = new ArrayList<>();
            DestinationException lastTransient = null;
            Duration retryAfter = null;
            DestinationException stop = null;
            boolean progress = false;
            for (int i = 0; i < pending.size(); i++) {
                Prepared p = pending.get(i);
                BatchingWriter.BatchOutcome o = outcomes.get(i);
                switch (o.status()) {
                    case DONE -> {
                        if (p.op().kind() == OpKind.UPSERT) {
                            upserted(run, p, o.result());
                        } else {
                            deleted(run, p.op(), true);
                        }
                        progress = true;
                    }
                    case SINGLE -> singles.add(p);
                    case FAILED -> {
                        DestinationException d = writer.classifier().classify(o.error());
                        if (d.kind() == ErrorKind.TRANSIENT) {
                            again.add(p);
                            lastTransient = d;
                            if (d.retryAfter() != null
                                    && (retryAfter == null || d.retryAfter().compareTo(retryAfter) > 0)) {
                                retryAfter = d.retryAfter();
                            }
                        } else if (d.kind() == ErrorKind.PERMANENT) {
                            park(run, p, d);
                            progress = true;
                        } else if (stop == null) {
                            stop = d;
                        }
                    }
                }
            }
            if (stop != null) {
                throw new StopRun(stop);
            }
            for (Prepared p : singles) {
                single(run, p);
                progress = true;
            }
            if (again.isEmpty()) {
                return;
            }
            if (progress) {
                attempt = 0;
            }
            if (attempt + 1 >= backoff.maxAttempts()) {
                throw gaveUp(backoff, lastTransient);
            }
            run.retries += again.size();
            backoffWait(run, backoff.delay(attempt, retryAfter), lastTransient);
            attempt++;
            pending = again;
        }
    }

    private void park(Run run, Prepared p, DestinationException d) {
        boolean upsert = p.op().kind() == OpKind.UPSERT;
        park(run, p.op().identity(), upsert ? p.op().consolidated().contentHash() : DELETED_HASH,
                upsert ? "upsert" : "delete", d.reason(), d.getMessage());
    }

    private void park(Run run, String identity, String hash, String operation, String reason, String message) {
        run.parked++;
        run.state.parked.put(identity, new DestinationState.Parked(hash, operation, reason, message, clock.instant()));
        LOG.warn("destination {}: event {} parked ({} failed: {}: {})", run.name, identity, operation, reason, message);
    }

    /** One destination operation with retries on transient errors; anything else stops with its classification. */
    private <T> T call(Run run, ThrowingSupplier<T> action) {
        Backoff backoff = run.rt.backoff;
        for (int attempt = 0; ; attempt++) {
            try {
                return action.get();
            } catch (InterruptedException ie) {
                Thread.currentThread().interrupt();
                throw new StopRun(new DestinationException(ErrorKind.TRANSIENT, "interrupted", "run interrupted"));
            } catch (StopRun | StaleEpochException stop) {
                throw stop;
            } catch (Exception ex) {
                DestinationException d = run.rt.writer.classifier().classify(ex);
                if (d.kind() == ErrorKind.TRANSIENT && attempt + 1 < backoff.maxAttempts()) {
                    run.retries++;
                    backoffWait(run, backoff.delay(attempt, d.retryAfter()), d);
                    continue;
                }
                if (d.kind() == ErrorKind.TRANSIENT) {
                    throw gaveUp(backoff, d);
                }
                throw new StopRun(d);
            }
        }
    }

    private void backoffWait(Run run, Duration wait, DestinationException cause) {
        run.waitedMillis += wait.toMillis();
        LOG.debug("destination {}: {} ({}), retry in {} ms", run.name, cause.reason(), cause.getMessage(),
                wait.toMillis());
        try {
            sleeper.sleep(wait);
        } catch (InterruptedException ie) {
            Thread.currentThread().interrupt();
            throw new StopRun(new DestinationException(ErrorKind.TRANSIENT, "interrupted", "run interrupted"));
        }
    }

    private static StopRun gaveUp(Backoff backoff, DestinationException d) {
        return new StopRun(new DestinationException(ErrorKind.TRANSIENT, d.reason(),
                "gave up after " + backoff.maxAttempts() + " attempts: " + d.getMessage(), null, d));
    }

    @FunctionalInterface
    private interface ThrowingSupplier<T> {
        T get() throws Exception;
    }

    // ------------------------------------------------------------------------------------------------ helpers

    private Runtime runtime(String name) {
        return runtimes.computeIfAbsent(name, n -> {
            DestinationConfig cfg = config(n);
            DestinationWriterFactory f = factories.get(cfg.type());
            if (f == null) {
                throw new IllegalStateException("no writer for destination type '" + cfg.type() + "' (known: "
                        + factories.keySet() + ")");
            }
            TokenBucket bucket = new TokenBucket(cfg.rate(), Math.max(1, cfg.burst()), clock, sleeper);
            Backoff backoff = new Backoff(cfg.backoffBase(), cfg.backoffMax(), Math.max(1, cfg.maxAttempts()), random);
            Runtime[] holder = new Runtime[1];
            RequestGate gate = write -> {
                bucket.acquire();
                Runtime rt = holder[0];
                DestinationMapping fence = rt == null ? null : rt.fence;
                if (write && fence != null) {
                    fence.checkEpoch(); // the last moment before a write request leaves
                }
                if (rt != null) {
                    rt.apiCalls.incrementAndGet();
                    if (write) {
                        rt.writeCalls.incrementAndGet();
                    }
                }
            };
            DestinationWriter writer = f.create(new DestinationContext(n, cfg, store, clock, gate));
            Runtime rt = new Runtime(writer, bucket, backoff);
            holder[0] = rt;
            return rt;
        });
    }

    private String calendarIdOf(String name, DestinationConfig cfg) {
        return store.getSetting(DestinationMapping.settingPrefix(name) + "calendar-id").orElse(cfg.calendarId());
    }

    private Instant pauseUntil(DestinationConfig cfg, DestinationException d) {
        Instant now = clock.instant();
        if (d.retryAfter() != null && !d.retryAfter().isNegative() && !d.retryAfter().isZero()) {
            return now.plus(d.retryAfter());
        }
        if ("dailyLimitExceeded".equals(d.reason())) {
            LocalDate tomorrow = now.atZone(GOOGLE_QUOTA_ZONE).toLocalDate().plusDays(1);
            return tomorrow.atStartOfDay(GOOGLE_QUOTA_ZONE).toInstant();
        }
        return now.plus(cfg.quotaPause());
    }

    private SyncResult result(String name, SyncResult.Outcome outcome, long lastSeq, String message,
                              Instant started) {
        return new SyncResult(name, outcome, false, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, lastSeq, message, started,
                clock.instant());
    }

    static String masterIdentity(CalendarEvent override) {
        return SyncKey.identityOf(CalendarEvent.builder().uid(override.uid()).build());
    }

    private static CalendarEvent parseOrNull(String json) {
        if (json == null) {
            return null;
        }
        try {
            return WireJson.fromJson(json);
        } catch (RuntimeException e) {
            return null;
        }
    }

    /**
     * "agent/source" of an event: the source from the event's origin, the agent from the origin or, as the wire form
     * carries no agent, from the consolidated event's last writer / first origin ("agentId/syncKey").
     */
    static String sourceOf(ConsolidatedEvent c, CalendarEvent ev) {
        Origin o = ev == null ? null : ev.origin();
        if (o == null || o.source() == null) {
            return null;
        }
        String agent = o.agentId();
        if (agent == null && c != null) {
            String w = c.lastWriter() != null ? c.lastWriter() : c.origins().isEmpty() ? null : c.origins().get(0);
            if (w != null) {
                int slash = w.indexOf('/');
                agent = slash < 0 ? w : w.substring(0, slash);
            }
        }
        return (agent == null ? "?" : agent) + "/" + o.source();
    }

    private static String originOf(ConsolidatedEvent c, CalendarEvent ev) {
        String s = sourceOf(c, ev);
        if (s != null) {
            return s;
        }
        if (c.lastWriter() != null) {
            return c.lastWriter();
        }
        return c.origins().isEmpty() ? null : c.origins().get(0);
    }
}
