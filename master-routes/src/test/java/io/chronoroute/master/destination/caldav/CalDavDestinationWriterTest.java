package io.chronoroute.master.destination.caldav;

import io.chronoroute.master.destination.DestinationConfig;
import io.chronoroute.master.destination.DestinationContext;
import io.chronoroute.master.destination.DestinationEvent;
import io.chronoroute.master.destination.DestinationMapping;
import io.chronoroute.master.destination.DestinationState;
import io.chronoroute.master.destination.DestinationSyncService;
import io.chronoroute.master.destination.DestinationWriter;
import io.chronoroute.master.destination.DestinationWriterFactory;
import io.chronoroute.master.destination.MappingEntry;
import io.chronoroute.master.destination.RemoteChanges;
import io.chronoroute.master.destination.RemoteEvent;
import io.chronoroute.master.destination.SyncResult;
import io.chronoroute.master.destination.WriteResult;
import io.chronoroute.processors.ical.ICalCodec;
import io.chronoroute.processors.model.Attendee;
import io.chronoroute.processors.model.CalendarEvent;
import io.chronoroute.processors.model.EventTime;
import io.chronoroute.processors.model.Person;
import io.chronoroute.processors.sync.ContentHash;
import io.chronoroute.processors.sync.SyncKey;
import io.chronoroute.providers.caldav.CalDavClient;
import io.chronoroute.providers.caldav.CalDavSettings;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Instant;
import java.time.LocalDate;
import java.time.ZoneId;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.function.Consumer;

import static io.chronoroute.master.destination.caldav.SyncHarness.event;
import static io.chronoroute.master.destination.caldav.SyncHarness.zoned;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** The CalDAV writer through the real sync service against a real Radicale 3.1.8 (see {@link RadicaleServer}). */
class CalDavDestinationWriterTest {

    @RegisterExtension
    static final RadicaleServer RADICALE = new RadicaleServer();

    private final HttpClient http = HttpClient.newHttpClient();
    private SyncHarness h;
    private String collection;
    private CalDavSettings settings;

    @BeforeEach
    void setUp() throws Exception {
        h = new SyncHarness();
        collection = "/test/cal-" + UUID.randomUUID().toString().substring(0, 8) + "/";
        settings = CalDavSettings.of(RADICALE.baseUrl() + collection.substring(1), "test", "x")
                .withCreateCalendar(true);
    }

    @AfterEach
    void tearDown() {
        h.close();
    }

    private DestinationSyncService service() {
        return h.service(new CalDavDestinationWriterFactory(n -> settings), SyncHarness.config("caldav"));
    }

    // ------------------------------------------------------------------------------------------------ tests

    @Test
    void secondRunWithoutChangesMakesZeroWrites() throws Exception {
        CalendarEvent single = event("single-1", "Standup", "2026-12-01T09:00", "Europe/Berlin", 30);
        CalendarEvent allDay = CalendarEvent.builder().uid("allday-1").title("Holiday")
                .start(EventTime.ofDate(LocalDate.parse("2026-12-24"))).end(EventTime.ofDate(LocalDate.parse("2026-12-25")))
                .origin(SyncHarness.origin("work")).build();
        CalendarEvent withPeople = event("people-1", "Review", "2026-12-02T14:00", "Europe/Berlin", 60).toBuilder()
                .organizer(new Person("boss@example.org", "Boss"))
                .attendees(List.of(new Attendee("alice@example.org", "Alice", "REQ-PARTICIPANT", "ACCEPTED")))
                .build();
        h.put(single, allDay, withPeople);
        DestinationSyncService svc = service();
        SyncResult first = svc.runOnce(SyncHarness.NAME);
        assertThat(first.outcome()).isEqualTo(SyncResult.Outcome.OK);
        assertThat(first.inserted()).isEqualTo(3);
        assertThat(resources()).hasSize(3);

        SyncResult second = svc.runOnce(SyncHarness.NAME);
        assertThat(second.outcome()).isEqualTo(SyncResult.Outcome.OK);
        assertThat(second.writeCalls()).isZero();
        assertThat(second.writes()).isZero();

        // never invites: no ORGANIZER/ATTENDEE lines, people in the description
        String body = get(hrefOf(withPeople)).body();
        assertThat(body).doesNotContain("ATTENDEE").doesNotContain("ORGANIZER")
                .contains("X-CHRONOROUTE-KEY:" + SyncKey.identityOf(withPeople))
                .contains("X-CHRONOROUTE-HASH:" + ContentHash.of(withPeople))
                .contains("X-CHRONOROUTE-OWNER:" + SyncHarness.NAME)
                .contains("X-CHRONOROUTE-ORIGIN:");
        CalendarEvent people = ICalCodec.parse(body, null).get(0);
        assertThat(people.attendees()).isEmpty();
        assertThat(people.organizer()).isNull();
        assertThat(people.description()).contains("Alice <alice@example.org>").contains("Boss <boss@example.org>");

        h.put(single.toBuilder().title("Standup (moved)").build());
        SyncResult third = svc.runOnce(SyncHarness.NAME);
        assertThat(third.updated()).isEqualTo(1);
        assertThat(third.writeCalls()).isEqualTo(1);
        assertThat(svc.runOnce(SyncHarness.NAME).writeCalls()).isZero();
        assertThat(get(hrefOf(single)).body()).contains("SUMMARY:Standup (moved)");
    }

