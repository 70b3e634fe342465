package io.chronoroute.master.destination.graph;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.chronoroute.master.destination.BatchingWriter;
import io.chronoroute.master.destination.DestinationConfig;
import io.chronoroute.master.destination.DestinationContext;
import io.chronoroute.master.destination.DestinationEvent;
import io.chronoroute.master.destination.DestinationSyncService;
import io.chronoroute.master.destination.RecordingIngest;
import io.chronoroute.master.destination.SecretBox;
import io.chronoroute.master.destination.SyncResult;
import io.chronoroute.master.destination.WriteResult;
import io.chronoroute.master.destination.caldav.SyncHarness;
import io.chronoroute.processors.model.Attendee;
import io.chronoroute.processors.model.CalendarEvent;
import io.chronoroute.processors.model.EventTime;
import io.chronoroute.processors.model.Person;
import io.chronoroute.processors.sync.ContentHash;
import io.chronoroute.processors.sync.SyncKey;
import io.chronoroute.testsupport.RequestJournal;
import io.chronoroute.testsupport.graph.FakeGraph;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.time.Instant;
import java.time.LocalDate;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The Graph destination through the production {@link DestinationSyncService} against the stateful {@link FakeGraph}
 * over real HTTP (app-only token, {@code /users/{upn}}), a real embedded store and virtual time: initial sync,
 * nothing written when nothing changed, only the changed event written, deletion guard, a lost store rebuilt from
 * our tags without duplicates, a retried create without duplicate, 429 with Retry-After honoured, batches of at
 * most 20, a person's edit in Outlook back through the ingest, take-over of an event created in Outlook.
 */
class GraphDestinationSyncTest {

    private static final String UPN = "calendar@contoso.example";
    private static final ObjectMapper JSON = new ObjectMapper();

    private SyncHarness h;
    private FakeGraph fake;
    private GraphDestinationWriterFactory factory;
    private DestinationConfig config;
    private DestinationSyncService svc;

    @BeforeEach
    void setUp() throws Exception {
        h = new SyncHarness();
        fake = FakeGraph.builder().clock(h.clock).build().start();
        fake.addMailbox(UPN);
        GraphDestinationSettings s = new GraphDestinationSettings(fake.tenant(), fake.clientId(),
                fake.clientSecret(), null, UPN, null, false, fake.graphUrl(), fake.authorityUrl(), null);
        factory = new GraphDestinationWriterFactory(name -> s, SecretBox.fromKeyMaterial("test-key"));
        config = SyncHarness.config("graph").withGuard(0.2, 3, 2).withDirection("one-way", null);
    }

    @AfterEach
    void tearDown() {
        if (svc != null) {
            svc.close();
        }
        fake.close();
        h.close();
    }

    private DestinationSyncService service() {
        if (svc == null) {
            svc = h.service(factory, config);
        }
        return svc;
    }

    private static SyncResult ok(SyncResult r) {
        assertThat(r.outcome()).as(r.message()).isEqualTo(SyncResult.Outcome.OK);
        return r;
    }

    private List<ObjectNode> stored() {
        return fake.storedEvents(UPN, fake.defaultCalendarId(UPN));
    }

    private List<ObjectNode> ours() {
        return stored().stream().filter(e -> e.path("_props").has(GraphDestinationWriter.TAG_PROPERTY)
                && !e.path("_props").path(GraphDestinationWriter.TAG_PROPERTY).asText().isEmpty()).toList();
    }

    private long writes(int fromJournal) {
        return journal(fromJournal).stream().filter(e -> Set.of("events.create", "events.update", "events.delete")
                .contains(e.operation())).count();
    }

    private List<RequestJournal.Entry> journal(int from) {
        List<RequestJournal.Entry> all = fake.journal().entries();
        return all.subList(from, all.size());
    }

    private static CalendarEvent event(int i) {
        return SyncHarness.event("ev-" + i + "@example.com", "Event " + i, "2026-12-0" + (1 + i % 9) + "T09:00",
                "Europe/Berlin", 30);
    }

