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
 * → answer. {@code /sync/import/{source_id}} joins at {@code direct:master-apply-heartbeat}.
 */
@Component
public class IngestRoutes extends RouteBuilder {

    private final AccessGuard guard;
    private final HeartbeatReader reader;
    private final HeartbeatService heartbeats;
    private final ConsolidationAggregator aggregator;
    private final BatchIdempotentRepository batches;
    private final AgentAdminService admin;

    public IngestRoutes(AccessGuard guard, HeartbeatReader reader, HeartbeatService heartbeats,
                        ConsolidationAggregator aggregator, BatchIdempotentRepository batches,
                        AgentAdminService admin) {
        this.guard = guard;
        this.reader = reader;
        this.heartbeats = heartbeats;
        this.aggregator = aggregator;
        this.batches = batches;
        this.admin = admin;
    }

    @Override
    public void configure() {
        from("direct:master-ingest-heartbeat").routeId("master-ingest-heartbeat")
                .bean(guard, "agent").id("master-auth-agent")
                .bean(reader, "checkDeclaredLength").id("master-check-length")
                .bean(reader, "read").id("master-read-heartbeat")
                .choice()
                    .when(simple("${body.batchId} != null"))
                        .to("direct:master-dedupe-batch")
                    .otherwise()
                        .to("direct:master-apply-heartbeat")
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
                            .to("direct:master-apply-heartbeat")
                    .end()
                .end();

        from("direct:master-apply-heartbeat").routeId("master-apply-heartbeat")
                .bean(heartbeats, "prepare").id("master-prepare-ingest")
                .setProperty(ConsolidationAggregator.STATE, body())
                // chunks of items: one exchange per chunk keeps Camel's per-exchange cost off the per-event path
                .split(simple("${body.chunks}"), aggregator).stopOnException().id("master-consolidate")
                    .setHeader(IngestHeaders.CHUNK_INDEX, exchangeProperty(Exchange.SPLIT_INDEX))
                .end()
                .setBody(exchangeProperty(ConsolidationAggregator.STATE))
                .removeProperty(ConsolidationAggregator.STATE)
                .bean(heartbeats, "commit").id("master-commit-ingest");

        from("direct:master-import-events").routeId("master-import-events")
                .bean(guard, "admin")
                .bean(reader, "checkDeclaredLength")
                .bean(admin, "importRequest").id("master-read-import")
                .to("direct:master-apply-heartbeat")
                .marshal().json(JsonLibrary.Jackson);
    }
}
