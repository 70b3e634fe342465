package io.chronoroute.master.stats;

import io.chronoroute.master.security.AccessGuard;
import org.apache.camel.builder.RouteBuilder;
import org.springframework.stereotype.Component;

/** Health (open), statistics, recent activity, effective configuration. */
@Component
public class StatsRoutes extends RouteBuilder {

    private final AccessGuard guard;
    private final StatsService stats;

    public StatsRoutes(AccessGuard guard, StatsService stats) {
        this.guard = guard;
        this.stats = stats;
    }

    @Override
    public void configure() {
        // REST routes inline their direct route, so each verb needs its own one
        from("direct:master-check-health").routeId("master-check-health")
                .bean(stats, "health");

        from("direct:master-check-sync-health").routeId("master-check-sync-health")
                .bean(stats, "health");

        from("direct:master-read-stats").routeId("master-read-stats")
                .bean(guard, "admin")
                .bean(stats, "stats");

        from("direct:master-list-activity").routeId("master-list-activity")
                .bean(guard, "admin")
                .bean(stats, "recentActivity");

        from("direct:master-read-config").routeId("master-read-config")
                .bean(guard, "admin")
                .bean(stats, "config");
    }
}
