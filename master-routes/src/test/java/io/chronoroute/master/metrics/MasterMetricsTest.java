package io.chronoroute.master.metrics;

import io.chronoroute.master.destination.DestinationMapping;
import io.chronoroute.master.destination.DestinationState;
import io.chronoroute.master.destination.DestinationSyncService;
import io.chronoroute.master.destination.caldav.SyncHarness;
import io.chronoroute.master.store.AgentRecord;
import io.chronoroute.master.store.AgentUpdate;
import io.chronoroute.testsupport.PrometheusText;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/** The operator metrics as Prometheus scrapes them, read from a real embedded store; time moved by hand. */
class MasterMetricsTest {

    final SyncHarness h;
    final PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
    final MasterMetrics metrics;

    MasterMetricsTest() throws Exception {
        h = new SyncHarness();
        DestinationSyncService destinations = new DestinationSyncService(h.store,
                Map.of("team-google", SyncHarness.config("google")), List.of(), h.clock, h.sleeper);
        metrics = new MasterMetrics(h.store, destinations, h.clock, Duration.ZERO, registry);
    }

    @AfterEach
    void close() {
        registry.close();
        h.close();
    }

    /** The value of one sample, from the Prometheus text format. */
    double value(String metric, String labelSubstring) {
        return PrometheusText.require(registry.scrape(), metric, labelSubstring);
    }

    void agent(String id, Instant lastHeartbeat, Map<String, Object> stats) {
        h.store.saveAgent(new AgentRecord(id, id, "test", "chronoroute", null, false, lastHeartbeat, lastHeartbeat,
                lastHeartbeat, "active", 0, 1, List.of(), Map.of(), stats));
    }

    @Test
    void perAgentFiguresFollowTheStore() {
        Instant now = h.clock.instant();
        agent("mac-1", now.minusSeconds(90), Map.of("outbox", 12, "parse_errors", 2, "rejected", 1));
        agent("seed-1", null, Map.of());
        h.store.saveUpdate(new AgentUpdate("u1", "mac-1", "event_update", Map.of(), AgentUpdate.PENDING, now, null, 0,
                null));
        metrics.snapshot(); // the first snapshot registers the agents' rows

        assertThat(value("chronoroute_agents", "")).isEqualTo(2);
        assertThat(value("chronoroute_agent_last_heartbeat_age_seconds", "agent=\"mac-1\"")).isEqualTo(90);
        assertThat(value("chronoroute_agent_outbox_backlog", "agent=\"mac-1\"")).isEqualTo(12);
        assertThat(value("chronoroute_agent_rejected_files", "agent=\"mac-1\"")).isEqualTo(2);
        assertThat(value("chronoroute_agent_rejected_events", "agent=\"mac-1\"")).isEqualTo(1);
        assertThat(value("chronoroute_agent_pending_updates", "agent=\"mac-1\"")).isEqualTo(1);
        // a seed agent that never reported these figures: unknown, not 0
        assertThat(value("chronoroute_agent_outbox_backlog", "agent=\"seed-1\"")).isNaN();
        assertThat(value("chronoroute_agent_last_heartbeat_age_seconds", "agent=\"seed-1\"")).isNaN();

        h.clock.advance(Duration.ofSeconds(30));
        agent("mac-1", h.clock.instant(), Map.of("outbox", 0, "parse_errors", 0, "rejected", 0));
        h.store.deleteAgent("seed-1");
        metrics.snapshot();

        assertThat(value("chronoroute_agent_last_heartbeat_age_seconds", "agent=\"mac-1\"")).isZero();
        assertThat(value("chronoroute_agent_outbox_backlog", "agent=\"mac-1\"")).isZero();
        assertThat(registry.scrape()).doesNotContain("seed-1");
    }

    @Test
    void perDestinationFiguresFollowItsState() {
        assertThat(value("chronoroute_destination_last_success_age_seconds", "destination=\"team-google\"")).isNaN();
        assertThat(value("chronoroute_destination_writes_total", "team-google")).isZero();

        DestinationState st = new DestinationState();
        st.lastSuccess = h.clock.instant().minusSeconds(600);
        st.totalWrites = 42;
        st.failedRuns = 3;
        st.parked.put("id1", new DestinationState.Parked("h", "upsert", "invalid", "bad", h.clock.instant()));
        st.held = new DestinationState.Held();
        st.held.identities.addAll(List.of("a", "b"));
        st.pausedUntil = h.clock.instant().plusSeconds(3600);
        new DestinationMapping(h.store, "team-google").saveState(st);

        assertThat(value("chronoroute_destination_last_success_age_seconds", "type=\"google\"")).isEqualTo(600);
        assertThat(value("chronoroute_destination_writes_total", "team-google")).isEqualTo(42);
        assertThat(value("chronoroute_destination_errors_total", "team-google")).isEqualTo(3);
        assertThat(value("chronoroute_destination_parked_events", "team-google")).isEqualTo(1);
        assertThat(value("chronoroute_destination_held_deletions", "team-google")).isEqualTo(2);
        assertThat(value("chronoroute_destination_paused_until_seconds", "team-google"))
                .isEqualTo(h.clock.instant().plusSeconds(3600).getEpochSecond());

        h.clock.advance(Duration.ofHours(2)); // the pause is over
        assertThat(value("chronoroute_destination_paused_until_seconds", "team-google")).isZero();
        assertThat(value("chronoroute_destination_last_success_age_seconds", "team-google")).isEqualTo(600 + 7200);
    }

    @Test
    void aSnapshotIsReusedWithinItsTtl() {
        MasterMetrics cached = new MasterMetrics(h.store, null, h.clock, Duration.ofMinutes(5),
                new PrometheusMeterRegistry(PrometheusConfig.DEFAULT));
        MasterMetrics.Snapshot first = cached.snapshot();
        agent("late", h.clock.instant(), Map.of());
        assertThat(cached.snapshot()).isSameAs(first);
        assertThat(first.agentCount()).isZero();
    }
}
