package io.chronoroute.olk15.sqlite;

/**
 * A disagreement between an event file and its {@code CalendarEvents} row. Both values are kept as they were;
 * nothing is resolved.
 */
public record Mismatch(String field, String fileValue, String databaseValue) {
}
