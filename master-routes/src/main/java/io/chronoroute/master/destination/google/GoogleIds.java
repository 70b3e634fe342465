package io.chronoroute.master.destination.google;

import io.chronoroute.processors.model.EventTime;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.ZoneId;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.HexFormat;

/**
 * Google event ids. Ours are the base32hex encoding ({@code [0-9a-v]}, lower case, RFC 4648 §7, no padding) of the
 * 16 bytes of the consolidated identity: 26 characters, within Google's 5-1024 rule, deterministic (a retried insert
 * after a crash meets 409, never creates a second event) and reversible (a cancelled item in the change feed, which
 * Google sends without extended properties, can still be recognised as ours).
 */
public final class GoogleIds {

    private static final char[] ALPHABET = "0123456789abcdefghijklmnopqrstuv".toCharArray();
    private static final DateTimeFormatter BASIC_UTC = DateTimeFormatter.ofPattern("yyyyMMdd'T'HHmmss'Z'")
            .withZone(ZoneOffset.UTC);
    private static final DateTimeFormatter BASIC_DATE = DateTimeFormatter.BASIC_ISO_DATE;

    private GoogleIds() {
    }

    /** The event id of an identity (32 hex digits; any other text is hashed first). */
    public static String eventId(String identity) {
        byte[] bytes = identity.matches("[0-9a-f]{32}") ? HexFormat.of().parseHex(identity) : sha(identity);
        return base32hex(bytes);
    }

    /** The identity an id of ours encodes, or null when the id is not one of our 26-character ids. */
    public static String identityOf(String eventId) {
        if (eventId == null || !eventId.matches("[0-9a-v]{26}")) {
            return null;
        }
        long buffer = 0;
        int bits = 0;
        byte[] out = new byte[16];
        int n = 0;
        for (char c : eventId.toCharArray()) {
            buffer = (buffer << 5) | (c <= '9' ? c - '0' : c - 'a' + 10);
            bits += 5;
            if (bits >= 8) {
                bits -= 8;
                if (n < 16) {
                    out[n++] = (byte) (buffer >> bits);
                }
                buffer &= (1L << bits) - 1;
            }
        }
        return eventId.equals(base32hex(out)) ? HexFormat.of().formatHex(out) : null;
    }

    /**
     * The id Google gives one occurrence of a series: {@code <masterId>_<suffix>}, the suffix being the original start
     * in UTC ({@code 20251026T080000Z}) or the date of an all-day series ({@code 20251026}).
     */
    public static String instanceId(String masterId, EventTime originalStart, ZoneId floatingZone) {
        return masterId + "_" + instanceSuffix(originalStart, floatingZone);
    }

    static String instanceSuffix(EventTime t, ZoneId floatingZone) {
        if (t.isDate()) {
            return t.date().format(BASIC_DATE);
        }
        return BASIC_UTC.format(t.toInstant(floatingZone));
    }

    static String base32hex(byte[] data) {
        StringBuilder sb = new StringBuilder((data.length * 8 + 4) / 5);
        int buffer = 0;
        int bits = 0;
        for (byte b : data) {
            buffer = (buffer << 8) | (b & 0xff);
            bits += 8;
            while (bits >= 5) {
                sb.append(ALPHABET[(buffer >> (bits - 5)) & 31]);
                bits -= 5;
            }
        }
        if (bits > 0) {
            sb.append(ALPHABET[(buffer << (5 - bits)) & 31]);
        }
        return sb.toString();
    }

    private static byte[] sha(String s) {
        try {
            byte[] d = MessageDigest.getInstance("SHA-256").digest(s.getBytes(StandardCharsets.UTF_8));
            byte[] out = new byte[16];
            System.arraycopy(d, 0, out, 0, 16);
            return out;
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
