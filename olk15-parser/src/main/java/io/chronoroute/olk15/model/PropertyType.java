package io.chronoroute.olk15.model;

/**
 * Value type codes of the property table (low byte of the tag; P and pyolk agree). Anything else is
 * {@link #UNKNOWN} and kept as raw bytes.
 */
public enum PropertyType {
    I16(0x02), I32(0x03), BOOL(0x0B), SUB_RECORD(0x0D), I64(0x14), UTF8(0x1E), UTF16LE(0x1F), GUID(0x48),
    /** Double, seconds since 2001-01-01T00:00Z (Apple absolute time). */
    ABSOLUTE_TIME(0x4D), UNKNOWN(-1);

    private final int code;

    PropertyType(int code) {
        this.code = code;
    }

    public int code() {
        return code;
    }

    /** Type of a tag in P notation: bytes 2..3 of the tag, e.g. 0x001F for {@code 02 00 00 1F}. */
    public static PropertyType ofTag(int tag) {
        return of(Olk15Tags.typeCode(tag));
    }

    public static PropertyType of(int typeCode) {
        return switch (typeCode) {
            case 0x02 -> I16;
            case 0x03 -> I32;
            case 0x0B -> BOOL;
            case 0x0D -> SUB_RECORD;
            case 0x14 -> I64;
            case 0x1E -> UTF8;
            case 0x1F -> UTF16LE;
            case 0x48 -> GUID;
            case 0x4D -> ABSOLUTE_TIME;
            default -> UNKNOWN;
        };
    }
}
