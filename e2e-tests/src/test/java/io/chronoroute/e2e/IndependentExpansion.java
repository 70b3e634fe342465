package io.chronoroute.e2e;

import biweekly.Biweekly;
import biweekly.ICalendar;
import biweekly.component.VEvent;
import biweekly.io.TimezoneAssignment;
import biweekly.io.TimezoneInfo;
import biweekly.property.DateOrDateTimeProperty;
import biweekly.property.RawProperty;
import biweekly.property.RecurrenceDates;
import biweekly.util.DateTimeComponents;
import biweekly.util.ICalDate;
import biweekly.util.Period;
import biweekly.util.com.google.ical.compat.javautil.DateIterator;

import java.time.Instant;
import java.time.LocalDate;
import java.time.LocalDateTime;
import java.time.ZoneId;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.Date;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TimeZone;
import java.util.TreeSet;

/**
 * Occurrences of iCalendar texts, expanded with biweekly (its own RFC 5545 recurrence engine), not with the code
 * under test and not with ical4j. The RFC rules that biweekly leaves to its caller are applied here, written
 * independently of the reader: RECURRENCE-ID replaces the occurrence it names (its value type taken from the
 * series' DTSTART), duplicates of UID + RECURRENCE-ID resolve to the highest SEQUENCE then the latest
 * LAST-MODIFIED (RFC 5546), an RDATE;VALUE=PERIOD occurrence ends at the period's end, and X-WR-TIMEZONE is the
 * zone of times written without one.
 *
 * <p>An occurrence is {@code summary | start | end}, with times as {@code D:date}, {@code F:local} (floating) or
 * {@code Z:instant}; only those starting inside the window are kept.
 */
final class IndependentExpansion {

    private final Instant from;
    private final Instant to;

    IndependentExpansion(Instant from, Instant to) {
        this.from = from;
        this.to = to;
    }

    TreeSet<String> occurrences(List<String> icsTexts) {
        TimeZone saved = TimeZone.getDefault();
        TimeZone.setDefault(TimeZone.getTimeZone("UTC"));
        try {
            TreeSet<String> out = new TreeSet<>();
            for (String text : icsTexts) {
                for (ICalendar cal : Biweekly.parse(text).all()) {
                    out.addAll(occurrences(cal));
                }
            }
            return out;
        } finally {
            TimeZone.setDefault(saved);
        }
    }

    private List<String> occurrences(ICalendar cal) {
        RawProperty wr = cal.getExperimentalProperty("X-WR-TIMEZONE");
        ZoneId wrZone = wr == null ? null : ZoneId.of(wr.getValue().trim());
        TimezoneInfo tzi = cal.getTimezoneInfo();
        Map<String, List<VEvent>> byUid = new LinkedHashMap<>();
        int anonymous = 0;
        for (VEvent e : cal.getEvents()) {
            String uid = e.getUid() == null ? "\u0000anonymous-" + anonymous++ : e.getUid().getValue();
            byUid.computeIfAbsent(uid, k -> new ArrayList<>()).add(e);
        }
        List<String> out = new ArrayList<>();
        for (List<VEvent> group : byUid.values()) {
            VEvent master = null;
            Map<String, VEvent> overrides = new LinkedHashMap<>();
            for (VEvent e : group) {
                if (e.getRecurrenceId() == null) {
                    master = winner(master, e);
                }
            }
            Map<String, VEvent> overrideByRid = new HashMap<>();
            for (VEvent e : group) {
                if (e.getRecurrenceId() != null) {
                    String key = ridKey(e, master, tzi, wrZone);
                    overrideByRid.put(key, winner(overrideByRid.get(key), e));
                }
            }
            overrides.putAll(overrideByRid);
            if (master != null) {
                for (String[] occ : expand(master, tzi, wrZone)) {
                    if (!overrides.containsKey(occ[0])) {
                        add(out, summary(master), occ[0], occ[1]);
                    }
                }
            }
            for (VEvent o : overrides.values()) {
                String start = key(o.getDateStart(), o.getDateStart().getValue(), tzi, wrZone);
                add(out, summary(o), start, end(o, o.getDateStart().getValue(), tzi, wrZone));
            }
        }
        return out;
    }

    private void add(List<String> out, String summary, String start, String end) {
        Instant at = instantOf(start);
        if (!at.isBefore(from) && at.isBefore(to)) {
            out.add(summary + " | " + start + " | " + end);
        }
    }

    private static Instant instantOf(String key) {
        String v = key.substring(2);
        return switch (key.charAt(0)) {
            case 'D' -> LocalDate.parse(v).atStartOfDay().toInstant(ZoneOffset.UTC);
            case 'F' -> LocalDateTime.parse(v).toInstant(ZoneOffset.UTC);
            default -> Instant.parse(v);
        };
    }

