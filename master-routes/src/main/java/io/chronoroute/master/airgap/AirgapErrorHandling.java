package io.chronoroute.master.airgap;

import org.apache.camel.LoggingLevel;
import org.apache.camel.builder.RouteConfigurationBuilder;
import org.springframework.stereotype.Component;

/**
 * Route configuration {@value #ID} of the air-gap pollers and answer route (routes name it with
 * {@code routeConfigurationId}, so the master's default HTTP error answer does not apply): log, do not handle -
 * the file consumer leaves the file in the inbox, the mail consumer leaves the mail unseen, both try again.
 */
@Component
public class AirgapErrorHandling extends RouteConfigurationBuilder {

    public static final String ID = "master-airgap";

    @Override
    public void configuration() {
        routeConfiguration(ID)
                .onException(Exception.class)
                .handled(false)
                .log(LoggingLevel.WARN, "Air-gap route ${routeId} failed; the input stays and is polled again: "
                        + "${exception}")
                .id("master-airgap-log-failure");
    }
}
