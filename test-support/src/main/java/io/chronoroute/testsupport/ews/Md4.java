package io.chronoroute.testsupport.ews;

import java.util.Arrays;

/**
 * MD4 message digest (RFC 1320), needed for the NT one-way function of NTLM; the standard JCA providers do not offer
 * MD4. Test support only: MD4 is broken, never use it for anything but verifying NTLM.
 */
public final class Md4 {

    private static final int[] S1 = {3, 7, 11, 19};
    private static final int[] S2 = {3, 5, 9, 13};
    private static final int[] S3 = {3, 9, 11, 15};
    private static final int[] K2 = {0, 4, 8, 12, 1, 5, 9, 13, 2, 6, 10, 14, 3, 7, 11, 15};
    private static final int[] K3 = {0, 8, 4, 12, 2, 10, 6, 14, 1, 9, 5, 13, 3, 11, 7, 15};

    private Md4() {
    }

    public static byte[] digest(byte[] in) {
        int a = 0x67452301;
        int b = 0xefcdab89;
        int c = 0x98badcfe;
        int d = 0x10325476;
        long bits = (long) in.length * 8;
        int padded = ((in.length + 8) / 64 + 1) * 64;
        byte[] m = Arrays.copyOf(in, padded);
        m[in.length] = (byte) 0x80;
        for (int i = 0; i < 8; i++) {
            m[padded - 8 + i] = (byte) (bits >>> (8 * i));
        }
        int[] x = new int[16];
        for (int off = 0; off < padded; off += 64) {
            for (int i = 0; i < 16; i++) {
                int p = off + 4 * i;
                x[i] = (m[p] & 0xff) | (m[p + 1] & 0xff) << 8 | (m[p + 2] & 0xff) << 16 | (m[p + 3] & 0xff) << 24;
            }
            int aa = a;
            int bb = b;
            int cc = c;
            int dd = d;
            for (int i = 0; i < 48; i++) {
                int f;
                int k;
                int s;
                if (i < 16) {
                    f = (b & c) | (~b & d);
                    k = i;
                    s = S1[i % 4];
                } else if (i < 32) {
                    f = ((b & c) | (b & d) | (c & d)) + 0x5A827999;
                    k = K2[i - 16];
                    s = S2[i % 4];
                } else {
                    f = (b ^ c ^ d) + 0x6ED9EBA1;
                    k = K3[i - 32];
                    s = S3[i % 4];
                }
                int t = Integer.rotateLeft(a + f + x[k], s);
                a = d;
                d = c;
                c = b;
                b = t;
            }
            a += aa;
            b += bb;
            c += cc;
            d += dd;
        }
        byte[] out = new byte[16];
        int[] r = {a, b, c, d};
        for (int i = 0; i < 4; i++) {
            for (int j = 0; j < 4; j++) {
                out[4 * i + j] = (byte) (r[i] >>> (8 * j));
            }
        }
        return out;
    }
}
