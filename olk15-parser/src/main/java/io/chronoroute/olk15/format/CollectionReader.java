package io.chronoroute.olk15.format;

import io.chronoroute.olk15.io.ByteReader;
import io.chronoroute.olk15.io.Olk15FormatException;
import io.chronoroute.olk15.model.RawProperty;
import java.util.ArrayList;
import java.util.List;

/**
 * Reads a property collection (the structure at 0x28 of every entity file, and inside sub-records; P and pyolk
 * agree):
 *
 * <pre>
 * +0   u32 count n
 * +4   u32 tableSize   (must be 12 + 8n)
 * +8   u32 dataSize    (sum of the value sizes)
 * +12  n x { 4 tag bytes (P notation, e.g. 02 00 00 1F), u32 size }
 * +tableSize  the n values concatenated, in table order
 * </pre>
 *
 * Sizes are checked against the window before anything is allocated; a table that overruns the window is a
 * {@link Olk15FormatException} with the offset of the offending entry.
 */
public final class CollectionReader {

    private CollectionReader() {
    }

    /** Cheap structural test used to decide whether a sub-record is a collection (vs. a list or user record). */
    public static boolean looksLikeCollection(byte[] b) {
        if (b.length < 12) {
            return false;
        }
        long n = ValueDecoder.le32(b, 0) & 0xffffffffL;
        long table = ValueDecoder.le32(b, 4) & 0xffffffffL;
        long data = ValueDecoder.le32(b, 8) & 0xffffffffL;
        return n <= (b.length - 12) / 8 && table == 12 + 8 * n && table + data == b.length;
    }

    /**
     * Reads the collection filling the reader's whole window.
     *
     * @param base      absolute file offset of the window (for offsets in properties and errors)
     * @param depth     nesting depth of this collection
     * @param problems  receives value-level problems
     * @param exact     require tableSize + dataSize == window length (else trailing bytes are only reported)
     */
    public static List<RawProperty> read(ByteReader r, long base, int depth, List<String> problems, boolean exact)
            throws Olk15FormatException {
        if (r.length() < 12) {
            throw new Olk15FormatException("collection header needs 12 bytes, window has " + r.length(), base);
        }
        long count = r.u32();
        long tableSize = r.u32();
        long dataSize = r.u32();
        if (count > (r.length() - 12) / 8) {
            throw new Olk15FormatException("entry count " + count + " cannot fit in " + r.length() + " bytes", base);
        }
        if (tableSize != 12 + 8 * count) {
            throw new Olk15FormatException("tableSize " + tableSize + " != 12 + 8 x " + count, base + 4);
        }
        if (tableSize + dataSize > r.length()) {
            throw new Olk15FormatException("tableSize + dataSize = " + (tableSize + dataSize) + " exceeds the "
                    + r.length() + " bytes available", base + 8);
        }
        if (exact && tableSize + dataSize != r.length()) {
            throw new Olk15FormatException("tableSize + dataSize = " + (tableSize + dataSize) + " but the record has "
                    + r.length() + " bytes", base + 8);
        }
        int n = (int) count;
        int[] tags = new int[n];
        long[] sizes = new long[n];
        long sum = 0;
        for (int i = 0; i < n; i++) {
            tags[i] = r.tag();
            sizes[i] = r.u32();
            sum += sizes[i];
            if (sum > dataSize) {
                throw new Olk15FormatException("value sizes exceed dataSize " + dataSize, base + 12 + 8L * i);
            }
        }
        if (sum < dataSize) {
            problems.add((dataSize - sum) + " bytes of data at offset 0x" + Long.toHexString(base + tableSize + sum)
                    + " are not described by the table; ignored");
        }
        List<RawProperty> out = new ArrayList<>(n);
        for (int i = 0; i < n; i++) {
            long offset = base + r.position();
            byte[] value = r.bytes(sizes[i]);
            out.add(new RawProperty(tags[i], tags[i] & 0xffff, offset,
                    value, ValueDecoder.decode(tags[i], value, offset, depth, problems)));
        }
        return out;
    }
}
