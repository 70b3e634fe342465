package io.chronoroute.master.airgap;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.chronoroute.master.config.ChronorouteProperties;
import io.chronoroute.master.rest.ErrorResponder;
import io.chronoroute.master.security.SecurityHeaders;
import io.chronoroute.master.store.AgentRecord;
import io.chronoroute.master.store.MasterStore;
import io.chronoroute.processors.bundle.Bundle;
import io.chronoroute.processors.bundle.BundleCodec;
import io.chronoroute.processors.bundle.BundleException;
import io.micrometer.core.instrument.MeterRegistry;
import org.apache.camel.Body;
import org.apache.camel.CamelContext;
import org.apache.camel.Exchange;
import org.apache.camel.Header;
import org.apache.camel.ProducerTemplate;
import org.apache.camel.support.DefaultExchange;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.beans.factory.ObjectProvider;
import org.springframework.stereotype.Component;

import java.io.File;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import java.util.stream.Stream;

/**
 * The master's air-gap pipeline (docs/air-gap.md): every bundle that arrives (file inbox, IMAP) is verified with
 * {@link BundleCodec}, classified against the agent's sequence, parked durably and then applied in sequence order
 * through the very route HTTP heartbeats take ({@code direct:master-ingest-heartbeat}, with the headers the REST
 * route sets). Each applied bundle is answered with an answer bundle carrying the HTTP answer JSON, sent back the
 * way the heartbeat came ({@code direct:master-airgap-send-answer}).
 *
 * <h2>Outcomes ({@code chronoroute.airgap.bundles{result}})</h2>
 * {@code applied} - ingested (its answer sent); {@code parked} - verified, waiting for a missing earlier sequence;
 * {@code duplicate} - a sequence already applied or parked with the same payload: acknowledged and ignored (the
 * answer is sent again when it is the last applied one); {@code quarantined} - rejected, the file (or the mail's
 * attachment) copied to the quarantine folder with {@code <name>.reason.txt}; reasons are the codec's
 * ({@code MALFORMED, TRUNCATED, UNSUPPORTED_VERSION, UNKNOWN_AGENT, BAD_SIGNATURE, DECRYPTION_FAILED}) plus
 * {@code REPLAYED} (an old sequence with other content, or one no longer known), {@code WRONG_KIND} (an answer
 * bundle sent to the master), {@code TOO_LARGE}, {@code EMPTY} (0 bytes) and {@code NO_BUNDLE} (a mail without a bundle attachment).
 *
 * <h2>Payload extension</h2>
 * The heartbeat payload is the HTTP heartbeat body, plus an optional {@code "processed":[{"update_id","success",
 * "permanent","error"}]} - the confirmations an HTTP agent sends with {@code POST .../updates/{id}/processed}. They
 * are applied first (through {@code direct:master-ack-agent-update}), then the field is removed and the body
 * ingested through {@code direct:master-ingest-agent}: the routes an HTTP agent's calls take once authenticated.
 * The answer payload: {@code {"status":<HTTP status>,"body":<the HTTP answer JSON>,"processed":[{"update_id",
 * "status"}]}}.
 */
@Component("airgapService")
public class AirgapService {

    public static final String CHANNEL_FILE = "file";
    public static final String CHANNEL_MAIL = "mail";
    public static final String H_CHANNEL = "ChronorouteAirgapChannel";
    public static final String H_AGENT = "ChronorouteAirgapAgent";
    public static final String H_REPLY_TO = "ChronorouteAirgapReplyTo";
    public static final String H_SEQ = "ChronorouteAirgapSeq";

    private static final Logger LOG = LoggerFactory.getLogger(AirgapService.class);
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final DateTimeFormatter STAMP = DateTimeFormatter.ofPattern("yyyyMMdd'T'HHmmss.SSS'Z'")
            .withZone(ZoneOffset.UTC);

    private final AirgapAgents agents;
    private final MasterStore store;
    private final AirgapSequences sequences;
    private final AirgapProperties props;
    private final CamelContext camel;
    private final Clock clock;
    private final Path quarantine;
    private final Path outbox;
    private final MeterRegistry meters;
    private final Map<String, AtomicLong> results = new ConcurrentHashMap<>();
    private final Map<String, AtomicLong> reasons = new ConcurrentHashMap<>();
    private final Map<String, Object> locks = new ConcurrentHashMap<>();
    private volatile ProducerTemplate producer;

