package io.chronoroute.agent.heartbeat;

import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import io.chronoroute.agent.AgentProperties;
import io.chronoroute.agent.FakeMaster;
import io.chronoroute.agent.collect.ChangeBatch;
import io.chronoroute.agent.collect.ChangeCollector;
import io.chronoroute.agent.source.SourceRegistry;
import io.chronoroute.agent.state.AgentState;
import io.chronoroute.agent.state.CredentialStore;
import io.chronoroute.processors.model.Attendee;
import io.chronoroute.processors.model.CalendarEvent;
import io.chronoroute.processors.model.EventTime;
import io.chronoroute.processors.model.Origin;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.net.http.HttpClient;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Issue #13, cause 9: a value that the wire normalises (an empty CLASS:, an empty TRANSP, an unknown attendee role)
 * made agent and master digests disagree for ever, and the agent re-sent an inventory without end. The agent now
 * hashes what the master reads; and a disagreement that remains (a master that normalises differently) costs at most
 * one inventory per change.
 */
class DigestLoopTest {

    static final String AGENT = "loop-agent";

    @TempDir
    Path dir;
    final FakeMaster master;
    final ListAppender<ILoggingEvent> log = new ListAppender<>();
    final Logger logger = (Logger) LoggerFactory.getLogger(HeartbeatService.class);

    DigestLoopTest() throws IOException {
        master = new FakeMaster("secret");
        log.start();
        logger.addAppender(log);
    }

    @AfterEach
    void stop() {
        logger.detachAppender(log);
        master.close();
    }

    AgentProperties props() {
        return new AgentProperties(AGENT, "t", "test", master.url(), "secret", Duration.ofMillis(100),
                Duration.ofMillis(50), Duration.ofMillis(50), 5000, 20, Duration.ofSeconds(5), Duration.ofSeconds(5), "UTC");
    }

    HeartbeatService service(AgentState state) {
        AgentProperties p = props();
        return new HeartbeatService(state, new CredentialStore(state), new MasterClient(HttpClient.newHttpClient(), p),
                new HeartbeatSchedule(p, Clock.systemUTC()), p, new SourceRegistry(), Clock.systemUTC());
    }

    static CalendarEvent.Builder event(String uid, String title) {
        return CalendarEvent.builder().uid(uid).title(title)
                .start(EventTime.ofInstant(Instant.parse("2025-06-10T07:00:00Z"), "UTC"))
                .origin(new Origin(AGENT, "src", "src", "src", "ics", "a.ics"));
    }

    void collect(AgentState state, CalendarEvent... events) {
        new ChangeCollector(state, props()).collect(List.of(ChangeBatch.parsed("src", "a.ics",
                new ChangeBatch.Fingerprint(1, System.nanoTime(), Long.toHexString(System.nanoTime())), List.of(events))));
    }

    long inventories() {
        return master.heartbeats().stream().filter(h -> h.json().has("inventory")).count();
    }

    @Test
    void valuesTheWireNormalisesGiveTheSameDigestOnBothSidesAndNoInventory() {
        try (AgentState state = AgentState.open(dir)) {
            HeartbeatService hb = service(state);
            collect(state,
                    event("empty-class", "Empty CLASS:").classification("").build(),
                    event("empty-transp", "Empty TRANSP: and STATUS:").transparency("").status("").build(),
                    event("odd-role", "Unknown attendee role").attendees(List.of(
                            new Attendee("a@example.org", "A", "X-ODD", "X-MAYBE"))).build(),
                    event("plain", "Plain").build());

            hb.runCycle();
            hb.runCycle();
            hb.runCycle();

            assertThat(master.digest(AGENT)).isEqualTo(state.<String>read(tx -> tx.digest().toString()));
            assertThat(state.<String>read(tx -> tx.ackedDigest().toString())).isEqualTo(master.digest(AGENT));
            assertThat(inventories()).isZero();
            // one batch, then one status heartbeat per cycle
            assertThat(master.heartbeats()).hasSize(3);
            assertThat(master.titles()).hasSize(4);
        }
    }

    @Test
    void aDisagreementThatRemainsCostsOneInventoryPerChangeAndIsLoggedOnce() {
        try (AgentState state = AgentState.open(dir)) {
            HeartbeatService hb = service(state);
            master.skewHashOf("u2");
            collect(state, event("u1", "One").build(), event("u2", "Two").build());

            for (int i = 0; i < 5; i++) {
                hb.runCycle();
            }

            assertThat(inventories()).isEqualTo(1);
            // the batch, the inventory, the resend of u2; then one status heartbeat per cycle
            assertThat(master.heartbeats().stream().filter(h -> h.batchId() != null)).hasSize(3);
            assertThat(master.heartbeats()).hasSize(3 + 4);
            List<String> warnings = log.list.stream().map(ILoggingEvent::getFormattedMessage)
                    .filter(m -> m.contains("still differs")).toList();
            assertThat(warnings).hasSize(1);
            assertThat(warnings.get(0)).contains("uid u2").doesNotContain("uid u1");

            // a change of the agent's set allows one more inventory, and again only one
            collect(state, event("u1", "One, renamed").build(), event("u2", "Two").build());
            for (int i = 0; i < 3; i++) {
                hb.runCycle();
            }

            assertThat(inventories()).isEqualTo(2);
            assertThat(master.titles()).containsExactly("One, renamed", "Two");
            assertThat(state.<Long>read(AgentState.Tx::outboxSize)).isZero();
        }
    }
}
