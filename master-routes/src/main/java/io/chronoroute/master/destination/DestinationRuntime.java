package io.chronoroute.master.destination;

import io.chronoroute.providers.common.Backoff;
import io.chronoroute.providers.common.TokenBucket;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.ReentrantLock;

/**
 * The live objects of one destination, kept between runs: its writer, rate limit, backoff, run lock and the call
 * counters of the current run.
 */
final class DestinationRuntime {

    final ReentrantLock lock = new ReentrantLock();
    final DestinationWriter writer;
    final TokenBucket bucket;
    final Backoff backoff;
    final AtomicLong apiCalls = new AtomicLong();
    final AtomicLong writeCalls = new AtomicLong();
    /** The mapping of the run in progress: its epoch is checked before every write request. */
    volatile DestinationMapping fence;

    DestinationRuntime(DestinationWriter writer, TokenBucket bucket, Backoff backoff) {
        this.writer = writer;
        this.bucket = bucket;
        this.backoff = backoff;
    }
}