    private static String summary(VEvent e) {
        return e.getSummary() == null ? "" : e.getSummary().getValue();
    }

    /** RFC 5546: the higher SEQUENCE wins, then the later LAST-MODIFIED, then the later copy. */
    private static VEvent winner(VEvent a, VEvent b) {
        if (a == null) {
            return b;
        }
        int sa = a.getSequence() == null ? 0 : a.getSequence().getValue();
        int sb = b.getSequence() == null ? 0 : b.getSequence().getValue();
        if (sa != sb) {
            return sa > sb ? a : b;
        }
        Date la = a.getLastModified() == null ? null : a.getLastModified().getValue();
        Date lb = b.getLastModified() == null ? null : b.getLastModified().getValue();
        if (la != null && (lb == null || la.after(lb))) {
            return a;
        }
        return b;
    }

    /** {start key, end key} of each occurrence of the series. */
    private List<String[]> expand(VEvent master, TimezoneInfo tzi, ZoneId wrZone) {
        DateOrDateTimeProperty dtstart = master.getDateStart();
        ICalDate start = dtstart.getValue();
        Map<String, String> periodEnds = new HashMap<>();
        List<String> rdates = new ArrayList<>();
        for (RecurrenceDates rd : master.getRecurrenceDates()) {
            for (Period p : rd.getPeriods()) {
                ICalDate s = p.getStartDate();
                Date e = p.getEndDate() != null ? p.getEndDate() : new Date(s.getTime() + p.getDuration().toMillis());
                periodEnds.put(format(rd, s, tzi, wrZone), format(rd, new ICalDate(e, true), tzi, wrZone));
                rdates.add(format(rd, s, tzi, wrZone));
            }
            for (ICalDate d : rd.getDates()) {
                rdates.add(format(rd, d, tzi, wrZone));
            }
        }
        TimeZone tz = start.hasTime() && !floating(dtstart, tzi) ? zoneOf(dtstart, tzi) : TimeZone.getTimeZone("UTC");
        Map<String, String> out = new LinkedHashMap<>();
        DateIterator it = master.getDateIterator(tz);
        int guard = 0;
        while (it.hasNext() && guard++ < 200_000) {
            Date d = it.next();
            ICalDate occ = new ICalDate(d, start.hasTime());
            String key = start.hasTime() && !floating(dtstart, tzi) ? "Z:" + d.toInstant()
                    : format(dtstart, occ, tzi, wrZone);
            if (instantOf(key).isAfter(to)) {
                break;
            }
            String end = periodEnds.containsKey(key) ? periodEnds.get(key) : endAt(master, d, start, tzi, wrZone, key);
            out.put(key, end);
        }
        // RDATEs (dates and periods) are part of the set whether or not the iterator yields them
        for (String key : rdates) {
            out.putIfAbsent(key, periodEnds.containsKey(key) ? periodEnds.get(key)
                    : endAt(master, null, start, tzi, wrZone, key));
        }
        List<String[]> list = new ArrayList<>();
        out.forEach((k, v) -> list.add(new String[] {k, v}));
        return list;
    }

    private String endAt(VEvent e, Date occurrence, ICalDate start, TimezoneInfo tzi, ZoneId wrZone, String startKey) {
        long length;
        if (e.getDateEnd() != null) {
            ICalDate end = e.getDateEnd().getValue();
            if (!start.hasTime()) {
                long days = java.time.temporal.ChronoUnit.DAYS.between(LocalDate.parse(key(e.getDateStart(), start, tzi, wrZone).substring(2)),
                        LocalDate.parse(key(e.getDateEnd(), end, tzi, wrZone).substring(2)));
                return "D:" + LocalDate.parse(startKey.substring(2)).plusDays(days);
            }
            length = instantOf(key(e.getDateEnd(), end, tzi, wrZone)).toEpochMilli()
                    - instantOf(key(e.getDateStart(), start, tzi, wrZone)).toEpochMilli();
        } else if (e.getDuration() != null) {
            length = e.getDuration().getValue().toMillis();
        } else {
            return start.hasTime() ? startKey : "D:" + LocalDate.parse(startKey.substring(2)).plusDays(1);
        }
        return shift(startKey, length);
    }

    private static String shift(String key, long millis) {
        return switch (key.charAt(0)) {
            case 'F' -> "F:" + LocalDateTime.parse(key.substring(2)).plusNanos(millis * 1_000_000L);
            case 'Z' -> "Z:" + Instant.parse(key.substring(2)).plusMillis(millis);
            default -> key;
        };
    }

