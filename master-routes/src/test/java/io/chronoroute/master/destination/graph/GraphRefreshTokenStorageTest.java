package io.chronoroute.master.destination.graph;

import io.chronoroute.master.destination.SecretBox;
import io.chronoroute.master.store.embedded.EmbeddedMasterStore;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.util.concurrent.atomic.AtomicReference;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Which refresh token a Graph destination starts from: a configured one is only the first; a stored (encrypted)
 * successor wins until another value is configured; with none configured, the stored one (device code sign-in).
 */
class GraphRefreshTokenStorageTest {

    static GraphDestinationSettings settings(String refreshToken) {
        return new GraphDestinationSettings("contoso.example", "app-1", null, refreshToken, null, null, false,
                "http://127.0.0.1:1/v1.0", "http://127.0.0.1:1", null);
    }

    @Test
    void theConfiguredTokenIsOnlyTheFirstOne(@TempDir Path dir) throws Exception {
        AtomicReference<GraphDestinationSettings> s = new AtomicReference<>(settings("rt-configured-1"));
        GraphDestinationWriterFactory f = new GraphDestinationWriterFactory(name -> s.get(),
                SecretBox.fromKeyMaterial("test-key"));
        try (EmbeddedMasterStore store = new EmbeddedMasterStore(dir.resolve("s"))) {
            assertThat(f.refreshToken("m", s.get(), store)).isEqualTo("rt-configured-1");
            f.storeRefreshToken("m", store, "rt-rotated-2");
            assertThat(store.getSetting(GraphDestinationWriterFactory.refreshTokenKey("m")).orElseThrow())
                    .startsWith("v1:").doesNotContain("rt-rotated-2");
            assertThat(store.getSetting(GraphDestinationWriterFactory.seedKey("m")).orElseThrow())
                    .doesNotContain("rt-configured-1");
            assertThat(f.refreshToken("m", s.get(), store)).isEqualTo("rt-rotated-2");

            s.set(settings("rt-configured-3")); // the operator configured a new sign-in
            assertThat(f.refreshToken("m", s.get(), store)).isEqualTo("rt-configured-3");
            f.storeRefreshToken("m", store, "rt-rotated-4");
            assertThat(f.refreshToken("m", s.get(), store)).isEqualTo("rt-rotated-4");

            s.set(settings(null)); // none configured: the stored one (device code sign-in)
            assertThat(f.refreshToken("m", s.get(), store)).isEqualTo("rt-rotated-4");
            assertThat(f.refreshToken("other", s.get(), store)).isNull();
        }
    }
}
