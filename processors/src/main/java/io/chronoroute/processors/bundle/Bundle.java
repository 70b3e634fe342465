package io.chronoroute.processors.bundle;

import java.time.Instant;
import java.util.Arrays;
import java.util.Locale;
import java.util.Objects;

/**
 * One air-gap transfer unit: a heartbeat (agent → master) or an answer (master → agent), as carried by
 * {@link BundleCodec}. The payload is the heartbeat / answer JSON exactly as it would go over HTTP.
 *
 * @param agentId    the agent the bundle belongs to (selects the secret)
 * @param seq        the agent's monotonically increasing bundle number (replay detection is the receiver's job)
 * @param created    when the bundle was written
 * @param kind       heartbeat or answer
 * @param encryption whether the payload is encrypted on disk
 * @param payload    the plaintext payload bytes
 */
public record Bundle(String agentId, long seq, Instant created, Kind kind, Encryption encryption, byte[] payload) {

    /** What the payload is. */
    public enum Kind {
        HEARTBEAT, ANSWER;

        public String wireName() {
            return name().toLowerCase(Locale.ROOT);
        }

        static Kind parse(String s) {
            for (Kind k : values()) {
                if (k.wireName().equals(s)) {
                    return k;
                }
            }
            return null;
        }
    }

    /** Payload protection beyond the always-present HMAC. */
    public enum Encryption {
        NONE("none"), A256GCM("A256GCM");

        private final String wireName;

        Encryption(String wireName) {
            this.wireName = wireName;
        }

        public String wireName() {
            return wireName;
        }

        static Encryption parse(String s) {
            for (Encryption e : values()) {
                if (e.wireName.equals(s)) {
                    return e;
                }
            }
            return null;
        }
    }

    public Bundle {
        Objects.requireNonNull(agentId, "agentId");
        Objects.requireNonNull(created, "created");
        Objects.requireNonNull(kind, "kind");
        Objects.requireNonNull(encryption, "encryption");
        Objects.requireNonNull(payload, "payload");
        if (agentId.isBlank()) {
            throw new IllegalArgumentException("agentId is blank");
        }
        payload = payload.clone();
    }

    @Override
    public byte[] payload() {
        return payload.clone();
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof Bundle b && seq == b.seq && agentId.equals(b.agentId) && created.equals(b.created)
                && kind == b.kind && encryption == b.encryption && Arrays.equals(payload, b.payload);
    }

    @Override
    public int hashCode() {
        return Objects.hash(agentId, seq, created, kind, encryption, Arrays.hashCode(payload));
    }

    @Override
    public String toString() {
        return "Bundle[agent=" + agentId + ", seq=" + seq + ", created=" + created + ", kind=" + kind.wireName()
                + ", encryption=" + encryption.wireName() + ", payload=" + payload.length + " bytes]";
    }
}
