package io.chronoroute.olk15.format;

import io.chronoroute.olk15.io.ByteReader;
import io.chronoroute.olk15.io.Olk15FormatException;
import io.chronoroute.olk15.model.PropertyType;
import io.chronoroute.olk15.model.PropertyValue;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.List;
import java.util.UUID;

/**
 * Decodes one value by its type code. Never throws: a value whose size does not fit its type becomes
 * {@link PropertyValue.Opaque} and the reason goes to {@code problems}.
 *
 * <pre>
 * 02 i16 LE (2 bytes)            03 i32 LE (4 bytes; 8 bytes seen too: read as i64)
 * 0B bool (1 byte, non-zero)     0D sub-record (decoded as a collection when it is one)
 * 14 i64 LE (8 bytes)            1E UTF-8, NUL-terminated      1F UTF-16LE, NUL-terminated
 * 48 GUID (16 bytes, Microsoft layout: Data1 u32 LE, Data2/Data3 u16 LE, Data4 8 bytes as stored)
 * 4D double LE, seconds since 2001-01-01T00:00Z
 * </pre>
 */
public final class ValueDecoder {

    /** Sub-records nest at most this deep; deeper ones stay raw (guards recursion on hostile input). */
    public static final int MAX_DEPTH = 6;

    /** Shared: unknown types are common (FourCC keys of the time-zone record) and the dump shows the type. */
    private static final PropertyValue.Opaque UNKNOWN_TYPE = new PropertyValue.Opaque("unknown type, not decoded");
    private static final long APPLE_EPOCH_SECONDS = 978_307_200L;
    private static final double MAX_ABS_SECONDS = 1.0e11;

    private ValueDecoder() {
    }

    public static PropertyValue decode(int tag, byte[] b, long offset, int depth, List<String> problems) {
        int typeCode = tag & 0xffff;
        PropertyType type = PropertyType.of(typeCode);
        int n = b.length;
        switch (type) {
            case I16:
                return n == 2 ? new PropertyValue.I16((short) ((b[0] & 0xff) | (b[1] & 0xff) << 8))
                        : wrongSize(tag, offset, n, "2", problems);
            case I32:
                if (n == 4) {
                    return new PropertyValue.I32(le32(b, 0));
                }
                return n == 8 ? new PropertyValue.WideI32(le64(b)) : wrongSize(tag, offset, n, "4 or 8", problems);
            case BOOL:
                return n == 1 ? new PropertyValue.Bool(b[0] != 0) : wrongSize(tag, offset, n, "1", problems);
            case I64:
                return n == 8 ? new PropertyValue.I64(le64(b)) : wrongSize(tag, offset, n, "8", problems);
            case UTF8:
                return new PropertyValue.Text(utf8(b, tag, offset, problems));
            case UTF16LE:
                if ((n & 1) != 0) {
                    return wrongSize(tag, offset, n, "an even number of", problems);
                }
                return new PropertyValue.Text(utf16(b, tag, offset, problems));
            case GUID:
                return n == 16 ? new PropertyValue.Guid(guid(b, 0)) : wrongSize(tag, offset, n, "16", problems);
            case ABSOLUTE_TIME:
                if (n != 8) {
                    return wrongSize(tag, offset, n, "8", problems);
                }
                double s = Double.longBitsToDouble(le64(b));
                Instant instant = Double.isFinite(s) && Math.abs(s) < MAX_ABS_SECONDS
                        ? Instant.ofEpochSecond(APPLE_EPOCH_SECONDS + (long) Math.floor(s),
                        (long) ((s - Math.floor(s)) * 1e9)) : null;
                return new PropertyValue.AbsoluteTime(s, instant);
            case SUB_RECORD:
                return subRecord(b, offset, depth);
            default:
                return UNKNOWN_TYPE;
        }
    }

    private static PropertyValue subRecord(byte[] b, long offset, int depth) {
        if (depth >= MAX_DEPTH) {
            return new PropertyValue.Opaque("nested deeper than " + MAX_DEPTH);
        }
        if (!CollectionReader.looksLikeCollection(b)) {
            return new PropertyValue.Opaque("sub-record is not a collection (list or user record)");
        }
        try {
            List<String> ignored = new java.util.ArrayList<>();
            return new PropertyValue.SubRecord(
                    CollectionReader.read(new ByteReader(b), offset, depth + 1, ignored, true));
        } catch (Olk15FormatException e) {
            return new PropertyValue.Opaque("sub-record: " + e.getMessage());
        }
    }

    private static PropertyValue wrongSize(int tag, long offset, int n, String expected, List<String> problems) {
        String msg = "tag " + String.format("0x%08X", tag) + " at offset 0x" + Long.toHexString(offset) + ": "
                + n + " bytes where " + expected + " bytes were expected; kept raw";
        problems.add(msg);
        return new PropertyValue.Opaque(n + " bytes, expected " + expected);
    }

    /** UTF-8 up to the first NUL (the terminator). Missing terminator is tolerated and reported. */
    static String utf8(byte[] b, int tag, long offset, List<String> problems) {
        int end = 0;
        while (end < b.length && b[end] != 0) {
            end++;
        }
        if (end == b.length && b.length > 0 && problems != null) {
            problems.add("tag " + String.format("0x%08X", tag) + " at offset 0x" + Long.toHexString(offset)
                    + ": UTF-8 text without NUL terminator");
        }
        return new String(b, 0, end, StandardCharsets.UTF_8);
    }

    /** UTF-16LE up to the first aligned NUL code unit. */
    static String utf16(byte[] b, int tag, long offset, List<String> problems) {
        int end = 0;
        while (end + 1 < b.length && (b[end] != 0 || b[end + 1] != 0)) {
            end += 2;
        }
        if (end + 1 >= b.length && b.length > 0 && problems != null) {
            problems.add("tag " + String.format("0x%08X", tag) + " at offset 0x" + Long.toHexString(offset)
                    + ": UTF-16 text without NUL terminator");
        }
        return new String(b, 0, end, StandardCharsets.UTF_16LE);
    }

    /** A GUID in the Microsoft byte layout (as VT_CLSID). */
    public static UUID guid(byte[] b, int p) {
        long d1 = le32(b, p) & 0xffffffffL;
        long d2 = (b[p + 4] & 0xff) | (b[p + 5] & 0xff) << 8;
        long d3 = (b[p + 6] & 0xff) | (b[p + 7] & 0xff) << 8;
        long msb = d1 << 32 | d2 << 16 | d3;
        long lsb = 0;
        for (int i = 8; i < 16; i++) {
            lsb = lsb << 8 | (b[p + i] & 0xff);
        }
        return new UUID(msb, lsb);
    }

    static int le32(byte[] b, int p) {
        return (b[p] & 0xff) | (b[p + 1] & 0xff) << 8 | (b[p + 2] & 0xff) << 16 | (b[p + 3] & 0xff) << 24;
    }

    static long le64(byte[] b) {
        return (le32(b, 0) & 0xffffffffL) | ((long) le32(b, 4)) << 32;
    }
}
