package io.chronoroute.master.destination;

import io.chronoroute.master.store.ConsolidatedEvent;
import io.chronoroute.master.store.MasterStore;
import io.chronoroute.processors.model.CalendarEvent;
import io.chronoroute.processors.wire.WireJson;

import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Objects;

import static io.chronoroute.master.destination.StoredEvents.sourceOf;

/**
 * The plan of a run, per identity: live and its content hash differs from the mapping (or it is to be repaired) →
 * upsert; gone but mapped live → delete; else nothing, so a second run without changes makes zero write calls. An
 * event parked with the same content is not tried again until it changes.
 */
final class SyncPlanner {

    /** The writes of one run: upserts and deletions, in identity order. */
    record Plan(List<SyncOp> upserts, List<SyncOp> deletes) {
    }

    private final MasterStore store;
    private final WriteExecutor executor;

    SyncPlanner(MasterStore store, WriteExecutor executor) {
        this.store = store;
        this.executor = executor;
    }

    Plan plan(SyncRun run, Collection<String> identities) {
        List<SyncOp> upserts = new ArrayList<>();
        List<SyncOp> deletes = new ArrayList<>();
        for (String id : identities) {
            ConsolidatedEvent c = store.findConsolidated(id).orElse(null);
            MappingEntry m = run.mapping.get(id).orElse(null);
            CalendarEvent ev = null;
            if (c != null && c.eventJson() != null) {
                try {
                    ev = WireJson.fromJson(c.eventJson());
                } catch (RuntimeException e) {
                    if (!c.deleted()) {
                        executor.park(run, id, c.contentHash(), "upsert", "unreadable",
                                "stored event is not readable: " + e.getMessage());
                        continue;
                    }
                }
            }
            boolean live = c != null && !c.deleted() && ev != null
                    && !("CANCELLED".equalsIgnoreCase(ev.status()) && ev.recurrenceId() == null);
            DestinationState.Parked p = run.state.parked.get(id);
            boolean repair = run.repair.contains(id);
            if (live) {
                boolean same = m != null && m.live() && Objects.equals(c.contentHash(), m.contentHash());
                if (same && !repair) {
                    run.unchanged++;
                    if (ev.recurrenceId() != null) {
                        run.unchangedOverrides.add(id);
                    }
                    if (p != null) {
                        run.state.parked.remove(id);
                    }
                    continue;
                }
                if (p != null && Objects.equals(p.contentHash(), c.contentHash()) && !repair) {
                    continue;
                }
                upserts.add(new SyncOp(SyncOp.Kind.UPSERT, id, c, ev, m, sourceOf(c, ev)));
            } else if (m != null && m.live()) {
                if (p != null && WriteExecutor.DELETED_HASH.equals(p.contentHash()) && !repair) {
                    continue;
                }
                deletes.add(new SyncOp(SyncOp.Kind.DELETE, id, c, ev, m, sourceOf(c, ev)));
            } else {
                run.unchanged++;
                if (p != null && !live) {
                    run.state.parked.remove(id);
                }
            }
        }
        return new Plan(upserts, deletes);
    }
}
