package io.chronoroute.master.metrics;

import org.junit.jupiter.api.Test;
import org.yaml.snakeyaml.Yaml;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * deploy/prometheus/chronoroute-alerts.yml is well-formed YAML in Prometheus' rule-file shape, covers the alerts the
 * issue asks for, and names only metrics the master exports (a renamed metric must not leave a rule that can never
 * fire). The same file passes {@code promtool check rules} (Debian package prometheus), run by hand.
 */
class AlertRulesFileTest {

    static final Path FILE = Path.of("..", "deploy", "prometheus", "chronoroute-alerts.yml");

    /** What MasterMetrics exports (Prometheus names), plus the leader gauge of the cluster support. */
    static final Set<String> EXPORTED = Set.of("chronoroute_agents", "chronoroute_agent_last_heartbeat_age_seconds",
            "chronoroute_agent_outbox_backlog", "chronoroute_agent_rejected_files", "chronoroute_agent_rejected_events",
            "chronoroute_agent_pending_updates", "chronoroute_destination_last_success_age_seconds",
            "chronoroute_destination_writes_total", "chronoroute_destination_errors_total",
            "chronoroute_destination_parked_events", "chronoroute_destination_held_deletions",
            "chronoroute_destination_paused_until_seconds", "chronoroute_destination_lag_changes",
            "chronoroute_master_leader");

    @Test
    @SuppressWarnings("unchecked")
    void theExampleRulesParseAndNameExportedMetrics() throws IOException {
        Map<String, Object> doc = new Yaml().load(Files.readString(FILE));
        List<Map<String, Object>> groups = (List<Map<String, Object>>) doc.get("groups");
        assertThat(groups).isNotEmpty();
        Set<String> alerts = new TreeSet<>();
        Set<String> used = new TreeSet<>();
        for (Map<String, Object> g : groups) {
            assertThat(g.get("name")).isInstanceOf(String.class);
            for (Map<String, Object> rule : (List<Map<String, Object>>) g.get("rules")) {
                assertThat(rule).containsKeys("alert", "expr");
                assertThat(rule.keySet()).isSubsetOf("alert", "expr", "for", "labels", "annotations");
                alerts.add((String) rule.get("alert"));
                Matcher m = Pattern.compile("chronoroute_[a-z_]+").matcher(String.valueOf(rule.get("expr")));
                while (m.find()) {
                    used.add(m.group());
                }
            }
        }
        assertThat(alerts).contains("ChronorouteAgentSilent", "ChronorouteAgentOutboxGrowing",
                "ChronorouteDestinationNotSyncing", "ChronorouteParkedEvents", "ChronorouteHeldDeletions",
                "ChronorouteNoLeader", "ChronorouteSeveralLeaders");
        assertThat(EXPORTED).containsAll(used);
    }
}
