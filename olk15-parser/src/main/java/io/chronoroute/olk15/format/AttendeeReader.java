package io.chronoroute.olk15.format;

import io.chronoroute.olk15.io.ByteReader;
import io.chronoroute.olk15.io.Olk15FormatException;
import io.chronoroute.olk15.model.Olk15Attendee;
import io.chronoroute.olk15.model.Olk15Tags;
import io.chronoroute.olk15.model.PropertyValue;
import io.chronoroute.olk15.model.RawProperty;
import java.util.ArrayList;
import java.util.List;

/**
 * Reads the attendee list 0x0B00000D (pyolk only; P did not decode it): a {@link ListReader list} whose items are
 * either
 * <ul>
 *   <li>a collection (pyolk's OlkAttendee): 0x01000003 role (0 required, 1 optional, 2 resource), 0x0100001E
 *       address, and optionally a sub-record holding a {@link UserRecordReader user record} with address and name;
 *       or</li>
 *   <li>a bare user record (format notes: "list of user records"), whose role is then unknown (null).</li>
 * </ul>
 * An item that is neither is skipped and reported.
 */
public final class AttendeeReader {

    private AttendeeReader() {
    }

    public static List<Olk15Attendee> read(byte[] value, long base, List<String> problems)
            throws Olk15FormatException {
        List<Olk15Attendee> out = new ArrayList<>();
        for (ListReader.Item item : ListReader.read(value, base)) {
            try {
                out.add(readItem(item, problems));
            } catch (Olk15FormatException e) {
                problems.add("attendee at offset 0x" + Long.toHexString(item.offset()) + " skipped: "
                        + e.getMessage());
            }
        }
        return out;
    }

    private static Olk15Attendee readItem(ListReader.Item item, List<String> problems) throws Olk15FormatException {
        byte[] b = item.bytes();
        if (!CollectionReader.looksLikeCollection(b)) {
            UserRecordReader.UserRecord u = UserRecordReader.read(b, item.offset());
            return new Olk15Attendee(null, null, u.name(), u.address());
        }
        List<RawProperty> props = CollectionReader.read(new ByteReader(b), item.offset(), 1, problems, true);
        Integer role = null;
        String address = null;
        String name = null;
        for (RawProperty p : props) {
            if (p.tag() == Olk15Tags.ATT_ROLE && role == null) {
                role = Props.asInt(p.value());
            } else if (p.tag() == Olk15Tags.ATT_ADDRESS && address == null
                    && p.value() instanceof PropertyValue.Text t && !t.value().isEmpty()) {
                address = t.value();
            } else if (p.type() == 0x0D && name == null && !(p.value() instanceof PropertyValue.SubRecord)) {
                try {
                    UserRecordReader.UserRecord u = UserRecordReader.read(p.bytes(), p.offset());
                    name = u.name();
                    if (address == null) {
                        address = u.address();
                    }
                } catch (Olk15FormatException e) {
                    problems.add("attendee user record at offset 0x" + Long.toHexString(p.offset())
                            + " not decoded: " + e.getMessage());
                }
            }
        }
        Olk15Attendee.Role r = Olk15Attendee.Role.fromCode(role);
        if (role != null && r == null) {
            problems.add("attendee at offset 0x" + Long.toHexString(item.offset()) + ": unknown role code " + role);
        }
        return new Olk15Attendee(r, role, name, address);
    }
}