    @Test
    void crashBetweenWriteAndMappingUpdateLeavesNoDuplicate() throws Exception {
        CalendarEvent a = event("crash-a", "A", "2026-12-03T10:00", "Europe/Berlin", 60);
        CalendarEvent b = event("crash-b", "B", "2026-12-03T12:00", "Europe/Berlin", 60);
        h.put(a);
        DestinationSyncService first = service();
        assertThat(first.runOnce(SyncHarness.NAME).inserted()).isEqualTo(1);
        // incremental run: b is written, then the process "dies" before the mapping update
        h.put(b);
        DestinationSyncService crashing = h.service(crashAfterFirstUpsert(), SyncHarness.config("caldav"));
        assertThatThrownBy(() -> crashing.runOnce(SyncHarness.NAME)).isInstanceOf(Crash.class);
        assertThat(new DestinationMapping(h.store, SyncHarness.NAME).get(SyncKey.identityOf(b))).isEmpty();
        assertThat(resources()).hasSize(2);

        DestinationSyncService restarted = service();
        SyncResult r = restarted.runOnce(SyncHarness.NAME);
        assertThat(r.outcome()).isEqualTo(SyncResult.Outcome.OK);
        assertThat(r.inserted()).isZero();
        assertThat(resources()).hasSize(2);
        assertThat(new DestinationMapping(h.store, SyncHarness.NAME).get(SyncKey.identityOf(b))).isPresent();
        assertThat(restarted.runOnce(SyncHarness.NAME).writeCalls()).isZero();

        // the writer itself: a create retried without mapping finds its own resource (412 → read → no new object)
        try (DestinationWriter w = new CalDavDestinationWriterFactory(n -> settings).create(context())) {
            String id = SyncKey.identityOf(b);
            WriteResult again = w.upsert(new DestinationEvent(id, b, ContentHash.of(b), "agent1/work", null, null),
                    null);
            assertThat(again.created()).isFalse();
            CalendarEvent b2 = b.toBuilder().title("B2").build();
            WriteResult changed = w.upsert(new DestinationEvent(id, b2, ContentHash.of(b2), "agent1/work", null,
                    null), null);
            assertThat(changed.created()).isFalse();
        }
        assertThat(resources()).hasSize(2);
    }

    @Test
    void storeWipedRebuildsTheMappingFromTagsWithoutDuplicates() throws Exception {
        CalendarEvent s = event("wipe-1", "One", "2026-12-04T09:00", "Europe/Berlin", 30);
        CalendarEvent master = weekly("wipe-series", "2026-12-07T08:00");
        CalendarEvent ov = override(master, "2026-12-14T08:00", "2026-12-14T11:00", "Moved");
        h.put(s, master, ov);
        SyncResult initial = service().runOnce(SyncHarness.NAME);
        assertThat(initial.inserted()).isEqualTo(2); // two resources; the override goes into its series resource
        assertThat(initial.writes()).isEqualTo(3);
        List<String> before = resources();
        assertThat(before).hasSize(2);

        h.wipeStore();
        h.put(s, master, ov);
        SyncResult r = service().runOnce(SyncHarness.NAME);
        assertThat(r.outcome()).isEqualTo(SyncResult.Outcome.OK);
        assertThat(r.fullReconcile()).isTrue();
        assertThat(r.inserted()).isZero();
        assertThat(r.writeCalls()).isZero();
        assertThat(resources()).containsExactlyInAnyOrderElementsOf(before);
    }

