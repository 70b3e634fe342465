package io.chronoroute.master.destination;

import io.chronoroute.master.store.ConsolidatedEvent;
import io.chronoroute.master.store.MasterStore;
import io.chronoroute.processors.model.CalendarEvent;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

import static io.chronoroute.master.destination.StoredEvents.masterIdentity;
import static io.chronoroute.master.destination.StoredEvents.parseOrNull;
import static io.chronoroute.master.destination.StoredEvents.sourceOf;

/**
 * Series resets: a master write that dropped the series' overrides on the destination
 * ({@link WriteResult#seriesReset()}, EWS when {@code t:Recurrence} is set) has every override of the series written
 * again in the same run, after it. This class queues them, hands them to the write execution and books the master's
 * final mapping entry once they are back.
 */
final class SeriesResets {

    private static final Logger LOG = LoggerFactory.getLogger(SeriesResets.class);

    private final MasterStore store;

    SeriesResets(MasterStore store) {
        this.store = store;
    }

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
    void reset(SyncRun run, String seriesIdentity, MappingEntry masterEntry) {
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
    List<SyncOp> withResetOverrides(SyncRun run, List<SyncOp> planned) {
        if (run.resetQueue.isEmpty()) {
            return planned;
        }
        Set<String> queued = new LinkedHashSet<>(run.resetQueue);
        run.resetQueue.clear();
        List<SyncOp> out = new ArrayList<>(planned.size() + queued.size());
        for (SyncOp op : planned) {
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
            out.add(new SyncOp(SyncOp.Kind.UPSERT, id, c, ev, run.mapping.get(id).orElse(null), sourceOf(c, ev)));
        }
        return out;
    }

    /** The overrides of every reset series are written (or parked): their masters' mapping entries are now final. */
    void finish(SyncRun run) {
        run.resetMasters.forEach(run.mapping::put);
        run.resetMasters.clear();
    }

    /** Identities of the live overrides (CANCELLED ones included) of a series, from one store pass per run. */
    private List<String> overridesOf(SyncRun run, String seriesIdentity) {
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
}
