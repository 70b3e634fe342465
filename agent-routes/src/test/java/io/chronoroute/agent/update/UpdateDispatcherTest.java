package io.chronoroute.agent.update;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.chronoroute.agent.AgentProperties;
import io.chronoroute.agent.Ics;
import io.chronoroute.agent.collect.ChangeCollector;
import io.chronoroute.agent.heartbeat.HeartbeatSchedule;
import io.chronoroute.agent.heartbeat.HeartbeatService;
import io.chronoroute.agent.heartbeat.MasterClient;
import io.chronoroute.agent.source.CalendarSource;
import io.chronoroute.agent.source.IcsFolderSource;
import io.chronoroute.agent.source.IcsSubscriptionSource;
import io.chronoroute.agent.source.SourceConfig;
import io.chronoroute.agent.source.SourceRegistry;
import io.chronoroute.agent.source.olk.OutlookMacSource;
import io.chronoroute.agent.state.AgentState;
import io.chronoroute.agent.state.CredentialStore;
import io.chronoroute.agent.state.OutboxEntry;
import io.chronoroute.processors.sync.SyncKey;
import io.chronoroute.processors.wire.WireJson;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * {@link UpdateDispatcher} with a real folder source, state and collector; the master's confirmation endpoint is
 * replaced by a recorder.
 */
class UpdateDispatcherTest {

    static final String AGENT = "agent-1";

    @TempDir
    Path tmp;
    Path writable;
    Path readOnly;
    AgentState state;
    ChangeCollector collector;
    IcsFolderSource folders;
    SourceRegistry registry;
    UpdateDispatcher dispatcher;
    final List<Map.Entry<String, String>> confirmed = new ArrayList<>();

    @BeforeEach
    void setUp() throws IOException {
        AgentProperties props = new AgentProperties(AGENT, "t", "test", URI.create("http://127.0.0.1:1"), null,
                Duration.ofSeconds(30), Duration.ofSeconds(1), Duration.ofSeconds(1), 5000, 20, Duration.ofSeconds(5),
                Duration.ofMinutes(1), "Europe/Berlin");
        state = AgentState.open(tmp.resolve("data"));
        collector = new ChangeCollector(state, props);
        registry = new SourceRegistry();
        folders = new IcsFolderSource(state, registry, props);
        writable = Files.createDirectories(tmp.resolve("writable"));
        readOnly = Files.createDirectories(tmp.resolve("readonly"));
        folders.register("team", writable.toString(), "", true);
        folders.register("archive", readOnly.toString(), "", false);
        MasterClient client = new MasterClient(HttpClient.newHttpClient(), props) {
            @Override
            public Answer processed(String agentId, String credential, String updateId, String body) {
                confirmed.add(Map.entry(updateId, body == null ? "" : body));
                return new Answer(200, null, 0);
            }
        };
        dispatcher = new UpdateDispatcher(state, registry, collector,
                new HeartbeatSchedule(props, Clock.systemUTC()), client, new CredentialStore(state), props);
    }

    @AfterEach
    void tearDown() {
        state.close();
    }

    private long mtime = 1_750_000_000_000L;

    private void poll(String source, Path folder, String name, String text) throws IOException {
        Path p = folder.resolve(name);
        Files.writeString(p, text, StandardCharsets.UTF_8);
        Files.setLastModifiedTime(p, FileTime.fromMillis(mtime += 1000));
        collector.collect(folders.readFile(source, null, name, mtime, p.toAbsolutePath().toString()));
    }

    private static ObjectNode update(String id, String type, ObjectNode data) {
        ObjectNode u = WireJson.mapper().createObjectNode();
        u.put("id", id);
        u.put("type", type);
        u.set("data", data);
        return u;
    }

    private static ObjectNode eventUpdate(String action, String source, String uid, String title) {
        ObjectNode d = WireJson.mapper().createObjectNode();
        d.put("action", action);
        d.put("source", source);
        ObjectNode e = d.putObject("event");
        e.put("uid", uid);
        e.put("title", title);
        e.put("start", "2025-06-10T07:00:00Z");
        e.put("end", "2025-06-10T08:00:00Z");
        return d;
    }

