package io.chronoroute.master.destination.google;

import io.chronoroute.testsupport.google.FakeGoogleTokenEndpoint;

import io.chronoroute.master.destination.DestinationConfig;
import io.chronoroute.master.destination.SecretBox;
import io.chronoroute.master.store.embedded.EmbeddedMasterStore;
import io.chronoroute.processors.model.EventTime;
import io.chronoroute.providers.common.DestinationException;
import io.chronoroute.providers.common.ErrorKind;
import io.chronoroute.providers.google.GoogleOAuth;
import io.chronoroute.testsupport.MutableClock;
import org.apache.camel.impl.DefaultCamelContext;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.time.LocalDate;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class GoogleIdsAndOAuthTest {

    @Test
    void idsAreBase32hexOfTheIdentityAndReversible() {
        String identity = "0123456789abcdef0123456789abcdef";
        String id = GoogleIds.eventId(identity);
        assertThat(id).matches("[a-v0-9]{26}");
        assertThat(GoogleIds.identityOf(id)).isEqualTo(identity);
        assertThat(GoogleIds.eventId(identity)).isEqualTo(id);
        assertThat(GoogleIds.identityOf("foreign_event_id")).isNull();
        assertThat(GoogleIds.base32hex(new byte[] {'f', 'o', 'o', 'b', 'a', 'r'})).isEqualTo("cpnmuoj1e8"); // RFC 4648 §10 test vector
        assertThat(GoogleIds.instanceId("abcde", EventTime.ofInstant(Instant.parse("2025-10-26T08:00:00Z"),
                "Europe/Berlin"), null)).isEqualTo("abcde_20251026T080000Z");
        assertThat(GoogleIds.instanceId("abcde", EventTime.ofDate(LocalDate.of(2025, 10, 26)), null))
                .isEqualTo("abcde_20251026");
    }

    @Test
    void authUrlCodeExchangeAndEncryptedRefreshToken(@TempDir Path dir) throws Exception {
        MutableClock clock = MutableClock.at("2025-10-01T00:00:00Z");
        try (FakeGoogleTokenEndpoint tokens = new FakeGoogleTokenEndpoint();
             EmbeddedMasterStore store = new EmbeddedMasterStore(dir.resolve("s"), 4, false)) {
            DestinationConfig cfg = DestinationConfig.defaults("google").withGoogle(DestinationConfig.Google.defaults()
                    .withEndpoints("http://127.0.0.1:1/", tokens.uri())
                    .withClient("client-1", "secret-1", "http://localhost/cb"));
            GoogleDestinationWriterFactory f = new GoogleDestinationWriterFactory(new DefaultCamelContext(),
                    SecretBox.create(null, dir));
            GoogleOAuth oauth = f.oauth("g", cfg, store, clock);
            String url = oauth.authUrl(null, "st4te");
            assertThat(url).startsWith("https://accounts.google.com/o/oauth2/v2/auth?client_id=client-1")
                    .contains("access_type=offline").contains("state=st4te").contains("redirect_uri=http%3A%2F%2Flocalhost%2Fcb")
                    .doesNotContain("secret-1");
            assertThatThrownBy(oauth::accessToken).isInstanceOf(DestinationException.class)
                    .satisfies(e -> assertThat(((DestinationException) e).kind()).isEqualTo(ErrorKind.AUTH));

            GoogleOAuth.Tokens t = oauth.exchangeCode(FakeGoogleTokenEndpoint.CODE, null);
            assertThat(t.refreshToken()).isEqualTo(FakeGoogleTokenEndpoint.REFRESH);
            assertThat(t.toString()).doesNotContain(FakeGoogleTokenEndpoint.REFRESH);
            f.storeRefreshToken("g", store, t.refreshToken());
            String stored = store.getSetting(GoogleDestinationWriterFactory.refreshTokenKey("g")).orElseThrow();
            assertThat(stored).startsWith("v1:").doesNotContain(FakeGoogleTokenEndpoint.REFRESH);

            GoogleOAuth fresh = f.oauth("g", cfg, store, clock);
            assertThat(fresh.accessToken()).isEqualTo("at-2");
            assertThat(fresh.accessToken()).isEqualTo("at-2"); // cached
            clock.advance(Duration.ofMinutes(59).plusSeconds(30));
            assertThat(fresh.accessToken()).isEqualTo("at-3"); // refreshed before expiry
            assertThat(tokens.requests()).last().satisfies(r -> {
                assertThat(r.get("grant_type")).isEqualTo("refresh_token");
                assertThat(r.get("refresh_token")).isEqualTo(FakeGoogleTokenEndpoint.REFRESH);
            });

            assertThatThrownBy(() -> f.oauth("g", cfg, store, clock).exchangeCode("wrong", null))
                    .isInstanceOf(DestinationException.class).hasMessageContaining("invalid_grant")
                    .satisfies(e -> assertThat(e.getMessage()).doesNotContain("secret-1"));
        }
    }
}
