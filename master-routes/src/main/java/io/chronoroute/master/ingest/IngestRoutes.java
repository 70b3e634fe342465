package io.chronoroute.master.ingest;

import io.chronoroute.master.app.AgentAdminService;
import io.chronoroute.master.security.AccessGuard;
import org.apache.camel.Exchange;
import org.apache.camel.builder.RouteBuilder;
import org.apache.camel.model.dataformat.JsonLibrary;
import org.springframework.stereotype.Component;

/**
 * The ingest pipeline (architecture.md "Master pipeline"): authenticate → read and validate everything (nothing
 * applied on any error) → idempotent consumer on the batch id (store-backed; a replay is answered, not
 * re-applied) → split the items with the {@link ConsolidationAggregator} → {@code MasterStore.apply} (atomic)
 * → fan-out → answer. {@code /sync/import/{source_id}}, admin removals and the changes of non-agent origins
 * ({@link ChangeIngest}) join at {@code direct:master-ingest}, the one way into the consolidated calendar; air-gap
 * bundles join at {@code direct:master-ingest-agent}, after their own authentication.
 */
@Component
public class IngestRoutes extends RouteBuilder {

    private final AccessGuard guard;
    private final HeartbeatReader reader;
    private final HeartbeatService heartbeats;
    private final ConsolidationAggregator aggregator;
    private final BatchIdempotentRepository batches;
    private final AgentAdminService admin;
    private final IngestLock lock;

    public IngestRoutes(AccessGuard guard, HeartbeatReader reader, HeartbeatService heartbeats,
                        ConsolidationAggregator aggregator, BatchIdempotentRepository batches,
                        AgentAdminService admin, IngestLock lock) {
        this.lock = lock;
        this.guard = guard;
        this.reader = reader;
        this.heartbeats = heartbeats;
        this.aggregator = aggregator;
        this.batches = batches;
        this.admin = admin;
    }

    @Override
    public void configure() {
        // an agent's heartbeat over HTTP: authenticated here, then the agent ingest
        from("direct:master-ingest-heartbeat").routeId("master-ingest-heartbeat")
                .bean(guard, "agent").id("master-auth-agent")
                .to("direct:master-ingest-agent");

        // an authenticated agent's heartbeat body (HTTP above, or an air-gap bundle whose signature identified the
        // agent: the exchange property SecurityHeaders.AGENT is set by whoever authenticated it)
        from("direct:master-ingest-agent").routeId("master-ingest-agent")
                .bean(reader, "checkDeclaredLength").id("master-check-length")
                .bean(reader, "read").id("master-read-heartbeat")
                .choice()
                    .when(simple("${body.batchId} != null"))
                        .to("direct:master-dedupe-batch")
                    .otherwise()
                        .to("direct:master-ingest")
                .end()
                .marshal().json(JsonLibrary.Jackson);

        from("direct:master-dedupe-batch").routeId("master-dedupe-batch")
                .idempotentConsumer(method(batches, "messageId"))
                    .idempotentRepository(batches)
                    .eager(false)
                    .removeOnFailure(true)
                    .skipDuplicate(false)
                    .id("master-dedupe-batch-id")
                    .choice()
                        .when(exchangeProperty(Exchange.DUPLICATE_MESSAGE).isEqualTo(true))
                            .bean(heartbeats, "answerDuplicate").id("master-answer-duplicate")
                        .otherwise()
                            .to("direct:master-ingest")
                    .end()
                .end();

        // THE way into the consolidated calendar: heartbeats, air-gap bundles, imports, admin removals, and the
        // changes of destinations, the API and conflict resolutions (OriginChanges) all fold here:
        // prepare -> split + aggregate (de-duplicate, conflict strategy) -> fan-out + atomic store apply -> answer
        from("direct:master-ingest").routeId("master-ingest")
                .doTry()
                    .bean(lock, "lock")
                    .bean(heartbeats, "prepareAny").id("master-prepare-ingest")
                    .setProperty(ConsolidationAggregator.STATE, body())
                    // chunks of items: one exchange per chunk keeps Camel's per-exchange cost off the per-event path
                    .split(simple("${body.chunks}"), aggregator).stopOnException().id("master-consolidate")
                        .setHeader(IngestHeaders.CHUNK_INDEX, exchangeProperty(Exchange.SPLIT_INDEX))
                    .end()
                    .setBody(exchangeProperty(ConsolidationAggregator.STATE))
                    .removeProperty(ConsolidationAggregator.STATE)
                    .bean(heartbeats, "commitAny").id("master-commit-ingest")
                .endDoTry()
                .doFinally()
                    .bean(lock, "unlock")
                .end();

        from("direct:master-import-events").routeId("master-import-events")
                .bean(guard, "admin")
                .bean(reader, "checkDeclaredLength")
                .bean(admin, "importRequest").id("master-read-import")
                .to("direct:master-ingest")
                .marshal().json(JsonLibrary.Jackson);
    }
}
