package io.chronoroute.master.rest;

import org.apache.camel.builder.RouteBuilder;
import org.apache.camel.model.rest.RestBindingMode;
import org.apache.camel.model.rest.RestParamType;
import org.springframework.stereotype.Component;

/**
 * The whole HTTP API (REST DSL on platform-http, port 8008), one verb per seed/protocol-2 endpoint, each sent to
 * its own {@code direct:master-...} route; routes are not inlined into the REST routes, so those direct endpoints stay
 * callable by other routes (the air-gap ingest sends bundles through {@code direct:master-ingest-heartbeat}). Agent-facing
 * verbs declare no {@code consumes}: seed agents post without a body or Content-Type. JSON binding marshals the answers. Verbs with a request body use
 * {@code bindingMode(off)} and parse in their bean: the body size limit is enforced on the raw bytes before any
 * parsing and a 400 can name the offending field; their routes marshal the answer themselves. The OpenAPI
 * document of all of it is served at {@code /api-doc}.
 */
@Component
public class MasterRestRoutes extends RouteBuilder {

    private static final String JSON = "application/json";

    @Override
    public void configure() {
        restConfiguration()
                .component("platform-http")
                .bindingMode(RestBindingMode.json)
                .skipBindingOnErrorCode(true)
                // keep each direct:master-* route a real endpoint, so other routes (air-gap bundles) reuse them
                .inlineRoutes(false)
                .dataFormatProperty("prettyPrint", "false")
                .apiContextPath("/api-doc")
                .apiProperty("api.title", "Chronoroute master API")
                .apiProperty("api.version", "2")
                .apiProperty("api.description", "Agents send calendar events; the master consolidates them. "
                        + "Seed protocol (chroniton-capacitor) plus protocol 2 (credentials, delta heartbeats).");

        rest("/sync/agents").description("Agent protocol (agent credential; legacy agents without)")
                .post("/register").routeId("master-rest-register-agent").bindingMode(RestBindingMode.off)
                .description("Register an agent (201 with a credential shown once; enrollment secret required)")
                .produces(JSON)
                .param().name("X-Chronoroute-Enrollment").type(RestParamType.header).required(false).endParam()
                .responseMessage().code(201).message("registered").endResponseMessage()
                .responseMessage().code(401).message("no/invalid enrollment secret").endResponseMessage()
                .responseMessage().code(409).message("already registered; needs the current credential").endResponseMessage()
                .to("direct:master-register-agent")

                .post("/{agent_id}/heartbeat").routeId("master-rest-heartbeat").bindingMode(RestBindingMode.off)
                .description("Heartbeat: status, full set (events) or delta (changed/deleted); answers pending updates")
                .produces(JSON)
                .param().name("agent_id").type(RestParamType.path).required(true).endParam()
                .responseMessage().code(200).message("applied (or replay acknowledged)").endResponseMessage()
                .responseMessage().code(400).message("bad input, field named").endResponseMessage()
                .responseMessage().code(401).message("no/invalid credential").endResponseMessage()
                .responseMessage().code(403).message("credential of another agent").endResponseMessage()
                .responseMessage().code(404).message("unknown agent: register again").endResponseMessage()
                .responseMessage().code(413).message("too many events or body too large").endResponseMessage()
                .to("direct:master-ingest-heartbeat")

                .get("/{agent_id}/pending-updates").routeId("master-rest-pending-updates")
                .description("Pending updates for the agent").produces(JSON)
                .param().name("agent_id").type(RestParamType.path).required(true).endParam()
                .to("direct:master-list-pending-updates")

                .post("/{agent_id}/updates/{update_id}/processed").routeId("master-rest-update-processed")
                .bindingMode(RestBindingMode.off)
                .description("Acknowledge an update; optional body {success, permanent, error}")
                .produces(JSON)
                .param().name("agent_id").type(RestParamType.path).required(true).endParam()
                .param().name("update_id").type(RestParamType.path).required(true).endParam()
                .to("direct:master-ack-update")

                .get().routeId("master-rest-list-agents").description("List agents (admin)").produces(JSON)
                .to("direct:master-list-agents")

                .get("/status").routeId("master-rest-agents-status").description("Status of all agents (admin)")
                .produces(JSON)
                .to("direct:master-status-agents")

                .get("/{agent_id}/status").routeId("master-rest-agent-status")
                .description("Status of one agent (admin, or the agent itself)").produces(JSON)
                .param().name("agent_id").type(RestParamType.path).required(true).endParam()
                .to("direct:master-status-agent")

                .get("/{agent_id}/history").routeId("master-rest-agent-history")
                .description("Update and activity history of one agent (admin, or the agent itself)").produces(JSON)
                .param().name("agent_id").type(RestParamType.path).required(true).endParam()
                .param().name("limit").type(RestParamType.query).required(false).endParam()
                .to("direct:master-history-agent")

                .delete("/{agent_id}").routeId("master-rest-delete-agent")
                .description("Remove an agent and its observations (admin); orphaned events become tombstones")
                .produces(JSON)
                .param().name("agent_id").type(RestParamType.path).required(true).endParam()
                .to("direct:master-delete-agent")

                .post("/cleanup").routeId("master-rest-cleanup-agents").bindingMode(RestBindingMode.off)
                .description("Remove agents inactive for max_inactive_days (admin); dry_run defaults to true")
                .produces(JSON)
                .param().name("max_inactive_days").type(RestParamType.query).required(false).endParam()
                .param().name("dry_run").type(RestParamType.query).required(false).endParam()
                .to("direct:master-cleanup-agents")

                .post("/{agent_id}/receive-updates").routeId("master-rest-receive-updates")
                .bindingMode(RestBindingMode.off)
                .description("Queue updates (event_update, calendar_metadata, ...) for one agent (admin)")
                .consumes(JSON).produces(JSON)
                .param().name("agent_id").type(RestParamType.path).required(true).endParam()
                .to("direct:master-queue-agent-updates");

        rest("/sync").description("Consolidated calendar and administration (admin token unless noted)")
                // the three whole-calendar reads stream their answer (FeedService): no JSON binding
                .get("/events").routeId("master-rest-list-events").bindingMode(RestBindingMode.off)
                .description("Consolidated events, streamed. Without limit and cursor: all of them "
                        + "{status, events, count}. With limit (default 1000, max 10000) or cursor: one page in "
                        + "identity order plus limit and next_cursor (opaque; pass it back as cursor with the same "
                        + "filters; null on the last page)")
                .produces(JSON)
                .param().name("agent_id").type(RestParamType.query).required(false).endParam()
                .param().name("from").type(RestParamType.query).required(false).endParam()
                .param().name("to").type(RestParamType.query).required(false).endParam()
                .param().name("limit").type(RestParamType.query).required(false)
                .description("page size, 1..10000 (default 1000 when cursor is given)").endParam()
                .param().name("cursor").type(RestParamType.query).required(false)
                .description("next_cursor of the previous page").endParam()
                .responseMessage().code(503).message("too many whole-calendar reads running; retry")
                .endResponseMessage()
                .to("direct:master-list-events")

                .get("/events/fullcalendar").routeId("master-rest-fullcalendar").bindingMode(RestBindingMode.off)
                .description("Consolidated events as FullCalendar JSON (streamed)").produces(JSON)
                .param().name("start").type(RestParamType.query).required(false).endParam()
                .param().name("end").type(RestParamType.query).required(false).endParam()
                .param().name("expand").type(RestParamType.query).required(false)
                .description("true: recurring series as their occurrences between start and end").endParam()
                .to("direct:master-list-fullcalendar")

                .post("/events").routeId("master-rest-create-event").bindingMode(RestBindingMode.off)
                .description("Create an event (any wire spelling, optional target {agent_id, source}, else "
                        + "chronoroute.events.default-target) in a writable calendar: 202, queued as event_update")
                .consumes(JSON).produces(JSON)
                .responseMessage().code(202).message("queued to the target calendar").endResponseMessage()
                .responseMessage().code(409).message("target not writable, or uid exists").endResponseMessage()
                .to("direct:master-create-event")

                .get("/events/{id}").routeId("master-rest-read-event")
                .description("One event (id from GET /sync/events): its origins (agent, source, calendar, divergent, "
                        + "writable) and open conflicts").produces(JSON)
                .param().name("id").type(RestParamType.path).required(true).endParam()
                .to("direct:master-read-event")

                .put("/events/{id}").routeId("master-rest-update-event").bindingMode(RestBindingMode.off)
                .description("Replace an event (id from GET /sync/events) in every writable calendar it comes from: "
                        + "202 with origins_written and origins_not_writable")
                .consumes(JSON).produces(JSON)
                .param().name("id").type(RestParamType.path).required(true).endParam()
                .responseMessage().code(202).message("queued to the writable origins").endResponseMessage()
                .responseMessage().code(409).message("no origin accepts writes").endResponseMessage()
                .to("direct:master-update-event")

                .delete("/events/{agent_id}").routeId("master-rest-delete-agent-events")
                .description("An event id (from GET /sync/events): delete the event in every writable calendar it "
                        + "comes from (202). An agent id (seed): remove all observations of that agent").produces(JSON)
                .param().name("agent_id").type(RestParamType.path).required(true).endParam()
                .to("direct:master-delete-agent-events")

                .get("/stats").routeId("master-rest-stats").produces(JSON).to("direct:master-read-stats")

                .get("/health").routeId("master-rest-sync-health").description("Health (open)").produces(JSON)
                .to("direct:master-check-sync-health")

                .post("/import/{source_id}").routeId("master-rest-import-events").bindingMode(RestBindingMode.off)
                .description("Import a JSON array of events as source source_id of the synthetic agent 'import'")
                .consumes(JSON).produces(JSON)
                .param().name("source_id").type(RestParamType.path).required(true).endParam()
                .to("direct:master-import-events")

                .post("/push/calendar-metadata").routeId("master-rest-push-calendar-metadata")
                .bindingMode(RestBindingMode.off)
                .description("{changes, target_agents?, calendar_id?, provider?} → calendar_metadata updates")
                .consumes(JSON).produces(JSON)
                .to("direct:master-push-calendar-metadata")

                .post("/push/sync-config").routeId("master-rest-push-sync-config").bindingMode(RestBindingMode.off)
                .description("{changes, target_agents?} → sync_config updates").consumes(JSON).produces(JSON)
                .to("direct:master-push-sync-config")

                .get("/queues/status").routeId("master-rest-queues-status").produces(JSON)
                .to("direct:master-status-queues")

                .post("/queues/cleanup").routeId("master-rest-queues-cleanup").bindingMode(RestBindingMode.off)
                .description("Purge processed/rejected updates older than older_than_days (default: retention)")
                .produces(JSON)
                .param().name("older_than_days").type(RestParamType.query).required(false).endParam()
                .to("direct:master-purge-updates-now")

                .get("/activity/recent").routeId("master-rest-recent-activity").produces(JSON)
                .param().name("limit").type(RestParamType.query).required(false).endParam()
                .to("direct:master-list-activity")

                .get("/conflicts/recent").routeId("master-rest-recent-conflicts").produces(JSON)
                .param().name("limit").type(RestParamType.query).required(false).endParam()
                .param().name("status").type(RestParamType.query).required(false).endParam()
                .to("direct:master-list-conflicts")

                .post("/conflicts/{conflict_id}/resolve").routeId("master-rest-resolve-conflict")
                .bindingMode(RestBindingMode.off)
                .description("{\"resolution\":\"source_wins\"|\"destination_wins\"}").consumes(JSON).produces(JSON)
                .param().name("conflict_id").type(RestParamType.path).required(true).endParam()
                .to("direct:master-resolve-conflict")

                .get("/config").routeId("master-rest-read-config").description("Effective settings, no secrets")
                .produces(JSON)
                .to("direct:master-read-config");

        rest().description("Root endpoints")
                .get("/health").routeId("master-rest-health").description("Health (open)").produces(JSON)
                .to("direct:master-check-health")

                .get("/calendars").routeId("master-rest-list-calendars")
                .description("Every calendar known, per origin: the consolidated one, each agent source's calendars "
                        + "(event count, writable or why not), each destination's calendar (admin)")
                .produces(JSON)
                .to("direct:master-list-calendars")

                .put("/calendars/{calendar_id}").routeId("master-rest-put-calendar").bindingMode(RestBindingMode.off)
                .description("Rename/recolor {name?, color?} (or the seed's {changes}). 'consolidated': the feed and "
                        + "every destination calendar, 200 with the result per destination. An agent's calendar: "
                        + "calendar_metadata queued for that agent, 202 (409 read-only, 404 unknown) (admin)")
                .consumes(JSON).produces(JSON)
                .param().name("calendar_id").type(RestParamType.path).required(true).endParam()
                .param().name("provider").type(RestParamType.query).required(false)
                .description("the seed's provider; with a destination's type and its calendar id: the consolidated "
                        + "calendar").endParam()
                .param().name("agent_id").type(RestParamType.query).required(false)
                .description("only this agent's calendar with that id").endParam()
                .responseMessage().code(200).message("consolidated calendar renamed; per destination result")
                .endResponseMessage()
                .responseMessage().code(202).message("queued to the agent(s) holding the calendar").endResponseMessage()
                .responseMessage().code(404).message("unknown calendar").endResponseMessage()
                .responseMessage().code(409).message("read-only calendar").endResponseMessage()
                .to("direct:master-put-calendar")

                .get("/calendar.ics").routeId("master-rest-calendar-ics").bindingMode(RestBindingMode.off)
                .description("The consolidated calendar as iCalendar (?token=<feed token>; ETag/If-None-Match)")
                .produces("text/calendar")
                .param().name("token").type(RestParamType.query).required(true).endParam()
                .responseMessage().code(304).message("not modified").endResponseMessage()
                .to("direct:master-read-calendar-ics");
    }
}
