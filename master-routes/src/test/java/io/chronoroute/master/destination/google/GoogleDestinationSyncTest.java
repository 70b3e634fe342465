package io.chronoroute.master.destination.google;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.chronoroute.master.destination.DestinationContext;
import io.chronoroute.master.destination.DestinationEvent;
import io.chronoroute.master.destination.DestinationStatus;
import io.chronoroute.master.destination.DestinationWriter;
import io.chronoroute.master.destination.DestinationWriterFactory;
import io.chronoroute.master.destination.MappingEntry;
import io.chronoroute.master.destination.RemoteChanges;
import io.chronoroute.master.destination.RemoteEvent;
import io.chronoroute.master.destination.SyncResult;
import io.chronoroute.master.destination.WriteResult;
import io.chronoroute.master.store.embedded.EmbeddedMasterStore;
import io.chronoroute.processors.model.Attendee;
import io.chronoroute.processors.model.CalendarEvent;
import io.chronoroute.processors.model.EventTime;
import io.chronoroute.processors.model.Person;
import io.chronoroute.processors.sync.ContentHash;
import io.chronoroute.processors.sync.SyncKey;
import io.chronoroute.providers.common.DestinationErrorClassifier;
import io.chronoroute.testsupport.google.GoogleWrite;
import io.chronoroute.testsupport.google.QuotaResponse;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.time.LocalDate;
import java.time.LocalDateTime;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.function.Consumer;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assertions.assertThrows;

/** The Google destination against the stateful fake over real HTTP (camel-google-calendar client). */
class GoogleDestinationSyncTest {

    private static final String NAME = GoogleKit.NAME;
    private GoogleKit kit;

    @BeforeEach
    void setUp() throws Exception {
        kit = new GoogleKit();
    }

    @AfterEach
    void tearDown() throws Exception {
        kit.close();
    }

