package io.chronoroute.providers.common;

import io.chronoroute.testsupport.MutableClock;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

class RetryPrimitivesTest {

    @Test
    void backoffDoublesUpToTheCapAndHonoursRetryAfter() {
        Backoff b = new Backoff(Duration.ofSeconds(1), Duration.ofSeconds(8), 6, () -> 1.0);
        assertThat(b.delay(0, null)).isEqualTo(Duration.ofSeconds(1));
        assertThat(b.delay(2, null)).isEqualTo(Duration.ofSeconds(4));
        assertThat(b.delay(10, null)).isEqualTo(Duration.ofSeconds(8));
        Backoff low = new Backoff(Duration.ofSeconds(1), Duration.ofSeconds(8), 6, () -> 0.0);
        assertThat(low.delay(3, null)).isEqualTo(Duration.ofSeconds(4));
        assertThat(low.delay(0, Duration.ofSeconds(30))).isEqualTo(Duration.ofSeconds(30));
        assertThat(b.delay(0, Duration.ofSeconds(30))).isEqualTo(Duration.ofSeconds(31));
    }

    @Test
    void tokenBucketLimitsTheRateWithoutRealWaiting() throws Exception {
        MutableClock clock = MutableClock.at("2025-01-01T00:00:00Z");
        List<Duration> waits = new ArrayList<>();
        Sleeper sleeper = d -> {
            waits.add(d);
            clock.advance(d);
        };
        TokenBucket bucket = new TokenBucket(10, 10, clock, sleeper);
        for (int i = 0; i < 30; i++) {
            bucket.acquire();
        }
        // 10 at once, then 20 more at 10/s = 2 s of (virtual) waiting
        assertThat(Duration.between(Instant.parse("2025-01-01T00:00:00Z"), clock.instant()))
                .isBetween(Duration.ofMillis(1990), Duration.ofMillis(2100));
        assertThat(bucket.acquired()).isEqualTo(30);
        assertThat(waits).isNotEmpty();
    }

    @Test
    void genericClassifierKeepsClassifiedErrorsAndTellsIoFromTheRest() {
        DestinationException quota = new DestinationException(ErrorKind.QUOTA, "quotaExceeded", "quota");
        assertThat(DestinationErrorClassifier.GENERIC.classify(new RuntimeException("wrapped", quota)))
                .isSameAs(quota);

        DestinationException io = DestinationErrorClassifier.GENERIC.classify(
                new UncheckedIOException(new IOException("connection reset")));
        assertThat(io.kind()).isEqualTo(ErrorKind.TRANSIENT);
        assertThat(io.reason()).isEqualTo("io");
        assertThat(io.getMessage()).contains("connection reset");

        DestinationException other = DestinationErrorClassifier.GENERIC.classify(new IllegalStateException("bug"));
        assertThat(other.kind()).isEqualTo(ErrorKind.PERMANENT);
        assertThat(other.reason()).isEqualTo("unexpected");
        assertThat(DestinationErrorClassifier.GENERIC.quotaResetAfter(quota, Instant.EPOCH)).isNull();
    }
}
