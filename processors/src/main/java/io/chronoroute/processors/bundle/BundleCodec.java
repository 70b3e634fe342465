package io.chronoroute.processors.bundle;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;

import javax.crypto.Cipher;
import javax.crypto.spec.GCMParameterSpec;
import javax.crypto.spec.SecretKeySpec;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.security.SecureRandom;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.Arrays;
import java.util.Base64;
import java.util.Optional;
import java.util.function.Function;

/**
 * The air-gap bundle file format, version 1: one file per heartbeat (or per answer), authenticated with the
 * agent's secret and optionally encrypted.
 *
 * <h2>Layout</h2>
 * All integers are unsigned 32-bit big-endian.
 * <pre>
 *  offset       size  content
 *  0            4     magic "CRBF" (0x43 0x52 0x42 0x46)
 *  4            4     H = header length, 1..65536
 *  8            H     header, UTF-8 JSON object:
 *                       {"format":"chronoroute-bundle","version":1,"agent_id":"...","seq":42,
 *                        "created":"2025-06-10T07:00:00Z","kind":"heartbeat"|"answer",
 *                        "encryption":"none"|"A256GCM","salt":"&lt;base64url, 16 bytes&gt;",
 *                        "nonce":"&lt;base64url, 12 bytes&gt;"  (A256GCM only)}
 *  8+H          4     B = body length, 0..268435456
 *  12+H         B     body: the payload (none), or AES-256-GCM ciphertext followed by the 16-byte tag (A256GCM)
 *  12+H+B       32    HMAC-SHA256 over bytes [0, 12+H+B)
 * </pre>
 * Nothing may follow the MAC.
 *
 * <h2>Keys</h2>
 * From the agent's secret (the credential bytes, at least 16 bytes) and the header's per-bundle random salt:
 * {@code macKey = HKDF-SHA256(secret, salt, "chronoroute-bundle v1 mac", 32)} and
 * {@code encKey = HKDF-SHA256(secret, salt, "chronoroute-bundle v1 enc", 32)} - separate keys for the two uses.
 *
 * <h2>Encryption</h2>
 * Encrypt-then-MAC: AES-256-GCM under encKey with the header's random 96-bit nonce and the bytes [0, 8+H) (magic,
 * length, header) as additional data; the HMAC then covers header and ciphertext.
 *
 * <h2>Reading</h2>
 * {@link #read} checks the framing (TRUNCATED / MALFORMED), parses only the header (MALFORMED,
 * UNSUPPORTED_VERSION), looks the secret up by {@code agent_id} (UNKNOWN_AGENT), verifies the HMAC in constant time
 * (BAD_SIGNATURE) and only then touches the body (DECRYPTION_FAILED). A byte changed anywhere is therefore
 * rejected: in the MAC or body as BAD_SIGNATURE, in the header as BAD_SIGNATURE or, when the change breaks the
 * header itself, MALFORMED / UNSUPPORTED_VERSION / UNKNOWN_AGENT; in a length as TRUNCATED or MALFORMED.
 * Replays (an old {@code seq}) are valid bundles: the receiver compares {@code seq} with what it has seen.
 */
public final class BundleCodec {

    public static final String FORMAT = "chronoroute-bundle";
    public static final int VERSION = 1;
    public static final int MAX_HEADER = 65_536;
    public static final int MAX_BODY = 268_435_456;
    public static final int MIN_SECRET = 16;

    private static final byte[] MAGIC = {'C', 'R', 'B', 'F'};
    private static final int MAC_LEN = 32;
    private static final int SALT_LEN = 16;
    private static final int NONCE_LEN = 12;
    private static final int TAG_BITS = 128;
    private static final byte[] INFO_MAC = "chronoroute-bundle v1 mac".getBytes(StandardCharsets.US_ASCII);
    private static final byte[] INFO_ENC = "chronoroute-bundle v1 enc".getBytes(StandardCharsets.US_ASCII);
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final SecureRandom RANDOM = new SecureRandom();
    private static final Base64.Encoder B64 = Base64.getUrlEncoder().withoutPadding();
    private static final Base64.Decoder B64D = Base64.getUrlDecoder();

    private BundleCodec() {
    }

    /**
     * Reads a bundle file or attachment from a stream, at most {@code maxBytes}: the bytes, or null when the stream
     * holds more (then no more than {@code maxBytes + 1} bytes were read, and the buffer never grew past that). For
     * {@link #read}: a bundle is verified whole (its MAC covers every byte), so it is held once, bounded by the limit.
     */
    public static byte[] readAtMost(InputStream in, long maxBytes) throws IOException {
        if (maxBytes < 0 || maxBytes >= Integer.MAX_VALUE - 8) {
            throw new IllegalArgumentException("maxBytes out of range: " + maxBytes);
        }
        byte[] buf = new byte[(int) Math.min(maxBytes + 1, 64 * 1024)];
        int n = 0;
        while (true) {
            if (n == buf.length) {
                if (n > maxBytes) {
                    return null;
                }
                buf = Arrays.copyOf(buf, (int) Math.min(maxBytes + 1, (long) buf.length * 2));
            }
            int r = in.read(buf, n, buf.length - n);
            if (r < 0) {
                return n == buf.length ? buf : Arrays.copyOf(buf, n);
            }
            n += r;
            if (n > maxBytes) {
                return null;
            }
        }
    }