    public AirgapService(AirgapAgents agents, MasterStore store, AirgapSequences sequences, AirgapProperties props,
                         ChronorouteProperties master, CamelContext camel, Clock clock,
                         ObjectProvider<MeterRegistry> meters) {
        this.agents = agents;
        this.store = store;
        this.sequences = sequences;
        this.props = props;
        this.camel = camel;
        this.clock = clock;
        this.quarantine = props.quarantineOr(master.dataDir());
        this.outbox = props.outboxOr(master.dataDir());
        this.meters = meters.getIfAvailable();
    }

    /** What happened to one received bundle (for the log, the poller routes and tests). */
    public record Received(String result, String reason, String agentId, Long seq, String source) {
    }

    /** An answer bundle on its way back. */
    public record Answer(String agentId, long seq, String channel, String replyTo, String fileName, byte[] data) {
    }

    // ------------------------------------------------------------------ entry points of the poller routes

    /**
     * One file of the inbox (template {@code airgap-file-inbox}; the consumer deletes it afterwards). A processed
     * file is kept under {@code <inbox>/.done/}, a rejected one under the quarantine folder. The size is checked
     * before a byte is read: an empty file (EMPTY) or one over {@code max-bundle-bytes} (TOO_LARGE) is moved to the
     * quarantine unread, so no file can take the heap or keep the poller busy; later files are read as usual.
     */
    public Received receiveFile(@Body File file, @Header(Exchange.FILE_NAME_ONLY) String name,
                                @Header(Exchange.FILE_PARENT) String parent) throws IOException {
        Path path = file.toPath();
        long size = Files.size(path);
        long max = props.maxBundleBytes().toBytes();
        if (size == 0) {
            return quarantineFile(path, name, "EMPTY", "0 bytes: not a bundle (an interrupted copy?)");
        }
        if (size > max) {
            return quarantineFile(path, name, "TOO_LARGE", size + " bytes, limit " + props.maxBundleBytes()
                    + " (chronoroute.airgap.max-bundle-bytes); not read");
        }
        byte[] data;
        try (InputStream in = Files.newInputStream(path)) {
            data = BundleCodec.readAtMost(in, max);
        }
        if (data == null) {
            return quarantineFile(path, name, "TOO_LARGE", "grew past the limit " + props.maxBundleBytes()
                    + " while it was read; not read further");
        }
        Received r = receive(data, name, CHANNEL_FILE, null);
        if (!"quarantined".equals(r.result()) && parent != null) {
            try {
                Path done = Path.of(parent).resolve(".done");
                Files.createDirectories(done);
                AirgapSequences.writeAtomically(done.resolve(name), data);
            } catch (IOException e) {
                LOG.warn("Cannot keep processed bundle {} in {}/.done: {}", name, parent, e.toString());
            }
        }
        return r;
    }

    /** Something that opens a stream again (a mail attachment). */
    public interface StreamSource {
        InputStream open() throws IOException;
    }

    /**
     * One bundle of unknown length (a mail attachment): read up to {@code max-bundle-bytes}; a larger one is
     * quarantined (TOO_LARGE) by copying the stream, never held whole; an empty one as EMPTY.
     */
    public Received receive(StreamSource content, String source, String channel, String replyTo) throws IOException {
        long max = props.maxBundleBytes().toBytes();
        byte[] data;
        try (InputStream in = content.open()) {
            data = BundleCodec.readAtMost(in, max);
        }
        if (data == null) {
            return quarantineWith(source, channel, "TOO_LARGE", null, null, "more than " + props.maxBundleBytes()
                    + " (chronoroute.airgap.max-bundle-bytes); not read", target -> {
                        try (InputStream in = content.open()) {
                            Files.copy(in, target, StandardCopyOption.REPLACE_EXISTING);
                        }
                    });
        }
        if (data.length == 0) {
            return quarantine(data, source, channel, "EMPTY", null, null, "0 bytes: not a bundle");
        }
        return receive(data, source, channel, replyTo);
    }