    @Test
    void deletionGuardHoldsMassDeletes() throws Exception {
        List<CalendarEvent> events = new ArrayList<>();
        for (int i = 0; i < 5; i++) {
            events.add(event("guard-" + i, "E" + i, "2026-12-0" + (i + 1) + "T09:00", "Europe/Berlin", 30));
        }
        h.put(events.toArray(CalendarEvent[]::new));
        DestinationSyncService svc = service();
        svc.runOnce(SyncHarness.NAME);
        h.delete(events.subList(0, 4).toArray(CalendarEvent[]::new));
        SyncResult held = svc.runOnce(SyncHarness.NAME);
        assertThat(held.deleted()).isZero();
        assertThat(held.held()).isEqualTo(4);
        assertThat(resources()).hasSize(5);
        SyncResult confirmed = svc.confirmDeletions(SyncHarness.NAME);
        assertThat(confirmed.deleted()).isEqualTo(4);
        assertThat(resources()).hasSize(1);
    }

    @Test
    void recurringSeriesWithExceptionsRoundTrips() throws Exception {
        CalendarEvent master = weekly("series-1", "2026-12-07T08:00").toBuilder()
                .exdates(List.of(zoned("2026-12-21T08:00", "Europe/Berlin"))).build();
        CalendarEvent moved = override(master, "2026-12-14T08:00", "2026-12-14T11:00", "Moved");
        CalendarEvent cancelled = override(master, "2026-12-28T08:00", "2026-12-28T08:00", "Gone").toBuilder()
                .status("CANCELLED").build();
        h.put(master, moved, cancelled);
        DestinationSyncService svc = service();
        SyncResult r = svc.runOnce(SyncHarness.NAME);
        assertThat(r.outcome()).isEqualTo(SyncResult.Outcome.OK);
        assertThat(r.inserted()).isEqualTo(1);
        assertThat(resources()).hasSize(1);
        List<CalendarEvent> back = ICalCodec.parse(get(hrefOf(master)).body(), null);
        assertThat(back).hasSize(3);
        assertThat(back).extracting(CalendarEvent::uid).containsOnly(SyncKey.identityOf(
                CalendarEvent.builder().uid("series-1").build()) + "@chronoroute");
        CalendarEvent m = back.stream().filter(e -> e.recurrenceId() == null).findFirst().orElseThrow();
        assertThat(m.rrules()).containsExactly("FREQ=WEEKLY;COUNT=6;BYDAY=MO");
        assertThat(m.exdates()).extracting(EventTime::instant).containsExactly(Instant.parse("2026-12-21T07:00:00Z"));
        CalendarEvent o = back.stream().filter(e -> "Moved".equals(e.title())).findFirst().orElseThrow();
        assertThat(o.recurrenceId().instant()).isEqualTo(Instant.parse("2026-12-14T07:00:00Z"));
        assertThat(o.start().instant()).isEqualTo(Instant.parse("2026-12-14T10:00:00Z"));
        assertThat(back).filteredOn(e -> "CANCELLED".equals(e.status())).hasSize(1);
        assertThat(svc.runOnce(SyncHarness.NAME).writeCalls()).isZero();

        // change one override: one write, the master stays as it is (no spurious repair afterwards)
        h.put(moved.toBuilder().title("Moved again").build());
        SyncResult changed = svc.runOnce(SyncHarness.NAME);
        assertThat(changed.updated()).isEqualTo(1);
        assertThat(changed.writeCalls()).isEqualTo(1);
        assertThat(svc.runOnce(SyncHarness.NAME).writeCalls()).isZero();

        // the override goes away: its VEVENT is removed, master and the other override remain
        h.delete(moved);
        SyncResult removed = svc.runOnce(SyncHarness.NAME);
        assertThat(removed.deleted()).isEqualTo(1);
        List<CalendarEvent> after = ICalCodec.parse(get(hrefOf(master)).body(), null);
        assertThat(after).hasSize(2).noneMatch(e -> e.title() != null && e.title().startsWith("Moved"));
        assertThat(svc.runOnce(SyncHarness.NAME).writeCalls()).isZero();
    }

