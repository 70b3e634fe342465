package io.chronoroute.bench;

import io.chronoroute.olk15.Olk15FolderScanner;
import io.chronoroute.olk15.Olk15Parser;
import io.chronoroute.olk15.fixture.CorpusGenerator;
import io.chronoroute.olk15.fixture.CorpusSummary;
import io.chronoroute.olk15.model.Olk15Event;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.stream.Stream;

/**
 * olk15-parser on the seed's headline corpus (9,095 events across 256 account directories, synthetic, generated
 * by {@link CorpusGenerator}), single-threaded, files in the OS page cache (as on a rescan):
 * <ul>
 *   <li>read only: {@code Files.readAllBytes} of every file (the floor any parser pays);</li>
 *   <li>full parse: {@code Olk15Parser.parse(Path)} of every file (read + decode);</li>
 *   <li>no-change rescan: {@code Olk15FolderScanner.scan()} with a loaded index (stat only, no parse).</li>
 * </ul>
 * Each figure is the median of 7 measured rounds after 5 warm-up rounds. Run: {@code ./bench.sh olk15}.
 */
public final class Olk15Bench {

    private Olk15Bench() {
    }

    public static void main(String[] args) throws Exception {
        Path root = Files.createTempDirectory("chronoroute-olk15-bench");
        CorpusSummary corpus = CorpusGenerator.generate(root, 9095L, 9_095, 256);
        List<Path> files;
        try (Stream<Path> s = Files.walk(corpus.eventsDir())) {
            files = s.filter(p -> p.toString().endsWith(".olk15Event")).sorted().toList();
        }
        System.out.printf(Locale.ROOT, "# corpus: %d files under %s%n", files.size(), corpus.eventsDir());

        double read = median(() -> {
            long bytes = 0;
            for (Path p : files) {
                bytes += Files.readAllBytes(p).length;
            }
            return bytes;
        });
        double parse = median(() -> {
            long n = 0;
            for (Path p : files) {
                Olk15Event e = Olk15Parser.parse(p);
                n += e.subject() == null ? 0 : 1;
            }
            return n;
        });
        Path index = root.resolve("scan-index");
        Olk15FolderScanner first = new Olk15FolderScanner(corpus.eventsDir(), index).load();
        first.accept(first.scan());
        first.save();
        double rescan = median(() -> {
            Olk15FolderScanner sc = new Olk15FolderScanner(corpus.eventsDir(), index).load();
            Olk15FolderScanner.ScanResult r = sc.scan();
            if (!r.isEmpty()) {
                throw new IllegalStateException("rescan found changes: " + r);
            }
            return r.filesSeen();
        });
        System.out.printf(Locale.ROOT, "read only:         %7.1f ms  (%,.0f files/s)%n", read * 1e3, files.size() / read);
        System.out.printf(Locale.ROOT, "full parse:        %7.1f ms  (%,.0f events/s; target >= 20,000)%n", parse * 1e3, files.size() / parse);
        System.out.printf(Locale.ROOT, "parse / read cost: %7.2f x   (target <= 3)%n", parse / read);
        System.out.printf(Locale.ROOT, "no-change rescan:  %7.1f ms  (target <= 300 ms, index load included)%n", rescan * 1e3);
    }

    interface Round {
        long run() throws IOException;
    }

    static long sink;

    static double median(Round round) throws IOException {
        for (int i = 0; i < 5; i++) {
            sink += round.run();
        }
        List<Double> t = new ArrayList<>();
        for (int i = 0; i < 7; i++) {
            long t0 = System.nanoTime();
            sink += round.run();
            t.add((System.nanoTime() - t0) / 1e9);
        }
        Double[] a = t.toArray(new Double[0]);
        Arrays.sort(a);
        return a[a.length / 2];
    }
}