    /** One bundle from any channel. Never throws for bad input; throws only when it cannot park (disk). */
    public Received receive(byte[] data, String source, String channel, String replyTo) {
        if (data == null || data.length > props.maxBundleBytes().toBytes()) {
            return quarantine(data, source, channel, "TOO_LARGE", null, null,
                    (data == null ? 0 : data.length) + " bytes, limit " + props.maxBundleBytes());
        }
        Bundle bundle;
        try {
            bundle = BundleCodec.read(data, agents::secretFor);
        } catch (BundleException e) {
            return quarantine(data, source, channel, e.reason().name(), headerAgent(data), null, e.getMessage());
        }
        String agent = bundle.agentId();
        long seq = bundle.seq();
        if (bundle.kind() != Bundle.Kind.HEARTBEAT) {
            return quarantine(data, source, channel, "WRONG_KIND", agent, seq, "an " + bundle.kind().wireName()
                    + " bundle in the master's inbox");
        }
        String hash = sha256(bundle.payload());
        List<Answer> answers = new ArrayList<>();
        Received r;
        synchronized (lockFor(agent)) {
            long last = sequences.lastApplied(agent);
            if (last != AirgapSequences.RESET && seq <= last) {
                if (!sequences.wasApplied(agent, seq, hash)) {
                    return quarantine(data, source, channel, "REPLAYED", agent, seq, "sequence " + seq
                            + " is not newer than the last applied " + last + " and is not a copy of it");
                }
                count("duplicate", null);
                LOG.info("Air-gap bundle {} of agent '{}' seq {} was applied before: acknowledged, ignored", source,
                        agent, seq);
                if (seq == last) {
                    sequences.lastAnswer(agent, seq).ifPresent(p -> answers.add(answer(agent, seq, channel,
                            replyTo, p)));
                }
                r = new Received("duplicate", null, agent, seq, source);
            } else if (sequences.isParked(agent, seq)) {
                if (!hash.equals(parkedHash(agent, seq))) {
                    return quarantine(data, source, channel, "REPLAYED", agent, seq, "sequence " + seq
                            + " is already waiting with other content");
                }
                count("duplicate", null);
                LOG.info("Air-gap bundle {} of agent '{}' seq {} is already parked: ignored", source, agent, seq);
                r = new Received("duplicate", null, agent, seq, source);
            } else {
                ObjectNode meta = JSON.createObjectNode();
                meta.put("channel", channel);
                meta.put("reply_to", replyTo);
                meta.put("source", source);
                meta.put("received", clock.instant().toString());
                sequences.park(agent, seq, data, meta.toString());
                List<Answer> applied = drainLocked(agent);
                answers.addAll(applied);
                boolean done = applied.stream().anyMatch(a -> a.seq() == seq);
                count(done ? "applied" : "parked", null);
                if (!done) {
                    LOG.info("Air-gap bundle {} of agent '{}' seq {} parked: waiting for seq {}", source, agent, seq,
                            nextExpected(agent));
                }
                r = new Received(done ? "applied" : "parked", null, agent, seq, source);
            }
        }
        answers.forEach(this::send);
        return r;
    }

    /** Timer ({@code master-airgap-drain}): applies what a transient failure left parked. */
    public int drainAll() {
        int n = 0;
        for (String agent : sequences.agentsWithParked()) {
            List<Answer> answers;
            synchronized (lockFor(agent)) {
                answers = drainLocked(agent);
            }
            answers.forEach(this::send);
            n += answers.size();
        }
        return n;
    }

    // ------------------------------------------------------------------ applying

    private long nextExpected(String agent) {
        long last = sequences.lastApplied(agent);
        if (last == AirgapSequences.RESET) {
            List<Long> parked = sequences.parkedSeqs(agent);
            return parked.isEmpty() ? -1 : parked.get(0);
        }
        return last + 1;
    }

