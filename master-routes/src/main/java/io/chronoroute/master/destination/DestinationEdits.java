package io.chronoroute.master.destination;

import io.chronoroute.master.ingest.ChangeIngest;
import io.chronoroute.master.ingest.OriginChange;
import io.chronoroute.master.ingest.OriginChanges;
import io.chronoroute.master.ingest.OriginResult;
import io.chronoroute.master.store.ConsolidatedEvent;
import io.chronoroute.master.store.MasterStore;
import io.chronoroute.processors.model.CalendarEvent;
import io.chronoroute.processors.sync.ContentHash;
import io.chronoroute.processors.sync.SyncKey;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.time.Clock;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.function.Supplier;

import static io.chronoroute.master.destination.StoredEvents.parseOrNull;

/**
 * Two-way sync ({@code direction=two-way}): edits made in the destination become changes of the consolidated
 * calendar with origin {@code destination:<name>}, through the one ingest ({@link ChangeIngest}).
 * <ul>
 *   <li>One of our events with a new version: the consolidated event with the destination's value of every field the
 *       writer writes ({@link EventField#merge}). Equal to the consolidated event, SEQUENCE aside (a field we never
 *       write changed, or our own write echoed) → not an edit: the new version is adopted into the mapping and
 *       nothing is written. Else an {@link OriginChange} with the mapping's content hash as its base (the conflict
 *       strategy decides when the consolidated event moved on since our write) and the destination's own
 *       modification time.</li>
 *   <li>One of our events deleted in the destination → a delete {@link OriginChange}.</li>
 *   <li>An event the user created in the destination (no tag; reported by the change feed, so created after the
 *       baseline cursor), when {@code create-target} is set → a create {@link OriginChange}; once applied it is
 *       adopted into the mapping by its remote id, so the next write tags that object instead of creating a
 *       second one. Without {@code create-target} it stays foreign and untouched.</li>
 * </ul>
 * All changes of one run go to the ingest in one call. Per result: APPLIED/UNCHANGED → the mapping records the
 * destination's version with the resulting content hash, so the plan does not write it back; KEPT_CURRENT and
 * REJECTED → repaired as in one-way sync; PARKED → left as it is (not overwritten) until the conflict is resolved.
 * Without an ingest (plain-Java use) every destination runs one-way.
 */
final class DestinationEdits {

    private static final Logger LOG = LoggerFactory.getLogger(DestinationEdits.class);

    private final MasterStore store;
    private final Clock clock;
    private final Supplier<? extends ChangeIngest> ingest;

    DestinationEdits(MasterStore store, Clock clock, Supplier<? extends ChangeIngest> ingest) {
        this.store = store;
        this.clock = clock;
        this.ingest = ingest == null ? () -> null : ingest;
    }

    /** The edits of one run; null when the destination is one-way (or no ingest is wired). */
    Batch begin(SyncRun run) {
        if (!run.config.twoWay()) {
            return null;
        }
        ChangeIngest i = ingest.get();
        return i == null ? null : new Batch(run, i);
    }

    static String origin(String destination) {
        return "destination:" + destination;
    }

    /** {@link ContentHash} of the event with SEQUENCE left out: a destination need not keep our SEQUENCE. */
    static String hashIgnoringSequence(CalendarEvent e) {
        return ContentHash.of(e.toBuilder().sequence(null).build());
    }

    private enum Kind { EDIT, DELETE, CREATE }

    private record Pending(Kind kind, RemoteEvent remote, MappingEntry mapping, OriginChange change) {
    }

    /** Collects the destination edits of one run, then hands them to the ingest in one call. */
    final class Batch {

        private final SyncRun run;
        private final ChangeIngest ingest;
        private final List<Pending> pending = new ArrayList<>();

        private Batch(SyncRun run, ChangeIngest ingest) {
            this.run = run;
            this.ingest = ingest;
        }

        /**
         * One of our events whose version differs from the mapping's. True when it is taken care of here (collected,
         * or its new version adopted as no edit); false → the caller repairs it as in one-way sync.
         */
        boolean offer(RemoteEvent re, MappingEntry m) {
            if (re.cancelled()) {
                if (!m.live()) {
                    return false;
                }
                pending.add(new Pending(Kind.DELETE, re, m,
                        new OriginChange(re.identity(), null, m.contentHash(), re.modified(), null)));
                return true;
            }
            if (re.event() == null) {
                return false; // the writer does not show its content: nothing to merge
            }
            ConsolidatedEvent c = store.findConsolidated(re.identity()).orElse(null);
            CalendarEvent consolidated = c == null ? null : parseOrNull(c.eventJson());
            if (consolidated == null) {
                return false;
            }
            DestinationWriter writer = run.rt.writer;
            CalendarEvent merged = writer.merge(consolidated, re.event());
            if (!c.deleted() && hashIgnoringSequence(merged).equals(hashIgnoringSequence(consolidated))) {
                LOG.debug("destination {}: {} changed in a field we do not write (or our write echoed): adopted",
                        run.name, re.identity());
                run.mapping.put(re.identity(), withVersion(m, re.version()));
                return true;
            }
            pending.add(new Pending(Kind.EDIT, re, m,
                    new OriginChange(re.identity(), merged, m.contentHash(), re.modified(), null)));
            return true;
        }

