package io.chronoroute.master.app;

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

    public AgentRoutes(AccessGuard guard, AgentRegistration registration, AgentAdminService admin) {
        this.guard = guard;
        this.registration = registration;
        this.admin = admin;
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

        from("direct:master-delete-agent-events").routeId("master-delete-agent-events")
                .bean(guard, "admin")
                .bean(admin, "deleteEvents");

        from("direct:master-cleanup-agents").routeId("master-cleanup-agents")
                .bean(guard, "admin")
                .bean(admin, "cleanup")
                .marshal().json(JsonLibrary.Jackson);
    }
}
