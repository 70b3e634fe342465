package io.chronoroute.master.destination.google;

import io.chronoroute.master.destination.DestinationConfig;
import io.chronoroute.master.destination.DestinationContext;
import io.chronoroute.master.destination.DestinationMapping;
import io.chronoroute.master.destination.DestinationWriter;
import io.chronoroute.master.destination.DestinationWriterFactory;
import io.chronoroute.master.destination.SecretBox;
import io.chronoroute.master.store.MasterStore;
import io.chronoroute.providers.google.GoogleOAuth;
import org.apache.camel.CamelContext;

import java.time.Clock;

/**
 * Creates Google writers and holds what the OAuth endpoints share with them: where the encrypted refresh token
 * and the chosen calendar id live in the store ({@code destination.<name>.google.refresh-token},
 * {@code destination.<name>.calendar-id}). A refresh token from the configuration wins over the stored one.
 */
public class GoogleDestinationWriterFactory implements DestinationWriterFactory {

    public static final String TYPE = "google";

    private final CamelContext camel;
    private final SecretBox secrets;

    public GoogleDestinationWriterFactory(CamelContext camel, SecretBox secrets) {
        this.camel = camel;
        this.secrets = secrets;
    }

    @Override
    public String type() {
        return TYPE;
    }

    @Override
    public DestinationWriter create(DestinationContext ctx) {
        GoogleOAuth oauth = oauth(ctx.name(), ctx.config(), ctx.store(), ctx.clock());
        DestinationConfig.Google g = ctx.config().google();
        GoogleAccount account = new GoogleAccount(camel, ctx.name(), g.clientId(),
                new ChronorouteGoogleClientFactory(g.rootUrl(), g.timeout(), oauth), oauth);
        return new GoogleDestinationWriter(ctx, account, calendarId(ctx.name(), ctx.config(), ctx.store()));
    }

    /** An account for the setup endpoints (own component name, so it never disturbs a running writer). */
    public GoogleAccount setupAccount(String name, DestinationConfig cfg, MasterStore store, Clock clock) {
        GoogleOAuth oauth = oauth(name, cfg, store, clock);
        DestinationConfig.Google g = cfg.google();
        return new GoogleAccount(camel, name + "-setup", g.clientId(),
                new ChronorouteGoogleClientFactory(g.rootUrl(), g.timeout(), oauth), oauth);
    }

    public GoogleOAuth oauth(String name, DestinationConfig cfg, MasterStore store, Clock clock) {
        return new GoogleOAuth(cfg.google(), () -> refreshToken(name, cfg, store), clock);
    }

    public String refreshToken(String name, DestinationConfig cfg, MasterStore store) {
        String configured = cfg.google().refreshToken();
        if (configured != null && !configured.isBlank()) {
            return configured;
        }
        String key = refreshTokenKey(name);
        return store.getSetting(key).map(v -> secrets.decrypt(v, key)).orElse(null);
    }

    public void storeRefreshToken(String name, MasterStore store, String refreshToken) {
        String key = refreshTokenKey(name);
        store.putSetting(key, secrets.encrypt(refreshToken, key));
    }

    public static String refreshTokenKey(String name) {
        return DestinationMapping.settingPrefix(name) + "google.refresh-token";
    }

    public static String calendarIdKey(String name) {
        return DestinationMapping.settingPrefix(name) + "calendar-id";
    }

    public static String calendarId(String name, DestinationConfig cfg, MasterStore store) {
        return store.getSetting(calendarIdKey(name)).orElse(cfg.calendarId());
    }
}
