package io.chronoroute.master.config;

import io.chronoroute.master.ingest.ConsolidationAggregator;
import io.chronoroute.processors.conflict.ConflictResolver;
import io.chronoroute.processors.conflict.ConflictStrategy;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;

import java.time.Clock;

/** Small shared beans: the clock, the conflict strategy, resolver and the consolidation aggregator. */
@Configuration
public class MasterBeans {

    @Bean
    Clock masterClock() {
        return Clock.systemUTC();
    }

    /** Fails the start when chronoroute.conflict-resolution is not one of the four strategies. */
    @Bean
    ConflictStrategy conflictStrategy(ChronorouteProperties props) {
        return ConflictStrategy.parse(props.conflictResolution());
    }

    @Bean
    ConflictResolver conflictResolver() {
        return new ConflictResolver();
    }

    @Bean
    ConsolidationAggregator consolidationAggregator(ConflictResolver resolver) {
        return new ConsolidationAggregator(resolver);
    }
}
