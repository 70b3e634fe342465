package io.chronoroute.agent.transport;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.chronoroute.agent.ChronorouteAgentApplication;
import io.chronoroute.agent.Ics;
import io.chronoroute.agent.source.IcsFolderSource;
import io.chronoroute.agent.state.AgentState;
import io.chronoroute.processors.bundle.Bundle;
import io.chronoroute.processors.bundle.BundleCodec;
import io.chronoroute.processors.wire.WireJson;
import org.apache.camel.CamelContext;
import org.apache.camel.test.spring.junit5.CamelSpringBootTest;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.test.context.DynamicPropertyRegistry;
import org.springframework.test.context.DynamicPropertySource;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * The whole agent with {@code chronoroute.agent.transport=file-drop} and a master URL nobody listens on: it never
 * reaches the master over HTTP and still syncs fully through bundles - events out, an {@code event_update} back into
 * its writable ICS folder, the confirmation out again - with the master's side played by {@link BundleMaster}.
 */
@CamelSpringBootTest
@SpringBootTest(classes = ChronorouteAgentApplication.class, webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class FileDropTransportTest {

    static final String AGENT = "usb-agent";
    static final String SECRET = "bundle-secret-from-the-master-0123456789ab";
    static final Duration WAIT = Duration.ofSeconds(40);
    static final Path ROOT;
    static final Path WRITABLE;
    static final Path SOURCES;
    static final Path OUTBOX;
    static final Path INBOX;
    static final Path QUARANTINE;
    static final BundleMaster MASTER = new BundleMaster(AGENT, SECRET.getBytes(StandardCharsets.UTF_8));

    static {
        try {
            ROOT = Files.createTempDirectory("chronoroute-agent-filedrop");
            WRITABLE = Files.createDirectories(ROOT.resolve("writable"));
            SOURCES = Files.createDirectories(ROOT.resolve("sources"));
            OUTBOX = ROOT.resolve("stick").resolve("inbox");
            INBOX = ROOT.resolve("stick").resolve("outbox");
            QUARANTINE = ROOT.resolve("quarantine");
            Files.writeString(SOURCES.resolve("writable.camel.yaml"), """
                    - templatedRoute:
                        routeTemplateRef: ics-folder-source
                        routeId: agent-poll-ics-writable
                        parameters:
                          - name: sourceName
                            value: writable
                          - name: folder
                            value: "%s"
                          - name: allowEventUpdates
                            value: "true"
                          - name: pollDelay
                            value: "200"
                          - name: readLockCheckInterval
                            value: "100"
                    """.formatted(WRITABLE));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    @DynamicPropertySource
    static void properties(DynamicPropertyRegistry r) {
        r.add("chronoroute.data-dir", () -> ROOT.resolve("data").toString());
        r.add("chronoroute.sources-dir", SOURCES::toString);
        r.add("chronoroute.agent.id", () -> AGENT);
        r.add("chronoroute.agent.master-url", () -> "http://127.0.0.1:1");     // never reachable
        r.add("chronoroute.agent.transport", () -> "file-drop");
        r.add("chronoroute.agent.bundle-secret", () -> SECRET);
        r.add("chronoroute.agent.bundle.outbox", OUTBOX::toString);
        r.add("chronoroute.agent.bundle.inbox", INBOX::toString);
        r.add("chronoroute.agent.bundle.quarantine", QUARANTINE::toString);
        r.add("chronoroute.agent.bundle.resend-after", () -> "3s");
        r.add("chronoroute.agent.bundle.poll-delay", () -> "200");
        r.add("chronoroute.agent.heartbeat-interval", () -> "300ms");
        r.add("chronoroute.agent.heartbeat-tick", () -> "100");
        r.add("chronoroute.agent.heartbeat-initial-delay", () -> "1000");
        r.add("chronoroute.agent.time-zone", () -> "Europe/Berlin");
    }

    @Autowired
    CamelContext camel;
    @Autowired
    AgentState state;
    @Autowired
    BundleInbox inbox;

    /** The stick travels: every bundle in the agent's outbox is carried to the master and its answer back. */
    static boolean carry() throws Exception {
        boolean any = false;
        if (!Files.isDirectory(OUTBOX)) {
            return false;
        }
        List<Path> files;
        try (Stream<Path> s = Files.list(OUTBOX)) {
            files = s.filter(p -> p.getFileName().toString().endsWith(".crb")).sorted().toList();
        }
        for (Path f : files) {
            byte[] answer = MASTER.handle(Files.readAllBytes(f));
            Files.delete(f);
            drop(f.getFileName().toString().replace(".crb", ".answer.crb"), answer);
            any = true;
        }
        return any;
    }

    static void drop(String name, byte[] data) throws IOException {
        Files.createDirectories(INBOX);
        Path tmp = ROOT.resolve(name + ".part");
        Files.write(tmp, data);
        Files.move(tmp, INBOX.resolve(name), StandardCopyOption.ATOMIC_MOVE);
    }

    static JsonNode firstBundleIn(Path dir) throws Exception {
        if (!Files.isDirectory(dir)) {
            return null; // the agent creates its outbox with the first bundle it writes
        }
        try (Stream<Path> s = Files.list(dir)) {
            Path f = s.filter(p -> p.getFileName().toString().endsWith(".crb")).findFirst().orElse(null);
            if (f == null) {
                return null;
            }
            Bundle b = BundleCodec.read(Files.readAllBytes(f), id -> Optional.of(SECRET.getBytes(StandardCharsets.UTF_8)));
            ObjectNode n = (ObjectNode) BundleMaster.JSON.readTree(b.payload());
            n.put("_seq", b.seq());
            n.put("_encrypted", b.encryption() == Bundle.Encryption.A256GCM);
            return n;
        }
    }

    @Test
    @Order(1)
    void eventsGoOutAsABundleWhichIsResentUnchangedUntilAnswered() throws Exception {
        Files.writeString(WRITABLE.resolve("team.ics"), Ics.calendar(Ics.vevent("u1", "Standup", "20250610T070000Z")));
        JsonNode[] first = new JsonNode[1];
        // status bundles that went out before the file was collected are answered (carried) on the way
        await().atMost(WAIT).until(() -> {
            first[0] = firstBundleIn(OUTBOX);
            if (first[0] != null && first[0].path("changed").size() == 1) {
                return true;
            }
            carry();
            return false;
        });
        long seq = first[0].get("_seq").asLong();
        assertThat(first[0].get("_encrypted").asBoolean()).isTrue();
        assertThat(first[0].get("batch_id").asText()).isEqualTo(AGENT + "-1");
        assertThat(first[0].get("protocol").asInt()).isEqualTo(2);
        String name = BundleTransport.fileName(AGENT, seq);
        assertThat(OUTBOX.resolve(name)).exists();
        try (Stream<Path> s = Files.list(OUTBOX)) {
            assertThat(s.map(p -> p.getFileName().toString())).containsExactly(name); // no temp file left, one bundle
        }

        // the stick leaves without an answer: after resend-after the same bundle is written again
        Files.delete(OUTBOX.resolve(name));
        await().atMost(WAIT).until(() -> Files.exists(OUTBOX.resolve(name)));
        JsonNode again = firstBundleIn(OUTBOX);
        again = ((ObjectNode) again).without("_encrypted");
        assertThat(again.get("_seq").asLong()).isEqualTo(seq);
        assertThat(again.get("batch_id").asText()).isEqualTo(AGENT + "-1");
        assertThat(again.get("timestamp")).isEqualTo(first[0].get("timestamp"));

        await().atMost(WAIT).until(() -> {
            carry();
            return MASTER.titles.containsKey("u1") && state.read(tx -> tx.outboxSize() == 0 && tx.inflight() == null);
        });
    }

    @Test
    @Order(2)
    void anUpdateQueuedOnTheMasterIsAppliedAndConfirmedThroughBundles() throws Exception {
        ObjectNode data = WireJson.mapper().createObjectNode();
        data.put("action", "create");
        data.put("source", "writable");
        ObjectNode e = data.putObject("event");
        e.put("uid", "m1@master");
        e.put("title", "From master");
        e.putObject("start").put("date_time", "2025-07-01T10:00:00+02:00").put("time_zone", "Europe/Berlin");
        e.putObject("end").put("date_time", "2025-07-01T11:00:00+02:00").put("time_zone", "Europe/Berlin");
        MASTER.queueUpdate("upd-1", "event_update", data);
        Path created = WRITABLE.resolve(IcsFolderSource.newFileName("m1@master"));

        await().atMost(WAIT).until(() -> {
            carry();
            return MASTER.confirmed.contains("upd-1") && MASTER.titles.containsKey("m1@master");
        });
        assertThat(Files.readString(created)).contains("SUMMARY:From master").contains("UID:m1@master");
        assertThat(MASTER.pending).isEmpty();
        // the confirmation was answered: nothing left to confirm
        await().atMost(WAIT).until(() -> {
            carry();
            return state.read(tx -> tx.meta(BundleConfirmations.KEY)) == null;
        });
        // sequence numbers only grow, one bundle per answer round
        assertThat(MASTER.seqs).isSorted();
    }

    @Test
    @Order(3)
    void forgedAndStaleAnswersAreNotApplied() throws Exception {
        long quarantinedBefore = inbox.quarantinedCount();
        byte[] forged = BundleCodec.write(new Bundle(AGENT, 99, Instant.now(), Bundle.Kind.ANSWER,
                Bundle.Encryption.NONE, "{\"status\":200,\"body\":{\"ack\":null,\"pending_updates\":[]}}"
                .getBytes(StandardCharsets.UTF_8)), "somebody-elses-secret-0123456789".getBytes(StandardCharsets.UTF_8));
        drop("forged.answer.crb", forged);
        drop("truncated.answer.crb", new byte[] {'C', 'R', 'B', 'F', 0, 0, 0, 10});
        await().atMost(WAIT).until(() -> inbox.quarantinedCount() == quarantinedBefore + 2);
        try (Stream<Path> s = Files.list(QUARANTINE)) {
            List<String> reasons = s.filter(p -> p.toString().endsWith(".reason.txt")).map(p -> {
                try {
                    return BundleMaster.JSON.readTree(Files.readString(p)).path("reason").asText();
                } catch (IOException ex) {
                    throw new UncheckedIOException(ex);
                }
            }).sorted().toList();
            assertThat(reasons).containsExactly("BAD_SIGNATURE", "TRUNCATED");
        }
        long staleBefore = inbox.staleCount();
        drop("stale.answer.crb", BundleCodec.write(new Bundle(AGENT, 1, Instant.now(), Bundle.Kind.ANSWER,
                Bundle.Encryption.NONE, "{\"status\":200,\"body\":{}}".getBytes(StandardCharsets.UTF_8)),
                SECRET.getBytes(StandardCharsets.UTF_8)));
        await().atMost(WAIT).until(() -> inbox.staleCount() == staleBefore + 1);
        assertThat(camel.getRoute("agent-poll-airgap-inbox")).isNotNull();
    }
}
