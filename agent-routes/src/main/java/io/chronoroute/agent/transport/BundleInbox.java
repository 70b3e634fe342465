package io.chronoroute.agent.transport;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.chronoroute.agent.heartbeat.HeartbeatService;
import io.chronoroute.agent.heartbeat.MasterClient.Answer;
import io.chronoroute.processors.bundle.Bundle;
import io.chronoroute.processors.bundle.BundleCodec;
import io.chronoroute.processors.bundle.BundleException;
import io.chronoroute.processors.wire.WireJson;
import jakarta.activation.DataHandler;
import org.apache.camel.Body;
import org.apache.camel.Exchange;
import org.apache.camel.Header;
import org.apache.camel.Message;
import org.apache.camel.attachment.AttachmentMessage;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The return path of the air-gap transports: answer bundles from the inbox folder (file drop) or the agent's mailbox
 * (e-mail), verified with the agent's secret ({@link BundleCodec}), and - when they answer the outstanding bundle -
 * applied by {@link HeartbeatService#applyAnswer} exactly like an HTTP answer. The updates they carry go to
 * {@code direct:agent-apply-update} (the route splits the returned list). Rejected bundles are copied to the
 * quarantine folder with {@code <name>.reason.txt}; a mail with one is moved to the quarantine mail folder.
 * An answer to another sequence (a stale copy) is ignored.
 */
public class BundleInbox {

    /** Exchange property: the quarantine mail folder. */
    public static final String QUARANTINE_FOLDER = "ChronorouteAirgapQuarantineFolder";
    private static final Logger LOG = LoggerFactory.getLogger(BundleInbox.class);
    private static final ObjectMapper JSON = WireJson.mapper();
    private static final DateTimeFormatter STAMP = DateTimeFormatter.ofPattern("yyyyMMdd'T'HHmmss.SSS'Z'")
            .withZone(ZoneOffset.UTC);

    private final String agentId;
    private final byte[] secret;
    private final BundleTransport transport;
    private final HeartbeatService heartbeats;
    private final Path quarantine;
    private final Clock clock;
    private final AtomicLong applied = new AtomicLong();
    private final AtomicLong quarantined = new AtomicLong();
    private final AtomicLong stale = new AtomicLong();

    public BundleInbox(String agentId, byte[] secret, BundleTransport transport, HeartbeatService heartbeats,
                       Path quarantine, Clock clock) {
        this.agentId = agentId;
        this.secret = secret.clone();
        this.transport = transport;
        this.heartbeats = heartbeats;
        this.quarantine = quarantine;
        this.clock = clock;
    }

    /** One file of the inbox folder (the consumer deletes it afterwards). */
    public List<JsonNode> receiveFile(@Body byte[] data, @Header(Exchange.FILE_NAME_ONLY) String name) {
        List<JsonNode> updates = new ArrayList<>();
        receive(data, name, updates);
        return updates;
    }

    /** One mail: each {@code *.crb} attachment is an answer bundle. */
    public List<JsonNode> receiveMail(Exchange exchange) throws IOException {
        Message in = exchange.getMessage();
        String label = "mail " + in.getHeader("Message-ID", String.class);
        List<JsonNode> updates = new ArrayList<>();
        boolean bad = false;
        boolean any = false;
        AttachmentMessage am = exchange.getMessage(AttachmentMessage.class);
        Map<String, DataHandler> attachments = am == null ? null : am.getAttachments();
        if (attachments != null) {
            for (Map.Entry<String, DataHandler> a : attachments.entrySet()) {
                if (a.getKey().endsWith(".crb")) {
                    any = true;
                    try (InputStream s = a.getValue().getInputStream()) {
                        bad |= !receive(s.readAllBytes(), label + " / " + a.getKey(), updates);
                    }
                }
            }
        }
        if (!any) {
            bad = true;
            quarantine(new byte[0], label, "NO_BUNDLE", "the mail has no *.crb attachment");
        }
        if (bad) {
            in.setHeader("moveTo", exchange.getProperty(QUARANTINE_FOLDER, "Quarantine", String.class));
        }
        return updates;
    }

    /** False when the bundle was quarantined. */
    synchronized boolean receive(byte[] data, String source, List<JsonNode> updates) {
        Bundle b;
        try {
            b = BundleCodec.read(data, id -> agentId.equals(id) ? Optional.of(secret) : Optional.empty());
        } catch (BundleException e) {
            quarantine(data, source, e.reason().name(), e.getMessage());
            return false;
        }
        if (b.kind() != Bundle.Kind.ANSWER) {
            quarantine(data, source, "WRONG_KIND", "a " + b.kind().wireName() + " bundle in the agent's inbox");
            return false;
        }
        BundleTransport.Outstanding o = transport.outstanding();
        if (o == null || o.seq() != b.seq()) {
            stale.incrementAndGet();
            LOG.info("Answer bundle {} (seq {}) ignored: {}", source, b.seq(), o == null ? "no bundle is waiting for an "
                    + "answer" : "the bundle waiting for an answer is seq " + o.seq());
            return true;
        }
        JsonNode env;
        try {
            env = JSON.readTree(b.payload());
        } catch (IOException e) {
            quarantine(data, source, "MALFORMED", "answer payload is not JSON");
            return false;
        }
        JsonNode body = env.get("body");
        Answer answer = new Answer(env.path("status").asInt(0), body != null && body.isObject() ? body : null,
                b.payload().length);
        updates.addAll(heartbeats.applyAnswer(o.batchId(), answer));
        transport.answered(o);
        applied.incrementAndGet();
        LOG.info("Answer bundle {} (seq {}, HTTP {}) applied; {} update(s) from the master", source, b.seq(),
                answer.status(), updates.size());
        return true;
    }

    private void quarantine(byte[] data, String source, String reason, String detail) {
        quarantined.incrementAndGet();
        String base = STAMP.format(clock.instant()) + "-" + source.replaceAll("[^A-Za-z0-9._-]", "_");
        try {
            Files.createDirectories(quarantine);
            Files.write(quarantine.resolve(base), data);
            ObjectNode r = JSON.createObjectNode();
            r.put("reason", reason);
            r.put("detail", detail);
            r.put("agent_id", agentId);
            r.put("source", source);
            r.put("time", clock.instant().toString());
            Files.writeString(quarantine.resolve(base + ".reason.txt"), r.toPrettyString(), StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write to the quarantine folder " + quarantine, e);
        }
        LOG.warn("Answer bundle {} quarantined: {}: {}", source, reason, detail);
    }

    public long appliedCount() {
        return applied.get();
    }

    public long quarantinedCount() {
        return quarantined.get();
    }

    public long staleCount() {
        return stale.get();
    }

    public Path quarantineFolder() {
        return quarantine;
    }
}
