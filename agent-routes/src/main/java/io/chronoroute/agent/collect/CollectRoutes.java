package io.chronoroute.agent.collect;

import org.apache.camel.builder.RouteBuilder;
import org.springframework.stereotype.Component;

/**
 * {@code direct:agent-collect}: every source sends what it observed here (a {@code List<ChangeBatch>}); the
 * {@link ChangeCollector} applies it to the durable state in one commit. A failure propagates back to the source
 * route, so a file consumer does not mark the file as done and reads it again on its next poll.
 */
@Component
public class CollectRoutes extends RouteBuilder {

    public static final String COLLECT = "direct:agent-collect";

    @Override
    public void configure() {
        from(COLLECT).routeId("agent-collect-changes")
                .bean("changeCollector", "collect").id("agent-collect-apply");
    }
}
