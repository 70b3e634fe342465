package io.chronoroute.agent.heartbeat;

import io.chronoroute.agent.AgentProperties;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.stereotype.Component;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;

/**
 * When the next heartbeat is due. The heartbeat route's timer ticks every {@code heartbeat-tick}; this gate lets a
 * tick through once {@code interval} has passed. The interval can be changed at runtime (a {@code sync_config}
 * update from the master) and a failing registration or a refused credential backs off exponentially up to
 * {@code max-backoff}.
 */
@Component("heartbeatSchedule")
public class HeartbeatSchedule {

    private static final Logger LOG = LoggerFactory.getLogger(HeartbeatSchedule.class);

    private final Clock clock;
    private final Duration maxBackoff;
    private volatile Duration interval;
    private volatile Instant nextDue = Instant.MIN;
    private volatile int failures;
    private volatile Instant lastTick;

    public HeartbeatSchedule(AgentProperties props, Clock agentClock) {
        this.clock = agentClock;
        this.interval = props.heartbeatInterval();
        this.maxBackoff = props.maxBackoff();
    }

    public boolean isDue() {
        Instant now = clock.instant();
        lastTick = now;
        return !now.isBefore(nextDue);
    }

    /** The heartbeat's work is making progress (a long cycle sends one batch after another): as good as a tick. */
    public void touch() {
        lastTick = clock.instant();
    }

    /**
     * When the heartbeat timer last ticked (or a running cycle last made progress); null before the first tick. The
     * health indicator turns DOWN when this gets old: the timer thread died (an Error kills a java.util.Timer).
     */
    public Instant lastTick() {
        return lastTick;
    }

    public Duration interval() {
        return interval;
    }

    /** A runtime change of the interval; takes effect from now. */
    public void changeInterval(Duration newInterval) {
        if (newInterval.isZero() || newInterval.isNegative()) {
            throw new IllegalArgumentException("interval must be positive: " + newInterval);
        }
        LOG.info("Heartbeat interval changed from {} to {}", interval, newInterval);
        interval = newInterval;
        Instant candidate = clock.instant().plus(newInterval);
        if (candidate.isBefore(nextDue)) {
            nextDue = candidate;
        }
    }

    /** A normal cycle ended: next one after the interval. */
    public void completed() {
        failures = 0;
        nextDue = clock.instant().plus(interval);
    }

    /** A cycle failed in a way that retrying at full speed cannot fix: back off. */
    public Duration backOff() {
        failures = Math.min(failures + 1, 30);
        Duration d = interval.multipliedBy(1L << Math.min(failures - 1, 20));
        if (d.compareTo(maxBackoff) > 0) {
            d = maxBackoff;
        }
        nextDue = clock.instant().plus(d);
        return d;
    }
}
