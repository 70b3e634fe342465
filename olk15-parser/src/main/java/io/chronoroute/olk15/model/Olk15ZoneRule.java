package io.chronoroute.olk15.model;

import java.time.LocalDateTime;

/**
 * One Standard or Daylight entry of the time-zone sub-record (pyolk only): RRULE text, offset strings as stored
 * (e.g. "+0100"), and the rule's start as wall-clock time (minutes since 1601). Absent parts are null.
 */
public record Olk15ZoneRule(String rrule, String offsetFrom, String offsetTo, LocalDateTime start) {
}
