package io.chronoroute.agent.source.olk;

import io.chronoroute.agent.AgentProperties;
import io.chronoroute.agent.source.SourceRegistry;
import io.chronoroute.agent.state.AgentState;
import io.chronoroute.olk15.fixture.FixtureBuilder;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.springframework.boot.actuate.health.Health;
import org.springframework.boot.actuate.health.Status;

import java.io.IOException;
import java.net.URI;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Issue #15: an Outlook for Mac source whose timer stopped (an Error kills a java.util.Timer's thread) must not look
 * alive: the "outlookMac" health component turns DOWN after 3 poll delays plus a minute without a run, and UP again
 * when it runs. The clock is driven by the test.
 */
class OutlookMacHealthTest {

    @TempDir
    Path tmp;

    @Test
    void aSourceWhoseTimerStoppedIsDown() throws IOException {
        OutlookMacSourceTest.MutableClock clock = new OutlookMacSourceTest.MutableClock();
        AgentProperties props = new AgentProperties("agent-1", "t", "test", URI.create("http://127.0.0.1:1"), null,
                Duration.ofSeconds(30), Duration.ofSeconds(1), Duration.ofSeconds(1), 5000, 20, Duration.ofSeconds(5),
                Duration.ofMinutes(1), "Europe/Berlin");
        try (AgentState state = AgentState.open(tmp.resolve("data"))) {
            OutlookMacSource source = new OutlookMacSource(state, new SourceRegistry(), props, clock);
            OutlookMacHealthIndicator health = new OutlookMacHealthIndicator(source);
            FixtureBuilder fb = FixtureBuilder.create(tmp.resolve("profile"));
            source.register("mac", fb.eventsDir().toString(), "", "", "", 0L);
            source.ran("mac", 10_000L);
            assertThat(source.poll("mac")).isEmpty();
            assertThat(health.health().getStatus()).isEqualTo(Status.UP);

            clock.now = clock.now.plus(Duration.ofSeconds(3 * 10 + 60));
            assertThat(health.health().getStatus()).isEqualTo(Status.UP);
            clock.now = clock.now.plusSeconds(1);
            Health h = health.health();
            assertThat(h.getStatus()).isEqualTo(Status.DOWN);
            assertThat(((Map<?, ?>) h.getDetails().get("mac")).get("pollStale").toString()).contains("has not run since");

            source.register("mac", fb.eventsDir().toString(), "", "", "", 0L);
            source.ran("mac", 10_000L);
            assertThat(health.health().getStatus()).isEqualTo(Status.UP);
        }
    }
}
