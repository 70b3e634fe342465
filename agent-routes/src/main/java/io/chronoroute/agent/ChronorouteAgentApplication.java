package io.chronoroute.agent;

import org.springframework.boot.SpringApplication;
import org.springframework.boot.autoconfigure.SpringBootApplication;
import org.springframework.boot.context.properties.ConfigurationPropertiesScan;

/**
 * The Chronoroute agent: collects calendar events from the sources declared as YAML files (route templates in
 * {@code chronoroute/templates/agent/}, instances in {@code ${chronoroute.sources-dir}}), keeps them in a durable
 * local state and sends them to the master as protocol-2 delta heartbeats. {@code discover <kind>} as first argument
 * lists a server's calendars and writes a source file instead ({@link io.chronoroute.agent.discover.DiscoverCommand}).
 */
@SpringBootApplication
@ConfigurationPropertiesScan
public class ChronorouteAgentApplication {

    public static void main(String[] args) {
        if (args.length > 0 && "discover".equals(args[0])) {
            System.exit(io.chronoroute.agent.discover.DiscoverCommand.run(
                    java.util.Arrays.copyOfRange(args, 1, args.length), System.out, System.err));
        }
        SpringApplication.run(ChronorouteAgentApplication.class, args);
    }
}
