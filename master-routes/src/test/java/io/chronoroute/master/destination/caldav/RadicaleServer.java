package io.chronoroute.master.destination.caldav;

import org.junit.jupiter.api.extension.AfterAllCallback;
import org.junit.jupiter.api.extension.BeforeAllCallback;
import org.junit.jupiter.api.extension.ExtensionContext;

import java.io.IOException;
import java.net.ServerSocket;
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
 * JUnit 5 extension that runs a real Radicale (Debian's {@code /usr/bin/radicale}, 3.1.8) for a test class: a temp
 * config as in shared/docs/radicale-smoke.sh (no auth, owner_only rights, filesystem storage in a temp folder) on a
 * free port, readiness by polling HTTP, stopped (and the folder removed) after the class. Missing binary = the tests
 * FAIL with the install hint (never skipped).
 */
public final class RadicaleServer implements BeforeAllCallback, AfterAllCallback {

    public static final String BINARY = "/usr/bin/radicale";

    private Process process;
    private Path dir;
    private int port;

    @Override
    public void beforeAll(ExtensionContext context) throws Exception {
        if (!Files.isExecutable(Path.of(BINARY))) {
            throw new AssertionError(BINARY + " is missing: the CalDAV tests need a real Radicale. Install it with "
                    + "`apt-get update && apt-get install -y radicale` (CI: .ci/run does this)");
        }
        dir = Files.createTempDirectory("radicale");
        Files.createDirectories(dir.resolve("collections"));
        try (ServerSocket s = new ServerSocket(0)) {
            port = s.getLocalPort();
        }
        Path config = dir.resolve("config");
        Files.writeString(config, "[server]\nhosts = 127.0.0.1:" + port + "\nssl = False\n[auth]\ntype = none\n"
                + "[rights]\ntype = owner_only\n[storage]\nfilesystem_folder = " + dir.resolve("collections") + "\n"
                + "[logging]\nlevel = warning\n");
        process = new ProcessBuilder(BINARY, "--config", config.toString())
                .redirectErrorStream(true).redirectOutput(dir.resolve("log").toFile()).start();
        HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(1)).build();
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
        while (true) {
            try {
                http.send(HttpRequest.newBuilder(URI.create(baseUrl())).timeout(Duration.ofSeconds(1)).build(),
                        HttpResponse.BodyHandlers.discarding());
                return;
            } catch (IOException e) {
                if (!process.isAlive()) {
                    throw new AssertionError("radicale exited with " + process.exitValue() + ": "
                            + Files.readString(dir.resolve("log")));
                }
                if (System.nanoTime() > deadline) {
                    throw new AssertionError("radicale not ready after 20 s: " + Files.readString(dir.resolve("log")));
                }
                // readiness poll: wait for the process briefly instead of sleeping
                process.waitFor(50, TimeUnit.MILLISECONDS);
            }
        }
    }

    @Override
    public void afterAll(ExtensionContext context) throws Exception {
        if (process != null) {
            process.destroy();
            if (!process.waitFor(5, TimeUnit.SECONDS)) {
                process.destroyForcibly();
            }
        }
        if (dir != null) {
            try (Stream<Path> s = Files.walk(dir)) {
                s.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
            }
        }
    }

    /** {@code http://127.0.0.1:PORT/} */
    public String baseUrl() {
        return "http://127.0.0.1:" + port + "/";
    }
}