    @Test
    void ruleChangeKeepsTheOverridesAndExdatesOfTheSeries() throws Exception {
        // the master and its overrides share one resource: a new rule replaces the master VEVENT only
        CalendarEvent master = weekly("rule-1", "2026-12-07T08:00").toBuilder()
                .exdates(List.of(zoned("2026-12-21T08:00", "Europe/Berlin"))).build();
        CalendarEvent moved = override(master, "2026-12-14T08:00", "2026-12-14T11:00", "Moved");
        CalendarEvent cancelled = override(master, "2026-12-28T08:00", "2026-12-28T08:00", "Gone").toBuilder()
                .status("CANCELLED").build();
        h.put(master, moved, cancelled);
        DestinationSyncService svc = service();
        assertThat(svc.runOnce(SyncHarness.NAME).outcome()).isEqualTo(SyncResult.Outcome.OK);
        h.put(master.toBuilder().rrules(List.of("FREQ=WEEKLY;COUNT=8;BYDAY=MO")).build());
        SyncResult r = svc.runOnce(SyncHarness.NAME);
        assertThat(r.outcome()).as(r.message()).isEqualTo(SyncResult.Outcome.OK);
        assertThat(r.writeCalls()).isEqualTo(1);
        List<CalendarEvent> back = ICalCodec.parse(get(hrefOf(master)).body(), null);
        assertThat(back).hasSize(3);
        CalendarEvent m = back.stream().filter(e -> e.recurrenceId() == null).findFirst().orElseThrow();
        assertThat(m.rrules()).containsExactly("FREQ=WEEKLY;COUNT=8;BYDAY=MO");
        assertThat(m.exdates()).extracting(EventTime::instant).containsExactly(Instant.parse("2026-12-21T07:00:00Z"));
        assertThat(back).filteredOn(e -> "Moved".equals(e.title())).singleElement()
                .satisfies(o -> assertThat(o.start().instant()).isEqualTo(Instant.parse("2026-12-14T10:00:00Z")));
        assertThat(back).filteredOn(e -> "CANCELLED".equals(e.status())).hasSize(1);
        assertThat(svc.runOnce(SyncHarness.NAME).writeCalls()).isZero();
    }

    @Test
    void timesAreRightAcrossDst() throws Exception {
        // weekly 09:00 Berlin across the end of DST (2026-10-25), plus a single event on the spring-forward day
        CalendarEvent series = CalendarEvent.builder().uid("dst-series").title("Weekly 9:00")
                .start(zoned("2026-10-19T09:00", "Europe/Berlin")).end(zoned("2026-10-19T10:00", "Europe/Berlin"))
                .rrules(List.of("FREQ=WEEKLY;COUNT=4;BYDAY=MO")).origin(SyncHarness.origin("work")).build();
        CalendarEvent after = override(series, "2026-10-26T09:00", "2026-10-26T09:30", "After DST");
        CalendarEvent spring = event("dst-spring", "Spring", "2026-03-29T10:00", "Europe/Berlin", 60);
        h.put(series, after, spring);
        assertThat(service().runOnce(SyncHarness.NAME).outcome()).isEqualTo(SyncResult.Outcome.OK);
        String body = get(hrefOf(series)).body();
        assertThat(body).contains("DTSTART;TZID=Europe/Berlin:20261019T090000")
                .contains("RECURRENCE-ID;TZID=Europe/Berlin:20261026T090000")
                .contains("BEGIN:VTIMEZONE").contains("BEGIN:DAYLIGHT").contains("BEGIN:STANDARD");
        List<CalendarEvent> back = ICalCodec.parse(body, null);
        CalendarEvent o = back.stream().filter(e -> e.recurrenceId() != null).findFirst().orElseThrow();
        assertThat(o.recurrenceId().instant()).isEqualTo(Instant.parse("2026-10-26T08:00:00Z"));
        assertThat(o.start().instant()).isEqualTo(Instant.parse("2026-10-26T08:30:00Z"));
        CalendarEvent m = back.stream().filter(e -> e.recurrenceId() == null).findFirst().orElseThrow();
        assertThat(m.start().instant()).isEqualTo(Instant.parse("2026-10-19T07:00:00Z"));
        CalendarEvent sp = ICalCodec.parse(get(hrefOf(spring)).body(), null).get(0);
        assertThat(sp.start().instant()).isEqualTo(Instant.parse("2026-03-29T08:00:00Z"));
        assertThat(sp.start().zone()).isEqualTo("Europe/Berlin");
    }

