package io.chronoroute.agent.state;

import java.util.List;

/**
 * The per-file index entry of a file-based source: what the file looked like when it was last parsed successfully
 * and which sync keys it produced.
 *
 * @param size     file size in bytes
 * @param modified last-modified time in epoch milliseconds
 * @param sha256   SHA-256 of the file's bytes (a touched but unchanged file is not re-parsed)
 * @param keys     the sync keys of the events this file produced
 */
public record FileEntry(long size, long modified, String sha256, List<String> keys) {

    public FileEntry {
        keys = keys == null ? List.of() : List.copyOf(keys);
    }
}
