package io.chronoroute.master.destination;

import io.chronoroute.master.cluster.Leadership;
import io.chronoroute.master.destination.google.GoogleDestinationWriterFactory;
import io.chronoroute.master.ingest.ChangeIngest;
import io.chronoroute.master.store.MasterStore;
import io.chronoroute.providers.common.Sleeper;
import org.apache.camel.CamelContext;
import org.springframework.beans.factory.ObjectProvider;
import org.springframework.boot.context.properties.EnableConfigurationProperties;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;

import java.time.Clock;
import java.util.List;
import java.util.concurrent.ThreadLocalRandom;

/**
 * Spring wiring of the destinations: secret box, writer factories (one per type), the sync service. Two-way sync hands
 * destination edits to the {@link ChangeIngest} bean; without one, every destination runs one-way.
 */
@Configuration
@EnableConfigurationProperties(DestinationsProperties.class)
public class DestinationConfiguration {

    @Bean
    SecretBox destinationSecretBox(DestinationsProperties props) {
        return SecretBox.create(props.secretKey(), props.dataDir());
    }

    @Bean
    GoogleDestinationWriterFactory googleDestinationWriterFactory(CamelContext camel, SecretBox destinationSecretBox) {
        return new GoogleDestinationWriterFactory(camel, destinationSecretBox);
    }

    @Bean(destroyMethod = "close")
    DestinationSyncService destinationSyncService(MasterStore store, DestinationsProperties props,
                                                  List<DestinationWriterFactory> factories,
                                                  ObjectProvider<Clock> clock, Leadership leadership,
                                                  ObjectProvider<ChangeIngest> ingest) {
        return new DestinationSyncService(store, props.destinations(), factories,
                clock.getIfAvailable(Clock::systemUTC), Sleeper.SYSTEM,
                () -> ThreadLocalRandom.current().nextDouble(), leadership, ingest::getIfAvailable);
    }
}