    @Test
    void foreignResourcesAreNeverTouched() throws Exception {
        service().runOnce(SyncHarness.NAME); // creates the collection
        String foreign = collection + "foreign.ics";
        String foreignIcs = "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//user//EN\r\nBEGIN:VEVENT\r\nUID:user-own-1\r\n"
                + "DTSTAMP:20260101T000000Z\r\nDTSTART:20261210T090000Z\r\nDTEND:20261210T100000Z\r\n"
                + "SUMMARY:Mine\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n";
        put(foreign, foreignIcs);
        // a foreign resource squatting on the href one of our events would get
        CalendarEvent squatted = event("squat-1", "Ours", "2026-12-11T09:00", "Europe/Berlin", 30);
        String squatHref = hrefOf(squatted);
        put(squatHref, foreignIcs.replace("user-own-1", "user-own-2"));
        String foreignEtag = get(foreign).etag();
        String squatEtag = get(squatHref).etag();

        CalendarEvent normal = event("normal-1", "Normal", "2026-12-12T09:00", "Europe/Berlin", 30);
        h.put(squatted, normal);
        DestinationSyncService svc = service();
        SyncResult r = svc.runOnce(SyncHarness.NAME);
        assertThat(r.parked()).isEqualTo(1);
        assertThat(svc.status(SyncHarness.NAME).parked()).extracting(p -> p.reason()).containsExactly("foreignResource");
        assertThat(get(foreign).etag()).isEqualTo(foreignEtag);
        assertThat(get(squatHref).etag()).isEqualTo(squatEtag);
        // full reconcile lists only ours; deleting everything of ours never reaches the foreign ones
        SyncResult full = svc.reconcile(SyncHarness.NAME);
        assertThat(full.writeCalls()).isZero();
        h.delete(normal);
        svc.runOnce(SyncHarness.NAME);
        assertThat(get(foreign).etag()).isEqualTo(foreignEtag);
        assertThat(get(squatHref).etag()).isEqualTo(squatEtag);
        assertThat(resources()).containsExactlyInAnyOrder(foreign, squatHref);
    }

    @Test
    void syncCollectionTokenRepairsOutsideEditsAndInvalidTokenResyncs() throws Exception {
        CalendarEvent e = event("token-1", "Planning", "2026-12-15T09:00", "Europe/Berlin", 60);
        CalendarEvent other = event("token-2", "Other", "2026-12-16T09:00", "Europe/Berlin", 60);
        h.put(e, other);
        DestinationSyncService svc = service();
        svc.runOnce(SyncHarness.NAME);
        DestinationMapping mapping = new DestinationMapping(h.store, SyncHarness.NAME);
        assertThat(mapping.loadState().cursor).startsWith("http://radicale.org/ns/sync/");

        // edited outside Chronoroute (tags kept, as clients do): repaired from the master's version
        CalDavClient.Resource r = get(hrefOf(e));
        put(hrefOf(e), r.body().replace("SUMMARY:Planning", "SUMMARY:Hacked"));
        SyncResult repaired = svc.runOnce(SyncHarness.NAME);
        assertThat(repaired.fullReconcile()).isFalse();
        assertThat(repaired.updated()).isEqualTo(1);
        assertThat(get(hrefOf(e)).body()).contains("SUMMARY:Planning");
        assertThat(svc.runOnce(SyncHarness.NAME).writeCalls()).isZero();

        // deleted outside Chronoroute: recreated
        delete(hrefOf(other));
        SyncResult recreated = svc.runOnce(SyncHarness.NAME);
        assertThat(recreated.writes()).isEqualTo(1);
        assertThat(get(hrefOf(other))).isNotNull();
        assertThat(svc.runOnce(SyncHarness.NAME).writeCalls()).isZero();

        // invalid token → 403 valid-sync-token → full resync, no writes, fresh token
        DestinationState st = mapping.loadState();
        st.cursor = "http://radicale.org/ns/sync/0000000000000000000000000000000000000000000000000000000000000000";
        mapping.saveState(st);
        SyncResult resync = svc.runOnce(SyncHarness.NAME);
        assertThat(resync.outcome()).isEqualTo(SyncResult.Outcome.OK);
        assertThat(resync.fullReconcile()).isTrue();
        assertThat(resync.writeCalls()).isZero();
        assertThat(mapping.loadState().cursor).isNotEqualTo(st.cursor).startsWith("http://radicale.org/ns/sync/");

        // the writer reports the expiry as CURSOR_EXPIRED
        try (DestinationWriter w = new CalDavDestinationWriterFactory(n -> settings).create(context())) {
            assertThatThrownBy(() -> w.readChanges(st.cursor))
                    .satisfies(t -> assertThat(w.classifier().classify(t).kind())
                            .isEqualTo(io.chronoroute.providers.common.ErrorKind.CURSOR_EXPIRED));
            RemoteChanges base = w.readChanges(null);
            assertThat(base.changed()).isEmpty();
            List<RemoteEvent> own = new ArrayList<>();
            w.listOwn(own::add);
            assertThat(own).extracting(RemoteEvent::identity)
                    .containsExactlyInAnyOrder(SyncKey.identityOf(e), SyncKey.identityOf(other));
        }
    }

