package io.chronoroute.master.edit;

import io.chronoroute.master.security.AccessGuard;
import org.apache.camel.builder.RouteBuilder;
import org.apache.camel.model.dataformat.JsonLibrary;
import org.springframework.stereotype.Component;

/**
 * Create and update of consolidated events (admin), written through their origins ({@link EventEditService}).
 * {@code DELETE /sync/events/{id}} shares its path with the seed's {@code DELETE /sync/events/{agent_id}}; the
 * route {@code master-delete-agent-events} tells the two apart ({@link EventEditService#isEventId}).
 */
@Component
public class EditRoutes extends RouteBuilder {

    private final AccessGuard guard;
    private final EventEditService edits;

    public EditRoutes(AccessGuard guard, EventEditService edits) {
        this.guard = guard;
        this.edits = edits;
    }

    @Override
    public void configure() {
        from("direct:master-create-event").routeId("master-create-event")
                .bean(guard, "admin")
                .bean(edits, "create")
                .marshal().json(JsonLibrary.Jackson);

        from("direct:master-read-event").routeId("master-read-event")
                .bean(guard, "admin")
                .bean(edits, "details");

        from("direct:master-update-event").routeId("master-update-event")
                .bean(guard, "admin")
                .bean(edits, "update")
                .marshal().json(JsonLibrary.Jackson);
    }
}