    private String end(VEvent e, ICalDate start, TimezoneInfo tzi, ZoneId wrZone) {
        String startKey = key(e.getDateStart(), start, tzi, wrZone);
        return endAt(e, start, start, tzi, wrZone, startKey);
    }

    /** The RECURRENCE-ID as the occurrence key of the series it belongs to (its value type is the series'). */
    private String ridKey(VEvent o, VEvent master, TimezoneInfo tzi, ZoneId wrZone) {
        String rid = key(o.getRecurrenceId(), o.getRecurrenceId().getValue(), tzi, wrZone);
        if (master == null) {
            return rid;
        }
        ICalDate ms = master.getDateStart().getValue();
        if (!ms.hasTime() && rid.charAt(0) != 'D') {
            LocalDate day = rid.charAt(0) == 'F' ? LocalDateTime.parse(rid.substring(2)).toLocalDate()
                    : local(Instant.parse(rid.substring(2)), zoneOf(o.getRecurrenceId(), tzi)).toLocalDate();
            return "D:" + day;
        }
        if (ms.hasTime() && rid.charAt(0) == 'D') {
            String masterKey = key(master.getDateStart(), ms, tzi, wrZone);
            LocalDate day = LocalDate.parse(rid.substring(2));
            if (masterKey.charAt(0) == 'F') {
                return "F:" + day.atTime(LocalDateTime.parse(masterKey.substring(2)).toLocalTime());
            }
            TimeZone z = zoneOf(master.getDateStart(), tzi);
            return "Z:" + instant(day.atTime(local(Instant.parse(masterKey.substring(2)), z).toLocalTime()), z);
        }
        return rid;
    }

    /** Wall time of an instant in a java.util zone (biweekly's zones from VTIMEZONEs have no java.time id). */
    private static LocalDateTime local(Instant at, TimeZone tz) {
        java.util.Calendar c = java.util.Calendar.getInstance(tz);
        c.setTimeInMillis(at.toEpochMilli());
        return LocalDateTime.of(c.get(java.util.Calendar.YEAR), c.get(java.util.Calendar.MONTH) + 1,
                c.get(java.util.Calendar.DAY_OF_MONTH), c.get(java.util.Calendar.HOUR_OF_DAY),
                c.get(java.util.Calendar.MINUTE), c.get(java.util.Calendar.SECOND));
    }

    private static Instant instant(LocalDateTime local, TimeZone tz) {
        java.util.Calendar c = java.util.Calendar.getInstance(tz);
        c.clear();
        c.set(local.getYear(), local.getMonthValue() - 1, local.getDayOfMonth(), local.getHour(), local.getMinute(),
                local.getSecond());
        return c.toInstant();
    }

    private String key(biweekly.property.ICalProperty p, ICalDate d, TimezoneInfo tzi, ZoneId wrZone) {
        return format(p, d, tzi, wrZone);
    }

    private String format(biweekly.property.ICalProperty p, ICalDate d, TimezoneInfo tzi, ZoneId wrZone) {
        if (!d.hasTime()) {
            DateTimeComponents c = d.getRawComponents();
            LocalDate day = c != null ? LocalDate.of(c.getYear(), c.getMonth(), c.getDate())
                    : d.toInstant().atZone(ZoneOffset.UTC).toLocalDate();
            return "D:" + day;
        }
        if (floating(p, tzi)) {
            LocalDateTime local = LocalDateTime.ofInstant(d.toInstant(), ZoneOffset.UTC);
            return wrZone != null ? "Z:" + local.atZone(wrZone).toInstant() : "F:" + local;
        }
        return "Z:" + d.toInstant();
    }

    private static boolean floating(biweekly.property.ICalProperty p, TimezoneInfo tzi) {
        return tzi.isFloating(p);
    }

    /**
     * The zone of a property. A TZID that is an IANA id uses the JDK's rules for it, not the copy of them in the
     * text's VTIMEZONE (biweekly read the feed's ical4j-made Australia/Sydney VTIMEZONE an hour off on the day of
     * the change): both sides of the comparison then use the same zone data.
     */
    private static TimeZone zoneOf(biweekly.property.ICalProperty p, TimezoneInfo tzi) {
        TimezoneAssignment a = tzi.getTimezone(p);
        if (a == null) {
            return TimeZone.getTimeZone("UTC");
        }
        String id = a.getComponent() != null && a.getComponent().getTimezoneId() != null
                ? a.getComponent().getTimezoneId().getValue() : a.getTimeZone().getID();
        return id != null && ZoneId.getAvailableZoneIds().contains(id) ? TimeZone.getTimeZone(id) : a.getTimeZone();
    }
}
