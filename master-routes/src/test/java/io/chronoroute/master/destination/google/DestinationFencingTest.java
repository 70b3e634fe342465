package io.chronoroute.master.destination.google;

import static org.assertj.core.api.Assertions.assertThat;

import io.chronoroute.master.cluster.Leadership;
import io.chronoroute.master.destination.DestinationSyncService;
import io.chronoroute.master.destination.SyncResult;
import io.chronoroute.master.store.MasterStore;
import io.chronoroute.processors.model.CalendarEvent;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Proxy;
import java.time.LocalDateTime;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Fencing of destination runs by leadership epoch (several masters on one store): a run whose term ended (another
 * master advanced the epoch) stops at the first refusal and sends no write after it; the next leader finishes
 * without duplicates; a master that does not lead does not run.
 */
class DestinationFencingTest {

    private GoogleKit kit;

    @BeforeEach
    void setUp() throws Exception {
        kit = new GoogleKit();
        kit.config = kit.config.withBatchSize(0); // one request per write: the refusal point is exact
    }

    @AfterEach
    void tearDown() throws Exception {
        kit.close();
    }

    private void seed(int n) {
        for (int i = 0; i < n; i++) {
            CalendarEvent e = GoogleKit.event("fence-" + i + "@example.com", "outlook",
                    LocalDateTime.of(2025, 10, 6 + i, 9, 0), 45).build();
            kit.put(e);
        }
    }

    /** The kit's store, except that another master takes over right after the n-th fenced mapping write. */
    private MasterStore takenOverAfter(int n) {
        MasterStore real = kit.store;
        AtomicInteger mappingWrites = new AtomicInteger();
        return (MasterStore) Proxy.newProxyInstance(MasterStore.class.getClassLoader(), new Class<?>[] {MasterStore.class},
                (proxy, method, args) -> {
                    Object out;
                    try {
                        out = method.invoke(real, args);
                    } catch (InvocationTargetException e) {
                        throw e.getCause();
                    }
                    if (method.getName().equals("putSetting") && args.length == 3 && ((String) args[0]).contains(".map.")
                            && mappingWrites.incrementAndGet() == n) {
                        real.advanceEpoch(); // the other master's new term
                    }
                    return out;
                });
    }

    @Test
    void aRunWhoseTermEndedStopsAtTheFirstRefusalAndTheNextLeaderFinishesWithoutDuplicates() {
        seed(10);
        AtomicLong epoch = new AtomicLong(kit.store.advanceEpoch());
        DestinationSyncService old = new DestinationSyncService(takenOverAfter(3), Map.of(GoogleKit.NAME, kit.config),
                List.of(kit.factory), kit.clock, kit.sleeper, () -> 0.0, epoch::get);

        SyncResult fenced = old.runOnce(GoogleKit.NAME);

        assertThat(fenced.outcome()).isEqualTo(SyncResult.Outcome.FENCED);
        assertThat(fenced.message()).contains("epoch 1 is stale").contains("current epoch 2");
        assertThat(kit.fake.writeCalls()).as("no write request after the term ended").isEqualTo(3);
        old.close();

        epoch.set(kit.store.currentEpoch());
        DestinationSyncService next = new DestinationSyncService(kit.store, Map.of(GoogleKit.NAME, kit.config),
                List.of(kit.factory), kit.clock, kit.sleeper, () -> 0.0, epoch::get);
        SyncResult done = next.runOnce(GoogleKit.NAME);
        next.close();

        assertThat(done.outcome()).isEqualTo(SyncResult.Outcome.OK);
        assertThat(kit.live()).hasSize(10);
        Set<String> ids = new HashSet<>();
        kit.live().forEach(e -> assertThat(ids.add(e.path("iCalUID").asText())).as("duplicate %s", e).isTrue());
        assertThat(kit.fake.count("events.insert")).as("each event inserted once").isEqualTo(10);
    }

    @Test
    void aMasterThatDoesNotLeadDoesNotRun() {
        seed(2);
        DestinationSyncService follower = new DestinationSyncService(kit.store, Map.of(GoogleKit.NAME, kit.config),
                List.of(kit.factory), kit.clock, kit.sleeper, () -> 0.0, () -> Leadership.NOT_LEADER);

        SyncResult r = follower.runOnce(GoogleKit.NAME);
        follower.close();

        assertThat(r.outcome()).isEqualTo(SyncResult.Outcome.NOT_LEADER);
        assertThat(kit.fake.journal().size()).isZero();
    }
}
