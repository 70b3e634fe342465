package io.chronoroute.master.feed;

import io.chronoroute.master.rest.ApiException;
import java.time.Duration;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.springframework.beans.factory.annotation.Value;
import org.springframework.stereotype.Component;

/**
 * Bounds the streamed reads of the whole store ({@code /calendar.ics}, {@code /sync/events},
 * {@code /sync/events/fullcalendar}) that run at once ({@code chronoroute.reads.max-concurrent}, default 4). Each
 * holds one store page and one encoded event, so together they cannot take the heap from heartbeats and other
 * requests. A read that finds no slot within {@code chronoroute.reads.max-wait} (default 10 s) is answered 503 with a
 * JSON reason and {@code Retry-After}.
 */
@Component
public class ReadGate {

    private final Semaphore slots;
    private final int max;
    private final Duration maxWait;

    public ReadGate(@Value("${chronoroute.reads.max-concurrent:4}") int max,
                    @Value("${chronoroute.reads.max-wait:10s}") Duration maxWait) {
        if (max < 1) {
            throw new IllegalArgumentException("chronoroute.reads.max-concurrent must be at least 1: " + max);
        }
        this.max = max;
        this.slots = new Semaphore(max, true);
        this.maxWait = maxWait;
    }

    /** Takes a slot; the returned action gives it back (once, however often it is called). */
    Runnable enter() {
        boolean got;
        try {
            got = slots.tryAcquire(maxWait.toMillis(), TimeUnit.MILLISECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            got = false;
        }
        if (!got) {
            throw new ApiException(503, "busy", null, max + " reads of the whole calendar are running; retry in a"
                    + " few seconds (chronoroute.reads.max-concurrent)");
        }
        AtomicBoolean released = new AtomicBoolean();
        return () -> {
            if (released.compareAndSet(false, true)) {
                slots.release();
            }
        };
    }

    /** Slots free now (tests, status). */
    public int available() {
        return slots.availablePermits();
    }
}
