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
 *
 * <p>A master that is <b>not ready</b> (it answers 503 while it starts, or refuses/resets the connection while it
 * restarts) is retried soon instead: 1 s, 2 s, 4 s, then every 5 s (never later than the interval), for at most
 * {@link #NOT_READY_WINDOW} of continuous unreadiness; after that the normal interval and back-off apply again. So an
 * agent started together with its master delivers within seconds of the master being ready.
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

    /** How long a master may stay "not ready" before the agent falls back to its normal interval and back-off. */
    public static final Duration NOT_READY_WINDOW = Duration.ofMinutes(5);
    private static final Duration NOT_READY_FIRST_RETRY = Duration.ofSeconds(1);
    private static final Duration NOT_READY_MAX_RETRY = Duration.ofSeconds(5);
    private volatile Instant notReadySince;
    private volatile int notReadyRetries;
    private volatile boolean retrySoon;

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

    /**
     * The master is not ready (503, connection refused or reset): the cycle that is ending retries soon, whether it
     * ends with {@link #completed()} or {@link #backOff()}. False once the master has not been ready for longer than
     * {@link #NOT_READY_WINDOW}: then it is an outage, and the normal interval applies.
     */
    public boolean masterNotReady() {
        Instant now = clock.instant();
        if (notReadySince == null) {
            notReadySince = now;
        }
        if (Duration.between(notReadySince, now).compareTo(NOT_READY_WINDOW) > 0) {
            return false;
        }
        retrySoon = true;
        return true;
    }

    /** The master answered: a later unreadiness starts a new window. */
    public void masterAnswered() {
        notReadySince = null;
        notReadyRetries = 0;
    }

    private boolean retrySoonInstead() {
        if (!retrySoon) {
            return false;
        }
        retrySoon = false;
        Duration d = NOT_READY_FIRST_RETRY.multipliedBy(1L << Math.min(notReadyRetries, 10));
        notReadyRetries++;
        if (d.compareTo(NOT_READY_MAX_RETRY) > 0) {
            d = NOT_READY_MAX_RETRY;
        }
        if (d.compareTo(interval) > 0) {
            d = interval;
        }
        nextDue = clock.instant().plus(d);
        return true;
    }

    /** A normal cycle ended: next one after the interval. */
    public void completed() {
        if (retrySoonInstead()) {
            return;
        }
        failures = 0;
        nextDue = clock.instant().plus(interval);
    }

    /** A cycle failed in a way that retrying at full speed cannot fix: back off. */
    public Duration backOff() {
        if (retrySoonInstead()) {
            return Duration.between(clock.instant(), nextDue);
        }
        failures = Math.min(failures + 1, 30);
        Duration d = interval.multipliedBy(1L << Math.min(failures - 1, 20));
        if (d.compareTo(maxBackoff) > 0) {
            d = maxBackoff;
        }
        nextDue = clock.instant().plus(d);
        return d;
    }
}
