package io.chronoroute.master.destination.caldav;

import io.chronoroute.providers.caldav.CalDavSettings;
import org.junit.jupiter.api.Test;
import org.springframework.mock.env.MockEnvironment;

import java.time.Duration;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** The CalDAV settings record carries no Spring annotations: binding still fills the defaults. */
class CalDavSettingsBindingTest {

    @Test
    void onlyTheUrlGivenBindsWithTheDefaults() {
        MockEnvironment env = new MockEnvironment()
                .withProperty("chronoroute.destinations.dav.caldav.url", "https://dav.example.org/alice/cal");
        CalDavSettings s = CalDavDestinationWriterFactory.bind(env, "dav");
        assertThat(s.url()).isEqualTo("https://dav.example.org/alice/cal/");
        assertThat(s.createCalendar()).isFalse();
        assertThat(s.displayName()).isEqualTo("Chronoroute");
        assertThat(s.timeout()).isEqualTo(Duration.ofSeconds(30));
        assertThat(s.username()).isNull();
    }

    @Test
    void everyKeyBinds() {
        MockEnvironment env = new MockEnvironment()
                .withProperty("chronoroute.destinations.dav.caldav.url", "https://dav.example.org/alice/cal/")
                .withProperty("chronoroute.destinations.dav.caldav.username", "alice")
                .withProperty("chronoroute.destinations.dav.caldav.password", "pw")
                .withProperty("chronoroute.destinations.dav.caldav.bearer-token", "tok")
                .withProperty("chronoroute.destinations.dav.caldav.create-calendar", "true")
                .withProperty("chronoroute.destinations.dav.caldav.display-name", "Team")
                .withProperty("chronoroute.destinations.dav.caldav.timeout", "5s");
        CalDavSettings s = CalDavDestinationWriterFactory.bind(env, "dav");
        assertThat(s).isEqualTo(new CalDavSettings("https://dav.example.org/alice/cal/", "alice", "pw", "tok", true,
                "Team", Duration.ofSeconds(5)));
        assertThat(s.toString()).doesNotContain("pw").doesNotContain("tok");
    }

    @Test
    void noUrlIsAnError() {
        assertThatThrownBy(() -> CalDavDestinationWriterFactory.bind(new MockEnvironment(), "dav"))
                .isInstanceOf(IllegalStateException.class).hasMessageContaining("caldav.url is not set");
    }
}
