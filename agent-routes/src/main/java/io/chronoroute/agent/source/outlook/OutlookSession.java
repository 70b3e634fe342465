package io.chronoroute.agent.source.outlook;

import java.time.LocalDateTime;
import java.util.List;
import java.util.Map;

/**
 * The few Outlook for Windows object-model calls the {@code outlook} source needs, as plain Java: everything above it
 * (mapping, recurrence, time zones, delta, write-back decisions) works on the property sets these methods return and
 * is tested on Linux with recorded property sets and a fake session. The Windows implementation
 * ({@link ComOutlookSession}) makes the calls through COM automation ({@code Outlook.Application} →
 * {@code GetNamespace("MAPI")}).
 * <p><b>Property sets</b> are maps keyed by the object model's property names ({@code Subject}, {@code StartUTC},
 * {@code AllDayEvent}, {@code BusyStatus}, ...). Values are {@link String}, {@link Integer}, {@link Boolean} or, for a
 * {@code Date} property, the OLE date's wall-clock value as {@link LocalDateTime} (an OLE date has no zone: {@code
 * Start} is in Outlook's local zone, {@code StartUTC} in UTC, {@code OriginalDate} in local time). The text forms
 * ({@code "2026-01-05T09:00:00"}) are accepted too, which is what the recorded property sets in the tests contain.
 * Nested objects: {@code StartTimeZone}/{@code EndTimeZone} as their {@code ID} (a Windows zone name),
 * {@code RecurrencePattern} as a map of the pattern's properties, whose {@code Exceptions} is a list of maps
 * ({@code OriginalDate}, {@code Deleted}, and for a modified occurrence {@code AppointmentItem}: the exception's own
 * property set). {@code ChronorouteUid} is the item's user property of that name, when it has one.
 * <p>Every method throws {@link OutlookException} when Outlook cannot be reached or refuses the call; the source then
 * reports the error and deletes nothing.
 */
public interface OutlookSession extends AutoCloseable {

    /** olFolderCalendar: the default calendar folder. */
    int OL_FOLDER_CALENDAR = 9;
    /** olAppointmentItem: the DefaultItemType of a calendar folder, and the type Items.Add creates. */
    int OL_APPOINTMENT_ITEM = 1;

    /** A calendar folder of the profile (any store): its EntryID, Name, FolderPath and item count. */
    record Folder(String entryId, String name, String path, int itemCount, boolean isDefault) {
    }

    /** One item of a folder as the cheap listing reports it: EntryID and LastModificationTime (local wall clock). */
    record Stamp(String entryId, LocalDateTime lastModified) {
    }

    /** Outlook's own local time zone (the Windows id of {@code Application.TimeZones.CurrentTimeZone}). */
    String localTimeZone() throws OutlookException;

    /** Every calendar folder (DefaultItemType = olAppointmentItem) of every store, the default calendar first. */
    List<Folder> calendars() throws OutlookException;

    /**
     * Every item of the folder, one row per single item or series (as Items with IncludeRecurrences=false; the COM
     * implementation reads the folder's Table, which opens no item).
     */
    List<Stamp> list(String folderEntryId) throws OutlookException;

    /** The full property set of one item (a series with its pattern and exceptions); null when it no longer exists. */
    Map<String, Object> item(String entryId) throws OutlookException;

    /**
     * Creates ({@code entryId} null: {@code Items.Add(olAppointmentItem)} in the folder) or changes an item, sets the
     * given properties in the order given ({@code RecurrencePattern}: a map of pattern properties, or
     * {@code Boolean.FALSE} to clear the recurrence), then {@code Save}. Never {@code Send}.
     *
     * @return the item's EntryID
     */
    String save(String folderEntryId, String entryId, Map<String, Object> properties) throws OutlookException;

    /**
     * Changes one occurrence of a series ({@code GetRecurrencePattern().GetOccurrence(originalStartLocal)}): sets the
     * properties and saves it (Outlook makes it an exception). Never {@code Send}.
     */
    void saveOccurrence(String entryId, LocalDateTime originalStartLocal, Map<String, Object> properties)
            throws OutlookException;

    /** Deletes one occurrence of a series (Outlook records it as a deleted exception). */
    void deleteOccurrence(String entryId, LocalDateTime originalStartLocal) throws OutlookException;

    /** Deletes the item (to Deleted Items, as Outlook's own Delete does); an item already gone is no error. */
    void delete(String entryId) throws OutlookException;

    /** Renames the folder ({@code MAPIFolder.Name}). */
    void renameFolder(String folderEntryId, String name) throws OutlookException;

    @Override
    void close();
}
