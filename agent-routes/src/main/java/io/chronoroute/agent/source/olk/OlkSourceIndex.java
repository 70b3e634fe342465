package io.chronoroute.agent.source.olk;

import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;

import java.io.IOException;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.Map;
import java.util.TreeMap;

/**
 * The per-file records of one Outlook for Mac source ({@link OlkFileInfo} by path relative to the Events folder),
 * persisted as JSON in the agent's data directory ({@code <data-dir>/outlook-mac/<source>.records.json}), never in
 * Outlook's folder. Written to a temp file beside it and moved into place atomically.
 */
final class OlkSourceIndex {

    private static final ObjectMapper JSON = new ObjectMapper().disable(SerializationFeature.INDENT_OUTPUT)
            .disable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES);
    private static final TypeReference<TreeMap<String, OlkFileInfo>> TYPE = new TypeReference<>() {
    };

    private final Path file;

    OlkSourceIndex(Path file) {
        this.file = file;
    }

    Path file() {
        return file;
    }

    /** The stored records; empty when the file does not exist yet. */
    Map<String, OlkFileInfo> load() throws IOException {
        if (!Files.exists(file)) {
            return new TreeMap<>();
        }
        return JSON.readValue(file.toFile(), TYPE);
    }

    void save(Map<String, OlkFileInfo> records) throws IOException {
        Path dir = file.toAbsolutePath().getParent();
        Files.createDirectories(dir);
        Path tmp = Files.createTempFile(dir, file.getFileName().toString(), ".tmp");
        try {
            JSON.writeValue(tmp.toFile(), new TreeMap<>(records));
            try {
                Files.move(tmp, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
            } catch (AtomicMoveNotSupportedException e) {
                Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING);
            }
        } finally {
            Files.deleteIfExists(tmp);
        }
    }
}
