package io.chronoroute.master.cluster;

import io.chronoroute.master.store.MasterStore;

/**
 * Whether this master may do the work that must run once, and with which fencing epoch. Outside a cluster
 * ({@link #LOCAL}) the one master always may, unfenced; in a cluster only the leader, with the epoch of its current
 * leadership term ({@link RedisClusterService}).
 */
@FunctionalInterface
public interface Leadership {

    /** {@link #writeEpoch()} of a master that does not lead now. */
    long NOT_LEADER = -1;

    /** A master alone: always leads, writes unfenced. */
    Leadership LOCAL = () -> MasterStore.UNFENCED;

    /** The epoch this master's singleton writes carry: {@link MasterStore#UNFENCED}, a term's epoch, or {@link #NOT_LEADER}. */
    long writeEpoch();
}
