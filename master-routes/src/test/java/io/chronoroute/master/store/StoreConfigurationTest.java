package io.chronoroute.master.store;

import static org.assertj.core.api.Assertions.assertThat;

import io.chronoroute.master.store.embedded.EmbeddedMasterStore;
import io.chronoroute.master.store.redis.RedisMasterStore;
import io.chronoroute.testsupport.redis.RedisLauncher;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.springframework.boot.test.context.runner.ApplicationContextRunner;
import org.springframework.data.redis.connection.RedisConnectionFactory;

class StoreConfigurationTest {

    @TempDir
    Path tmp;

    private final ApplicationContextRunner runner = new ApplicationContextRunner()
            .withUserConfiguration(StoreConfiguration.class);

    @Test
    void embeddedIsTheDefaultAndNeedsNoRedis() {
        runner.withPropertyValues("chronoroute.data-dir=" + tmp.resolve("m"),
                        "chronoroute.redis.url=redis://:secret@127.0.0.1:1")
                .run(ctx -> {
                    assertThat(ctx).hasNotFailed();
                    assertThat(ctx.getBean(MasterStore.class)).isInstanceOf(EmbeddedMasterStore.class);
                    assertThat(ctx).doesNotHaveBean(RedisConnectionFactory.class);
                    assertThat(ctx.getBean(StoreProperties.class).toString()).doesNotContain("secret");
                    ctx.getBean(MasterStore.class).putSetting("k", "v");
                });
        assertThat(Files.exists(tmp.resolve("m").resolve("master.mv.db"))).isTrue();
    }

    @Test
    void redisModeUsesTheConfiguredRedisForStoreAndConnectionFactory() {
        try (RedisLauncher redis = RedisLauncher.start()) {
            runner.withPropertyValues("chronoroute.store=redis", "chronoroute.redis.url=" + redis.url(),
                            "chronoroute.redis.key-prefix=cfg-test:")
                    .run(ctx -> {
                        assertThat(ctx).hasNotFailed();
                        MasterStore store = ctx.getBean(MasterStore.class);
                        assertThat(store).isInstanceOf(RedisMasterStore.class);
                        store.putSetting("k", "v");
                        assertThat(store.getSetting("k")).contains("v");
                        RedisConnectionFactory factory = ctx.getBean(RedisConnectionFactory.class);
                        try (var connection = factory.getConnection()) {
                            assertThat(connection.hashCommands().hGet("cfg-test:settings".getBytes(),
                                    "k".getBytes())).isEqualTo("v".getBytes());
                        }
                    });
        }
    }

    @Test
    void anUnknownStoreKindFailsTheStart() {
        runner.withPropertyValues("chronoroute.store=cassandra").run(ctx -> assertThat(ctx).hasFailed()
                .getFailure().rootCause().hasMessageContaining("chronoroute.store must be 'embedded' or 'redis'"));
    }

    @Test
    void idempotentRepositoryUsesOneNamespaceOfTheStore() throws Exception {
        try (MasterStore store = new EmbeddedMasterStore(tmp.resolve("idem"), 4, false)) {
            StoreIdempotentRepository repo = new StoreIdempotentRepository(store, "bundle");
            repo.start();
            assertThat(repo.contains("7")).isFalse();
            assertThat(repo.add("7")).isTrue();
            assertThat(repo.add("7")).isFalse();
            assertThat(repo.contains("7")).isTrue();
            assertThat(repo.confirm("7")).isTrue();
            assertThat(store.containsKey("bundle", "7")).isTrue();
            assertThat(store.containsKey("other", "7")).isFalse();
            assertThat(repo.remove("7")).isTrue();
            assertThat(repo.contains("7")).isFalse();
            repo.add("8");
            repo.clear();
            assertThat(repo.contains("8")).isFalse();
            repo.stop();
        }
    }
}
