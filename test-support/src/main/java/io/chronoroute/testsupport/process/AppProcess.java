package io.chronoroute.testsupport.process;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;

/**
 * One of our Spring Boot apps (master or agent) run as a separate operating-system process from its executable
 * jar, the way a user runs it: {@code java -jar chronoroute-master.jar --key=value ...}. Output goes to a log file
 * beside the data folder, so a failing end-to-end test can show what the app said.
 */
public final class AppProcess implements AutoCloseable {

    private final String name;
    private final Path jar;
    private final List<String> args;
    private final Map<String, String> env;
    private final Path log;
    private final List<String> jvmOptions;
    private Process process;

    public AppProcess(String name, Path jar, Path log, List<String> jvmOptions, List<String> args,
                      Map<String, String> env) {
        if (!Files.isRegularFile(jar)) {
            throw new IllegalStateException(name + ": executable jar not found at " + jar.toAbsolutePath()
                    + " - build it first (./mvnw -DskipTests package)");
        }
        this.name = name;
        this.jar = jar;
        this.log = log;
        this.jvmOptions = List.copyOf(jvmOptions);
        this.args = List.copyOf(args);
        this.env = Map.copyOf(env);
    }

    /** Locates a module's executable jar from the repository root (walking up from the working directory). */
    public static Path jar(String module, String fileName) {
        Path dir = Path.of("").toAbsolutePath();
        while (dir != null) {
            Path candidate = dir.resolve(module).resolve("target").resolve(fileName);
            if (Files.isRegularFile(candidate)) {
                return candidate;
            }
            if (Files.isRegularFile(dir.resolve("mvnw")) && Files.isDirectory(dir.resolve(module))) {
                return candidate;
            }
            dir = dir.getParent();
        }
        return Path.of(module, "target", fileName);
    }

    public AppProcess start() {
        if (process != null && process.isAlive()) {
            throw new IllegalStateException(name + " already running");
        }
        List<String> cmd = new ArrayList<>();
        cmd.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        cmd.addAll(jvmOptions);
        cmd.add("-jar");
        cmd.add(jar.toAbsolutePath().toString());
        cmd.addAll(args);
        ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true)
                .redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile()));
        pb.environment().putAll(env);
        try {
            Files.createDirectories(log.toAbsolutePath().getParent());
            process = pb.start();
        } catch (IOException e) {
            throw new UncheckedIOException("cannot start " + name, e);
        }
        return this;
    }

    /** Waits until {@code url} answers 200, or fails with the tail of the app's log. */
    public AppProcess awaitHttpOk(String url, Duration timeout) {
        HttpClient client = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();
        long deadline = System.nanoTime() + timeout.toNanos();
        while (System.nanoTime() < deadline) {
            if (!process.isAlive()) {
                throw new IllegalStateException(name + " exited with " + process.exitValue() + ":\n" + logTail(60));
            }
            try {
                HttpResponse<Void> r = client.send(HttpRequest.newBuilder(URI.create(url))
                        .timeout(Duration.ofSeconds(2)).build(), HttpResponse.BodyHandlers.discarding());
                if (r.statusCode() == 200) {
                    return this;
                }
            } catch (IOException notYet) {
                // not listening yet
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IllegalStateException(e);
            }
            LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(200));
        }
        throw new IllegalStateException(name + " did not answer 200 at " + url + " within " + timeout + ":\n"
                + logTail(60));
    }

    public long pid() {
        return process.pid();
    }

    public boolean isAlive() {
        return process != null && process.isAlive();
    }

    /** Graceful stop (SIGTERM), waiting up to 30 s. */
    public void stop() {
        if (process == null) {
            return;
        }
        process.destroy();
        try {
            if (!process.waitFor(30, TimeUnit.SECONDS)) {
                process.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /** kill -9: no shutdown hooks, no flushing. */
    public void kill() {
        if (process == null) {
            return;
        }
        process.destroyForcibly();
        try {
            process.waitFor(10, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /** Resident set size of the process in bytes, from /proc (Linux). */
    public long rssBytes() {
        try {
            for (String line : Files.readAllLines(Path.of("/proc", Long.toString(process.pid()), "status"))) {
                if (line.startsWith("VmRSS:")) {
                    return Long.parseLong(line.replaceAll("[^0-9]", "")) * 1024L;
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        throw new IllegalStateException("no VmRSS for pid " + process.pid());
    }

    public String logTail(int lines) {
        try {
            List<String> all = Files.readAllLines(log);
            return String.join("\n", all.subList(Math.max(0, all.size() - lines), all.size()));
        } catch (IOException e) {
            return "(no log: " + e.getMessage() + ")";
        }
    }

    public Path log() {
        return log;
    }

    @Override
    public void close() {
        stop();
    }

    @Override
    public String toString() {
        return name + (process == null ? "" : "(pid " + process.pid() + ")");
    }
}
