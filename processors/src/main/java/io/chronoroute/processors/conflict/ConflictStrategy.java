package io.chronoroute.processors.conflict;

import java.util.Locale;

/** How a true conflict (someone else changed the consolidated event since this origin's base) is settled. */
public enum ConflictStrategy {
    /** The later {@code last_modified} wins; a known time beats an unknown one; a tie goes to the incoming side. */
    LATEST_WINS,
    /** The incoming (source) version always wins. */
    SOURCE_WINS,
    /** The current consolidated (destination) version is kept. */
    DESTINATION_WINS,
    /** Nothing is applied; the incoming version is parked for a human ({@code /sync/conflicts/...}). */
    MANUAL;

    /**
     * Parses the seed's spelling ({@code latest_wins}, {@code source_wins}, {@code destination_wins},
     * {@code manual}) case-insensitively; dashes and the enum names are accepted too.
     *
     * @throws IllegalArgumentException naming the accepted values when the text is unknown or blank
     */
    public static ConflictStrategy parse(String text) {
        if (text == null || text.isBlank()) {
            throw new IllegalArgumentException("conflict strategy is blank; expected one of latest_wins, source_wins, "
                    + "destination_wins, manual");
        }
        String norm = text.trim().toUpperCase(Locale.ROOT).replace('-', '_');
        for (ConflictStrategy s : values()) {
            if (s.name().equals(norm)) {
                return s;
            }
        }
        throw new IllegalArgumentException("unknown conflict strategy '" + text
                + "'; expected one of latest_wins, source_wins, destination_wins, manual");
    }

    /** The wire spelling, e.g. {@code latest_wins}. */
    public String wireName() {
        return name().toLowerCase(Locale.ROOT);
    }
}
