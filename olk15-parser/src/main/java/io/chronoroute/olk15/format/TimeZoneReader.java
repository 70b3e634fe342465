package io.chronoroute.olk15.format;

import io.chronoroute.olk15.io.ByteReader;
import io.chronoroute.olk15.io.Olk15FormatException;
import io.chronoroute.olk15.model.Olk15Tags;
import io.chronoroute.olk15.model.Olk15TimeZone;
import io.chronoroute.olk15.model.Olk15ZoneRule;
import io.chronoroute.olk15.model.RawProperty;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/**
 * Reads the time-zone sub-record 0x0900000D (pyolk only). It is a {@link CollectionReader collection} whose keys
 * are reversed FourCCs (so their "type" bytes are letters and the generic decoder keeps them raw):
 *
 * <pre>
 * "CFtz"      UTF-8 Olson id, e.g. "Europe/Berlin"
 * "TZID"      i32 Microsoft zone id
 * "Name"      UTF-8 display name
 * 0x3F01000D  Standard: a list of collections with keys "StRl" (RRULE text), "StFr"/"StTo" (offset text,
 *             e.g. "+0100"), "StSt" (i32 wall-clock start, minutes since 1601)
 * 0x4001000D  Daylight: the same with "DLRl", "DLFr", "DLTo", "DLSt"
 * </pre>
 */
public final class TimeZoneReader {

    private TimeZoneReader() {
    }

    public static Olk15TimeZone read(byte[] value, long base, List<String> problems) throws Olk15FormatException {
        List<RawProperty> props = CollectionReader.read(new ByteReader(value), base, 1, problems, true);
        String olson = null;
        Integer msId = null;
        String name = null;
        List<Olk15ZoneRule> standard = new ArrayList<>();
        List<Olk15ZoneRule> daylight = new ArrayList<>();
        for (RawProperty p : props) {
            int tag = p.tag();
            byte[] b = p.bytes();
            if (tag == Olk15Tags.TZ_OLSON) {
                olson = text(b);
            } else if (tag == Olk15Tags.TZ_NAME) {
                name = text(b);
            } else if (tag == Olk15Tags.TZ_MS_ID) {
                if (b.length == 4) {
                    msId = ValueDecoder.le32(b, 0);
                } else {
                    problems.add("time zone TZID at offset 0x" + Long.toHexString(p.offset()) + " has " + b.length
                            + " bytes, expected 4");
                }
            } else if (tag == Olk15Tags.TZ_STANDARD || tag == Olk15Tags.TZ_DAYLIGHT) {
                List<Olk15ZoneRule> target = tag == Olk15Tags.TZ_STANDARD ? standard : daylight;
                try {
                    for (ListReader.Item item : ListReader.read(b, p.offset())) {
                        target.add(rule(item, problems));
                    }
                } catch (Olk15FormatException e) {
                    problems.add("time zone rule list at offset 0x" + Long.toHexString(p.offset())
                            + " not decoded: " + e.getMessage());
                }
            }
        }
        return new Olk15TimeZone(olson, msId, name, standard, daylight);
    }

    private static Olk15ZoneRule rule(ListReader.Item item, List<String> problems) throws Olk15FormatException {
        List<RawProperty> props = CollectionReader.read(new ByteReader(item.bytes()), item.offset(), 2, problems,
                true);
        String rrule = null;
        String from = null;
        String to = null;
        java.time.LocalDateTime start = null;
        for (RawProperty p : props) {
            int t = p.tag();
            byte[] b = p.bytes();
            if (t == Olk15Tags.TZ_STD_RRULE || t == Olk15Tags.TZ_DL_RRULE) {
                rrule = text(b);
            } else if (t == Olk15Tags.TZ_STD_OFFSET_FROM || t == Olk15Tags.TZ_DL_OFFSET_FROM) {
                from = text(b);
            } else if (t == Olk15Tags.TZ_STD_OFFSET_TO || t == Olk15Tags.TZ_DL_OFFSET_TO) {
                to = text(b);
            } else if (t == Olk15Tags.TZ_STD_START || t == Olk15Tags.TZ_DL_START) {
                if (b.length == 4) {
                    start = WinMinutes.toLocal(ValueDecoder.le32(b, 0));
                } else {
                    problems.add("time zone rule start at offset 0x" + Long.toHexString(p.offset()) + " has "
                            + b.length + " bytes, expected 4");
                }
            }
        }
        return new Olk15ZoneRule(rrule, from, to, start);
    }

    private static String text(byte[] b) {
        int end = 0;
        while (end < b.length && b[end] != 0) {
            end++;
        }
        String s = new String(b, 0, end, StandardCharsets.UTF_8);
        return s.isEmpty() ? null : s;
    }
}