    private static ObjectNode rename(String calendarId, String name, String color) {
        ObjectNode d = WireJson.mapper().createObjectNode();
        d.put("calendar_id", calendarId);
        d.put("name", name);
        d.put("color", color);
        return d;
    }

    private String lastBody(String id) {
        return confirmed.stream().filter(c -> c.getKey().equals(id)).reduce((a, b) -> b).orElseThrow().getValue();
    }

    private String key(String source, String uid) {
        return new SyncKey(AGENT, source, uid, null).value();
    }

    @Test
    void aStaleBaseHashIsRejectedPermanentlyWithTheReasonAndAMatchingOneApplied() throws IOException {
        poll("team", writable, "a.ics", Ics.calendar(Ics.vevent("u1", "Standup", "20250610T070000Z")));
        String sent = state.read(tx -> tx.current(key("team", "u1")).hash());

        ObjectNode stale = eventUpdate("update", "team", "u1", "Master edit");
        stale.put("base_hash", "00000000000000000000000000000000");
        assertThat(dispatcher.apply(update("upd-1", "event_update", stale))).isEqualTo(UpdateDispatcher.Outcome.REJECTED);
        assertThat(lastBody("upd-1")).contains("\"permanent\":true").contains("changed in a.ics since");
        assertThat(Files.readString(writable.resolve("a.ics"))).contains("SUMMARY:Standup").doesNotContain("Master edit");

        ObjectNode fresh = eventUpdate("update", "team", "u1", "Master edit");
        fresh.put("base_hash", sent);
        assertThat(dispatcher.apply(update("upd-2", "event_update", fresh))).isEqualTo(UpdateDispatcher.Outcome.APPLIED);
        assertThat(lastBody("upd-2")).isEmpty();
        assertThat(Files.readString(writable.resolve("a.ics"))).contains("SUMMARY:Master edit");
        // in the state at once: one upsert waits for the next heartbeat
        OutboxEntry out = state.read(tx -> tx.outbox(key("team", "u1")));
        assertThat(out.isUpsert()).isTrue();
        assertThat(out.event().path("title").asText()).isEqualTo("Master edit");
    }

    @Test
    void aDeleteByUidAloneWorksAndIsIdempotent() throws IOException {
        poll("team", writable, "a.ics", Ics.calendar(Ics.vevent("u1", "Standup", "20250610T070000Z")));
        ObjectNode d = WireJson.mapper().createObjectNode();
        d.put("action", "delete");
        d.put("source", "team");
        d.putObject("event").put("uid", "u1");

        assertThat(dispatcher.apply(update("del-1", "event_update", d))).isEqualTo(UpdateDispatcher.Outcome.APPLIED);
        assertThat(writable.resolve("a.ics")).doesNotExist();
        assertThat(state.<OutboxEntry>read(tx -> tx.outbox(key("team", "u1"))).op()).isEqualTo(OutboxEntry.DELETE);

        ObjectNode seed = WireJson.mapper().createObjectNode();
        seed.put("action", "delete");
        seed.put("source", "team");
        seed.putObject("event").put("id", "u1");
        assertThat(dispatcher.apply(update("del-2", "event_update", seed))).isEqualTo(UpdateDispatcher.Outcome.APPLIED);
        assertThat(lastBody("del-2")).isEmpty();
    }

    @Test
    void aCreateOfAnEventThatIsAlreadyThereIsConfirmedWithoutWriting() throws IOException {
        assertThat(dispatcher.apply(update("c-1", "event_update", eventUpdate("create", "team", "m1", "From master"))))
                .isEqualTo(UpdateDispatcher.Outcome.APPLIED);
        Path file = writable.resolve(IcsFolderSource.newFileName("m1"));
        String content = Files.readString(file);

        // another update id carrying the same create (e.g. queued twice at the master)
        assertThat(dispatcher.apply(update("c-2", "event_update", eventUpdate("create", "team", "m1", "From master"))))
                .isEqualTo(UpdateDispatcher.Outcome.APPLIED);
        assertThat(lastBody("c-2")).isEmpty();
        assertThat(Files.readString(file)).isEqualTo(content);
    }

