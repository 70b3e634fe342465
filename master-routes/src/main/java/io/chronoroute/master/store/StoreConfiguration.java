package io.chronoroute.master.store;

import io.chronoroute.master.store.embedded.EmbeddedMasterStore;
import io.chronoroute.master.store.redis.RedisMasterStore;
import io.lettuce.core.RedisURI;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.boot.autoconfigure.condition.ConditionalOnProperty;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.core.env.Environment;
import org.springframework.data.redis.connection.RedisStandaloneConfiguration;
import org.springframework.data.redis.connection.lettuce.LettuceClientConfiguration;
import org.springframework.data.redis.connection.lettuce.LettuceConnectionFactory;

/**
 * Creates the {@link MasterStore} bean from {@link StoreProperties} ({@code chronoroute.store} = {@code embedded} |
 * {@code redis}). In embedded mode nothing here touches Redis. In Redis mode a {@link LettuceConnectionFactory} for
 * the same {@code chronoroute.redis.url} is also exposed, so Spring Boot's own Redis auto-configuration (and with it
 * the Redis health indicator) backs off and checks the Redis the store really uses.
 */
@Configuration(proxyBeanMethods = false)
public class StoreConfiguration {

    private static final Logger LOG = LoggerFactory.getLogger(StoreConfiguration.class);

    @Bean
    public StoreProperties storeProperties(Environment env) {
        return StoreProperties.from(env);
    }

    @Bean(destroyMethod = "close")
    public MasterStore masterStore(StoreProperties props) {
        LOG.info("master store: {}", props);
        if (StoreProperties.REDIS.equals(props.store())) {
            return new RedisMasterStore(props.redisUrl(), props.redisKeyPrefix());
        }
        return new EmbeddedMasterStore(props.dataDir(), props.cacheSizeMb(), props.fsync());
    }

    /** Only with {@code chronoroute.store=redis}. */
    @Configuration(proxyBeanMethods = false)
    @ConditionalOnProperty(name = "chronoroute.store", havingValue = "redis")
    public static class RedisConnection {

        @Bean
        public LettuceConnectionFactory redisConnectionFactory(StoreProperties props) {
            RedisURI uri = RedisURI.create(props.redisUrl());
            RedisStandaloneConfiguration standalone = new RedisStandaloneConfiguration(uri.getHost(), uri.getPort());
            standalone.setDatabase(uri.getDatabase());
            if (uri.getUsername() != null) {
                standalone.setUsername(uri.getUsername());
            }
            if (uri.getPassword() != null) {
                standalone.setPassword(uri.getPassword());
            }
            LettuceClientConfiguration.LettuceClientConfigurationBuilder client = LettuceClientConfiguration.builder();
            if (uri.isSsl()) {
                client.useSsl();
            }
            return new LettuceConnectionFactory(standalone, client.build());
        }
    }
}
