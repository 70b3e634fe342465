package io.chronoroute.master.calendars;

import io.chronoroute.master.security.AccessGuard;
import org.apache.camel.builder.RouteBuilder;
import org.apache.camel.model.dataformat.JsonLibrary;
import org.springframework.stereotype.Component;

/** {@code GET /calendars} and {@code PUT /calendars/{calendar_id}} (admin): see {@link CalendarService}. */
@Component
public class CalendarRoutes extends RouteBuilder {

    private final AccessGuard guard;
    private final CalendarService calendars;

    public CalendarRoutes(AccessGuard guard, CalendarService calendars) {
        this.guard = guard;
        this.calendars = calendars;
    }

    @Override
    public void configure() {
        from("direct:master-list-calendars").routeId("master-list-calendars")
                .bean(guard, "admin")
                .bean(calendars, "list");

        from("direct:master-put-calendar").routeId("master-put-calendar")
                .bean(guard, "admin")
                .bean(calendars, "put")
                .marshal().json(JsonLibrary.Jackson);
    }
}
