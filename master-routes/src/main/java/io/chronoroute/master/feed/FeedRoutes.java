package io.chronoroute.master.feed;

import io.chronoroute.master.security.AccessGuard;
import org.apache.camel.builder.RouteBuilder;
import org.springframework.stereotype.Component;

/** Read routes of the consolidated calendar: event list, FullCalendar JSON, the iCalendar feed. */
@Component
public class FeedRoutes extends RouteBuilder {

    private final AccessGuard guard;
    private final FeedService feed;

    public FeedRoutes(AccessGuard guard, FeedService feed) {
        this.guard = guard;
        this.feed = feed;
    }

    @Override
    public void configure() {
        from("direct:master-list-events").routeId("master-list-events")
                .bean(guard, "admin")
                .bean(feed, "events");

        from("direct:master-list-fullcalendar").routeId("master-list-fullcalendar")
                .bean(guard, "admin")
                .bean(feed, "fullCalendar");

        from("direct:master-read-calendar-ics").routeId("master-read-calendar-ics")
                .bean(guard, "feed")
                .bean(feed, "calendarIcs");
    }
}
