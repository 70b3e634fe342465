package io.chronoroute.master.destination;

import io.chronoroute.master.destination.caldav.SyncHarness;
import io.chronoroute.master.ingest.ChangeIngest;
import io.chronoroute.master.ingest.OriginChange;
import io.chronoroute.master.ingest.OriginChanges;
import io.chronoroute.master.ingest.OriginResult;
import io.chronoroute.master.store.ChangeSet;
import io.chronoroute.master.store.ConsolidatedEvent;
import io.chronoroute.processors.sync.ContentHash;
import io.chronoroute.processors.wire.WireJson;

import java.util.ArrayList;
import java.util.List;
import java.util.function.Function;

/**
 * A {@link ChangeIngest} for tests: records every call and answers each change with the outcome {@link #decide}
 * gives (default APPLIED). An APPLIED or UNCHANGED change is applied to the harness's store the way the real ingest
 * would leave it (the event stored as given, or a tombstone), so the next run sees the consolidated calendar the
 * destination edit made.
 */
public final class RecordingIngest implements ChangeIngest {

    private final SyncHarness h;
    public final List<OriginChanges> calls = new ArrayList<>();
    public Function<OriginChange, OriginResult.Outcome> decide = c -> OriginResult.Outcome.APPLIED;

    public RecordingIngest(SyncHarness h) {
        this.h = h;
    }

    @Override
    public List<OriginResult> ingest(OriginChanges changes) {
        calls.add(changes);
        List<OriginResult> out = new ArrayList<>();
        for (OriginChange c : changes.changes()) {
            OriginResult.Outcome o = decide.apply(c);
            String hash = h.store.findConsolidated(c.identity()).map(ConsolidatedEvent::contentHash).orElse(null);
            if (o == OriginResult.Outcome.APPLIED) {
                hash = apply(changes.origin(), c);
            }
            out.add(new OriginResult(c.identity(), o, hash, o == OriginResult.Outcome.APPLIED ? null : "scripted"));
        }
        return out;
    }

    /** Every change handed over, in order, over all calls. */
    public List<OriginChange> changes() {
        return calls.stream().flatMap(c -> c.changes().stream()).toList();
    }

    private String apply(String origin, OriginChange c) {
        ConsolidatedEvent before = h.store.findConsolidated(c.identity()).orElse(null);
        long version = before == null ? 1 : before.version() + 1;
        ChangeSet cs = new ChangeSet();
        if (c.delete()) {
            cs.putConsolidated.add(new ConsolidatedEvent(c.identity(), before.eventJson(), before.contentHash(),
                    List.of(), version, 0, h.clock.instant(), true, null));
            h.store.apply(cs);
            return null;
        }
        String hash = ContentHash.of(c.event());
        cs.putConsolidated.add(new ConsolidatedEvent(c.identity(), WireJson.toJson(c.event()), hash,
                before == null ? List.of(origin) : before.origins(), version, 0, h.clock.instant(), false, origin));
        h.store.apply(cs);
        return hash;
    }
}
