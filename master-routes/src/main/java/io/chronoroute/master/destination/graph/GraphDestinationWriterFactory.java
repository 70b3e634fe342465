package io.chronoroute.master.destination.graph;

import io.chronoroute.master.destination.DestinationContext;
import io.chronoroute.master.destination.DestinationMapping;
import io.chronoroute.master.destination.DestinationWriter;
import io.chronoroute.master.destination.DestinationWriterFactory;
import io.chronoroute.master.destination.SecretBox;
import io.chronoroute.master.store.MasterStore;
import io.chronoroute.providers.common.Backoff;
import io.chronoroute.providers.common.Sleeper;
import io.chronoroute.providers.graph.GraphAuth;
import io.chronoroute.providers.graph.GraphClient;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.context.properties.bind.Bindable;
import org.springframework.boot.context.properties.bind.Binder;
import org.springframework.core.env.Environment;
import org.springframework.stereotype.Component;

import java.net.http.HttpClient;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.time.Duration;
import java.util.function.Function;

/**
 * Creates Microsoft Graph writers ({@code type: graph}); settings from {@code chronoroute.destinations.<name>.graph.*}
 * ({@link GraphDestinationSettings}). A user's refresh token (delegated access, obtained with the device code flow)
 * is kept encrypted in the store under {@code destination.<name>.graph.refresh-token} with the {@link SecretBox}, as
 * the Google one is. The identity platform hands out a new refresh token on every use: each one is stored the same
 * way ({@link GraphAuth#onRefreshTokenRotated}), so a restart starts from the newest. A refresh token in the
 * configuration is only the first one: it is used until a newer one is stored for it (the store keeps a SHA-256
 * fingerprint of the configured value the stored one succeeds, {@code graph.refresh-token-seed}); configuring a
 * different value makes that one the first again.
 * <p>The {@link GraphClient} gets a backoff of one attempt: retries (429 with Retry-After, 5xx, I/O) are the
 * framework's ({@code RetryingCalls}, with the destination's backoff and its sleeper), so they are counted, bounded
 * and parked like every other destination's.
 */
@Component
public class GraphDestinationWriterFactory implements DestinationWriterFactory {

    public static final String TYPE = "graph";

    private final Function<String, GraphDestinationSettings> settings;
    private final SecretBox secrets;

    @Autowired
    public GraphDestinationWriterFactory(Environment env, SecretBox destinationSecretBox) {
        this(name -> bind(env, name), destinationSecretBox);
    }

    public GraphDestinationWriterFactory(Function<String, GraphDestinationSettings> settings, SecretBox secrets) {
        this.settings = settings;
        this.secrets = secrets;
    }

    static GraphDestinationSettings bind(Environment env, String destination) {
        return Binder.get(env).bind("chronoroute.destinations." + destination + ".graph",
                Bindable.of(GraphDestinationSettings.class)).orElseThrow(() -> new IllegalStateException(
                "chronoroute.destinations." + destination + ".graph.tenant / client-id are not set"));
    }

    @Override
    public String type() {
        return TYPE;
    }

    @Override
    public DestinationWriter create(DestinationContext ctx) {
        GraphDestinationSettings s = settings.apply(ctx.name());
        if (GraphDestinationSettings.blank(s.tenant()) || GraphDestinationSettings.blank(s.clientId())) {
            throw new IllegalStateException("destination " + ctx.name() + ": graph.tenant and graph.client-id are "
                    + "required");
        }
        String refresh = refreshToken(ctx.name(), s, ctx.store());
        HttpClient http = HttpClient.newBuilder().connectTimeout(s.timeout()).build();
        GraphAuth auth = new GraphAuth(http, s.authorityUrl(), s.tenant(), s.clientId(),
                GraphDestinationSettings.blank(s.clientSecret()) ? null : s.clientSecret(), refresh, ctx.clock(),
                s.timeout());
        if (refresh == null && s.mailbox() == null) {
            throw new IllegalStateException("destination " + ctx.name() + ": app-only access (client secret) needs "
                    + "graph.mailbox");
        }
        if (refresh != null) {
            auth.onRefreshTokenRotated(rt -> storeRefreshToken(ctx.name(), ctx.store(), rt));
        }
        GraphClient client = new GraphClient(http, auth, s.graphUrl(), s.timeout(), ctx.gate(),
                new Backoff(Duration.ofSeconds(1), Duration.ofSeconds(1), 1, () -> 0.5), Sleeper.SYSTEM);
        return new GraphDestinationWriter(ctx, client, s);
    }

    /** The settings of destination {@code name} ({@code chronoroute.destinations.<name>.graph.*}). */
    public GraphDestinationSettings settings(String name) {
        return settings.apply(name);
    }

    /**
     * The newest refresh token: the stored (encrypted) one, unless a configured one that the stored one does not
     * succeed is set (then the configured one); null: none (client credentials).
     */
    public String refreshToken(String name, GraphDestinationSettings s, MasterStore store) {
        String key = refreshTokenKey(name);
        String stored = store.getSetting(key).map(v -> secrets.decrypt(v, key)).orElse(null);
        if (GraphDestinationSettings.blank(s.refreshToken())) {
            return stored;
        }
        String seed = store.getSetting(seedKey(name)).orElse(null);
        return stored != null && fingerprint(s.refreshToken()).equals(seed) ? stored : s.refreshToken();
    }

    /**
     * Stores a user's refresh token (from the device code flow, or a rotated one) encrypted, as the successor of
     * the configured one (if any). Never logged.
     */
    public void storeRefreshToken(String name, MasterStore store, String refreshToken) {
        String key = refreshTokenKey(name);
        store.putSetting(key, secrets.encrypt(refreshToken, key));
        String configured = settings.apply(name).refreshToken();
        store.putSetting(seedKey(name), fingerprint(GraphDestinationSettings.blank(configured) ? "" : configured));
    }

    static String seedKey(String name) {
        return DestinationMapping.settingPrefix(name) + "graph.refresh-token-seed";
    }

    private static String fingerprint(String token) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256")
                    .digest(token.getBytes(StandardCharsets.UTF_8)));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    public static String refreshTokenKey(String name) {
        return DestinationMapping.settingPrefix(name) + "graph.refresh-token";
    }
}
