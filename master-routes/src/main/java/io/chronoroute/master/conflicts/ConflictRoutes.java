package io.chronoroute.master.conflicts;

import io.chronoroute.master.security.AccessGuard;
import org.apache.camel.builder.RouteBuilder;
import org.apache.camel.model.dataformat.JsonLibrary;
import org.springframework.stereotype.Component;

/** Conflict list and manual resolution. */
@Component
public class ConflictRoutes extends RouteBuilder {

    private final AccessGuard guard;
    private final ConflictService conflicts;

    public ConflictRoutes(AccessGuard guard, ConflictService conflicts) {
        this.guard = guard;
        this.conflicts = conflicts;
    }

    @Override
    public void configure() {
        from("direct:master-list-conflicts").routeId("master-list-conflicts")
                .bean(guard, "admin")
                .bean(conflicts, "recent");

        from("direct:master-resolve-conflict").routeId("master-resolve-conflict")
                .bean(guard, "admin")
                .bean(conflicts, "resolve")
                .marshal().json(JsonLibrary.Jackson);
    }
}
