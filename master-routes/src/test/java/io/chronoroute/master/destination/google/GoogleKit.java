package io.chronoroute.master.destination.google;

import io.chronoroute.testsupport.google.FakeGoogleTokenEndpoint;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.chronoroute.master.destination.DestinationConfig;
import io.chronoroute.master.destination.DestinationSyncService;
import io.chronoroute.master.destination.DestinationWriterFactory;
import io.chronoroute.master.destination.SecretBox;
import io.chronoroute.master.destination.VirtualSleeper;
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
import io.chronoroute.testsupport.MutableClock;
import io.chronoroute.testsupport.google.FakeGoogleCalendar;
import org.apache.camel.impl.DefaultCamelContext;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.LocalDateTime;
import java.time.ZoneId;
import java.util.List;
import java.util.Map;

/** One Google destination "gcal" against a FakeGoogleCalendar over real HTTP, a real embedded store, virtual time. */
final class GoogleKit implements AutoCloseable {

    static final String NAME = "gcal";
    static final ZoneId BERLIN = ZoneId.of("Europe/Berlin");

    final MutableClock clock = MutableClock.at("2025-10-01T06:00:00Z");
    final VirtualSleeper sleeper = new VirtualSleeper(clock);
    final FakeGoogleCalendar fake = FakeGoogleCalendar.builder().clock(clock).build().start();
    final FakeGoogleTokenEndpoint tokens;
    final DefaultCamelContext camel = new DefaultCamelContext();
    final Path dir;
    final SecretBox secrets;
    MasterStore store;
    DestinationConfig config;
    DestinationWriterFactory factory;
    DestinationSyncService service;

    GoogleKit() throws IOException {
        tokens = new FakeGoogleTokenEndpoint();
        dir = Files.createTempDirectory("chronoroute-dest");
        secrets = SecretBox.create(null, dir);
        camel.start();
        store = new EmbeddedMasterStore(dir.resolve("store"), 4, false);
        config = DestinationConfig.defaults("google").withGuard(0.2, 1, 2).withRate(1000, 1000, 8)
                .withGoogle(DestinationConfig.Google.defaults().withEndpoints(fake.baseUrl(), tokens.uri())
                        .withClient("client-1", "secret-1", "http://localhost/cb")
                        .withRefreshToken(FakeGoogleTokenEndpoint.REFRESH));
        factory = new GoogleDestinationWriterFactory(camel, secrets);
    }

    DestinationSyncService service() {
        if (service == null) {
            service = new DestinationSyncService(store, Map.of(NAME, config), List.of(factory), clock, sleeper,
                    () -> 0.0);
        }
        return service;
    }

    /** Simulates a master restart: a new service (new writer, new caches) on the same store. */
    DestinationSyncService restart(DestinationWriterFactory f) {
        if (service != null) {
            service.close();
        }
        service = new DestinationSyncService(store, Map.of(NAME, config), List.of(f), clock, sleeper, () -> 0.0);
        return service;
    }

    static CalendarEvent.Builder event(String uid, String source, LocalDateTime start, int minutes) {
        return CalendarEvent.builder().uid(uid).title("Event " + uid)
                .start(EventTime.ofZoned(start, BERLIN)).end(EventTime.ofZoned(start.plusMinutes(minutes), BERLIN))
                .status("CONFIRMED").transparency("OPAQUE")
                .origin(new Origin("agent-1", source, "cal", "Calendar", "ics", uid));
    }

    /** Puts (or replaces) the consolidated event; returns its identity. */
    String put(CalendarEvent e) {
        return put(store, e);
    }

    static String put(MasterStore store, CalendarEvent e) {
        String identity = SyncKey.identityOf(e);
        ChangeSet cs = new ChangeSet();
        cs.putConsolidated.add(new ConsolidatedEvent(identity, WireJson.toJson(e), ContentHash.of(e),
                List.of("agent-1/" + SyncKey.of("agent-1", e).value()), 1, 0, e.created(), false,
                "agent-1/" + SyncKey.of("agent-1", e).value()));
        store.apply(cs);
        return identity;
    }

    /** Tombstones the consolidated event. */
    void remove(CalendarEvent e) {
        ChangeSet cs = new ChangeSet();
        cs.putConsolidated.add(new ConsolidatedEvent(SyncKey.identityOf(e), WireJson.toJson(e), ContentHash.of(e),
                List.of(), 2, 0, null, true, "agent-1"));
        store.apply(cs);
    }

    List<ObjectNode> stored() {
        return fake.storedEvents(fake.primaryCalendarId());
    }

    List<ObjectNode> live() {
        return stored().stream().filter(e -> !"cancelled".equals(e.path("status").asText())).toList();
    }

    long withKey(String identity) {
        return stored().stream().filter(e -> identity.equals(e.path("extendedProperties").path("private")
                .path(GoogleEventMapper.KEY).asText(null))).count();
    }

    ObjectNode byId(String id) {
        return stored().stream().filter(e -> id.equals(e.path("id").asText())).findFirst().orElseThrow();
    }

    @Override
    public void close() throws Exception {
        if (service != null) {
            service.close();
        }
        store.close();
        camel.stop();
        fake.close();
        tokens.close();
    }
}