    private List<Answer> drainLocked(String agent) {
        List<Answer> out = new ArrayList<>();
        while (true) {
            long next = nextExpected(agent);
            if (next < 0 || !sequences.isParked(agent, next)) {
                return out;
            }
            byte[] data = sequences.parkedBytes(agent, next);
            JsonNode meta = readTree(sequences.parkedMeta(agent, next));
            String channel = meta.path("channel").asText(CHANNEL_FILE);
            String replyTo = meta.path("reply_to").isTextual() ? meta.get("reply_to").asText() : null;
            String source = meta.path("source").asText("parked-" + next);
            Bundle bundle;
            try {
                bundle = BundleCodec.read(data, agents::secretFor);
            } catch (BundleException e) {
                // the secret was rotated (or the agent removed) while it waited
                quarantine(data, source, channel, e.reason().name(), agent, next, e.getMessage() + " (while parked)");
                sequences.unpark(agent, next);
                continue;
            }
            String payload;
            try {
                payload = apply(agent, bundle);
            } catch (RuntimeException e) {
                LOG.warn("Air-gap bundle {} of agent '{}' seq {} could not be ingested now ({}); it stays parked and is "
                        + "retried", source, agent, next, e.toString());
                return out;
            }
            sequences.markApplied(agent, next, sha256(bundle.payload()), payload);
            sequences.unpark(agent, next);
            LOG.info("Air-gap bundle {} of agent '{}' seq {} applied", source, agent, next);
            out.add(answer(agent, next, channel, replyTo, payload));
        }
    }

    /** Confirmations, then the heartbeat through the HTTP pipeline; returns the answer payload. 5xx → throws. */
    private String apply(String agent, Bundle bundle) {
        JsonNode root;
        try {
            root = JSON.readTree(bundle.payload());
        } catch (IOException e) {
            root = null;
        }
        ArrayNode processedResults = JSON.createArrayNode();
        byte[] heartbeat = bundle.payload();
        if (root instanceof ObjectNode obj) {
            JsonNode processed = obj.remove("processed");
            if (processed != null && processed.isArray()) {
                for (JsonNode p : processed) {
                    String id = p.path("update_id").asText(null);
                    if (id == null || id.isBlank()) {
                        continue;
                    }
                    ObjectNode body = p.deepCopy();
                    body.remove("update_id");
                    Exchange ex = call("direct:master-ack-agent-update", agent, id,
                            body.isEmpty() ? new byte[0] : bytes(body));
                    ObjectNode res = processedResults.addObject();
                    res.put("update_id", id);
                    res.put("status", status(ex));
                }
            }
            heartbeat = bytes(obj);
        }
        Exchange ex = call("direct:master-ingest-agent", agent, null, heartbeat);
        int status = status(ex);
        if (status >= 500) {
            throw new IllegalStateException("the ingest answered " + status);
        }
        ObjectNode env = JSON.createObjectNode();
        env.put("status", status);
        env.set("body", readTree(ex.getMessage().getBody(String.class)));
        env.set("processed", processedResults);
        return env.toString();
    }

    /**
     * The agent's call as the routes behind HTTP authentication see it: the bundle's signature identified the agent,
     * so the exchange carries the agent as {@code AccessGuard} would have set it (no credential, no HTTP), and goes
     * to the same route an HTTP heartbeat or confirmation continues with. A refusal is answered as HTTP would answer
     * it (status and JSON reason, by the same {@link ErrorResponder}).
     */
    private Exchange call(String uri, String agent, String updateId, byte[] body) {
        AgentRecord record = store.findAgent(agent)
                .orElseThrow(() -> new IllegalStateException("air-gap agent " + agent + " is not registered"));
        Exchange ex = new DefaultExchange(camel);
        ex.getMessage().setBody(body);
        ex.getMessage().setHeader("agent_id", agent);
        ex.getMessage().setHeader(Exchange.CONTENT_TYPE, "application/json");
        ex.getMessage().setHeader("Content-Length", Integer.toString(body.length));
        if (updateId != null) {
            ex.getMessage().setHeader("update_id", updateId);
        }
        ex.setProperty(SecurityHeaders.AGENT_ID, agent);
        ex.setProperty(SecurityHeaders.PRINCIPAL_KIND, "agent");
        ex.setProperty(SecurityHeaders.AGENT, record);
        Exchange result = producer().send(uri, ex);
        if (result.getException() != null) {
            result.setProperty(Exchange.EXCEPTION_CAUGHT, result.getException());
            result.setException(null);
            try {
                new ErrorResponder().process(result);
            } catch (Exception e) {
                throw new IllegalStateException("route " + uri + " failed", e);
            }
        }
        return result;
    }

    private static int status(Exchange ex) {
        Integer s = ex.getMessage().getHeader(Exchange.HTTP_RESPONSE_CODE, Integer.class);
        return s == null ? 200 : s;
    }

    // ------------------------------------------------------------------ answers

