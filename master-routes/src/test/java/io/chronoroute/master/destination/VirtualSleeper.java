package io.chronoroute.master.destination;

import io.chronoroute.providers.common.Sleeper;
import io.chronoroute.testsupport.MutableClock;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/** A sleeper that advances the shared test clock instead of waiting, and records every wait. */
public final class VirtualSleeper implements Sleeper {

    private final MutableClock clock;
    private final List<Duration> waits = new ArrayList<>();

    public VirtualSleeper(MutableClock clock) {
        this.clock = clock;
    }

    @Override
    public synchronized void sleep(Duration duration) {
        waits.add(duration);
        clock.advance(duration);
    }

    public synchronized List<Duration> waits() {
        return List.copyOf(waits);
    }

    public synchronized void clear() {
        waits.clear();
    }
}
