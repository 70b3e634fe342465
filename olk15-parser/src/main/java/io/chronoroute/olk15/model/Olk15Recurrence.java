package io.chronoroute.olk15.model;

import java.time.DayOfWeek;
import java.time.LocalDate;
import java.util.List;

/**
 * The recurrence sub-record 0x0200000D (pyolk only; P says new builds store none, so it is optional).
 * Values use MAPI constants. Every part that is absent stays null; {@code rrule} is the RFC 5545 rule when it can be
 * rendered without guessing, else null (and the event's problems say why).
 *
 * @param interval       as stored; for DAILY pyolk reports it in minutes (so 1440 = every day)
 * @param days           weekdays from the stored bit mask (bit 0 = Sunday ... bit 6 = Saturday), empty if none
 * @param nth            week of the month for MONTH_NTH/YEAR_NTH (5 = last, rendered as -1)
 * @param untilDate      last day of the series (pyolk truncates the stored minutes to a date)
 * @param startDate      first day of the series
 */
public record Olk15Recurrence(Type type, Integer typeCode, Integer interval, List<DayOfWeek> days, Integer dayOfMonth,
                              Integer nth, EndType endType, Integer endTypeCode, Integer count, LocalDate untilDate,
                              LocalDate startDate, List<LocalDate> exceptionDates, String rrule) {

    public Olk15Recurrence {
        days = days == null ? List.of() : List.copyOf(days);
        exceptionDates = exceptionDates == null ? List.of() : List.copyOf(exceptionDates);
    }

    /** MAPI recurrence type: 0 daily, 1 weekly, 2 monthly, 3 monthNth, 5 yearly, 6 yearNth. */
    public enum Type {
        DAILY(0), WEEKLY(1), MONTHLY(2), MONTH_NTH(3), YEARLY(5), YEAR_NTH(6);

        private final int code;

        Type(int code) {
            this.code = code;
        }

        public int code() {
            return code;
        }

        public static Type fromCode(Integer code) {
            if (code == null) {
                return null;
            }
            for (Type t : values()) {
                if (t.code == code) {
                    return t;
                }
            }
            return null;
        }
    }

    /** End type (as Aspose MapiCalendarRecurrenceEndType): 8225 by date, 8226 after count, 8227 never. */
    public enum EndType {
        BY_DATE(8225), AFTER_COUNT(8226), NEVER(8227);

        private final int code;

        EndType(int code) {
            this.code = code;
        }

        public int code() {
            return code;
        }

        public static EndType fromCode(Integer code) {
            if (code == null) {
                return null;
            }
            for (EndType t : values()) {
                if (t.code == code) {
                    return t;
                }
            }
            return null;
        }
    }
}
