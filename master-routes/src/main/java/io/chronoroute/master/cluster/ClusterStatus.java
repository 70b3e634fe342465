package io.chronoroute.master.cluster;

import java.time.Instant;

/**
 * {@code GET /sync/cluster}: this master and the leader as this master sees them.
 *
 * @param clusterEnabled false: this master is alone and runs everything (then it leads, epoch 0)
 * @param masterId       this master's id
 * @param namespace      the election
 * @param leader         whether this master leads now
 * @param leaderId       the leader's id (this one or another), null when no master holds the lock now
 * @param epoch          the epoch of the leader's term (0 outside a cluster)
 * @param since          when the leader's term began, null when unknown
 * @param leaseMillis    how long a leader that stopped renewing keeps the lock
 * @param storeEpoch     the current epoch in the store: fenced writes with any other epoch are refused
 */
public record ClusterStatus(boolean clusterEnabled, String masterId, String namespace, boolean leader, String leaderId,
                            long epoch, Instant since, long leaseMillis, long storeEpoch) {
}
