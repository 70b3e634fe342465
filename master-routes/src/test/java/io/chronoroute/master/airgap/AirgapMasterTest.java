package io.chronoroute.master.airgap;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.icegreen.greenmail.util.GreenMail;
import com.icegreen.greenmail.util.ServerSetup;
import com.icegreen.greenmail.util.ServerSetupTest;
import io.chronoroute.master.ChronorouteMasterApplication;
import io.chronoroute.master.store.AgentUpdate;
import io.chronoroute.master.store.MasterStore;
import io.chronoroute.processors.bundle.Bundle;
import io.chronoroute.processors.bundle.BundleCodec;
import io.micrometer.core.instrument.MeterRegistry;
import jakarta.mail.Message;
import jakarta.mail.Multipart;
import jakarta.mail.Part;
import jakarta.mail.Session;
import jakarta.mail.internet.InternetAddress;
import jakarta.mail.internet.MimeBodyPart;
import jakarta.mail.internet.MimeMessage;
import jakarta.mail.internet.MimeMultipart;
import jakarta.mail.util.ByteArrayDataSource;
import jakarta.activation.DataHandler;
import org.apache.camel.test.spring.junit5.CamelSpringBootTest;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.boot.test.web.server.LocalServerPort;
import org.springframework.test.context.DynamicPropertyRegistry;
import org.springframework.test.context.DynamicPropertySource;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * The master with both air-gap pollers instantiated from the shipped YAML templates (a file inbox, and an IMAP
 * mailbox on GreenMail), the agent's side played by the test with {@link BundleCodec}: heartbeats in by file drop and
 * by SMTP, answers back into the outbox folder and by mail, bundles out of order, twice and corrupted.
 */
@CamelSpringBootTest
@SpringBootTest(classes = ChronorouteMasterApplication.class, webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT,
        properties = "chronoroute.routes-dir=" + AirgapMasterTest.ROUTES_DIR)
class AirgapMasterTest {

    /** The operator routes folder (read before dynamic properties exist, so a fixed path). */
    static final String ROUTES_DIR = "target/airgap-routes";

    static final String ADMIN = "admin-token-for-airgap-tests-0123";
    static final ObjectMapper JSON = new ObjectMapper();
    static final Duration WAIT = Duration.ofSeconds(30);
    static final Path ROOT;
    static final Path INBOX;
    static final Path ROUTES;
    static final GreenMail MAIL;