    private List<CalendarEvent> seed(int n, String source) {
        List<CalendarEvent> out = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            CalendarEvent e = GoogleKit.event(source + "-" + i + "@example.com", source,
                    LocalDateTime.of(2025, 10, 6 + i % 20, 9 + i % 8, 0), 45).build();
            kit.put(e);
            out.add(e);
        }
        return out;
    }

    @Test
    void secondRunWithoutChangesMakesZeroWriteCalls() {
        CalendarEvent withPeople = GoogleKit.event("people@example.com", "outlook", LocalDateTime.of(2025, 10, 7, 14, 0), 30)
                .description("Agenda").organizer(new Person("boss@corp.example", "The Boss"))
                .attendees(List.of(new Attendee("alice@corp.example", "Alice", "REQ-PARTICIPANT", "ACCEPTED"),
                        new Attendee("bob@corp.example", null, "OPT-PARTICIPANT", null)))
                .build();
        kit.put(withPeople);
        seed(4, "outlook");

        SyncResult first = kit.service().runOnce(NAME);
        assertThat(first.outcome()).isEqualTo(SyncResult.Outcome.OK);
        assertThat(first.fullReconcile()).isTrue();
        assertThat(first.inserted()).isEqualTo(5);
        long writesAfterFirst = kit.fake.writeCalls();
        assertThat(writesAfterFirst).isEqualTo(5);

        SyncResult second = kit.service().runOnce(NAME);
        assertThat(second.outcome()).isEqualTo(SyncResult.Outcome.OK);
        assertThat(second.writeCalls()).isZero();
        assertThat(second.writes()).isZero();
        assertThat(kit.fake.writeCalls()).isEqualTo(writesAfterFirst);

        // no invitations, ever: no attendees written, sendUpdates=none on every write
        assertThat(kit.fake.writes()).extracting(GoogleWrite::sendUpdates).containsOnly("none");
        assertThat(kit.stored()).allSatisfy(e -> assertThat(e.has("attendees")).isFalse());
        ObjectNode people = kit.byId(GoogleIds.eventId(SyncKey.identityOf(withPeople)));
        assertThat(people.path("description").asText()).startsWith("Agenda")
                .contains("Organizer: The Boss <boss@corp.example>").contains("Alice <alice@corp.example>");
        assertThat(people.path("extendedProperties").path("private").path(GoogleEventMapper.HASH).asText())
                .isEqualTo(ContentHash.of(withPeople));
        assertThat(people.path("extendedProperties").path("private").path(GoogleEventMapper.ORIGIN).asText())
                .isEqualTo("agent-1/outlook");

        // a content change writes exactly that event
        kit.put(withPeople.toBuilder().title("Renamed").build());
        SyncResult third = kit.service().runOnce(NAME);
        assertThat(third.updated()).isEqualTo(1);
        assertThat(third.writeCalls()).isEqualTo(1);
        assertThat(people.path("id").asText()).isEqualTo(kit.byId(people.path("id").asText()).path("id").asText());
        assertThat(kit.byId(people.path("id").asText()).path("summary").asText()).isEqualTo("Renamed");
        assertThat(kit.tokens.issued()).isEqualTo(1);
    }

    /** Thrown by the crashing writer: an Error, so nothing in the sync treats it as a classified failure. */
    static final class SimulatedCrash extends Error {
        SimulatedCrash() {
            super("killed between the remote write and the mapping update");
        }
    }

    @Test
    void crashBetweenWriteAndMappingUpdateCreatesNoDuplicate() {
        seed(2, "outlook");
        assertThat(kit.service().runOnce(NAME).inserted()).isEqualTo(2);
        CalendarEvent late = GoogleKit.event("late@example.com", "outlook", LocalDateTime.of(2025, 10, 9, 10, 0), 60)
                .build();
        String lateId = kit.put(late);
        DestinationWriterFactory real = kit.factory;
        DestinationWriterFactory crashing = new DestinationWriterFactory() {
            @Override
            public String type() {
                return real.type();
            }

            @Override
            public DestinationWriter create(DestinationContext ctx) {
                DestinationWriter w = real.create(ctx);
                return new Delegating(w) {
                    @Override
                    public WriteResult upsert(DestinationEvent event, MappingEntry current) throws Exception {
                        w.upsert(event, current);
                        throw new SimulatedCrash();
                    }
                };
            }
        };
        assertThrows(SimulatedCrash.class, () -> kit.restart(crashing).runOnce(NAME));
        assertThat(kit.withKey(lateId)).isEqualTo(1);

        SyncResult after = kit.restart(real).runOnce(NAME);
        assertThat(after.outcome()).isEqualTo(SyncResult.Outcome.OK);
        assertThat(kit.withKey(lateId)).isEqualTo(1);
        assertThat(kit.live()).hasSize(3);
        assertThat(after.inserted()).isZero();
        // and the mapping is whole again: nothing more to write
        assertThat(kit.service().runOnce(NAME).writeCalls()).isZero();
    }

    @Test
    void retriedInsertMeets409AndBecomesAnUpdateWhichAlsoRevivesACancelledEvent() throws Exception {
        CalendarEvent e = GoogleKit.event("retry@example.com", "outlook", LocalDateTime.of(2025, 10, 8, 8, 0), 30).build();
        String identity = kit.put(e);
        DestinationWriter w = kit.factory.create(new DestinationContext(NAME, kit.config, kit.store, kit.clock,
                write -> { }));
        DestinationEvent de = new DestinationEvent(identity, e, ContentHash.of(e), "agent-1/outlook", null, null);
        WriteResult first = w.upsert(de, null);
        assertThat(first.created()).isTrue();
        WriteResult again = w.upsert(de, null); // the crash case: the mapping never heard of the first insert
        assertThat(again.created()).isFalse();
        assertThat(again.remoteId()).isEqualTo(first.remoteId());
        assertThat(kit.stored()).hasSize(1);

        w.delete(de, new MappingEntry(first.remoteId(), again.version(), de.contentHash(), false, null, null, null));
        assertThat(kit.byId(first.remoteId()).path("status").asText()).isEqualTo("cancelled");
        WriteResult revived = w.upsert(de, null);
        assertThat(revived.created()).isFalse();
        assertThat(kit.byId(first.remoteId()).path("status").asText()).isEqualTo("confirmed");
        assertThat(kit.stored()).hasSize(1);
        assertThat(kit.fake.count("events.insert")).isEqualTo(3);
        w.close();
    }

    @Test
    void lostStoreIsRebuiltFromTagsWithoutDuplicates() throws Exception {
        List<CalendarEvent> events = seed(4, "outlook");
        assertThat(kit.service().runOnce(NAME).inserted()).isEqualTo(4);
        long writes = kit.fake.writeCalls();

        kit.service.close();
        kit.service = null;
        kit.store.close();
        kit.store = new EmbeddedMasterStore(kit.dir.resolve("store-2"), 4, false);
        events.forEach(kit::put); // the agents send everything again

        SyncResult r = kit.service().runOnce(NAME);
        assertThat(r.outcome()).isEqualTo(SyncResult.Outcome.OK);
        assertThat(r.fullReconcile()).isTrue();
        assertThat(r.writeCalls()).isZero();
        assertThat(kit.fake.writeCalls()).isEqualTo(writes);
        assertThat(kit.live()).hasSize(4);
        assertThat(kit.service().status(NAME).liveEvents()).isEqualTo(4);
    }

    @Test
    void rateLimitStormCompletesAndHonoursRetryAfter() {
        kit.fake.quotaResponse(QuotaResponse.TOO_MANY_REQUESTS_429);
        kit.fake.requestsPerMinute(30);
        seed(40, "outlook");
        kit.fake.failNext(1, 429, "rateLimitExceeded", 7);

        SyncResult r = kit.service().runOnce(NAME);
        assertThat(r.outcome()).isEqualTo(SyncResult.Outcome.OK);
        assertThat(kit.live()).hasSize(40);
        assertThat(r.retries()).isGreaterThan(1);
        List<Duration> waits = kit.sleeper.waits();
        assertThat(waits.get(0)).isBetween(Duration.ofSeconds(7), Duration.ofSeconds(8));
        assertThat(waits).allSatisfy(d -> assertThat(d).isGreaterThanOrEqualTo(Duration.ofSeconds(1)));
        assertThat(kit.service().runOnce(NAME).writeCalls()).isZero();
    }

    @Test
    void forbiddenRateLimitStormIsRetriedWithBackoff() {
        seed(3, "outlook");
        kit.fake.failNext(5, 403, "userRateLimitExceeded", 0);
        SyncResult r = kit.service().runOnce(NAME);
        assertThat(r.outcome()).isEqualTo(SyncResult.Outcome.OK);
        assertThat(r.retries()).isEqualTo(5);
        assertThat(kit.sleeper.waits()).extracting(Duration::toMillis)
                .containsExactly(500L, 1000L, 2000L, 4000L, 8000L);
        assertThat(kit.live()).hasSize(3);
    }

    @Test
    void quotaExhaustedPausesTheDestinationVisibly() {
        seed(3, "outlook");
        kit.fake.failNext(1, 403, "quotaExceeded", 0);
        SyncResult r = kit.service().runOnce(NAME);
        assertThat(r.outcome()).isEqualTo(SyncResult.Outcome.PAUSED);
        DestinationStatus s = kit.service().status(NAME);
        assertThat(s.state()).isEqualTo("PAUSED");
        assertThat(s.pausedUntil()).isEqualTo(kit.clock.instant().plus(Duration.ofHours(1)));
        assertThat(s.pauseReason()).isEqualTo("quotaExceeded");

        int journal = kit.fake.journal().size();
        SyncResult again = kit.service().runOnce(NAME);
        assertThat(again.outcome()).isEqualTo(SyncResult.Outcome.PAUSED);
        assertThat(kit.fake.journal().size()).isEqualTo(journal);

        kit.clock.advance(Duration.ofMinutes(61));
        SyncResult resumed = kit.service().runOnce(NAME);
        assertThat(resumed.outcome()).isEqualTo(SyncResult.Outcome.OK);
        assertThat(kit.live()).hasSize(3);
        assertThat(kit.service().status(NAME).state()).isEqualTo("OK");
    }

    @Test
    void expiredSyncTokenLeadsToFullResyncWithoutDuplicates() {
        seed(3, "outlook");
        kit.service().runOnce(NAME);
        assertThat(kit.service().runOnce(NAME).fullReconcile()).isFalse();
        kit.fake.invalidateSyncTokens();
        CalendarEvent added = GoogleKit.event("new@example.com", "outlook", LocalDateTime.of(2025, 10, 20, 9, 0), 30)
                .build();
        String id = kit.put(added);
        SyncResult r = kit.service().runOnce(NAME);
        assertThat(r.outcome()).isEqualTo(SyncResult.Outcome.OK);
        assertThat(r.fullReconcile()).isTrue();
        assertThat(r.inserted()).isEqualTo(1);
        assertThat(kit.live()).hasSize(4);
        assertThat(kit.withKey(id)).isEqualTo(1);
        assertThat(kit.service().runOnce(NAME).writeCalls()).isZero();
    }

    @Test
    void deletionGuardHoldsLargeDeletionsUntilConfirmed() {
        List<CalendarEvent> events = seed(10, "outlook");
        kit.service().runOnce(NAME);
        events.subList(0, 3).forEach(kit::remove);

        SyncResult held = kit.service().runOnce(NAME);
        assertThat(held.outcome()).isEqualTo(SyncResult.Outcome.OK);
        assertThat(held.deleted()).isZero();
        assertThat(held.held()).isEqualTo(3);
        DestinationStatus s = kit.service().status(NAME);
        assertThat(s.state()).isEqualTo("HELD");
        assertThat(s.held().reason()).contains("3 of our 10");
        assertThat(kit.live()).hasSize(10);
        assertThat(kit.service().runOnce(NAME).deleted()).isZero(); // still held on the next run

        SyncResult confirmed = kit.service().confirmDeletions(NAME);
        assertThat(confirmed.deleted()).isEqualTo(3);
        assertThat(kit.live()).hasSize(7);
        assertThat(kit.service().status(NAME).state()).isEqualTo("OK");
        assertThat(kit.service().status(NAME).held()).isNull();
    }

    @Test
    void sourceSuddenlyReportingZeroEventsIsHeld() {
        seed(8, "outlook");
        List<CalendarEvent> phone = seed(2, "phone");
        kit.service().runOnce(NAME);
        phone.forEach(kit::remove); // 2 of 10 = 20%: not above the share, but the source is empty now

        SyncResult r = kit.service().runOnce(NAME);
        assertThat(r.deleted()).isZero();
        assertThat(r.held()).isEqualTo(2);
        assertThat(kit.service().status(NAME).held().reason()).contains("agent-1/phone").contains("zero events");
        assertThat(kit.service().confirmDeletions(NAME).deleted()).isEqualTo(2);
        assertThat(kit.live()).hasSize(8);
    }

    @Test
    void smallDeletionPassesTheGuard() {
        List<CalendarEvent> events = seed(10, "outlook");
        kit.service().runOnce(NAME);
        kit.remove(events.get(0));
        SyncResult r = kit.service().runOnce(NAME);
        assertThat(r.deleted()).isEqualTo(1);
        assertThat(r.held()).isZero();
        assertThat(kit.live()).hasSize(9);
    }

    @Test
    void recurringSeriesWithOverrideAndExdateRoundTrips() {
        LocalDateTime first = LocalDateTime.of(2025, 10, 6, 9, 0);
        CalendarEvent master = GoogleKit.event("series@example.com", "outlook", first, 60)
                .title("Weekly").rrules(List.of("FREQ=WEEKLY;BYDAY=MO;COUNT=6"))
                .exdates(List.of(EventTime.ofZoned(LocalDateTime.of(2025, 10, 13, 9, 0), GoogleKit.BERLIN)))
                .build();
        EventTime rid = EventTime.ofZoned(LocalDateTime.of(2025, 10, 20, 9, 0), GoogleKit.BERLIN);
        CalendarEvent override = GoogleKit.event("series@example.com", "outlook", LocalDateTime.of(2025, 10, 20, 11, 0), 60)
                .title("Moved").recurrenceId(rid).build();
        String overrideIdentity = kit.put(override); // the override arrives first: the master is still written first
        String masterIdentity = kit.put(master);

        SyncResult r = kit.service().runOnce(NAME);
        assertThat(r.outcome()).isEqualTo(SyncResult.Outcome.OK);
        String masterId = GoogleIds.eventId(masterIdentity);
        ObjectNode m = kit.byId(masterId);
        assertThat(m.path("recurrence").toString()).contains("RRULE:FREQ=WEEKLY;BYDAY=MO;COUNT=6")
                .contains("EXDATE:20251013T070000Z");
        assertThat(m.path("start").path("timeZone").asText()).isEqualTo("Europe/Berlin");
        ObjectNode inst = kit.byId(masterId + "_20251020T070000Z");
        assertThat(inst.path("recurringEventId").asText()).isEqualTo(masterId);
        assertThat(inst.path("summary").asText()).isEqualTo("Moved");
        assertThat(inst.path("start").path("dateTime").asText()).isEqualTo("2025-10-20T11:00:00.000+02:00");
        assertThat(inst.path("extendedProperties").path("private").path(GoogleEventMapper.KEY).asText())
                .isEqualTo(overrideIdentity);
        assertThat(kit.stored()).hasSize(2);
        assertThat(kit.service().runOnce(NAME).writeCalls()).isZero();

        kit.remove(override); // the exception went away: the occurrence is back to the series
        assertThat(kit.service().runOnce(NAME).held()).isEqualTo(1); // 1 of our 2 events: above 20%, held
        SyncResult reset = kit.service().confirmDeletions(NAME);
        assertThat(reset.deleted()).isEqualTo(1);
        ObjectNode back = kit.byId(masterId + "_20251020T070000Z");
        assertThat(back.path("summary").asText()).isEqualTo("Weekly");
        assertThat(back.path("start").path("dateTime").asText()).isEqualTo("2025-10-20T09:00:00.000+02:00");
        assertThat(back.path("status").asText()).isEqualTo("confirmed");
        assertThat(kit.service().runOnce(NAME).writeCalls()).isZero();

        kit.remove(master);
        kit.service().runOnce(NAME);
        kit.service().confirmDeletions(NAME);
        assertThat(kit.byId(masterId).path("status").asText()).isEqualTo("cancelled");
    }

    @Test
    void ruleChangeOfASeriesKeepsItsOverridesCancelledOccurrenceAndExdate() {
        // on the fake (as we expect of Google) an instance override is its own stored event: a new rule of the master
        // leaves it in place, so the master's update is the only write and the writer reports no series reset
        LocalDateTime first = LocalDateTime.of(2025, 10, 6, 9, 0);
        CalendarEvent master = GoogleKit.event("rule@example.com", "outlook", first, 60)
                .title("Weekly").rrules(List.of("FREQ=WEEKLY;BYDAY=MO;COUNT=6"))
                .exdates(List.of(EventTime.ofZoned(LocalDateTime.of(2025, 10, 13, 9, 0), GoogleKit.BERLIN)))
                .build();
        CalendarEvent moved = GoogleKit.event("rule@example.com", "outlook", LocalDateTime.of(2025, 10, 20, 11, 0), 60)
                .title("Moved").recurrenceId(EventTime.ofZoned(LocalDateTime.of(2025, 10, 20, 9, 0), GoogleKit.BERLIN))
                .build();
        CalendarEvent cancelled = GoogleKit.event("rule@example.com", "outlook", LocalDateTime.of(2025, 10, 27, 9, 0), 60)
                .recurrenceId(EventTime.ofZoned(LocalDateTime.of(2025, 10, 27, 9, 0), GoogleKit.BERLIN))
                .status("CANCELLED").build();
        String masterId = GoogleIds.eventId(kit.put(master));
        kit.put(moved);
        kit.put(cancelled);
        assertThat(kit.service().runOnce(NAME).outcome()).isEqualTo(SyncResult.Outcome.OK);

        for (String rule : List.of("FREQ=WEEKLY;BYDAY=MO;COUNT=8", "FREQ=WEEKLY;BYDAY=MO,TH;COUNT=8")) {
            kit.put(master.toBuilder().rrules(List.of(rule)).build());
            SyncResult r = kit.service().runOnce(NAME);
            assertThat(r.outcome()).as(r.message()).isEqualTo(SyncResult.Outcome.OK);
            assertThat(r.writeCalls()).isEqualTo(1);
            assertThat(kit.byId(masterId).path("recurrence").toString()).contains("RRULE:" + rule)
                    .contains("EXDATE:20251013T070000Z");
            ObjectNode inst = kit.byId(masterId + "_20251020T070000Z");
            assertThat(inst.path("summary").asText()).isEqualTo("Moved");
            assertThat(inst.path("start").path("dateTime").asText()).isEqualTo("2025-10-20T11:00:00.000+02:00");
            assertThat(kit.byId(masterId + "_20251027T080000Z").path("status").asText()).isEqualTo("cancelled");
            assertThat(kit.service().runOnce(NAME).writeCalls()).isZero();
        }
    }

    @Test
    void berlinEventOnLastSundayOfOctoberKeepsItsWallClockTime() {
        CalendarEvent dstDay = GoogleKit.event("dst@example.com", "outlook", LocalDateTime.of(2025, 10, 26, 9, 0), 60)
                .build();
        CalendarEvent series = GoogleKit.event("dst-series@example.com", "outlook", LocalDateTime.of(2025, 10, 19, 9, 0), 30)
                .rrules(List.of("FREQ=WEEKLY;COUNT=3")).build();
        CalendarEvent allDay = CalendarEvent.builder().uid("allday@example.com").title("Holiday")
                .start(EventTime.ofDate(LocalDate.of(2025, 10, 26))).end(EventTime.ofDate(LocalDate.of(2025, 10, 27)))
                .build();
        String a = kit.put(dstDay);
        String b = kit.put(series);
        String c = kit.put(allDay);
        kit.service().runOnce(NAME);

        ObjectNode e = kit.byId(GoogleIds.eventId(a));
        assertThat(e.path("start").path("dateTime").asText()).isEqualTo("2025-10-26T09:00:00.000+01:00");
        assertThat(e.path("start").path("timeZone").asText()).isEqualTo("Europe/Berlin");
        assertThat(e.path("end").path("dateTime").asText()).isEqualTo("2025-10-26T10:00:00.000+01:00");
        ObjectNode s = kit.byId(GoogleIds.eventId(b));
        assertThat(s.path("start").path("dateTime").asText()).isEqualTo("2025-10-19T09:00:00.000+02:00");
        assertThat(s.path("start").path("timeZone").asText()).isEqualTo("Europe/Berlin");
        ObjectNode d = kit.byId(GoogleIds.eventId(c));
        assertThat(d.path("start").path("date").asText()).isEqualTo("2025-10-26");
        assertThat(d.path("end").path("date").asText()).isEqualTo("2025-10-27");
        assertThat(d.path("start").has("dateTime")).isFalse();
    }

    @Test
    void neverTouchesEventsItDidNotCreate() throws Exception {
        CalendarEvent mine = GoogleKit.event("mine@example.com", "outlook", LocalDateTime.of(2025, 10, 10, 9, 0), 30)
                .build();
        CalendarEvent squatted = GoogleKit.event("squat@example.com", "outlook", LocalDateTime.of(2025, 10, 11, 9, 0), 30)
                .build();
        String squattedIdentity = SyncKey.identityOf(squatted);
        String foreignBody = "{\"summary\":\"Dentist\",\"start\":{\"dateTime\":\"2025-10-10T08:00:00Z\"},"
                + "\"end\":{\"dateTime\":\"2025-10-10T09:00:00Z\"}}";
        String squatBody = "{\"id\":\"" + GoogleIds.eventId(squattedIdentity) + "\",\"summary\":\"Not yours\","
                + "\"start\":{\"dateTime\":\"2025-10-11T08:00:00Z\"},\"end\":{\"dateTime\":\"2025-10-11T09:00:00Z\"}}";
        HttpClient http = HttpClient.newHttpClient();
        for (String body : List.of(foreignBody, squatBody)) {
            HttpResponse<String> res = http.send(HttpRequest.newBuilder(URI.create(kit.fake.baseUrl()
                            + "calendar/v3/calendars/primary/events")).header("Content-Type", "application/json")
                    .POST(HttpRequest.BodyPublishers.ofString(body)).build(), HttpResponse.BodyHandlers.ofString());
            assertThat(res.statusCode()).isEqualTo(200);
        }
        Set<String> foreignIds = new HashSet<>();
        kit.stored().forEach(e -> foreignIds.add(e.path("id").asText()));
        List<String> foreignEtags = kit.stored().stream().map(e -> e.path("etag").asText()).toList();
        kit.fake.journal().clear();

        kit.put(mine);
        kit.put(squatted);
        SyncResult r = kit.service().runOnce(NAME);
        assertThat(r.inserted()).isEqualTo(1);
        assertThat(r.parked()).isEqualTo(1);
        DestinationStatus s = kit.service().status(NAME);
        assertThat(s.parked()).singleElement().satisfies(p -> {
            assertThat(p.identity()).isEqualTo(squattedIdentity);
            assertThat(p.reason()).isEqualTo("foreignId");
        });
        // store wiped everything → the deletion plan must not include foreign events either
        kit.remove(mine);
        kit.remove(squatted);
        kit.service().runOnce(NAME);
        assertThat(kit.fake.journal().entries()).filteredOn(e -> e.operation().startsWith("events.")
                        && !e.operation().equals("events.list") && !e.operation().equals("events.get")
                        && !e.operation().equals("events.insert"))
                .allSatisfy(e -> assertThat(foreignIds.stream().noneMatch(id -> e.path().endsWith("/" + id)))
                        .isTrue());
        assertThat(kit.stored().stream().filter(e -> foreignIds.contains(e.path("id").asText()))
                .map(e -> e.path("etag").asText()).toList()).containsExactlyElementsOf(foreignEtags);
    }

    @Test
    void eventsEditedOrDeletedInGoogleAreRepaired() throws Exception {
        List<CalendarEvent> events = seed(2, "outlook");
        kit.service().runOnce(NAME);
        String id = GoogleIds.eventId(SyncKey.identityOf(events.get(0)));
        HttpClient http = HttpClient.newHttpClient();
        HttpResponse<String> res = http.send(HttpRequest.newBuilder(URI.create(kit.fake.baseUrl()
                        + "calendar/v3/calendars/primary/events/" + id)).DELETE().build(),
                HttpResponse.BodyHandlers.ofString());
        assertThat(res.statusCode()).isEqualTo(204);
        SyncResult r = kit.service().runOnce(NAME);
        assertThat(r.updated()).isEqualTo(1);
        assertThat(kit.byId(id).path("status").asText()).isEqualTo("confirmed");
        assertThat(kit.service().runOnce(NAME).writeCalls()).isZero();
    }

    /** Forwards everything to another writer. */
    private static class Delegating implements DestinationWriter {
        private final DestinationWriter d;

        Delegating(DestinationWriter d) {
            this.d = d;
        }

        @Override
        public WriteResult upsert(DestinationEvent event, MappingEntry current) throws Exception {
            return d.upsert(event, current);
        }

        @Override
        public void delete(DestinationEvent event, MappingEntry current) throws Exception {
            d.delete(event, current);
        }

        @Override
        public void listOwn(Consumer<RemoteEvent> sink) throws Exception {
            d.listOwn(sink);
        }

        @Override
        public RemoteChanges readChanges(String cursor) throws Exception {
            return d.readChanges(cursor);
        }

        @Override
        public DestinationErrorClassifier classifier() {
            return d.classifier();
        }

        @Override
        public void close() {
            d.close();
        }
    }
}
