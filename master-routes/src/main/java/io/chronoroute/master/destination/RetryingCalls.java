package io.chronoroute.master.destination;

import io.chronoroute.master.store.StaleEpochException;
import io.chronoroute.providers.common.Backoff;
import io.chronoroute.providers.common.DestinationException;
import io.chronoroute.providers.common.ErrorKind;
import io.chronoroute.providers.common.Sleeper;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.time.Duration;

/**
 * One destination call with retries on transient errors (backoff with jitter, Retry-After honoured, waits through
 * the injectable {@link Sleeper}); anything else, or a transient error beyond {@code max-attempts}, stops the run
 * ({@link StopRun}) with its classification. Shared by the change feed (reads) and the write execution.
 */
final class RetryingCalls {

    private static final Logger LOG = LoggerFactory.getLogger(RetryingCalls.class);

    private final Sleeper sleeper;

    RetryingCalls(Sleeper sleeper) {
        this.sleeper = sleeper;
    }

    @FunctionalInterface
    interface ThrowingSupplier<T> {
        T get() throws Exception;
    }

    <T> T call(SyncRun run, ThrowingSupplier<T> action) {
        Backoff backoff = run.rt.backoff;
        for (int attempt = 0; ; attempt++) {
            try {
                return action.get();
            } catch (InterruptedException ie) {
                Thread.currentThread().interrupt();
                throw StopRun.interrupted();
            } catch (StopRun | StaleEpochException stop) {
                throw stop;
            } catch (Exception ex) {
                DestinationException d = run.rt.writer.classifier().classify(ex);
                if (d.kind() == ErrorKind.TRANSIENT && attempt + 1 < backoff.maxAttempts()) {
                    run.retries++;
                    backoffWait(run, backoff.delay(attempt, d.retryAfter()), d);
                    continue;
                }
                if (d.kind() == ErrorKind.TRANSIENT) {
                    throw gaveUp(backoff, d);
                }
                throw new StopRun(d);
            }
        }
    }

    void backoffWait(SyncRun run, Duration wait, DestinationException cause) {
        run.waitedMillis += wait.toMillis();
        LOG.debug("destination {}: {} ({}), retry in {} ms", run.name, cause.reason(), cause.getMessage(),
                wait.toMillis());
        try {
            sleeper.sleep(wait);
        } catch (InterruptedException ie) {
            Thread.currentThread().interrupt();
            throw StopRun.interrupted();
        }
    }

    static StopRun gaveUp(Backoff backoff, DestinationException d) {
        return new StopRun(new DestinationException(ErrorKind.TRANSIENT, d.reason(),
                "gave up after " + backoff.maxAttempts() + " attempts: " + d.getMessage(), null, d));
    }
}
