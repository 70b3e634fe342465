package io.chronoroute.olk15.io;

import java.nio.charset.StandardCharsets;
import java.util.Arrays;

/**
 * Bounds-checked little-endian reader over a window of a byte array (no copy). Every read checks the window first
 * and throws {@link Olk15FormatException} with the absolute file offset, so a corrupt length can never index out of
 * bounds or make us allocate more than {@link #MAX_RECORD_LENGTH} bytes.
 *
 * <p>Byte order is explicit per method: all integers of the format are little-endian; only {@link #tagAt(int)}
 * reads the 4 tag bytes in file order (big-endian) so the result matches the notation {@code 0x0200001F} of the
 * format notes (tag bytes {@code 02 00 00 1F}).
 */
public final class ByteReader {

    /** Largest single record/value we accept (and the largest file {@code Olk15Parser} reads): 64 MiB. */
    public static final int MAX_RECORD_LENGTH = 64 * 1024 * 1024;

    private final byte[] data;
    private final int start;
    private final int limit;
    private final int fileBase;
    private int pos;

    /** A reader over the whole array; offsets reported are array indexes. */
    public ByteReader(byte[] data) {
        this(data, 0, data.length, 0);
    }

    private ByteReader(byte[] data, int start, int limit, int fileBase) {
        this.data = data;
        this.start = start;
        this.limit = limit;
        this.fileBase = fileBase;
        this.pos = start;
    }

    /** Number of bytes in this window. */
    public int length() {
        return limit - start;
    }

    /** Position relative to the start of this window. */
    public int position() {
        return pos - start;
    }

    public void seek(int relative) throws Olk15FormatException {
        if (relative < 0 || relative > length()) {
            throw new Olk15FormatException("seek to " + relative + " outside a window of " + length() + " bytes",
                    absolute(0));
        }
        pos = start + relative;
    }

    public int remaining() {
        return limit - pos;
    }

    /** Absolute file offset of a position relative to this window. */
    public long absolute(int relative) {
        return (long) fileBase + relative;
    }

    /** Absolute file offset of the current position. */
    public long absolutePosition() {
        return absolute(position());
    }

    private int need(int n) throws Olk15FormatException {
        if (n < 0 || n > limit - pos) {
            throw new Olk15FormatException("need " + (n & 0xffffffffL) + " bytes, only " + (limit - pos)
                    + " left", absolutePosition());
        }
        int p = pos;
        pos += n;
        return p;
    }

    public int u8() throws Olk15FormatException {
        return data[need(1)] & 0xff;
    }

    public short i16() throws Olk15FormatException {
        int p = need(2);
        return (short) ((data[p] & 0xff) | (data[p + 1] & 0xff) << 8);
    }

    public int u16() throws Olk15FormatException {
        return i16() & 0xffff;
    }

    public int i32() throws Olk15FormatException {
        int p = need(4);
        return le32(data, p);
    }

    /** Unsigned 32-bit value as a long (sizes and counts). */
    public long u32() throws Olk15FormatException {
        return i32() & 0xffffffffL;
    }

    public long i64() throws Olk15FormatException {
        int p = need(8);
        return (le32(data, p) & 0xffffffffL) | ((long) le32(data, p + 4)) << 32;
    }

    public double f64() throws Olk15FormatException {
        return Double.longBitsToDouble(i64());
    }

    /** The 4 tag bytes in file order as one int (big-endian): bytes {@code 02 00 00 1F} give 0x0200001F. */
    public int tag() throws Olk15FormatException {
        int p = need(4);
        return (data[p] & 0xff) << 24 | (data[p + 1] & 0xff) << 16 | (data[p + 2] & 0xff) << 8 | (data[p + 3] & 0xff);
    }

    /** Copies {@code n} bytes, refusing lengths beyond the window or {@link #MAX_RECORD_LENGTH}. */
    public byte[] bytes(long n) throws Olk15FormatException {
        int len = checkedLength(n);
        int p = need(len);
        return Arrays.copyOfRange(data, p, p + len);
    }

    /** A sub-reader over the next {@code n} bytes (no copy); this reader advances past them. */
    public ByteReader slice(long n) throws Olk15FormatException {
        int len = checkedLength(n);
        int rel = position();
        int p = need(len);
        return new ByteReader(data, p, p + len, (int) Math.min(Integer.MAX_VALUE, absolute(rel)));
    }

    /** Skips {@code n} bytes. */
    public void skip(long n) throws Olk15FormatException {
        need(checkedLength(n));
    }

    /** Does the window hold {@code expected} at the current position? Does not move. */
    public boolean startsWith(byte[] expected) {
        if (expected.length > remaining()) {
            return false;
        }
        for (int i = 0; i < expected.length; i++) {
            if (data[pos + i] != expected[i]) {
                return false;
            }
        }
        return true;
    }

    /** UTF-8 text of the next {@code n} bytes (malformed sequences become U+FFFD). */
    public String utf8(long n) throws Olk15FormatException {
        int len = checkedLength(n);
        int p = need(len);
        return new String(data, p, len, StandardCharsets.UTF_8);
    }

    /** UTF-16LE text of the next {@code n} bytes. */
    public String utf16le(long n) throws Olk15FormatException {
        int len = checkedLength(n);
        int p = need(len);
        return new String(data, p, len, StandardCharsets.UTF_16LE);
    }

    private int checkedLength(long n) throws Olk15FormatException {
        if (n < 0 || n > MAX_RECORD_LENGTH) {
            throw new Olk15FormatException("length " + n + " exceeds MAX_RECORD_LENGTH " + MAX_RECORD_LENGTH,
                    absolutePosition());
        }
        return (int) n;
    }

    static int le32(byte[] b, int p) {
        return (b[p] & 0xff) | (b[p + 1] & 0xff) << 8 | (b[p + 2] & 0xff) << 16 | (b[p + 3] & 0xff) << 24;
    }
}
