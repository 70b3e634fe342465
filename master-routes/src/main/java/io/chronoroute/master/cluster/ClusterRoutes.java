package io.chronoroute.master.cluster;

import java.util.LinkedHashMap;
import java.util.Map;
import org.apache.camel.builder.RouteBuilder;
import org.springframework.stereotype.Component;

/**
 * {@code GET /sync/cluster} (admin token): this master's id, whether it leads, the leader's id, the epoch of the
 * leader's term and since when, the lease, and the store's current epoch. Answers on every master.
 */
@Component
public class ClusterRoutes extends RouteBuilder {

    private final ClusterInfo info;

    public ClusterRoutes(ClusterInfo info) {
        this.info = info;
    }

    @Override
    public void configure() {
        rest("/sync/cluster").description("Several masters: leadership (admin)")
                .get().id("master-rest-cluster-status").produces("application/json")
                .description("This master's id, whether it leads, the leader's id, the epoch and since when")
                .to("direct:master-cluster-status");

        from("direct:master-cluster-status").routeId("master-cluster-status")
                .bean("accessGuard", "admin")
                .process(e -> e.getMessage().setBody(view(info.status())));
    }

    static Map<String, Object> view(ClusterStatus s) {
        Map<String, Object> out = new LinkedHashMap<>();
        out.put("cluster_enabled", s.clusterEnabled());
        out.put("master_id", s.masterId());
        out.put("namespace", s.namespace());
        out.put("leader", s.leader());
        out.put("leader_id", s.leaderId());
        out.put("epoch", s.epoch());
        out.put("since", s.since() == null ? null : s.since().toString());
        out.put("lease_ms", s.leaseMillis());
        out.put("store_epoch", s.storeEpoch());
        return out;
    }
}
