package io.chronoroute.master.app;

import io.chronoroute.master.edit.EventEditService;
import io.chronoroute.master.security.AccessGuard;
import io.chronoroute.master.security.AgentRegistration;
import org.apache.camel.builder.RouteBuilder;
import org.apache.camel.model.dataformat.JsonLibrary;
import org.springframework.stereotype.Component;

/** Registration and the admin views/actions on agents. */
@Component
public class AgentRoutes extends RouteBuilder {

    private final AccessGuard guard;
    private final AgentRegistration registration;
    private final AgentAdminService admin;
    private final EventEditService edits;

    public AgentRoutes(AccessGuard guard, AgentRegistration registration, AgentAdminService admin,
                       EventEditService edits) {
        this.guard = guard;
        this.registration = registration;
        this.admin = admin;
        this.edits = edits;
    }

    @Override
    public void configure() {
        from("direct:master-register-agent").routeId("master-register-agent")
                .bean(registration, "register").id("master-register-agent-bean")
                .marshal().json(JsonLibrary.Jackson);

        from("direct:master-list-agents").routeId("master-list-agents")
                .bean(guard, "admin")
                .bean(admin, "listAgents");

        from("direct:master-status-agents").routeId("master-status-agents")
                .bean(guard, "admin")
                .bean(admin, "statusAll");

        from("direct:master-status-agent").routeId("master-status-agent")
                .bean(guard, "adminOrSelf")
                .bean(admin, "status");

        from("direct:master-history-agent").routeId("master-history-agent")
                .bean(guard, "adminOrSelf")
                .bean(admin, "history");

        from("direct:master-delete-agent").routeId("master-delete-agent")
                .bean(guard, "admin")
                .bean(admin, "deleteAgent");

        // DELETE /sync/events/{x}: x is a consolidated event's id (32 hex, live) → delete that event through its
        // origins; else the seed's meaning, x is an agent whose observations are removed.
        from("direct:master-delete-agent-events").routeId("master-delete-agent-events")
                .bean(guard, "admin")
                .choice()
                    .when(method(edits, "isEventId(${header.agent_id})")).bean(edits, "delete")
                    .otherwise().bean(admin, "deleteEvents")
                .end();

        from("direct:master-cleanup-agents").routeId("master-cleanup-agents")
                .bean(guard, "admin")
                .bean(admin, "cleanup")
                .marshal().json(JsonLibrary.Jackson);
    }
}
