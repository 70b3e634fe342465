package io.chronoroute.master.destination;

import io.chronoroute.master.cluster.Leadership;
import io.chronoroute.master.ingest.ChangeIngest;
import io.chronoroute.master.store.MasterStore;
import io.chronoroute.master.store.StaleEpochException;
import io.chronoroute.providers.common.Backoff;
import io.chronoroute.providers.common.DestinationErrorClassifier;
import io.chronoroute.providers.common.DestinationException;
import io.chronoroute.providers.common.ErrorKind;
import io.chronoroute.providers.common.RequestGate;
import io.chronoroute.providers.common.Sleeper;
import io.chronoroute.providers.common.TokenBucket;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.time.Clock;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ThreadLocalRandom;
import java.util.function.DoubleSupplier;
import java.util.function.Supplier;

/**
 * Writes the consolidated calendar into one configured destination, minimally and safely. One run
 * ({@link #runOnce(String)}):
 * <ol>
 *   <li><b>Paused?</b> After "quota exhausted" nothing is sent until {@code pausedUntil}.</li>
 *   <li><b>Remote changes</b> ({@link ChangeFeed}). With a cursor: read the destination's changes; our objects
 *       edited or deleted outside Chronoroute (version differs from the mapping) become changes of the consolidated
 *       calendar in two-way sync ({@link DestinationEdits}, through the {@link ChangeIngest}) or are repaired in
 *       one-way sync (the master is the source of truth); our objects missing from the mapping (crash between write
 *       and mapping update) are adopted. Foreign objects are ignored (two-way with {@code create-target}: created
 *       at that source). Cursor expired (Google 410) → full reconcile.</li>
 *   <li><b>Full reconcile</b> (first run, lost store, expired cursor, or asked for): list every object with our owner
 *       tag, rebuild the mapping from the tags (identity, content hash, version), then diff the whole consolidated
 *       calendar. Otherwise: the identities changed since {@code lastSeq} (store change log).</li>
 *   <li><b>Plan</b> ({@link SyncPlanner}) per identity: live and hash differs from the mapping → upsert; gone but mapped live → delete;
 *       else nothing (a second run without changes makes zero write calls).</li>
 *   <li><b>Deletion guard</b> ({@link DeletionGuard}): deletions the master writes above {@code delete-guard-share} of our live objects, or all events of a
 *       source that now reports none, are held (shown in the status) until confirmed.</li>
 *   <li><b>Execute</b> ({@link WriteExecutor}; series resets: {@link SeriesResets}) (series masters before overrides; override deletes before master deletes), each call through
 *       the token bucket, transient errors retried with backoff (Retry-After honoured); permanent errors park that
 *       event; quota pauses the destination; auth stops the run. The mapping is updated right after each write.
 *       A writer that is a {@link BatchingWriter} gets the writes in batches of {@code batch-size} (one token per
 *       part); each part is then booked, retried or parked on its own, as its single call would be. A master write
 *       that reset its series on the destination ({@link WriteResult#seriesReset()}) has all the series' overrides
 *       written again in the same run, after it.</li>
 *   <li><b>Progress</b>: {@code lastSeq} and the cursor are saved only when every write the run covers succeeded (or
 *       was parked/held); a failed run is simply redone, skipping what is already written.</li>
 * </ol>
 * This class holds the public API, the run's frame (lock, leadership, pause, outcome, state) and the order of the
 * steps; each step lives in its own class. Thread-safe: one run per destination at a time (a second caller gets {@code BUSY}).
 *
 * <p><b>Several masters</b> ({@link Leadership}): a run happens only on the leader ({@code NOT_LEADER} elsewhere) and
 * every bookkeeping write carries the epoch of its leadership term; the store refuses a write from a stale epoch, and
 * the gate checks the epoch before every write request, so a master that lost leadership while paused stops at the
 * first refusal ({@code FENCED}) without writing to the destination again.
 */
