package io.chronoroute.testsupport.ews;

import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.security.SecureRandom;
import java.time.Clock;
import java.util.Arrays;
import java.util.Base64;
import java.util.Locale;

/**
 * Server side of the NTLM HTTP handshake (MS-NLMP, connection-oriented) for {@link FakeEwsServer}: answers a
 * NEGOTIATE (Type 1) with a CHALLENGE (Type 2: random server challenge, target info with MsvAvNbDomainName,
 * MsvAvNbComputerName, MsvAvDnsDomainName, MsvAvDnsComputerName, MsvAvTimestamp, MsvAvEOL) and verifies the
 * AUTHENTICATE (Type 3) NTLMv2 response by recomputing NTProofStr with the known password. NTLMv1 / LM-only
 * responses are refused. No signing/sealing (no session key). One instance per TCP connection.
 */
public final class NtlmServer {

    static final byte[] SIGNATURE = "NTLMSSP\0".getBytes(StandardCharsets.US_ASCII);
    static final int FLAGS = 0x00898205; // UNICODE|REQUEST_TARGET|NTLM|ALWAYS_SIGN|TARGET_TYPE_DOMAIN|ESS|TARGET_INFO

    private final String domain;
    private final String user;
    private final String password;
    private final Clock clock;
    private final SecureRandom random;
    private byte[] serverChallenge;
    private boolean authenticated;
    private String lastFailure;

    public NtlmServer(String domain, String user, String password, Clock clock, SecureRandom random) {
        this.domain = domain == null ? "" : domain;
        this.user = user;
        this.password = password;
        this.clock = clock;
        this.random = random;
    }

    public boolean authenticated() {
        return authenticated;
    }

    /** Why the last Type 3 was refused (no secrets in it). */
    public String lastFailure() {
        return lastFailure;
    }

    /** Message type (1, 2 or 3) of a base64 NTLM token, -1 when it is not one. */
    public static int type(byte[] token) {
        if (token == null || token.length < 12 || !Arrays.equals(Arrays.copyOf(token, 8), SIGNATURE)) {
            return -1;
        }
        return le32(token, 8);
    }

    /** Answers a NEGOTIATE: the CHALLENGE message. */
    public byte[] challenge() {
        serverChallenge = new byte[8];
        random.nextBytes(serverChallenge);
        authenticated = false;
        byte[] targetName = utf16(domain.toUpperCase(Locale.ROOT));
        ByteArrayOutputStream info = new ByteArrayOutputStream();
        String dns = domain.toLowerCase(Locale.ROOT) + ".example";
        av(info, 2, utf16(domain.toUpperCase(Locale.ROOT)));
        av(info, 1, utf16("FAKEEWS"));
        av(info, 4, utf16(dns));
        av(info, 3, utf16("fakeews." + dns));
        byte[] ts = new byte[8];
        long filetime = (clock.millis() + 11_644_473_600_000L) * 10_000L;
        for (int i = 0; i < 8; i++) {
            ts[i] = (byte) (filetime >>> (8 * i));
        }
        av(info, 7, ts);
        av(info, 0, new byte[0]);
        byte[] ti = info.toByteArray();
        int header = 48;
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        out.writeBytes(SIGNATURE);
        out.writeBytes(le32(2));
        out.writeBytes(secBuf(targetName.length, header));
        out.writeBytes(le32(FLAGS));
        out.writeBytes(serverChallenge);
        out.writeBytes(new byte[8]);
        out.writeBytes(secBuf(ti.length, header + targetName.length));
        out.writeBytes(targetName);
        out.writeBytes(ti);
        return out.toByteArray();
    }

