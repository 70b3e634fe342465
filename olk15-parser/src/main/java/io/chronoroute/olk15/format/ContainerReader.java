package io.chronoroute.olk15.format;

import io.chronoroute.olk15.io.ByteReader;
import io.chronoroute.olk15.io.Olk15FormatException;
import io.chronoroute.olk15.model.RawProperty;
import java.util.List;

/**
 * Validates the entity container of an {@code .olk15Event} and reads its property table (P and pyolk agree; P's
 * length invariant held on 1526/1526 real files):
 *
 * <pre>
 * 0x00  D0 0D 00 00   magic
 * 0x04  4 bytes       unknown (01 01 01 00 observed), kept, not checked
 * 0x08  i32 kind      1 = entity (2 = block, rejected here)
 * 0x0C  i32 RecordID
 * 0x10  i32 class     8 = event (3 = message, rejected)
 * 0x14  12 bytes      unknown
 * 0x20  "CRLC"
 * 0x24  u32           unknown (not a CRC32)
 * 0x28  collection    see {@link CollectionReader}; fileLength == 0x28 + tableSize + dataSize
 * </pre>
 */
public final class ContainerReader {

    public static final byte[] MAGIC = {(byte) 0xD0, 0x0D, 0x00, 0x00};
    public static final byte[] CRLC = {'C', 'R', 'L', 'C'};
    public static final int KIND_ENTITY = 1;
    public static final int CLASS_EVENT = 8;
    public static final int HEADER_LENGTH = 0x28;

    private ContainerReader() {
    }

    /** The decoded header and top-level properties. */
    public record Container(int recordId, List<RawProperty> properties) {
    }

    public static Container read(byte[] file, List<String> problems) throws Olk15FormatException {
        ByteReader r = new ByteReader(file);
        if (file.length < HEADER_LENGTH + 12) {
            throw new Olk15FormatException("file has " + file.length + " bytes, shorter than the "
                    + (HEADER_LENGTH + 12) + "-byte header", file.length);
        }
        if (!r.startsWith(MAGIC)) {
            throw new Olk15FormatException("bad magic (expected D0 0D 00 00)", 0);
        }
        r.seek(0x08);
        int kind = r.i32();
        if (kind != KIND_ENTITY) {
            throw new Olk15FormatException("kind " + kind + " is not an entity (1)", 0x08);
        }
        int recordId = r.i32();
        int cls = r.i32();
        if (cls != CLASS_EVENT) {
            throw new Olk15FormatException("class " + cls + " is not an event (8)", 0x10);
        }
        r.seek(0x20);
        if (!r.startsWith(CRLC)) {
            throw new Olk15FormatException("expected \"CRLC\"", 0x20);
        }
        r.seek(HEADER_LENGTH);
        long tableSize = Integer.toUnsignedLong(ValueDecoder.le32(file, HEADER_LENGTH + 4));
        long dataSize = Integer.toUnsignedLong(ValueDecoder.le32(file, HEADER_LENGTH + 8));
        long count = Integer.toUnsignedLong(ValueDecoder.le32(file, HEADER_LENGTH));
        if (tableSize != 12 + 8 * count) {
            throw new Olk15FormatException("tableSize " + tableSize + " != 12 + 8 x " + count, HEADER_LENGTH + 4);
        }
        if (file.length != HEADER_LENGTH + tableSize + dataSize) {
            throw new Olk15FormatException("fileLength " + file.length + " != 0x28 + tableSize " + tableSize
                    + " + dataSize " + dataSize, file.length < HEADER_LENGTH + tableSize + dataSize
                    ? file.length : HEADER_LENGTH + tableSize + dataSize);
        }
        ByteReader body = r.slice(file.length - HEADER_LENGTH);
        return new Container(recordId, CollectionReader.read(body, HEADER_LENGTH, 0, problems, true));
    }
}
