package io.chronoroute.master.store.embedded;

import java.util.ArrayList;
import java.util.List;
import org.h2.mvstore.Cursor;
import org.h2.mvstore.MVMap;

/**
 * A key → large value map laid out for MVStore's copy-on-write B-tree: the index maps the key to a value number, and
 * the values live in one shared map under increasing numbers.
 * <p>
 * Why: MVStore rewrites every leaf page a commit touches. Keys here are hashes and identities, so 10,000 changed
 * events touch nearly every leaf of a map that holds them; with the values (a kilobyte of JSON each) in those leaves,
 * each commit rewrote — and first read back — the whole map (JFR: most of a 10,000-event ingest). Now those leaves
 * hold a key and a number, and new values are appended at the right edge of the value map, so a commit writes what
 * changed plus small index pages. A replaced value's number is removed, which frees its slot.
 * <p>
 * Not thread-safe; the store's lock guards it. The number counter is kept in the store's {@code meta} map by the
 * caller-supplied sequence.
 */
final class BlobIndex {

    interface Sequence {
        long next();
    }

    private final MVMap<String, Long> index;
    private final MVMap<Long, byte[]> values;
    private final Sequence sequence;

    BlobIndex(MVMap<String, Long> index, MVMap<Long, byte[]> values, Sequence sequence) {
        this.index = index;
        this.values = values;
        this.sequence = sequence;
    }

    byte[] get(String key) {
        Long n = index.get(key);
        return n == null ? null : values.get(n);
    }

    void put(String key, byte[] value) {
        long n = sequence.next();
        values.put(n, value);
        Long old = index.put(key, n);
        if (old != null) {
            values.remove(old);
        }
    }

    /**
     * Points {@code key} at value {@code n}, already in the value map (staged by the caller), and frees the value
     * it pointed at before.
     */
    void link(String key, long n) {
        Long old = index.put(key, n);
        if (old != null && old != n) {
            values.remove(old);
        }
    }

    boolean remove(String key) {
        Long old = index.remove(key);
        if (old == null) {
            return false;
        }
        values.remove(old);
        return true;
    }

    long size() {
        return index.sizeAsLong();
    }

    /** Removes every key starting with {@code prefix}; true if there was one. */
    boolean removePrefix(String prefix) {
        List<String> keys = new ArrayList<>();
        Cursor<String, Long> c = index.cursor(prefix);
        while (c.hasNext()) {
            String k = c.next();
            if (!k.startsWith(prefix)) {
                break;
            }
            keys.add(k);
        }
        keys.forEach(this::remove);
        return !keys.isEmpty();
    }

    /**
     * Up to {@code limit} entries in key order after {@code after} (from the first key with {@code prefix} when
     * {@code after} is null), stopping at the first key outside {@code prefix} (null: no prefix).
     */
    List<Entry> batch(String prefix, String after, int limit) {
        List<Entry> out = new ArrayList<>(limit);
        String start = after == null ? prefix : index.higherKey(after);
        if (after != null && start == null) {
            return out;
        }
        Cursor<String, Long> c = index.cursor(start);
        while (c.hasNext() && out.size() < limit) {
            String k = c.next();
            if (prefix != null && !k.startsWith(prefix)) {
                break;
            }
            out.add(new Entry(k, values.get(c.getValue())));
        }
        return out;
    }

    /** A cursor over the index from the first key greater than {@code after} (from the first key when null). */
    Cursor<String, Long> cursorAfter(String after) {
        if (after == null) {
            return index.cursor(null);
        }
        String start = index.higherKey(after);
        return start == null ? null : index.cursor(start);
    }

    /** The value stored under number {@code n} (from {@link #cursorAfter}). */
    byte[] value(long n) {
        return values.get(n);
    }

    record Entry(String key, byte[] value) {
    }
}
