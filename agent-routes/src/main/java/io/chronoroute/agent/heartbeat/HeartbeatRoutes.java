package io.chronoroute.agent.heartbeat;

import org.apache.camel.builder.RouteBuilder;
import org.springframework.stereotype.Component;

/**
 * {@code agent-send-heartbeat}: a timer ticks every {@code chronoroute.agent.heartbeat-tick}; the
 * {@link HeartbeatSchedule} lets a tick through when the (runtime-changeable) interval has passed; the
 * {@link HeartbeatService} registers if needed and sends the outbox as protocol-2 deltas; the updates the master
 * handed out go one by one to {@code agent-apply-update}.
 */
@Component
public class HeartbeatRoutes extends RouteBuilder {

    public static final String APPLY_UPDATE = "direct:agent-apply-update";

    @Override
    public void configure() {
        from("timer:agent-heartbeat?delay={{chronoroute.agent.heartbeat-initial-delay:2000}}"
                + "&period={{chronoroute.agent.heartbeat-tick:1000}}")
                .routeId("agent-send-heartbeat")
                .filter().method("heartbeatSchedule", "isDue")
                    .bean("heartbeatService", "runCycle").id("agent-heartbeat-cycle")
                    .split(body())
                        .to(APPLY_UPDATE)
                    .end()
                .end();

        from(APPLY_UPDATE).routeId("agent-apply-update")
                .bean("updateDispatcher", "apply").id("agent-apply-update-dispatch");
    }
}
