package io.chronoroute.master.destination.caldav;

import io.chronoroute.master.destination.DestinationContext;
import io.chronoroute.master.destination.DestinationWriter;
import io.chronoroute.master.destination.DestinationWriterFactory;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.core.env.Environment;
import org.springframework.stereotype.Component;

import java.util.function.Function;

/**
 * Creates CalDAV writers ({@code type: caldav}); settings from {@code chronoroute.destinations.<name>.caldav.*}
 * ({@link CalDavSettings}).
 */
@Component
public class CalDavDestinationWriterFactory implements DestinationWriterFactory {

    public static final String TYPE = "caldav";

    private final Function<String, CalDavSettings> settings;

    @Autowired
    public CalDavDestinationWriterFactory(Environment env) {
        this(name -> CalDavSettings.bind(env, name));
    }

    /** @param settings settings by destination name (tests, benchmarks) */
    public CalDavDestinationWriterFactory(Function<String, CalDavSettings> settings) {
        this.settings = settings;
    }

    @Override
    public String type() {
        return TYPE;
    }

    @Override
    public DestinationWriter create(DestinationContext context) {
        return new CalDavDestinationWriter(context, settings.apply(context.name()));
    }
}
