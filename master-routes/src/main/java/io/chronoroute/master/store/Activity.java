package io.chronoroute.master.store;

import java.time.Instant;

/** One line of the activity log (bounded): when, which agent (or null), what kind, what happened. */
public record Activity(Instant at, String agentId, String kind, String message) {
}
