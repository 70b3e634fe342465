package io.chronoroute.olk15;

import java.io.BufferedWriter;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.FileVisitResult;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.SimpleFileVisitor;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * Finds new, changed and removed {@code .olk15Event} files under an Events folder by comparing (size, mtime) with
 * an index, so a rescan with no change only stats files and parses none. The scanner never writes inside the
 * scanned folder: the index file must live elsewhere (checked in the constructor).
 *
 * <p>Index file format (UTF-8 text, written to a temp file beside it and moved into place atomically):
 * <pre>
 * # olk15-folder-index v1
 * &lt;size&gt;\t&lt;mtime millis&gt;\t&lt;path relative to the Events folder, '/'-separated, \\ and newline escaped&gt;
 * </pre>
 * Use {@link #scan()} to compute a change set, process it, then {@link #accept(ScanResult)} and {@link #save()},
 * so a crash between the two re-reports the same changes instead of losing them.
 */
public final class Olk15FolderScanner {

    static final String HEADER = "# olk15-folder-index v1";
    private static final String SUFFIX = ".olk15Event";

    private final Path root;
    private final Path indexFile;
    private final Map<String, Stamp> index = new HashMap<>();

    /** Size and modification time of one file. */
    public record Stamp(long size, long mtimeMillis) {
    }

    /** Paths are absolute; each list is sorted. {@code stamps} holds what was seen for added/changed files. */
    public record ScanResult(List<Path> added, List<Path> changed, List<Path> removed, int filesSeen,
                             Map<String, Stamp> stamps) {

        public boolean isEmpty() {
            return added.isEmpty() && changed.isEmpty() && removed.isEmpty();
        }
    }

    /**
     * @param eventsRoot the folder to scan (e.g. {@code .../Data/Events})
     * @param indexFile  where the index is persisted; must not be inside {@code eventsRoot}
     */
    public Olk15FolderScanner(Path eventsRoot, Path indexFile) {
        this.root = eventsRoot.toAbsolutePath().normalize();
        this.indexFile = indexFile.toAbsolutePath().normalize();
        if (this.indexFile.startsWith(this.root)) {
            throw new IllegalArgumentException("the index file " + indexFile + " must not be inside the scanned folder "
                    + eventsRoot);
        }
    }

    public Path root() {
        return root;
    }

    /** Loads the persisted index if it exists (a missing file means "nothing seen yet"). */
    public Olk15FolderScanner load() throws IOException {
        index.clear();
        if (!Files.exists(indexFile)) {
            return this;
        }
        List<String> lines = Files.readAllLines(indexFile, StandardCharsets.UTF_8);
        if (lines.isEmpty() || !lines.get(0).equals(HEADER)) {
            throw new Olk15IndexException("not an olk15 folder index: missing header \"" + HEADER + "\"", 1);
        }
        for (int i = 1; i < lines.size(); i++) {
            String line = lines.get(i);
            if (line.isEmpty()) {
                continue;
            }
            int t1 = line.indexOf('\t');
            int t2 = t1 < 0 ? -1 : line.indexOf('\t', t1 + 1);
            if (t2 < 0) {
                throw new Olk15IndexException("expected size<TAB>mtime<TAB>path", i + 1);
            }
            try {
                long size = Long.parseLong(line.substring(0, t1));
                long mtime = Long.parseLong(line.substring(t1 + 1, t2));
                index.put(unescape(line.substring(t2 + 1), i + 1), new Stamp(size, mtime));
            } catch (NumberFormatException e) {
                throw new Olk15IndexException("size or mtime is not a number", i + 1);
            }
        }
        return this;
    }

    /** Writes the index atomically (temp file in the index's folder, then an atomic move). */
    public void save() throws IOException {
        Path dir = indexFile.getParent();
        if (dir != null) {
            Files.createDirectories(dir);
        }
        Path tmp = Files.createTempFile(dir, indexFile.getFileName().toString(), ".tmp");
        try {
            try (BufferedWriter w = Files.newBufferedWriter(tmp, StandardCharsets.UTF_8)) {
                w.write(HEADER);
                w.write('\n');
                for (Map.Entry<String, Stamp> e : new TreeMap<>(index).entrySet()) {
                    w.write(e.getValue().size() + "\t" + e.getValue().mtimeMillis() + "\t" + escape(e.getKey()));
                    w.write('\n');
                }
            }
            try {
                Files.move(tmp, indexFile, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
            } catch (AtomicMoveNotSupportedException e) {
                Files.move(tmp, indexFile, StandardCopyOption.REPLACE_EXISTING);
            }
        } finally {
            Files.deleteIfExists(tmp);
        }
    }

    /** Current index (relative path → stamp), read-only. */
    public Map<String, Stamp> index() {
        return Collections.unmodifiableMap(index);
    }

    /** Walks the folder and compares with the index; does not change the index. A missing folder is an error. */
    public ScanResult scan() throws IOException {
        if (!Files.isDirectory(root)) {
            throw new NoSuchFileException(root.toString(), null, "events folder does not exist");
        }
        Map<String, Stamp> seen = new HashMap<>();
        Files.walkFileTree(root, new SimpleFileVisitor<>() {
            @Override
            public FileVisitResult visitFile(Path file, BasicFileAttributes attrs) {
                if (attrs.isRegularFile() && file.getFileName().toString().endsWith(SUFFIX)) {
                    seen.put(relative(file), new Stamp(attrs.size(), attrs.lastModifiedTime().toMillis()));
                }
                return FileVisitResult.CONTINUE;
            }

            @Override
            public FileVisitResult visitFileFailed(Path file, IOException exc) {
                // a file deleted while we walk is simply not seen; it shows up as removed if it was indexed
                return FileVisitResult.CONTINUE;
            }
        });
        List<Path> added = new ArrayList<>();
        List<Path> changed = new ArrayList<>();
        List<Path> removed = new ArrayList<>();
        Map<String, Stamp> stamps = new HashMap<>();
        for (Map.Entry<String, Stamp> e : seen.entrySet()) {
            Stamp old = index.get(e.getKey());
            if (old == null) {
                added.add(root.resolve(e.getKey()));
                stamps.put(e.getKey(), e.getValue());
            } else if (!old.equals(e.getValue())) {
                changed.add(root.resolve(e.getKey()));
                stamps.put(e.getKey(), e.getValue());
            }
        }
        for (String known : index.keySet()) {
            if (!seen.containsKey(known)) {
                removed.add(root.resolve(known));
            }
        }
        Collections.sort(added);
        Collections.sort(changed);
        Collections.sort(removed);
        return new ScanResult(List.copyOf(added), List.copyOf(changed), List.copyOf(removed), seen.size(),
                Map.copyOf(stamps));
    }

    /** Records a processed change set in the index (call {@link #save()} to persist). */
    public void accept(ScanResult result) {
        index.putAll(result.stamps());
        for (Path p : result.removed()) {
            index.remove(relative(p));
        }
    }

    /** Records a single processed file (e.g. when only some files of a scan succeeded). */
    public void accept(Path file, Stamp stamp) {
        index.put(relative(file), stamp);
    }

    private String relative(Path file) {
        return root.relativize(file.toAbsolutePath().normalize()).toString().replace(java.io.File.separatorChar, '/');
    }

    static String escape(String s) {
        StringBuilder b = new StringBuilder(s.length());
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            switch (c) {
                case '\\' -> b.append("\\\\");
                case '\n' -> b.append("\\n");
                case '\r' -> b.append("\\r");
                case '\t' -> b.append("\\t");
                default -> b.append(c);
            }
        }
        return b.toString();
    }

    static String unescape(String s, int line) throws Olk15IndexException {
        StringBuilder b = new StringBuilder(s.length());
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (c != '\\') {
                b.append(c);
                continue;
            }
            if (++i >= s.length()) {
                throw new Olk15IndexException("dangling escape in path", line);
            }
            switch (s.charAt(i)) {
                case '\\' -> b.append('\\');
                case 'n' -> b.append('\n');
                case 'r' -> b.append('\r');
                case 't' -> b.append('\t');
                default -> throw new Olk15IndexException("unknown escape \\" + s.charAt(i), line);
            }
        }
        return b.toString();
    }
}
