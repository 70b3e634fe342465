package io.chronoroute.hawtio;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;

import static org.assertj.core.api.Assertions.assertThat;

class GeneratedPasswordTest {

    @Test
    void generatesOncePrivatelyAndKeepsIt(@TempDir Path dir) throws Exception {
        Path file = dir.resolve("sub/console-password");
        String first = ConsoleSecurityAutoConfiguration.readOrCreatePassword(file);
        assertThat(first).hasSizeGreaterThanOrEqualTo(20);
        assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(file))).isEqualTo("rw-------");
        assertThat(ConsoleSecurityAutoConfiguration.readOrCreatePassword(file)).isEqualTo(first);
    }
}
