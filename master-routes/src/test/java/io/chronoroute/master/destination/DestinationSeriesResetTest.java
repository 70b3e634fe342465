package io.chronoroute.master.destination;

import io.chronoroute.master.destination.caldav.SyncHarness;
import io.chronoroute.processors.model.CalendarEvent;
import io.chronoroute.processors.model.EventTime;
import io.chronoroute.processors.sync.SyncKey;
import io.chronoroute.providers.common.DestinationErrorClassifier;
import io.chronoroute.providers.common.DestinationException;
import io.chronoroute.providers.common.ErrorKind;
import io.chronoroute.providers.common.RequestGate;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;
import java.util.function.Predicate;

import static io.chronoroute.master.destination.caldav.SyncHarness.zoned;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * {@link WriteResult#seriesReset()} in the sync itself, with a scripted in-memory writer that behaves like Exchange
 * (a master whose rule changes loses its overrides), once one call per write and once in batches.
 */
class DestinationSeriesResetTest {

    private SyncHarness h;
    private ScriptedWriter writer;

    @BeforeEach
    void setUp() throws Exception {
        h = new SyncHarness();
    }

    @AfterEach
    void tearDown() {
        h.close();
    }

    @Test
    void resetSeriesGetsAllItsOverridesWrittenAgainAfterItsMasterOneCallEach() {
        resetSeriesGetsAllItsOverridesWrittenAgainAfterItsMaster(0);
    }

    @Test
    void resetSeriesGetsAllItsOverridesWrittenAgainAfterItsMasterInBatches() {
        resetSeriesGetsAllItsOverridesWrittenAgainAfterItsMaster(50);
    }

    private void resetSeriesGetsAllItsOverridesWrittenAgainAfterItsMaster(int batchSize) {
        boolean batched = batchSize > 1;
        CalendarEvent s = series("s", "Series S", "FREQ=WEEKLY;COUNT=6;BYDAY=MO");
        CalendarEvent o1 = override(s, "2026-12-14T08:00", "Moved 1");
        CalendarEvent o2 = override(s, "2027-01-04T08:00", "Moved 2");
        CalendarEvent c = override(s, "2026-12-21T08:00", "Cancelled").toBuilder().status("CANCELLED").build();
        CalendarEvent t = series("t", "Series T", "FREQ=WEEKLY;COUNT=6;BYDAY=MO");
        CalendarEvent t1 = override(t, "2026-12-14T08:00", "T moved");
        CalendarEvent e = SyncHarness.event("e", "Single", "2026-12-09T10:00", "Europe/Berlin", 30);
        h.put(s, o1, o2, c, t, t1, e);
        DestinationSyncService svc = h.service(factory(), SyncHarness.config("scripted").withBatchSize(batchSize));
        SyncResult first = svc.runOnce(SyncHarness.NAME);
        assertThat(first.outcome()).as(first.message()).isEqualTo(SyncResult.Outcome.OK);
        assertThat(first.inserted()).isEqualTo(3); // masters; an override updates its occurrence
        assertThat(first.writes()).isEqualTo(7);
        long live = svc.status(SyncHarness.NAME).liveEvents();
        assertThat(live).isEqualTo(7);

        // S gets a new rule (the destination drops its overrides) and "Moved 1" a new title in the same change:
        // the master first, then all three overrides of S, in the same run; nothing of T
        writer.log.clear();
        h.put(s.toBuilder().rrules(List.of("FREQ=WEEKLY;COUNT=8;BYDAY=MO")).build(),
                o1.toBuilder().title("Moved 1b").build());
        SyncResult reset = svc.runOnce(SyncHarness.NAME);
        assertThat(reset.outcome()).as(reset.message()).isEqualTo(SyncResult.Outcome.OK);
        assertThat(reset.updated()).isEqualTo(4);
        assertThat(reset.writeCalls()).isEqualTo(4);
        assertThat(writer.log.get(0)).isEqualTo("Series S");
        List<String> after = writer.log.subList(1, writer.log.size());
        if (batched) {
            assertThat(after.get(0)).isEqualTo("batch of 3");
            after = after.subList(1, after.size());
        }
        assertThat(after).containsExactlyInAnyOrder("Moved 1b", "Moved 2", "cancel Cancelled");
        assertThat(writer.overridesOf(s)).containsExactlyInAnyOrder("Moved 1b", "Moved 2", "cancel Cancelled");
        assertThat(writer.overridesOf(t)).containsExactly("T moved");
        assertThat(svc.status(SyncHarness.NAME).liveEvents()).isEqualTo(live);
        assertThat(svc.runOnce(SyncHarness.NAME).writeCalls()).isZero();

        // a rule under which "Moved 2" has no occurrence any more, in a full reconcile: S, "Moved 1b" and the
        // cancelled one are written again, "Moved 2" is parked (occurrenceMissing) and its mapping entry marked
        // deleted; the unchanged count leaves out the overrides written after all
        writer.log.clear();
        writer.occurrenceExists = ev -> !ev.recurrenceId().equals(o2.recurrenceId());
        h.put(s.toBuilder().rrules(List.of("FREQ=WEEKLY;COUNT=4;BYDAY=MO")).build());
        SyncResult shrunk = svc.reconcile(SyncHarness.NAME);
        assertThat(shrunk.outcome()).as(shrunk.message()).isEqualTo(SyncResult.Outcome.OK);
        assertThat(shrunk.fullReconcile()).isTrue();
        assertThat(shrunk.updated()).isEqualTo(3);
        assertThat(shrunk.parked()).isEqualTo(1);
        assertThat(shrunk.unchanged()).isEqualTo(3); // T, "T moved", the single event
        assertThat(writer.log.get(0)).isEqualTo("Series S");
        assertThat(writer.overridesOf(s)).containsExactlyInAnyOrder("Moved 1b", "cancel Cancelled");
        DestinationStatus status = svc.status(SyncHarness.NAME);
        assertThat(status.parked()).singleElement().satisfies(p -> {
            assertThat(p.identity()).isEqualTo(SyncKey.identityOf(o2));
            assertThat(p.reason()).isEqualTo("occurrenceMissing");
        });
        assertThat(status.liveEvents()).isEqualTo(live - 1);
        assertThat(new DestinationMapping(h.store, SyncHarness.NAME).get(SyncKey.identityOf(o2)))
                .hasValueSatisfying(m -> assertThat(m.deleted()).isTrue());
        SyncResult quiet = svc.runOnce(SyncHarness.NAME);
        assertThat(quiet.writeCalls()).isZero();
        assertThat(svc.status(SyncHarness.NAME).parked()).hasSize(1);

        // its occurrence back: the parked override is written with the others and leaves the parking
        writer.occurrenceExists = ev -> true;
        h.put(s);
        SyncResult back = svc.runOnce(SyncHarness.NAME);
        assertThat(back.outcome()).as(back.message()).isEqualTo(SyncResult.Outcome.OK);
        assertThat(back.parked()).isZero();
        assertThat(writer.overridesOf(s)).containsExactlyInAnyOrder("Moved 1b", "Moved 2", "cancel Cancelled");
        assertThat(svc.status(SyncHarness.NAME).parked()).isEmpty();
        assertThat(svc.status(SyncHarness.NAME).liveEvents()).isEqualTo(live);
        assertThat(svc.runOnce(SyncHarness.NAME).writeCalls()).isZero();
    }

    @Test
    void aMasterWrittenJustBeforeItsFirstOverrideResetsTheSeriesToo() {
        CalendarEvent s = series("s", "Series S", "FREQ=WEEKLY;COUNT=6;BYDAY=MO");
        CalendarEvent o1 = override(s, "2026-12-14T08:00", "Moved 1");
        CalendarEvent o2 = override(s, "2027-01-04T08:00", "Moved 2");
        CalendarEvent c = override(s, "2026-12-21T08:00", "Cancelled").toBuilder().status("CANCELLED").build();
        h.put(s, o1, o2, c);
        DestinationSyncService svc = h.service(factory(), SyncHarness.config("scripted"));
        svc.runOnce(SyncHarness.NAME);
        long live = svc.status(SyncHarness.NAME).liveEvents();
        // the new rule is refused once: the master is parked, its overrides stay as they are
        CalendarEvent newRule = s.toBuilder().rrules(List.of("FREQ=WEEKLY;COUNT=8;BYDAY=MO")).build();
        writer.refuse = ev -> ev.recurrenceId() == null;
        h.put(newRule);
        assertThat(svc.runOnce(SyncHarness.NAME).parked()).isEqualTo(1);
        assertThat(writer.overridesOf(s)).hasSize(3);
        // then only an override changes: the master goes first (inline, it is not current), resets the series,
        // and the other overrides follow in the same run
        writer.refuse = ev -> false;
        writer.log.clear();
        h.put(o1.toBuilder().title("Moved 1b").build());
        SyncResult r = svc.runOnce(SyncHarness.NAME);
        assertThat(r.outcome()).as(r.message()).isEqualTo(SyncResult.Outcome.OK);
        assertThat(r.parked()).isZero();
        assertThat(writer.log.subList(0, 2)).containsExactly("Series S", "Moved 1b");
        assertThat(writer.log.get(2)).isEqualTo("batch of 2");
        assertThat(writer.log.subList(3, writer.log.size())).containsExactlyInAnyOrder("Moved 2", "cancel Cancelled");
        assertThat(writer.overridesOf(s)).containsExactlyInAnyOrder("Moved 1b", "Moved 2", "cancel Cancelled");
        assertThat(svc.status(SyncHarness.NAME).liveEvents()).isEqualTo(live);
        assertThat(svc.status(SyncHarness.NAME).parked()).isEmpty();
        assertThat(svc.runOnce(SyncHarness.NAME).writeCalls()).isZero();
    }

    @Test
    void aSeriesWithoutResetKeepsItsOverridesUntouched() {
        CalendarEvent s = series("s", "Series S", "FREQ=WEEKLY;COUNT=6;BYDAY=MO");
        CalendarEvent o1 = override(s, "2026-12-14T08:00", "Moved 1");
        h.put(s, o1);
        DestinationSyncService svc = h.service(factory(), SyncHarness.config("scripted"));
        svc.runOnce(SyncHarness.NAME);
        writer.log.clear();
        h.put(s.toBuilder().title("Series S renamed").build());
        SyncResult r = svc.runOnce(SyncHarness.NAME);
        assertThat(r.updated()).isEqualTo(1);
        assertThat(writer.log).containsExactly("Series S renamed");
        assertThat(svc.runOnce(SyncHarness.NAME).writeCalls()).isZero();
    }

    // ------------------------------------------------------------------------------------------------ helpers

    private static CalendarEvent series(String uid, String title, String rule) {
        EventTime start = zoned("2026-12-07T08:00", "Europe/Berlin");
        return CalendarEvent.builder().uid(uid).title(title).start(start)
                .end(EventTime.ofInstant(start.instant().plusSeconds(1800), "Europe/Berlin"))
                .rrules(List.of(rule)).status("CONFIRMED").origin(SyncHarness.origin("work")).build();
    }

    private static CalendarEvent override(CalendarEvent master, String rid, String title) {
        EventTime start = zoned(rid, "Europe/Berlin");
        return CalendarEvent.builder().uid(master.uid()).recurrenceId(start).title(title)
                .start(EventTime.ofInstant(start.instant().plusSeconds(3600), "Europe/Berlin"))
                .end(EventTime.ofInstant(start.instant().plusSeconds(5400), "Europe/Berlin"))
                .status("CONFIRMED").origin(master.origin()).build();
    }

    private DestinationWriterFactory factory() {
        return new DestinationWriterFactory() {
            @Override
            public String type() {
                return "scripted";
            }

            @Override
            public DestinationWriter create(DestinationContext context) {
                writer = new ScriptedWriter(context.gate());
                return writer;
            }
        };
    }

    /**
     * An in-memory calendar that, like Exchange, drops the overrides of a series whose rule changes (and says so),
     * and refuses an override whose occurrence does not exist ({@link #occurrenceExists}).
     */
    static final class ScriptedWriter implements BatchingWriter {

        private record Obj(String identity, String hash, String version, String title, String rule, String series,
                           String rid) {
        }

        final Map<String, Obj> objects = new LinkedHashMap<>();
        final List<String> log = new ArrayList<>();
        Predicate<CalendarEvent> occurrenceExists = e -> true;
        Predicate<CalendarEvent> refuse = e -> false;
        private final RequestGate gate;
        private int versions;

        ScriptedWriter(RequestGate gate) {
            this.gate = gate;
        }

        List<String> overridesOf(CalendarEvent master) {
            String sid = SyncKey.identityOf(master);
            return objects.values().stream().filter(o -> sid.equals(o.series())).map(Obj::title).toList();
        }

        @Override
        public WriteResult upsert(DestinationEvent de, MappingEntry current) throws Exception {
            gate.acquire(true);
            return write(de);
        }

        private WriteResult write(DestinationEvent de) {
            CalendarEvent ev = de.event();
            if (refuse.test(ev)) {
                throw new DestinationException(ErrorKind.PERMANENT, "refused", "refused by the script");
            }
            String version = "v" + (++versions);
            if (de.isOverride()) {
                String sid = SyncKey.identityOf(CalendarEvent.builder().uid(ev.uid()).build());
                if (de.masterRemoteId() == null || !objects.containsKey(sid)) {
                    throw new DestinationException(ErrorKind.PERMANENT, "seriesMissing", "no master");
                }
                if (!occurrenceExists.test(ev)) {
                    throw new DestinationException(ErrorKind.PERMANENT, "occurrenceMissing",
                            "no occurrence at " + ev.recurrenceId().canonical());
                }
                String title = ("CANCELLED".equals(ev.status()) ? "cancel " : "") + ev.title();
                log.add(title);
                objects.put(de.identity(), new Obj(de.identity(), de.contentHash(), version, title, null, sid,
                        SyncKey.ridText(ev.recurrenceId())));
                return new WriteResult("r-" + de.identity(), version, false);
            }
            Obj prev = objects.get(de.identity());
            String rule = String.join(";", ev.rrules());
            boolean reset = prev != null && !rule.isEmpty() && !rule.equals(prev.rule());
            if (reset) {
                objects.values().removeIf(o -> de.identity().equals(o.series()));
            }
            log.add(ev.title());
            objects.put(de.identity(), new Obj(de.identity(), de.contentHash(), version, ev.title(), rule, null,
                    null));
            return new WriteResult("r-" + de.identity(), version, prev == null, reset);
        }

        @Override
        public void delete(DestinationEvent de, MappingEntry current) throws Exception {
            gate.acquire(true);
            log.add("delete " + de.identity());
            objects.remove(de.identity());
        }

        @Override
        public void listOwn(Consumer<RemoteEvent> sink) {
            objects.values().forEach(o -> sink.accept(new RemoteEvent("r-" + o.identity(), o.identity(), o.hash(),
                    o.version(), false, o.rid(), o.series())));
        }

        @Override
        public RemoteChanges readChanges(String cursor) {
            return new RemoteChanges(List.of(), "cursor");
        }

        @Override
        public DestinationErrorClassifier classifier() {
            return DestinationErrorClassifier.GENERIC;
        }

        @Override
        public int maxBatchSize() {
            return 1000;
        }

        @Override
        public List<BatchOutcome> writeBatch(List<BatchItem> items) throws Exception {
            log.add("batch of " + items.size());
            List<BatchOutcome> out = new ArrayList<>();
            for (BatchItem item : items) {
                gate.acquire(true);
                try {
                    if (item.kind() == BatchItem.Kind.UPSERT) {
                        out.add(BatchOutcome.done(write(item.event())));
                    } else {
                        log.add("delete " + item.event().identity());
                        objects.remove(item.event().identity());
                        out.add(BatchOutcome.done(null));
                    }
                } catch (DestinationException e) {
                    out.add(BatchOutcome.failed(e));
                }
            }
            return out;
        }
    }
}
