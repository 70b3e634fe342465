package io.chronoroute.master.config;

import io.chronoroute.master.security.Tokens;
import io.chronoroute.master.store.MasterStore;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.stereotype.Component;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileSystems;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.List;

/**
 * The admin token, the feed token and the enrollment secret. A value set in configuration wins; a blank one is
 * taken from the store settings, or generated (256 random bits) and saved there, so it stays stable across
 * restarts. Values that did not come from configuration are written to {@code <dataDir>/secrets.txt} (mode 0600)
 * and one log line says where; the values themselves are never logged. Only SHA-256 digests stay in memory
 * besides the file.
 */
@Component
public class MasterSecrets {

    private static final Logger LOG = LoggerFactory.getLogger(MasterSecrets.class);
    static final String ADMIN = "secret.admin-token";
    static final String FEED = "secret.feed-token";
    static final String ENROLL = "secret.enrollment-secret";

    private final String adminHash;
    private final String feedHash;
    private final String enrollHash;
    private final String feedToken;

    public MasterSecrets(ChronorouteProperties props, MasterStore store) {
        List<String> fileLines = new ArrayList<>();
        String admin = resolve(props.adminToken(), ADMIN, "admin_token", store, fileLines);
        String feed = resolve(props.feedToken(), FEED, "feed_token", store, fileLines);
        String enroll = resolve(props.enrollmentSecret(), ENROLL, "enrollment_secret", store, fileLines);
        this.adminHash = Tokens.sha256Hex(admin);
        this.feedHash = Tokens.sha256Hex(feed);
        this.feedToken = feed;
        this.enrollHash = Tokens.sha256Hex(enroll);
        if (!fileLines.isEmpty()) {
            Path file = props.dataDir().resolve("secrets.txt").toAbsolutePath();
            writePrivate(file, fileLines);
            LOG.warn("Secrets not set in configuration ({}) are kept in the store; their values are in {} (mode 0600)."
                    + " Set chronoroute.admin-token / feed-token / enrollment-secret to choose your own.",
                    String.join(", ", fileLines.stream().map(l -> l.substring(0, l.indexOf('='))).toList()), file);
        }
    }

    private static String resolve(String configured, String key, String label, MasterStore store, List<String> lines) {
        if (configured != null && !configured.isBlank()) {
            return configured;
        }
        String value = store.getSetting(key).filter(v -> !v.isBlank()).orElse(null);
        if (value == null) {
            value = Tokens.newToken();
            store.putSetting(key, value);
        }
        lines.add(label + "=" + value);
        return value;
    }

    private static void writePrivate(Path file, List<String> lines) {
        try {
            Files.createDirectories(file.getParent());
            Path tmp = file.resolveSibling("secrets.txt.tmp");
            Files.deleteIfExists(tmp);
            if (FileSystems.getDefault().supportedFileAttributeViews().contains("posix")) {
                Files.createFile(tmp, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
            } else {
                Files.createFile(tmp);
            }
            Files.write(tmp, (String.join("\n", lines) + "\n").getBytes(StandardCharsets.UTF_8));
            Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write " + file, e);
        }
    }

    public boolean isAdminToken(String presented) {
        return Tokens.matches(presented, adminHash);
    }

    public boolean isFeedToken(String presented) {
        return Tokens.matches(presented, feedHash);
    }

    /** The feed token itself: the web console shows the subscription URL to its logged-in user. */
    public String feedToken() {
        return feedToken;
    }

    public boolean isEnrollmentSecret(String presented) {
        return Tokens.matches(presented, enrollHash);
    }
}
