package io.chronoroute.agent.state;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.FileSystems;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Optional;
import java.util.Set;

/**
 * The credential the master issued at registration. Kept in the agent state ({@code meta/credential}) and in
 * {@code <dataDir>/credential} with owner-only permissions (0600 on POSIX; owner-only read/write elsewhere), written
 * atomically (temp file created with those permissions, then renamed). Never logged: {@link #toString()} hides it.
 */
public final class CredentialStore {

    private static final Logger LOG = LoggerFactory.getLogger(CredentialStore.class);
    public static final String FILE_NAME = "credential";
    /** State key of the credential proposed at registration, until the master's answer is stored. */
    static final String PROPOSAL = "credential.proposed";
    private static final java.security.SecureRandom RANDOM = new java.security.SecureRandom();
    private static final Set<PosixFilePermission> OWNER_ONLY = PosixFilePermissions.fromString("rw-------");

    private final AgentState state;
    private final Path file;

    public CredentialStore(AgentState state) {
        this.state = state;
        this.file = state.dataDir().resolve(FILE_NAME);
    }

    public Path file() {
        return file;
    }

    /** The stored credential: from the state, else from the credential file (e.g. after the state was reset). */
    public Optional<String> load() {
        String fromState = state.read(tx -> tx.meta("credential"));
        if (fromState != null && !fromState.isBlank()) {
            return Optional.of(fromState);
        }
        if (Files.isRegularFile(file)) {
            try {
                String fromFile = Files.readString(file, StandardCharsets.UTF_8).strip();
                if (!fromFile.isEmpty()) {
                    state.write(tx -> {
                        tx.putMeta("credential", fromFile);
                        return null;
                    });
                    return Optional.of(fromFile);
                }
            } catch (IOException e) {
                LOG.error("Cannot read the credential file {}: {}", file, e.getMessage());
            }
        }
        return Optional.empty();
    }

    /** Writes the file first (owner-only), then the state. */
    public void save(String credential) {
        if (credential == null || credential.isBlank()) {
            throw new IllegalArgumentException("empty credential");
        }
        try {
            writeOwnerOnly(file, credential);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write the credential file " + file, e);
        }
        state.write(tx -> {
            tx.putMeta("credential", credential);
            tx.putMeta(PROPOSAL, null);
            return null;
        });
    }

    /**
     * The credential this agent proposes when it registers: a random 256-bit token (base64url), generated and
     * committed to the state <em>before</em> it is first sent, and the same for every retry until {@link #save}
     * stores the registered credential. If the master committed a registration whose answer never arrived, the
     * retry carries the same proposal, which proves to the master that it is the same registration.
     */
    public String proposal() {
        return state.write(tx -> {
            String p = tx.meta(PROPOSAL);
            if (p == null || p.isBlank()) {
                byte[] b = new byte[32];
                RANDOM.nextBytes(b);
                p = java.util.Base64.getUrlEncoder().withoutPadding().encodeToString(b);
                tx.putMeta(PROPOSAL, p);
            }
            return p;
        });
    }

    /** Writes {@code content} to {@code target} owner-only and atomically (as the credential file). */
    public static void writeOwnerOnly(Path target, String content) throws IOException {
        Path dir = target.toAbsolutePath().getParent();
        Files.createDirectories(dir);
        boolean posix = FileSystems.getDefault().supportedFileAttributeViews().contains("posix");
        Path tmp = posix
                ? Files.createTempFile(dir, ".credential", ".tmp", PosixFilePermissions.asFileAttribute(OWNER_ONLY))
                : Files.createTempFile(dir, ".credential", ".tmp");
        try {
            if (!posix) {
                restrictToOwner(tmp);
            }
            Files.writeString(tmp, content, StandardCharsets.UTF_8);
            try {
                Files.move(tmp, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
            } catch (AtomicMoveNotSupportedException e) {
                Files.move(tmp, target, StandardCopyOption.REPLACE_EXISTING);
            }
            if (posix) {
                Files.setPosixFilePermissions(target, OWNER_ONLY);
            }
        } finally {
            Files.deleteIfExists(tmp);
        }
    }

    private static void restrictToOwner(Path p) {
        java.io.File f = p.toFile();
        boolean ok = f.setReadable(false, false) & f.setReadable(true, true)
                & f.setWritable(false, false) & f.setWritable(true, true)
                & f.setExecutable(false, false);
        if (!ok) {
            LOG.warn("Could not restrict the permissions of {} to its owner", p);
        }
    }

    @Override
    public String toString() {
        return "CredentialStore[" + file + "]";
    }
}
