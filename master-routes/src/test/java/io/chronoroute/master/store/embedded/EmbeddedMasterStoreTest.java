package io.chronoroute.master.store.embedded;

import static org.assertj.core.api.Assertions.assertThat;

import io.chronoroute.master.store.MasterStore;
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
