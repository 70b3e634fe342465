package io.chronoroute.master.cluster;

import io.chronoroute.master.store.MasterStore;
import io.lettuce.core.RedisURI;
import java.time.Clock;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import org.apache.camel.cluster.CamelClusterView;
import org.apache.camel.support.cluster.AbstractCamelClusterService;
import org.redisson.Redisson;
import org.redisson.api.RedissonClient;
import org.redisson.client.codec.StringCodec;
import org.redisson.config.Config;
import org.redisson.config.SingleServerConfig;

/**
 * A Camel cluster service on the Redis the masters already share: one {@link RedisClusterView} per namespace elects
 * the leader with a Redisson lock (renewed by Redisson's watchdog every lease/3 while this process runs, so a killed or
 * paused leader loses it after the lease). Each leadership term gets a new epoch ({@link MasterStore#advanceEpoch()})
 * that fences the leader's writes ({@link Leadership}). Camel's {@code ClusteredRoutePolicy} starts and stops the
 * singleton routes on the leadership events ({@link SingletonRoutePolicyFactory}).
 *
 * <p>Camel has no Redis cluster service of its own; on Kubernetes, camel-kubernetes' Lease-based
 * {@code KubernetesClusterService} is the alternative (README, "Several masters").
 */
public final class RedisClusterService extends AbstractCamelClusterService<RedisClusterView> implements Leadership {

    private final ClusterProperties props;
    private final String redisUrl;
    private final String keyPrefix;
    private final MasterStore store;
    private final Clock clock;
    private final Map<String, RedisClusterView> views = new ConcurrentHashMap<>();
    private RedissonClient redisson;
    private CamelClusterView main;

    public RedisClusterService(ClusterProperties props, String redisUrl, String keyPrefix, MasterStore store,
                               Clock clock) {
        super(props.id());
        this.props = props;
        this.redisUrl = redisUrl;
        this.keyPrefix = keyPrefix;
        this.store = store;
        this.clock = clock;
    }

    /** The Redisson client, created on first use (views are created when routes are, before the service starts). */
    synchronized RedissonClient redisson() {
        if (redisson == null) {
            redisson = Redisson.create(redissonConfig());
        }
        return redisson;
    }

    @Override
    protected void doStart() throws Exception {
        super.doStart();
        main = getView(props.namespace()); // elect even before a singleton route asks
    }

    @Override
    protected void doStop() throws Exception {
        if (main != null) {
            releaseView(main);
            main = null;
        }
        super.doStop();
        synchronized (this) {
            if (redisson != null) {
                redisson.shutdown();
                redisson = null;
            }
        }
    }

    @Override
    protected RedisClusterView createView(String namespace) {
        RedisClusterView view = new RedisClusterView(this, namespace, keyPrefix + "cluster:" + namespace + ":", store,
                props.interval(), clock);
        views.put(namespace, view);
        return view;
    }

    /** The epoch of this master's current term in the main namespace, or {@link #NOT_LEADER}. */
    @Override
    public long writeEpoch() {
        RedisClusterView v = views.get(props.namespace());
        return v == null ? NOT_LEADER : v.writeEpoch();
    }

    /** What {@code GET /sync/cluster} shows. */
    public ClusterStatus status() {
        RedisClusterView v = views.get(props.namespace());
        if (v == null) {
            return new ClusterStatus(true, getId(), props.namespace(), false, null, 0, null, props.lease().toMillis(),
                    store.currentEpoch());
        }
        return v.status(props.lease().toMillis());
    }

    private Config redissonConfig() {
        RedisURI uri = RedisURI.create(redisUrl);
        Config config = new Config();
        config.setCodec(StringCodec.INSTANCE);
        config.setLockWatchdogTimeout(props.lease().toMillis());
        config.setThreads(2);
        config.setNettyThreads(4);
        SingleServerConfig server = config.useSingleServer()
                .setAddress((uri.isSsl() ? "rediss://" : "redis://") + uri.getHost() + ":" + uri.getPort())
                .setDatabase(uri.getDatabase())
                .setConnectionMinimumIdleSize(1)
                .setConnectionPoolSize(4)
                .setSubscriptionConnectionMinimumIdleSize(1)
                .setSubscriptionConnectionPoolSize(2);
        if (uri.getUsername() != null) {
            server.setUsername(uri.getUsername());
        }
        if (uri.getPassword() != null) {
            server.setPassword(new String(uri.getPassword()));
        }
        return config;
    }
}