public class DestinationSyncService implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(DestinationSyncService.class);

    private final MasterStore store;
    private final Map<String, DestinationConfig> configs;
    private final Map<String, DestinationWriterFactory> factories = new HashMap<>();
    private final Clock clock;
    private final Sleeper sleeper;
    private final DoubleSupplier random;
    private final Map<String, DestinationRuntime> runtimes = new ConcurrentHashMap<>();
    private final Leadership leadership;
    private final ChangeFeed feed;
    private final SyncPlanner planner;
    private final DeletionGuard guard;
    private final WriteExecutor executor;
    private final SeriesResets resets;

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
        this(store, configs, writerFactories, clock, sleeper, random, leadership, null);
    }

    /**
     * @param ingest where edits made in a two-way destination go ({@code direction=two-way}), looked up at each run
     *               (Spring: the {@link ChangeIngest} bean, resolved lazily); null, or a supplier giving null = every
     *               destination runs one-way (edits made in the destination are repaired)
     */
    public DestinationSyncService(MasterStore store, Map<String, DestinationConfig> configs,
                                  Collection<? extends DestinationWriterFactory> writerFactories, Clock clock,
                                  Sleeper sleeper, DoubleSupplier random, Leadership leadership,
                                  Supplier<? extends ChangeIngest> ingest) {
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
        RetryingCalls calls = new RetryingCalls(sleeper);
        this.resets = new SeriesResets(store);
        this.executor = new WriteExecutor(store, clock, calls, resets);
        this.planner = new SyncPlanner(store, executor);
        this.guard = new DeletionGuard(store, clock);
        this.feed = new ChangeFeed(store, clock, calls, new DestinationEdits(store, clock, ingest));
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
        DestinationRuntime rt = runtime(name);
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
        DestinationRuntime rt = runtime(name);
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
     * after the consolidated calendar was renamed ({@code PUT /calendars/{id}}). Under the destination's run lock
     * (waits for a run in progress), on the leader only; the call goes through the writer's gate (rate limit, epoch
     * fence) and counts as a write in the status. The name is recorded in the store setting
     * {@code destination.<name>.display-name}.
     *
     * @throws IllegalStateException         when this master does not lead the cluster or the destination is disabled
     * @throws UnsupportedOperationException when this destination's writer cannot rename
     * @throws DestinationException          the provider's error, classified
     */
    public void renameCalendar(String name, String displayName) {
        DestinationConfig cfg = config(name);
        if (displayName == null || displayName.isBlank()) {
            throw new IllegalArgumentException("a calendar name must not be blank");
        }
        if (!cfg.enabled()) {
            throw new IllegalStateException("destination " + name + " is disabled");
        }
        long epoch = leadership.writeEpoch();
        if (epoch == Leadership.NOT_LEADER) {
            throw new IllegalStateException("this master does not lead the cluster: destinations are renamed by the "
                    + "leader");
        }
        DestinationRuntime rt = runtime(name);
        rt.lock.lock();
        try {
            DestinationMapping mapping = new DestinationMapping(store, name, epoch);
            rt.fence = mapping;
            try {
                rt.writer.renameCalendar(displayName);
            } catch (UnsupportedOperationException | StaleEpochException e) {
                throw e;
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw StopRun.interrupted().cause;
            } catch (Exception e) {
                throw rt.writer.classifier().classify(e);
            }
            store.putSetting(DestinationMapping.settingPrefix(name) + "display-name", displayName);
            DestinationState st = Optional.ofNullable(mapping.loadState()).orElseGet(DestinationState::new);
            st.totalWrites++;
            mapping.saveState(st);
            LOG.info("destination {}: calendar renamed to '{}'", name, displayName);
        } finally {
            rt.fence = null;
            rt.lock.unlock();
        }
    }

    /** Drops the cached writer (after a settings change such as a new calendar id or new credentials). */
    public void invalidate(String name) {
        DestinationRuntime rt = runtimes.remove(name);
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
        DestinationRuntime rt = runtimes.get(name);
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
        DestinationRuntime rt;
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
            SyncRun run = new SyncRun(name, cfg, rt, mapping, st);
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
                    st.pausedUntil = pauseUntil(cfg, rt.writer.classifier(), d, clock.instant());
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
            LOG.info("destination {}: {} full={} +{} ~{} -{} ={} parked={} held={} calls={} writes={} retries={} "
                            + "edits={}", name, r.outcome(), r.fullReconcile(), r.inserted(), r.updated(), r.deleted(),
                    r.unchanged(), r.parked(), r.held(), r.apiCalls(), r.writeCalls(), r.retries(), run.edits);
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
    private boolean sync(SyncRun run, boolean full) {
        DestinationState st = run.state;
        Set<String> identities = new LinkedHashSet<>();
        String cursor = null;
        long target = store.currentChangeSeq();
        if (!full) {
            try {
                cursor = feed.readRemote(run, identities);
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
            cursor = feed.reconcile(run, identities);
        } else {
            target = feed.storeChanges(run, target, identities);
        }
        if (st.held != null) {
            identities.addAll(st.held.identities);
        }
        SyncPlanner.Plan plan = planner.plan(run, identities);
        List<SyncOp> deletes = guard.filter(run, plan.deletes());
        List<SyncOp> upserts = plan.upserts();
        // series masters before their overrides, override deletes before master deletes; each group batched
        executor.execute(run, upserts.stream().filter(op -> !op.override()).toList());
        // overrides, with those of series reset by a master write above (written again although unchanged); a master
        // written inline before its first override may reset its series too: its other overrides follow
        executor.execute(run, resets.withResetOverrides(run, upserts.stream().filter(SyncOp::override).toList()));
        for (List<SyncOp> more = resets.withResetOverrides(run, List.of()); !more.isEmpty();
             more = resets.withResetOverrides(run, List.of())) {
            executor.execute(run, more);
        }
        resets.finish(run);
        executor.execute(run, deletes.stream().filter(SyncOp::override).toList());
        executor.execute(run, deletes.stream().filter(op -> !op.override()).toList());
        st.lastSeq = Math.max(st.lastSeq, target);
        st.cursor = cursor;
        st.reconciled = true;
        return full;
    }

    // ------------------------------------------------------------------------------------------------ helpers

    private DestinationRuntime runtime(String name) {
        return runtimes.computeIfAbsent(name, n -> {
            DestinationConfig cfg = config(n);
            DestinationWriterFactory f = factories.get(cfg.type());
            if (f == null) {
                throw new IllegalStateException("no writer for destination type '" + cfg.type() + "' (known: "
                        + factories.keySet() + ")");
            }
            TokenBucket bucket = new TokenBucket(cfg.rate(), Math.max(1, cfg.burst()), clock, sleeper);
            Backoff backoff = new Backoff(cfg.backoffBase(), cfg.backoffMax(), Math.max(1, cfg.maxAttempts()), random);
            DestinationRuntime[] holder = new DestinationRuntime[1];
            RequestGate gate = write -> {
                bucket.acquire();
                DestinationRuntime rt = holder[0];
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
            DestinationRuntime rt = new DestinationRuntime(writer, bucket, backoff);
            holder[0] = rt;
            return rt;
        });
    }

    private String calendarIdOf(String name, DestinationConfig cfg) {
        return store.getSetting(DestinationMapping.settingPrefix(name) + "calendar-id").orElse(cfg.calendarId());
    }

    /** Until when a quota error pauses: its Retry-After, else the provider's fixed reset time, else quota-pause. */
    private static Instant pauseUntil(DestinationConfig cfg, DestinationErrorClassifier classifier,
                                      DestinationException d, Instant now) {
        if (d.retryAfter() != null && !d.retryAfter().isNegative() && !d.retryAfter().isZero()) {
            return now.plus(d.retryAfter());
        }
        Instant reset = classifier.quotaResetAfter(d, now);
        return reset != null ? reset : now.plus(cfg.quotaPause());
    }

    private SyncResult result(String name, SyncResult.Outcome outcome, long lastSeq, String message,
                              Instant started) {
        return new SyncResult(name, outcome, false, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, lastSeq, message, started,
                clock.instant());
    }
}
