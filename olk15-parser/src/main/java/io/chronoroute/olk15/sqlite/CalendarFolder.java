package io.chronoroute.olk15.sqlite;

/** A {@code Folders} row with {@code Folder_SpecialFolderType} 4 (calendar). Unknown columns are null. */
public record CalendarFolder(Integer recordId, Long accountUid, Integer parentId, String name) {
}
