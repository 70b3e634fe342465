package io.chronoroute.processors.ical;

import io.chronoroute.processors.model.Attendee;
import io.chronoroute.processors.model.CalendarEvent;
import io.chronoroute.processors.model.EventTime;
import io.chronoroute.processors.model.Person;
import io.chronoroute.processors.problem.InputProblem;
import io.chronoroute.processors.problem.InputProblem.Kind;
import io.chronoroute.processors.wire.EventValidator;
import io.chronoroute.processors.wire.WireFormatException;
import io.chronoroute.processors.zone.WindowsZones;
import net.fortuna.ical4j.data.CalendarBuilder;
import net.fortuna.ical4j.model.Calendar;
import net.fortuna.ical4j.model.Recur;
import net.fortuna.ical4j.model.TimeZone;
import net.fortuna.ical4j.model.component.VTimeZone;

import java.io.IOException;
import java.io.Reader;
import java.io.StringReader;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.time.Instant;
import java.time.LocalDateTime;
import java.time.Period;
import java.time.ZoneId;
import java.time.ZoneOffset;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * Reads the VEVENTs of one iCalendar text, event by event and property by property. Package-private; see
 * {@link ICalCodec#read}.
 *
 * <p>The text is streamed twice through {@link ICalLines}: first for the calendar's own properties
 * ({@code X-WR-TIMEZONE}) and its VTIMEZONEs, then for the VEVENTs, one at a time. ical4j sees only VTIMEZONEs
 * whose observance rules were checked first (YEARLY rules only: a FREQ=SECONDLY observance would make ical4j
 * compute billions of onsets), and only when the TZID is no IANA or Windows name. One bad property harms only
 * itself, one bad VEVENT only itself; every problem becomes an {@link InputProblem}.
 */
final class ICalReader {

    /** Opens the text again for each pass. */
    interface Opener {
        Reader open() throws IOException;
    }

    /** Written by {@link ICalWriter} for a person without an address (ORGANIZER/ATTENDEE need a value). */
    static final String NO_MAIL = "invalid:nomail";

    private static final Set<String> SINGLE = Set.of("UID", "DTSTART", "DTEND", "DURATION", "RECURRENCE-ID", "SUMMARY",
            "DESCRIPTION", "LOCATION", "STATUS", "TRANSP", "CLASS", "SEQUENCE", "CREATED", "LAST-MODIFIED", "ORGANIZER",
            "X-MICROSOFT-CDO-BUSYSTATUS");
    private static final List<String> RULE_PARTS = List.of("FREQ", "UNTIL", "COUNT", "INTERVAL", "BYSECOND", "BYMINUTE",
            "BYHOUR", "BYDAY", "BYMONTHDAY", "BYYEARDAY", "BYWEEKNO", "BYMONTH", "BYSETPOS", "WKST", "RSCALE", "SKIP");
    private static final Set<String> FREQS = Set.of("SECONDLY", "MINUTELY", "HOURLY", "DAILY", "WEEKLY", "MONTHLY",
            "YEARLY");
    private static final Pattern DAY = Pattern.compile("(SU|MO|TU|WE|TH|FR|SA)");
    private static final Pattern BYDAY = Pattern.compile("[+-]?([1-9]|[1-4][0-9]|5[0-3])?(SU|MO|TU|WE|TH|FR|SA)");
    private static final Pattern UNTIL = Pattern.compile("\\d{8}(T\\d{6}Z?)?");

    private final Opener opener;
    private final ZoneId defaultZone;
    private final ICalLimits limits;
    private final List<InputProblem> problems = new ArrayList<>();
    private int droppedProblems;

    private final Map<String, ZoneDef> zoneDefs = new HashMap<>();
    private final Map<String, Optional<ICalTimes.ResolvedZone>> resolved = new HashMap<>();
    /** Zone of DATE-TIMEs without TZID and without Z: X-WR-TIMEZONE, else the caller's default, else floating. */
    private ZoneId floatingZone;

    ICalReader(Opener opener, ZoneId defaultZone, ICalLimits limits) {
        this.opener = opener;
        this.defaultZone = defaultZone;
        this.limits = limits == null ? ICalLimits.DEFAULT : limits;
        this.floatingZone = defaultZone;
    }

    // ------------------------------------------------------------------ passes

    ICalReadResult read() throws ICalParseException, IOException {
        scanCalendar();
        List<Parsed> parsed = new ArrayList<>();
        walk("VEVENT", false, (lines, begin, broken) -> {
            if (broken != null) {
                problem(Kind.EVENT_REJECTED, begin, uidOf(lines), null, "VEVENT", broken);
                return;
            }
            Parsed p = event(lines, begin, parsed.size());
            if (p != null) {
                parsed.add(p);
            }
        });
        List<CalendarEvent> events = finish(parsed);
        if (droppedProblems > 0) {
            problems.add(new InputProblem(Kind.WARNING, null, null, 0, null, null, null, droppedProblems
                    + " more problems in this file are not listed (at most " + limits.maxProblems() + " are)"));
        }
        return new ICalReadResult(events, problems);
    }

    private interface ComponentSink {
        void accept(List<ICalLines.Line> lines, int beginLine, String broken) throws IOException;
    }

    /**
     * Streams the text and hands each component named {@code wanted} directly inside a VCALENDAR to the sink, with
     * its content lines (nested components included; BEGIN/END of the component itself excluded), or with the
     * reason it is broken (not closed, too many lines). With {@code calendarProps} the VCALENDAR's own properties
     * are handed too (as a component of their own, beginLine 0).
     */
    private void walk(String wanted, boolean calendarProps, ComponentSink sink) throws IOException, ICalParseException {
        try (Reader r = opener.open()) {
            ICalLines in = new ICalLines(r, limits.maxPropertyChars());
            Deque<String> stack = new ArrayDeque<>();
            List<ICalLines.Line> current = null;
            int begin = 0;
            int depthOfCurrent = -1;
            boolean overflow = false;
            boolean seenCalendar = false;
            List<ICalLines.Line> calendar = calendarProps ? new ArrayList<>() : null;
            ICalLines.Line l;
            while ((l = in.next()) != null) {
                if (!seenCalendar) {
                    if (l.is("BEGIN") && l.value() != null && "VCALENDAR".equalsIgnoreCase(l.value().trim())) {
                        seenCalendar = true;
                        stack.push("VCALENDAR");
                        continue;
                    }
                    throw new ICalParseException(l.line(), null, "not an iCalendar file: the first line is not "
                            + "BEGIN:VCALENDAR", null);
                }
                if ((l.is("BEGIN") || l.is("END")) && l.value() != null) {
                    String name = l.value().trim().toUpperCase(Locale.ROOT);
                    if (l.is("BEGIN")) {
                        if (current != null && stack.size() == depthOfCurrent && name.equals(wanted)) {
                            sink.accept(current, begin, wanted + " is not closed (no END:" + wanted + " before line "
                                    + l.line() + ")");
                            current = null;
                            stack.pop();
                        }
                        if (current == null && name.equals(wanted) && "VCALENDAR".equals(stack.peek())) {
                            current = new ArrayList<>();
                            begin = l.line();
                            overflow = false;
                            stack.push(name);
                            depthOfCurrent = stack.size();
                            continue;
                        }
                        if (stack.isEmpty() && !name.equals("VCALENDAR")) {
                            continue;
                        }
                        stack.push(name);
                    } else {
                        if (!stack.contains(name)) {
                            continue;
                        }
                        while (!stack.isEmpty()) {
                            String top = stack.pop();
                            if (current != null && stack.size() < depthOfCurrent) {
                                if (top.equals(name) && stack.size() == depthOfCurrent - 1) {
                                    sink.accept(current, begin, overflow ? wanted + " has more than "
                                            + limits.maxComponentLines() + " content lines" : null);
                                } else {
                                    sink.accept(current, begin, wanted + " is not closed (END:" + name + " at line "
                                            + l.line() + ")");
                                }
                                current = null;
                                if (top.equals(name)) {
                                    break;
                                }
                                continue;
                            }
                            if (top.equals(name)) {
                                break;
                            }
                        }
                        if (current != null && stack.size() >= depthOfCurrent) {
                            current.add(l);
                        }
                        continue;
                    }
                }
                if (current != null) {
                    if (current.size() < limits.maxComponentLines()) {
                        current.add(l);
                    } else {
                        overflow = true;
                    }
                } else if (calendar != null && stack.size() == 1 && calendar.size() < limits.maxComponentLines()) {
                    calendar.add(l);
                }
            }
            if (!seenCalendar) {
                throw new ICalParseException(1, null, "empty file: no iCalendar content", null);
            }
            if (!stack.isEmpty()) {
                // a truncated file (cut by a copy or a sync, or still being written) is not its complete content:
                // taking it as such would delete the events it lost
                throw new ICalParseException(in.lastLine(), null, "the file ends without END:VCALENDAR (truncated or "
                        + "still being written)", null);
            }
            if (calendar != null) {
                sink.accept(calendar, 0, null);
            }
        }
    }

    /** Pass 1: X-WR-TIMEZONE and the VTIMEZONEs. */
    private void scanCalendar() throws IOException, ICalParseException {
        walk("VTIMEZONE", true, (lines, begin, broken) -> {
            if (begin == 0) {
                calendarProperties(lines);
            } else {
                vtimezone(lines, begin, broken);
            }
        });
    }

    private void calendarProperties(List<ICalLines.Line> lines) {
        for (ICalLines.Line l : lines) {
            if (l.name() == null) {
                problem(Kind.PROPERTY_SKIPPED, l.line(), null, null, null, "not an iCalendar content line: "
                        + abbreviate(l.raw()));
            } else if (l.oversized()) {
                oversized(l, null, null);
            } else if (l.is("X-WR-TIMEZONE")) {
                String v = l.value().trim();
                Optional<String> iana = WindowsZones.toIana(v);
                if (iana.isPresent()) {
                    floatingZone = ZoneId.of(iana.get());
                } else {
                    problem(Kind.PROPERTY_SKIPPED, l.line(), null, null, "X-WR-TIMEZONE", "X-WR-TIMEZONE '"
                            + abbreviate(v) + "' is no known time zone; times without a zone are read "
                            + (defaultZone == null ? "as floating times" : "in " + defaultZone.getId()));
                }
            }
        }
    }

    // ------------------------------------------------------------------ VTIMEZONE

    /** A VTIMEZONE of the file: its checked text, or why it is not used. */
    private static final class ZoneDef {
        final int line;
        final String text;
        final String rejected;
        final String xLicLocation;
        final List<ICalLines.Line> lines;

        ZoneDef(int line, String text, String rejected, String xLicLocation, List<ICalLines.Line> lines) {
            this.lines = lines;
            this.line = line;
            this.text = text;
            this.rejected = rejected;
            this.xLicLocation = xLicLocation;
        }
    }

    private void vtimezone(List<ICalLines.Line> lines, int begin, String broken) {
        String tzid = null;
        String xlic = null;
        int depth = 0;
        for (ICalLines.Line l : lines) {
            if (l.is("BEGIN")) {
                depth++;
            } else if (l.is("END")) {
                depth--;
            } else if (depth == 0 && l.is("TZID") && tzid == null) {
                tzid = l.value().trim();
            } else if (depth == 0 && l.is("X-LIC-LOCATION")) {
                xlic = l.value().trim();
            }
        }
        if (tzid == null || tzid.isEmpty()) {
            problem(Kind.WARNING, begin, null, null, "VTIMEZONE", "VTIMEZONE without TZID is ignored");
            return;
        }
        ZoneDef first = zoneDefs.get(tzid);
        if (first != null) {
            problem(Kind.WARNING, begin, null, null, "VTIMEZONE", "TZID '" + abbreviate(tzid) + "' is defined again; "
                    + "the first definition (line " + first.line + ") is used");
            return;
        }
        String rejected = broken;
        StringBuilder text = new StringBuilder(1024);
        text.append("BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//Chronoroute//zone check//EN\r\nBEGIN:VTIMEZONE\r\n");
        depth = 0;
        int observances = 0;
        for (ICalLines.Line l : lines) {
            if (l.name() == null || l.oversized()) {
                rejected = rejected != null ? rejected : "line " + l.line() + " cannot be read";
                continue;
            }
            if (l.is("BEGIN")) {
                depth++;
                observances++;
            } else if (l.is("END")) {
                depth--;
            } else if (depth > 0 && l.param("TZID") != null) {
                problem(Kind.REPAIRED, l.line(), null, null, l.name(), "VTIMEZONE '" + abbreviate(tzid) + "': "
                        + l.name() + " of an observance names TZID '" + abbreviate(l.param("TZID")) + "' (a zone "
                        + "referring to a zone); the TZID is ignored, observance times are local times");
                text.append(l.name()).append(':').append(l.value()).append("\r\n");
                continue;
            } else if (depth > 0 && l.is("RRULE") && rejected == null) {
                rejected = observanceRule(l.value());
            }
            text.append(l.raw()).append("\r\n");
        }
        if (observances == 0 && rejected == null) {
            rejected = "it has no STANDARD or DAYLIGHT observance";
        }
        text.append("END:VTIMEZONE\r\nEND:VCALENDAR\r\n");
        if (rejected != null) {
            Optional<String> iana = WindowsZones.toIana(tzid).or(() -> Optional.ofNullable(xlicIana(xlicOf(lines))));
            problem(Kind.WARNING, begin, null, null, "VTIMEZONE", "VTIMEZONE '" + abbreviate(tzid) + "' is not used: "
                    + rejected + (iana.isPresent() ? "; the IANA zone " + iana.get() + " of the same name is used"
                    : "; events that use it are rejected"));
        }
        zoneDefs.put(tzid, new ZoneDef(begin, rejected == null ? text.toString() : null, rejected, xlic,
                rejected == null ? List.copyOf(lines) : List.of()));
    }

    private static String xlicOf(List<ICalLines.Line> lines) {
        for (ICalLines.Line l : lines) {
            if (l.is("X-LIC-LOCATION")) {
                return l.value().trim();
            }
        }
        return null;
    }

    private static String xlicIana(String xlic) {
        return xlic == null ? null : WindowsZones.toIana(xlic).orElse(null);
    }

    /** Null when the observance rule is safe to expand, else why not. */
    private static String observanceRule(String value) {
        String freq = null;
        for (String part : value.split(";")) {
            int eq = part.indexOf('=');
            if (eq > 0 && part.substring(0, eq).trim().equalsIgnoreCase("FREQ")) {
                freq = part.substring(eq + 1).trim().toUpperCase(Locale.ROOT);
            }
        }
        if (!"YEARLY".equals(freq)) {
            return "an observance RRULE has FREQ=" + (freq == null ? "(none)" : abbreviate(freq))
                    + " (time zone rules change at most yearly; anything else would expand without bound)";
        }
        return null;
    }

    private Optional<ICalTimes.ResolvedZone> resolve(String tzid) {
        return resolved.computeIfAbsent(tzid.trim(), id -> {
            Optional<ICalTimes.ResolvedZone> known = ICalTimes.resolve(id, Map.of());
            if (known.isPresent()) {
                return known;
            }
            ZoneDef def = zoneDefs.get(id);
            if (def == null) {
                return Optional.empty();
            }
            String iana = xlicIana(def.xLicLocation);
            if (iana != null) {
                return Optional.of(new ICalTimes.ResolvedZone(ZoneId.of(iana), null));
            }
            if (def.text == null) {
                return Optional.empty();
            }
            Optional<ICalZoneRules> own = ICalZoneRules.of(def.lines);
            if (own.isPresent()) {
                ZoneId same = sameRulesAs(own.get());
                if (same != null) {
                    problem(Kind.WARNING, def.line, null, null, "VTIMEZONE", "VTIMEZONE '" + abbreviate(id) + "' is no "
                            + "IANA zone, but its offsets equal those of " + same + " (checked hour by hour over five "
                            + "years), which is used: series keep their wall time across daylight saving changes");
                }
                return Optional.of(same != null ? new ICalTimes.ResolvedZone(same, null)
                        : new ICalTimes.ResolvedZone(null, own.get()));
            }
            try {
                Calendar cal = new CalendarBuilder().build(new StringReader(def.text));
                Optional<VTimeZone> vtz = cal.getComponent("VTIMEZONE");
                if (vtz.isEmpty()) {
                    return Optional.empty();
                }
                TimeZone tz = new TimeZone(vtz.get());
                tz.getOffset(System.currentTimeMillis());
                ZoneId same = sameRulesAs(tz::getOffset);
                return Optional.of(same != null ? new ICalTimes.ResolvedZone(same, null)
                        : new ICalTimes.ResolvedZone(null, tz::getOffset));
            } catch (Exception | StackOverflowError ex) {
                problem(Kind.WARNING, def.line, null, null, "VTIMEZONE", "VTIMEZONE '" + abbreviate(id)
                        + "' cannot be read (" + rootMessage(ex) + "); events that use it are rejected");
                return Optional.empty();
            }
        });
    }

    /**
     * The IANA zone whose offsets equal the VTIMEZONE's, hour by hour, from two years before this year to three
     * years after (Outlook's "Customized Time Zone" is mostly a copy of a real zone): a series then keeps its wall
     * time across DST in every destination. Null when none matches.
     */
    private static ZoneId sameRulesAs(java.util.function.LongToIntFunction tz) {
        int year = java.time.Year.now(ZoneOffset.UTC).getValue();
        long from = LocalDateTime.of(year - 2, 1, 1, 0, 0).toInstant(ZoneOffset.UTC).toEpochMilli();
        long to = LocalDateTime.of(year + 3, 1, 1, 0, 0).toInstant(ZoneOffset.UTC).toEpochMilli();
        long[] probes = new long[8];
        for (int i = 0; i < probes.length; i++) {
            probes[i] = from + (to - from) / probes.length * i + i * 3_600_000L * 24 * 17;
        }
        int[] probeOffsets = new int[probes.length];
        for (int i = 0; i < probes.length; i++) {
            probeOffsets[i] = tz.applyAsInt(probes[i]);
        }
        List<String> ids = new ArrayList<>(ZoneId.getAvailableZoneIds());
        java.util.Collections.sort(ids);
        candidates:
        for (String id : ids) {
            if (!id.contains("/") || id.startsWith("Etc/") || id.startsWith("SystemV/")) {
                continue;
            }
            java.time.zone.ZoneRules rules = ZoneId.of(id).getRules();
            for (int i = 0; i < probes.length; i++) {
                if (rules.getOffset(Instant.ofEpochMilli(probes[i])).getTotalSeconds() * 1000 != probeOffsets[i]) {
                    continue candidates;
                }
            }
            for (long t = from; t < to; t += 3_600_000L) {
                if (rules.getOffset(Instant.ofEpochMilli(t)).getTotalSeconds() * 1000 != tz.applyAsInt(t)) {
                    continue candidates;
                }
            }
            return ZoneId.of(id);
        }
        return null;
    }

    // ------------------------------------------------------------------ VEVENT

    /** One event as read, with what the file-level checks need. */
    private record Parsed(CalendarEvent event, int line, List<EventTime[]> periods) {
    }

    /** The event cannot be used. */
    private static final class Reject extends Exception {
        private static final long serialVersionUID = 1L;
        final int line;
        final String property;

        Reject(int line, String property, String message) {
            super(message, null, false, false);
            this.line = line;
            this.property = property;
        }
    }

    /** One property cannot be read. */
    private static final class Bad extends Exception {
        private static final long serialVersionUID = 1L;

        Bad(String message) {
            super(message, null, false, false);
        }
    }

    private static String uidOf(List<ICalLines.Line> lines) {
        for (ICalLines.Line l : lines) {
            if (l.is("UID") && l.value() != null && !l.value().isBlank()) {
                return ICalLines.unescape(l.value().trim());
            }
        }
        return null;
    }

    private Parsed event(List<ICalLines.Line> all, int begin, int index) {
        // the VEVENT's own properties (nested VALARMs are not kept), first of each single-valued one
        List<ICalLines.Line> lines = new ArrayList<>(all.size());
        Map<String, ICalLines.Line> single = new HashMap<>();
        String uid = uidOf(all);
        String ridText = null;
        int depth = 0;
        List<ICalLines.Line> skippedDuplicates = new ArrayList<>();
        for (ICalLines.Line l : all) {
            if (l.is("BEGIN")) {
                depth++;
                continue;
            }
            if (l.is("END")) {
                depth--;
                continue;
            }
            if (depth > 0) {
                continue;
            }
            if (l.is("RECURRENCE-ID") && ridText == null && l.value() != null) {
                ridText = l.value().trim();
            }
            if (l.name() != null && SINGLE.contains(l.name())) {
                if (single.containsKey(l.name())) {
                    skippedDuplicates.add(l);
                    continue;
                }
                single.put(l.name(), l);
            }
            lines.add(l);
        }
        boolean derived = false;
        if (uid == null) {
            uid = derivedUid(all);
            derived = true;
        }
        String where = "VEVENT at line " + begin;
        try {
            for (ICalLines.Line l : skippedDuplicates) {
                ICalLines.Line first = single.get(l.name());
                problem(Kind.PROPERTY_SKIPPED, l.line(), uid, ridText, l.name(), "a second " + l.name()
                        + " in one VEVENT (" + abbreviate(l.raw()) + ") is left out; the first one (line "
                        + first.line() + ") is used");
            }
            if (derived) {
                problem(Kind.WARNING, begin, uid, ridText, "UID", where + " has no UID; it is given the id " + uid
                        + ", derived from its content (the same content always gets the same id)");
            }
            return new Parsed(build(lines, single, uid, ridText, begin), begin, periods);
        } catch (Reject r) {
            problem(Kind.EVENT_REJECTED, r.line > 0 ? r.line : begin, uid, ridText, r.property, where + " (UID "
                    + uid + ") is left out: " + r.getMessage());
            return null;
        } finally {
            periods = new ArrayList<>();
        }
    }

    /** RDATE;VALUE=PERIOD values of the event being built: {start, end}. */
    private List<EventTime[]> periods = new ArrayList<>();

    private CalendarEvent build(List<ICalLines.Line> lines, Map<String, ICalLines.Line> single, String uid,
                                String rid, int begin) throws Reject {
        CalendarEvent.Builder b = CalendarEvent.builder().uid(uid);
        if (uid.length() > EventValidator.MAX_UID) {
            throw new Reject(single.containsKey("UID") ? single.get("UID").line() : begin, "UID", "UID longer than "
                    + EventValidator.MAX_UID + " characters");
        }
        for (ICalLines.Line l : lines) {
            if (l.name() == null) {
                problem(Kind.PROPERTY_SKIPPED, l.line(), uid, rid, null, "not an iCalendar content line, left out: "
                        + abbreviate(l.raw()));
            } else if (l.oversized()) {
                if (l.is("DTSTART") || l.is("RECURRENCE-ID") || l.is("EXDATE")) {
                    throw new Reject(l.line(), l.name(), l.name() + " is " + l.length() + " characters long, more than "
                            + "the limit of " + limits.maxPropertyChars() + " (" + limits.propertyLimitName() + ")");
                }
                oversized(l, uid, rid);
            }
        }
        ICalLines.Line dtstart = readable(single.get("DTSTART"));
        if (dtstart == null) {
            throw new Reject(begin, "DTSTART", "it has no DTSTART");
        }
        EventTime start;
        try {
            start = time(dtstart, dtstart.value());
        } catch (Bad ex) {
            throw new Reject(dtstart.line(), "DTSTART", ex.getMessage());
        }
        b.start(start);
        String startTzid = dtstart.param("TZID");
        if (startTzid != null && !start.isDate() && "UTC".equals(start.zone())
                && resolve(startTzid).map(z -> z.iana() == null).orElse(false)
                && lines.stream().anyMatch(l -> l.is("RRULE"))) {
            problem(Kind.WARNING, dtstart.line(), uid, rid, "DTSTART", "TZID '" + abbreviate(startTzid) + "' is known "
                    + "only from the file's VTIMEZONE and matches no IANA zone; times are kept as exact instants (UTC), "
                    + "so the series' occurrences follow UTC, not that zone's daylight saving changes");
        }
        b.end(end(single, start, uid, rid));
        ICalLines.Line ridLine = readable(single.get("RECURRENCE-ID"));
        if (ridLine != null) {
            try {
                b.recurrenceId(time(ridLine, ridLine.value()));
            } catch (Bad ex) {
                throw new Reject(ridLine.line(), "RECURRENCE-ID", ex.getMessage());
            }
        }
        b.title(text(single, "SUMMARY", EventValidator.MAX_TITLE, uid, rid));
        b.description(text(single, "DESCRIPTION", EventValidator.MAX_DESCRIPTION, uid, rid));
        b.location(text(single, "LOCATION", EventValidator.MAX_LOCATION, uid, rid));
        List<String> rrules = new ArrayList<>();
        List<EventTime> exdates = new ArrayList<>();
        List<EventTime> rdates = new ArrayList<>();
        List<Attendee> attendees = new ArrayList<>();
        List<String> categories = new ArrayList<>();
        for (ICalLines.Line l : lines) {
            if (l.name() == null || l.oversized()) {
                continue;
            }
            switch (l.name()) {
                case "RRULE" -> {
                    String r = rule(l, start, uid, rid);
                    if (r != null) {
                        rrules.add(r);
                    }
                }
                case "EXDATE" -> {
                    try {
                        exdates.addAll(timeList(l, false));
                    } catch (Bad ex) {
                        throw new Reject(l.line(), "EXDATE", ex.getMessage() + " (an unreadable EXDATE would bring "
                                + "back occurrences that were removed)");
                    }
                }
                case "RDATE" -> {
                    try {
                        rdates.addAll(timeList(l, true));
                    } catch (Bad ex) {
                        problem(Kind.PROPERTY_SKIPPED, l.line(), uid, rid, "RDATE", "RDATE left out: "
                                + ex.getMessage());
                    }
                }
                case "ATTENDEE" -> {
                    Person p = person(l);
                    if (attendees.size() >= EventValidator.MAX_ATTENDEES) {
                        problem(Kind.PROPERTY_SKIPPED, l.line(), uid, rid, "ATTENDEE", "more than "
                                + EventValidator.MAX_ATTENDEES + " attendees; this one is left out");
                    } else if (tooLong(p)) {
                        problem(Kind.PROPERTY_SKIPPED, l.line(), uid, rid, "ATTENDEE", "address or name longer than "
                                + EventValidator.MAX_SHORT_TEXT + " characters; left out");
                    } else {
                        attendees.add(new Attendee(p.email(), p.name(), l.param("ROLE"), l.param("PARTSTAT")));
                    }
                }
                case "CATEGORIES" -> {
                    for (String c : ICalLines.splitText(l.value())) {
                        if (c.length() > EventValidator.MAX_SHORT_TEXT || categories.size() >= EventValidator.MAX_LIST) {
                            problem(Kind.PROPERTY_SKIPPED, l.line(), uid, rid, "CATEGORIES", "a category longer than "
                                    + EventValidator.MAX_SHORT_TEXT + " characters (or beyond " + EventValidator.MAX_LIST
                                    + " categories) is left out");
                        } else {
                            categories.add(c);
                        }
                    }
                }
                default -> {
                }
            }
        }
        b.rrules(rrules).exdates(exdates).rdates(rdates).attendees(attendees).categories(categories);
        ICalLines.Line org = readable(single.get("ORGANIZER"));
        if (org != null) {
            Person p = person(org);
            if (tooLong(p)) {
                problem(Kind.PROPERTY_SKIPPED, org.line(), uid, rid, "ORGANIZER", "address or name longer than "
                        + EventValidator.MAX_SHORT_TEXT + " characters; left out");
            } else {
                b.organizer(p);
            }
        }
        b.status(shortText(single, "STATUS", uid, rid));
        b.transparency(shortText(single, "TRANSP", uid, rid));
        b.classification(shortText(single, "CLASS", uid, rid));
        b.busyStatus(shortText(single, "X-MICROSOFT-CDO-BUSYSTATUS", uid, rid));
        ICalLines.Line seq = readable(single.get("SEQUENCE"));
        if (seq != null) {
            try {
                int s = Integer.parseInt(seq.value().trim());
                if (s < 0) {
                    throw new NumberFormatException();
                }
                b.sequence(s);
            } catch (NumberFormatException ex) {
                problem(Kind.PROPERTY_SKIPPED, seq.line(), uid, rid, "SEQUENCE", "not a non-negative integer: '"
                        + abbreviate(seq.value()) + "'; left out");
            }
        }
        b.created(instant(single, "CREATED", uid, rid));
        b.lastModified(instant(single, "LAST-MODIFIED", uid, rid));
        CalendarEvent e = b.build();
        try {
            EventValidator.validate(e);
        } catch (WireFormatException ex) {
            throw new Reject(0, ex.field(), ex.reason());
        }
        return e;
    }

    private static ICalLines.Line readable(ICalLines.Line l) {
        return l == null || l.oversized() || l.value() == null ? null : l;
    }

    private void oversized(ICalLines.Line l, String uid, String rid) {
        problem(Kind.PROPERTY_SKIPPED, l.line(), uid, rid, l.name(), l.name() + " is " + l.length()
                + " characters long, more than the limit of " + limits.maxPropertyChars() + " ("
                + limits.propertyLimitName() + "); it is left out");
    }

    private static boolean tooLong(Person p) {
        return (p.email() != null && p.email().length() > EventValidator.MAX_SHORT_TEXT)
                || (p.name() != null && p.name().length() > EventValidator.MAX_SHORT_TEXT);
    }

    /** DTEND, else DURATION; values that disagree with DTSTART are repaired when the meaning is clear. */
    private EventTime end(Map<String, ICalLines.Line> single, EventTime start, String uid, String rid) {
        ICalLines.Line dtend = readable(single.get("DTEND"));
        ICalLines.Line dur = readable(single.get("DURATION"));
        if (dtend != null && dur != null) {
            problem(Kind.PROPERTY_SKIPPED, dur.line(), uid, rid, "DURATION", "DTEND and DURATION in one VEVENT; "
                    + "DURATION is left out, DTEND (line " + dtend.line() + ") is used");
        }
        if (dtend != null) {
            EventTime end;
            try {
                end = time(dtend, dtend.value());
            } catch (Bad ex) {
                problem(Kind.PROPERTY_SKIPPED, dtend.line(), uid, rid, "DTEND", "DTEND left out: " + ex.getMessage());
                return null;
            }
            if (end.isDate() && !start.isDate()) {
                EventTime repaired = start.isFloating() ? EventTime.ofFloating(end.date().atStartOfDay())
                        : EventTime.ofZoned(end.date().atStartOfDay(), start.zoneId());
                problem(Kind.REPAIRED, dtend.line(), uid, rid, "DTEND", "DTSTART is a DATE-TIME but DTEND the DATE "
                        + end.date() + "; read as the start of that day (" + repaired.localDateTime() + ")");
                end = repaired;
            } else if (!end.isDate() && start.isDate()) {
                LocalDateTime local = end.localDateTime();
                EventTime repaired = EventTime.ofDate(local.toLocalTime().equals(java.time.LocalTime.MIDNIGHT)
                        ? local.toLocalDate() : local.toLocalDate().plusDays(1));
                problem(Kind.REPAIRED, dtend.line(), uid, rid, "DTEND", "DTSTART is a DATE but DTEND the DATE-TIME "
                        + local + "; read as the DATE " + repaired.date() + " (the day it ends in)");
                end = repaired;
            }
            if (before(end, start)) {
                problem(Kind.PROPERTY_SKIPPED, dtend.line(), uid, rid, "DTEND", "DTEND " + end.localDateTime()
                        + " is before DTSTART " + start.localDateTime() + "; left out (the event ends when it starts"
                        + (start.isDate() ? ", after one day" : "") + ")");
                return null;
            }
            return end;
        }
        if (dur != null) {
            try {
                EventTime end = plus(start, dur.value());
                if (before(end, start)) {
                    throw new Bad("negative duration");
                }
                return end;
            } catch (Bad ex) {
                problem(Kind.PROPERTY_SKIPPED, dur.line(), uid, rid, "DURATION", "DURATION '"
                        + abbreviate(dur.value()) + "' left out: " + ex.getMessage());
            }
        }
        return null;
    }

    private static boolean before(EventTime a, EventTime b) {
        if (a.isDate() && b.isDate()) {
            return a.date().isBefore(b.date());
        }
        if (a.isFloating() || b.isFloating()) {
            return a.localDateTime().isBefore(b.localDateTime());
        }
        return a.instant().isBefore(b.instant());
    }

    private String text(Map<String, ICalLines.Line> single, String name, int max, String uid, String rid) {
        ICalLines.Line l = readable(single.get(name));
        if (l == null) {
            return null;
        }
        String v = ICalLines.unescape(l.value());
        if (v.length() > max) {
            problem(Kind.PROPERTY_SKIPPED, l.line(), uid, rid, name, name + " is " + v.length() + " characters long, "
                    + "more than " + max + "; it is left out");
            return null;
        }
        return v;
    }

    private String shortText(Map<String, ICalLines.Line> single, String name, String uid, String rid) {
        String v = text(single, name, EventValidator.MAX_SHORT_TEXT, uid, rid);
        return v == null ? null : v.trim().toUpperCase(Locale.ROOT);
    }

    private Instant instant(Map<String, ICalLines.Line> single, String name, String uid, String rid) {
        ICalLines.Line l = readable(single.get(name));
        if (l == null) {
            return null;
        }
        String v = l.value().trim();
        try {
            if (v.toUpperCase(Locale.ROOT).endsWith("Z")) {
                return LocalDateTime.parse(v.substring(0, v.length() - 1), ICalTimes.LOCAL).toInstant(ZoneOffset.UTC);
            }
            // RFC 5545 requires UTC here; a local value is read in the default zone, else it is unknown.
            return floatingZone == null || v.length() != 15 ? null
                    : LocalDateTime.parse(v, ICalTimes.LOCAL).atZone(floatingZone).toInstant();
        } catch (RuntimeException ex) {
            problem(Kind.PROPERTY_SKIPPED, l.line(), uid, rid, name, "not a UTC DATE-TIME: '" + abbreviate(v)
                    + "'; left out");
            return null;
        }
    }

    // ------------------------------------------------------------------ values

    private EventTime time(ICalLines.Line l, String value) throws Bad {
        String v = value.trim();
        boolean date = "DATE".equalsIgnoreCase(l.param("VALUE")) || v.length() == 8;
        ICalTimes.ResolvedZone zone = date ? null : zone(l, v);
        try {
            return ICalTimes.parse(v, date, zone, floatingZone);
        } catch (IllegalArgumentException ex) {
            throw new Bad(ex.getMessage());
        }
    }

    private ICalTimes.ResolvedZone zone(ICalLines.Line l, String value) throws Bad {
        String tzid = l.param("TZID");
        if (tzid == null || tzid.isBlank() || value.toUpperCase(Locale.ROOT).endsWith("Z")) {
            return null;
        }
        Optional<ICalTimes.ResolvedZone> z = resolve(tzid);
        if (z.isEmpty()) {
            ZoneDef def = zoneDefs.get(tzid.trim());
            throw new Bad("unknown TZID '" + abbreviate(tzid) + "' (" + (def != null && def.rejected != null
                    ? "its VTIMEZONE is not used: " + def.rejected
                    : def != null ? "its VTIMEZONE cannot be read" : "not IANA, not a Windows name, no VTIMEZONE in the file")
                    + ")");
        }
        return z.get();
    }

    private List<EventTime> timeList(ICalLines.Line l, boolean rdate) throws Bad {
        List<EventTime> out = new ArrayList<>();
        boolean period = "PERIOD".equalsIgnoreCase(l.param("VALUE"));
        for (String v : l.value().split(",")) {
            if (v.isBlank()) {
                continue;
            }
            if (period && rdate) {
                int slash = v.indexOf('/');
                EventTime s = time(l, slash < 0 ? v : v.substring(0, slash));
                out.add(s);
                if (slash > 0 && !s.isDate()) {
                    String rest = v.substring(slash + 1).trim();
                    EventTime end = rest.startsWith("P") || rest.startsWith("+P") || rest.startsWith("-P")
                            ? plus(s, rest) : time(l, rest);
                    periods.add(new EventTime[] {s, end});
                }
            } else {
                out.add(time(l, v));
            }
        }
        return out;
    }

    /**
     * DTEND from DURATION: days and weeks are nominal (calendar days in the event's zone), hours/minutes/seconds
     * exact, as RFC 5545 §3.3.6 says.
     */
    private static EventTime plus(EventTime start, String iso) throws Bad {
        String d = iso.trim();
        try {
            boolean negative = d.startsWith("-");
            String body = d.replaceFirst("^[+-]", "");
            int t = body.indexOf('T');
            String datePart = t < 0 ? body : body.substring(0, t);
            Period period = datePart.equals("P") ? Period.ZERO : Period.parse(datePart);
            Duration time = t < 0 ? Duration.ZERO : Duration.parse("P" + body.substring(t));
            if (negative) {
                period = period.negated();
                time = time.negated();
            }
            if (start.isDate()) {
                return EventTime.ofDate(start.date().plus(period));
            }
            if (start.isFloating()) {
                return EventTime.ofFloating(start.floating().plus(period).plus(time));
            }
            Instant i = start.instant().atZone(start.zoneId()).plus(period).toInstant().plus(time);
            return EventTime.ofInstant(i, start.zone());
        } catch (RuntimeException ex) {
            throw new Bad("not an RFC 5545 duration: '" + abbreviate(iso) + "'");
        }
    }

    /**
     * Checks one RRULE part by part. Returns its canonical text, or null when the rule is left out (reported): an
     * empty rule, an unknown or repeated part (an unknown {@code UNTL=} read as nothing would make a bounded series
     * endless), a bad value, or a SECONDLY/MINUTELY rule that nothing bounds.
     */
    private String rule(ICalLines.Line l, EventTime start, String uid, String rid) {
        String v = l.value().trim();
        String why = null;
        Map<String, String> parts = new LinkedHashMap<>();
        if (v.isEmpty()) {
            why = "empty RRULE";
        } else {
            for (String part : v.split(";")) {
                if (part.isBlank()) {
                    continue;
                }
                int eq = part.indexOf('=');
                String name = (eq < 0 ? part : part.substring(0, eq)).trim().toUpperCase(Locale.ROOT);
                String value = eq < 0 ? "" : part.substring(eq + 1).trim().toUpperCase(Locale.ROOT);
                if (!RULE_PARTS.contains(name)) {
                    String near = nearest(name);
                    why = "unknown RRULE part '" + abbreviate(name) + "'" + (near == null ? "" : " (" + near + "?)")
                            + "; reading the rule without it could turn a bounded series into an endless one";
                    break;
                }
                if (parts.put(name, value) != null) {
                    why = "RRULE part " + name + " appears twice";
                    break;
                }
                String bad = checkPart(name, value);
                if (bad != null) {
                    why = "RRULE part " + name + "=" + abbreviate(value) + ": " + bad;
                    break;
                }
            }
            if (why == null && !parts.containsKey("FREQ")) {
                why = "RRULE without FREQ";
            }
        }
        long count = why == null && parts.containsKey("COUNT") ? Long.parseLong(parts.get("COUNT")) : -1;
        if (why == null && Set.of("SECONDLY", "MINUTELY").contains(parts.get("FREQ"))
                && (count < 0 || count > limits.maxOccurrences())) {
            why = "FREQ=" + parts.get("FREQ") + (count < 0 ? " without COUNT" : " with COUNT=" + count)
                    + " repeats without a useful bound (accepted only with a COUNT up to " + limits.maxOccurrences() + ")";
        }
        String canonical = null;
        if (why == null) {
            try {
                StringBuilder norm = new StringBuilder();
                parts.forEach((k, val) -> norm.append(norm.length() == 0 ? "" : ";").append(k).append('=').append(val));
                canonical = new Recur<>(norm.toString()).toString();
                EventValidator.checkRrule("RRULE", canonical);
            } catch (WireFormatException ex) {
                why = ex.reason();
            } catch (RuntimeException ex) {
                why = rootMessage(ex);
            }
        }
        if (why != null) {
            problem(Kind.PROPERTY_SKIPPED, l.line(), uid, rid, "RRULE", "RRULE '" + abbreviate(v) + "' left out: " + why
                    + "; the event keeps " + (start == null ? "its other dates" : "its first occurrence")
                    + " and any RDATEs");
            return null;
        }
        if (count > limits.maxOccurrences()) {
            problem(Kind.WARNING, l.line(), uid, rid, "RRULE", "COUNT=" + count + " is more than "
                    + limits.maxOccurrences() + " occurrences; the rule is kept as written, destinations expand "
                    + "only the window they show");
        }
        if (parts.containsKey("COUNT") && parts.containsKey("UNTIL")) {
            problem(Kind.WARNING, l.line(), uid, rid, "RRULE", "RRULE has both COUNT and UNTIL (RFC 5545 allows "
                    + "one); kept as written");
        }
        return canonical;
    }

    private static String checkPart(String name, String value) {
        try {
            switch (name) {
                case "FREQ":
                    return FREQS.contains(value) ? null : "not a frequency";
                case "UNTIL":
                    return UNTIL.matcher(value).matches() ? null : "not a DATE or DATE-TIME";
                case "COUNT":
                case "INTERVAL":
                    return Long.parseLong(value) > 0 && value.length() < 10 ? null : "must be a positive integer";
                case "WKST":
                    return DAY.matcher(value).matches() ? null : "not a weekday";
                case "BYDAY":
                    for (String d : value.split(",")) {
                        if (!BYDAY.matcher(d.trim()).matches()) {
                            return "'" + abbreviate(d) + "' is not a weekday";
                        }
                    }
                    return null;
                case "BYSECOND":
                    return ints(value, 0, 60, false);
                case "BYMINUTE":
                    return ints(value, 0, 59, false);
                case "BYHOUR":
                    return ints(value, 0, 23, false);
                case "BYMONTHDAY":
                    return ints(value, 1, 31, true);
                case "BYYEARDAY":
                case "BYSETPOS":
                    return ints(value, 1, 366, true);
                case "BYWEEKNO":
                    return ints(value, 1, 53, true);
                case "BYMONTH":
                    return ints(value.replace("L", ""), 1, 13, false);
                default:
                    return null;
            }
        } catch (NumberFormatException ex) {
            return "not a number";
        }
    }

    private static String ints(String value, int min, int max, boolean signed) {
        for (String s : value.split(",")) {
            String t = s.trim();
            int n = Integer.parseInt(t);
            int abs = Math.abs(n);
            if ((!signed && n < 0) || abs < min || abs > max || (t.startsWith("-") && !signed)) {
                return "'" + t + "' is out of range";
            }
        }
        return null;
    }

    /** The known RRULE part closest to an unknown one (edit distance at most 2), for the message. */
    private static String nearest(String name) {
        String best = null;
        int bestDist = 3;
        for (String known : RULE_PARTS) {
            int d = distance(name, known);
            if (d < bestDist) {
                bestDist = d;
                best = known;
            }
        }
        return best;
    }

    private static int distance(String a, String b) {
        int[] prev = new int[b.length() + 1];
        int[] cur = new int[b.length() + 1];
        for (int j = 0; j <= b.length(); j++) {
            prev[j] = j;
        }
        for (int i = 1; i <= a.length(); i++) {
            cur[0] = i;
            for (int j = 1; j <= b.length(); j++) {
                int cost = a.charAt(i - 1) == b.charAt(j - 1) ? 0 : 1;
                cur[j] = Math.min(Math.min(cur[j - 1] + 1, prev[j] + 1), prev[j - 1] + cost);
            }
            int[] t = prev;
            prev = cur;
            cur = t;
        }
        return prev[b.length()];
    }

    private static Person person(ICalLines.Line l) {
        String v = l.value() == null ? null : l.value().trim();
        String email = v == null || v.isEmpty() || v.equalsIgnoreCase(NO_MAIL) || v.equalsIgnoreCase("mailto:" + NO_MAIL)
                ? null : v.regionMatches(true, 0, "mailto:", 0, 7) ? v.substring(7) : v;
        return new Person(email, l.param("CN"));
    }

    // ------------------------------------------------------------------ file-level checks

    /**
     * After all VEVENTs: RECURRENCE-IDs checked against their series' DTSTART (RFC 5545: same value type; an
     * Exchange date-time RECURRENCE-ID on an all-day series is read as its date), duplicates of UID +
     * RECURRENCE-ID resolved as RFC 5546 says (highest SEQUENCE, then latest LAST-MODIFIED), and each
     * RDATE;VALUE=PERIOD whose length differs from the series' becomes an override with that end.
     */
    private List<CalendarEvent> finish(List<Parsed> parsed) {
        Map<String, CalendarEvent> masters = new HashMap<>();
        for (Parsed p : parsed) {
            if (p.event().recurrenceId() == null) {
                masters.putIfAbsent(p.event().uid(), p.event());
            }
        }
        Map<String, Parsed> byKey = new LinkedHashMap<>();
        for (Parsed p : parsed) {
            CalendarEvent e = p.event();
            if (e.recurrenceId() != null) {
                e = checkRecurrenceId(e, masters.get(e.uid()), p.line());
                p = new Parsed(e, p.line(), p.periods());
            }
            String key = e.uid() + "\u001f" + (e.recurrenceId() == null ? "" : e.recurrenceId().canonical());
            Parsed other = byKey.get(key);
            if (other == null) {
                byKey.put(key, p);
                continue;
            }
            Parsed winner = newer(p.event(), other.event()) ? p : other;
            Parsed loser = winner == p ? other : p;
            problem(Kind.WARNING, loser.line(), e.uid(), ridText(e.recurrenceId()), "UID", "UID " + e.uid()
                    + (e.recurrenceId() == null ? "" : " with RECURRENCE-ID " + ridText(e.recurrenceId()))
                    + " is in the file twice (lines " + other.line() + " and " + p.line() + "); the copy at line "
                    + winner.line() + " is kept (" + reason(winner.event(), loser.event()) + ")");
            byKey.remove(key);
            byKey.put(key, winner);
        }
        List<CalendarEvent> out = new ArrayList<>(byKey.size());
        List<CalendarEvent> extra = new ArrayList<>();
        for (Parsed p : byKey.values()) {
            out.add(p.event());
            CalendarEvent m = p.event();
            if (m.recurrenceId() != null || p.periods().isEmpty() || m.start().isDate()) {
                continue;
            }
            Duration length = m.end() == null ? Duration.ZERO : span(m.start(), m.end());
            for (EventTime[] period : p.periods()) {
                String key = m.uid() + "\u001f" + period[0].canonical();
                if (byKey.containsKey(key) || span(period[0], period[1]).equals(length) || before(period[1], period[0])) {
                    continue;
                }
                extra.add(m.toBuilder().recurrenceId(period[0]).start(period[0]).end(period[1]).rrules(List.of())
                        .exdates(List.of()).rdates(List.of()).build());
                byKey.put(key, p);
            }
        }
        out.addAll(extra);
        return out;
    }

    private static Duration span(EventTime a, EventTime b) {
        if (a.isFloating() || b.isFloating()) {
            return Duration.between(a.localDateTime(), b.localDateTime());
        }
        return Duration.between(a.instant(), b.instant());
    }

    private CalendarEvent checkRecurrenceId(CalendarEvent e, CalendarEvent master, int line) {
        if (master == null) {
            return e;
        }
        EventTime rid = e.recurrenceId();
        EventTime start = master.start();
        EventTime fixed = null;
        if (start.isDate() && !rid.isDate()) {
            fixed = EventTime.ofDate(rid.localDateTime().toLocalDate());
        } else if (!start.isDate() && rid.isDate()) {
            LocalDateTime at = rid.date().atTime(start.localDateTime().toLocalTime());
            fixed = start.isFloating() ? EventTime.ofFloating(at) : EventTime.ofZoned(at, start.zoneId());
        }
        if (fixed == null) {
            return e;
        }
        problem(Kind.REPAIRED, line, e.uid(), ridText(rid), "RECURRENCE-ID", "RECURRENCE-ID " + rid.localDateTime()
                + (rid.isDate() ? " is a DATE" : " is a DATE-TIME") + " but the series' DTSTART is "
                + (start.isDate() ? "a DATE" : "a DATE-TIME") + "; read as " + ridText(fixed) + ", the occurrence it names");
        return e.toBuilder().recurrenceId(fixed).build();
    }

    private static boolean newer(CalendarEvent a, CalendarEvent b) {
        int sa = a.sequence() == null ? 0 : a.sequence();
        int sb = b.sequence() == null ? 0 : b.sequence();
        if (sa != sb) {
            return sa > sb;
        }
        Instant la = a.lastModified();
        Instant lb = b.lastModified();
        if (!Objects.equals(la, lb)) {
            return lb == null || (la != null && la.isAfter(lb));
        }
        return true;
    }

    private static String reason(CalendarEvent w, CalendarEvent l) {
        int sw = w.sequence() == null ? 0 : w.sequence();
        int sl = l.sequence() == null ? 0 : l.sequence();
        if (sw != sl) {
            return "higher SEQUENCE " + sw + " over " + sl;
        }
        if (!Objects.equals(w.lastModified(), l.lastModified())) {
            return "same SEQUENCE, later LAST-MODIFIED " + w.lastModified();
        }
        return "same SEQUENCE and LAST-MODIFIED: the later copy";
    }

    private static String ridText(EventTime t) {
        if (t == null) {
            return null;
        }
        return t.isDate() ? ICalTimes.format(t, false) : t.isFloating() ? ICalTimes.format(t, false)
                : ICalTimes.format(t, true);
    }

    // ------------------------------------------------------------------ helpers

    private void problem(Kind kind, int line, String uid, String rid, String property, String message) {
        if (problems.size() >= limits.maxProblems()) {
            droppedProblems++;
            return;
        }
        problems.add(new InputProblem(kind, null, null, Math.max(line, 0), uid, rid, property, message));
    }

    /** {@code chronoroute-<32 hex>}: SHA-256 of the VEVENT's content lines except DTSTAMP (rewritten on every export). */
    private static String derivedUid(List<ICalLines.Line> lines) {
        try {
            MessageDigest md = MessageDigest.getInstance("SHA-256");
            for (ICalLines.Line l : lines) {
                if (l.is("DTSTAMP")) {
                    continue;
                }
                md.update((l.raw() == null ? l.name() + ":" + l.length() : l.raw()).getBytes(StandardCharsets.UTF_8));
                md.update((byte) '\n');
            }
            return "chronoroute-" + HexFormat.of().formatHex(md.digest()).substring(0, 32);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    static String abbreviate(String s) {
        if (s == null) {
            return "";
        }
        return s.length() <= 80 ? s : s.substring(0, 77) + "...";
    }

    private static String rootMessage(Throwable t) {
        Throwable r = t;
        while (r.getCause() != null && r.getCause() != r) {
            r = r.getCause();
        }
        return r.getMessage() == null ? r.getClass().getSimpleName() : r.getMessage();
    }
}
