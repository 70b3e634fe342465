package io.chronoroute.master.destination;

import io.chronoroute.master.store.MasterStore;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.time.Clock;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;

import static io.chronoroute.master.destination.StoredEvents.parseOrNull;
import static io.chronoroute.master.destination.StoredEvents.sourceOf;

/**
 * The deletion guard over the deletions the master writes to a destination: deletions above
 * {@code delete-guard-share} of our live objects (from {@code delete-guard-min-deletes} on), or all events of a source
 * that now reports none, are held (shown in the status) until confirmed
 * ({@code POST /sync/destinations/{name}/confirm-deletions}).
 */
final class DeletionGuard {

    private static final Logger LOG = LoggerFactory.getLogger(DeletionGuard.class);

    private final MasterStore store;
    private final Clock clock;

    DeletionGuard(MasterStore store, Clock clock) {
        this.store = store;
        this.clock = clock;
    }

    /** Applies the guard; returns the deletions to carry out now (the others are recorded as held). */
    List<SyncOp> filter(SyncRun run, List<SyncOp> deletes) {
        DestinationState st = run.state;
        DestinationConfig cfg = run.config;
        Set<String> confirmed = st.held != null && st.held.confirmed ? new HashSet<>(st.held.identities) : Set.of();
        List<SyncOp> now = new ArrayList<>();
        List<SyncOp> unconfirmed = new ArrayList<>();
        for (SyncOp op : deletes) {
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
        held.identities = unconfirmed.stream().map(SyncOp::identity).toList();
        held.reason = reason;
        held.since = st.held != null && !st.held.confirmed && st.held.since != null ? st.held.since : clock.instant();
        st.held = held;
        LOG.warn("destination {}: {} deletions HELD: {} (confirm with POST /sync/destinations/{}/confirm-deletions)",
                run.name, n, reason, run.name);
        return now;
    }

    /** A source whose events are all being deleted and that has no live event left ("suddenly reports zero"). */
    private String zeroSourceReason(List<SyncOp> deletes, int minEvents) {
        Map<String, Integer> bySource = new HashMap<>();
        for (SyncOp op : deletes) {
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
}
