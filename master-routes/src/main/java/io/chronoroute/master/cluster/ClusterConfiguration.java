package io.chronoroute.master.cluster;

import io.chronoroute.master.store.MasterStore;
import io.chronoroute.master.store.StoreProperties;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import java.time.Clock;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.beans.factory.ObjectProvider;
import org.springframework.boot.autoconfigure.condition.ConditionalOnProperty;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;

/**
 * Leader election when {@code chronoroute.cluster.enabled=true} (needs {@code chronoroute.store=redis}): a
 * {@link RedisClusterService} and a {@link SingletonRoutePolicyFactory} as beans (Camel adds both from the registry to
 * the CamelContext before the routes are created), and {@link Leadership} for the destination runs. Otherwise this
 * master is alone: {@link Leadership#LOCAL}, every route runs here, nothing touches Redis for it. Either way the gauge
 * {@code chronoroute.master.leader} (Prometheus: {@code chronoroute_master_leader}) is 1 while this master leads.
 */
@Configuration(proxyBeanMethods = false)
public class ClusterConfiguration {

    private static final Logger LOG = LoggerFactory.getLogger(ClusterConfiguration.class);

    @Bean
    ClusterInfo clusterInfo(ClusterProperties props, ObjectProvider<RedisClusterService> service,
                            ObjectProvider<MeterRegistry> meters) {
        ClusterInfo info = new ClusterInfo(props, service.getIfAvailable());
        MeterRegistry registry = meters.getIfAvailable();
        if (registry != null) {
            Gauge.builder("chronoroute.master.leader", info, i -> i.leads() ? 1 : 0)
                    .description("1 while this master leads (runs the singleton routes), else 0")
                    .register(registry);
        }
        return info;
    }

    @Bean
    Leadership leadership(ClusterInfo info) {
        return info.leadership();
    }

    /** Only with {@code chronoroute.cluster.enabled=true}. */
    @Configuration(proxyBeanMethods = false)
    @ConditionalOnProperty(name = "chronoroute.cluster.enabled", havingValue = "true")
    public static class Enabled {

        @Bean
        RedisClusterService redisClusterService(ClusterProperties props, StoreProperties store, MasterStore masterStore,
                                                ObjectProvider<Clock> clock) {
            if (!StoreProperties.REDIS.equals(store.store())) {
                throw new IllegalStateException("chronoroute.cluster.enabled=true needs chronoroute.store=redis (the "
                        + "masters elect their leader on the Redis they share); the store is " + store.store());
            }
            LOG.info("cluster: master {} in election '{}' (lease {}, interval {}), singleton routes {}", props.id(),
                    props.namespace(), props.lease(), props.interval(), props.singletonRoutes());
            return new RedisClusterService(props, store.redisUrl(), store.redisKeyPrefix(), masterStore,
                    clock.getIfAvailable(Clock::systemUTC));
        }

        @Bean
        SingletonRoutePolicyFactory singletonRoutePolicyFactory(RedisClusterService service, ClusterProperties props) {
            return new SingletonRoutePolicyFactory(service, props.namespace(), props.singletonRoutes());
        }
    }
}
