package io.chronoroute.agent.status;

import io.chronoroute.agent.AgentProperties;
import io.chronoroute.agent.FakeMaster;
import io.chronoroute.agent.collect.ChangeBatch;
import io.chronoroute.agent.collect.ChangeCollector;
import io.chronoroute.agent.heartbeat.HeartbeatSchedule;
import io.chronoroute.agent.heartbeat.HeartbeatService;
import io.chronoroute.agent.heartbeat.MasterClient;
import io.chronoroute.agent.source.SourceConfig;
import io.chronoroute.agent.source.SourceRegistry;
import io.chronoroute.agent.state.AgentState;
import io.chronoroute.agent.state.CredentialStore;
import io.chronoroute.processors.model.CalendarEvent;
import io.chronoroute.processors.model.EventTime;
import io.chronoroute.processors.model.Origin;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.net.http.HttpClient;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.assertj.core.api.Assertions.assertThat;

/** The agent's metrics as Prometheus scrapes them, following real collection and a real heartbeat. */
class AgentMetricsTest {

    @TempDir
    Path dir;

    static double value(String text, String metric, String label) {
        Matcher m = Pattern.compile("(?m)^" + Pattern.quote(metric) + "\\{([^}]*)} (\\S+)$").matcher(text);
        while (m.find()) {
            if (m.group(1).contains(label)) {
                return Double.parseDouble(m.group(2));
            }
        }
        throw new AssertionError(metric + "{" + label + "} not in the scrape:\n" + text);
    }

    @Test
    void figuresFollowCollectionAndTheHeartbeat() throws Exception {
        PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
        Clock clock = Clock.systemUTC();
        try (FakeMaster master = new FakeMaster("secret"); AgentState state = AgentState.open(dir)) {
            AgentProperties p = new AgentProperties("m-agent", "t", "test", master.url(), "secret", Duration.ofMinutes(1),
                    Duration.ofMillis(50), Duration.ofMillis(50), 5000, 20, Duration.ofSeconds(5), Duration.ofSeconds(5),
                    "UTC");
            SourceRegistry sources = new SourceRegistry();
            HeartbeatService hb = new HeartbeatService(state, new CredentialStore(state),
                    new MasterClient(HttpClient.newHttpClient(), p), new HeartbeatSchedule(p, clock), p, sources, clock);
            new AgentMetrics(state, hb, sources, clock, p, registry);
            sources.register(new SourceConfig("team", dir.resolve("team"), ZoneOffset.UTC, false));
            registry.scrape(); // the first scrape gives the new source its row

            String before = registry.scrape();
            assertThat(value(before, "chronoroute_source_last_read_age_seconds", "source=\"team\"")).isNaN();
            assertThat(value(before, "chronoroute_heartbeat_last_success_age_seconds", "agent=\"m-agent\"")).isNaN();

            CalendarEvent e = CalendarEvent.builder().uid("u1").title("One")
                    .start(EventTime.ofInstant(Instant.parse("2026-12-10T07:00:00Z"), "UTC"))
                    .origin(new Origin("m-agent", "team", "team", "team", "ics", "a.ics")).build();
            ChangeCollector collector = new ChangeCollector(state, p);
            collector.collect(List.of(ChangeBatch.parsed("team", "a.ics",
                    new ChangeBatch.Fingerprint(1, 1, "f1"), List.of(e))));
            collector.collect(List.of(ChangeBatch.failed("team", "broken.ics", "not iCalendar")));
            sources.markRead("team", clock.instant());

            String collected = registry.scrape();
            assertThat(value(collected, "chronoroute_outbox_backlog", "agent=\"m-agent\"")).isEqualTo(1);
            assertThat(value(collected, "chronoroute_failed_files", "agent=\"m-agent\"")).isEqualTo(1);
            assertThat(value(collected, "chronoroute_rejected_events", "agent=\"m-agent\"")).isZero();
            assertThat(value(collected, "chronoroute_source_last_read_age_seconds", "source=\"team\"")).isBetween(0.0, 60.0);

            hb.runCycle();

            String sent = registry.scrape();
            assertThat(value(sent, "chronoroute_outbox_backlog", "agent=\"m-agent\"")).isZero();
            assertThat(value(sent, "chronoroute_heartbeat_last_success_age_seconds", "agent=\"m-agent\""))
                    .isBetween(0.0, 60.0);
        } finally {
            registry.close();
        }
    }
}
