package io.chronoroute.master.airgap;

import io.chronoroute.master.config.ChronorouteProperties;
import io.chronoroute.master.store.MasterStore;
import org.springframework.stereotype.Component;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Optional;
import java.util.TreeMap;
import java.util.stream.Stream;

/**
 * Per-agent sequence bookkeeping of the master.
 * <ul>
 *   <li>{@code airgap.seq.<agent>} (store setting): the last applied sequence number; absent = 0 (an agent's first
 *       bundle is 1); {@code -1} = reset: the next bundle that arrives is the new start.</li>
 *   <li>idempotency namespace {@code airgap-seen-<agent>}, key {@code <seq>:<SHA-256 of the payload>}: every applied
 *       bundle, to tell a duplicate (same seq, same payload: acknowledged, ignored) from a replay (an old seq with
 *       other content, or one no longer known: quarantined).</li>
 *   <li>{@code airgap.answer.<agent>}: the answer payload of the last applied bundle, sent again when that bundle
 *       arrives again (the agent re-sends when the answer got lost).</li>
 *   <li>the parked folder {@code <parked>/<agent hex>/<seq, 20 digits>.crb} + {@code .json} (channel, reply
 *       address, source name): every verified bundle is written here first (durably, temp file + atomic rename) and
 *       applied from here in sequence order, so a gap keeps the later bundles until it is filled - across
 *       restarts - and a transient ingest failure loses nothing.</li>
 * </ul>
 */
@Component
public class AirgapSequences {

    static final String SEQ_KEY = "airgap.seq.";
    static final String ANSWER_KEY = "airgap.answer.";
    static final long RESET = -1;

    private final MasterStore store;
    private final Path parkedRoot;

    public AirgapSequences(MasterStore store, AirgapProperties props, ChronorouteProperties master) {
        this.store = store;
        this.parkedRoot = props.parkedOr(master.dataDir());
    }

    static String namespace(String agentId) {
        return "airgap-seen-" + agentId;
    }

    public long lastApplied(String agentId) {
        return store.getSetting(SEQ_KEY + agentId).map(Long::parseLong).orElse(0L);
    }

    public boolean wasApplied(String agentId, long seq, String payloadHash) {
        return store.containsKey(namespace(agentId), seq + ":" + payloadHash);
    }

    /** Records an applied bundle and its answer (the answer first: a crash in between re-applies idempotently). */
    public void markApplied(String agentId, long seq, String payloadHash, String answerPayload) {
        store.putSetting(ANSWER_KEY + agentId, seq + "\n" + answerPayload);
        store.addKey(namespace(agentId), seq + ":" + payloadHash);
        store.putSetting(SEQ_KEY + agentId, Long.toString(seq));
    }

    /** The stored answer payload when {@code seq} is the last applied bundle. */
    public Optional<String> lastAnswer(String agentId, long seq) {
        return store.getSetting(ANSWER_KEY + agentId).filter(s -> s.startsWith(seq + "\n"))
                .map(s -> s.substring(s.indexOf('\n') + 1));
    }

    public void reset(String agentId) {
        store.putSetting(SEQ_KEY + agentId, Long.toString(RESET));
        store.clearKeys(namespace(agentId));
        store.deleteSetting(ANSWER_KEY + agentId);
        for (long s : parkedSeqs(agentId)) {
            unpark(agentId, s);
        }
    }

    // ------------------------------------------------------------------ parked bundles

    Path agentDir(String agentId) {
        return parkedRoot.resolve(HexFormat.of().formatHex(agentId.getBytes(StandardCharsets.UTF_8)));
    }

    private static String name(long seq) {
        return String.format("%020d", seq);
    }

    public boolean isParked(String agentId, long seq) {
        return Files.exists(agentDir(agentId).resolve(name(seq) + ".crb"));
    }

    public void park(String agentId, long seq, byte[] data, String metaJson) {
        Path dir = agentDir(agentId);
        try {
            Files.createDirectories(dir);
            writeAtomically(dir.resolve(name(seq) + ".json"), metaJson.getBytes(StandardCharsets.UTF_8));
            writeAtomically(dir.resolve(name(seq) + ".crb"), data);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot park bundle " + seq + " of agent " + agentId + " in " + dir, e);
        }
    }

    public byte[] parkedBytes(String agentId, long seq) {
        try {
            return Files.readAllBytes(agentDir(agentId).resolve(name(seq) + ".crb"));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    public String parkedMeta(String agentId, long seq) {
        try {
            Path p = agentDir(agentId).resolve(name(seq) + ".json");
            return Files.exists(p) ? Files.readString(p) : "{}";
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    public void unpark(String agentId, long seq) {
        try {
            Files.deleteIfExists(agentDir(agentId).resolve(name(seq) + ".crb"));
            Files.deleteIfExists(agentDir(agentId).resolve(name(seq) + ".json"));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Parked sequence numbers of the agent, ascending. */
    public List<Long> parkedSeqs(String agentId) {
        Path dir = agentDir(agentId);
        if (!Files.isDirectory(dir)) {
            return List.of();
        }
        TreeMap<Long, Boolean> seqs = new TreeMap<>();
        try (Stream<Path> files = Files.list(dir)) {
            files.map(p -> p.getFileName().toString()).filter(n -> n.matches("\\d{20}\\.crb"))
                    .forEach(n -> seqs.put(Long.parseLong(n.substring(0, 20)), true));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return new ArrayList<>(seqs.keySet());
    }

    /** Agents (ids) that have parked bundles. */
    public List<String> agentsWithParked() {
        if (!Files.isDirectory(parkedRoot)) {
            return List.of();
        }
        List<String> out = new ArrayList<>();
        try (Stream<Path> dirs = Files.list(parkedRoot)) {
            dirs.filter(Files::isDirectory).forEach(d -> {
                try {
                    out.add(new String(HexFormat.of().parseHex(d.getFileName().toString()), StandardCharsets.UTF_8));
                } catch (IllegalArgumentException notOurs) {
                    // not a folder of ours
                }
            });
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return out;
    }

    static void writeAtomically(Path target, byte[] data) throws IOException {
        Path tmp = target.resolveSibling("." + target.getFileName() + ".tmp");
        Files.write(tmp, data);
        try (var ch = java.nio.channels.FileChannel.open(tmp, java.nio.file.StandardOpenOption.WRITE)) {
            ch.force(true);
        }
        try {
            Files.move(tmp, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        } catch (AtomicMoveNotSupportedException e) {
            Files.move(tmp, target, StandardCopyOption.REPLACE_EXISTING);
        }
    }
}
