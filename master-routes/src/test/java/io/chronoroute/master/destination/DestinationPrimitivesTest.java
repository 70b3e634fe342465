package io.chronoroute.master.destination;

import io.chronoroute.providers.common.Backoff;
import io.chronoroute.providers.common.TokenBucket;
import io.chronoroute.testsupport.MutableClock;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.time.Instant;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class DestinationPrimitivesTest {

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
        VirtualSleeper sleeper = new VirtualSleeper(clock);
        TokenBucket bucket = new TokenBucket(10, 10, clock, sleeper);
        for (int i = 0; i < 30; i++) {
            bucket.acquire();
        }
        // 10 at once, then 20 more at 10/s = 2 s of (virtual) waiting
        assertThat(Duration.between(Instant.parse("2025-01-01T00:00:00Z"), clock.instant()))
                .isBetween(Duration.ofMillis(1990), Duration.ofMillis(2100));
        assertThat(bucket.acquired()).isEqualTo(30);
    }

    @Test
    void secretBoxEncryptsWithAGeneratedPrivateKeyFile(@TempDir Path dir) throws Exception {
        SecretBox box = SecretBox.create(null, dir);
        Path key = dir.resolve("destination-secret.key");
        assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(key))).isEqualTo("rw-------");
        String sealed = box.encrypt("1//refresh-token", "destination.g.google.refresh-token");
        assertThat(sealed).startsWith("v1:").doesNotContain("refresh-token");
        assertThat(SecretBox.create(null, dir).decrypt(sealed, "destination.g.google.refresh-token"))
                .isEqualTo("1//refresh-token");
        assertThatThrownBy(() -> box.decrypt(sealed, "destination.other.google.refresh-token"))
                .isInstanceOf(IllegalStateException.class);
        assertThatThrownBy(() -> SecretBox.fromKeyMaterial("another passphrase")
                .decrypt(sealed, "destination.g.google.refresh-token")).isInstanceOf(IllegalStateException.class);
        assertThat(box.toString()).doesNotContain(Files.readString(key));
    }

    @Test
    void configToStringMasksSecrets() {
        DestinationConfig c = DestinationConfig.defaults("google").withGoogle(DestinationConfig.Google.defaults()
                .withClient("id", "top-secret", null).withRefreshToken("rt-secret"));
        assertThat(c.toString()).doesNotContain("top-secret").doesNotContain("rt-secret").contains("<set>");
    }
}
