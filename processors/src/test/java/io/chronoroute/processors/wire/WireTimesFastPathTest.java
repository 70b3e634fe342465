package io.chronoroute.processors.wire;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

/** The allocation-free fast path must read every text exactly as the general parser does, or leave it to it. */
class WireTimesFastPathTest {

    private static final String[] DATES = {"2025-06-10", "2024-02-29", "2025-02-29", "2025-02-31", "2025-13-01",
            "2025-00-10", "0001-01-01", "9999-12-31", "2025-6-10", "20250610", "+2025-06-10"};
    private static final String[] TIMES = {"", "T09:00", "T09:00:00", "t09:00:05", "T23:59:59.5", "T00:00:00.123456789",
            "T00:00:00.1234567891", "T24:00", "T24:00:00", "T25:00", "T09:60", "T09:00:60", "T09:00:00.", " 09:00:00",
            "T9:00", "T09:00:0"};
    private static final String[] ZONES = {"", "Z", "z", "+02:00", "-05:30", "+0200", "+02", "-00:00", "+18:00",
            "+18:30", "+02:60", "+2:00", "Zx", "+02:00:30", " "};

    @Test
    void fastPathAgreesWithTheGeneralParser() {
        List<String> inputs = new ArrayList<>();
        for (String d : DATES) {
            for (String t : TIMES) {
                for (String z : ZONES) {
                    inputs.add(d + t + z);
                }
            }
        }
        Random r = new Random(42);
        for (int i = 0; i < 20_000; i++) {
            inputs.add(String.format("%04d-%02d-%02dT%02d:%02d:%02d%s", r.nextInt(10_000), r.nextInt(14),
                    r.nextInt(33), r.nextInt(26), r.nextInt(62), r.nextInt(62),
                    ZONES[r.nextInt(ZONES.length)]));
        }
        int fast = 0;
        for (String in : inputs) {
            WireTimes.Parsed f = WireTimes.fastIso(in);
            if (f == null) {
                continue;
            }
            fast++;
            assertThat(f).as(in).isEqualTo(WireTimes.generalParse("t", in, in));
        }
        assertThat(fast).as("the fast path takes the common forms").isGreaterThan(1000);
    }
}
