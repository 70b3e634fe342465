package io.chronoroute.processors.conflict;

import java.util.Objects;

/**
 * What to do with one incoming event version.
 *
 * @param outcome  apply it, keep the current consolidated version, or park it for manual resolution
 * @param conflict true when the consolidated version had been changed by someone else (three-way conflict);
 *                 counted in the heartbeat answer's {@code applied.conflicts}
 * @param reason   a short human-readable explanation for logs and the conflict list
 */
public record Decision(Outcome outcome, boolean conflict, String reason) {

    /** The three possible outcomes. */
    public enum Outcome { APPLY_INCOMING, KEEP_CURRENT, PARK }

    public Decision {
        Objects.requireNonNull(outcome, "outcome");
    }

    public static Decision apply(boolean conflict, String reason) {
        return new Decision(Outcome.APPLY_INCOMING, conflict, reason);
    }

    public static Decision keep(boolean conflict, String reason) {
        return new Decision(Outcome.KEEP_CURRENT, conflict, reason);
    }

    public static Decision park(String reason) {
        return new Decision(Outcome.PARK, true, reason);
    }
}