    // ------------------------------------------------------------------------------------------------ helpers

    private static CalendarEvent weekly(String uid, String startLocal) {
        return CalendarEvent.builder().uid(uid).title("Series " + uid).start(zoned(startLocal, "Europe/Berlin"))
                .end(EventTime.ofInstant(zoned(startLocal, "Europe/Berlin").instant().plusSeconds(1800),
                        "Europe/Berlin"))
                .rrules(List.of("FREQ=WEEKLY;COUNT=6;BYDAY=MO")).status("CONFIRMED")
                .origin(SyncHarness.origin("work")).build();
    }

    private static CalendarEvent override(CalendarEvent master, String rid, String newStart, String title) {
        EventTime start = zoned(newStart, "Europe/Berlin");
        return CalendarEvent.builder().uid(master.uid()).recurrenceId(zoned(rid, "Europe/Berlin")).title(title)
                .start(start).end(EventTime.ofInstant(start.instant().plusSeconds(1800), "Europe/Berlin"))
                .status("CONFIRMED").origin(master.origin()).build();
    }

    private String hrefOf(CalendarEvent e) {
        return collection + SyncKey.identityOf(CalendarEvent.builder().uid(e.uid()).build()) + ".ics";
    }

    private DestinationContext context() {
        DestinationConfig cfg = SyncHarness.config("caldav");
        return new DestinationContext(SyncHarness.NAME, cfg, h.store, h.clock, write -> { });
    }

    private CalDavClient raw() {
        return new CalDavClient(settings, write -> { });
    }

    private List<String> resources() throws Exception {
        return raw().listAll().entries().stream().map(CalDavClient.Entry::href).sorted().toList();
    }

    private CalDavClient.Resource get(String href) throws Exception {
        return raw().get(href);
    }

    private void put(String href, String body) throws Exception {
        raw().put(href, body, null, false);
    }

    private void delete(String href) throws Exception {
        HttpResponse<Void> r = http.send(HttpRequest.newBuilder(URI.create(RADICALE.baseUrl() + href.substring(1)))
                .header("Authorization", "Basic dGVzdDp4").DELETE().build(), HttpResponse.BodyHandlers.discarding());
        assertThat(r.statusCode()).isBetween(200, 299);
    }

    /** Stands for the process dying: not an Exception, so nothing in the sync catches it. */
    static final class Crash extends Error {
        Crash() {
            super("simulated crash after the write, before the mapping update");
        }
    }

    private DestinationWriterFactory crashAfterFirstUpsert() {
        CalDavDestinationWriterFactory real = new CalDavDestinationWriterFactory(n -> settings);
        return new DestinationWriterFactory() {
            @Override
            public String type() {
                return "caldav";
            }

            @Override
            public DestinationWriter create(DestinationContext context) {
                DestinationWriter w = real.create(context);
                return new DestinationWriter() {
                    @Override
                    public WriteResult upsert(DestinationEvent event, MappingEntry current) throws Exception {
                        w.upsert(event, current);
                        throw new Crash();
                    }

                    @Override
                    public void delete(DestinationEvent event, MappingEntry current) throws Exception {
                        w.delete(event, current);
                    }

                    @Override
                    public void listOwn(Consumer<RemoteEvent> sink) throws Exception {
                        w.listOwn(sink);
                    }

                    @Override
                    public RemoteChanges readChanges(String cursor) throws Exception {
                        return w.readChanges(cursor);
                    }

                    @Override
                    public io.chronoroute.providers.common.DestinationErrorClassifier classifier() {
                        return w.classifier();
                    }
                };
            }
        };
    }

    @SuppressWarnings("unused")
    private static ZoneId berlin() {
        return ZoneId.of("Europe/Berlin");
    }
}
