package io.chronoroute.master.cluster;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.yaml.snakeyaml.LoaderOptions;
import org.yaml.snakeyaml.Yaml;
import org.yaml.snakeyaml.constructor.SafeConstructor;

/**
 * docker-compose.ha.yml and deploy/kubernetes cannot be run here (no Docker engine, no cluster): this checks what
 * can be checked. Every file parses; two or more masters with leader election on the Redis store; the probe paths,
 * ports and mounted paths are the ones the master serves and reads; the balancer config checks readiness.
 */
class DeploymentFilesTest {

    private static final Path ROOT = Path.of("..").toAbsolutePath().normalize();

    @SuppressWarnings("unchecked")
    private static List<Map<String, Object>> load(String file) throws IOException {
        List<Map<String, Object>> out = new ArrayList<>();
        Yaml yaml = new Yaml(new SafeConstructor(new LoaderOptions()));
        for (Object doc : yaml.loadAll(Files.readString(ROOT.resolve(file)))) {
            if (doc != null) {
                out.add((Map<String, Object>) doc);
            }
        }
        return out;
    }

    @SuppressWarnings("unchecked")
    private static <T> T at(Object node, String... path) {
        Object n = node;
        for (String p : path) {
            n = n instanceof Map<?, ?> m ? m.get(p) : n instanceof List<?> l ? l.get(Integer.parseInt(p)) : null;
        }
        return (T) n;
    }

    @Test
    void composeRunsTwoClusteredMastersOnRedisBehindABalancerThatChecksReadiness() throws IOException {
        Map<String, Object> compose = load("docker-compose.ha.yml").get(0);
        Map<String, Object> services = at(compose, "services");
        List<String> masters = services.keySet().stream().filter(n -> n.startsWith("master-")).toList();
        assertThat(masters).hasSizeGreaterThanOrEqualTo(2);
        String haproxy = Files.readString(ROOT.resolve("deploy/haproxy/haproxy.cfg"));
        assertThat(haproxy).contains("option httpchk GET /actuator/health/readiness").contains("bind :8008");
        for (String m : masters) {
            Map<String, Object> env = at(services, m, "environment");
            assertThat(env).containsEntry("CHRONOROUTE_STORE", "redis")
                    .containsEntry("CHRONOROUTE_CLUSTER_ENABLED", "true").containsEntry("CHRONOROUTE_CLUSTER_ID", m)
                    .containsEntry("CHRONOROUTE_REDIS_URL", "redis://redis:6379").containsKey("CHRONOROUTE_SECRET_KEY");
            List<String> check = at(services, m, "healthcheck", "test");
            assertThat(String.join(" ", check)).contains("/actuator/health/readiness").contains("8008");
            List<String> volumes = at(services, m, "volumes");
            assertThat(volumes).contains("./deploy/routes:/var/lib/chronoroute/routes:ro");
            assertThat(haproxy).contains("server " + m + " " + m + ":8008 check");
        }
        assertThat(ROOT.resolve("deploy/routes")).isDirectory();
        assertThat(at(services, "redis", "command").toString()).contains("--appendonly, yes");
        String balancer = at(services, "balancer", "image");
        assertThat(balancer).matches("haproxy:\\d+\\.\\d+\\.\\d+-alpine");
        List<String> ports = at(services, "balancer", "ports");
        assertThat(ports).contains("8008:8008");
        services.values().forEach(s -> assertThat((String) at(s, "image")).doesNotEndWith(":latest"));
    }

    @Test
    void kubernetesHasTwoMastersWithProbesSecretsAndARedisOnAVolume() throws IOException {
        Map<String, Object> deployment = load("deploy/kubernetes/master.yaml").stream()
                .filter(d -> "Deployment".equals(d.get("kind"))).findFirst().orElseThrow();
        int replicas = at(deployment, "spec", "replicas");
        assertThat(replicas).isGreaterThanOrEqualTo(2);
        Map<String, Object> container = at(deployment, "spec", "template", "spec", "containers", "0");
        assertThat((String) at(container, "readinessProbe", "httpGet", "path")).isEqualTo("/actuator/health/readiness");
        assertThat((String) at(container, "livenessProbe", "httpGet", "path")).isEqualTo("/actuator/health/liveness");
        int port = at(container, "ports", "0", "containerPort");
        assertThat(port).isEqualTo(8008);
        List<Map<String, Object>> env = at(container, "env");
        assertThat(env.stream().map(e -> (String) e.get("name")).toList()).contains("CHRONOROUTE_STORE",
                "CHRONOROUTE_CLUSTER_ENABLED", "CHRONOROUTE_CLUSTER_ID", "CHRONOROUTE_ADMIN_TOKEN",
                "CHRONOROUTE_SECRET_KEY");
        Map<String, Object> secretData = at(load("deploy/kubernetes/secret.yaml").get(0), "stringData");
        for (Map<String, Object> e : env) {
            String key = at(e, "valueFrom", "secretKeyRef", "key");
            if (key != null) {
                assertThat(secretData).containsKey(key);
            }
        }
        Map<String, Object> redis = load("deploy/kubernetes/redis.yaml").stream()
                .filter(d -> "StatefulSet".equals(d.get("kind"))).findFirst().orElseThrow();
        String claim = at(redis, "spec", "volumeClaimTemplates", "0", "metadata", "name");
        assertThat(claim).isEqualTo("data");
        assertThat(at(redis, "spec", "template", "spec", "containers", "0", "args").toString())
                .contains("--appendonly, yes");
        assertThat(load("deploy/kubernetes/kustomization.yaml").get(0).get("resources").toString())
                .contains("secret.yaml", "redis.yaml", "master.yaml");
    }
}
