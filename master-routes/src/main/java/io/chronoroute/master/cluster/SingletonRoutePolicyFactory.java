package io.chronoroute.master.cluster;

import java.util.List;
import org.apache.camel.CamelContext;
import org.apache.camel.NamedNode;
import org.apache.camel.cluster.CamelClusterService;
import org.apache.camel.impl.cluster.ClusteredRoutePolicy;
import org.apache.camel.spi.RoutePolicy;
import org.apache.camel.spi.RoutePolicyFactory;
import org.apache.camel.support.PatternHelper;

/**
 * Gives every route whose id matches {@code chronoroute.cluster.singleton-routes} Camel's {@link ClusteredRoutePolicy}
 * on the cluster service: the route starts only on the leader and stops when leadership is lost. Routes from YAML
 * (destinations, air-gap inboxes) are covered by their id, whoever wrote the file. Every other route (REST, ingest)
 * runs on every master.
 */
public final class SingletonRoutePolicyFactory implements RoutePolicyFactory {

    private final CamelClusterService service;
    private final String namespace;
    private final List<String> patterns;

    public SingletonRoutePolicyFactory(CamelClusterService service, String namespace, List<String> patterns) {
        this.service = service;
        this.namespace = namespace;
        this.patterns = List.copyOf(patterns);
    }

    public boolean isSingleton(String routeId) {
        return routeId != null && patterns.stream().anyMatch(p -> PatternHelper.matchPattern(routeId, p));
    }

    @Override
    public RoutePolicy createRoutePolicy(CamelContext camelContext, String routeId, NamedNode route) {
        if (!isSingleton(routeId)) {
            return null;
        }
        try {
            ClusteredRoutePolicy policy = ClusteredRoutePolicy.forNamespace(service, namespace);
            policy.setCamelContext(camelContext);
            return policy;
        } catch (Exception e) {
            throw new IllegalStateException("cannot create the clustered route policy of " + routeId, e);
        }
    }
}
