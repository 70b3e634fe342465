package io.chronoroute.master.calendars;

import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;

import static org.assertj.core.api.Assertions.assertThat;

/** The feed's calendar properties as content lines: TEXT escaping and folding at 75 octets on UTF-8 boundaries. */
class ConsolidatedCalendarTest {

    @Test
    void escapesTextAndFoldsLongNamesWithoutSplittingACharacter() {
        assertThat(ConsolidatedCalendar.escape("a,b;c\\d\ne")).isEqualTo("a\\,b\\;c\\\\d\\ne");
        String name = "Kalender für Jürgen – Überstunden, Termine und Geburtstage 🎂 der ganzen Familie";
        String folded = ConsolidatedCalendar.fold("X-WR-CALNAME:" + ConsolidatedCalendar.escape(name));
        assertThat(folded).endsWith("\r\n");
        String[] lines = folded.substring(0, folded.length() - 2).split("\r\n", -1);
        assertThat(lines.length).isGreaterThan(1);
        for (int i = 0; i < lines.length; i++) {
            assertThat(lines[i].getBytes(StandardCharsets.UTF_8).length).isLessThanOrEqualTo(75);
            if (i > 0) {
                assertThat(lines[i]).startsWith(" ");
            }
        }
        String unfolded = folded.replace("\r\n ", "");
        assertThat(unfolded).isEqualTo("X-WR-CALNAME:" + ConsolidatedCalendar.escape(name) + "\r\n");
        assertThat(ConsolidatedCalendar.fold("X-WR-CALNAME:Short")).isEqualTo("X-WR-CALNAME:Short\r\n");
    }
}
