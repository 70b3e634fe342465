package io.chronoroute.olk15.format;

import java.time.Instant;
import java.time.LocalDate;
import java.time.LocalDateTime;
import java.time.ZoneOffset;

/**
 * The format's time encoding: integer minutes since 1601-01-01T00:00 (P✓ for start/end: 25/25 against
 * AppleScript). UTC fields become {@link Instant}s; wall-clock fields the same count read as a
 * {@link LocalDateTime} without a zone.
 */
public final class WinMinutes {

    /** Seconds from 1601-01-01T00:00Z to 1970-01-01T00:00Z. */
    public static final long EPOCH_1601_SECONDS = -11_644_473_600L;

    private static final LocalDateTime LOCAL_EPOCH = LocalDateTime.of(1601, 1, 1, 0, 0);

    private WinMinutes() {
    }

    public static Instant toInstant(long minutes) {
        return Instant.ofEpochSecond(EPOCH_1601_SECONDS + minutes * 60L);
    }

    public static LocalDateTime toLocal(long minutes) {
        return LocalDateTime.ofEpochSecond(EPOCH_1601_SECONDS + minutes * 60L, 0, ZoneOffset.UTC);
    }

    public static LocalDate toDate(long minutes) {
        return toLocal(minutes).toLocalDate();
    }

    /** Minutes since 1601 of an instant (seconds are truncated towards the past). */
    public static long fromInstant(Instant instant) {
        return Math.floorDiv(instant.getEpochSecond() - EPOCH_1601_SECONDS, 60L);
    }

    public static long fromLocal(LocalDateTime local) {
        return fromInstant(local.toInstant(ZoneOffset.UTC));
    }

    static LocalDateTime localEpoch() {
        return LOCAL_EPOCH;
    }
}
