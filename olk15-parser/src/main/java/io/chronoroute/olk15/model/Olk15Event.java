package io.chronoroute.olk15.model;

import java.time.Instant;
import java.time.LocalDateTime;
import java.util.List;
import java.util.UUID;

/**
 * One decoded {@code .olk15Event}. Every field that is absent from the file (or could not be decoded) is null; the
 * reason for anything not decoded is in {@code problems}. Nothing is derived from file metadata.
 *
 * <p>Basis per field (shared/docs/olk15-format.md): <b>P✓</b> verified by P against Outlook.sqlite/AppleScript
 * on 1,526 real events; <b>P</b> reported by P only; <b>pyolk</b> decoded by hshore29/pyolk only, never verified.
 *
 * @param name           source name (file name) for messages, never parsed
 * @param recordId       header 0x0C (P✓: equals Record_RecordID)
 * @param subject        0x0200001F (P✓)
 * @param location       0x0400001F (P✓)
 * @param bodyHtml       0x0100001F (P✓)
 * @param bodyText       plain text derived from {@code bodyHtml} by {@code HtmlText}; null when no body
 * @param start          0x13000003, minutes since 1601 UTC (P✓)
 * @param end            0x14000003 (P✓)
 * @param localStart     0x17000003, wall-clock, same encoding (P✓)
 * @param localEnd       0x18000003 (P✓)
 * @param allDay         0x0700000B (P✓)
 * @param recurring      0x0300000B (P✓)
 * @param masterRecordId 0x1A000003 (P✓)
 * @param recurrenceId   0x1E000003, minutes since 1601 UTC (P✓)
 * @param icalUid        0x0400001E (P✓)
 * @param recordUuid     0x00000048 (P✓)
 * @param busyStatus     0x1D000003 (pyolk; P's counts fit)
 * @param cancelled      0x1400000B (pyolk)
 * @param organizerAddress 0x0100001E (P, unverified)
 * @param organizerName  0x0D00000D user record (pyolk)
 * @param attendees      0x0B00000D (pyolk); empty when absent
 * @param timeZone       0x0900000D (pyolk)
 * @param recurrence     0x0200000D (pyolk; optional in new builds per P)
 * @param properties     every table entry in order, unknown and duplicate ones included
 * @param problems       what could not be decoded and why
 */
public record Olk15Event(String name, Integer recordId, String subject, String location, String bodyHtml,
                         String bodyText, Instant start, Instant end, LocalDateTime localStart,
                         LocalDateTime localEnd, Boolean allDay, Boolean recurring, Integer masterRecordId,
                         Instant recurrenceId, String icalUid, UUID recordUuid, BusyStatus busyStatus,
                         Boolean cancelled, String organizerAddress, String organizerName,
                         List<Olk15Attendee> attendees, Olk15TimeZone timeZone, Olk15Recurrence recurrence,
                         List<RawProperty> properties, List<String> problems) {

    public Olk15Event {
        attendees = attendees == null ? List.of() : List.copyOf(attendees);
        properties = List.copyOf(properties);
        problems = List.copyOf(problems);
    }
}
