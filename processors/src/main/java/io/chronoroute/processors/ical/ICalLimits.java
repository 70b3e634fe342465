package io.chronoroute.processors.ical;

/**
 * Bounds of reading one iCalendar file, so that no file can take the heap or make a bounded series endless.
 *
 * @param maxPropertyChars  a content line (unfolded) longer than this is refused: the property is skipped with a
 *                          message naming the limit, and it is never held in memory whole
 * @param maxOccurrences    a RRULE with a larger COUNT is reported (kept as written); SECONDLY and MINUTELY rules
 *                          are kept only with a COUNT up to this, since nothing else bounds what they produce
 * @param maxComponentLines content lines of one VEVENT or VTIMEZONE above this reject that component
 * @param maxProblems       problems listed per file; more are counted in one closing WARNING
 * @param propertyLimitName how the property limit is configured, named in messages
 */
public record ICalLimits(int maxPropertyChars, int maxOccurrences, int maxComponentLines, int maxProblems,
                         String propertyLimitName) {

    public static final ICalLimits DEFAULT = new ICalLimits(1024 * 1024, 10_000, 10_000, 1_000, "max-property-chars");

    public ICalLimits {
        if (maxPropertyChars < 1024 || maxOccurrences < 1 || maxComponentLines < 10 || maxProblems < 1) {
            throw new IllegalArgumentException("iCalendar limits too small: " + maxPropertyChars + "/" + maxOccurrences
                    + "/" + maxComponentLines + "/" + maxProblems);
        }
        propertyLimitName = propertyLimitName == null ? "max-property-chars" : propertyLimitName;
    }
}
