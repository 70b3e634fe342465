package io.chronoroute.master.ingest;

/**
 * What the ingest made of one {@link OriginChange}.
 *
 * @param identity    the consolidated event
 * @param outcome     what happened
 * @param contentHash the consolidated event's content hash after the ingest (null when deleted or unknown): a
 *                    destination that made the change records it as written, so it is not rewritten
 * @param reason      why, for REJECTED / KEPT_CURRENT / PARKED; null otherwise
 */
public record OriginResult(String identity, Outcome outcome, String contentHash, String reason) {

    public enum Outcome {
        /** The consolidated event now says what the origin says; fanned out to every other calendar. */
        APPLIED,
        /** The consolidated event already said that (an echo of our own write): nothing written anywhere. */
        UNCHANGED,
        /** A conflict the strategy decided for the current version: the origin's change is overwritten. */
        KEPT_CURRENT,
        /** A conflict parked for manual resolution ({@code chronoroute.conflict-strategy=manual}). */
        PARKED,
        /** Not applied: invalid, unknown event without a create target, ... ({@code reason} says). */
        REJECTED
    }
}
