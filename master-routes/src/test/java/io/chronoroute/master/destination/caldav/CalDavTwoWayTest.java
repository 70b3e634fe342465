package io.chronoroute.master.destination.caldav;

import io.chronoroute.master.destination.DestinationMapping;
import io.chronoroute.master.destination.DestinationSyncService;
import io.chronoroute.master.destination.MappingEntry;
import io.chronoroute.master.destination.RecordingIngest;
import io.chronoroute.master.destination.SyncResult;
import io.chronoroute.master.ingest.OriginChange;
import io.chronoroute.processors.model.Attendee;
import io.chronoroute.processors.model.CalendarEvent;
import io.chronoroute.processors.model.EventTime;
import io.chronoroute.processors.model.Person;
import io.chronoroute.processors.sync.ContentHash;
import io.chronoroute.processors.sync.SyncKey;
import io.chronoroute.processors.wire.WireJson;
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
import java.time.LocalDateTime;
import java.util.List;
import java.util.UUID;

import static io.chronoroute.master.destination.caldav.SyncHarness.event;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * Two-way sync against a real Radicale 3.1.8 ({@link RadicaleServer}): what a CalDAV client does to our events in
 * the collection (PUT with our X- tags left as they are, DELETE) reaches the ingest ({@link RecordingIngest}) as
 * origin changes, and nothing is written back.
 */
class CalDavTwoWayTest {

    @RegisterExtension
    static final RadicaleServer RADICALE = new RadicaleServer();

    private final HttpClient http = HttpClient.newHttpClient();
    private SyncHarness h;
    private RecordingIngest ingest;
    private String collection;
    private CalDavSettings settings;

    @BeforeEach
    void setUp() throws Exception {
        h = new SyncHarness();
        ingest = new RecordingIngest(h);
        collection = "/test/two-" + UUID.randomUUID().toString().substring(0, 8) + "/";
        settings = CalDavSettings.of(RADICALE.baseUrl() + collection.substring(1), "test", "x")
                .withCreateCalendar(true);
    }

    @AfterEach
    void tearDown() {
        h.close();
    }

    private DestinationSyncService service(String createTarget) {
        return h.service(new CalDavDestinationWriterFactory(n -> settings),
                SyncHarness.config("caldav").withDirection("two-way", createTarget), ingest);
    }

    private static SyncResult ok(SyncResult r) {
        assertThat(r.outcome()).as(r.message()).isEqualTo(SyncResult.Outcome.OK);
        return r;
    }

    @Test
    void anEditInRadicaleIsOneOriginChangeAndNothingIsWrittenBack() throws Exception {
        CalendarEvent e = event("two-1", "Planning", "2026-12-15T09:00", "Europe/Berlin", 60).toBuilder()
                .description("agenda").attendees(List.of(new Attendee("a@example.org", "A", "REQ-PARTICIPANT",
                        "ACCEPTED"))).organizer(new Person("boss@example.org", "Boss")).sequence(1).build();
        CalendarEvent other = event("two-2", "Other", "2026-12-16T09:00", "Europe/Berlin", 60);
        String id = h.put(e, other).get(0);
        CalendarEvent stored = WireJson.fromJson(h.store.findConsolidated(id).orElseThrow().eventJson());
        DestinationSyncService svc = service(null);
        assertThat(ok(svc.runOnce(SyncHarness.NAME)).inserted()).isEqualTo(2);

        // a client changes SUMMARY (and LAST-MODIFIED, as clients do); our X- tags stay as they are
        CalDavClient.Resource r = get(hrefOf(e));
        assertThat(r.body()).contains("SUMMARY:Planning");
        put(hrefOf(e), r.body().replace("SUMMARY:Planning", "SUMMARY:Planning (room 2)")
                .replace("END:VEVENT", "LAST-MODIFIED:20261122T091500Z\r\nEND:VEVENT"));

        SyncResult edited = ok(svc.runOnce(SyncHarness.NAME));
        assertThat(edited.fullReconcile()).isFalse();
        assertThat(edited.writeCalls()).isZero();
        assertThat(ingest.calls).singleElement().satisfies(c -> {
            assertThat(c.origin()).isEqualTo("destination:" + SyncHarness.NAME);
            assertThat(c.changes()).singleElement().satisfies(ch -> {
                assertThat(ch.identity()).isEqualTo(id);
                assertThat(ch.baseHash()).isEqualTo(ContentHash.of(e));
                assertThat(ch.modified()).isEqualTo(Instant.parse("2026-11-22T09:15:00Z"));
                // only the title changed: UID, attendees, organizer, the description without the attendee text,
                // SEQUENCE all stay the consolidated event's
                assertThat(ch.event()).isEqualTo(stored.toBuilder().title("Planning (room 2)").build());
            });
        });
        assertThat(get(hrefOf(e)).body()).contains("SUMMARY:Planning (room 2)");
        // the ingest stored it: later runs write nothing and hand nothing over
        assertThat(ok(svc.runOnce(SyncHarness.NAME)).writeCalls()).isZero();
        assertThat(ok(svc.runOnce(SyncHarness.NAME)).writeCalls()).isZero();
        assertThat(ingest.calls).hasSize(1);
        assertThat(get(hrefOf(e)).body()).contains("SUMMARY:Planning (room 2)");
    }

