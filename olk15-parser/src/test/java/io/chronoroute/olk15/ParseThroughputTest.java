package io.chronoroute.olk15;

import static org.assertj.core.api.Assertions.assertThat;

import io.chronoroute.olk15.fixture.CorpusGenerator;
import io.chronoroute.olk15.fixture.CorpusSummary;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Rough single-threaded throughput on the 9,095-event corpus: read-only pass vs read+parse pass (best of 3 after
 * a warm-up). Prints the numbers; asserts only a loose floor, because the build machine is shared (targets:
 * >= 20,000 events/s and parse cost <= 3x read cost, checked by the benchmarks module).
 */
class ParseThroughputTest {

    @TempDir
    Path tmp;

    @Test
    void parsesTheCorpusFast() throws Exception {
        CorpusSummary s = CorpusGenerator.generate(tmp.resolve("p"), 7L, 9_095, 256);
        List<Path> files = CorpusGeneratorTest.files(s.eventsDir());
        long sink = 0;
        long bestRead = Long.MAX_VALUE;
        long bestParse = Long.MAX_VALUE;
        long bestMemory = Long.MAX_VALUE;
        List<byte[]> contents = new java.util.ArrayList<>();
        for (Path f : files) {
            contents.add(Files.readAllBytes(f));
        }
        for (int round = 0; round < 4; round++) {
            long t0 = System.nanoTime();
            for (Path f : files) {
                sink += Files.readAllBytes(f).length;
            }
            long t1 = System.nanoTime();
            for (Path f : files) {
                sink += Olk15Parser.parse(f).properties().size();
            }
            long t2 = System.nanoTime();
            for (byte[] b : contents) {
                sink += Olk15Parser.parse(b, "m").properties().size();
            }
            long t3 = System.nanoTime();
            if (round > 0) {
                bestMemory = Math.min(bestMemory, t3 - t2);
                bestRead = Math.min(bestRead, t1 - t0);
                bestParse = Math.min(bestParse, t2 - t1);
            }
        }
        double perSecond = files.size() / (bestParse / 1e9);
        double ratio = (double) bestParse / bestRead;
        System.out.printf("olk15 throughput: %d files, read %.1f ms, read+parse %.1f ms, %.0f events/s, ratio %.2f,"
                + " in-memory parse %.1f ms (%.0f events/s)%n", files.size(), bestRead / 1e6, bestParse / 1e6,
                perSecond, ratio, bestMemory / 1e6, files.size() / (bestMemory / 1e9));
        assertThat(sink).isPositive();
        assertThat(perSecond).isGreaterThan(5_000);
    }
}
