package io.chronoroute.agent.source.graph;

import io.chronoroute.agent.state.AgentState;
import io.chronoroute.agent.state.CredentialStore;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;

/**
 * The newest refresh token of each delegated Graph source. The identity platform hands out a new refresh token on
 * every use; the configured one (placeholder, from {@code discover graph}) is only the first: each rotated one is kept
 * as the master credential is ({@link CredentialStore}): in the agent state (meta {@code graph.<source>.refresh-token})
 * and in an owner-only file {@code <dataDir>/graph-<source>.refresh-token} (0600, written atomically) that survives
 * a reset state. Beside it, the SHA-256 fingerprint of the configured value it succeeds
 * ({@code graph.<source>.refresh-token-seed}): configuring another value (a new sign-in) makes that the first again.
 * Never logged.
 */
final class GraphRefreshTokens {

    private static final Logger LOG = LoggerFactory.getLogger(GraphRefreshTokens.class);

    private final AgentState state;

    GraphRefreshTokens(AgentState state) {
        this.state = state;
    }

    /** The token to start from: the newest stored successor of {@code configured}, else {@code configured}. */
    String current(String source, String configured) {
        if (configured == null) {
            return null;
        }
        String seed = fingerprint(configured);
        String[] stored = state.read(tx -> new String[] {tx.meta(seedKey(source)), tx.meta(tokenKey(source))});
        if (seed.equals(stored[0]) && stored[1] != null && !stored[1].isBlank()) {
            return stored[1];
        }
        Path file = file(source);
        if (stored[1] == null && Files.isRegularFile(file)) {
            try {
                String[] lines = Files.readString(file, StandardCharsets.UTF_8).split("\n");
                if (lines.length >= 2 && seed.equals(lines[0].strip()) && !lines[1].isBlank()) {
                    return lines[1].strip();
                }
            } catch (IOException e) {
                LOG.warn("Source '{}': cannot read {}: {}", source, file, e.getClass().getSimpleName());
            }
        }
        return configured;
    }

    /** Keeps {@code token}, the successor of {@code configured}: the file first (owner-only), then the state. */
    void save(String source, String configured, String token) {
        String seed = fingerprint(configured);
        try {
            CredentialStore.writeOwnerOnly(file(source), seed + "\n" + token + "\n");
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write " + file(source), e);
        }
        state.write(tx -> {
            tx.putMeta(seedKey(source), seed);
            tx.putMeta(tokenKey(source), token);
            return null;
        });
    }

    Path file(String source) {
        return state.dataDir().resolve("graph-" + source.replaceAll("[^A-Za-z0-9._-]", "_") + ".refresh-token");
    }

    static String tokenKey(String source) {
        return GraphCalendarSource.META + source + ".refresh-token";
    }

    static String seedKey(String source) {
        return GraphCalendarSource.META + source + ".refresh-token-seed";
    }

    private static String fingerprint(String token) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256")
                    .digest(token.getBytes(StandardCharsets.UTF_8)));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
