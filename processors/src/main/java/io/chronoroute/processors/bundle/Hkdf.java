package io.chronoroute.processors.bundle;

import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;
import java.io.ByteArrayOutputStream;
import java.security.GeneralSecurityException;

/** HKDF with HMAC-SHA256 (RFC 5869). Package-private helper of {@link BundleCodec}. */
final class Hkdf {

    private static final int HASH_LEN = 32;

    private Hkdf() {
    }

    static byte[] derive(byte[] ikm, byte[] salt, byte[] info, int length) {
        if (length <= 0 || length > 255 * HASH_LEN) {
            throw new IllegalArgumentException("HKDF length out of range: " + length);
        }
        try {
            byte[] prk = hmac(salt == null || salt.length == 0 ? new byte[HASH_LEN] : salt, ikm);
            ByteArrayOutputStream okm = new ByteArrayOutputStream(length);
            byte[] t = new byte[0];
            for (int i = 1; okm.size() < length; i++) {
                byte[] input = new byte[t.length + info.length + 1];
                System.arraycopy(t, 0, input, 0, t.length);
                System.arraycopy(info, 0, input, t.length, info.length);
                input[input.length - 1] = (byte) i;
                t = hmac(prk, input);
                okm.write(t, 0, Math.min(t.length, length - okm.size()));
            }
            return okm.toByteArray();
        } catch (GeneralSecurityException ex) {
            throw new IllegalStateException("HmacSHA256 unavailable", ex);
        }
    }

    static byte[] hmac(byte[] key, byte[] data) throws GeneralSecurityException {
        Mac mac = Mac.getInstance("HmacSHA256");
        mac.init(new SecretKeySpec(key, "HmacSHA256"));
        return mac.doFinal(data);
    }
}