        /** An object without our tag: a create when {@code create-target} is set, else ignored. */
        void foreign(RemoteEvent re) {
            String target = run.config.createTarget();
            if (target == null || re.cancelled() || re.event() == null) {
                return;
            }
            String identity = SyncKey.identityOf(re.event());
            if (run.mapping.get(identity).isPresent()) {
                return; // already adopted: our next write tags it
            }
            pending.add(new Pending(Kind.CREATE, re, null,
                    new OriginChange(identity, re.event(), null, re.modified(), target)));
        }

        /** Hands the collected changes to the ingest (one call) and books each result. */
        void submit(Set<String> identities) {
            if (pending.isEmpty()) {
                return;
            }
            List<OriginChange> changes = pending.stream().map(Pending::change).toList();
            List<OriginResult> results = ingest.ingest(new OriginChanges(origin(run.name), changes));
            if (results == null || results.size() != changes.size()) {
                throw new IllegalStateException("the ingest answered " + (results == null ? 0 : results.size())
                        + " results for " + changes.size() + " changes of " + origin(run.name));
            }
            for (int i = 0; i < results.size(); i++) {
                book(pending.get(i), results.get(i), identities);
            }
            run.edits += pending.size();
            LOG.info("destination {}: {} edits made in the destination handed to the ingest", run.name,
                    pending.size());
            pending.clear();
        }

        private void book(Pending p, OriginResult r, Set<String> identities) {
            RemoteEvent re = p.remote();
            switch (r.outcome()) {
                case APPLIED, UNCHANGED -> accepted(p, r, identities);
                case PARKED -> LOG.info("destination {}: edit of {} parked as a conflict ({}); left as it is",
                        run.name, p.change().identity(), r.reason());
                case KEPT_CURRENT, REJECTED -> {
                    if (r.outcome() == OriginResult.Outcome.REJECTED) {
                        LOG.warn("destination {}: edit of {} rejected by the ingest: {}", run.name,
                                p.change().identity(), r.reason());
                    }
                    if (p.kind() == Kind.CREATE) {
                        LOG.info("destination {}: event {} created in the destination stays foreign ({}: {})",
                                run.name, re.remoteId(), r.outcome(), r.reason());
                    } else {
                        ChangeFeed.repair(run, re, p.mapping(), identities);
                    }
                }
            }
        }

        private void accepted(Pending p, OriginResult r, Set<String> identities) {
            RemoteEvent re = p.remote();
            MappingEntry m = p.mapping();
            switch (p.kind()) {
                case EDIT -> run.mapping.put(re.identity(), new MappingEntry(m.remoteId(), re.version(),
                        r.contentHash(), false, m.recurrenceId(), m.seriesIdentity(), m.writtenAt()));
                case DELETE -> {
                    run.mapping.put(re.identity(), new MappingEntry(m.remoteId(), re.version(), m.contentHash(), true,
                            m.recurrenceId(), m.seriesIdentity(), clock.instant()));
                    run.state.mappedLive = Math.max(0, run.state.mappedLive - 1);
                }
                case CREATE -> {
                    // ours from now on: the plan writes (and tags) this very object, no second one is created
                    String identity = r.identity() != null ? r.identity() : p.change().identity();
                    CalendarEvent ev = re.event();
                    String rid = ev.recurrenceId() == null ? null : SyncKey.ridText(ev.recurrenceId());
                    String series = ev.recurrenceId() == null ? null : StoredEvents.masterIdentity(ev);
                    run.mapping.put(identity, new MappingEntry(re.remoteId(), re.version(), null, false, rid,
                            series, null));
                    run.state.mappedLive++;
                    identities.add(identity);
                }
            }
        }

        private MappingEntry withVersion(MappingEntry m, String version) {
            return new MappingEntry(m.remoteId(), version, m.contentHash(), m.deleted(), m.recurrenceId(),
                    m.seriesIdentity(), m.writtenAt());
        }
    }

}
