package io.chronoroute.providers.common;

import java.time.Duration;
import java.util.function.DoubleSupplier;

/**
 * Truncated exponential backoff with jitter (Google's advice: 1, 2, 4 ... capped at 32-64 s, randomised).
 * Attempt {@code n} (0-based) waits a random time in {@code [d/2, d]} with {@code d = min(max, base * 2^n)}.
 * A server Retry-After is honoured: the wait is then never shorter than it (plus up to 10% jitter, at most 1 s,
 * so many clients released together do not come back in the same millisecond).
 */
public final class Backoff {

    private final Duration base;
    private final Duration max;
    private final int maxAttempts;
    private final DoubleSupplier random;

    /**
     * @param maxAttempts total attempts of one call, the first included (1 = no retry)
     * @param random      uniform [0,1) source; tests pass a fixed one
     */
    public Backoff(Duration base, Duration max, int maxAttempts, DoubleSupplier random) {
        if (base.isNegative() || max.compareTo(base) < 0 || maxAttempts < 1) {
            throw new IllegalArgumentException("backoff needs 0 <= base <= max and maxAttempts >= 1");
        }
        this.base = base;
        this.max = max;
        this.maxAttempts = maxAttempts;
        this.random = random;
    }

    public int maxAttempts() {
        return maxAttempts;
    }

    /** The wait before retry number {@code attempt + 1}, given the failed attempt's Retry-After (or null). */
    public Duration delay(int attempt, Duration retryAfter) {
        if (retryAfter != null && !retryAfter.isNegative()) {
            long extra = Math.min(1000L, retryAfter.toMillis() / 10);
            return retryAfter.plusMillis((long) (extra * random.getAsDouble()));
        }
        long cap = max.toMillis();
        long d = base.toMillis();
        for (int i = 0; i < attempt && d < cap; i++) {
            d *= 2;
        }
        d = Math.min(d, cap);
        return Duration.ofMillis(d / 2 + (long) ((d - d / 2) * random.getAsDouble()));
    }
}
