package io.chronoroute.master.store.embedded;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.chronoroute.master.store.ChangeSet;
import io.chronoroute.master.store.ConsolidatedEvent;
import io.chronoroute.master.store.MasterStore;
import io.chronoroute.master.store.Observation;
import io.chronoroute.master.store.StoreJson;
import org.h2.mvstore.MVMap;
import org.h2.mvstore.MVStore;
import org.h2.mvstore.type.ByteArrayDataType;
import org.h2.mvstore.type.LongDataType;
import org.h2.mvstore.type.StringDataType;
import io.chronoroute.master.store.MasterStoreContractTest;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

class EmbeddedMasterStoreTest extends MasterStoreContractTest {

    @TempDir
    Path tmp;

    private Path dataDir;

    @Override
    protected MasterStore newStore() {
        dataDir = tmp.resolve("master");
        return new EmbeddedMasterStore(dataDir, 4, false);
    }

    @Override
    protected MasterStore reopen(MasterStore current) {
        current.close();
        return new EmbeddedMasterStore(dataDir, 4, false);
    }

    @Test
    void theStoreIsOneFileInTheDataDirectory() {
        assertThat(((EmbeddedMasterStore) store).file()).isEqualTo(dataDir.resolve("master.mv.db").toAbsolutePath());
        assertThat(Files.isRegularFile(dataDir.resolve("master.mv.db"))).isTrue();
    }

    /** A data file of the first 0.1 layout (values inline in "obs" and "consolidated") opens with its data intact. */
    @Test
    void aFileWithInlineValuesIsMovedToTheIndexedLayout() throws Exception {
        store.close();
        store = null;
        Path oldDir = Files.createDirectories(tmp.resolve("old-layout"));
        Observation o = obs("a1", "k1", "h1");
        ConsolidatedEvent e = event("ident-k1", false);
        try (MVStore mv = new MVStore.Builder().fileName(oldDir.resolve(EmbeddedMasterStore.FILE_NAME).toString())
                .autoCommitDisabled().open()) {
            mv.openMap("obs", new MVMap.Builder<String, String>().keyType(StringDataType.INSTANCE)
                    .valueType(StringDataType.INSTANCE)).put("a1\u001fk1", StoreJson.write(o));
            mv.openMap("obsHash", new MVMap.Builder<String, String>().keyType(StringDataType.INSTANCE)
                    .valueType(StringDataType.INSTANCE)).put("a1\u001fk1", "h1");
            mv.openMap("consolidated", new MVMap.Builder<String, String>().keyType(StringDataType.INSTANCE)
                    .valueType(StringDataType.INSTANCE)).put("ident-k1", StoreJson.write(e));
            mv.commit();
        }
        try (EmbeddedMasterStore s = new EmbeddedMasterStore(oldDir, 4, false)) {
            assertThat(s.findObservation("a1", "k1")).contains(o);
            assertThat(s.findConsolidated("ident-k1")).contains(e);
            List<Observation> all = new ArrayList<>();
            s.forEachObservation("a1", all::add);
            assertThat(all).containsExactly(o);
        }
        try (EmbeddedMasterStore s = new EmbeddedMasterStore(oldDir, 4, false)) {
            assertThat(s.findObservation("a1", "k1")).contains(o);
            assertThat(s.consolidatedCount()).isEqualTo(1);
        }
    }

    private static ChangeSet largeChangeSet(String agent, int n) {
        String filler = "x".repeat(2000);
        ChangeSet cs = new ChangeSet();
        for (int i = 0; i < n; i++) {
            String key = String.format("%032x", i);
            cs.putObservations.add(new Observation(agent, key, agent + "-ident-" + i, "hash-" + i,
                    "{\"uid\":\"" + key + "\",\"description\":\"" + filler + "\"}"));
            cs.putConsolidated.add(new ConsolidatedEvent(agent + "-ident-" + i, "{\"uid\":\"" + key
                    + "\",\"description\":\"" + filler + "\"}", "hash-" + i, List.of(agent + "/" + key), 1, 0, T0,
                    false, agent + "/" + key));
        }
        cs.addKey("batch", agent + "-1");
        return cs;
    }

    private long valueCount() {
        store.close();
        store = null;
        try (MVStore mv = new MVStore.Builder().fileName(dataDir.resolve(EmbeddedMasterStore.FILE_NAME).toString())
                .readOnly().open()) {
            return mv.openMap("values", new MVMap.Builder<Long, byte[]>().keyType(LongDataType.INSTANCE)
                    .valueType(ByteArrayDataType.INSTANCE)).sizeAsLong();
        }
    }

    /**
     * A large change set (about 40 MB of values, over MVStore's own auto-commit threshold) has its values staged in
     * several small commits, but nothing of it is visible or durable until its last commit: a process that dies
     * in between reopens without any of it, and the staged values are dropped.
     */
    @Test
    void aCrashAfterStagingLeavesNothingOfTheApply() {
        store.apply(largeChangeSet("before", 10));
        EmbeddedMasterStore s = (EmbeddedMasterStore) store;
        long version = s.storeVersion();
        s.afterStaging = () -> {
            assertThat(s.storeVersion()).as("values staged in several commits").isGreaterThan(version + 5);
            throw new SimulatedCrash(s);
        };
        assertThatThrownBy(() -> store.apply(largeChangeSet("big", 10_000))).isInstanceOf(SimulatedCrash.class);
        store = reopen(store);
        assertThat(store.observationCount("big")).isZero();
        assertThat(store.findConsolidated("big-ident-0")).isEmpty();
        assertThat(store.containsKey("batch", "big-1")).isFalse();
        assertThat(store.consolidatedCount()).isEqualTo(10);
        assertThat(valueCount()).isEqualTo(20);
    }

