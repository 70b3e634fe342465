package io.chronoroute.olk15;

import static org.assertj.core.api.Assertions.assertThat;

import io.chronoroute.olk15.fixture.EventEncoder;
import io.chronoroute.olk15.fixture.EventSpec;
import io.chronoroute.olk15.fixture.Olk15Writer;
import io.chronoroute.olk15.io.Olk15FormatException;
import io.chronoroute.olk15.model.Olk15Recurrence;
import io.chronoroute.olk15.model.Olk15Tags;
import java.time.DayOfWeek;
import java.time.LocalDate;
import java.util.List;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.constraints.IntRange;
import net.jqwik.api.constraints.Size;

/**
 * Fuzzing the decoder: mutated, truncated and random inputs must give an event or an Olk15FormatException, never
 * another exception, and quickly (bounded time per input).
 */
class Olk15FuzzTest {

    private static final byte[] SEED = EventEncoder.encode(Olk15ParserTest.fullEvent()
            .recurrence(new EventSpec.RecurrenceSpec(Olk15Recurrence.Type.WEEKLY, 1, List.of(DayOfWeek.MONDAY), null,
                    null, Olk15Recurrence.EndType.AFTER_COUNT, 5, null, LocalDate.of(2025, 1, 6),
                    List.of(LocalDate.of(2025, 1, 13))))
            .extra(0x7700_0077, new byte[] {1, 2, 3}).wide());

    /** Parses and checks the contract; returns true when an event came back. */
    static boolean parseWithinContract(byte[] input) {
        long t0 = System.nanoTime();
        boolean ok;
        try {
            Olk15Parser.parse(input, "fuzz");
            ok = true;
        } catch (Olk15FormatException e) {
            assertThat(e.offset()).isGreaterThanOrEqualTo(-1);
            ok = false;
        }
        assertThat(System.nanoTime() - t0).as("parse time").isLessThan(2_000_000_000L);
        return ok;
    }

    @Property(tries = 3000)
    void mutatedBytesNeverEscapeTheContract(@ForAll @Size(min = 1, max = 12) List<@IntRange(min = 0, max = 100_000) Integer> positions,
                                            @ForAll @Size(min = 12, max = 12) List<@IntRange(min = 0, max = 255) Integer> values) {
        byte[] b = SEED.clone();
        for (int i = 0; i < positions.size(); i++) {
            b[positions.get(i) % b.length] = (byte) (int) values.get(i);
        }
        parseWithinContract(b);
    }

    @Property(tries = 1000)
    void mutationsInsideTheValueAreaKeepTheContainerValid(@ForAll @IntRange(min = 0, max = 100_000) int pos,
                                                          @ForAll @IntRange(min = 0, max = 255) int value) {
        int valueStart = 0x28 + 12 + 8 * countOf(SEED);
        byte[] b = SEED.clone();
        b[valueStart + pos % (b.length - valueStart)] = (byte) value;
        // the container and table are untouched, so the file must still decode (problems may be reported)
        assertThat(parseWithinContract(b)).isTrue();
    }

    @Property(tries = 1000)
    void truncationsAreTypedErrors(@ForAll @IntRange(min = 0, max = 100_000) int cut) {
        int len = cut % SEED.length;
        assertThat(parseWithinContract(java.util.Arrays.copyOf(SEED, len))).isFalse();
    }

    @Property(tries = 1000)
    void randomBytesBehindAValidHeader(@ForAll @Size(max = 600) byte[] tail) {
        byte[] b = Olk15Writer.container(1, tail);
        parseWithinContract(b);
    }

    @Property(tries = 500)
    void randomCollectionsWithValidLengths(@ForAll("entries") List<Olk15Writer.Entry> entries) {
        byte[] b = Olk15Writer.container(1, Olk15Writer.collectionInOrder(entries));
        assertThat(parseWithinContract(b)).isTrue();
    }

    @Provide
    Arbitrary<List<Olk15Writer.Entry>> entries() {
        Arbitrary<Integer> tags = Arbitraries.oneOf(
                Arbitraries.of(Olk15Tags.SUBJECT, Olk15Tags.START_UTC, Olk15Tags.ALL_DAY, Olk15Tags.ATTENDEES,
                        Olk15Tags.TIME_ZONE, Olk15Tags.RECURRENCE, Olk15Tags.RECORD_UUID, Olk15Tags.ORGANIZER_RECORD,
                        Olk15Tags.BUSY_STATUS, 0x1100004D, 0x01000014, 0x01000002),
                Arbitraries.integers());
        Arbitrary<byte[]> values = Arbitraries.oneOf(
                Arbitraries.bytes().array(byte[].class).ofMaxSize(64),
                Arbitraries.of(Olk15Writer.i32(Integer.MAX_VALUE), Olk15Writer.i32(-1), Olk15Writer.i32(0x7fff0001),
                        Olk15Writer.list(List.of(new byte[40], new byte[3])),
                        Olk15Writer.collection(List.of(new Olk15Writer.Entry(0x0100000D, new byte[] {9, 9})))));
        return tags.flatMap(t -> values.map(v -> new Olk15Writer.Entry(t, v))).list().ofMaxSize(12);
    }

    private static int countOf(byte[] file) {
        return (file[0x28] & 0xff) | (file[0x29] & 0xff) << 8;
    }
}
