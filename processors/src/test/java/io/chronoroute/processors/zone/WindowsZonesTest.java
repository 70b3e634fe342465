package io.chronoroute.processors.zone;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.time.ZoneId;

import static org.assertj.core.api.Assertions.assertThat;

class WindowsZonesTest {

    @ParameterizedTest
    @CsvSource(delimiter = '|', value = {
            "W. Europe Standard Time|Europe/Berlin",
            "Pacific Standard Time|America/Los_Angeles",
            "Romance Standard Time|Europe/Paris",
            "India Standard Time|Asia/Kolkata",
            "AUS Eastern Standard Time|Australia/Sydney",
            "Eastern Standard Time|America/New_York",
            "GMT Standard Time|Europe/London",
            "China Standard Time|Asia/Shanghai",
            "Tokyo Standard Time|Asia/Tokyo",
            "FLE Standard Time|Europe/Kyiv",
            "w. europe standard time|Europe/Berlin",
            "\"W. Europe Standard Time\"|Europe/Berlin",
            "tzone://Microsoft/W. Europe Standard Time|Europe/Berlin",
            "(UTC+01:00) Amsterdam, Berlin, Bern, Rome, Stockholm, Vienna|Europe/Berlin",
            "(GMT+01.00) Amsterdam / Berlin / Bern / Rome / Stockholm / Vienna|Europe/Berlin",
            "(UTC-08:00) Pacific Time (US & Canada)|America/Los_Angeles",
            "UTC|UTC",
            "Europe/Berlin|Europe/Berlin",
            "Asia/Calcutta|Asia/Calcutta",
            "america/new_york|America/New_York",
            "UTC-11|Etc/GMT+11",
    })
    void toIana(String name, String iana) {
        assertThat(WindowsZones.toIana(name)).contains(iana);
        assertThat(ZoneId.of(iana)).isNotNull();
    }

    @Test
    void customAndUnknownAreEmpty() {
        assertThat(WindowsZones.toIana("Customized Time Zone")).isEmpty();
        assertThat(WindowsZones.toIana("Customized Time Zone 1")).isEmpty();
        assertThat(WindowsZones.toIana("tzone://Microsoft/Custom")).isEmpty();
        assertThat(WindowsZones.toIana("Mars Standard Time")).isEmpty();
        assertThat(WindowsZones.toIana("(UTC+01:00) Atlantis")).isEmpty();
        assertThat(WindowsZones.toIana("")).isEmpty();
        assertThat(WindowsZones.toIana(null)).isEmpty();
    }

    @Test
    void toWindows() {
        assertThat(WindowsZones.toWindows("Europe/Berlin")).contains("W. Europe Standard Time");
        assertThat(WindowsZones.toWindows("Europe/Amsterdam")).contains("W. Europe Standard Time");
        assertThat(WindowsZones.toWindows("Asia/Kolkata")).contains("India Standard Time");
        assertThat(WindowsZones.toWindows("Asia/Calcutta")).contains("India Standard Time");
        assertThat(WindowsZones.toWindows("UTC")).contains("UTC");
        assertThat(WindowsZones.toWindows("America/Los_Angeles")).contains("Pacific Standard Time");
        assertThat(WindowsZones.toWindows("Nowhere/Nothing")).isEmpty();
    }

    @Test
    void everyWindowsNameRoundTripsThroughIana() {
        for (String w : new String[]{"W. Europe Standard Time", "Pacific Standard Time", "Romance Standard Time",
                "India Standard Time", "AUS Eastern Standard Time", "Central Europe Standard Time", "UTC",
                "E. South America Standard Time", "New Zealand Standard Time", "Nepal Standard Time"}) {
            String iana = WindowsZones.toIana(w).orElseThrow();
            assertThat(WindowsZones.toWindows(iana)).as(w + " -> " + iana).contains(w);
        }
    }
}
