package io.chronoroute.olk15.format;

import io.chronoroute.olk15.io.ByteReader;
import io.chronoroute.olk15.io.Olk15FormatException;
import java.util.ArrayList;
import java.util.List;

/**
 * Reads a list sub-record (pyolk; the format notes §1 "Lists"):
 *
 * <pre>
 * +0        i32 n
 * +4        n x i16 item sizes (signed; a negative size is an error)
 * +4 + 2n   the n items concatenated
 * </pre>
 *
 * Returns the items as byte arrays with their absolute offsets.
 */
public final class ListReader {

    private ListReader() {
    }

    /** One list item. */
    public record Item(long offset, byte[] bytes) {
    }

    public static List<Item> read(byte[] value, long base) throws Olk15FormatException {
        ByteReader r = new ByteReader(value);
        int n = r.i32();
        if (n < 0 || n > (value.length - 4) / 2) {
            throw new Olk15FormatException("list count " + n + " cannot fit in " + value.length + " bytes", base);
        }
        int[] sizes = new int[n];
        for (int i = 0; i < n; i++) {
            sizes[i] = r.i16();
            if (sizes[i] < 0) {
                throw new Olk15FormatException("negative list item size " + sizes[i], base + 4 + 2L * i);
            }
        }
        List<Item> items = new ArrayList<>(n);
        for (int i = 0; i < n; i++) {
            long offset = base + r.position();
            items.add(new Item(offset, r.bytes(sizes[i])));
        }
        return items;
    }
}
