package io.chronoroute.olk15.model;

import java.util.List;

/**
 * The time-zone sub-record 0x0900000D (pyolk only): Olson id ({@code CFtz}), Microsoft zone id ({@code TZID},
 * an i32 per pyolk), display name ({@code Name}) and the Standard/Daylight rule lists. Absent parts are null/empty.
 */
public record Olk15TimeZone(String olsonId, Integer msZoneId, String name, List<Olk15ZoneRule> standard,
                            List<Olk15ZoneRule> daylight) {

    public Olk15TimeZone {
        standard = standard == null ? List.of() : List.copyOf(standard);
        daylight = daylight == null ? List.of() : List.copyOf(daylight);
    }
}
