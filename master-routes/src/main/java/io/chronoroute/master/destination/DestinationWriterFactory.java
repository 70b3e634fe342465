package io.chronoroute.master.destination;

/**
 * Creates the {@link DestinationWriter} of one configured destination. One Spring bean per type ({@code google},
 * {@code ews}, {@code caldav}); the {@link DestinationSyncService} picks it by {@link DestinationConfig#type()}.
 */
public interface DestinationWriterFactory {

    String type();

    DestinationWriter create(DestinationContext context);
}
