package io.chronoroute.olk15.format;

import io.chronoroute.olk15.io.Olk15FormatException;
import io.chronoroute.olk15.model.BusyStatus;
import io.chronoroute.olk15.model.Olk15Attendee;
import io.chronoroute.olk15.model.Olk15Event;
import io.chronoroute.olk15.model.Olk15Recurrence;
import io.chronoroute.olk15.model.Olk15Tags;
import io.chronoroute.olk15.model.Olk15TimeZone;
import io.chronoroute.olk15.model.PropertyValue;
import io.chronoroute.olk15.model.RawProperty;
import java.time.DateTimeException;
import java.time.Instant;
import java.time.LocalDateTime;
import java.time.ZoneId;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;

/**
 * Maps the decoded property table onto {@link Olk15Event}. Policy for duplicates: the first occurrence of a tag
 * wins and a later one is reported when its bytes differ (nothing is merged or guessed). A known tag whose value
 * has the wrong type leaves the field null and is reported.
 */
public final class EventAssembler {

    private EventAssembler() {
    }

    public static Olk15Event assemble(String name, ContainerReader.Container c, List<String> problems) {
        List<RawProperty> props = c.properties();
        RawProperty[] first = new RawProperty[Slot.values().length];
        for (RawProperty p : props) {
            Slot slot = Slot.of(p.tag());
            if (slot == null) {
                continue;
            }
            RawProperty seen = first[slot.ordinal()];
            if (seen == null) {
                first[slot.ordinal()] = p;
            } else if (!java.util.Arrays.equals(seen.bytes(), p.bytes())) {
                problems.add("duplicate tag " + Olk15Tags.hex(p.tag()) + " at offset 0x" + Long.toHexString(p.offset())
                        + " differs from the first one at 0x" + Long.toHexString(seen.offset()) + "; first kept");
            }
        }
        String subject = text(first, Slot.SUBJECT, problems);
        String location = text(first, Slot.LOCATION, problems);
        String bodyHtml = text(first, Slot.BODY_HTML, problems);
        Integer startMin = integer(first, Slot.START_UTC, problems);
        Integer endMin = integer(first, Slot.END_UTC, problems);
        Integer localStartMin = integer(first, Slot.START_LOCAL, problems);
        Integer localEndMin = integer(first, Slot.END_LOCAL, problems);
        Boolean allDay = bool(first, Slot.ALL_DAY, problems);
        Boolean recurring = bool(first, Slot.RECURRING, problems);
        Integer master = integer(first, Slot.MASTER_RECORD_ID, problems);
        Integer recurrenceIdMin = integer(first, Slot.RECURRENCE_ID, problems);
        String uid = text(first, Slot.ICAL_UID, problems);
        UUID uuid = null;
        RawProperty u = first[Slot.RECORD_UUID.ordinal()];
        if (u != null) {
            if (u.value() instanceof PropertyValue.Guid g) {
                uuid = g.value();
            } else {
                wrongType(u, "GUID", problems);
            }
        }
        Integer busyCode = integer(first, Slot.BUSY_STATUS, problems);
        BusyStatus busy = busyCode == null ? null : BusyStatus.fromCode(busyCode);
        if (busyCode != null && busy == null) {
            problems.add("busy status code " + busyCode + " is not one of 0..3; left unknown");
        }
        Boolean cancelled = bool(first, Slot.CANCELLED, problems);
        String organizerAddress = text(first, Slot.ORGANIZER_ADDRESS, problems);
        String organizerName = null;
        RawProperty org = first[Slot.ORGANIZER_RECORD.ordinal()];
        if (org != null) {
            try {
                UserRecordReader.UserRecord ur = UserRecordReader.read(org.bytes(), org.offset());
                organizerName = ur.name();
                if (organizerAddress == null) {
                    organizerAddress = ur.address();
                }
            } catch (Olk15FormatException e) {
                problems.add("organizer record not decoded: " + e.getMessage());
            }
        }
        List<Olk15Attendee> attendees = List.of();
        RawProperty att = first[Slot.ATTENDEES.ordinal()];
        if (att != null) {
            try {
                attendees = AttendeeReader.read(att.bytes(), att.offset(), problems);
            } catch (Olk15FormatException e) {
                problems.add("attendee list not decoded: " + e.getMessage());
            }
        }
        Olk15TimeZone tz = null;
        RawProperty tzp = first[Slot.TIME_ZONE.ordinal()];
        if (tzp != null) {
            try {
                tz = TimeZoneReader.read(tzp.bytes(), tzp.offset(), problems);
            } catch (Olk15FormatException e) {
                problems.add("time zone not decoded: " + e.getMessage());
            }
        }
        ZoneId zone = zone(tz, problems);
        Olk15Recurrence recurrence = null;
        RawProperty rec = first[Slot.RECURRENCE.ordinal()];
        if (rec != null) {
            try {
                recurrence = RecurrenceReader.read(rec.bytes(), rec.offset(), allDay, zone, problems);
            } catch (Olk15FormatException e) {
                problems.add("recurrence not decoded: " + e.getMessage());
            }
        }
        Instant start = startMin == null ? null : WinMinutes.toInstant(startMin);
        Instant end = endMin == null ? null : WinMinutes.toInstant(endMin);
        if (start != null && end != null && end.isBefore(start)) {
            problems.add("end " + end + " is before start " + start + "; both kept as stored");
        }
        if (Boolean.TRUE.equals(allDay) && start != null
                && LocalDateTime.ofInstant(start, ZoneOffset.UTC).toLocalTime().toSecondOfDay() != 0) {
            problems.add("all-day event does not start at midnight UTC (P: stored midnight to midnight UTC)");
        }
        LocalDateTime localStart = localStartMin == null ? null : WinMinutes.toLocal(localStartMin);
        LocalDateTime localEnd = localEndMin == null ? null : WinMinutes.toLocal(localEndMin);
        return new Olk15Event(name, c.recordId(), subject, location, bodyHtml, HtmlText.toText(bodyHtml), start, end,
                localStart, localEnd, allDay, recurring, master,
                recurrenceIdMin == null ? null : WinMinutes.toInstant(recurrenceIdMin), uid, uuid, busy, cancelled,
                organizerAddress, organizerName, attendees, tz, recurrence, props, problems);
    }