    /** Verifies an AUTHENTICATE message against the last challenge; true when the NTLMv2 proof matches. */
    public boolean verify(byte[] type3) {
        authenticated = false;
        if (serverChallenge == null) {
            return fail("AUTHENTICATE without CHALLENGE on this connection");
        }
        byte[] challenge = serverChallenge;
        serverChallenge = null; // one attempt per challenge
        try {
            if (type(type3) != 3 || type3.length < 64) {
                return fail("not an AUTHENTICATE message");
            }
            int flags = le32(type3, 60);
            boolean unicode = (flags & 1) != 0;
            byte[] nt = field(type3, 20);
            String dom = string(field(type3, 28), unicode);
            String usr = string(field(type3, 36), unicode);
            if (nt.length <= 24) {
                return fail("NTLMv1 response refused (NTLMv2 required)");
            }
            if (!usr.equalsIgnoreCase(user)) {
                return fail("unknown user");
            }
            if (!dom.isEmpty() && !domain.isEmpty() && !dom.equalsIgnoreCase(domain)) {
                return fail("unknown domain");
            }
            byte[] proof = Arrays.copyOf(nt, 16);
            byte[] blob = Arrays.copyOfRange(nt, 16, nt.length);
            if (blob[0] != 1 || blob[1] != 1) {
                return fail("bad NTLMv2 blob version");
            }
            byte[] expected = ntProofStr(ntowfv2(password, usr, dom), challenge, blob);
            if (!MessageDigest.isEqual(expected, proof)) {
                return fail("NTProofStr mismatch (wrong password)");
            }
            authenticated = true;
            lastFailure = null;
            return true;
        } catch (RuntimeException e) {
            return fail("malformed AUTHENTICATE message");
        }
    }

    private boolean fail(String why) {
        lastFailure = why;
        return false;
    }

    // ------------------------------------------------------------------ MS-NLMP 3.3.2

    /** NTOWFv2 = HMAC-MD5(MD4(UTF-16LE(password)), UTF-16LE(UPPER(user) + domain)). */
    public static byte[] ntowfv2(String password, String user, String domain) {
        return hmacMd5(Md4.digest(utf16(password)), utf16(user.toUpperCase(Locale.ROOT) + domain));
    }

    /** NTProofStr = HMAC-MD5(NTOWFv2, ServerChallenge + temp), temp being the client's blob. */
    public static byte[] ntProofStr(byte[] ntowfv2, byte[] serverChallenge, byte[] blob) {
        byte[] data = new byte[serverChallenge.length + blob.length];
        System.arraycopy(serverChallenge, 0, data, 0, serverChallenge.length);
        System.arraycopy(blob, 0, data, serverChallenge.length, blob.length);
        return hmacMd5(ntowfv2, data);
    }

    static byte[] hmacMd5(byte[] key, byte[] data) {
        try {
            Mac mac = Mac.getInstance("HmacMD5");
            mac.init(new SecretKeySpec(key, "HmacMD5"));
            return mac.doFinal(data);
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException(e);
        }
    }

    public static byte[] decode(String base64) {
        try {
            return Base64.getDecoder().decode(base64.trim());
        } catch (IllegalArgumentException e) {
            return new byte[0];
        }
    }

    private static byte[] field(byte[] msg, int at) {
        int len = le16(msg, at);
        int off = le32(msg, at + 4);
        if (len == 0) {
            return new byte[0];
        }
        if (off < 0 || off + len > msg.length) {
            throw new IllegalArgumentException("security buffer out of range");
        }
        return Arrays.copyOfRange(msg, off, off + len);
    }

    private static String string(byte[] b, boolean unicode) {
        return new String(b, unicode ? StandardCharsets.UTF_16LE : StandardCharsets.ISO_8859_1);
    }

    static byte[] utf16(String s) {
        return s.getBytes(StandardCharsets.UTF_16LE);
    }

    private static void av(ByteArrayOutputStream out, int id, byte[] value) {
        out.write(id & 0xff);
        out.write(id >>> 8);
        out.write(value.length & 0xff);
        out.write(value.length >>> 8);
        out.writeBytes(value);
    }

    private static byte[] secBuf(int len, int offset) {
        byte[] b = new byte[8];
        b[0] = (byte) len;
        b[1] = (byte) (len >>> 8);
        b[2] = b[0];
        b[3] = b[1];
        System.arraycopy(le32(offset), 0, b, 4, 4);
        return b;
    }

    private static byte[] le32(int v) {
        return new byte[] {(byte) v, (byte) (v >>> 8), (byte) (v >>> 16), (byte) (v >>> 24)};
    }

    private static int le16(byte[] b, int at) {
        return (b[at] & 0xff) | (b[at + 1] & 0xff) << 8;
    }

    private static int le32(byte[] b, int at) {
        return (b[at] & 0xff) | (b[at + 1] & 0xff) << 8 | (b[at + 2] & 0xff) << 16 | (b[at + 3] & 0xff) << 24;
    }
}
