package io.chronoroute.master.store;

import java.nio.file.Path;
import org.springframework.boot.context.properties.bind.Binder;
import org.springframework.core.env.Environment;

/**
 * Settings of the {@link MasterStore}, read from flat keys of the {@code chronoroute.*} namespace with Spring's
 * {@link Binder} (relaxed binding, so {@code CHRONOROUTE_STORE}, {@code CHRONOROUTE_REDIS_URL} work too). They are not
 * a {@code @ConfigurationProperties} class because {@code chronoroute.*} as a whole belongs to the application's own
 * properties record.
 * <table>
 * <caption>keys</caption>
 * <tr><td>{@code chronoroute.store}</td><td>{@code embedded} (default) or {@code redis}</td></tr>
 * <tr><td>{@code chronoroute.data-dir}</td><td>folder of {@code master.mv.db}; default
 * {@code ./chronoroute-data/master}</td></tr>
 * <tr><td>{@code chronoroute.redis.url}</td><td>{@code redis://[:password@]host:port[/db]} or {@code rediss://...};
 * default {@code redis://localhost:6379}</td></tr>
 * <tr><td>{@code chronoroute.redis.key-prefix}</td><td>default {@code chronoroute:}</td></tr>
 * <tr><td>{@code chronoroute.embedded.cache-size-mb}</td><td>MVStore page cache, default 16</td></tr>
 * <tr><td>{@code chronoroute.embedded.fsync}</td><td>fsync every commit (power-loss safety), default true</td></tr>
 * </table>
 * {@link #toString()} never shows the Redis password.
 */
public record StoreProperties(String store, Path dataDir, String redisUrl, String redisKeyPrefix, int cacheSizeMb,
                              boolean fsync) {

    public static final String EMBEDDED = "embedded";
    public static final String REDIS = "redis";

    public StoreProperties {
        store = store == null || store.isBlank() ? EMBEDDED : store.trim().toLowerCase(java.util.Locale.ROOT);
        if (!EMBEDDED.equals(store) && !REDIS.equals(store)) {
            throw new IllegalArgumentException("chronoroute.store must be 'embedded' or 'redis', not '" + store + "'");
        }
        dataDir = dataDir == null ? Path.of("./chronoroute-data/master") : dataDir;
        redisUrl = redisUrl == null || redisUrl.isBlank() ? "redis://localhost:6379" : redisUrl.trim();
        redisKeyPrefix = redisKeyPrefix == null ? "chronoroute:" : redisKeyPrefix;
        if (cacheSizeMb <= 0) {
            throw new IllegalArgumentException("chronoroute.embedded.cache-size-mb must be positive");
        }
    }

    public static StoreProperties from(Environment env) {
        Binder b = Binder.get(env);
        return new StoreProperties(
                b.bind("chronoroute.store", String.class).orElse(null),
                b.bind("chronoroute.data-dir", Path.class).orElse(null),
                b.bind("chronoroute.redis.url", String.class).orElse(null),
                b.bind("chronoroute.redis.key-prefix", String.class).orElse(null),
                b.bind("chronoroute.embedded.cache-size-mb", Integer.class).orElse(16),
                b.bind("chronoroute.embedded.fsync", Boolean.class).orElse(true));
    }

    /** The Redis URL with any password replaced by "***", for messages. */
    public String redisUrlForLog() {
        return redisUrl.replaceFirst("//[^@/]*@", "//***@");
    }

    @Override
    public String toString() {
        return "StoreProperties[store=" + store + ", dataDir=" + dataDir + ", redisUrl=" + redisUrlForLog()
                + ", redisKeyPrefix=" + redisKeyPrefix + ", cacheSizeMb=" + cacheSizeMb + ", fsync=" + fsync + "]";
    }
}
