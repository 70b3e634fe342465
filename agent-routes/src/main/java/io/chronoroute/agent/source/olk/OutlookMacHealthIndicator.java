package io.chronoroute.agent.source.olk;

import org.springframework.boot.actuate.health.Health;
import org.springframework.boot.actuate.health.HealthIndicator;
import org.springframework.stereotype.Component;

import java.util.Map;

/**
 * {@code /actuator/health} component "outlookMac": per Outlook for Mac source the Events folder, files indexed,
 * exceptions waiting for their master, files left out by the accounts filter, disagreements with Outlook.sqlite
 * (count and the first few, never resolved), skipped files and the current problem (missing folder, unreadable
 * database). Skipped files with their reasons are also in the "agent" component ("skippedFiles"). These are details,
 * not a reason to restart the agent: UP. DOWN only when a source no longer works (issue #15): its last poll failed
 * with an Error ({@code pollError}, until a poll runs through) or its timer has not run for 3 poll delays plus a
 * minute ({@code pollStale}: the timer's thread died).
 */
@Component("outlookMac")
public class OutlookMacHealthIndicator implements HealthIndicator {

    private final OutlookMacSource source;

    public OutlookMacHealthIndicator(OutlookMacSource source) {
        this.source = source;
    }

    @Override
    public Health health() {
        Map<String, Object> status = source.status();
        boolean dead = status.values().stream().anyMatch(v -> v instanceof Map<?, ?> m
                && (m.containsKey("pollError") || m.containsKey("pollStale")));
        return (dead ? Health.down() : Health.up()).withDetails(status).build();
    }
}