    static {
        try {
            ROOT = Files.createTempDirectory("chronoroute-airgap-master");
            INBOX = Files.createDirectories(ROOT.resolve("inbox"));
            ROUTES = Files.createDirectories(Path.of(ROUTES_DIR));
            MAIL = new GreenMail(ServerSetup.dynamicPort(ServerSetupTest.SMTP_IMAP));
            MAIL.start();
            MAIL.setUser("master@chronoroute.test", "master", "master-pw");
            MAIL.setUser("agent@chronoroute.test", "agent", "agent-pw");
            // the shipped examples, as an operator would drop them into the routes folder
            Path examples = Path.of("..", "src-routes-yaml", "examples", "master");
            Files.copy(examples.resolve("airgap-file-inbox.camel.yaml"), ROUTES.resolve("airgap-file-inbox.camel.yaml"),
                    StandardCopyOption.REPLACE_EXISTING);
            Files.copy(examples.resolve("airgap-imap-inbox.camel.yaml"), ROUTES.resolve("airgap-imap-inbox.camel.yaml"),
                    StandardCopyOption.REPLACE_EXISTING);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    @DynamicPropertySource
    static void props(DynamicPropertyRegistry r) {
        r.add("chronoroute.data-dir", () -> ROOT.resolve("data").toString());
        r.add("chronoroute.admin-token", () -> ADMIN);
        r.add("chronoroute.feed-token", () -> "feed-token-for-airgap-tests-0123");
        r.add("chronoroute.enrollment-secret", () -> "enroll-secret-for-airgap-tests-0123");
        r.add("chronoroute.airgap.file-inbox", INBOX::toString);
        r.add("chronoroute.airgap.outbox", () -> ROOT.resolve("outbox").toString());
        r.add("chronoroute.airgap.quarantine", () -> ROOT.resolve("quarantine").toString());
        r.add("chronoroute.airgap.mail.imap-protocol", () -> "imap");
        r.add("chronoroute.airgap.mail.imap-host", () -> "127.0.0.1");
        r.add("chronoroute.airgap.mail.imap-port", () -> MAIL.getImap().getPort());
        r.add("chronoroute.airgap.mail.imap-user", () -> "master");
        r.add("chronoroute.airgap.mail.imap-password", () -> "master-pw");
        r.add("chronoroute.airgap.mail.poll-delay", () -> "200");
        r.add("chronoroute.airgap.mail.smtp-uri", () -> "smtp://127.0.0.1:" + MAIL.getSmtp().getPort()
                + "?username=master&password=master-pw");
        r.add("chronoroute.airgap.mail.from", () -> "master@chronoroute.test");
    }

    @AfterAll
    static void stopMail() {
        MAIL.stop();
    }

    @LocalServerPort
    int port;
    @Autowired
    MasterStore store;
    @Autowired
    AirgapService service;
    @Autowired
    MeterRegistry meters;

    final HttpClient http = HttpClient.newHttpClient();

    // ------------------------------------------------------------------ e-mail round trip

    @Test
    void mailRoundTripIngestsAnswersAndTakesTheConfirmationBack() throws Exception {
        String agent = "mail-agent";
        byte[] secret = provision(agent, "agent@chronoroute.test");
        JsonNode queued = post("/sync/agents/" + agent + "/receive-updates", ADMIN, """
                [{"type":"event_update","data":{"action":"create","source":"team","event":%s}}]"""
                .formatted(event("upd-1", "From the master", "2025-07-01T10:00:00").toString()));
        String updateId = queued.get("update_ids").get(0).asText();

        mailToMaster(agent, bundle(agent, 1, heartbeat(agent + "-1", List.of(event("mail-ev-1", "By mail",
                "2025-06-10T09:00:00")), null), secret, Bundle.Encryption.A256GCM));
        JsonNode answer = awaitAnswerMail(agent, 1, secret);
        assertThat(answer.get("status").asInt()).isEqualTo(200);
        assertThat(answer.at("/body/ack").asText()).isEqualTo(agent + "-1");
        assertThat(answer.at("/body/applied/upserted").asInt()).isEqualTo(1);
        assertThat(answer.at("/body/pending_updates/0/id").asText()).isEqualTo(updateId);
        assertThat(store.observationCount(agent)).isEqualTo(1);

        ObjectNode hb2 = heartbeat(null, List.of(), "processed");
        hb2.putArray("processed").addObject().put("update_id", updateId);
        mailToMaster(agent, bundle(agent, 2, hb2, secret, Bundle.Encryption.NONE));
        JsonNode answer2 = awaitAnswerMail(agent, 2, secret);
        assertThat(answer2.at("/processed/0/status").asInt()).isEqualTo(200);
        assertThat(answer2.at("/body/pending_updates").size()).isZero();
        assertThat(store.findUpdate(agent, updateId).orElseThrow().status()).isEqualTo(AgentUpdate.PROCESSED);
    }

    @Test
    void mailWithAForgedBundleIsFlaggedAndMovedNotDeleted() throws Exception {
        String agent = "mail-forger";
        provision(agent, "agent@chronoroute.test");
        byte[] wrong = "a-completely-different-secret-0123456789".getBytes(StandardCharsets.UTF_8);
        double before = counter("quarantined");
        mailToMaster(agent, bundle(agent, 1, heartbeat(agent + "-1", List.of(), null), wrong, Bundle.Encryption.NONE));
        await().atMost(WAIT).untilAsserted(() -> assertThat(counter("quarantined")).isGreaterThan(before));
        await().atMost(WAIT).untilAsserted(() -> {
            var store = MAIL.getManagers().getImapHostManager().getStore();
            var user = MAIL.getManagers().getUserManager().getUser("master");
            var folder = MAIL.getManagers().getImapHostManager().getFolder(user, "Quarantine");
            assertThat(folder).isNotNull();
            assertThat(folder.getMessageCount()).isGreaterThanOrEqualTo(1);
            assertThat(store).isNotNull();
        });
        assertThat(service.lastApplied(agent)).isZero();
    }

    // ------------------------------------------------------------------ file drop

    @Test
    void fileDropOutOfOrderTwiceAndCorrupted() throws Exception {
        String agent = "usb-agent";
        byte[] secret = provision(agent, null);
        byte[] b1 = bundle(agent, 1, heartbeat(agent + "-1", List.of(event("usb-a", "A v1", "2025-06-10T09:00:00")),
                null), secret, Bundle.Encryption.A256GCM);
        byte[] b2 = bundle(agent, 2, heartbeat(agent + "-2", List.of(event("usb-b", "B v1", "2025-06-11T09:00:00")),
                null), secret, Bundle.Encryption.NONE);
        ObjectNode hb3 = heartbeat(agent + "-3", List.of(event("usb-b", "B v2", "2025-06-11T09:00:00")), null);
        byte[] b3 = bundle(agent, 3, hb3, secret, Bundle.Encryption.A256GCM);
        byte[] b4 = bundle(agent, 4, heartbeat(agent + "-4", List.of(event("usb-b", "B v3", "2025-06-11T09:00:00")),
                null), secret, Bundle.Encryption.NONE);

        drop("usb-agent-003.crb", b3);
        await().atMost(WAIT).until(() -> service.parked(agent).equals(List.of(3L)));
        assertThat(service.lastApplied(agent)).isZero();
        drop("usb-agent-004.crb", b4);
        await().atMost(WAIT).until(() -> service.parked(agent).equals(List.of(3L, 4L)));
        drop("usb-agent-001.crb", b1);
        await().atMost(WAIT).until(() -> service.lastApplied(agent) == 1);
        drop("usb-agent-001-copy.crb", b1);                          // the same bundle twice
        drop("usb-agent-003-again.crb", bundle(agent, 3, hb3, secret, Bundle.Encryption.NONE)); // re-sent: same payload
        awaitInboxEmpty();
        assertThat(service.lastApplied(agent)).isEqualTo(1);
        drop("usb-agent-002.crb", b2);                               // fills the gap: 2, 3, 4 in order
        await().atMost(WAIT).until(() -> service.lastApplied(agent) == 4);
        assertThat(service.parked(agent)).isEmpty();
        assertThat(titleOf(agent, "usb-b")).isEqualTo("B v3");
        assertThat(store.observationCount(agent)).isEqualTo(2);

        // the answers: one per applied bundle, in the agent's outbox folder, each acknowledging its batch
        Path out = ROOT.resolve("outbox").resolve(agent);
        await().atMost(WAIT).until(() -> Files.exists(out.resolve(AirgapService.fileName(agent, 4))));
        for (int s = 1; s <= 4; s++) {
            Bundle a = BundleCodec.read(Files.readAllBytes(out.resolve(AirgapService.fileName(agent, s))),
                    id -> Optional.of(secret));
            assertThat(a.kind()).isEqualTo(Bundle.Kind.ANSWER);
            assertThat(a.seq()).isEqualTo(s);
            JsonNode env = JSON.readTree(a.payload());
            assertThat(env.at("/body/ack").asText()).isEqualTo(agent + "-" + s);
        }
        try (Stream<Path> tmp = Files.list(out)) {
            assertThat(tmp.map(p -> p.getFileName().toString())).allMatch(n -> n.endsWith(".answer.crb"));
        }

        // corrupted and hostile input
        byte[] b5 = bundle(agent, 5, heartbeat(agent + "-5", List.of(event("usb-c", "C", "2025-06-12T09:00:00")),
                null), secret, Bundle.Encryption.NONE);
        byte[] tampered = b5.clone();
        tampered[tampered.length - 40] ^= 0x01;
        byte[] truncated = Arrays.copyOf(b5, b5.length - 10);
        byte[] forged = bundle(agent, 5, heartbeat(agent + "-5", List.of(), null),
                "the-wrong-key-of-an-attacker-0123456".getBytes(StandardCharsets.UTF_8), Bundle.Encryption.NONE);
        byte[] unknown = bundle("nobody", 1, heartbeat("nobody-1", List.of(), null), secret, Bundle.Encryption.NONE);
        byte[] replayed = bundle(agent, 2, heartbeat(agent + "-2", List.of(event("usb-b", "B evil",
                "2025-06-11T09:00:00")), null), secret, Bundle.Encryption.NONE);
        byte[] unsigned = "just some file that is not a bundle".getBytes(StandardCharsets.UTF_8);
        Map<String, byte[]> bad = Map.of("tampered.crb", tampered, "truncated.crb", truncated, "forged.crb", forged,
                "unknown.crb", unknown, "replayed.crb", replayed, "unsigned.crb", unsigned);
        double quarantinedBefore = counter("quarantined");
        for (Map.Entry<String, byte[]> e : bad.entrySet()) {
            drop(e.getKey(), e.getValue());
        }
        awaitInboxEmpty();
        Map<String, String> reasons = reasonsInQuarantine();
        assertThat(reasons).containsEntry("tampered.crb", "BAD_SIGNATURE")
                .containsEntry("truncated.crb", "TRUNCATED")
                .containsEntry("forged.crb", "BAD_SIGNATURE")
                .containsEntry("unknown.crb", "UNKNOWN_AGENT")
                .containsEntry("replayed.crb", "REPLAYED")
                .containsEntry("unsigned.crb", "MALFORMED");
        assertThat(counter("quarantined") - quarantinedBefore).isEqualTo(6);
        assertThat(service.lastApplied(agent)).isEqualTo(4);
        assertThat(titleOf(agent, "usb-b")).isEqualTo("B v3");
        assertThat(store.observationCount(agent)).isEqualTo(2);

        // nothing else affected: the good bundle 5 still goes through
        drop("usb-agent-005.crb", b5);
        await().atMost(WAIT).until(() -> service.lastApplied(agent) == 5);
        assertThat(store.observationCount(agent)).isEqualTo(3);

        JsonNode status = get("/sync/airgap/status", ADMIN);
        assertThat(status.at("/bundles_since_start/quarantined").asLong()).isGreaterThanOrEqualTo(6);
        assertThat(status.at("/bundles_since_start/duplicate").asLong()).isGreaterThanOrEqualTo(2);
        assertThat(status.at("/bundles_since_start/parked").asLong()).isGreaterThanOrEqualTo(2);
        assertThat(status.at("/quarantined_by_reason/REPLAYED").asLong()).isGreaterThanOrEqualTo(1);
        assertThat(counter("duplicate")).isGreaterThanOrEqualTo(2);
        assertThat(Files.exists(INBOX.resolve(".done").resolve("usb-agent-002.crb"))).isTrue();
    }

    @Test
    void provisioningNeedsTheAdminTokenAndRotationInvalidatesTheOldSecret() throws Exception {
        HttpResponse<String> r = http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port
                + "/sync/agents/rot-agent/airgap")).POST(HttpRequest.BodyPublishers.noBody()).build(),
                HttpResponse.BodyHandlers.ofString());
        assertThat(r.statusCode()).isEqualTo(401);
        assertThat(get("/sync/airgap/status", null)).isNull();
        byte[] old = provision("rot-agent", null);
        byte[] current = provision("rot-agent", null);
        assertThat(current).isNotEqualTo(old);
        drop("rot-old.crb", bundle("rot-agent", 1, heartbeat("rot-agent-1", List.of(), null), old,
                Bundle.Encryption.NONE));
        drop("rot-new.crb", bundle("rot-agent", 1, heartbeat("rot-agent-1", List.of(), null), current,
                Bundle.Encryption.NONE));
        awaitInboxEmpty();
        await().atMost(WAIT).until(() -> service.lastApplied("rot-agent") == 1);
        assertThat(reasonsInQuarantine()).containsEntry("rot-old.crb", "BAD_SIGNATURE");
        // the secret is stored encrypted, never in clear
        String stored = store.getSetting("airgap.secret.rot-agent").orElseThrow();
        assertThat(stored).startsWith("v1:").doesNotContain(new String(current, StandardCharsets.UTF_8));
    }

    // ------------------------------------------------------------------ helpers

    byte[] provision(String agent, String email) throws Exception {
        JsonNode r = post("/sync/agents/" + agent + "/airgap", ADMIN, email == null ? "{}"
                : "{\"email\":\"" + email + "\",\"time_zone\":\"Europe/Berlin\"}");
        assertThat(r.get("bundle_secret").asText()).hasSize(43);
        return r.get("bundle_secret").asText().getBytes(StandardCharsets.UTF_8);
    }

    static ObjectNode event(String uid, String title, String start) {
        ObjectNode e = JSON.createObjectNode();
        e.put("uid", uid);
        e.put("title", title);
        e.putObject("start").put("date_time", start).put("time_zone", "Europe/Berlin");
        e.putObject("end").put("date_time", start.replace("T09", "T10").replace("T10:00", "T11:00"))
                .put("time_zone", "Europe/Berlin");
        e.put("source", "team");
        e.put("last_modified", "2025-06-01T10:00:00Z");
        return e;
    }

    static ObjectNode heartbeat(String batchId, List<ObjectNode> changed, String unused) {
        ObjectNode hb = JSON.createObjectNode();
        hb.put("timestamp", Instant.now().toString());
        hb.put("status", "active");
        hb.put("protocol", 2);
        if (batchId != null) {
            hb.put("batch_id", batchId);
        }
        ArrayNode c = hb.putArray("changed");
        changed.forEach(c::add);
        hb.putArray("deleted");
        return hb;
    }

    @Test
    void emptyAndOversizedFilesAreQuarantinedUnreadAndTheInboxKeepsFlowing() throws Exception {
        String agent = "big-file-agent";
        byte[] secret = provision(agent, null);
        // 2 GB, sparse (no disk used): read whole, it would take the heap, and the poller with it
        Path huge = ROOT.resolve("huge.crb.part");
        try (java.io.RandomAccessFile f = new java.io.RandomAccessFile(huge.toFile(), "rw")) {
            f.setLength(2L << 30);
        }
        Files.move(huge, INBOX.resolve("huge.crb"), StandardCopyOption.ATOMIC_MOVE);
        drop("empty.crb", new byte[0]);
        drop("big-file-agent-001.crb", bundle(agent, 1, heartbeat(agent + "-1", List.of(event("bf-a", "A",
                "2025-06-10T09:00:00")), null), secret, Bundle.Encryption.NONE));
        await().atMost(WAIT).until(() -> service.lastApplied(agent) == 1);
        awaitInboxEmpty();
        Map<String, String> reasons = reasonsInQuarantine();
        assertThat(reasons).containsEntry("huge.crb", "TOO_LARGE").containsEntry("empty.crb", "EMPTY");
        try (Stream<Path> q = Files.list(ROOT.resolve("quarantine"))) {
            // moved whole, not read into memory and written back
            assertThat(q.filter(p -> p.getFileName().toString().endsWith("-huge.crb")).findFirst().orElseThrow()
                    .toFile().length()).isEqualTo(2L << 30);
        }
        // no lock left behind, and the next bundle is applied as usual
        try (Stream<Path> s = Files.list(INBOX)) {
            assertThat(s.map(p -> p.getFileName().toString())).noneMatch(n -> n.endsWith(".camelLock"));
        }
        drop("big-file-agent-002.crb", bundle(agent, 2, heartbeat(agent + "-2", List.of(event("bf-b", "B",
                "2025-06-11T09:00:00")), null), secret, Bundle.Encryption.NONE));
        await().atMost(WAIT).until(() -> service.lastApplied(agent) == 2);
        assertThat(store.observationCount(agent)).isEqualTo(2);
    }

    static byte[] bundle(String agent, long seq, JsonNode payload, byte[] secret, Bundle.Encryption enc) {
        return BundleCodec.write(new Bundle(agent, seq, Instant.now(), Bundle.Kind.HEARTBEAT, enc,
                payload.toString().getBytes(StandardCharsets.UTF_8)), secret);
    }

    static void drop(String name, byte[] data) throws IOException {
        Path tmp = ROOT.resolve(name + ".part");
        Files.write(tmp, data);
        Files.move(tmp, INBOX.resolve(name), StandardCopyOption.ATOMIC_MOVE);
    }

    static void awaitInboxEmpty() {
        await().atMost(WAIT).until(() -> {
            try (Stream<Path> s = Files.list(INBOX)) {
                return s.noneMatch(p -> p.getFileName().toString().endsWith(".crb"));
            }
        });
    }

    static Map<String, String> reasonsInQuarantine() throws IOException {
        Map<String, String> out = new java.util.HashMap<>();
        try (Stream<Path> s = Files.list(ROOT.resolve("quarantine"))) {
            for (Path p : s.filter(p -> p.getFileName().toString().endsWith(".reason.txt")).toList()) {
                JsonNode r = JSON.readTree(Files.readString(p));
                String source = r.path("source").asText();
                out.put(source, r.path("reason").asText());
                assertThat(Files.exists(p.resolveSibling(p.getFileName().toString().replace(".reason.txt", ""))))
                        .isTrue();
                assertThat(r.has("time")).isTrue();
            }
        }
        return out;
    }

    String titleOf(String agent, String uid) throws Exception {
        JsonNode events = get("/sync/events?agent_id=" + agent, ADMIN).get("events");
        for (JsonNode e : events) {
            if (uid.equals(e.path("uid").asText())) {
                return e.path("title").asText();
            }
        }
        return null;
    }

    double counter(String result) {
        var c = meters.find("chronoroute.airgap.bundles").tag("result", result).counter();
        return c == null ? 0 : c.count();
    }

    void mailToMaster(String agent, byte[] bundle) throws Exception {
        java.util.Properties p = new java.util.Properties();
        p.put("mail.smtp.host", "127.0.0.1");
        p.put("mail.smtp.port", Integer.toString(MAIL.getSmtp().getPort()));
        Session session = Session.getInstance(p);
        MimeMessage m = new MimeMessage(session);
        m.setFrom(new InternetAddress("agent@chronoroute.test"));
        m.setRecipient(Message.RecipientType.TO, new InternetAddress("master@chronoroute.test"));
        m.setSubject("Chronoroute heartbeat " + agent);
        MimeBodyPart text = new MimeBodyPart();
        text.setText("bundle attached");
        MimeBodyPart att = new MimeBodyPart();
        att.setDataHandler(new DataHandler(new ByteArrayDataSource(bundle, "application/octet-stream")));
        att.setFileName(agent + ".crb");
        MimeMultipart mp = new MimeMultipart();
        mp.addBodyPart(text);
        mp.addBodyPart(att);
        m.setContent(mp);
        m.saveChanges();
        jakarta.mail.Transport.send(m);
    }

    JsonNode awaitAnswerMail(String agent, long seq, byte[] secret) {
        List<JsonNode> found = new ArrayList<>();
        await().atMost(WAIT).untilAsserted(() -> {
            found.clear();
            for (MimeMessage m : MAIL.getReceivedMessagesForDomain("agent@chronoroute.test")) {
                if (!Arrays.stream(m.getAllRecipients()).anyMatch(a -> a.toString().contains("agent@"))) {
                    continue;
                }
                for (byte[] att : attachments(m)) {
                    Bundle b = BundleCodec.read(att, id -> Optional.of(secret));
                    if (b.agentId().equals(agent) && b.seq() == seq && b.kind() == Bundle.Kind.ANSWER) {
                        found.add(JSON.readTree(b.payload()));
                    }
                }
            }
            assertThat(found).isNotEmpty();
        });
        return found.get(0);
    }

    static List<byte[]> attachments(MimeMessage m) throws Exception {
        List<byte[]> out = new ArrayList<>();
        if (m.getContent() instanceof Multipart mp) {
            for (int i = 0; i < mp.getCount(); i++) {
                var part = mp.getBodyPart(i);
                if (Part.ATTACHMENT.equalsIgnoreCase(part.getDisposition()) || (part.getFileName() != null
                        && part.getFileName().endsWith(".crb"))) {
                    try (InputStream in = part.getInputStream()) {
                        out.add(in.readAllBytes());
                    }
                }
            }
        }
        return out;
    }

    JsonNode post(String path, String token, String body) throws Exception {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path))
                .header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString(body));
        if (token != null) {
            b.header("Authorization", "Bearer " + token);
        }
        HttpResponse<String> r = http.send(b.build(), HttpResponse.BodyHandlers.ofString());
        assertThat(r.statusCode()).as(r.body()).isBetween(200, 201);
        return JSON.readTree(r.body());
    }

    JsonNode get(String path, String token) throws Exception {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path)).GET();
        if (token != null) {
            b.header("Authorization", "Bearer " + token);
        }
        HttpResponse<String> r = http.send(b.build(), HttpResponse.BodyHandlers.ofString());
        if (r.statusCode() != 200) {
            return null;
        }
        return JSON.readTree(r.body());
    }
}
