package io.chronoroute.master.metrics;

import io.chronoroute.master.destination.DestinationSyncService;
import io.chronoroute.master.store.MasterStore;
import io.micrometer.core.instrument.MeterRegistry;
import org.springframework.beans.factory.ObjectProvider;
import org.springframework.beans.factory.annotation.Value;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;

import java.time.Clock;
import java.time.Duration;

/** The operator metrics of the master ({@link MasterMetrics}) on the application's meter registry. */
@Configuration
public class MetricsConfiguration {

    @Bean
    MasterMetrics masterMetrics(MasterStore store, ObjectProvider<DestinationSyncService> destinations,
                                ObjectProvider<Clock> clock, MeterRegistry registry,
                                @Value("${chronoroute.metrics.snapshot-ttl:5s}") Duration ttl) {
        return new MasterMetrics(store, destinations.getIfAvailable(), clock.getIfAvailable(Clock::systemUTC), ttl,
                registry);
    }
}
