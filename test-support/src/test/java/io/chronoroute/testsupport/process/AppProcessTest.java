package io.chronoroute.testsupport.process;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.chronoroute.testsupport.Ports;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.jar.Attributes;
import java.util.jar.JarEntry;
import java.util.jar.JarOutputStream;
import java.util.jar.Manifest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class AppProcessTest {

    @TempDir
    Path work;

    private Path tinyJar() throws IOException {
        Manifest mf = new Manifest();
        mf.getMainAttributes().put(Attributes.Name.MANIFEST_VERSION, "1.0");
        mf.getMainAttributes().put(Attributes.Name.MAIN_CLASS, TinyHttpApp.class.getName());
        Path jar = work.resolve("tiny.jar");
        String entry = TinyHttpApp.class.getName().replace('.', '/') + ".class";
        try (OutputStream out = Files.newOutputStream(jar); JarOutputStream jos = new JarOutputStream(out, mf)) {
            jos.putNextEntry(new JarEntry(entry));
            try (var in = TinyHttpApp.class.getClassLoader().getResourceAsStream(entry)) {
                in.transferTo(jos);
            }
            jos.closeEntry();
        }
        return jar;
    }

    @Test
    void startsWaitsStopsAndKillsOnlyItsOwnProcess() throws IOException {
        int port = Ports.free();
        Path log = work.resolve("logs/tiny.log");
        AppProcess app = new AppProcess("tiny", tinyJar(), log, List.of("-Xmx32m", "-XX:+UseSerialGC"),
                List.of("--server.port=" + port), Map.of("GREETING", "hello"));
        try (app) {
            app.start().awaitHttpOk("http://127.0.0.1:" + port + "/health", Duration.ofSeconds(60));
            assertThat(app.isAlive()).isTrue();
            assertThat(app.logTail(5)).contains("tiny app: hello on port " + port);
            assertThat(app.rssBytes()).isPositive();
            app.stop();
            assertThat(app.isAlive()).isFalse();
            assertThat(app.logTail(5)).contains("shutdown hook ran");

            app.start().awaitHttpOk("http://127.0.0.1:" + port + "/health", Duration.ofSeconds(60));
            app.kill();
            assertThat(app.isAlive()).isFalse();
            assertThat(app.logTail(10).split("shutdown hook ran", -1)).hasSize(2);
        }
    }

    @Test
    void aCrashingAppFailsTheWaitWithItsLog() throws IOException {
        AppProcess app = new AppProcess("crash", tinyJar(), work.resolve("crash.log"), List.of(),
                List.of("--server.port=not-a-number"), Map.of());
        try (app) {
            assertThatThrownBy(() -> app.start().awaitHttpOk("http://127.0.0.1:" + Ports.free() + "/health",
                    Duration.ofSeconds(60)))
                    .isInstanceOf(IllegalStateException.class)
                    .hasMessageContaining("exited with code 1")
                    .hasMessageContaining("NumberFormatException");
        }
        Path missing = AppProcess.jar("test-support", "no-such.jar");
        assertThat(missing).isEqualTo(Path.of("..").toAbsolutePath().normalize()
                .resolve("test-support/target/no-such.jar"));
        assertThatThrownBy(() -> new AppProcess("missing", missing, work.resolve("m.log"), List.of(), List.of(),
                Map.of())).hasMessageContaining("build it first");
    }
}
