package io.chronoroute.agent.source.outlook;

import io.chronoroute.agent.AgentProperties;
import io.chronoroute.agent.collect.ChangeBatch;
import io.chronoroute.agent.collect.ChangeCollector;
import io.chronoroute.agent.source.SourceRegistry;
import io.chronoroute.agent.state.AgentState;
import org.apache.camel.CamelContext;
import org.apache.camel.builder.RouteBuilder;
import org.apache.camel.impl.DefaultCamelContext;
import org.apache.camel.support.PluginHelper;
import org.apache.camel.support.ResourceHelper;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

import static io.chronoroute.agent.source.outlook.OutlookItemMapperTest.recorded;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * The shipped {@code outlook-source} template instantiated by the file {@code discover outlook --write-route}
 * writes, in a plain Camel context (no Spring) with the source bean on a fake session and the real collector behind
 * {@code direct:agent-collect}: the timer route registers, polls, collects and commits.
 */
class OutlookSourceRouteTest {

    @TempDir
    Path tmp;

    @Test
    void theTemplateAndTheDiscoveredFileRunTheSource() throws Exception {
        FakeOutlookSession outlook = new FakeOutlookSession().folder("CAL-1", "Calendar", true);
        outlook.userAdd("CAL-1", recorded("single-timed.json"));
        outlook.userAdd("CAL-1", recorded("series-weekly.json"));
        Path file = tmp.resolve("outlook.camel.yaml");
        int rc = new OutlookDiscoverer(() -> outlook).run(new String[] {"--write-route", file.toString(),
                "--source-name", "desk", "--interval", "200"}, Map.of(), new PrintStream(new ByteArrayOutputStream()),
                System.err);
        assertThat(rc).isZero();
        AgentProperties props = new AgentProperties("agent-route", "t", "test", URI.create("http://127.0.0.1:1"), null,
                Duration.ofSeconds(30), Duration.ofSeconds(1), Duration.ofSeconds(1), 5000, 20, Duration.ofSeconds(5),
                Duration.ofMinutes(1), "Europe/Berlin");
        try (AgentState state = AgentState.open(tmp.resolve("data"));
             CamelContext camel = new DefaultCamelContext()) {
            ChangeCollector collector = new ChangeCollector(state, props);
            SourceRegistry registry = new SourceRegistry();
            OutlookWindowsSource source = new OutlookWindowsSource(state, registry, props, Clock.systemUTC(),
                    () -> outlook);
            CountDownLatch collected = new CountDownLatch(2);
            camel.getRegistry().bind("outlookWindowsSource", source);
            camel.addRoutes(new RouteBuilder() {
                @Override
                @SuppressWarnings("unchecked")
                public void configure() {
                    from("direct:agent-collect").process(x -> {
                        collector.collect((List<ChangeBatch>) x.getIn().getBody(List.class));
                        collected.countDown();
                    });
                }
            });
            Path template = Path.of("..", "src-routes-yaml", "templates", "agent", "outlook-source.camel.yaml");
            PluginHelper.getRoutesLoader(camel).loadRoutes(
                    ResourceHelper.fromString("outlook-source.camel.yaml", Files.readString(template)),
                    ResourceHelper.fromString("outlook.camel.yaml", Files.readString(file, StandardCharsets.UTF_8)));
            camel.start();
            assertThat(collected.await(20, TimeUnit.SECONDS)).isTrue();
            assertThat(state.<Long>read(AgentState.Tx::currentSize)).isEqualTo(3);
            assertThat(registry.find("desk")).hasValueSatisfying(c -> {
                assertThat(c.provider()).isEqualTo("outlook");
                assertThat(c.allowEventUpdates()).isFalse();
                assertThat(source.state(c).cursorAt()).isNotNull();
            });
        }
    }
}