    @Test
    void anEditOfOnlyAFieldWeNeverWriteIsNoChange() throws Exception {
        CalendarEvent e = event("never-1", "Standup", "2026-12-17T09:00", "Europe/Berlin", 15);
        String id = h.put(e).get(0);
        DestinationSyncService svc = service(null);
        ok(svc.runOnce(SyncHarness.NAME));
        MappingEntry before = new DestinationMapping(h.store, SyncHarness.NAME).get(id).orElseThrow();

        // a client adds a reminder and an attendee: fields we never write
        CalDavClient.Resource r = get(hrefOf(e));
        put(hrefOf(e), r.body().replace("END:VEVENT", "ATTENDEE;CN=Carol:mailto:carol@example.org\r\n"
                + "BEGIN:VALARM\r\nACTION:DISPLAY\r\nDESCRIPTION:Reminder\r\nTRIGGER:-PT10M\r\nEND:VALARM\r\n"
                + "END:VEVENT"));
        SyncResult run = ok(svc.runOnce(SyncHarness.NAME));
        assertThat(run.writeCalls()).isZero();
        assertThat(ingest.calls).isEmpty();
        MappingEntry after = new DestinationMapping(h.store, SyncHarness.NAME).get(id).orElseThrow();
        assertThat(after.version()).isNotEqualTo(before.version());
        assertThat(after.contentHash()).isEqualTo(before.contentHash());
        assertThat(get(hrefOf(e)).body()).contains("TRIGGER:-PT10M");
        assertThat(ok(svc.runOnce(SyncHarness.NAME)).writeCalls()).isZero();
        assertThat(ingest.calls).isEmpty();
    }

    @Test
    void aFloatingEventEditedInRadicaleStaysFloating() throws Exception {
        EventTime start = EventTime.ofFloating(LocalDateTime.parse("2026-12-18T08:00"));
        CalendarEvent e = CalendarEvent.builder().uid("float-1").title("Gym").start(start)
                .end(EventTime.ofFloating(LocalDateTime.parse("2026-12-18T09:00"))).status("CONFIRMED")
                .origin(SyncHarness.origin("work")).build();
        h.put(e);
        DestinationSyncService svc = service(null);
        ok(svc.runOnce(SyncHarness.NAME));
        CalDavClient.Resource r = get(hrefOf(e));
        put(hrefOf(e), r.body().replace("SUMMARY:Gym", "SUMMARY:Gym (legs)"));
        ok(svc.runOnce(SyncHarness.NAME));
        assertThat(ingest.changes()).singleElement().satisfies(ch -> {
            assertThat(ch.event().title()).isEqualTo("Gym (legs)");
            assertThat(ch.event().start()).isEqualTo(start);
            assertThat(ch.event().start().isFloating()).isTrue();
            assertThat(ch.event().uid()).isEqualTo("float-1");
        });
    }