    private Answer answer(String agent, long seq, String channel, String replyTo, String payload) {
        Bundle b = new Bundle(agent, seq, clock.instant(), Bundle.Kind.ANSWER,
                props.encryptAnswers() ? Bundle.Encryption.A256GCM : Bundle.Encryption.NONE,
                payload.getBytes(StandardCharsets.UTF_8));
        byte[] secret = agents.secretFor(agent).orElseThrow(() -> new IllegalStateException("no secret for " + agent));
        String to = CHANNEL_MAIL.equals(channel) ? agents.emailOf(agent).orElse(replyTo) : null;
        return new Answer(agent, seq, channel, to, fileName(agent, seq), BundleCodec.write(b, secret));
    }

    static String fileName(String agent, long seq) {
        return safe(agent) + "-" + String.format("%012d", seq) + ".answer.crb";
    }

    private void send(Answer a) {
        if (CHANNEL_MAIL.equals(a.channel()) && (!props.mailConfigured() || a.replyTo() == null)) {
            LOG.warn("Answer to air-gap bundle seq {} of agent '{}' cannot be mailed ({}); it is sent again when the "
                    + "agent re-sends the bundle", a.seq(), a.agentId(), a.replyTo() == null ? "no address"
                    : "chronoroute.airgap.mail.smtp-uri is not set");
            return;
        }
        Exchange ex = new DefaultExchange(camel);
        ex.getMessage().setBody(a.data());
        ex.getMessage().setHeader(H_CHANNEL, a.channel());
        ex.getMessage().setHeader(H_AGENT, a.agentId());
        ex.getMessage().setHeader(H_SEQ, a.seq());
        ex.getMessage().setHeader(H_REPLY_TO, a.replyTo());
        ex.getMessage().setHeader(Exchange.FILE_NAME, safe(a.agentId()) + "/" + a.fileName());
        Exchange result = producer().send("direct:master-airgap-send-answer", ex);
        if (result.getException() != null) {
            LOG.warn("Answer to air-gap bundle seq {} of agent '{}' could not be delivered ({}); it is sent again when "
                    + "the agent re-sends the bundle", a.seq(), a.agentId(), result.getException().toString());
        } else {
            LOG.debug("Answer to seq {} of agent '{}' sent by {}", a.seq(), a.agentId(), a.channel());
        }
    }

    /** The folder answers of file-drop agents go to ({@code <outbox>/<agent>/}). */
    public Path outbox() {
        return outbox;
    }

    // ------------------------------------------------------------------ quarantine, counts, status

    private Received quarantine(byte[] data, String source, String channel, String reason, String agent, Long seq,
                                String detail) {
        return quarantineWith(source, channel, reason, agent, seq, detail,
                target -> AirgapSequences.writeAtomically(target, data == null ? new byte[0] : data));
    }

    /** An inbox file quarantined unread: moved (not copied through memory) beside its reason file. */
    private Received quarantineFile(Path file, String source, String reason, String detail) {
        return quarantineWith(source, CHANNEL_FILE, reason, null, null, detail,
                target -> Files.move(file, target, StandardCopyOption.REPLACE_EXISTING));
    }

    private interface ContentWriter {
        void writeTo(Path target) throws IOException;
    }

    private Received quarantineWith(String source, String channel, String reason, String agent, Long seq,
                                    String detail, ContentWriter content) {
        count("quarantined", reason);
        String base = STAMP.format(clock.instant()) + "-" + safe(source == null ? "bundle" : source);
        try {
            Files.createDirectories(quarantine);
            Path target = quarantine.resolve(base);
            content.writeTo(target);
            ObjectNode r = JSON.createObjectNode();
            r.put("reason", reason);
            r.put("detail", detail);
            r.put("agent_id", agent);
            if (seq != null) {
                r.put("seq", seq);
            }
            r.put("source", source);
            r.put("channel", channel);
            r.put("time", clock.instant().toString());
            AirgapSequences.writeAtomically(quarantine.resolve(base + ".reason.txt"),
                    r.toPrettyString().getBytes(StandardCharsets.UTF_8));
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write to the quarantine folder " + quarantine, e);
        }
        LOG.warn("Air-gap bundle {} ({}) quarantined: {} (agent {}): {}", source, channel, reason,
                agent == null ? "unknown" : "'" + agent + "'", detail);
        return new Received("quarantined", reason, agent, seq, source);
    }

