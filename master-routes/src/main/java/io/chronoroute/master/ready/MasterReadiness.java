package io.chronoroute.master.ready;

import io.chronoroute.master.store.MasterStore;
import org.apache.camel.CamelContext;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.beans.factory.ObjectProvider;
import org.springframework.boot.context.event.ApplicationReadyEvent;
import org.springframework.context.event.EventListener;
import org.springframework.stereotype.Component;

import java.util.concurrent.locks.ReentrantLock;

/**
 * Whether this master serves requests. The HTTP port opens before Camel starts its routes (Spring starts the web
 * server first, Camel starts on the refreshed context), and platform-http maps a REST route only once its consumer
 * has started: in between every path would answer 404. The master is <b>ready</b> once Spring Boot has signalled
 * {@link ApplicationReadyEvent} (Camel and all its routes started before that), the Camel context reports started,
 * and the store answers. Until then {@link ReadinessGateFilter} answers 503 with {@code Retry-After}.
 *
 * <p>The start is latched: once ready, a later store outage does not close the gate (the routes answer it
 * themselves, and {@code /health} and the readiness probe report it through {@link #storeAnswers()}).
 * The store is pinged at most every {@value #PING_EVERY_MILLIS} ms while not ready, so a flood of early requests
 * costs no store round trips.
 */
@Component
public class MasterReadiness {

    private static final Logger LOG = LoggerFactory.getLogger(MasterReadiness.class);
    static final long PING_EVERY_MILLIS = 500;

    private final ObjectProvider<CamelContext> camel;
    private final ObjectProvider<MasterStore> store;
    private volatile boolean applicationReady;
    private volatile boolean ready;
    private final ReentrantLock pingLock = new ReentrantLock();
    private long lastPingNanos;
    private boolean pinged;
    private volatile String reason = "starting: the routes are not started yet";

    public MasterReadiness(ObjectProvider<CamelContext> camel, ObjectProvider<MasterStore> store) {
        this.camel = camel;
        this.store = store;
    }

    @EventListener(ApplicationReadyEvent.class)
    public void applicationReady() {
        applicationReady = true;
        ready();
    }

    /** True once every route has started and the store has answered (latched). */
    public boolean ready() {
        if (ready) {
            return true;
        }
        if (!applicationReady) {
            return false;
        }
        CamelContext ctx = camel.getIfAvailable();
        if (ctx == null || !ctx.isStarted()) {
            reason = "starting: the routes are not started yet";
            return false;
        }
        // one thread pings at a time; the others answer "not ready" at once instead of queueing behind a slow store
        if (!pingLock.tryLock()) {
            return ready;
        }
        try {
            if (ready) {
                return true;
            }
            long now = System.nanoTime();
            if (pinged && now - lastPingNanos < PING_EVERY_MILLIS * 1_000_000L) {
                return false;
            }
            pinged = true;
            lastPingNanos = now;
            String down = storeProblem();
            if (down != null) {
                reason = "starting: the store does not answer (" + down + ")";
                return false;
            }
            ready = true;
            reason = null;
            LOG.info("Master ready: {} routes started and the store answers; requests are served from now on",
                    ctx.getRoutesSize());
            return true;
        } finally {
            pingLock.unlock();
        }
    }

    /** Why the master is not ready (null when it is). */
    public String reason() {
        return ready ? null : reason;
    }

    /** A live store round trip: null when the store answers, else what went wrong. */
    public String storeProblem() {
        try {
            store.getObject().currentChangeSeq();
            return null;
        } catch (RuntimeException e) {
            return e.getClass().getSimpleName() + (e.getMessage() == null ? "" : ": " + e.getMessage());
        }
    }

    /** A live store round trip. */
    public boolean storeAnswers() {
        return storeProblem() == null;
    }
}
