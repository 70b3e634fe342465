package io.chronoroute.master.ingest;

import org.springframework.stereotype.Component;

import java.util.concurrent.locks.ReentrantLock;
import java.util.function.Supplier;

/**
 * Serializes the consolidation step of the one ingest route (fold, fan-out, apply) within this master: two agents
 * showing the same meeting, or an agent's heartbeat and an edit through the API, must not both read the same
 * consolidated event and then both write their own version of it (the later would drop the other's origin or change).
 * Reading and validating a heartbeat body, the expensive part, happens before and runs in parallel. Held by the
 * route thread from {@code prepareAny} to the end of the route ({@code doFinally}); reentrant, fair.
 */
@Component
public class IngestLock {

    private final ReentrantLock lock = new ReentrantLock(true);

    public void lock() {
        lock.lock();
    }

    /** Releases the lock if this thread holds it (a route that failed before taking it releases nothing). */
    public void unlock() {
        while (lock.isHeldByCurrentThread()) {
            lock.unlock();
        }
    }

    /** Runs {@code action} under the lock (read-modify-write of consolidated events outside the route). */
    public <T> T locked(Supplier<T> action) {
        lock.lock();
        try {
            return action.get();
        } finally {
            lock.unlock();
        }
    }
}
