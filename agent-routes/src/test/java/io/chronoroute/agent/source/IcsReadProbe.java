package io.chronoroute.agent.source;

import io.chronoroute.agent.AgentProperties;
import io.chronoroute.agent.collect.ChangeBatch;
import io.chronoroute.agent.collect.ChangeCollector;
import io.chronoroute.agent.collect.CollectSummary;
import io.chronoroute.agent.state.AgentState;

import java.lang.management.ManagementFactory;
import java.lang.management.MemoryPoolMXBean;
import java.lang.management.MemoryType;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;

/**
 * Reads one .ics file the way the agent does (IcsFolderSource.readFile, then the collector's commit) in a JVM of its
 * own, started by {@link IcsBadInputTest} with a small {@code -Xmx}: an OutOfMemoryError there fails the test.
 * Prints {@code events=<n> problems=<n> upserted=<n> peakHeapMb=<n>}.
 */
public final class IcsReadProbe {

    private IcsReadProbe() {
    }

    public static void main(String[] args) throws Exception {
        Path file = Path.of(args[0]);
        Path data = Files.createTempDirectory("ics-probe");
        AgentProperties props = new AgentProperties("probe", "t", "test", URI.create("http://127.0.0.1:1"), null,
                Duration.ofSeconds(30), Duration.ofSeconds(1), Duration.ofSeconds(1), 5000, 20, Duration.ofSeconds(5),
                Duration.ofMinutes(1), "UTC");
        try (AgentState state = AgentState.open(data)) {
            IcsFolderSource source = new IcsFolderSource(state, new SourceRegistry(), props);
            List<ChangeBatch> batches = source.readFile("probe", null, file.getFileName().toString(),
                    Files.getLastModifiedTime(file).toMillis(), file.toAbsolutePath().toString());
            int events = batches.stream().mapToInt(b -> b.events().size()).sum();
            int problems = batches.stream().mapToInt(b -> b.problems().size()).sum();
            CollectSummary s = new ChangeCollector(state, props).collect(batches);
            long peak = 0;
            for (MemoryPoolMXBean pool : ManagementFactory.getMemoryPoolMXBeans()) {
                if (pool.getType() == MemoryType.HEAP) {
                    peak += pool.getPeakUsage().getUsed();
                }
            }
            System.out.println("events=" + events + " problems=" + problems + " upserted=" + s.upserted()
                    + " peakHeapMb=" + peak / (1024 * 1024));
        }
    }
}
