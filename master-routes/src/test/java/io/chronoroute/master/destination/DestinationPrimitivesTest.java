package io.chronoroute.master.destination;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class DestinationPrimitivesTest {

    @Test
    void secretBoxEncryptsWithAGeneratedPrivateKeyFile(@TempDir Path dir) throws Exception {
        SecretBox box = SecretBox.create(null, dir);
        Path key = dir.resolve("destination-secret.key");
        assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(key))).isEqualTo("rw-------");
        String sealed = box.encrypt("1//refresh-token", "destination.g.google.refresh-token");
        assertThat(sealed).startsWith("v1:").doesNotContain("refresh-token");
        assertThat(SecretBox.create(null, dir).decrypt(sealed, "destination.g.google.refresh-token"))
                .isEqualTo("1//refresh-token");
        assertThatThrownBy(() -> box.decrypt(sealed, "destination.other.google.refresh-token"))
                .isInstanceOf(IllegalStateException.class);
        assertThatThrownBy(() -> SecretBox.fromKeyMaterial("another passphrase")
                .decrypt(sealed, "destination.g.google.refresh-token")).isInstanceOf(IllegalStateException.class);
        assertThat(box.toString()).doesNotContain(Files.readString(key));
    }

    @Test
    void configToStringMasksSecrets() {
        DestinationConfig c = DestinationConfig.defaults("google").withGoogle(DestinationConfig.Google.defaults()
                .withClient("id", "top-secret", null).withRefreshToken("rt-secret"));
        assertThat(c.toString()).doesNotContain("top-secret").doesNotContain("rt-secret").contains("<set>");
    }
}
