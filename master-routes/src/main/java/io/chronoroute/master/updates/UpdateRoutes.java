package io.chronoroute.master.updates;

import io.chronoroute.master.config.ChronorouteProperties;
import io.chronoroute.master.security.AccessGuard;
import org.apache.camel.builder.RouteBuilder;
import org.apache.camel.model.dataformat.JsonLibrary;
import org.springframework.stereotype.Component;

/** Update queue routes: delivery, acknowledgement, admin pushes, queue status and the scheduled purge. */
@Component
public class UpdateRoutes extends RouteBuilder {

    private final AccessGuard guard;
    private final UpdateQueueService queue;
    private final PushService push;
    private final ChronorouteProperties props;

    public UpdateRoutes(AccessGuard guard, UpdateQueueService queue, PushService push, ChronorouteProperties props) {
        this.guard = guard;
        this.queue = queue;
        this.push = push;
        this.props = props;
    }

    @Override
    public void configure() {
        from("direct:master-list-pending-updates").routeId("master-list-pending-updates")
                .bean(guard, "agent")
                .bean(queue, "pendingUpdates");

        from("direct:master-ack-update").routeId("master-ack-update")
                .bean(guard, "agent")
                .to("direct:master-ack-agent-update");

        // an authenticated agent's confirmation (HTTP above, or inside an air-gap bundle)
        from("direct:master-ack-agent-update").routeId("master-ack-agent-update")
                .bean(queue, "processed")
                .marshal().json(JsonLibrary.Jackson);

        from("direct:master-queue-agent-updates").routeId("master-queue-agent-updates")
                .bean(guard, "admin")
                .bean(queue, "receiveUpdates")
                .marshal().json(JsonLibrary.Jackson);

        from("direct:master-push-calendar-metadata").routeId("master-push-calendar-metadata")
                .bean(guard, "admin")
                .bean(push, "calendarMetadata")
                .marshal().json(JsonLibrary.Jackson);

        from("direct:master-push-sync-config").routeId("master-push-sync-config")
                .bean(guard, "admin")
                .bean(push, "syncConfig")
                .marshal().json(JsonLibrary.Jackson);

        from("direct:master-status-queues").routeId("master-status-queues")
                .bean(guard, "admin")
                .bean(queue, "queueStatus");

        from("direct:master-purge-updates-now").routeId("master-purge-updates-now")
                .bean(guard, "admin")
                .bean(queue, "purge")
                .marshal().json(JsonLibrary.Jackson);

        from("quartz://master/purge-updates?cron=" + props.purgeCron().trim().replace(' ', '+'))
                .routeId("master-purge-updates")
                .bean(queue, "purgeScheduled");
    }
}
