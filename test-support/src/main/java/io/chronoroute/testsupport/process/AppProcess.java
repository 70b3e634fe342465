package io.chronoroute.testsupport.process;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Runs one of our Spring Boot jars as a separate JVM for end-to-end tests and benchmarks: {@code java <jvmArgs> -jar
 * <jar> <appArgs>} with extra environment variables, stdout and stderr appended to a log file. Only the process this
 * object started is ever stopped or killed.
 * <p>A Spring Boot jar is run from its extracted form ({@code java -Djarmode=tools -jar app.jar extract}, made once
 * next to the jar and remade when the jar changes): the same classes, but read from plain jars instead of jars nested
 * in a 100 MB archive, which halves the start of a master or agent on two cores (27 s → 13 s measured) — the
 * end-to-end tests start about twenty of them.
 */
public final class AppProcess implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(AppProcess.class);
    private static final Duration POLL = Duration.ofMillis(250);
    private static final Duration GRACE = Duration.ofSeconds(30);

    private final String name;
    private final Path jar;
    private final Path log;
    private final List<String> jvmArgs;
    private final List<String> appArgs;
    private final Map<String, String> env;
    private Process process;

    public AppProcess(String name, Path jar, Path log, List<String> jvmArgs, List<String> appArgs,
            Map<String, String> env) {
        if (!Files.isRegularFile(jar)) {
            throw new IllegalStateException(name + ": executable jar not found at " + jar.toAbsolutePath()
                    + " - build it first (./mvnw -DskipTests package)");
        }
        this.name = name;
        this.jar = jar;
        this.log = log;
        this.jvmArgs = List.copyOf(jvmArgs);
        this.appArgs = List.copyOf(appArgs);
        this.env = Map.copyOf(env);
    }

    /**
     * The jar to run for {@code jar}: for a Spring Boot jar its extracted launcher {@code <jar>-extracted/<jar name>}
     * (extracted when missing or older than the jar; a stamp file written last marks a complete extraction), for any
     * other jar the jar itself. Falls back to the jar if the extraction fails.
     */
    static synchronized Path runnable(Path jar) {
        try {
            if (!isSpringBootJar(jar)) {
                return jar;
            }
            Path dir = jar.resolveSibling(jar.getFileName() + "-extracted");
            Path stamp = dir.resolve(".extracted-from");
            String expected = Files.size(jar) + " " + Files.getLastModifiedTime(jar).toMillis();
            if (Files.isRegularFile(stamp) && Files.readString(stamp).equals(expected)) {
                return dir.resolve(jar.getFileName());
            }
            // extracted beside, then moved into place: another test JVM extracting at the same time cannot see half
            Path tmp = jar.resolveSibling(jar.getFileName() + "-extracting-" + ProcessHandle.current().pid());
            deleteTree(tmp);
            Process p = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                    "-Djarmode=tools", "-jar", jar.toString(), "extract", "--destination", tmp.toString())
                    .redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.DISCARD).start();
            if (!p.waitFor(2, TimeUnit.MINUTES) || p.exitValue() != 0 || !Files.isRegularFile(tmp.resolve(jar.getFileName()))) {
                p.destroyForcibly();
                deleteTree(tmp);
                LOG.warn("could not extract {}; running it as it is", jar);
                return jar;
            }
            Files.writeString(tmp.resolve(stamp.getFileName()), expected);
            deleteTree(dir);
            Files.move(tmp, dir, java.nio.file.StandardCopyOption.ATOMIC_MOVE);
            return dir.resolve(jar.getFileName());
        } catch (IOException e) {
            LOG.warn("could not extract {} ({}); running it as it is", jar, e.toString());
            return jar;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return jar;
        }
    }

    private static boolean isSpringBootJar(Path jar) throws IOException {
        try (java.util.jar.JarFile j = new java.util.jar.JarFile(jar.toFile())) {
            java.util.jar.Manifest m = j.getManifest();
            return m != null && m.getMainAttributes().getValue("Spring-Boot-Version") != null;
        }
    }

    private static void deleteTree(Path dir) throws IOException {
        if (!Files.exists(dir)) {
            return;
        }
        try (var paths = Files.walk(dir)) {
            for (Path p : paths.sorted(java.util.Comparator.reverseOrder()).toList()) {
                Files.delete(p);
            }
        }
    }

    /**
     * Where a module's executable jar is built: {@code <repo>/<module>/target/<fileName>}, the repository root being
     * the nearest directory at or above the working directory that holds {@code mvnw} and the module. The jar may not
     * exist yet; the constructor checks that.
     */
    public static Path jar(String module, String fileName) {
        for (Path dir = Path.of("").toAbsolutePath(); dir != null; dir = dir.getParent()) {
            Path candidate = dir.resolve(module).resolve("target").resolve(fileName);
            if (Files.isRegularFile(candidate)
                    || (Files.isRegularFile(dir.resolve("mvnw")) && Files.isDirectory(dir.resolve(module)))) {
                return candidate;
            }
        }
        return Path.of(module, "target", fileName);
    }

    /** Starts the JVM; output is appended to the log file, so a restarted app keeps one log. */
    public synchronized AppProcess start() {
        if (process != null && process.isAlive()) {
            throw new IllegalStateException(name + " is already running (pid " + process.pid() + ")");
        }
        List<String> cmd = new ArrayList<>();
        cmd.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        cmd.addAll(jvmArgs);
        cmd.add("-jar");
        cmd.add(runnable(jar).toString());
        cmd.addAll(appArgs);
        try {
            if (log.getParent() != null) {
                Files.createDirectories(log.getParent());
            }
            ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true)
                    .redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile()));
            pb.environment().putAll(env);
            process = pb.start();
        } catch (IOException e) {
            throw new UncheckedIOException("cannot start " + name, e);
        }
        LOG.info("{} started as pid {} (log {})", name, process.pid(), log);
        return this;
    }

    /**
     * Polls {@code url} until it answers 200. Fails with the log tail if the process exits or the timeout passes.
     * Waiting is done on the process's exit, so a crash is noticed at once.
     */
    public AppProcess awaitHttpOk(String url, Duration timeout) {
        Process p = requireStarted();
        HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();
        HttpRequest request = HttpRequest.newBuilder(URI.create(url)).timeout(Duration.ofSeconds(5)).GET().build();
        long deadline = System.nanoTime() + timeout.toNanos();
        int lastStatus = -1;
        while (System.nanoTime() < deadline) {
            try {
                HttpResponse<Void> r = http.send(request, HttpResponse.BodyHandlers.discarding());
                lastStatus = r.statusCode();
                if (lastStatus == 200) {
                    return this;
                }
            } catch (IOException e) {
                lastStatus = -1;
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IllegalStateException("interrupted while waiting for " + name, e);
            }
            if (exitedWithin(p, POLL)) {
                throw new IllegalStateException(name + " exited with code " + p.exitValue() + " before " + url
                        + " answered 200\n" + logTail(60));
            }
        }
        throw new IllegalStateException(name + ": " + url + " did not answer 200 within " + timeout
                + " (last status " + lastStatus + ")\n" + logTail(60));
    }

    /** SIGTERM and up to 30 s for a graceful shutdown, then SIGKILL. Does nothing if not running. */
    public synchronized void stop() {
        if (process == null || !process.isAlive()) {
            return;
        }
        process.destroy();
        if (!exitedWithin(process, GRACE)) {
            LOG.warn("{} (pid {}) ignored SIGTERM for {}; killing it", name, process.pid(), GRACE);
            kill();
        }
    }

    /** SIGKILL, like {@code kill -9}: no shutdown hooks run. Waits until the process is gone. */
    public synchronized void kill() {
        if (process == null || !process.isAlive()) {
            return;
        }
        process.destroyForcibly();
        try {
            process.waitFor();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /** SIGSTOP, like {@code kill -STOP}: the process freezes (a long GC pause, a suspended VM) until {@link #resume()}. */
    public synchronized void pause() {
        signal("STOP");
    }

    /** SIGCONT: a process frozen by {@link #pause()} runs on. */
    public synchronized void resume() {
        signal("CONT");
    }

    private void signal(String name) {
        Process p = requireStarted();
        try {
            Process kill = new ProcessBuilder("kill", "-" + name, Long.toString(p.pid())).redirectErrorStream(true)
                    .start();
            String out = new String(kill.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            if (kill.waitFor() != 0) {
                throw new IllegalStateException("kill -" + name + " " + p.pid() + " failed: " + out);
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot signal " + name, e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    public synchronized boolean isAlive() {
        return process != null && process.isAlive();
    }

    public synchronized long pid() {
        return requireStarted().pid();
    }

    /** Resident set size from /proc (Linux), or -1 where that is not available. */
    public long rssBytes() {
        Path status = Path.of("/proc", String.valueOf(pid()), "status");
        try {
            for (String line : Files.readAllLines(status, StandardCharsets.UTF_8)) {
                if (line.startsWith("VmRSS:")) {
                    String[] parts = line.substring(6).trim().split("\\s+");
                    return Long.parseLong(parts[0]) * 1024;
                }
            }
        } catch (IOException | RuntimeException e) {
            LOG.debug("cannot read {}", status, e);
        }
        return -1;
    }

    /** The last {@code lines} lines of the log file ("" if there is none yet). */
    public String logTail(int lines) {
        try {
            if (!Files.exists(log)) {
                return "";
            }
            List<String> all = new String(Files.readAllBytes(log), StandardCharsets.UTF_8).lines().toList();
            return String.join("\n", all.subList(Math.max(0, all.size() - lines), all.size()));
        } catch (IOException e) {
            return "(cannot read " + log + ": " + e.getMessage() + ")";
        }
    }

    public Path log() {
        return log;
    }

    public String name() {
        return name;
    }

    @Override
    public void close() {
        stop();
    }

    @Override
    public synchronized String toString() {
        return name + (process == null ? "" : "(pid " + process.pid() + ")");
    }

    private synchronized Process requireStarted() {
        if (process == null) {
            throw new IllegalStateException(name + " was not started");
        }
        return process;
    }

    private static boolean exitedWithin(Process p, Duration wait) {
        try {
            p.onExit().get(wait.toMillis(), TimeUnit.MILLISECONDS);
            return true;
        } catch (TimeoutException e) {
            return false;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return !p.isAlive();
        } catch (ExecutionException e) {
            return !p.isAlive();
        }
    }
}
