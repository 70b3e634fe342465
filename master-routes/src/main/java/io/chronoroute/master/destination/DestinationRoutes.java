package io.chronoroute.master.destination;

import io.chronoroute.master.destination.graph.GraphDeviceCodeApi;
import org.apache.camel.builder.RouteBuilder;
import org.apache.camel.model.rest.RestBindingMode;
import org.springframework.stereotype.Component;

/**
 * Destination endpoints (admin token required: the master's {@code accessGuard} bean, method {@code admin}):
 * <pre>
 * GET  /sync/destinations                              status of each destination
 * POST /sync/destinations/{name}/run                   one run now (answer: SyncResult)
 * POST /sync/destinations/{name}/confirm-deletions     release held deletions and run
 * GET  /sync/config/google/auth-url?destination=&amp;redirect_uri=
 * POST /sync/config/google/exchange-code               {destination, code, redirect_uri, state}
 * GET|POST /sync/config/google/calendars?destination=
 * POST /sync/config/destination/google                 {destination, calendar_id}
 * POST /sync/config/graph/device-code                  {destination}: Microsoft 365 sign-in, what to show the user
 * POST /sync/config/graph/device-code/poll             {destination}: 202 pending, 200 once stored (encrypted)
 * </pre>
 * The scheduled runs are YAML routes from the {@code destination-sync} template.
 */
@Component
public class DestinationRoutes extends RouteBuilder {

    private static final String GUARD = "bean:accessGuard?method=admin";

    @Override
    public void configure() {
        rest("/sync/destinations").bindingMode(RestBindingMode.off).produces("application/json")
                .get().id("master-rest-destinations-status").to("direct:master-destinations-status")
                .post("/{name}/run").id("master-rest-destination-run").to("direct:master-destination-run")
                .post("/{name}/confirm-deletions").id("master-rest-destination-confirm")
                .to("direct:master-destination-confirm");
        rest("/sync/config/google").bindingMode(RestBindingMode.off).produces("application/json")
                .get("/auth-url").id("master-rest-google-auth-url").to("direct:master-google-auth-url")
                .post("/exchange-code").id("master-rest-google-exchange-code").to("direct:master-google-exchange-code")
                .get("/calendars").id("master-rest-google-calendars-get").to("direct:master-google-calendars")
                .post("/calendars").id("master-rest-google-calendars-post").to("direct:master-google-calendars-post");
        rest("/sync/config/graph").bindingMode(RestBindingMode.off).produces("application/json")
                .post("/device-code").id("master-rest-graph-device-code").to("direct:master-graph-device-code")
                .post("/device-code/poll").id("master-rest-graph-device-code-poll")
                .to("direct:master-graph-device-code-poll");
        rest("/sync/config/destination").bindingMode(RestBindingMode.off).produces("application/json")
                .post("/google").id("master-rest-destination-google").to("direct:master-destination-google");

        from("direct:master-destinations-status").routeId("master-destinations-status")
                .to(GUARD).bean(DestinationApi.class, "statuses").bean(DestinationApi.class, "reply");
        from("direct:master-destination-run").routeId("master-destination-run")
                .to(GUARD).bean(DestinationApi.class, "run(${header.name})").bean(DestinationApi.class, "reply");
        from("direct:master-destination-confirm").routeId("master-destination-confirm")
                .to(GUARD).bean(DestinationApi.class, "confirmDeletions(${header.name})")
                .bean(DestinationApi.class, "reply");
        from("direct:master-google-auth-url").routeId("master-google-auth-url")
                .to(GUARD).bean(DestinationApi.class, "authUrl(${header.destination}, ${header.redirect_uri})")
                .bean(DestinationApi.class, "reply");
        from("direct:master-google-exchange-code").routeId("master-google-exchange-code")
                .to(GUARD).convertBodyTo(String.class).bean(DestinationApi.class, "exchangeCode(${body})")
                .bean(DestinationApi.class, "reply");
        from("direct:master-google-calendars").routeId("master-google-calendars")
                .to(GUARD).bean(DestinationApi.class, "calendars(${header.destination})")
                .bean(DestinationApi.class, "reply");
        // Camel's REST DSL wants one direct endpoint per verb: POST (the seed's spelling) answers the same as GET.
        // Its own steps, not a hop to direct:master-google-calendars: the REST DSL inlines that route into the GET
        // verb, leaving no consumer on the direct endpoint (the POST waited 30 s and answered 500).
        from("direct:master-google-calendars-post").routeId("master-google-calendars-post")
                .to(GUARD).bean(DestinationApi.class, "calendars(${header.destination})")
                .bean(DestinationApi.class, "reply");
        from("direct:master-graph-device-code").routeId("master-graph-device-code")
                .to(GUARD).convertBodyTo(String.class).bean(GraphDeviceCodeApi.class, "start(${body})")
                .bean(DestinationApi.class, "reply");
        from("direct:master-graph-device-code-poll").routeId("master-graph-device-code-poll")
                .to(GUARD).convertBodyTo(String.class).bean(GraphDeviceCodeApi.class, "poll(${body})")
                .bean(DestinationApi.class, "reply");
        from("direct:master-destination-google").routeId("master-destination-google")
                .to(GUARD).convertBodyTo(String.class).bean(DestinationApi.class, "configureGoogle(${body})")
                .bean(DestinationApi.class, "reply");
    }
}
