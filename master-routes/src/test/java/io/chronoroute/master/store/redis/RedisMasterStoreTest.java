package io.chronoroute.master.store.redis;

import static org.assertj.core.api.Assertions.assertThat;

import io.chronoroute.master.store.AgentUpdate;
import io.chronoroute.master.store.ChangeEntry;
import io.chronoroute.master.store.ChangeSet;
import io.chronoroute.master.store.ConsolidatedEvent;
import io.chronoroute.master.store.MasterStore;
import io.chronoroute.master.store.MasterStoreContractTest;
import io.chronoroute.testsupport.redis.RedisLauncher;
import io.lettuce.core.RedisClient;
import io.lettuce.core.api.StatefulRedisConnection;
import io.lettuce.core.api.sync.RedisCommands;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The contract against a real redis-server: the binary bundled in embedded-redis (append-only persistence on a free
 * port), or the server named by {@code CHRONOROUTE_TEST_REDIS_URL}. If neither can be used the tests fail
 * ({@link RedisLauncher.RedisUnavailableException}); they are never skipped. Each test uses its own key prefix.
 */
class RedisMasterStoreTest extends MasterStoreContractTest {

    private static RedisLauncher redis;
    private String prefix;

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

    @Override
    protected MasterStore newStore() {
        prefix = "test-" + UUID.randomUUID() + ":";
        return new RedisMasterStore(redis.url(), prefix);
    }

    @Override
    protected MasterStore reopen(MasterStore current) {
        current.close();
        return new RedisMasterStore(redis.url(), prefix);
    }

    @Test
    void updatesUseTheSeedsKeyNamesAndFieldNames() {
        store.saveUpdate(update("a1", "u1", T0));
        store.saveUpdate(processed(update("a1", "u2", T0), T0.plusSeconds(5), AgentUpdate.PROCESSED));
        RedisClient client = RedisClient.create(redis.url());
        try (StatefulRedisConnection<String, String> c = client.connect()) {
            RedisCommands<String, String> cmd = c.sync();
            String base = prefix + "sync:agent:a1:";
            assertThat(cmd.type(base + "updates")).isEqualTo("hash");
            assertThat(cmd.hget(base + "updates", "u1")).contains("\"id\":\"u1\"", "\"type\":\"event_update\"",
                    "\"created_at\":\"2025-06-10T09:00:00Z\"", "\"attempts\":0", "\"data\":{");
            assertThat(cmd.lrange(base + "pending", 0, -1)).containsExactly("u1");
            assertThat(cmd.hkeys(base + "processed")).containsExactly("u2");
        } finally {
            client.shutdown();
        }
    }

    /** A store written before the consolidated:index sorted set existed gets it built when it is opened. */
    @Test
    void theIndexOfPagedReadsIsRebuiltForAStoreWrittenWithoutIt() {
        ChangeSet cs = new ChangeSet();
        for (int i = 0; i < 1_234; i++) {
            cs.putConsolidated.add(event(String.format("old-%05d", i), i % 10 == 0));
        }
        store.apply(cs);
        RedisClient client = RedisClient.create(redis.url());
        try (StatefulRedisConnection<String, String> c = client.connect()) {
            assertThat(c.sync().zcard(prefix + "consolidated:index")).isEqualTo(1_234);
            c.sync().del(prefix + "consolidated:index");
        } finally {
            client.shutdown();
        }
        store = reopen(store);
        List<String> all = walk(100, 1 << 20, true);
        assertThat(all).hasSize(1_234).isSorted().doesNotHaveDuplicates();
        assertThat(walk(100, 1 << 20, false)).hasSize(1_234 - 124);
    }

    /** Two stores (two master processes) write the same agent and consolidated keys at once: WATCH retries. */
    @Test
    @Timeout(value = 120, unit = TimeUnit.SECONDS)
    void concurrentWritersFromTwoClientsStayConsistent() throws Exception {
        int rounds = 60;
        try (MasterStore other = new RedisMasterStore(redis.url(), prefix)) {
            List<CompletableFuture<Void>> writers = new ArrayList<>();
            for (MasterStore s : List.of(store, other)) {
                String tag = s == store ? "x" : "y";
                writers.add(CompletableFuture.runAsync(() -> {
                    for (int i = 0; i < rounds; i++) {
                        ChangeSet cs = new ChangeSet();
                        cs.putObservations.add(obs("shared", tag + i, "h" + i));
                        cs.putConsolidated.add(event("shared-identity", false));
                        cs.putConsolidated.add(event(tag + "-" + i, false));
                        s.apply(cs);
                    }
                }));
            }
            CompletableFuture.allOf(writers.toArray(CompletableFuture[]::new)).get(120, TimeUnit.SECONDS);
        }
        assertThat(store.observationCount("shared")).isEqualTo(2L * rounds);
        assertThat(store.agentDigest("shared")).isEqualTo(digestOf(store.observationHashes("shared")));
        assertThat(store.currentChangeSeq()).isEqualTo(4L * rounds);
        List<ChangeEntry> changes = store.changesSince(0, 1000);
        assertThat(changes).hasSize(2 * rounds + 1);
        assertThat(changes).extracting(ChangeEntry::seq).doesNotHaveDuplicates().isSorted();
        ConsolidatedEvent shared = store.findConsolidated("shared-identity").orElseThrow();
        // the shared identity is put first in every change set: its latest seq is one below the last one
        assertThat(shared.changeSeq()).isEqualTo(store.currentChangeSeq() - 1);
        assertThat(changes).filteredOn(e -> e.identity().equals("shared-identity")).singleElement()
                .extracting(ChangeEntry::seq).isEqualTo(shared.changeSeq());
    }
}
