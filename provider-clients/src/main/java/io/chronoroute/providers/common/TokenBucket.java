package io.chronoroute.providers.common;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Client-side rate limit of one destination account (Google: 600 requests/min/user, so 10/s by default). Every API
 * call, retries included, takes one token; when none is left the caller waits through the {@link Sleeper} until
 * one has been refilled. Time comes from the injected {@link Clock}, so a test with a virtual sleeper that advances
 * the clock never waits.
 */
public final class TokenBucket {

    private final double ratePerSecond;
    private final double capacity;
    private final Clock clock;
    private final Sleeper sleeper;
    private final AtomicLong acquired = new AtomicLong();
    private double tokens;
    private Instant last;

    public TokenBucket(double ratePerSecond, int burst, Clock clock, Sleeper sleeper) {
        if (ratePerSecond <= 0 || burst < 1) {
            throw new IllegalArgumentException("rate must be > 0 and burst >= 1");
        }
        this.ratePerSecond = ratePerSecond;
        this.capacity = burst;
        this.clock = clock;
        this.sleeper = sleeper;
        this.tokens = burst;
        this.last = clock.instant();
    }

    /** Takes one token, waiting as long as needed. */
    public synchronized void acquire() throws InterruptedException {
        while (true) {
            refill();
            if (tokens >= 1.0) {
                tokens -= 1.0;
                acquired.incrementAndGet();
                return;
            }
            long waitNanos = (long) Math.ceil((1.0 - tokens) / ratePerSecond * 1_000_000_000L);
            sleeper.sleep(Duration.ofNanos(Math.max(waitNanos, 1_000_000L)));
        }
    }

    /** How many tokens were handed out so far (= API calls made through this bucket). */
    public long acquired() {
        return acquired.get();
    }

    private void refill() {
        Instant now = clock.instant();
        if (now.isAfter(last)) {
            double seconds = Duration.between(last, now).toNanos() / 1e9;
            tokens = Math.min(capacity, tokens + seconds * ratePerSecond);
            last = now;
        }
    }
}
