package io.chronoroute.testsupport.google;

/**
 * What {@code events.import} does with an iCalUID that already exists in the calendar. Google does not document
 * it and has changed it over time (providers.md §1), so tests can pick.
 */
public enum ImportDuplicateMode {
    /** 409 duplicate, ignoring SEQUENCE: the behaviour observed in 2024 (the default). */
    CONFLICT,
    /** Replace the existing event, reviving it if it was cancelled: the behaviour observed in 2021. */
    UPSERT
}
