package io.chronoroute.master.destination.ews;

import io.chronoroute.master.destination.DestinationContext;
import io.chronoroute.master.destination.DestinationWriter;
import io.chronoroute.master.destination.DestinationWriterFactory;
import io.chronoroute.providers.ews.EwsSettings;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.context.properties.bind.Bindable;
import org.springframework.boot.context.properties.bind.Binder;
import org.springframework.core.env.Environment;
import org.springframework.stereotype.Component;

import java.util.function.Function;

/** Creates EWS writers ({@code type: ews}); settings from {@code chronoroute.destinations.<name>.ews.*}. */
@Component
public class EwsDestinationWriterFactory implements DestinationWriterFactory {

    public static final String TYPE = "ews";

    private final Function<String, EwsSettings> settings;

    @Autowired
    public EwsDestinationWriterFactory(Environment env) {
        this(name -> bind(env, name));
    }

    public EwsDestinationWriterFactory(Function<String, EwsSettings> settings) {
        this.settings = settings;
    }

    /**
     * Binds {@code chronoroute.destinations.<name>.ews.*} from the Spring environment (defaults are the record's own,
     * {@link EwsSettings} carries no framework annotations).
     */
    static EwsSettings bind(Environment env, String destination) {
        return Binder.get(env).bind("chronoroute.destinations." + destination + ".ews", Bindable.of(EwsSettings.class))
                .orElseThrow(() -> new IllegalStateException("chronoroute.destinations." + destination
                        + ".ews.url is not set"));
    }

    @Override
    public String type() {
        return TYPE;
    }

    @Override
    public DestinationWriter create(DestinationContext context) {
        return new EwsDestinationWriter(context, settings.apply(context.name()));
    }
}
