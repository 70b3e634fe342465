package io.chronoroute.master;

import org.springframework.boot.SpringApplication;
import org.springframework.boot.autoconfigure.SpringBootApplication;
import org.springframework.boot.context.properties.ConfigurationPropertiesScan;

/** The consolidating master: REST API for agents and admins, ingest pipeline, update queues, iCalendar feed. */
@SpringBootApplication(scanBasePackages = "io.chronoroute.master")
@ConfigurationPropertiesScan("io.chronoroute.master")
public class ChronorouteMasterApplication {

    public static void main(String[] args) {
        SpringApplication.run(ChronorouteMasterApplication.class, args);
    }
}