    /** A failure after staging rolls the apply back and drops its staged values; the store stays usable. */
    @Test
    void aFailureAfterStagingRollsBackAndDropsTheStagedValues() {
        store.apply(largeChangeSet("before", 10));
        EmbeddedMasterStore s = (EmbeddedMasterStore) store;
        s.afterStaging = () -> {
            throw new IllegalStateException("disk full (simulated)");
        };
        assertThatThrownBy(() -> store.apply(largeChangeSet("big", 5_000))).hasMessageContaining("disk full");
        s.afterStaging = null;
        assertThat(store.observationCount("big")).isZero();
        assertThat(store.containsKey("batch", "big-1")).isFalse();
        store.apply(largeChangeSet("after", 10));
        assertThat(store.consolidatedCount()).isEqualTo(20);
        assertThat(valueCount()).isEqualTo(40);
    }

    /** Kills the store like kill -9 would (no close, nothing more written), then surfaces as an exception. */
    private static final class SimulatedCrash extends RuntimeException {
        SimulatedCrash(EmbeddedMasterStore s) {
            super("simulated crash");
            s.closeImmediatelyForTest();
        }
    }

    /** A replaced or removed value leaves nothing behind in the value map. */
    @Test
    void replacedValuesFreeTheirSlots() {
        for (int round = 0; round < 3; round++) {
            ChangeSet cs = new ChangeSet();
            for (int i = 0; i < 50; i++) {
                cs.putObservations.add(obs("a1", "k" + i, "h" + round + "-" + i));
                cs.putConsolidated.add(event("ident-k" + i, false));
            }
            store.apply(cs);
        }
        ChangeSet drop = new ChangeSet();
        for (int i = 0; i < 10; i++) {
            drop.removeObservations.add(new String[] {"a1", "k" + i});
        }
        store.apply(drop);
        store.close();
        store = null;
        try (MVStore mv = new MVStore.Builder().fileName(dataDir.resolve(EmbeddedMasterStore.FILE_NAME).toString())
                .readOnly().open()) {
            // 40 observations + 50 consolidated events
            assertThat(mv.openMap("values", new MVMap.Builder<Long, byte[]>().keyType(LongDataType.INSTANCE)
                    .valueType(ByteArrayDataType.INSTANCE)).sizeAsLong()).isEqualTo(90);
        }
    }

    /**
     * A child JVM applies change sets in a loop and prints "committed N" after each {@code apply} returned; it is
     * killed without warning (SIGKILL) while it keeps writing. Everything it reported must be there after reopening,
     * and the change set in flight must be there completely or not at all.
     */
    @Test
    @Timeout(value = 120, unit = TimeUnit.SECONDS)
    void everythingReportedCommittedSurvivesKillDashNine() throws Exception {
        store.close();
        store = null;
        Path childDir = tmp.resolve("crash");
        Path childErr = tmp.resolve("child-stderr.txt");
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        ProcessBuilder pb = new ProcessBuilder(java, "-Xmx128m", "-XX:TieredStopAtLevel=1",
                "-cp", System.getProperty("java.class.path"), KillNineChild.class.getName(), childDir.toString());
        pb.redirectError(childErr.toFile());
        Process child = pb.start();
        long lastReported = 0;
        List<String> otherOutput = new ArrayList<>();
        try (BufferedReader out = new BufferedReader(new InputStreamReader(child.getInputStream(),
                StandardCharsets.UTF_8))) {
            String line;
            while (lastReported < KillNineChild.KILL_AFTER && (line = out.readLine()) != null) {
                if (line.startsWith("committed ")) {
                    lastReported = Long.parseLong(line.substring("committed ".length()).trim());
                } else if (otherOutput.size() < 20) {
                    otherOutput.add(line);
                }
            }
            child.destroyForcibly();
            assertThat(child.waitFor(30, TimeUnit.SECONDS)).isTrue();
        } finally {
            child.destroyForcibly();
        }
        assertThat(lastReported).as("child output %s, stderr %s", otherOutput,
                Files.exists(childErr) ? Files.readString(childErr) : "").isEqualTo(KillNineChild.KILL_AFTER);

        try (EmbeddedMasterStore reopened = new EmbeddedMasterStore(childDir, 4, false)) {
            for (long n = 1; n <= lastReported; n++) {
                assertThat(reopened.findObservation(KillNineChild.AGENT, "k" + n)).as("observation %d", n).isPresent();
                assertThat(reopened.findConsolidated("e" + n)).as("consolidated %d", n).isPresent();
                assertThat(reopened.containsKey("batch", "b" + n)).as("batch key %d", n).isTrue();
            }
            // the change set in flight: all or nothing
            long inFlight = lastReported + 1;
            boolean obsThere = reopened.findObservation(KillNineChild.AGENT, "k" + inFlight).isPresent();
            assertThat(reopened.findConsolidated("e" + inFlight).isPresent()).isEqualTo(obsThere);
            assertThat(reopened.containsKey("batch", "b" + inFlight)).isEqualTo(obsThere);
            // and the derived state agrees with the data
            Map<String, String> hashes = new HashMap<>(reopened.observationHashes(KillNineChild.AGENT));
            assertThat(reopened.observationCount(KillNineChild.AGENT)).isEqualTo(hashes.size());
            assertThat(reopened.agentDigest(KillNineChild.AGENT)).isEqualTo(digestOf(hashes));
            assertThat(reopened.currentChangeSeq()).isEqualTo(reopened.consolidatedCount());
            assertThat(reopened.consolidatedCount()).isGreaterThanOrEqualTo(lastReported);
        }
    }
}
