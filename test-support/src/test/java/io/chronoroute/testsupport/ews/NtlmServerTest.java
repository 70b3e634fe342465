package io.chronoroute.testsupport.ews;

import org.junit.jupiter.api.Test;

import java.io.ByteArrayOutputStream;
import java.security.SecureRandom;
import java.time.Clock;
import java.util.HexFormat;

import static org.assertj.core.api.Assertions.assertThat;

/** MS-NLMP 4.2.4 (NTLMv2 authentication) test vectors and the CHALLENGE layout. */
class NtlmServerTest {

    private static final HexFormat HEX = HexFormat.of();

    @Test
    void ntowfv1AndNtowfv2MatchMsNlmp() {
        assertThat(HEX.formatHex(Md4.digest(NtlmServer.utf16("Password"))))
                .isEqualTo("a4f49c406510bdcab6824ee7c30fd852");
        assertThat(HEX.formatHex(NtlmServer.ntowfv2("Password", "User", "Domain")))
                .isEqualTo("0c868a403bfd7a93a3001ef22ef02e3f");
    }

    @Test
    void ntProofStrMatchesMsNlmp() {
        ByteArrayOutputStream temp = new ByteArrayOutputStream();
        temp.writeBytes(HEX.parseHex("0101000000000000" + "0000000000000000" + "aaaaaaaaaaaaaaaa" + "00000000"));
        temp.writeBytes(HEX.parseHex("02000c00"));
        temp.writeBytes(NtlmServer.utf16("Domain"));
        temp.writeBytes(HEX.parseHex("01000c00"));
        temp.writeBytes(NtlmServer.utf16("Server"));
        temp.writeBytes(HEX.parseHex("00000000" + "00000000"));
        byte[] proof = NtlmServer.ntProofStr(NtlmServer.ntowfv2("Password", "User", "Domain"),
                HEX.parseHex("0123456789abcdef"), temp.toByteArray());
        assertThat(HEX.formatHex(proof)).isEqualTo("68cd0ab851e51c96aabc927bebef6a1c");
    }

    @Test
    void challengeCarriesTimestampAndEol() {
        NtlmServer s = new NtlmServer("CORP", "svc", "pw", Clock.systemUTC(), new SecureRandom());
        byte[] t2 = s.challenge();
        assertThat(NtlmServer.type(t2)).isEqualTo(2);
        int len = (t2[40] & 0xff) | (t2[41] & 0xff) << 8;
        int off = (t2[44] & 0xff) | (t2[45] & 0xff) << 8;
        boolean timestamp = false;
        int i = off;
        int last = -1;
        while (i < off + len) {
            int id = (t2[i] & 0xff) | (t2[i + 1] & 0xff) << 8;
            int l = (t2[i + 2] & 0xff) | (t2[i + 3] & 0xff) << 8;
            timestamp |= id == 7 && l == 8;
            last = id;
            i += 4 + l;
        }
        assertThat(timestamp).isTrue();
        assertThat(last).isZero();
        assertThat(i).isEqualTo(off + len);
        assertThat(s.verify(new byte[] {1, 2, 3})).isFalse();
    }
}
