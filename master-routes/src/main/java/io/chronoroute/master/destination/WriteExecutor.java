package io.chronoroute.master.destination;

import io.chronoroute.master.store.ConsolidatedEvent;
import io.chronoroute.master.store.MasterStore;
import io.chronoroute.master.store.StaleEpochException;
import io.chronoroute.processors.model.CalendarEvent;
import io.chronoroute.processors.sync.SyncKey;
import io.chronoroute.providers.common.Backoff;
import io.chronoroute.providers.common.DestinationException;
import io.chronoroute.providers.common.ErrorKind;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

import static io.chronoroute.master.destination.StoredEvents.masterIdentity;
import static io.chronoroute.master.destination.StoredEvents.originOf;
import static io.chronoroute.master.destination.StoredEvents.parseOrNull;
import static io.chronoroute.master.destination.StoredEvents.sourceOf;

/**
 * Carries out the planned writes of a run: each call through the token bucket (the writer's gate), transient errors
 * retried with backoff ({@link RetryingCalls}), permanent errors park that event, quota/auth stop the run. A writer
 * that is a {@link BatchingWriter} gets the writes in batches of {@code batch-size}; each part is then booked, retried
 * or parked on its own, as its single call would be. The mapping is updated right after each write; a master write
 * that reset its series hands its overrides to {@link SeriesResets}.
 */
final class WriteExecutor {

    private static final Logger LOG = LoggerFactory.getLogger(WriteExecutor.class);
    static final String DELETED_HASH = "deleted";

    private final MasterStore store;
    private final Clock clock;
    private final RetryingCalls calls;
    private final SeriesResets resets;

    WriteExecutor(MasterStore store, Clock clock, RetryingCalls calls, SeriesResets resets) {
        this.store = store;
        this.clock = clock;
        this.calls = calls;
        this.resets = resets;
    }

