package io.chronoroute.agent;

import org.springframework.boot.SpringApplication;
import org.springframework.boot.autoconfigure.SpringBootApplication;
import org.springframework.boot.context.properties.ConfigurationPropertiesScan;

/**
 * The Chronoroute agent: collects calendar events from the sources declared as YAML files (route templates in
 * {@code chronoroute/templates/agent/}, instances in {@code ${chronoroute.sources-dir}}), keeps them in a durable
 * local state and sends them to the master as protocol-2 delta heartbeats.
 */
@SpringBootApplication
@ConfigurationPropertiesScan
public class ChronorouteAgentApplication {

    public static void main(String[] args) {
        SpringApplication.run(ChronorouteAgentApplication.class, args);
    }
}
