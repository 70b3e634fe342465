package io.chronoroute.testsupport.ews;

import java.time.ZoneId;
import java.time.ZoneOffset;
import java.util.Map;

/**
 * Windows time-zone ids (as used in EWS {@code StartTimeZone Id} and {@code MeetingTimeZone TimeZoneName}) mapped
 * to IANA zones, following the "001" territory of CLDR's windowsZones.xml for the zones tests are likely to use.
 * An IANA id is accepted as well; unknown ids fall back to UTC.
 */
final class WindowsZones {

    private static final Map<String, String> TO_IANA = Map.ofEntries(
            Map.entry("UTC", "UTC"),
            Map.entry("GMT Standard Time", "Europe/London"),
            Map.entry("Greenwich Standard Time", "Atlantic/Reykjavik"),
            Map.entry("W. Europe Standard Time", "Europe/Berlin"),
            Map.entry("Central Europe Standard Time", "Europe/Budapest"),
            Map.entry("Romance Standard Time", "Europe/Paris"),
            Map.entry("Central European Standard Time", "Europe/Warsaw"),
            Map.entry("E. Europe Standard Time", "Europe/Chisinau"),
            Map.entry("FLE Standard Time", "Europe/Kiev"),
            Map.entry("GTB Standard Time", "Europe/Bucharest"),
            Map.entry("Russian Standard Time", "Europe/Moscow"),
            Map.entry("Turkey Standard Time", "Europe/Istanbul"),
            Map.entry("Israel Standard Time", "Asia/Jerusalem"),
            Map.entry("Arabian Standard Time", "Asia/Dubai"),
            Map.entry("India Standard Time", "Asia/Calcutta"),
            Map.entry("China Standard Time", "Asia/Shanghai"),
            Map.entry("Singapore Standard Time", "Asia/Singapore"),
            Map.entry("Tokyo Standard Time", "Asia/Tokyo"),
            Map.entry("Korea Standard Time", "Asia/Seoul"),
            Map.entry("AUS Eastern Standard Time", "Australia/Sydney"),
            Map.entry("New Zealand Standard Time", "Pacific/Auckland"),
            Map.entry("Eastern Standard Time", "America/New_York"),
            Map.entry("Central Standard Time", "America/Chicago"),
            Map.entry("Mountain Standard Time", "America/Denver"),
            Map.entry("US Mountain Standard Time", "America/Phoenix"),
            Map.entry("Pacific Standard Time", "America/Los_Angeles"),
            Map.entry("Alaskan Standard Time", "America/Anchorage"),
            Map.entry("Hawaiian Standard Time", "Pacific/Honolulu"),
            Map.entry("Atlantic Standard Time", "America/Halifax"),
            Map.entry("E. South America Standard Time", "America/Sao_Paulo"),
            Map.entry("South Africa Standard Time", "Africa/Johannesburg"));

    private WindowsZones() {
    }

    static ZoneId toZone(String windowsOrIana) {
        if (windowsOrIana == null || windowsOrIana.isBlank()) {
            return ZoneOffset.UTC;
        }
        String iana = TO_IANA.get(windowsOrIana.trim());
        if (iana != null) {
            return ZoneId.of(iana);
        }
        try {
            return ZoneId.of(windowsOrIana.trim());
        } catch (RuntimeException e) {
            return ZoneOffset.UTC;
        }
    }
}
