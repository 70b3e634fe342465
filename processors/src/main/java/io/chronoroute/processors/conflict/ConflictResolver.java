package io.chronoroute.processors.conflict;

import io.chronoroute.processors.model.CalendarEvent;
import io.chronoroute.processors.model.Origin;

import java.time.Instant;
import java.util.Objects;

/**
 * The three-way conflict rule of architecture.md. Inputs are content hashes ({@link
 * io.chronoroute.processors.sync.ContentHash}): {@code base} = the hash this origin last stored (its own previous
 * version), {@code current} = the consolidated event now, {@code incoming} = what the origin sends.
 * <ol>
 *   <li>no current event → apply (new);</li>
 *   <li>incoming equals current → keep, nothing to do;</li>
 *   <li>incoming equals base → keep: the origin has not changed its version, the consolidated event is simply
 *       newer (this keeps seed agents, which resend their whole set every cycle, from re-raising conflicts);</li>
 *   <li>current equals base, or base unknown and the current version came from this same origin (same agent and
 *       source) → apply as a fast-forward;</li>
 *   <li>otherwise the consolidated event was changed by someone else → conflict, settled by the strategy:
 *       {@code latest_wins} compares last-modified (a known time beats an unknown one; a tie, including both
 *       unknown, goes to the incoming version), {@code source_wins} applies, {@code destination_wins} keeps,
 *       {@code manual} parks.</li>
 * </ol>
 * Stateless and thread-safe.
 */
public final class ConflictResolver {

    public Decision decide(ConflictStrategy strategy, String baseHash, String currentHash, CalendarEvent current,
                           String incomingHash, CalendarEvent incoming) {
        Objects.requireNonNull(strategy, "strategy");
        Objects.requireNonNull(incomingHash, "incomingHash");
        if (current == null && currentHash == null) {
            return Decision.apply(false, "new event");
        }
        if (incomingHash.equals(currentHash)) {
            return Decision.keep(false, "unchanged");
        }
        if (incomingHash.equals(baseHash)) {
            return Decision.keep(false, "origin unchanged since its base; consolidated version is newer");
        }
        if (baseHash != null && baseHash.equals(currentHash)) {
            return Decision.apply(false, "fast-forward");
        }
        if (baseHash == null && sameOrigin(current, incoming)) {
            return Decision.apply(false, "fast-forward (no base, current version from the same origin)");
        }
        return switch (strategy) {
            case SOURCE_WINS -> Decision.apply(true, "conflict: source_wins");
            case DESTINATION_WINS -> Decision.keep(true, "conflict: destination_wins");
            case MANUAL -> Decision.park("conflict: parked for manual resolution");
            case LATEST_WINS -> latest(current, incoming);
        };
    }

    private static Decision latest(CalendarEvent current, CalendarEvent incoming) {
        Instant cur = current == null ? null : current.lastModified();
        Instant inc = incoming == null ? null : incoming.lastModified();
        if (inc == null && cur == null) {
            return Decision.apply(true, "conflict: latest_wins, both last_modified unknown, tie goes to incoming");
        }
        if (cur == null) {
            return Decision.apply(true, "conflict: latest_wins, incoming last_modified known, current unknown");
        }
        if (inc == null) {
            return Decision.keep(true, "conflict: latest_wins, current last_modified known, incoming unknown");
        }
        if (inc.isBefore(cur)) {
            return Decision.keep(true, "conflict: latest_wins, current is later (" + cur + " > " + inc + ")");
        }
        return Decision.apply(true, inc.equals(cur)
                ? "conflict: latest_wins, same last_modified, tie goes to incoming"
                : "conflict: latest_wins, incoming is later (" + inc + " > " + cur + ")");
    }

    private static boolean sameOrigin(CalendarEvent current, CalendarEvent incoming) {
        if (current == null || incoming == null) {
            return false;
        }
        Origin a = current.origin();
        Origin b = incoming.origin();
        return a != null && b != null && a.agentId() != null && a.source() != null
                && a.agentId().equals(b.agentId()) && a.source().equals(b.source());
    }
}