    private static ZoneId zone(Olk15TimeZone tz, List<String> problems) {
        if (tz == null || tz.olsonId() == null) {
            return null;
        }
        try {
            return ZoneId.of(tz.olsonId());
        } catch (DateTimeException e) {
            problems.add("time zone id \"" + tz.olsonId() + "\" is not a known Olson id");
            return null;
        }
    }

    private static String text(RawProperty[] first, Slot slot, List<String> problems) {
        RawProperty p = first[slot.ordinal()];
        if (p == null) {
            return null;
        }
        if (p.value() instanceof PropertyValue.Text t) {
            return t.value();
        }
        wrongType(p, "text", problems);
        return null;
    }

    private static Integer integer(RawProperty[] first, Slot slot, List<String> problems) {
        RawProperty p = first[slot.ordinal()];
        if (p == null) {
            return null;
        }
        Integer i = Props.asInt(p.value());
        if (i == null) {
            wrongType(p, "i32", problems);
        }
        return i;
    }

    private static Boolean bool(RawProperty[] first, Slot slot, List<String> problems) {
        RawProperty p = first[slot.ordinal()];
        if (p == null) {
            return null;
        }
        Boolean b = Props.asBool(p.value());
        if (b == null) {
            wrongType(p, "bool", problems);
        }
        return b;
    }

    private static void wrongType(RawProperty p, String expected, List<String> problems) {
        problems.add("tag " + Olk15Tags.hex(p.tag()) + " at offset 0x" + Long.toHexString(p.offset())
                + " is not a decodable " + expected + " (" + p.value().display() + "); field left unknown");
    }

    /** The event fields, one slot per known tag. */
    private enum Slot {
        SUBJECT(Olk15Tags.SUBJECT), LOCATION(Olk15Tags.LOCATION), BODY_HTML(Olk15Tags.BODY_HTML),
        START_UTC(Olk15Tags.START_UTC), END_UTC(Olk15Tags.END_UTC), START_LOCAL(Olk15Tags.START_LOCAL),
        END_LOCAL(Olk15Tags.END_LOCAL), ALL_DAY(Olk15Tags.ALL_DAY), RECURRING(Olk15Tags.RECURRING),
        MASTER_RECORD_ID(Olk15Tags.MASTER_RECORD_ID), RECURRENCE_ID(Olk15Tags.RECURRENCE_ID),
        ICAL_UID(Olk15Tags.ICAL_UID), RECORD_UUID(Olk15Tags.RECORD_UUID), BUSY_STATUS(Olk15Tags.BUSY_STATUS),
        CANCELLED(Olk15Tags.CANCELLED), ORGANIZER_ADDRESS(Olk15Tags.ORGANIZER_ADDRESS),
        ORGANIZER_RECORD(Olk15Tags.ORGANIZER_RECORD), ATTENDEES(Olk15Tags.ATTENDEES),
        TIME_ZONE(Olk15Tags.TIME_ZONE), RECURRENCE(Olk15Tags.RECURRENCE);

        private final int tag;

        Slot(int tag) {
            this.tag = tag;
        }

        static Slot of(int tag) {
            for (Slot s : VALUES) {
                if (s.tag == tag) {
                    return s;
                }
            }
            return null;
        }

        private static final Slot[] VALUES = values();
    }
}
