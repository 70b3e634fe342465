package io.chronoroute.olk15.model;

import java.util.Arrays;
import java.util.HexFormat;

/**
 * One entry of a property table, exactly as stored: the tag (P notation), its type code, the absolute file offset
 * of its value, the value bytes, and the decoded value ({@link PropertyValue.Opaque} if not decodable). Entries are
 * kept in table order, including duplicates and unknown tags.
 */
public record RawProperty(int tag, int type, long offset, byte[] bytes, PropertyValue value) {

    public RawProperty {
        bytes = bytes.clone();
    }

    @Override
    public byte[] bytes() {
        return bytes.clone();
    }

    public int length() {
        return bytes.length;
    }

    public PropertyType propertyType() {
        return PropertyType.of(type);
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof RawProperty r && r.tag == tag && r.type == type && r.offset == offset
                && Arrays.equals(r.bytes, bytes) && r.value.equals(value);
    }

    @Override
    public int hashCode() {
        return (tag * 31 + Long.hashCode(offset)) * 31 + Arrays.hashCode(bytes);
    }

    @Override
    public String toString() {
        String hex = HexFormat.of().formatHex(bytes, 0, Math.min(bytes.length, 32));
        return Olk15Tags.hex(tag) + "@0x" + Long.toHexString(offset) + "[" + bytes.length + "]=" + value.display()
                + " {" + hex + (bytes.length > 32 ? "..." : "") + "}";
    }
}