    @Test
    void aRenameWritesTheCalendarNameAndTheSourceListReportsIt() throws IOException {
        poll("team", writable, "a.ics", Ics.calendar(Ics.vevent("u1", "Standup", "20250610T070000Z")));

        assertThat(dispatcher.apply(update("r-1", "calendar_metadata", rename("team", "Team calendar", "#FF0000"))))
                .isEqualTo(UpdateDispatcher.Outcome.APPLIED);

        assertThat(Files.readString(writable.resolve("a.ics"))).contains("X-WR-CALNAME:Team calendar\r\n");
        SourceConfig team = registry.find("team").orElseThrow();
        JsonNode entry = state.read(tx -> HeartbeatService.sourceEntry(tx, team));
        assertThat(entry.path("calendar_id").asText()).isEqualTo("team");
        assertThat(entry.path("calendar_name").asText()).isEqualTo("Team calendar");
        assertThat(entry.path("color").asText()).isEqualTo("#FF0000");
        assertThat(entry.path("event_count").asInt()).isEqualTo(1);
        assertThat(entry.path("writable").asBoolean()).isTrue();
        assertThat(state.read(tx -> tx.calendarMetadata("team")).path("name").asText()).isEqualTo("Team calendar");
        // events read from now on carry the new name
        poll("team", writable, "b.ics", Ics.calendar(Ics.vevent("u2", "Review", "20250611T120000Z")));
        assertThat(state.read(tx -> tx.current(key("team", "u2"))).event().path("calendar_name").asText())
                .isEqualTo("Team calendar");
        // a created file says the name too
        dispatcher.apply(update("r-2", "event_update", eventUpdate("create", "team", "m9", "New")));
        assertThat(Files.readString(writable.resolve(IcsFolderSource.newFileName("m9")))).contains("X-WR-CALNAME:Team calendar");
    }

    @Test
    void aRenameOfAReadOnlyOrUnknownCalendarIsRejectedPermanently() throws IOException {
        poll("archive", readOnly, "a.ics", Ics.calendar(Ics.vevent("u1", "Old", "20250610T070000Z")));

        assertThat(dispatcher.apply(update("r-ro", "calendar_metadata", rename("archive", "Renamed", null))))
                .isEqualTo(UpdateDispatcher.Outcome.REJECTED);
        assertThat(lastBody("r-ro")).contains("\"permanent\":true").contains("read-only");
        assertThat(Files.readString(readOnly.resolve("a.ics"))).doesNotContain("Renamed");
        assertThat(state.<JsonNode>read(tx -> tx.calendarMetadata("archive"))).isNull();

        assertThat(dispatcher.apply(update("r-x", "calendar_metadata", rename("nope", "Renamed", null))))
                .isEqualTo(UpdateDispatcher.Outcome.REJECTED);
        assertThat(lastBody("r-x")).contains("\"permanent\":true").contains("no calendar 'nope'");
    }