    private List<CalendarEvent> events(int n) {
        List<CalendarEvent> out = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            out.add(event(i));
        }
        return out;
    }

    @Test
    void initialSyncThenNothingThenOnlyTheChangedEventInBatchesOfAtMostTwenty() throws Exception {
        List<CalendarEvent> all = new ArrayList<>(events(45));
        CalendarEvent people = SyncHarness.event("people@example.com", "Review", "2026-12-10T14:00", "Europe/Berlin",
                60).toBuilder().organizer(new Person("boss@corp.example", "The Boss")).attendees(List.of(
                new Attendee("alice@corp.example", "Alice", "REQ-PARTICIPANT", "ACCEPTED"))).build();
        CalendarEvent allDay = CalendarEvent.builder().uid("day@example.com").title("Holiday")
                .start(EventTime.ofDate(LocalDate.of(2026, 12, 24))).end(EventTime.ofDate(LocalDate.of(2026, 12, 25)))
                .origin(SyncHarness.origin("work")).build();
        CalendarEvent series = SyncHarness.event("series@example.com", "Weekly", "2026-12-07T08:00", "Europe/Berlin",
                30).toBuilder().rrules(List.of("FREQ=WEEKLY;COUNT=5"))
                .exdates(List.of(SyncHarness.zoned("2026-12-14T08:00", "Europe/Berlin"))).build();
        CalendarEvent moved = series.toBuilder().rrules(List.of()).exdates(List.of()).title("Weekly (moved)")
                .recurrenceId(SyncHarness.zoned("2026-12-21T08:00", "Europe/Berlin"))
                .start(SyncHarness.zoned("2026-12-21T10:00", "Europe/Berlin"))
                .end(SyncHarness.zoned("2026-12-21T10:30", "Europe/Berlin")).build();
        all.addAll(List.of(people, allDay, series, moved));
        h.put(all.toArray(CalendarEvent[]::new));

        SyncResult first = ok(service().runOnce(SyncHarness.NAME));
        assertThat(first.inserted()).isEqualTo(48);
        assertThat(first.updated()).isEqualTo(1); // the override: its occurrence PATCHed
        assertThat(first.parked()).isZero();
        assertThat(ours()).hasSize(49); // 48 events + the exception the override made, each with our tag
        assertThat(stored()).noneMatch(e -> e.path("attendees").size() > 0);
        assertThat(fake.messagesSent()).isEmpty();
        ObjectNode review = stored().stream().filter(e -> e.path("subject").asText().equals("Review")).findFirst()
                .orElseThrow();
        assertThat(review.path("body").path("content").asText()).contains("Alice").contains("alice@corp.example");
        // every batch holds at most 20 requests
        List<RequestJournal.Entry> batches = fake.journal().matching(e -> "batch".equals(e.operation()));
        assertThat(batches).isNotEmpty();
        for (RequestJournal.Entry b : batches) {
            assertThat(JSON.readTree(b.body()).path("requests").size()).isBetween(1, 20);
        }
        // the EXDATE is a cancelled occurrence, the override an exception at 10:00
        String masterId = stored().stream().filter(e -> e.path("subject").asText().equals("Weekly")
                && e.path("type").asText().equals("seriesMaster")).findFirst().orElseThrow().path("id").asText();
        List<ObjectNode> instances = fake.instances(UPN, masterId, Instant.parse("2026-12-01T00:00:00Z"),
                Instant.parse("2027-01-31T00:00:00Z"));
        assertThat(instances).hasSize(4);
        assertThat(instances).anySatisfy(i -> {
            assertThat(i.path("type").asText()).isEqualTo("exception");
            assertThat(i.path("subject").asText()).isEqualTo("Weekly (moved)");
        });

        int mark = fake.journal().size();
        SyncResult idle = ok(service().runOnce(SyncHarness.NAME));
        assertThat(idle.writeCalls()).isZero();
        assertThat(writes(mark)).isZero();

        h.put(event(7).toBuilder().title("Event 7 (edited)").build());
        mark = fake.journal().size();
        SyncResult one = ok(service().runOnce(SyncHarness.NAME));
        assertThat(one.updated()).isEqualTo(1);
        assertThat(one.inserted()).isZero();
        assertThat(writes(mark)).isEqualTo(1);
        assertThat(stored()).filteredOn(e -> e.path("subject").asText().equals("Event 7 (edited)")).hasSize(1);
    }

    @Test
    void deletesGoThroughTheGuard() {
        List<CalendarEvent> all = events(10);
        h.put(all.toArray(CalendarEvent[]::new));
        ok(service().runOnce(SyncHarness.NAME));

        h.delete(all.get(0));
        assertThat(ok(service().runOnce(SyncHarness.NAME)).deleted()).isEqualTo(1);
        assertThat(ours()).hasSize(9);

        h.delete(all.get(1), all.get(2), all.get(3), all.get(4));
        SyncResult held = ok(service().runOnce(SyncHarness.NAME));
        assertThat(held.deleted()).isZero();
        assertThat(held.held()).isEqualTo(4);
        assertThat(ours()).hasSize(9);
    }

    @Test
    void aLostStoreIsRebuiltFromOurTagsWithoutDuplicatesOrWrites() throws Exception {
        List<CalendarEvent> all = events(12);
        h.put(all.toArray(CalendarEvent[]::new));
        ok(service().runOnce(SyncHarness.NAME));
        assertThat(ours()).hasSize(12);
        svc.close();
        svc = null;

        h.wipeStore();
        h.put(all.toArray(CalendarEvent[]::new));
        int mark = fake.journal().size();
        SyncResult r = ok(service().runOnce(SyncHarness.NAME));
        assertThat(r.fullReconcile()).isTrue();
        assertThat(r.inserted()).isZero();
        assertThat(writes(mark)).isZero();
        assertThat(ours()).hasSize(12);
    }

    @Test
    void aRetriedCreateFindsTheEventCreatedBeforeInsteadOfADuplicate() throws Exception {
        try (BatchingWriter w = (BatchingWriter) factory.create(new DestinationContext(SyncHarness.NAME, config,
                h.store, h.clock, write -> { }))) {
            CalendarEvent e = event(1);
            String identity = h.put(e).get(0);
            DestinationEvent de = new DestinationEvent(identity, e, ContentHash.of(e), "agent1/work", null, null);
            WriteResult first = w.upsert(de, null);
            // the answer was lost: the mapping never heard of it; the single path looks up our key first
            WriteResult again = w.upsert(de, null);
            assertThat(again.remoteId()).isEqualTo(first.remoteId());
            assertThat(again.created()).isFalse();
            // the batch path: the same transactionId makes Graph answer with the event created first
            CalendarEvent b = event(2);
            String bid = h.put(b).get(0);
            DestinationEvent bde = new DestinationEvent(bid, b, ContentHash.of(b), "agent1/work", null, null);
            var one = w.writeBatch(List.of(BatchingWriter.BatchItem.upsert(bde, null)));
            var two = w.writeBatch(List.of(BatchingWriter.BatchItem.upsert(bde, null)));
            assertThat(two.get(0).result().remoteId()).isEqualTo(one.get(0).result().remoteId());
            assertThat(ours()).hasSize(2);
        }
    }

    @Test
    void throttlingIsHonouredWithRetryAfterAndNothingIsLost() {
        h.put(events(30).toArray(CalendarEvent[]::new));
        fake.requestsPerWindow(25, Duration.ofMinutes(1), 60);
        Instant t0 = h.clock.instant();
        SyncResult r = ok(service().runOnce(SyncHarness.NAME));
        assertThat(r.inserted()).isEqualTo(30);
        assertThat(r.retries()).isPositive();
        assertThat(fake.journal().count(e -> e.status() == 429)).isPositive();
        assertThat(h.sleeps).anySatisfy(d -> assertThat(d).isGreaterThanOrEqualTo(Duration.ofSeconds(60)));
        assertThat(Duration.between(t0, h.clock.instant())).isGreaterThanOrEqualTo(Duration.ofSeconds(60));
        assertThat(ours()).hasSize(30);
    }

    @Test
    void anEditMadeInOutlookComesBackThroughTheIngest() throws Exception {
        RecordingIngest ingest = new RecordingIngest(h);
        config = config.withDirection("two-way", null);
        svc = h.service(factory, config, ingest);
        CalendarEvent e = event(3).toBuilder().description("Agenda").location("Room 1").build();
        String identity = h.put(e).get(0);
        ok(svc.runOnce(SyncHarness.NAME));
        String id = ours().get(0).path("id").asText();

        h.clock.advance(Duration.ofMinutes(3));
        fake.userEdit(UPN, id, (ObjectNode) JSON.readTree("{\"subject\":\"Moved to Friday\"}"));
        ok(svc.runOnce(SyncHarness.NAME));

        assertThat(ingest.changes()).singleElement().satisfies(ch -> {
            assertThat(ch.identity()).isEqualTo(identity);
            assertThat(ch.delete()).isFalse();
            assertThat(ch.event().title()).isEqualTo("Moved to Friday");
            assertThat(ch.event().description()).isEqualTo("Agenda");
            assertThat(ch.event().location()).isEqualTo("Room 1");
            assertThat(ch.event().start()).isEqualTo(e.start());
        });
        // the edit is now the consolidated event: nothing more to write, nothing handed over again
        assertThat(ok(svc.runOnce(SyncHarness.NAME)).writeCalls()).isZero();
        assertThat(ok(svc.runOnce(SyncHarness.NAME)).writeCalls()).isZero();
        assertThat(ingest.calls).hasSize(1);
    }

    @Test
    void anEventCreatedInOutlookWithACreateTargetIsTakenOverInPlace() throws Exception {
        RecordingIngest ingest = new RecordingIngest(h);
        config = config.withDirection("two-way", "agent1/work");
        svc = h.service(factory, config, ingest);
        h.put(event(1));
        ok(svc.runOnce(SyncHarness.NAME));

        h.clock.advance(Duration.ofMinutes(4));
        ObjectNode made = (ObjectNode) JSON.readTree("{\"subject\":\"Lunch\",\"location\":{\"displayName\":"
                + "\"Canteen\"},\"start\":{\"dateTime\":\"2026-12-08T12:00:00\",\"timeZone\":\"Europe/Berlin\"},"
                + "\"end\":{\"dateTime\":\"2026-12-08T13:00:00\",\"timeZone\":\"Europe/Berlin\"}}");
        JsonNode created = fake.userCreate(UPN, fake.defaultCalendarId(UPN), made);
        String id = created.path("id").asText();
        String uid = created.path("iCalUId").asText();

        SyncResult run = ok(svc.runOnce(SyncHarness.NAME));
        assertThat(ingest.changes()).singleElement().satisfies(ch -> {
            assertThat(ch.createTarget()).isEqualTo("agent1/work");
            assertThat(ch.event().uid()).isEqualTo(uid);
            assertThat(ch.event().title()).isEqualTo("Lunch");
            assertThat(ch.event().location()).isEqualTo("Canteen");
        });
        String identity = ingest.changes().get(0).identity();
        assertThat(identity).isEqualTo(SyncKey.identityOf(CalendarEvent.builder().uid(uid).build()));
        assertThat(run.inserted()).isZero();
        assertThat(run.updated()).isEqualTo(1);
        assertThat(stored()).hasSize(2);
        ObjectNode taken = stored().stream().filter(e -> id.equals(e.path("id").asText())).findFirst().orElseThrow();
        assertThat(GraphDestinationWriter.tagOf(propsAsArray(taken))).containsEntry("key", identity);
        assertThat(journal(0)).filteredOn(e -> "events.delete".equals(e.operation())).isEmpty();

        assertThat(ok(svc.runOnce(SyncHarness.NAME)).writeCalls()).isZero();
        assertThat(ingest.calls).hasSize(1);
    }

    @Test
    void delegatedAccessUsesTheRefreshTokenStoredEncryptedAndACalendarCreatedByName() throws Exception {
        GraphDestinationSettings delegated = new GraphDestinationSettings(fake.tenant(), fake.clientId(), null, null,
                null, "Consolidated", true, fake.graphUrl(), fake.authorityUrl(), null);
        factory = new GraphDestinationWriterFactory(name -> delegated, SecretBox.fromKeyMaterial("test-key"));
        String refresh = fake.issueRefreshToken(UPN);
        factory.storeRefreshToken(SyncHarness.NAME, h.store, refresh);
        assertThat(h.store.getSetting(GraphDestinationWriterFactory.refreshTokenKey(SyncHarness.NAME)).orElseThrow())
                .doesNotContain(refresh);

        h.put(events(3).toArray(CalendarEvent[]::new));
        assertThat(ok(service().runOnce(SyncHarness.NAME)).inserted()).isEqualTo(3);
        String remembered = h.store.getSetting(io.chronoroute.master.destination.DestinationMapping.settingPrefix(
                SyncHarness.NAME) + "graph.calendar").orElseThrow();
        assertThat(remembered).startsWith("Consolidated\t");
        String calendarId = remembered.substring("Consolidated\t".length());
        assertThat(fake.calendar(UPN, calendarId).path("name").asText()).isEqualTo("Consolidated");
        assertThat(fake.storedEvents(UPN, calendarId)).hasSize(3);
        assertThat(stored()).isEmpty(); // the default calendar is untouched

        try (var w = factory.create(new DestinationContext(SyncHarness.NAME, config, h.store, h.clock, write -> { }))) {
            w.renameCalendar("Team (consolidated)");
        }
        assertThat(fake.calendar(UPN, calendarId).path("name").asText()).isEqualTo("Team (consolidated)");
    }

    /** The fake's stored {@code _props} as Graph's expanded {@code singleValueExtendedProperties}. */
    private static JsonNode propsAsArray(ObjectNode stored) {
        ObjectNode out = JSON.createObjectNode();
        var arr = out.putArray("singleValueExtendedProperties");
        stored.path("_props").fields().forEachRemaining(f -> arr.addObject().put("id", f.getKey())
                .put("value", f.getValue().asText()));
        return out;
    }
}
