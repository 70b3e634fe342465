package io.chronoroute.providers.common;

import java.time.Duration;

/**
 * Waiting, made injectable: production sleeps the thread, tests pass a virtual sleeper that advances a clock and
 * records the waits (no test ever sleeps).
 */
@FunctionalInterface
public interface Sleeper {

    void sleep(Duration duration) throws InterruptedException;

    Sleeper SYSTEM = d -> {
        if (!d.isNegative() && !d.isZero()) {
            Thread.sleep(d.toMillis(), (int) (d.toNanosPart() % 1_000_000));
        }
    };
}
