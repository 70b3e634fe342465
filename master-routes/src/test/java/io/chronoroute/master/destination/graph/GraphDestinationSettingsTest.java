package io.chronoroute.master.destination.graph;

import org.junit.jupiter.api.Test;
import org.springframework.mock.env.MockEnvironment;

import java.time.Duration;

import static org.assertj.core.api.Assertions.assertThat;

/** {@code chronoroute.destinations.<name>.graph.*} binds with defaults; secrets never show in toString. */
class GraphDestinationSettingsTest {

    @Test
    void bindsTheKeysWithDefaultsAndMasksSecrets() {
        MockEnvironment env = new MockEnvironment()
                .withProperty("chronoroute.destinations.m365.graph.tenant", "contoso.onmicrosoft.com")
                .withProperty("chronoroute.destinations.m365.graph.client-id", "app-1")
                .withProperty("chronoroute.destinations.m365.graph.client-secret", "s3cr3t-value")
                .withProperty("chronoroute.destinations.m365.graph.mailbox", "team@contoso.com")
                .withProperty("chronoroute.destinations.m365.graph.calendar", "Consolidated")
                .withProperty("chronoroute.destinations.m365.graph.create-calendar", "true");
        GraphDestinationSettings s = GraphDestinationWriterFactory.bind(env, "m365");
        assertThat(s.tenant()).isEqualTo("contoso.onmicrosoft.com");
        assertThat(s.clientId()).isEqualTo("app-1");
        assertThat(s.mailbox()).isEqualTo("team@contoso.com");
        assertThat(s.calendar()).isEqualTo("Consolidated");
        assertThat(s.createCalendar()).isTrue();
        assertThat(s.graphUrl()).isEqualTo("https://graph.microsoft.com/v1.0");
        assertThat(s.authorityUrl()).isEqualTo("https://login.microsoftonline.com");
        assertThat(s.timeout()).isEqualTo(Duration.ofSeconds(30));
        assertThat(s.toString()).doesNotContain("s3cr3t-value").contains("clientSecret=<set>");
    }
}
