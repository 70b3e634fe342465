package io.chronoroute.master.rest;

import io.chronoroute.master.ChronorouteMasterApplication;
import io.chronoroute.master.store.AgentUpdate;
import io.chronoroute.master.store.ChangeSet;
import io.chronoroute.master.store.MasterStore;
import org.apache.camel.CamelContext;
import org.apache.camel.ProducerTemplate;
import org.apache.camel.builder.AdviceWith;
import org.apache.camel.builder.NotifyBuilder;
import org.apache.camel.test.spring.junit5.CamelSpringBootTest;
import org.apache.camel.test.spring.junit5.UseAdviceWith;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.boot.test.web.server.LocalServerPort;
import org.springframework.test.context.DynamicPropertyRegistry;
import org.springframework.test.context.DynamicPropertySource;

import java.nio.file.Path;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Route internals with AdviceWith: a failure inside the ingest after consolidation (simulated before the atomic
 * commit) answers 500 with a correlation id and no stack trace, applies nothing and does not remember the batch id,
 * so the agent's retry is applied. The scheduled purge route is driven through a direct endpoint and awaited
 * with NotifyBuilder.
 */
@CamelSpringBootTest
@UseAdviceWith
@SpringBootTest(classes = ChronorouteMasterApplication.class, webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT)
class IngestFailureTest {

    static final String ADMIN = "failure-test-admin-token-0123456789";
    static final String ENROLL = "failure-test-enroll-0123456789";
    static final AtomicBoolean FAIL = new AtomicBoolean();

    @TempDir
    static Path dataDir;

    @DynamicPropertySource
    static void props(DynamicPropertyRegistry r) {
        r.add("chronoroute.data-dir", () -> dataDir.toString());
        r.add("chronoroute.admin-token", () -> ADMIN);
        r.add("chronoroute.feed-token", () -> "failure-test-feed-token-0123456789");
        r.add("chronoroute.enrollment-secret", () -> ENROLL);
    }

    @Autowired
    CamelContext camel;
    @Autowired
    ProducerTemplate producer;
    @Autowired
    MasterStore store;
    @LocalServerPort
    int port;
    ApiClient api;

    @BeforeEach
    void adviseOnce() throws Exception {
        api = new ApiClient(port);
        if (camel.isStarted()) {
            return;
        }
        AdviceWith.adviceWith(camel, "master-ingest", a -> a.weaveById("master-commit-ingest").before()
                .process(ex -> {
                    if (FAIL.get()) {
                        throw new IllegalStateException("simulated failure before the commit");
                    }
                }));
        AdviceWith.adviceWith(camel, "master-purge-updates", a -> a.replaceFromWith("direct:test-purge-updates"));
        camel.start();
    }

    @Test
    void aFailureIs500WithACorrelationIdAndNothingIsAppliedOrRemembered() {
        ApiClient.Response reg = api.post("/sync/agents/register", null, Map.of("id", "fail-a", "enrollment_secret", ENROLL));
        assertThat(reg.status()).as(reg.body()).isEqualTo(201);
        String cred = reg.json().get("credential").asText();
        Map<String, Object> body = Map.of("protocol", 2, "batch_id", "fail-a-1", "changed", List.of(Map.of(
                "uid", "f-1", "title", "T", "start", Map.of("date", "2025-06-10"), "source", "s")));

        FAIL.set(true);
        ApiClient.Response failed = api.post("/sync/agents/fail-a/heartbeat", cred, body);
        FAIL.set(false);
        assertThat(failed.status()).isEqualTo(500);
        assertThat(failed.json().get("error").asText()).isEqualTo("internal");
        assertThat(failed.json().get("id").asText()).hasSize(36);
        assertThat(failed.body()).doesNotContain("simulated").doesNotContain("Exception");
        assertThat(store.observationCount("fail-a")).isZero();
        assertThat(store.containsKey("batch:fail-a", "fail-a-1")).isFalse();

        ApiClient.Response retry = api.post("/sync/agents/fail-a/heartbeat", cred, body);
        assertThat(retry.status()).as(retry.body()).isEqualTo(200);
        assertThat(retry.json().get("applied").get("upserted").asInt()).isEqualTo(1);
        assertThat(retry.json().has("duplicate")).isFalse();
        assertThat(store.containsKey("batch:fail-a", "fail-a-1")).isTrue();
    }

    @Test
    void theScheduledPurgeRemovesOldProcessedUpdates() {
        Instant old = Instant.now().minus(40, ChronoUnit.DAYS);
        ChangeSet cs = new ChangeSet();
        cs.putUpdates.add(new AgentUpdate("old-update-1", "purge-agent", "sync_config", Map.of(), AgentUpdate.PROCESSED,
                old, old, 1, null));
        store.apply(cs);
        NotifyBuilder done = new NotifyBuilder(camel).fromRoute("master-purge-updates").whenDone(1).create();
        producer.sendBody("direct:test-purge-updates", null);
        assertThat(done.matches(10, TimeUnit.SECONDS)).isTrue();
        assertThat(store.findUpdate("purge-agent", "old-update-1")).isEmpty();
    }
}
