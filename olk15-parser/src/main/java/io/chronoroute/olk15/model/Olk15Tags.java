package io.chronoroute.olk15.model;

/**
 * Tags of the event property table in P notation (the 4 tag bytes in file order: {@code 02 00 00 1F} =
 * {@code 0x0200001F}). Bytes 0..1 are the id (little-endian), bytes 2..3 the type code.
 *
 * <p>Basis (see shared/docs/olk15-format.md §2): <b>P✓</b> = verified by P against the database or AppleScript;
 * <b>P</b> = reported by P, not verified; <b>pyolk</b> = only from hshore29/pyolk (decoded, never verified).
 */
public final class Olk15Tags {

    /** HTML body, UTF-16LE. P✓ */
    public static final int BODY_HTML = 0x0100001F;
    /** Subject, UTF-16LE. P✓ */
    public static final int SUBJECT = 0x0200001F;
    /** Location, UTF-16LE. P✓ */
    public static final int LOCATION = 0x0400001F;
    /** Start, i32 minutes since 1601-01-01 UTC. P✓ */
    public static final int START_UTC = 0x13000003;
    /** End, i32 minutes since 1601-01-01 UTC. P✓ */
    public static final int END_UTC = 0x14000003;
    /** Local wall-clock start (same encoding, no zone). P✓ */
    public static final int START_LOCAL = 0x17000003;
    /** Local wall-clock end. P✓ */
    public static final int END_LOCAL = 0x18000003;
    /** All-day flag (all-day events are stored midnight UTC to midnight UTC). P✓ */
    public static final int ALL_DAY = 0x0700000B;
    /** Recurring flag. P✓ */
    public static final int RECURRING = 0x0300000B;
    /** iCalendar UID, UTF-8. P✓ */
    public static final int ICAL_UID = 0x0400001E;
    /** Record_UUID, GUID. P✓ */
    public static final int RECORD_UUID = 0x00000048;
    /** Organizer address, UTF-8. P (not verified) */
    public static final int ORGANIZER_ADDRESS = 0x0100001E;
    /** Organizer user record (28-byte preamble, address, name). pyolk only */
    public static final int ORGANIZER_RECORD = 0x0D00000D;
    /** Attendee list. pyolk only (P did not decode it) */
    public static final int ATTENDEES = 0x0B00000D;
    /** Time-zone sub-record. pyolk only */
    public static final int TIME_ZONE = 0x0900000D;
    /** Busy status {0 busy, 1 free, 2 tentative, 3 OOF}. pyolk (P's counts fit) */
    public static final int BUSY_STATUS = 0x1D000003;
    /** Cancelled flag. pyolk only */
    public static final int CANCELLED = 0x1400000B;
    /** Master record id of a recurrence exception. P✓ */
    public static final int MASTER_RECORD_ID = 0x1A000003;
    /** Recurrence id, minutes since 1601 UTC. P✓ */
    public static final int RECURRENCE_ID = 0x1E000003;
    /** Recurrence rule sub-record. pyolk only; P says new builds store none. */
    public static final int RECURRENCE = 0x0200000D;

    // ---- inside the recurrence sub-record (pyolk only) ----
    public static final int REC_TYPE = 0x01000003;
    public static final int REC_INTERVAL = 0x02000003;
    public static final int REC_END_TYPE = 0x03000003;
    public static final int REC_OCCURRENCES = 0x04000003;
    public static final int REC_WEEKDAYS = 0x07000003;
    public static final int REC_MONTH_DAY = 0x08000003;
    public static final int REC_MONTH_WEEKDAYS = 0x09000003;
    public static final int REC_MONTH_NTH = 0x0A000003;
    public static final int REC_START = 0x0F000003;
    public static final int REC_UNTIL = 0x10000003;
    public static final int REC_EXCEPTION_DATES = 0x0200000D;

    // ---- inside an attendee collection (pyolk only) ----
    public static final int ATT_ROLE = 0x01000003;
    public static final int ATT_TYPE = 0x02000003;
    public static final int ATT_ADDRESS = 0x0100001E;
    /** Attendee display name. Our reading: pyolk names no UTF-16 attendee field; labelled as such in the dump. */
    public static final int ATT_NAME = 0x0100001F;
    /** Attendee user record inside the collection (28-byte preamble, address, name). */
    public static final int ATT_USER = 0x0100000D;

    // ---- time-zone sub-record: keys are reversed FourCCs (pyolk) ----
    public static final int TZ_OLSON = fourCc("CFtz");
    public static final int TZ_MS_ID = fourCc("TZID");
    public static final int TZ_NAME = fourCc("Name");
    public static final int TZ_STANDARD = 0x3F01000D;
    public static final int TZ_DAYLIGHT = 0x4001000D;
    public static final int TZ_STD_RRULE = fourCc("StRl");
    public static final int TZ_STD_OFFSET_TO = fourCc("StTo");
    public static final int TZ_STD_OFFSET_FROM = fourCc("StFr");
    public static final int TZ_STD_START = fourCc("StSt");
    public static final int TZ_DL_RRULE = fourCc("DLRl");
    public static final int TZ_DL_OFFSET_TO = fourCc("DLTo");
    public static final int TZ_DL_OFFSET_FROM = fourCc("DLFr");
    public static final int TZ_DL_START = fourCc("DLSt");

    private Olk15Tags() {
    }

    /** Type code = bytes 2..3 of the tag (0x001F, or e.g. 0x4643 for a FourCC key). */
    public static int typeCode(int tag) {
        return tag & 0xffff;
    }

    /** Id = bytes 0..1 of the tag read little-endian. */
    public static int id(int tag) {
        return ((tag >>> 24) & 0xff) | ((tag >>> 16) & 0xff) << 8;
    }

    /** The tag of a FourCC key stored reversed ("CFtz" is stored as the bytes "ztFC"). */
    public static int fourCc(String fourCc) {
        if (fourCc.length() != 4) {
            throw new IllegalArgumentException("FourCC must have 4 characters: " + fourCc);
        }
        return (fourCc.charAt(3) & 0xff) << 24 | (fourCc.charAt(2) & 0xff) << 16 | (fourCc.charAt(1) & 0xff) << 8
                | (fourCc.charAt(0) & 0xff);
    }

    /** Hex form used in dumps, e.g. {@code 0x0200001F}. */
    public static String hex(int tag) {
        return String.format("0x%08X", tag);
    }

    /** Sort key of the property table: by type, then by id (P: "entries are sorted by type, then by id"). */
    public static long sortKey(int tag) {
        return ((long) typeCode(tag) << 16) | id(tag);
    }
}
