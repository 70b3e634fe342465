package io.chronoroute.master.destination;

import io.chronoroute.master.store.ChangeEntry;
import io.chronoroute.master.store.MasterStore;
import io.chronoroute.providers.common.ErrorKind;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.time.Clock;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;

/**
 * Where the identities of a run come from, on both sides:
 * <ul>
 *   <li><b>The destination's change feed</b> ({@link #readRemote}): our objects changed or deleted outside
 *       Chronoroute (version differs from the mapping) are repaired in one-way sync, or handed to the ingest as
 *       edits in two-way sync ({@link DestinationEdits}); our objects missing from the mapping (crash between write
 *       and mapping update) are adopted. Foreign objects are ignored, except user-created events in two-way sync
 *       with a {@code create-target}.</li>
 *   <li><b>Full reconcile</b> ({@link #reconcile}): list every object with our owner tag, rebuild the mapping from
 *       the tags, remove duplicates, take the whole consolidated calendar; returns the baseline cursor.</li>
 *   <li><b>The store's change log</b> ({@link #storeChanges}): identities changed since {@code lastSeq}.</li>
 * </ul>
 */
final class ChangeFeed {

    private static final Logger LOG = LoggerFactory.getLogger(ChangeFeed.class);

    private final MasterStore store;
    private final Clock clock;
    private final RetryingCalls calls;
    private final DestinationEdits edits;

    ChangeFeed(MasterStore store, Clock clock, RetryingCalls calls, DestinationEdits edits) {
        this.store = store;
        this.clock = clock;
        this.calls = calls;
        this.edits = edits;
    }

    /**
     * Reads the destination's changes since the run's cursor and applies them (see the class comment); returns the
     * next cursor. Throws {@link StopRun} with {@link ErrorKind#CURSOR_EXPIRED} when the cursor is no longer valid.
     */
    String readRemote(SyncRun run, Set<String> identities) {
        RemoteChanges changes = calls.call(run, () -> run.rt.writer.readChanges(run.state.cursor));
        DestinationEdits.Batch batch = edits.begin(run);
        for (RemoteEvent re : changes.changed()) {
            if (!re.ours()) {
                if (batch != null) {
                    batch.foreign(re);
                }
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
            if (batch != null && batch.offer(re, m)) {
                continue;
            }
            repair(run, re, m, identities);
        }
        if (batch != null) {
            batch.submit(identities);
        }
        return changes.nextCursor();
    }

    /** One-way: our object edited or deleted outside Chronoroute is written again from the master's version. */
    static void repair(SyncRun run, RemoteEvent re, MappingEntry m, Set<String> identities) {
        LOG.info("destination {}: our event {} was {} outside Chronoroute; repairing", run.name, re.identity(),
                re.cancelled() ? "deleted" : "changed");
        if (re.cancelled() && m.live()) {
            run.mapping.put(re.identity(), new MappingEntry(m.remoteId(), re.version(), m.contentHash(), true,
                    m.recurrenceId(), m.seriesIdentity(), m.writtenAt()));
            run.state.mappedLive = Math.max(0, run.state.mappedLive - 1);
        }
        run.repair.add(re.identity());
        identities.add(re.identity());
    }

    private void adopt(SyncRun run, RemoteEvent re) {
        run.mapping.put(re.identity(), new MappingEntry(re.remoteId(), re.version(), re.contentHash(), re.cancelled(),
                re.recurrenceId(), re.seriesIdentity(), clock.instant()));
        if (!re.cancelled()) {
            run.state.mappedLive++;
        }
    }

    /** Identities changed in the store after {@code lastSeq}, up to at least {@code target}; returns the new target. */
    long storeChanges(SyncRun run, long target, Set<String> identities) {
        long after = run.state.lastSeq;
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
        return target;
    }

    /**
     * Lists our tagged objects and makes the mapping say exactly what they say; returns the baseline cursor.
     * {@code identities} receives every identity to diff: the whole consolidated calendar plus our remote objects
     * the store does not know.
     */
    String reconcile(SyncRun run, Set<String> identities) {
        Map<String, RemoteEvent> remote = new LinkedHashMap<>();
        List<RemoteEvent> duplicates = new ArrayList<>();
        calls.call(run, () -> {
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
        String cursor = calls.call(run, () -> run.rt.writer.readChanges(null)).nextCursor();
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
                calls.call(run, () -> {
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
}