    @Test
    void anEditOfOneOverrideIsAChangeOfThatOverrideOnly() throws Exception {
        EventTime start = SyncHarness.zoned("2026-12-07T08:00", "Europe/Berlin");
        CalendarEvent series = CalendarEvent.builder().uid("series-1").title("Weekly").start(start)
                .end(EventTime.ofInstant(start.instant().plusSeconds(1800), "Europe/Berlin"))
                .rrules(List.of("FREQ=WEEKLY;COUNT=4;BYDAY=MO")).status("CONFIRMED")
                .origin(SyncHarness.origin("work")).build();
        EventTime rid = SyncHarness.zoned("2026-12-14T08:00", "Europe/Berlin");
        EventTime moved = SyncHarness.zoned("2026-12-14T10:00", "Europe/Berlin");
        CalendarEvent override = CalendarEvent.builder().uid("series-1").recurrenceId(rid).title("Weekly (moved)")
                .start(moved).end(EventTime.ofInstant(moved.instant().plusSeconds(1800), "Europe/Berlin"))
                .status("CONFIRMED").origin(SyncHarness.origin("work")).build();
        List<String> ids = h.put(series, override);
        DestinationSyncService svc = service(null);
        ok(svc.runOnce(SyncHarness.NAME));
        CalDavClient.Resource r = get(hrefOf(series));
        assertThat(r.body()).contains("SUMMARY:Weekly (moved)");
        put(hrefOf(series), r.body().replace("SUMMARY:Weekly (moved)", "SUMMARY:Weekly (moved again)"));
        assertThat(ok(svc.runOnce(SyncHarness.NAME)).writeCalls()).isZero();
        assertThat(ingest.changes()).singleElement().satisfies(ch -> {
            assertThat(ch.identity()).isEqualTo(ids.get(1));
            assertThat(ch.event().recurrenceId()).isEqualTo(rid);
            assertThat(ch.event().uid()).isEqualTo("series-1");
            assertThat(ch.event().title()).isEqualTo("Weekly (moved again)");
            assertThat(ch.event().start()).isEqualTo(moved);
        });
        assertThat(ok(svc.runOnce(SyncHarness.NAME)).writeCalls()).isZero();
        assertThat(ingest.calls).hasSize(1);
    }

    @Test
    void aDeleteInRadicaleIsADeleteOriginChange() throws Exception {
        CalendarEvent e = event("del-1", "Retro", "2026-12-19T09:00", "Europe/Berlin", 60);
        CalendarEvent other = event("del-2", "Keep", "2026-12-19T11:00", "Europe/Berlin", 60);
        String id = h.put(e, other).get(0);
        DestinationSyncService svc = service(null);
        ok(svc.runOnce(SyncHarness.NAME));
        delete(hrefOf(e));
        SyncResult run = ok(svc.runOnce(SyncHarness.NAME));
        assertThat(run.writeCalls()).isZero();
        assertThat(ingest.calls).singleElement().satisfies(c -> assertThat(c.changes()).singleElement()
                .satisfies(ch -> {
                    assertThat(ch.identity()).isEqualTo(id);
                    assertThat(ch.delete()).isTrue();
                    assertThat(ch.baseHash()).isEqualTo(ContentHash.of(e));
                }));
        assertThat(h.store.findConsolidated(id).orElseThrow().deleted()).isTrue();
        assertThat(get(hrefOf(e))).isNull();
        assertThat(ok(svc.runOnce(SyncHarness.NAME)).writeCalls()).isZero();
        assertThat(ingest.calls).hasSize(1);
    }

