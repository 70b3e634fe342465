package io.chronoroute.agent;

import org.apache.camel.CamelContext;
import org.apache.camel.test.spring.junit5.CamelSpringBootTest;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.test.context.DynamicPropertyRegistry;
import org.springframework.test.context.DynamicPropertySource;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

import static org.assertj.core.api.Assertions.assertThat;

/** A sources folder that does not exist (or holds no matching file) must not fail the start. */
@CamelSpringBootTest
@SpringBootTest(classes = ChronorouteAgentApplication.class, webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT)
class AgentStartsWithoutSourcesTest {

    @DynamicPropertySource
    static void properties(DynamicPropertyRegistry r) throws IOException {
        Path root = Files.createTempDirectory("chronoroute-agent-nosources");
        r.add("chronoroute.data-dir", () -> root.resolve("data").toString());
        r.add("chronoroute.sources-dir", () -> root.resolve("does-not-exist").toString());
        r.add("chronoroute.agent.id", () -> "lonely-agent");
        r.add("chronoroute.agent.master-url", () -> "http://127.0.0.1:9");
        r.add("chronoroute.agent.heartbeat-initial-delay", () -> "60000");
    }

    @Autowired
    CamelContext camel;

    @Test
    void startsWithTheHeartbeatRoutesOnly() {
        assertThat(camel.getStatus().isStarted()).isTrue();
        assertThat(camel.getRoute("agent-send-heartbeat")).isNotNull();
        assertThat(camel.getRoute("agent-collect-changes")).isNotNull();
        assertThat(camel.getRoutes()).noneMatch(r -> r.getRouteId().startsWith("agent-poll-ics"));
    }
}
