package io.chronoroute.master.cluster;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.chronoroute.master.store.MasterStore;
import io.chronoroute.master.store.redis.RedisMasterStore;
import io.chronoroute.testsupport.redis.RedisLauncher;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.UUID;
import org.apache.camel.builder.RouteBuilder;
import org.apache.camel.impl.DefaultCamelContext;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The Redis cluster service with Camel's ClusteredRoutePolicy, two CamelContexts in one JVM on a real redis-server:
 * one leader at a time, the singleton route runs on the leader only, every term has a new epoch in the store, and a
 * leader that stops hands over at once. (Killed and frozen leaders: e2e-tests FailoverIT, with processes.)
 */
class RedisClusterServiceTest {

    private static RedisLauncher redis;

    @BeforeAll
    static void startRedis() {
        redis = RedisLauncher.start();
    }

    @AfterAll
    static void stopRedis() {
        if (redis != null) {
            redis.close();
        }
    }

    private record Node(RedisClusterService service, DefaultCamelContext camel) {
        boolean leads() {
            return service.writeEpoch() != Leadership.NOT_LEADER;
        }

        boolean singletonStarted() {
            return camel.getRouteController().getRouteStatus("x-singleton").isStarted();
        }
    }

    private static Node node(String id, String prefix, MasterStore store) throws Exception {
        ClusterProperties props = new ClusterProperties(true, id, "test", Duration.ofSeconds(2), Duration.ofMillis(100),
                List.of("x-singleton"));
        RedisClusterService service = new RedisClusterService(props, redis.url(), prefix, store, Clock.systemUTC());
        DefaultCamelContext camel = new DefaultCamelContext();
        camel.getCamelContextExtension().setName(id);
        camel.addService(service);
        camel.addRoutePolicyFactory(new SingletonRoutePolicyFactory(service, "test", props.singletonRoutes()));
        camel.addRoutes(new RouteBuilder() {
            @Override
            public void configure() {
                from("timer:" + id + "-singleton?period=100").routeId("x-singleton").log("tick");
                from("timer:" + id + "-everywhere?period=100").routeId("x-everywhere").log("tick");
            }
        });
        return new Node(service, camel);
    }

    @Test
    void oneLeaderRunsTheSingletonRouteEachTermHasANewEpochAndAStoppedLeaderHandsOverAtOnce() throws Exception {
        String prefix = "cluster-test-" + UUID.randomUUID() + ":";
        try (MasterStore store = new RedisMasterStore(redis.url(), prefix)) {
            Node a = node("node-a", prefix, store);
            Node b = node("node-b", prefix, store);
            a.camel().start();
            b.camel().start();
            try {
                await().atMost(Duration.ofSeconds(20)).until(() -> a.leads() != b.leads());
                Node leader = a.leads() ? a : b;
                Node follower = leader == a ? b : a;
                long epoch = leader.service().writeEpoch();
                assertThat(epoch).isEqualTo(store.currentEpoch()).isPositive();
                await().atMost(Duration.ofSeconds(20)).until(leader::singletonStarted);
                assertThat(follower.singletonStarted()).as("singleton route stopped on the follower").isFalse();
                assertThat(follower.camel().getRouteController().getRouteStatus("x-everywhere").isStarted()).isTrue();
                await().atMost(Duration.ofSeconds(10))
                        .until(() -> leader.service().getId().equals(follower.service().status().leaderId()));
                assertThat(follower.service().status().epoch()).isEqualTo(epoch);
                assertThat(follower.service().writeEpoch()).isEqualTo(Leadership.NOT_LEADER);

                leader.camel().stop(); // graceful: the lock is released, no waiting for the lease
                await().atMost(Duration.ofSeconds(5)).until(follower::leads);
                assertThat(follower.service().writeEpoch()).isEqualTo(epoch + 1).isEqualTo(store.currentEpoch());
                await().atMost(Duration.ofSeconds(20)).until(follower::singletonStarted);
                assertThat(follower.service().status().leaderId()).isEqualTo(follower.service().getId());
            } finally {
                a.camel().stop();
                b.camel().stop();
            }
        }
    }
}
