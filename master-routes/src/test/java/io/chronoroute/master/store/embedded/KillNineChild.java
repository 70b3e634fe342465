package io.chronoroute.master.store.embedded;

import io.chronoroute.master.store.Activity;
import io.chronoroute.master.store.ChangeSet;
import io.chronoroute.master.store.ConsolidatedEvent;
import io.chronoroute.master.store.Observation;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Instant;
import java.util.List;

/**
 * Child process of {@link EmbeddedMasterStoreTest#everythingReportedCommittedSurvivesKillDashNine()}: applies change
 * sets to the store in {@code args[0]} forever and prints "committed N" after each apply returned.
 */
public final class KillNineChild {

    static final String AGENT = "crash-agent";
    static final long KILL_AFTER = 150;

    private KillNineChild() {
    }

    public static void main(String[] args) {
        PrintStream out = new PrintStream(new java.io.FileOutputStream(java.io.FileDescriptor.out), true,
                StandardCharsets.UTF_8);
        EmbeddedMasterStore store = new EmbeddedMasterStore(Path.of(args[0]), 4, false);
        for (long n = 1; ; n++) {
            ChangeSet cs = new ChangeSet().addKey("batch", "b" + n);
            cs.putObservations.add(new Observation(AGENT, "k" + n, "e" + n, "h" + n, "{\"n\":" + n + "}"));
            for (int filler = 0; filler < 20; filler++) {
                cs.putObservations.add(new Observation(AGENT, "f" + (n % 50) + "-" + filler, "f", "h" + n, "{}"));
            }
            cs.putConsolidated.add(new ConsolidatedEvent("e" + n, "{\"n\":" + n + "}", "h" + n,
                    List.of(AGENT + "/k" + n), 1, 0, Instant.now(), false, AGENT + "/k" + n));
            cs.activities.add(new Activity(Instant.now(), AGENT, "test", "apply " + n));
            store.apply(cs);
            out.println("committed " + n);
        }
    }
}
