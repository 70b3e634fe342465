package io.chronoroute.processors.bundle;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.Arrays;
import java.util.EnumSet;
import java.util.Map;
import java.util.Optional;
import java.util.function.Function;

import static io.chronoroute.processors.bundle.BundleException.Reason.BAD_SIGNATURE;
import static io.chronoroute.processors.bundle.BundleException.Reason.MALFORMED;
import static io.chronoroute.processors.bundle.BundleException.Reason.TRUNCATED;
import static io.chronoroute.processors.bundle.BundleException.Reason.UNKNOWN_AGENT;
import static io.chronoroute.processors.bundle.BundleException.Reason.UNSUPPORTED_VERSION;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.fail;

class BundleCodecTest {

    private static final byte[] SECRET = "agent-1 secret of at least 32 bytes!".getBytes(StandardCharsets.UTF_8);
    private static final byte[] OTHER = "another secret, also 32 bytes long..".getBytes(StandardCharsets.UTF_8);
    private static final Function<String, Optional<byte[]>> KEYS =
            id -> Optional.ofNullable(Map.of("agent-1", SECRET).get(id));

    private static Bundle bundle(Bundle.Encryption enc) {
        byte[] payload = "{\"timestamp\":\"2025-06-10T07:00:00Z\",\"status\":\"active\",\"changed\":[]}"
                .getBytes(StandardCharsets.UTF_8);
        return new Bundle("agent-1", 42, Instant.parse("2025-06-10T07:00:00Z"), Bundle.Kind.HEARTBEAT, enc, payload);
    }

    @ParameterizedTest
    @EnumSource(Bundle.Encryption.class)
    void roundTrip(Bundle.Encryption enc) throws Exception {
        Bundle b = bundle(enc);
        byte[] file = BundleCodec.write(b, SECRET);
        assertThat(BundleCodec.read(file, KEYS)).isEqualTo(b);
        String text = new String(file, StandardCharsets.ISO_8859_1);
        assertThat(text.contains("\"status\":\"active\"")).isEqualTo(enc == Bundle.Encryption.NONE);
        Bundle answer = new Bundle("agent-1", 7, Instant.parse("2025-06-10T07:00:01Z"), Bundle.Kind.ANSWER, enc, new byte[0]);
        assertThat(BundleCodec.read(BundleCodec.write(answer, SECRET), KEYS)).isEqualTo(answer);
    }

    @ParameterizedTest
    @EnumSource(Bundle.Encryption.class)
    void everyTamperedByteIsRejected(Bundle.Encryption enc) {
        byte[] file = BundleCodec.write(bundle(enc), SECRET);
        EnumSet<BundleException.Reason> allowed = EnumSet.of(BAD_SIGNATURE, MALFORMED, TRUNCATED, UNKNOWN_AGENT,
                UNSUPPORTED_VERSION);
        for (int i = 0; i < file.length; i++) {
            byte[] t = file.clone();
            t[i] ^= 0x01;
            try {
                BundleCodec.read(t, KEYS);
                fail("tampered byte " + i + " was accepted");
            } catch (BundleException ex) {
                assertThat(ex.reason()).as("byte " + i).isIn(allowed);
            }
        }
    }

    @Test
    void readAtMostStopsOneByteAfterTheLimitWhateverTheStreamHolds() throws Exception {
        byte[] data = new byte[200_000];
        new java.util.Random(1).nextBytes(data);
        assertThat(BundleCodec.readAtMost(new java.io.ByteArrayInputStream(data), 200_000)).isEqualTo(data);
        assertThat(BundleCodec.readAtMost(new java.io.ByteArrayInputStream(new byte[0]), 10)).isEmpty();
        // an endless stream: reading stops after limit + 1 bytes instead of filling the heap
        long[] served = {0};
        java.io.InputStream endless = new java.io.InputStream() {
            @Override
            public int read() {
                served[0]++;
                return 7;
            }

            @Override
            public int read(byte[] b, int off, int len) {
                Arrays.fill(b, off, off + len, (byte) 7);
                served[0] += len;
                return len;
            }
        };
        assertThat(BundleCodec.readAtMost(endless, 100_000)).isNull();
        assertThat(served[0]).isEqualTo(100_001);
    }

    @Test
    void tamperedBodyAndMacAreBadSignature() {
        byte[] file = BundleCodec.write(bundle(Bundle.Encryption.A256GCM), SECRET);
        byte[] body = file.clone();
        body[body.length - 40] ^= 0x55;
        assertReason(body, BAD_SIGNATURE);
        byte[] mac = file.clone();
        mac[mac.length - 1] ^= 0x55;
        assertReason(mac, BAD_SIGNATURE);
    }

    @Test
    void truncatedAnywhere() {
        byte[] file = BundleCodec.write(bundle(Bundle.Encryption.NONE), SECRET);
        for (int len : new int[]{0, 3, 7, 8, 20, file.length - 33, file.length - 1}) {
            assertReason(Arrays.copyOf(file, len), TRUNCATED);
        }
        assertReason(null, TRUNCATED);
        assertReason(Arrays.copyOf(file, file.length + 1), MALFORMED);
    }

    @Test
    void unknownAgentAndWrongKey() {
        byte[] file = BundleCodec.write(bundle(Bundle.Encryption.A256GCM), SECRET);
        assertThatThrownBy(() -> BundleCodec.read(file, id -> Optional.empty()))
                .isInstanceOfSatisfying(BundleException.class, ex -> assertThat(ex.reason()).isEqualTo(UNKNOWN_AGENT));
        assertThatThrownBy(() -> BundleCodec.read(file, id -> Optional.of(OTHER)))
                .isInstanceOfSatisfying(BundleException.class, ex -> assertThat(ex.reason()).isEqualTo(BAD_SIGNATURE));
    }

    @Test
    void notABundle() {
        assertReason("hello, this is not a bundle at all".getBytes(StandardCharsets.UTF_8), MALFORMED);
        assertThatThrownBy(() -> BundleCodec.write(bundle(Bundle.Encryption.NONE), new byte[8]))
                .isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void otherVersionIsUnsupported() {
        byte[] file = BundleCodec.write(bundle(Bundle.Encryption.NONE), SECRET);
        String s = new String(file, StandardCharsets.ISO_8859_1).replace("\"version\":1", "\"version\":2");
        assertReason(s.getBytes(StandardCharsets.ISO_8859_1), UNSUPPORTED_VERSION);
    }

    @Test
    void eachWriteUsesFreshSaltAndNonce() {
        Bundle b = bundle(Bundle.Encryption.A256GCM);
        assertThat(BundleCodec.write(b, SECRET)).isNotEqualTo(BundleCodec.write(b, SECRET));
    }

    private static void assertReason(byte[] data, BundleException.Reason reason) {
        assertThatThrownBy(() -> BundleCodec.read(data, KEYS))
                .isInstanceOfSatisfying(BundleException.class, ex -> assertThat(ex.reason()).isEqualTo(reason));
    }
}
