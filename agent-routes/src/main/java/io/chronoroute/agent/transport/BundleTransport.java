package io.chronoroute.agent.transport;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.chronoroute.agent.heartbeat.MasterClient.Answer;
import io.chronoroute.agent.state.AgentState;
import io.chronoroute.processors.bundle.Bundle;
import io.chronoroute.processors.bundle.BundleCodec;
import io.chronoroute.processors.wire.WireJson;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * The store-and-forward transports (file drop, e-mail): one heartbeat = one bundle ({@link BundleCodec}), at most one
 * unanswered bundle at a time.
 * <ul>
 *   <li>A new bundle gets the next sequence number ({@code meta/bundle.seq}); its exact payload (the heartbeat body,
 *       plus the pending update confirmations as {@code processed}) is persisted as <em>outstanding</em>
 *       ({@code meta/bundle.outstanding}) before it is written.</li>
 *   <li>While it is outstanding nothing new is sent; after {@code resend-after} the very same payload is written
 *       again with the same sequence (and so the same batch id): the master acknowledges a copy without applying it
 *       twice. The heartbeat's batch (in flight, in the state) stays the single source of truth.</li>
 *   <li>The answer bundle carries the same sequence; {@link #answered} clears the outstanding bundle.</li>
 * </ul>
 */
public class BundleTransport implements HeartbeatTransport {

    static final String SEQ = "bundle.seq";
    static final String OUTSTANDING = "bundle.outstanding";
    private static final Logger LOG = LoggerFactory.getLogger(BundleTransport.class);
    private static final ObjectMapper JSON = WireJson.mapper();

    /** Where bundle bytes go: a folder or a mail. */
    public interface Sink {
        void write(String agentId, long seq, String fileName, byte[] bundle) throws IOException;

        String describe();
    }

    /** The unanswered bundle. */
    record Outstanding(long seq, String batchId, String payload, Instant sentAt, List<String> confirmations) {
    }

    private final AgentState state;
    private final BundleConfirmations confirmations;
    private final Sink sink;
    private final byte[] secret;
    private final Duration resendAfter;
    private final boolean encrypt;
    private final Clock clock;

    public BundleTransport(AgentState state, BundleConfirmations confirmations, Sink sink, byte[] secret,
                           Duration resendAfter, boolean encrypt, Clock clock) {
        this.state = state;
        this.confirmations = confirmations;
        this.sink = sink;
        this.secret = secret.clone();
        this.resendAfter = resendAfter;
        this.encrypt = encrypt;
        this.clock = clock;
    }

    @Override
    public Optional<Answer> send(String agentId, String credential, String batchId, String body) throws IOException {
        Instant now = clock.instant();
        Outstanding current = outstanding();
        if (current != null) {
            if (now.isBefore(current.sentAt().plus(resendAfter))) {
                return Optional.empty();
            }
            LOG.info("Bundle {} (batch {}) has no answer after {}; writing it again", current.seq(),
                    current.batchId() == null ? "-" : current.batchId(), resendAfter);
            write(agentId, current.seq(), current.payload());
            state.write(tx -> {
                tx.putMeta(OUTSTANDING, json(new Outstanding(current.seq(), current.batchId(), current.payload(), now,
                        current.confirmations())));
                return null;
            });
            return Optional.empty();
        }
        ObjectNode payload = (ObjectNode) JSON.readTree(body);
        Outstanding next = state.write(tx -> {
            long seq = Long.parseLong(Optional.ofNullable(tx.meta(SEQ)).orElse("0")) + 1;
            ArrayNode processed = confirmations.pending(tx);
            List<String> ids = new ArrayList<>();
            processed.forEach(p -> ids.add(p.path("update_id").asText()));
            if (!processed.isEmpty()) {
                payload.set("processed", processed);
            }
            Outstanding o = new Outstanding(seq, batchId, payload.toString(), now, ids);
            tx.putMeta(SEQ, Long.toString(seq));
            tx.putMeta(OUTSTANDING, json(o));
            return o;
        });
        write(agentId, next.seq(), next.payload());
        LOG.info("Heartbeat bundle {} written to {} (batch {}, {} confirmation(s))", next.seq(), sink.describe(),
                batchId == null ? "-" : batchId, next.confirmations().size());
        return Optional.empty();
    }

    private void write(String agentId, long seq, String payload) throws IOException {
        byte[] data = BundleCodec.write(new Bundle(agentId, seq, clock.instant(), Bundle.Kind.HEARTBEAT,
                encrypt ? Bundle.Encryption.A256GCM : Bundle.Encryption.NONE,
                payload.getBytes(java.nio.charset.StandardCharsets.UTF_8)), secret);
        sink.write(agentId, seq, fileName(agentId, seq), data);
    }

    static String fileName(String agentId, long seq) {
        return agentId.replaceAll("[^A-Za-z0-9._-]", "_") + "-" + String.format("%012d", seq) + ".crb";
    }

    /** The unanswered bundle, or null. */
    public Outstanding outstanding() {
        String s = state.read(tx -> tx.meta(OUTSTANDING));
        if (s == null) {
            return null;
        }
        try {
            JsonNode n = JSON.readTree(s);
            List<String> ids = new ArrayList<>();
            n.path("confirmations").forEach(c -> ids.add(c.asText()));
            return new Outstanding(n.get("seq").asLong(), n.hasNonNull("batch_id") ? n.get("batch_id").asText() : null,
                    n.get("payload").asText(), Instant.parse(n.get("sent_at").asText()), ids);
        } catch (IOException e) {
            throw new IllegalStateException("corrupt outstanding bundle in the state", e);
        }
    }

    /** The answer to the outstanding bundle arrived (and was applied): confirmations it carried are done. */
    void answered(Outstanding o) {
        state.write(tx -> {
            confirmations.remove(tx, o.confirmations());
            tx.putMeta(OUTSTANDING, null);
            return null;
        });
    }

    private static String json(Outstanding o) {
        ObjectNode n = JSON.createObjectNode();
        n.put("seq", o.seq());
        n.put("batch_id", o.batchId());
        n.put("payload", o.payload());
        n.put("sent_at", o.sentAt().toString());
        ArrayNode c = n.putArray("confirmations");
        o.confirmations().forEach(c::add);
        return n.toString();
    }

    @Override
    public boolean http() {
        return false;
    }

    @Override
    public String describe() {
        return sink.describe();
    }
}