    /** Serializes, encrypting when the bundle asks for A256GCM, and signs. */
    public static byte[] write(Bundle bundle, byte[] secret) {
        checkSecret(secret);
        byte[] salt = random(SALT_LEN);
        byte[] nonce = bundle.encryption() == Bundle.Encryption.A256GCM ? random(NONCE_LEN) : null;
        ObjectNode h = JSON.createObjectNode();
        h.put("format", FORMAT);
        h.put("version", VERSION);
        h.put("agent_id", bundle.agentId());
        h.put("seq", bundle.seq());
        h.put("created", bundle.created().toString());
        h.put("kind", bundle.kind().wireName());
        h.put("encryption", bundle.encryption().wireName());
        h.put("salt", B64.encodeToString(salt));
        if (nonce != null) {
            h.put("nonce", B64.encodeToString(nonce));
        }
        byte[] header = h.toString().getBytes(StandardCharsets.UTF_8);
        if (header.length > MAX_HEADER) {
            throw new IllegalArgumentException("bundle header longer than " + MAX_HEADER + " bytes (agent id too long)");
        }
        ByteArrayOutputStream out = new ByteArrayOutputStream(header.length + bundle.payload().length + 128);
        out.writeBytes(MAGIC);
        out.writeBytes(u32(header.length));
        out.writeBytes(header);
        byte[] aad = out.toByteArray();
        byte[] body = nonce == null ? bundle.payload()
                : gcm(Cipher.ENCRYPT_MODE, Hkdf.derive(secret, salt, INFO_ENC, 32), nonce, aad, bundle.payload());
        if (body.length > MAX_BODY) {
            throw new IllegalArgumentException("bundle body longer than " + MAX_BODY + " bytes");
        }
        out.writeBytes(u32(body.length));
        out.writeBytes(body);
        out.writeBytes(mac(Hkdf.derive(secret, salt, INFO_MAC, 32), out.toByteArray()));
        return out.toByteArray();
    }

    /**
     * Verifies and opens a bundle.
     *
     * @param secretForAgent the agent's secret by agent id, empty for an unknown agent
     * @throws BundleException with the reason the bundle was rejected
     */
    public static Bundle read(byte[] data, Function<String, Optional<byte[]>> secretForAgent) throws BundleException {
        if (data == null || data.length < 8) {
            throw new BundleException(BundleException.Reason.TRUNCATED, "shorter than the fixed preamble");
        }
        for (int i = 0; i < MAGIC.length; i++) {
            if (data[i] != MAGIC[i]) {
                throw new BundleException(BundleException.Reason.MALFORMED, "not a chronoroute bundle (bad magic)");
            }
        }
        long hLen = u32(data, 4);
        if (hLen < 1 || hLen > MAX_HEADER) {
            throw new BundleException(BundleException.Reason.MALFORMED, "header length out of range: " + hLen);
        }
        int bodyLenAt = 8 + (int) hLen;
        if (data.length < bodyLenAt + 4) {
            throw new BundleException(BundleException.Reason.TRUNCATED, "ends inside the header");
        }
        long bLen = u32(data, bodyLenAt);
        if (bLen > MAX_BODY) {
            throw new BundleException(BundleException.Reason.MALFORMED, "body length out of range: " + bLen);
        }
        long macAt = bodyLenAt + 4L + bLen;
        if (data.length < macAt + MAC_LEN) {
            throw new BundleException(BundleException.Reason.TRUNCATED, "ends before the MAC");
        }
        if (data.length > macAt + MAC_LEN) {
            throw new BundleException(BundleException.Reason.MALFORMED, (data.length - macAt - MAC_LEN)
                    + " bytes after the MAC");
        }
        Header h = header(data, (int) hLen);
        Optional<byte[]> secret = secretForAgent.apply(h.agentId);
        if (secret == null || secret.isEmpty()) {
            throw new BundleException(BundleException.Reason.UNKNOWN_AGENT, "no secret for agent '" + h.agentId + "'");
        }
        byte[] expected = mac(Hkdf.derive(secret.get(), h.salt, INFO_MAC, 32), slice(data, 0, (int) macAt));
        if (!MessageDigest.isEqual(expected, slice(data, (int) macAt, MAC_LEN))) {
            throw new BundleException(BundleException.Reason.BAD_SIGNATURE, "HMAC mismatch for agent '" + h.agentId + "'");
        }
        byte[] body = slice(data, bodyLenAt + 4, (int) bLen);
        byte[] payload = body;
        if (h.encryption == Bundle.Encryption.A256GCM) {
            try {
                payload = gcmDecrypt(Hkdf.derive(secret.get(), h.salt, INFO_ENC, 32), h.nonce,
                        slice(data, 0, bodyLenAt), body);
            } catch (GeneralSecurityException ex) {
                throw new BundleException(BundleException.Reason.DECRYPTION_FAILED, "AES-GCM: " + ex.getMessage(), ex);
            }
        }
        return new Bundle(h.agentId, h.seq, h.created, h.kind, h.encryption, payload);
    }