    /** For mails without any bundle attachment (the mail itself is moved to the quarantine mail folder). */
    public Received quarantineMail(String source, String reason, String detail) {
        return quarantine(new byte[0], source, CHANNEL_MAIL, reason, null, null, detail);
    }

    private void count(String result, String reason) {
        results.computeIfAbsent(result, k -> new AtomicLong()).incrementAndGet();
        if (reason != null) {
            reasons.computeIfAbsent(reason, k -> new AtomicLong()).incrementAndGet();
        }
        if (meters != null) {
            meters.counter("chronoroute.airgap.bundles", "result", result).increment();
            if (reason != null) {
                meters.counter("chronoroute.airgap.quarantined", "reason", reason).increment();
            }
        }
    }

    /** {@code GET /sync/airgap/status} (admin). */
    public Map<String, Object> status() {
        Map<String, Object> out = new LinkedHashMap<>();
        Map<String, Object> counts = new TreeMap<>();
        for (String k : List.of("applied", "parked", "duplicate", "quarantined")) {
            counts.put(k, results.getOrDefault(k, new AtomicLong()).get());
        }
        out.put("bundles_since_start", counts);
        Map<String, Object> byReason = new TreeMap<>();
        reasons.forEach((k, v) -> byReason.put(k, v.get()));
        out.put("quarantined_by_reason", byReason);
        out.put("quarantine_folder", quarantine.toString());
        out.put("quarantine_files", countReasonFiles());
        List<Map<String, Object>> perAgent = new ArrayList<>();
        for (String agent : sequences.agentsWithParked()) {
            List<Long> parked = sequences.parkedSeqs(agent);
            if (!parked.isEmpty()) {
                Map<String, Object> m = new LinkedHashMap<>();
                m.put("agent_id", agent);
                m.put("last_applied", sequences.lastApplied(agent));
                m.put("waiting_for", nextExpected(agent));
                m.put("parked", parked);
                perAgent.add(m);
            }
        }
        out.put("waiting", perAgent);
        out.put("mail_answers", props.mailConfigured());
        return out;
    }

    /** Last applied sequence of one agent (status and tests). */
    public long lastApplied(String agent) {
        return sequences.lastApplied(agent);
    }

    public List<Long> parked(String agent) {
        return sequences.parkedSeqs(agent);
    }

    private long countReasonFiles() {
        if (!Files.isDirectory(quarantine)) {
            return 0;
        }
        try (Stream<Path> s = Files.list(quarantine)) {
            return s.filter(p -> p.getFileName().toString().endsWith(".reason.txt")).count();
        } catch (IOException e) {
            return -1;
        }
    }

    // ------------------------------------------------------------------ helpers

    private String parkedHash(String agent, long seq) {
        try {
            return sha256(BundleCodec.read(sequences.parkedBytes(agent, seq), agents::secretFor).payload());
        } catch (BundleException e) {
            return "";
        }
    }

    /** The agent id from a header that could not be verified (for the reason file only; never trusted). */
    private static String headerAgent(byte[] data) {
        try {
            if (data.length < 8) {
                return null;
            }
            int len = java.nio.ByteBuffer.wrap(data, 4, 4).getInt();
            if (len < 1 || len > 65_536 || 8 + len > data.length) {
                return null;
            }
            JsonNode h = JSON.readTree(new String(data, 8, len, StandardCharsets.UTF_8));
            return h.path("agent_id").isTextual() ? h.get("agent_id").asText() : null;
        } catch (Exception e) {
            return null;
        }
    }

    private Object lockFor(String agent) {
        return locks.computeIfAbsent(agent, k -> new Object());
    }

    private ProducerTemplate producer() {
        ProducerTemplate p = producer;
        if (p == null) {
            synchronized (this) {
                if (producer == null) {
                    producer = camel.createProducerTemplate();
                }
                p = producer;
            }
        }
        return p;
    }

    static String safe(String s) {
        return s.replaceAll("[^A-Za-z0-9._-]", "_");
    }


    private static JsonNode readTree(String s) {
        if (s == null || s.isBlank()) {
            return JSON.createObjectNode();
        }
        try {
            return JSON.readTree(s);
        } catch (IOException e) {
            return JSON.getNodeFactory().textNode(s);
        }
    }

    private static byte[] bytes(JsonNode n) {
        return n.toString().getBytes(StandardCharsets.UTF_8);
    }

    static String sha256(byte[] b) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(b));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

}