    @Test
    void writesToAnIcsSubscriptionOrOutlookForMacSourceAreRefusedWithTheSourcesReason() throws IOException {
        AgentProperties props = new AgentProperties(AGENT, "t", "test", URI.create("http://127.0.0.1:1"), null,
                Duration.ofSeconds(30), Duration.ofSeconds(1), Duration.ofSeconds(1), 5000, 20, Duration.ofSeconds(5),
                Duration.ofMinutes(1), "Europe/Berlin");
        IcsSubscriptionSource feeds = new IcsSubscriptionSource(state, registry, props, Clock.systemUTC());
        feeds.register("holidays", "https://example.invalid/feed.ics?token=x", "", "", "", 1000L);
        OutlookMacSource outlook = new OutlookMacSource(state, registry, props, Clock.systemUTC());
        outlook.register("mail", Files.createDirectories(tmp.resolve("Events")).toString(), "", "", "", 0L);

        assertThat(dispatcher.apply(update("s-1", "event_update", eventUpdate("update", "holidays", "u1", "x"))))
                .isEqualTo(UpdateDispatcher.Outcome.REJECTED);
        assertThat(lastBody("s-1")).contains("\"permanent\":true").contains("ICS subscription").contains("read-only");
        assertThat(dispatcher.apply(update("s-2", "calendar_metadata", rename("holidays", "Renamed", null))))
                .isEqualTo(UpdateDispatcher.Outcome.REJECTED);
        assertThat(lastBody("s-2")).contains("\"permanent\":true").contains("ICS subscription");

        assertThat(dispatcher.apply(update("o-1", "event_update", eventUpdate("create", "mail", "u1", "x"))))
                .isEqualTo(UpdateDispatcher.Outcome.REJECTED);
        assertThat(lastBody("o-1")).contains("\"permanent\":true").contains("Outlook for Mac").contains("read-only");
        assertThat(dispatcher.apply(update("o-2", "calendar_metadata", rename("mail", "Renamed", null))))
                .isEqualTo(UpdateDispatcher.Outcome.REJECTED);
        assertThat(lastBody("o-2")).contains("Outlook for Mac");
        assertThatThrownBy(() -> outlook.renameCalendar(registry.find("mail").orElseThrow(), "mail", "x", null))
                .isInstanceOf(UpdateFailedException.class).hasMessageContaining("read-only");

        // the state of each kind in the source list the master shows per agent
        SourceConfig mail = registry.find("mail").orElseThrow();
        JsonNode entry = state.read(tx -> HeartbeatService.sourceEntry(tx, mail, registry.stateOf(mail), Instant.now()));
        assertThat(entry.path("kind").asText()).isEqualTo("outlook-mac");
        assertThat(entry.path("writable").asBoolean()).isFalse();
        // not polled yet: no read, no cursor, no error
        assertThat(entry.has("last_read")).isFalse();
        assertThat(entry.has("cursor_age_seconds")).isFalse();
        assertThat(entry.has("last_error")).isFalse();
        assertThat(registry.stateOf(mail).notWritableReason()).contains("Outlook for Mac");
        SourceConfig team = registry.find("team").orElseThrow();
        JsonNode folder = state.read(tx -> HeartbeatService.sourceEntry(tx, team, registry.stateOf(team), Instant.now()));
        assertThat(folder.path("kind").asText()).isEqualTo("ics");
        assertThat(registry.stateOf(team).notWritableReason()).isNull();
        SourceConfig holidays = registry.find("holidays").orElseThrow();
        assertThat(registry.stateOf(holidays).kind()).isEqualTo("ics-subscription");
    }

    @Test
    void theFolderSourcesContractReadIsTheDeltaFromItsFileIndex() throws IOException {
        SourceConfig team = registry.find("team").orElseThrow();
        Files.writeString(writable.resolve("a.ics"), Ics.calendar(Ics.vevent("u1", "Standup", "20250610T070000Z")));
        Files.writeString(writable.resolve("b.ics"), Ics.calendar(Ics.vevent("u2", "Review", "20250611T120000Z")));
        assertThat(collector.collect(folders.read(team)).upserted()).isEqualTo(2);
        folders.committed(team);
        assertThat(folders.read(team)).isEmpty();
        Files.delete(writable.resolve("b.ics"));
        assertThat(collector.collect(folders.read(team)).deleted()).isEqualTo(1);
        CalendarSource.SourceState st = folders.state(team);
        assertThat(st.writable()).isTrue();
        assertThat(st.lastRead()).isNotNull();
        assertThat(st.lastError()).isNull();
    }
}
