package io.chronoroute.master.destination.google;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.google.api.services.calendar.model.Event;
import io.chronoroute.master.cluster.Leadership;
import io.chronoroute.master.destination.DestinationContext;
import io.chronoroute.master.destination.DestinationEvent;
import io.chronoroute.master.destination.DestinationSyncService;
import io.chronoroute.master.destination.DestinationWriter;
import io.chronoroute.master.destination.RecordingIngest;
import io.chronoroute.master.destination.RemoteChanges;
import io.chronoroute.master.destination.RemoteEvent;
import io.chronoroute.master.destination.SyncResult;
import io.chronoroute.master.destination.WriteResult;
import io.chronoroute.master.destination.caldav.SyncHarness;
import io.chronoroute.processors.model.Attendee;
import io.chronoroute.processors.model.CalendarEvent;
import io.chronoroute.processors.model.EventTime;
import io.chronoroute.processors.model.Person;
import io.chronoroute.processors.sync.ContentHash;
import io.chronoroute.processors.sync.SyncKey;
import io.chronoroute.processors.wire.WireJson;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.time.Instant;
import java.time.LocalDate;
import java.time.LocalDateTime;
import java.time.ZoneId;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Two-way sync, Google half (issue #9): edits made by a person in Google come back through {@code readChanges} as
 * the consolidated event with Google's values of the fields we write, with Google's {@code updated}; a rename
 * patches the calendar's summary. Writer against the stateful fake over real HTTP.
 */
class GoogleTwoWayTest {

    private static final ObjectMapper JSON = new ObjectMapper();

    private GoogleKit kit;
    private DestinationWriter writer;

    @BeforeEach
    void setUp() throws Exception {
        kit = new GoogleKit();
        writer = kit.factory.create(new DestinationContext(GoogleKit.NAME, kit.config, kit.store, kit.clock,
                write -> { }));
    }

    @AfterEach
    void tearDown() throws Exception {
        writer.close();
        kit.close();
    }

    /** Puts the event into the store and writes it to Google the way the sync does; returns the Google id. */
    private String written(CalendarEvent e) throws Exception {
        String identity = kit.put(e);
        WriteResult r = writer.upsert(new DestinationEvent(identity, e, ContentHash.of(e), "agent-1/outlook", null,
                null), null);
        return r.remoteId();
    }

    /** The consolidated event as the store holds it (the wire form keeps no agent id in the origin). */
    private static CalendarEvent stored(CalendarEvent e) {
        return WireJson.fromJson(WireJson.toJson(e));
    }

    private String primary() {
        return kit.fake.primaryCalendarId();
    }

    private List<RemoteEvent> ours(RemoteChanges changes) {
        return changes.changed().stream().filter(RemoteEvent::ours).toList();
    }

    @Test
    void aTitleEditInGoogleComesBackAsTheConsolidatedEventWithTheNewTitleAndGooglesTime() throws Exception {
        CalendarEvent e = GoogleKit.event("edit@example.com", "outlook", LocalDateTime.of(2025, 10, 7, 14, 0), 30)
                .description("Agenda").location("Room 1").build();
        String id = written(e);
        String cursor = writer.readChanges(null).nextCursor();

        kit.clock.advance(Duration.ofMinutes(5));
        Instant editedAt = kit.clock.instant();
        kit.fake.userEditSummary(primary(), id, "Moved to Friday");

        List<RemoteEvent> changed = ours(writer.readChanges(cursor));
        assertThat(changed).hasSize(1);
        RemoteEvent re = changed.get(0);
        assertThat(re.identity()).isEqualTo(SyncKey.identityOf(e));
        assertThat(re.cancelled()).isFalse();
        assertThat(re.modified()).isEqualTo(editedAt);
        assertThat(re.version()).isEqualTo(kit.byId(id).path("etag").asText());
        assertThat(re.event()).isEqualTo(stored(e.toBuilder().title("Moved to Friday").build()));
    }

    @Test
    void editsOfFieldsWeNeverWriteLeaveTheMappedEventEqualToTheConsolidatedOne() throws Exception {
        CalendarEvent people = GoogleKit.event("people@example.com", "outlook", LocalDateTime.of(2025, 10, 8, 9, 0),
                        45)
                .description("Agenda").organizer(new Person("boss@corp.example", "The Boss"))
                .attendees(List.of(new Attendee("alice@corp.example", "Alice", "REQ-PARTICIPANT", "ACCEPTED")))
                .classification("CONFIDENTIAL").busyStatus("FREE").transparency(null).build();
        String id = written(people);
        String cursor = writer.readChanges(null).nextCursor();

        kit.clock.advance(Duration.ofMinutes(1));
        ObjectNode patch = (ObjectNode) JSON.readTree("{\"colorId\":\"5\",\"reminders\":{\"useDefault\":false,"
                + "\"overrides\":[{\"method\":\"popup\",\"minutes\":10}]},"
                + "\"attendees\":[{\"email\":\"carol@corp.example\"}]}");
        kit.fake.userEdit(primary(), id, patch);

        List<RemoteEvent> changed = ours(writer.readChanges(cursor));
        assertThat(changed).hasSize(1);
        // the object changed (new etag: the sync sees it), its content in our fields did not
        assertThat(changed.get(0).version()).isEqualTo(kit.byId(id).path("etag").asText());
        assertThat(changed.get(0).event()).isEqualTo(stored(people));
        assertThat(ContentHash.of(changed.get(0).event())).isEqualTo(ContentHash.of(people));
    }

    @Test
    void floatingAllDayAndSeriesFormsSurviveTheRoundTripAndAMovedStartKeepsTheZone() throws Exception {
        CalendarEvent floating = CalendarEvent.builder().uid("float@example.com").title("Floating")
                .start(EventTime.ofFloating(LocalDateTime.of(2025, 10, 9, 9, 0)))
                .end(EventTime.ofFloating(LocalDateTime.of(2025, 10, 9, 10, 0))).status("TENTATIVE").build();
        CalendarEvent allDay = CalendarEvent.builder().uid("day@example.com").title("Holiday")
                .start(EventTime.ofDate(LocalDate.of(2025, 10, 10))).build(); // no end: we write start + 1 day
        CalendarEvent series = GoogleKit.event("series@example.com", "outlook", LocalDateTime.of(2025, 10, 6, 8, 0),
                        30)
                .rrules(List.of("FREQ=WEEKLY;BYDAY=MO")).exdates(List.of(EventTime.ofZoned(
                        LocalDateTime.of(2025, 10, 13, 8, 0), GoogleKit.BERLIN))).classification("PRIVATE").build();
        String fid = written(floating);
        String did = written(allDay);
        String sid = written(series);
        String cursor = writer.readChanges(null).nextCursor();

        kit.clock.advance(Duration.ofMinutes(1));
        kit.fake.userEdit(primary(), fid, JSON.createObjectNode().put("colorId", "2"));
        kit.fake.userEdit(primary(), did, JSON.createObjectNode().put("colorId", "3"));
        // moved by one hour in Google: same zone, new instant
        ObjectNode moved = JSON.createObjectNode();
        moved.putObject("start").put("dateTime", "2025-10-06T09:00:00+02:00").put("timeZone", "Europe/Berlin");
        moved.putObject("end").put("dateTime", "2025-10-06T09:30:00+02:00").put("timeZone", "Europe/Berlin");
        kit.fake.userEdit(primary(), sid, moved);

        List<RemoteEvent> changed = ours(writer.readChanges(cursor));
        assertThat(changed).hasSize(3);
        CalendarEvent f = byRemote(changed, fid).event();
        assertThat(f).isEqualTo(stored(floating));
        assertThat(f.start().isFloating()).isTrue();
        assertThat(byRemote(changed, did).event()).isEqualTo(stored(allDay));
        CalendarEvent s = byRemote(changed, sid).event();
        ZoneId berlin = GoogleKit.BERLIN;
        assertThat(s).isEqualTo(stored(series.toBuilder()
                .start(EventTime.ofZoned(LocalDateTime.of(2025, 10, 6, 9, 0), berlin))
                .end(EventTime.ofZoned(LocalDateTime.of(2025, 10, 6, 9, 30), berlin)).build()));
        assertThat(s.exdates()).isEqualTo(series.exdates());
    }

    @Test
    void anOccurrenceEditedOrDeletedInGoogleIsReportedAsTheOverrideItNowIs() throws Exception {
        CalendarEvent series = GoogleKit.event("weekly@example.com", "outlook", LocalDateTime.of(2025, 10, 6, 8, 0),
                30).rrules(List.of("FREQ=WEEKLY;COUNT=5;BYDAY=MO")).build();
        String masterId = written(series);
        String cursor = writer.readChanges(null).nextCursor();
        EventTime edited = EventTime.ofZoned(LocalDateTime.of(2025, 10, 20, 8, 0), GoogleKit.BERLIN);
        EventTime deleted = EventTime.ofZoned(LocalDateTime.of(2025, 10, 27, 8, 0), GoogleKit.BERLIN);
        String editedId = GoogleIds.instanceId(masterId, edited, ZoneId.of("UTC"));
        String deletedId = GoogleIds.instanceId(masterId, deleted, ZoneId.of("UTC"));

        kit.clock.advance(Duration.ofMinutes(3));
        kit.fake.userEditSummary(primary(), editedId, "Only this one");
        kit.fake.userDelete(primary(), deletedId);

        List<RemoteEvent> changed = ours(writer.readChanges(cursor));
        assertThat(changed).hasSize(2);
        String seriesIdentity = SyncKey.identityOf(series);
        RemoteEvent one = byRemote(changed, editedId);
        CalendarEvent override = stored(series.toBuilder().recurrenceId(edited).rrules(List.of()).title("Only this one")
                .start(edited).end(EventTime.ofZoned(LocalDateTime.of(2025, 10, 20, 8, 30), GoogleKit.BERLIN))
                .build());
        assertThat(one.identity()).isEqualTo(SyncKey.identityOf(override)).isNotEqualTo(seriesIdentity);
        assertThat(one.seriesIdentity()).isEqualTo(seriesIdentity);
        assertThat(one.recurrenceId()).isEqualTo(edited.canonical());
        assertThat(one.contentHash()).isNull();
        assertThat(one.event()).isEqualTo(override);
        RemoteEvent gone = byRemote(changed, deletedId);
        assertThat(gone.cancelled()).isTrue();
        assertThat(gone.identity()).isEqualTo(SyncKey.identityOf(series.toBuilder().recurrenceId(deleted).build()));
        assertThat(gone.seriesIdentity()).isEqualTo(seriesIdentity);
        assertThat(gone.event()).isNull();
    }

    @Test
    void aDeleteInGoogleIsReportedCancelled() throws Exception {
        CalendarEvent e = GoogleKit.event("gone@example.com", "outlook", LocalDateTime.of(2025, 10, 7, 9, 0), 30)
                .build();
        String id = written(e);
        String cursor = writer.readChanges(null).nextCursor();

        kit.clock.advance(Duration.ofMinutes(2));
        kit.fake.userDelete(primary(), id);

        List<RemoteEvent> changed = ours(writer.readChanges(cursor));
        assertThat(changed).hasSize(1);
        assertThat(changed.get(0).identity()).isEqualTo(SyncKey.identityOf(e));
        assertThat(changed.get(0).cancelled()).isTrue();
        assertThat(changed.get(0).event()).isNull();
        assertThat(changed.get(0).modified()).isEqualTo(kit.clock.instant());
        assertThat(kit.fake.writes()).extracting(w -> w.operation()).doesNotContain("events.delete");
    }

    @Test
    void renameCalendarPatchesTheSummary() throws Exception {
        writer.renameCalendar("Consolidated (team)");
        assertThat(kit.fake.calendar(primary()).path("summary").asText()).isEqualTo("Consolidated (team)");
        assertThat(kit.fake.count("calendars.patch")).isEqualTo(1);
    }

    @Test
    void withoutTheConsolidatedEventOnlyTheWrittenFieldsAreMappedBack() throws Exception {
        CalendarEvent e = GoogleKit.event("lost@example.com", "outlook", LocalDateTime.of(2025, 10, 7, 14, 0), 30)
                .description("Agenda").organizer(new Person("boss@corp.example", "The Boss"))
                .classification("PRIVATE").build();
        String id = written(e);
        ObjectNode stored = kit.byId(id);
        Event g = com.google.api.client.json.gson.GsonFactory.getDefaultInstance()
                .fromString(stored.toString(), Event.class);

        CalendarEvent mapped = GoogleEventMapper.fromGoogle(g, null, ZoneId.of("UTC"), true);
        assertThat(mapped.uid()).isNull();
        assertThat(mapped.organizer()).isNull();
        assertThat(mapped.title()).isEqualTo(e.title());
        assertThat(mapped.description()).isEqualTo("Agenda");
        assertThat(mapped.start()).isEqualTo(e.start());
        assertThat(mapped.end()).isEqualTo(e.end());
        assertThat(mapped.status()).isEqualTo("CONFIRMED");
        assertThat(mapped.transparency()).isEqualTo("OPAQUE");
        assertThat(mapped.classification()).isEqualTo("PRIVATE");
        assertThat(mapped.recurrenceId()).isNull();
    }

    @Test
    void anEventCreatedInGoogleWithACreateTargetIsCreatedThereAndTakenOverWithoutADuplicate() throws Exception {
        RecordingIngest ingest = ingestOnKitStore();
        kit.put(GoogleKit.event("base@example.com", "outlook", LocalDateTime.of(2025, 10, 7, 9, 0), 30).build());
        DestinationSyncService svc = twoWay("agent-1/work", ingest);
        assertThat(ok(svc.runOnce(GoogleKit.NAME)).inserted()).isEqualTo(1);

        kit.clock.advance(Duration.ofMinutes(4));
        Instant createdAt = kit.clock.instant();
        ObjectNode made = userEvent("lunch-1@phone.example", "Lunch");
        made.putObject("extendedProperties").putObject("private").put("phoneApp", "kept");
        String id = kit.fake.userCreate(primary(), made).path("id").asText();

        SyncResult run = ok(svc.runOnce(GoogleKit.NAME));
        assertThat(ingest.changes()).singleElement().satisfies(ch -> {
            assertThat(ch.createTarget()).isEqualTo("agent-1/work");
            assertThat(ch.baseHash()).isNull();
            assertThat(ch.delete()).isFalse();
            assertThat(ch.modified()).isEqualTo(createdAt);
            assertThat(ch.event().uid()).isEqualTo("lunch-1@phone.example");
            assertThat(ch.event().title()).isEqualTo("Lunch");
            assertThat(ch.event().location()).isEqualTo("Canteen");
            assertThat(ch.event().start()).isEqualTo(EventTime.ofZoned(LocalDateTime.of(2025, 10, 8, 12, 0),
                    GoogleKit.BERLIN));
            assertThat(ch.event().end()).isEqualTo(EventTime.ofZoned(LocalDateTime.of(2025, 10, 8, 13, 0),
                    GoogleKit.BERLIN));
        });
        String identity = ingest.changes().get(0).identity();
        assertThat(identity).isEqualTo(SyncKey.identityOf(CalendarEvent.builder().uid("lunch-1@phone.example")
                .build()));
        // taken over in place: that very event now carries our tags, no second event, nothing deleted
        assertThat(run.inserted()).isZero();
        assertThat(run.updated()).isEqualTo(1);
        assertThat(kit.live()).hasSize(2);
        assertThat(kit.live().stream().filter(e -> "lunch-1@phone.example".equals(e.path("iCalUID").asText())))
                .singleElement().satisfies(e -> assertThat(e.path("id").asText()).isEqualTo(id));
        assertThat(kit.withKey(identity)).isEqualTo(1);
        ObjectNode taken = kit.byId(id);
        assertThat(taken.path("extendedProperties").path("private").path(GoogleEventMapper.KEY).asText())
                .isEqualTo(identity);
        assertThat(taken.path("extendedProperties").path("private").path("phoneApp").asText()).isEqualTo("kept");
        assertThat(taken.path("summary").asText()).isEqualTo("Lunch");
        assertThat(kit.fake.writes()).filteredOn(w -> id.equals(w.eventId())).extracting(w -> w.operation())
                .containsExactly("events.update");
        assertThat(kit.fake.writes()).extracting(w -> w.operation()).doesNotContain("events.delete");

        // our own update comes back through the change feed: no edit, no write, no second hand-over
        assertThat(ok(svc.runOnce(GoogleKit.NAME)).writeCalls()).isZero();
        assertThat(ok(svc.runOnce(GoogleKit.NAME)).writeCalls()).isZero();
        assertThat(ingest.calls).hasSize(1);
        assertThat(kit.withKey(identity)).isEqualTo(1);
        svc.close();
    }

    @Test
    void anEventCreatedInGoogleWithoutCreateTargetStaysForeignAndUntouched() throws Exception {
        RecordingIngest ingest = ingestOnKitStore();
        DestinationSyncService svc = twoWay(null, ingest);
        ok(svc.runOnce(GoogleKit.NAME));
        kit.clock.advance(Duration.ofMinutes(1));
        ObjectNode made = kit.fake.userCreate(primary(), userEvent("private-1@phone.example", "Private"));
        String id = made.path("id").asText();

        assertThat(ok(svc.runOnce(GoogleKit.NAME)).writeCalls()).isZero();
        assertThat(ok(svc.runOnce(GoogleKit.NAME)).writeCalls()).isZero();
        assertThat(ingest.calls).isEmpty();
        ObjectNode after = kit.byId(id);
        assertThat(after.path("etag").asText()).isEqualTo(made.path("etag").asText());
        assertThat(after.has("extendedProperties")).isFalse();
        assertThat(kit.fake.writes()).noneMatch(w -> id.equals(w.eventId()));
        svc.close();
    }

    @Test
    void aUserCreatedEventIsReportedForeignWithItsContentAndACancelledOneWithout() throws Exception {
        String cursor = writer.readChanges(null).nextCursor();
        kit.clock.advance(Duration.ofMinutes(2));
        String id = kit.fake.userCreate(primary(), userEvent("mine@phone.example", "Dentist")).path("id").asText();
        String gone = kit.fake.userCreate(primary(), userEvent("gone@phone.example", "Gone")).path("id").asText();
        kit.fake.userDelete(primary(), gone);
        // a quarter of Google's own ids decode like ours; one that does (to an identity we never wrote) stays foreign
        String lookalike = GoogleIds.eventId("0123456789abcdef0123456789abcdef");
        ObjectNode withId = userEvent("lookalike@phone.example", "Lookalike").put("id", lookalike);
        withId.remove("iCalUID"); // Google takes an id or an iCalUID, not both
        kit.fake.userCreate(primary(), withId);
        kit.fake.userDelete(primary(), lookalike);

        List<RemoteEvent> changed = writer.readChanges(cursor).changed();
        RemoteEvent made = byRemote(changed, id);
        assertThat(made.ours()).isFalse();
        assertThat(made.cancelled()).isFalse();
        assertThat(made.modified()).isEqualTo(kit.clock.instant());
        assertThat(made.event().uid()).isEqualTo("mine@phone.example");
        assertThat(made.event().title()).isEqualTo("Dentist");
        assertThat(made.event().recurrenceId()).isNull();
        RemoteEvent cancelled = byRemote(changed, gone);
        assertThat(cancelled.ours()).isFalse();
        assertThat(cancelled.cancelled()).isTrue();
        assertThat(cancelled.event()).isNull();
        RemoteEvent lookalikeGone = byRemote(changed, lookalike);
        assertThat(lookalikeGone.ours()).isFalse();
        assertThat(lookalikeGone.identity()).isNull();
    }

    @Test
    void aUsersSeriesIsReportedAsItsMasterAndTheOccurrenceTheUserChangedAsAnOverride() throws Exception {
        String cursor = writer.readChanges(null).nextCursor();
        kit.clock.advance(Duration.ofMinutes(2));
        ObjectNode series = JSON.createObjectNode().put("iCalUID", "weekly@phone.example").put("summary", "Yoga");
        series.putObject("start").put("dateTime", "2025-10-06T08:00:00+02:00").put("timeZone", "Europe/Berlin");
        series.putObject("end").put("dateTime", "2025-10-06T09:00:00+02:00").put("timeZone", "Europe/Berlin");
        series.putArray("recurrence").add("RRULE:FREQ=WEEKLY;COUNT=3");
        String masterId = kit.fake.userCreate(primary(), series).path("id").asText();
        EventTime changedAt = EventTime.ofZoned(LocalDateTime.of(2025, 10, 13, 8, 0), GoogleKit.BERLIN);
        String instanceId = GoogleIds.instanceId(masterId, changedAt, ZoneId.of("UTC"));
        kit.fake.userEditSummary(primary(), instanceId, "Yoga (outside)");

        List<RemoteEvent> changed = writer.readChanges(cursor).changed();
        assertThat(changed).noneMatch(RemoteEvent::ours);
        CalendarEvent master = byRemote(changed, masterId).event();
        assertThat(master.uid()).isEqualTo("weekly@phone.example");
        assertThat(master.recurrenceId()).isNull();
        assertThat(master.rrules()).singleElement().satisfies(r -> assertThat(r).contains("FREQ=WEEKLY"));
        CalendarEvent exception = byRemote(changed, instanceId).event();
        assertThat(exception.uid()).isEqualTo("weekly@phone.example");
        assertThat(exception.title()).isEqualTo("Yoga (outside)");
        assertThat(exception.recurrenceId()).isNotNull();
        assertThat(exception.recurrenceId().toInstant(ZoneId.of("UTC"))).isEqualTo(changedAt.instant());
        assertThat(exception.rrules()).isEmpty();
    }

    /** A user's event as Google's UI would insert it: own iCalUID, no tags of ours. */
    private static ObjectNode userEvent(String uid, String summary) {
        ObjectNode made = JSON.createObjectNode().put("iCalUID", uid).put("summary", summary)
                .put("location", "Canteen");
        made.putObject("start").put("dateTime", "2025-10-08T12:00:00+02:00").put("timeZone", "Europe/Berlin");
        made.putObject("end").put("dateTime", "2025-10-08T13:00:00+02:00").put("timeZone", "Europe/Berlin");
        return made;
    }

    /** A {@link RecordingIngest} applying to the kit's store (the harness's store takes its place). */
    private RecordingIngest ingestOnKitStore() throws Exception {
        SyncHarness h = new SyncHarness();
        kit.store.close();
        kit.store = h.store; // closed by the kit
        return new RecordingIngest(h);
    }

    private DestinationSyncService twoWay(String createTarget, RecordingIngest ingest) {
        return new DestinationSyncService(kit.store, Map.of(GoogleKit.NAME,
                kit.config.withDirection("two-way", createTarget)), List.of(kit.factory), kit.clock, kit.sleeper,
                () -> 0.0, Leadership.LOCAL, () -> ingest);
    }

    private static SyncResult ok(SyncResult r) {
        assertThat(r.outcome()).as(r.message()).isEqualTo(SyncResult.Outcome.OK);
        return r;
    }

    private static RemoteEvent byRemote(List<RemoteEvent> l, String id) {
        return l.stream().filter(r -> id.equals(r.remoteId())).findFirst().orElseThrow();
    }
}