    /**
     * Carries out {@code ops} (all upserts or all deletes, in order): in batches of {@code batch-size} when the writer
     * can batch, else one call each. Ops are prepared (series master written first, mapping read) chunk by chunk,
     * so an override's chunk sees the masters written before it.
     */
    void execute(SyncRun run, List<SyncOp> ops) {
        int size = batchSize(run);
        if (size < 2) {
            for (SyncOp op : ops) {
                SyncOp.Prepared p = prepare(run, op);
                if (p != null) {
                    single(run, p);
                }
            }
            return;
        }
        List<SyncOp.Prepared> chunk = new ArrayList<>(size);
        for (SyncOp op : ops) {
            SyncOp.Prepared p = prepare(run, op);
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

    void park(SyncRun run, String identity, String hash, String operation, String reason, String message) {
        run.parked++;
        run.state.parked.put(identity, new DestinationState.Parked(hash, operation, reason, message, clock.instant()));
        LOG.warn("destination {}: event {} parked ({} failed: {}: {})", run.name, identity, operation, reason, message);
    }

    /** The writer's batch size for this destination, 0 when the writer sends one request per write. */
    private static int batchSize(SyncRun run) {
        if (run.rt.writer instanceof BatchingWriter b) {
            return Math.max(0, Math.min(run.config.batchSize(), b.maxBatchSize()));
        }
        return 0;
    }

    private SyncOp.Prepared prepare(SyncRun run, SyncOp op) {
        return op.kind() == SyncOp.Kind.UPSERT ? prepareUpsert(run, op) : prepareDelete(run, op);
    }

    private void single(SyncRun run, SyncOp.Prepared p) {
        if (p.op().kind() == SyncOp.Kind.UPSERT) {
            upsertSingle(run, p);
        } else {
            deleteSingle(run, p);
        }
    }

    /** An upsert outside the batches (the series master of an override that needs it first). */
    private void upsert(SyncRun run, SyncOp op) {
        SyncOp.Prepared p = prepareUpsert(run, op);
        if (p != null) {
            upsertSingle(run, p);
        }
    }

    /**
     * Everything an upsert needs before its request: for an override the series master (written first when it is
     * not current yet; the override is parked when there is none). Null when there is nothing to send (already done
     * in this run, or parked).
     */
    private SyncOp.Prepared prepareUpsert(SyncRun run, SyncOp op) {
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
                    upsert(run, new SyncOp(SyncOp.Kind.UPSERT, seriesIdentity, mc, me, mm, sourceOf(mc, me)));
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
        return new SyncOp.Prepared(op, de, seriesIdentity);
    }

    private void upsertSingle(SyncRun run, SyncOp.Prepared p) {
        WriteResult w;
        try {
            w = calls.call(run, () -> run.rt.writer.upsert(p.event(), p.op().mapping()));
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
     * overrides are written again ({@link SeriesResets#finish}): a run that stops before (or a crash) writes the
     * master again next time, and the writer then reports the reset again, so the overrides are never left out.
     */
    private void upserted(SyncRun run, SyncOp.Prepared p, WriteResult w) {
        SyncOp op = p.op();
        CalendarEvent ev = op.event();
        MappingEntry before = op.mapping();
        boolean vanished = run.vanished.remove(op.identity());
        MappingEntry entry = new MappingEntry(w.remoteId(), w.version(), op.consolidated().contentHash(),
                false, ev.recurrenceId() == null ? null : SyncKey.ridText(ev.recurrenceId()), p.seriesIdentity(),
                clock.instant());
        if (w.seriesReset() && ev.recurrenceId() == null) {
            run.mapping.put(op.identity(), new MappingEntry(entry.remoteId(), entry.version(),
                    before == null ? null : before.contentHash(), false, null, null, entry.writtenAt()));
            resets.reset(run, op.identity(), entry);
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
    private SyncOp.Prepared prepareDelete(SyncRun run, SyncOp op) {
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
        return new SyncOp.Prepared(op, de, m.seriesIdentity());
    }

    private void deleteSingle(SyncRun run, SyncOp.Prepared p) {
        try {
            calls.call(run, () -> {
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
    private void deleted(SyncRun run, SyncOp op, boolean called) {
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

    private void park(SyncRun run, SyncOp.Prepared p, DestinationException d) {
        boolean upsert = p.op().kind() == SyncOp.Kind.UPSERT;
        park(run, p.op().identity(), upsert ? p.op().consolidated().contentHash() : DELETED_HASH,
                upsert ? "upsert" : "delete", d.reason(), d.getMessage());
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
    private void batch(SyncRun run, List<SyncOp.Prepared> chunk) {
        BatchingWriter writer = (BatchingWriter) run.rt.writer;
        Backoff backoff = run.rt.backoff;
        List<SyncOp.Prepared> pending = chunk;
        int attempt = 0;
        while (true) {
            if (pending.size() == 1) { // a batch of one saves nothing: the plain call, with its own retries
                single(run, pending.get(0));
                return;
            }
            List<BatchingWriter.BatchItem> items = new ArrayList<>(pending.size());
            for (SyncOp.Prepared p : pending) {
                items.add(p.op().kind() == SyncOp.Kind.UPSERT ? BatchingWriter.BatchItem.upsert(p.event(), p.op().mapping())
                        : BatchingWriter.BatchItem.delete(p.event(), p.op().mapping()));
            }
            List<BatchingWriter.BatchOutcome> outcomes;
            try {
                outcomes = writer.writeBatch(items);
            } catch (InterruptedException ie) {
                Thread.currentThread().interrupt();
                throw StopRun.interrupted();
            } catch (StopRun | StaleEpochException stop) {
                throw stop;
            } catch (Exception ex) {
                DestinationException d = writer.classifier().classify(ex);
                if (d.kind() == ErrorKind.TRANSIENT) {
                    if (attempt + 1 >= backoff.maxAttempts()) {
                        throw RetryingCalls.gaveUp(backoff, d);
                    }
                    run.retries += pending.size();
                    calls.backoffWait(run, backoff.delay(attempt, d.retryAfter()), d);
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
            List<SyncOp.Prepared> again = new ArrayList<>();
            List<SyncOp.Prepared> singles = new ArrayList<>();
            DestinationException lastTransient = null;
            Duration retryAfter = null;
            DestinationException stop = null;
            boolean progress = false;
            for (int i = 0; i < pending.size(); i++) {
                SyncOp.Prepared p = pending.get(i);
                BatchingWriter.BatchOutcome o = outcomes.get(i);
                switch (o.status()) {
                    case DONE -> {
                        if (p.op().kind() == SyncOp.Kind.UPSERT) {
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
            for (SyncOp.Prepared p : singles) {
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
                throw RetryingCalls.gaveUp(backoff, lastTransient);
            }
            run.retries += again.size();
            calls.backoffWait(run, backoff.delay(attempt, retryAfter), lastTransient);
            attempt++;
            pending = again;
        }
    }
}
