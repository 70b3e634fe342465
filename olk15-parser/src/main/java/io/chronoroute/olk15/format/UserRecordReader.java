package io.chronoroute.olk15.format;

import io.chronoroute.olk15.io.ByteReader;
import io.chronoroute.olk15.io.Olk15FormatException;

/**
 * Reads a user record (pyolk; format notes §1):
 *
 * <pre>
 * +0    28-byte preamble (pyolk: i16 always 3, i8 user type, flags, then zeros); kept, not interpreted
 * +28   i32 length, then that many bytes of UTF-8 address
 * +..   i32 length, then that many bytes of UTF-16LE display name
 * </pre>
 *
 * Empty strings become null (unknown, not ""). A trailing NUL, if any, is dropped. pyolk strips 4 characters from
 * addresses; we do not (the notes flag that as unexplained).
 */
public final class UserRecordReader {

    public static final int PREAMBLE_LENGTH = 28;

    private UserRecordReader() {
    }

    public record UserRecord(String address, String name) {
    }

    public static UserRecord read(byte[] value, long base) throws Olk15FormatException {
        ByteReader r = new ByteReader(value);
        if (value.length < PREAMBLE_LENGTH + 8) {
            throw new Olk15FormatException("user record has " + value.length + " bytes, needs at least "
                    + (PREAMBLE_LENGTH + 8), base);
        }
        r.skip(PREAMBLE_LENGTH);
        long addressLength = r.u32();
        if (addressLength > r.remaining()) {
            throw new Olk15FormatException("address length " + addressLength + " overruns the user record",
                    base + PREAMBLE_LENGTH);
        }
        String address = trimNul(r.utf8(addressLength));
        long nameOffset = base + r.position();
        long nameLength = r.u32();
        if (nameLength > r.remaining() || (nameLength & 1) != 0) {
            throw new Olk15FormatException("name length " + nameLength + " invalid for the user record", nameOffset);
        }
        String name = trimNul(r.utf16le(nameLength));
        return new UserRecord(address, name);
    }

    private static String trimNul(String s) {
        int end = s.indexOf('\0');
        String t = end >= 0 ? s.substring(0, end) : s;
        return t.isEmpty() ? null : t;
    }
}
