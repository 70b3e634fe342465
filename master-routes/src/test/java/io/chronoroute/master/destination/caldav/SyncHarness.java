package io.chronoroute.master.destination.caldav;

import io.chronoroute.master.cluster.Leadership;
import io.chronoroute.master.destination.DestinationConfig;
import io.chronoroute.master.destination.DestinationSyncService;
import io.chronoroute.master.destination.DestinationWriterFactory;
import io.chronoroute.master.ingest.ChangeIngest;
import io.chronoroute.master.store.ChangeSet;
import io.chronoroute.master.store.ConsolidatedEvent;
import io.chronoroute.master.store.MasterStore;
import io.chronoroute.master.store.embedded.EmbeddedMasterStore;
import io.chronoroute.processors.model.CalendarEvent;
import io.chronoroute.processors.model.EventTime;
import io.chronoroute.processors.model.Origin;
import io.chronoroute.processors.sync.ContentHash;
import io.chronoroute.processors.sync.SyncKey;
import io.chronoroute.processors.wire.WireJson;
import io.chronoroute.providers.common.Sleeper;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.LocalDateTime;
import java.time.ZoneId;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * Plain-Java test bench for destination writers: a real embedded master store in a temp folder, a virtual clock
 * and a sleeper that only records and advances that clock (no test ever waits), and helpers that put consolidated
 * events straight into the store (what the ingest pipeline would do).
 */
public final class SyncHarness implements AutoCloseable {

    public static final String NAME = "dest";

    public final MutableClock clock = new MutableClock(Instant.parse("2026-11-22T08:00:00Z"));
    public final List<Duration> sleeps = new ArrayList<>();
    public final Sleeper sleeper = d -> {
        sleeps.add(d);
        clock.advance(d);
    };
    public MasterStore store;
    private final Path dir;

    public SyncHarness() throws Exception {
        dir = Files.createTempDirectory("dest-harness");
        store = new EmbeddedMasterStore(dir.resolve("store-" + System.nanoTime()));
    }

    /** Replaces the store with an empty one (store lost); put the events again afterwards. */
    public void wipeStore() throws Exception {
        store.close();
        store = new EmbeddedMasterStore(dir.resolve("store-" + System.nanoTime()));
    }

    /** {@link #wipeStore()} without checked exceptions. */
    public void wipeStoreQuietly() {
        try {
            wipeStore();
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }

    public DestinationSyncService service(DestinationWriterFactory factory, DestinationConfig config) {
        return new DestinationSyncService(store, Map.of(NAME, config), List.of(factory), clock, sleeper, () -> 0.5);
    }

    /** A service whose two-way destinations hand their edits to {@code ingest}. */
    public DestinationSyncService service(DestinationWriterFactory factory, DestinationConfig config,
                                          ChangeIngest ingest) {
        return new DestinationSyncService(store, Map.of(NAME, config), List.of(factory), clock, sleeper, () -> 0.5,
                Leadership.LOCAL, () -> ingest);
    }

    public static DestinationConfig config(String type) {
        return DestinationConfig.defaults(type).withRate(1000, 1000, 8);
    }

    /** Puts (or replaces) consolidated events; returns their identities. */
    public List<String> put(CalendarEvent... events) {
        ChangeSet cs = new ChangeSet();
        List<String> ids = new ArrayList<>();
        for (CalendarEvent e : events) {
            String id = SyncKey.identityOf(e);
            ids.add(id);
            long version = store.findConsolidated(id).map(c -> c.version() + 1).orElse(1L);
            cs.putConsolidated.add(new ConsolidatedEvent(id, WireJson.toJson(e), ContentHash.of(e),
                    List.of("agent1/" + SyncKey.of("agent1", e).value()), version, 0, clock.instant(), false,
                    "agent1/" + SyncKey.of("agent1", e).value()));
        }
        store.apply(cs);
        return ids;
    }

    /** Deletes consolidated events (tombstones). */
    public void delete(CalendarEvent... events) {
        ChangeSet cs = new ChangeSet();
        for (CalendarEvent e : events) {
            String id = SyncKey.identityOf(e);
            ConsolidatedEvent c = store.findConsolidated(id).orElseThrow();
            cs.putConsolidated.add(new ConsolidatedEvent(id, c.eventJson(), c.contentHash(), List.of(),
                    c.version() + 1, 0, clock.instant(), true, null));
        }
        store.apply(cs);
    }

    public static Origin origin(String source) {
        return new Origin("agent1", source, "cal", "Calendar", "ics", null);
    }

    public static EventTime zoned(String local, String zone) {
        return EventTime.ofZoned(LocalDateTime.parse(local), ZoneId.of(zone));
    }

    public static CalendarEvent event(String uid, String title, String startLocal, String zone, int minutes) {
        EventTime start = zoned(startLocal, zone);
        return CalendarEvent.builder().uid(uid).title(title).start(start)
                .end(EventTime.ofInstant(start.instant().plus(Duration.ofMinutes(minutes)), zone))
                .status("CONFIRMED").origin(origin("work")).build();
    }

    @Override
    public void close() {
        store.close();
    }

    /** A clock tests move by hand. */
    public static final class MutableClock extends Clock {
        private Instant now;

        public MutableClock(Instant start) {
            now = start;
        }

        public synchronized void advance(Duration d) {
            now = now.plus(d);
        }

        @Override
        public synchronized Instant instant() {
            return now;
        }

        @Override
        public ZoneId getZone() {
            return ZoneOffset.UTC;
        }

        @Override
        public Clock withZone(ZoneId zone) {
            return this;
        }
    }
}