    private record Header(String agentId, long seq, Instant created, Bundle.Kind kind, Bundle.Encryption encryption,
                          byte[] salt, byte[] nonce) {
    }

    private static Header header(byte[] data, int len) throws BundleException {
        JsonNode n;
        try {
            n = JSON.readTree(new String(data, 8, len, StandardCharsets.UTF_8));
        } catch (IOException ex) {
            throw new BundleException(BundleException.Reason.MALFORMED, "header is not JSON", ex);
        }
        if (n == null || !n.isObject()) {
            throw malformed("header is not a JSON object");
        }
        if (!FORMAT.equals(text(n, "format"))) {
            throw malformed("format is not " + FORMAT);
        }
        JsonNode v = n.get("version");
        if (v == null || !v.isIntegralNumber()) {
            throw malformed("version missing");
        }
        if (v.asLong() != VERSION) {
            throw new BundleException(BundleException.Reason.UNSUPPORTED_VERSION, "version " + v.asText()
                    + ", this reader knows " + VERSION);
        }
        String agent = text(n, "agent_id");
        if (agent == null || agent.isBlank()) {
            throw malformed("agent_id missing");
        }
        JsonNode seq = n.get("seq");
        if (seq == null || !seq.isIntegralNumber() || !seq.canConvertToLong()) {
            throw malformed("seq missing or not an integer");
        }
        Instant created;
        try {
            created = Instant.parse(String.valueOf(text(n, "created")));
        } catch (DateTimeParseException ex) {
            throw new BundleException(BundleException.Reason.MALFORMED, "created is not an instant", ex);
        }
        Bundle.Kind kind = Bundle.Kind.parse(text(n, "kind"));
        if (kind == null) {
            throw malformed("kind must be heartbeat or answer");
        }
        Bundle.Encryption enc = Bundle.Encryption.parse(text(n, "encryption"));
        if (enc == null) {
            throw malformed("encryption must be none or A256GCM");
        }
        byte[] salt = bytes(n, "salt", SALT_LEN);
        byte[] nonce = enc == Bundle.Encryption.A256GCM ? bytes(n, "nonce", NONCE_LEN) : null;
        return new Header(agent, seq.asLong(), created, kind, enc, salt, nonce);
    }

    private static byte[] bytes(JsonNode n, String field, int len) throws BundleException {
        String t = text(n, field);
        try {
            byte[] b = t == null ? null : B64D.decode(t);
            if (b == null || b.length != len) {
                throw malformed(field + " must be " + len + " bytes base64url");
            }
            return b;
        } catch (IllegalArgumentException ex) {
            throw new BundleException(BundleException.Reason.MALFORMED, field + " is not base64url", ex);
        }
    }

    private static String text(JsonNode n, String f) {
        JsonNode v = n.get(f);
        return v == null || !v.isTextual() ? null : v.asText();
    }

    private static BundleException malformed(String m) {
        return new BundleException(BundleException.Reason.MALFORMED, m);
    }

    private static void checkSecret(byte[] secret) {
        if (secret == null || secret.length < MIN_SECRET) {
            throw new IllegalArgumentException("bundle secret must be at least " + MIN_SECRET + " bytes");
        }
    }

    private static byte[] mac(byte[] key, byte[] data) {
        try {
            return Hkdf.hmac(key, data);
        } catch (GeneralSecurityException ex) {
            throw new IllegalStateException("HmacSHA256 unavailable", ex);
        }
    }

    private static byte[] gcm(int mode, byte[] key, byte[] nonce, byte[] aad, byte[] in) {
        try {
            Cipher c = Cipher.getInstance("AES/GCM/NoPadding");
            c.init(mode, new SecretKeySpec(key, "AES"), new GCMParameterSpec(TAG_BITS, nonce));
            c.updateAAD(aad);
            return c.doFinal(in);
        } catch (GeneralSecurityException ex) {
            throw new IllegalStateException("AES/GCM unavailable", ex);
        }
    }

    private static byte[] gcmDecrypt(byte[] key, byte[] nonce, byte[] aad, byte[] in) throws GeneralSecurityException {
        Cipher c = Cipher.getInstance("AES/GCM/NoPadding");
        c.init(Cipher.DECRYPT_MODE, new SecretKeySpec(key, "AES"), new GCMParameterSpec(TAG_BITS, nonce));
        c.updateAAD(aad);
        return c.doFinal(in);
    }

    private static byte[] random(int n) {
        byte[] b = new byte[n];
        RANDOM.nextBytes(b);
        return b;
    }

    private static byte[] u32(long v) {
        return ByteBuffer.allocate(4).putInt((int) v).array();
    }

    private static long u32(byte[] d, int at) {
        return ByteBuffer.wrap(d, at, 4).getInt() & 0xFFFFFFFFL;
    }

    private static byte[] slice(byte[] d, int from, int len) {
        byte[] b = new byte[len];
        System.arraycopy(d, from, b, 0, len);
        return b;
    }
}
