package io.chronoroute.master.destination.ews;

import io.chronoroute.providers.ews.EwsSettings;
import org.junit.jupiter.api.Test;
import org.springframework.mock.env.MockEnvironment;

import java.time.Duration;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** The EWS settings record carries no Spring annotations: binding still fills the defaults. */
class EwsSettingsBindingTest {

    @Test
    void urlAndUserBindWithTheDefaults() {
        MockEnvironment env = new MockEnvironment()
                .withProperty("chronoroute.destinations.ex.ews.url", "https://mail.example.org/EWS/Exchange.asmx")
                .withProperty("chronoroute.destinations.ex.ews.username", "alice");
        EwsSettings s = EwsDestinationWriterFactory.bind(env, "ex");
        assertThat(s.auth()).isEqualTo(EwsSettings.Auth.BASIC);
        assertThat(s.version()).isEqualTo("Exchange2013");
        assertThat(s.propertySetId()).isEqualTo(EwsSettings.DEFAULT_PROPERTY_SET);
        assertThat(s.timeout()).isEqualTo(Duration.ofSeconds(30));
        assertThat(s.folderId()).isNull();
    }

    @Test
    void ntlmKeysBind() {
        MockEnvironment env = new MockEnvironment()
                .withProperty("chronoroute.destinations.ex.ews.url", "https://mail.example.org/EWS/Exchange.asmx")
                .withProperty("chronoroute.destinations.ex.ews.auth", "ntlm")
                .withProperty("chronoroute.destinations.ex.ews.username", "alice")
                .withProperty("chronoroute.destinations.ex.ews.password", "pw")
                .withProperty("chronoroute.destinations.ex.ews.domain", "CORP")
                .withProperty("chronoroute.destinations.ex.ews.version", "Exchange2010_SP2")
                .withProperty("chronoroute.destinations.ex.ews.timeout", "10s");
        EwsSettings s = EwsDestinationWriterFactory.bind(env, "ex");
        assertThat(s.auth()).isEqualTo(EwsSettings.Auth.NTLM);
        assertThat(s.domain()).isEqualTo("CORP");
        assertThat(s.version()).isEqualTo("Exchange2010_SP2");
        assertThat(s.timeout()).isEqualTo(Duration.ofSeconds(10));
        assertThat(s.toString()).doesNotContain("pw");
    }

    @Test
    void noUrlIsAnError() {
        assertThatThrownBy(() -> EwsDestinationWriterFactory.bind(new MockEnvironment(), "ex"))
                .isInstanceOf(IllegalStateException.class).hasMessageContaining("ews.url is not set");
    }
}
