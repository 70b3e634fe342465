package io.chronoroute.olk15.sqlite;

import io.chronoroute.olk15.format.WinMinutes;
import java.time.Instant;

/**
 * One {@code CalendarEvents} row (P §9.1). Integer date columns are minutes since 1601 UTC (P✓ 25/25 against
 * AppleScript); {@code Record_ModDate} and {@code Calendar_DismissTime} are Unix seconds. Absent columns (older
 * or newer schemas) and SQL NULLs are null here.
 */
public record CalendarEventRow(Integer recordId, String pathToDataFile, Long modDateUnix, Integer folderId,
                               Long accountUid, String recordUuid, Long startMinutes, Long endMinutes,
                               Boolean recurring, String uid, Integer masterRecordId, Long recurrenceIdMinutes,
                               Integer attendeeCount, Long dismissTimeUnix) {

    /** The two documented "no dismiss time" sentinels of {@code Calendar_DismissTime}. */
    public static final long DISMISS_SENTINEL_A = 79_870_665_540L;
    public static final long DISMISS_SENTINEL_B = 978_307_200L;

    public Instant start() {
        return startMinutes == null ? null : WinMinutes.toInstant(startMinutes);
    }

    public Instant end() {
        return endMinutes == null ? null : WinMinutes.toInstant(endMinutes);
    }

    public Instant recurrenceId() {
        return recurrenceIdMinutes == null ? null : WinMinutes.toInstant(recurrenceIdMinutes);
    }

    public Instant modDate() {
        return modDateUnix == null ? null : Instant.ofEpochSecond(modDateUnix);
    }

    /** Dismiss time, or null when absent or one of the sentinels. */
    public Instant dismissTime() {
        if (dismissTimeUnix == null || dismissTimeUnix == DISMISS_SENTINEL_A || dismissTimeUnix == DISMISS_SENTINEL_B) {
            return null;
        }
        return Instant.ofEpochSecond(dismissTimeUnix);
    }

    public CalendarEventRow withStartMinutes(Long v) {
        return new CalendarEventRow(recordId, pathToDataFile, modDateUnix, folderId, accountUid, recordUuid, v,
                endMinutes, recurring, uid, masterRecordId, recurrenceIdMinutes, attendeeCount, dismissTimeUnix);
    }

    public CalendarEventRow withEndMinutes(Long v) {
        return new CalendarEventRow(recordId, pathToDataFile, modDateUnix, folderId, accountUid, recordUuid,
                startMinutes, v, recurring, uid, masterRecordId, recurrenceIdMinutes, attendeeCount, dismissTimeUnix);
    }

    public CalendarEventRow withUid(String v) {
        return new CalendarEventRow(recordId, pathToDataFile, modDateUnix, folderId, accountUid, recordUuid,
                startMinutes, endMinutes, recurring, v, masterRecordId, recurrenceIdMinutes, attendeeCount,
                dismissTimeUnix);
    }

    public CalendarEventRow withRecurring(Boolean v) {
        return new CalendarEventRow(recordId, pathToDataFile, modDateUnix, folderId, accountUid, recordUuid,
                startMinutes, endMinutes, v, uid, masterRecordId, recurrenceIdMinutes, attendeeCount,
                dismissTimeUnix);
    }
}
