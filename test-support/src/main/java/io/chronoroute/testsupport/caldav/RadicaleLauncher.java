package io.chronoroute.testsupport.caldav;

import io.chronoroute.testsupport.Ports;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Comparator;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

/**
 * A real Radicale (Debian's {@code /usr/bin/radicale}, 3.1.8) for tests and benchmarks, outside JUnit: a temp config
 * as in shared/docs/radicale-smoke.sh (no auth: any user name is accepted, owner_only rights, filesystem storage in a
 * temp folder) on a free loopback port, readiness by polling HTTP; {@link #close()} stops it and removes the folder.
 * A missing binary throws with the install hint: whoever needs a CalDAV server fails instead of passing silently.
 */
public final class RadicaleLauncher implements AutoCloseable {

    public static final String BINARY = "/usr/bin/radicale";

    private final Process process;
    private final Path dir;
    private final int port;

    private RadicaleLauncher(Process process, Path dir, int port) {
        this.process = process;
        this.dir = dir;
        this.port = port;
    }

    /** Starts Radicale and waits (at most {@code ready}) until it answers HTTP. */
    public static RadicaleLauncher start(Duration ready) {
        if (!Files.isExecutable(Path.of(BINARY))) {
            throw new IllegalStateException(BINARY + " is missing: a real Radicale is needed. Install it with "
                    + "`apt-get update && apt-get install -y radicale` (CI: .ci/run does this)");
        }
        try {
            Path dir = Files.createTempDirectory("radicale");
            Files.createDirectories(dir.resolve("collections"));
            int port = Ports.free();
            Path config = dir.resolve("config");
            Files.writeString(config, "[server]\nhosts = 127.0.0.1:" + port + "\nssl = False\n[auth]\ntype = none\n"
                    + "[rights]\ntype = owner_only\n[storage]\nfilesystem_folder = " + dir.resolve("collections")
                    + "\n[logging]\nlevel = warning\n");
            Process process = new ProcessBuilder(BINARY, "--config", config.toString())
                    .redirectErrorStream(true).redirectOutput(dir.resolve("log").toFile()).start();
            RadicaleLauncher launched = new RadicaleLauncher(process, dir, port);
            launched.awaitReady(ready);
            return launched;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    private void awaitReady(Duration ready) throws IOException, InterruptedException {
        HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(1)).build();
        long deadline = System.nanoTime() + ready.toNanos();
        while (true) {
            try {
                http.send(HttpRequest.newBuilder(URI.create(baseUrl())).timeout(Duration.ofSeconds(1)).build(),
                        HttpResponse.BodyHandlers.discarding());
                return;
            } catch (IOException e) {
                if (!process.isAlive()) {
                    String log = log();
                    close();
                    throw new IllegalStateException("radicale exited with " + process.exitValue() + ": " + log);
                }
                if (System.nanoTime() > deadline) {
                    String log = log();
                    close();
                    throw new IllegalStateException("radicale not ready after " + ready + ": " + log);
                }
                // readiness poll: wait for the process briefly instead of sleeping
                process.waitFor(50, TimeUnit.MILLISECONDS);
            }
        }
    }

    /** {@code http://127.0.0.1:PORT/} */
    public String baseUrl() {
        return "http://127.0.0.1:" + port + "/";
    }

    /** Radicale's own log (warnings and errors). */
    public String log() {
        try {
            return Files.readString(dir.resolve("log"));
        } catch (IOException e) {
            return "(no log: " + e.getMessage() + ")";
        }
    }

    @Override
    public void close() {
        process.destroy();
        try {
            if (!process.waitFor(5, TimeUnit.SECONDS)) {
                process.destroyForcibly();
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            process.destroyForcibly();
        }
        try (Stream<Path> s = Files.walk(dir)) {
            s.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        } catch (IOException e) {
            // a temp folder left behind is harmless
        }
    }
}
