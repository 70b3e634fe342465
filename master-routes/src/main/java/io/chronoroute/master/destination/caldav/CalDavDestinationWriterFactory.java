package io.chronoroute.master.destination.caldav;

import io.chronoroute.master.destination.DestinationContext;
import io.chronoroute.master.destination.DestinationWriter;
import io.chronoroute.master.destination.DestinationWriterFactory;
import io.chronoroute.providers.caldav.CalDavSettings;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.context.properties.bind.Bindable;
import org.springframework.boot.context.properties.bind.Binder;
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
        this(name -> bind(env, name));
    }

    /** @param settings settings by destination name (tests, benchmarks) */
    public CalDavDestinationWriterFactory(Function<String, CalDavSettings> settings) {
        this.settings = settings;
    }

    /**
     * Binds {@code chronoroute.destinations.<name>.caldav.*} from the Spring environment (defaults are the record's own,
     * {@link CalDavSettings} carries no framework annotations).
     */
    static CalDavSettings bind(Environment env, String destination) {
        return Binder.get(env).bind("chronoroute.destinations." + destination + ".caldav", Bindable.of(CalDavSettings.class))
                .orElseThrow(() -> new IllegalStateException("chronoroute.destinations." + destination
                        + ".caldav.url is not set"));
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
