package io.chronoroute.master.cluster;

/**
 * This master's place in the cluster: the cluster service when {@code chronoroute.cluster.enabled=true}, else none
 * (a master alone leads, unfenced).
 */
public final class ClusterInfo {

    private final ClusterProperties props;
    private final RedisClusterService service;

    ClusterInfo(ClusterProperties props, RedisClusterService service) {
        this.props = props;
        this.service = service;
    }

    public boolean enabled() {
        return service != null;
    }

    public boolean leads() {
        return service == null || service.writeEpoch() != Leadership.NOT_LEADER;
    }

    public Leadership leadership() {
        return service == null ? Leadership.LOCAL : service;
    }

    public ClusterStatus status() {
        if (service == null) {
            return new ClusterStatus(false, props.id(), props.namespace(), true, props.id(), 0, null, 0, 0);
        }
        return service.status();
    }
}
