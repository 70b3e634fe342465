package io.chronoroute.master.cluster;

import java.lang.management.ManagementFactory;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.time.Duration;
import java.util.List;
import org.springframework.boot.context.properties.ConfigurationProperties;
import org.springframework.boot.context.properties.bind.DefaultValue;

/**
 * Several masters on one Redis ({@code chronoroute.cluster.*}; only with {@code chronoroute.store=redis}).
 *
 * @param enabled         elect a leader: the singleton routes run on it only (default false: everything runs here)
 * @param id              this master's id in the cluster; default {@code <hostname>-<pid>}
 * @param namespace       the election: masters with the same store and namespace elect one leader
 * @param lease           how long the leader's lock lives without renewal (renewed every lease/3 while the process
 *                        runs): a dead or paused leader is replaced after at most lease + interval
 * @param interval        how often a follower tries to take the lock and the leader checks it still holds it
 * @param singletonRoutes route id patterns (Camel's {@code PatternHelper}: exact, {@code prefix*} or regex) of the
 *                        routes that must run on one master only
 */
@ConfigurationProperties("chronoroute.cluster")
public record ClusterProperties(@DefaultValue("false") boolean enabled, String id,
                                @DefaultValue("chronoroute-master") String namespace,
                                @DefaultValue("10s") Duration lease, @DefaultValue("1s") Duration interval,
                                @DefaultValue({"master-sync-destination-*", "master-poll-airgap-*", "master-airgap-drain",
                                        "master-purge-updates"}) List<String> singletonRoutes) {

    public ClusterProperties {
        id = id == null || id.isBlank() ? defaultId() : id.trim();
        if (lease.compareTo(Duration.ofSeconds(1)) < 0) {
            throw new IllegalArgumentException("chronoroute.cluster.lease must be at least 1s, not " + lease);
        }
        if (interval.isNegative() || interval.isZero() || interval.compareTo(lease) >= 0) {
            throw new IllegalArgumentException("chronoroute.cluster.interval must be positive and shorter than the lease");
        }
        singletonRoutes = List.copyOf(singletonRoutes);
    }

    static String defaultId() {
        String host;
        try {
            host = InetAddress.getLocalHost().getHostName();
        } catch (UnknownHostException e) {
            host = "master";
        }
        return host + "-" + ManagementFactory.getRuntimeMXBean().getPid();
    }
}
