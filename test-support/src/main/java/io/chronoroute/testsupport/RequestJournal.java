package io.chronoroute.testsupport;

import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Predicate;

/** Thread-safe record of the calls a fake server answered, in arrival order. */
public final class RequestJournal {

    /**
     * One answered call.
     *
     * @param operation the fake's name for the call (e.g. {@code events.insert}, {@code CreateItem})
     * @param body the request body as received (decoded to text)
     */
    public record Entry(Instant at, String method, String path, String query, String operation, int status,
            String body) {
    }

    private final List<Entry> entries = new ArrayList<>();

    public synchronized void add(Entry entry) {
        entries.add(entry);
    }

    public synchronized List<Entry> entries() {
        return List.copyOf(entries);
    }

    public synchronized List<Entry> matching(Predicate<Entry> filter) {
        return entries.stream().filter(filter).toList();
    }

    public synchronized long count(Predicate<Entry> filter) {
        return entries.stream().filter(filter).count();
    }

    public synchronized int size() {
        return entries.size();
    }

    public synchronized void clear() {
        entries.clear();
    }
}
