package io.chronoroute.agent.source.google;

import com.google.api.services.calendar.Calendar;
import io.chronoroute.providers.common.Backoff;
import io.chronoroute.providers.common.DestinationException;
import io.chronoroute.providers.common.ErrorKind;
import io.chronoroute.providers.common.Sleeper;
import io.chronoroute.providers.common.TokenBucket;
import io.chronoroute.providers.google.GoogleErrorClassifier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.time.Clock;
import java.time.Duration;

/**
 * The Google API calls of one source, each through the shared retry primitives: a {@link TokenBucket} (Google
 * counts requests per minute per user: the source stays below it instead of running into 403/429) and a
 * {@link Backoff} on what {@link GoogleErrorClassifier} calls transient (429, 403 rateLimitExceeded /
 * userRateLimitExceeded, 5xx, I/O), Retry-After honoured. Anything else, or a transient error that outlasts the
 * attempts, is thrown as the classified {@link DestinationException} (status, reason and Google's message only: no
 * header, no token). Waiting goes through the injectable {@link Sleeper}, so tests never sleep.
 */
final class GoogleCalls {

    private static final Logger LOG = LoggerFactory.getLogger(GoogleCalls.class);
    static final GoogleErrorClassifier CLASSIFIER = new GoogleErrorClassifier();

    @FunctionalInterface
    interface Call<T> {
        T run(Calendar api) throws Exception;
    }

    private final String source;
    private final Calendar api;
    private final TokenBucket bucket;
    private final Backoff backoff;
    private final Sleeper sleeper;

    GoogleCalls(String source, Calendar api, double requestsPerSecond, Clock clock, Sleeper sleeper, Backoff backoff) {
        this.source = source;
        this.api = api;
        this.bucket = new TokenBucket(requestsPerSecond, Math.max(1, (int) Math.ceil(requestsPerSecond)), clock,
                sleeper);
        this.backoff = backoff;
        this.sleeper = sleeper;
    }

    /** The default backoff: 1 s doubling to 16 s, 4 attempts (a poll gives up after ~15 s of an outage). */
    static Backoff defaultBackoff() {
        return new Backoff(Duration.ofSeconds(1), Duration.ofSeconds(16), 4, Math::random);
    }

    /** One call, retried while transient; {@code what} names it in the logs. */
    <T> T call(String what, Call<T> call) {
        for (int attempt = 0; ; attempt++) {
            try {
                bucket.acquire();
                return call.run(api);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new DestinationException(ErrorKind.TRANSIENT, "interrupted", "interrupted during " + what);
            } catch (Exception e) {
                DestinationException d = CLASSIFIER.classify(e);
                if (d.kind() != ErrorKind.TRANSIENT || attempt + 1 >= backoff.maxAttempts()) {
                    throw d;
                }
                Duration wait = backoff.delay(attempt, d.retryAfter());
                LOG.debug("Source '{}': {} failed ({}); retry in {} ms", source, what, d.getMessage(), wait.toMillis());
                try {
                    sleeper.sleep(wait);
                } catch (InterruptedException ie) {
                    Thread.currentThread().interrupt();
                    throw d;
                }
            }
        }
    }

    /** The HTTP status of a classified failure (-1 when it was no HTTP answer). */
    static int status(DestinationException e) {
        return GoogleErrorClassifier.statusOf(e);
    }

    /** API calls made so far (retries included). */
    long requests() {
        return bucket.acquired();
    }
}