    @Test
    void anEventCreatedInRadicaleWithACreateTargetIsCreatedThereAndTakenOverWithoutADuplicate() throws Exception {
        h.put(event("base-1", "Existing", "2026-12-20T09:00", "Europe/Berlin", 30));
        DestinationSyncService svc = service("agent1/work");
        ok(svc.runOnce(SyncHarness.NAME));
        String href = collection + "client-made.ics";
        put(href, "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//Some client//EN\r\nBEGIN:VEVENT\r\n"
                + "UID:client-made-1\r\nDTSTAMP:20261122T090000Z\r\nLAST-MODIFIED:20261122T090000Z\r\n"
                + "DTSTART:20261221T100000Z\r\nDTEND:20261221T110000Z\r\nSUMMARY:Lunch\r\nEND:VEVENT\r\n"
                + "END:VCALENDAR\r\n");
        SyncResult run = ok(svc.runOnce(SyncHarness.NAME));
        assertThat(ingest.changes()).singleElement().satisfies(ch -> {
            assertThat(ch.createTarget()).isEqualTo("agent1/work");
            assertThat(ch.baseHash()).isNull();
            assertThat(ch.event().uid()).isEqualTo("client-made-1");
            assertThat(ch.event().title()).isEqualTo("Lunch");
            assertThat(ch.modified()).isEqualTo(Instant.parse("2026-11-22T09:00:00Z"));
        });
        String createdId = ingest.changes().get(0).identity();
        // taken over in place: that resource now carries our tags, no second resource
        assertThat(run.inserted()).isZero();
        assertThat(run.updated()).isEqualTo(1);
        assertThat(resources()).hasSize(2).contains(href);
        assertThat(get(href).body()).contains("X-CHRONOROUTE-KEY:" + createdId).contains("SUMMARY:Lunch");
        assertThat(ok(svc.runOnce(SyncHarness.NAME)).writeCalls()).isZero();
        assertThat(ingest.calls).hasSize(1);
    }

    @Test
    void anEventCreatedInRadicaleWithoutCreateTargetStaysForeignAndUntouched() throws Exception {
        DestinationSyncService svc = service(null);
        ok(svc.runOnce(SyncHarness.NAME));
        String href = collection + "client-only.ics";
        String body = "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//Some client//EN\r\nBEGIN:VEVENT\r\n"
                + "UID:client-only-1\r\nDTSTAMP:20261122T090000Z\r\nDTSTART:20261221T100000Z\r\n"
                + "DTEND:20261221T110000Z\r\nSUMMARY:Private\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n";
        put(href, body);
        assertThat(ok(svc.runOnce(SyncHarness.NAME)).writeCalls()).isZero();
        assertThat(ingest.calls).isEmpty();
        assertThat(get(href).body()).contains("SUMMARY:Private").doesNotContain("X-CHRONOROUTE");
    }

    @Test
    void renameChangesTheCollectionsDisplayName() throws Exception {
        h.put(event("ren-1", "Any", "2026-12-22T09:00", "Europe/Berlin", 30));
        DestinationSyncService svc = service(null);
        ok(svc.runOnce(SyncHarness.NAME));
        long writes = svc.status(SyncHarness.NAME).totalWrites();
        svc.renameCalendar(SyncHarness.NAME, "Team & Family <2026>");
        assertThat(raw().displayName()).isEqualTo("Team & Family <2026>");
        assertThat(svc.status(SyncHarness.NAME).totalWrites()).isEqualTo(writes + 1);
        assertThat(ok(svc.runOnce(SyncHarness.NAME)).writeCalls()).isZero();
    }

    // ------------------------------------------------------------------------------------------------ helpers

    private String hrefOf(CalendarEvent e) {
        return collection + SyncKey.identityOf(CalendarEvent.builder().uid(e.uid()).build()) + ".ics";
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

    @SuppressWarnings("unused")
    private static List<OriginChange> none() {
        return List.of();
    }
}
