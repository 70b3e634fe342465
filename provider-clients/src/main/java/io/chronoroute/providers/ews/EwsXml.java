package io.chronoroute.providers.ews;

import io.chronoroute.processors.model.CalendarEvent;
import io.chronoroute.processors.model.EventTime;
import io.chronoroute.processors.zone.WindowsZones;
import io.chronoroute.providers.common.DestinationException;
import io.chronoroute.providers.common.ErrorKind;
import org.w3c.dom.Element;

import java.time.DayOfWeek;
import java.time.Instant;
import java.time.LocalDate;
import java.time.LocalDateTime;
import java.time.ZoneId;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * Small XML templates for the EWS requests (every text value escaped), the RRULE → {@code t:Recurrence} mapping and
 * the Exchange form of an event's times, sensitivity and free/busy (what a writer sends, what a reader compares
 * with). Element order inside {@code t:CalendarItem} follows types.xsd (Exchange rejects other orders).
 */
public final class EwsXml {

    /** Extended property (our property set) holding the content hash of the event an item was written from. */
    public static final String HASH = "ChronorouteHash";

    public static final DateTimeFormatter UTC = DateTimeFormatter.ofPattern("yyyy-MM-dd'T'HH:mm:ss'Z'")
            .withZone(ZoneOffset.UTC);

    private EwsXml() {
    }

    public static String esc(String s) {
        if (s == null) {
            return "";
        }
        StringBuilder sb = new StringBuilder(s.length());
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            switch (c) {
                case '<' -> sb.append("&lt;");
                case '>' -> sb.append("&gt;");
                case '&' -> sb.append("&amp;");
                case '"' -> sb.append("&quot;");
                case '\'' -> sb.append("&apos;");
                default -> {
                    // XML 1.0 forbids most control characters
                    if (c >= 0x20 || c == '\t' || c == '\n' || c == '\r') {
                        sb.append(c);
                    }
                }
            }
        }
        return sb.toString();
    }

    public static String el(String name, String text) {
        return "<t:" + name + ">" + esc(text) + "</t:" + name + ">";
    }

    public static String extUri(String set, String name) {
        return "<t:ExtendedFieldURI PropertySetId=\"" + esc(set) + "\" PropertyName=\"" + esc(name)
                + "\" PropertyType=\"String\"/>";
    }

    public static String ext(String set, String name, String value) {
        return "<t:ExtendedProperty>" + extUri(set, name) + el("Value", value) + "</t:ExtendedProperty>";
    }

    public static String itemId(String id, String changeKey) {
        return "<t:ItemId Id=\"" + esc(id) + "\"" + (changeKey == null ? "" : " ChangeKey=\"" + esc(changeKey) + "\"")
                + "/>";
    }

    /** Windows zone id for an IANA zone ("UTC" when CLDR has none). */
    public static String windowsZone(ZoneId zone) {
        return WindowsZones.toWindows(zone.getId()).orElse("UTC");
    }

    // ------------------------------------------------------------------------------------------------ recurrence

    /**
     * One RRULE as {@code <t:Recurrence>}. Supported: DAILY, WEEKLY (BYDAY), MONTHLY (BYMONTHDAY | BYDAY=nXX |
     * BYDAY=XX;BYSETPOS=n), YEARLY (BYMONTH + BYMONTHDAY | BYDAY=nXX), INTERVAL, COUNT, UNTIL, WKST. Anything else
     * is a permanent error (the event is parked, never written wrong).
     */
    public static String recurrence(String rrule, LocalDateTime localStart, ZoneId zone) {
        Map<String, String> p = new LinkedHashMap<>();
        for (String part : rrule.replaceFirst("(?i)^RRULE:", "").split(";")) {
            int eq = part.indexOf('=');
            if (eq > 0) {
                p.put(part.substring(0, eq).toUpperCase(Locale.ROOT), part.substring(eq + 1).toUpperCase(Locale.ROOT));
            }
        }
        for (String k : p.keySet()) {
            if (!List.of("FREQ", "INTERVAL", "BYDAY", "BYMONTHDAY", "BYMONTH", "BYSETPOS", "COUNT", "UNTIL", "WKST")
                    .contains(k)) {
                throw unsupported(rrule);
            }
        }
        String interval = p.getOrDefault("INTERVAL", "1");
        LocalDate startDate = localStart.toLocalDate();
        String pattern;
        switch (p.getOrDefault("FREQ", "")) {
            case "DAILY" -> {
                if (p.containsKey("BYDAY") || p.containsKey("BYMONTHDAY") || p.containsKey("BYMONTH")) {
                    throw unsupported(rrule);
                }
                pattern = "<t:DailyRecurrence>" + el("Interval", interval) + "</t:DailyRecurrence>";
            }
            case "WEEKLY" -> {
                List<String> days = new ArrayList<>();
                for (String d : p.getOrDefault("BYDAY", twoLetter(startDate.getDayOfWeek())).split(",")) {
                    if (!d.matches("[A-Z]{2}")) {
                        throw unsupported(rrule);
                    }
                    days.add(dayName(d));
                }
                pattern = "<t:WeeklyRecurrence>" + el("Interval", interval) + el("DaysOfWeek", String.join(" ", days))
                        + el("FirstDayOfWeek", dayName(p.getOrDefault("WKST", "MO"))) + "</t:WeeklyRecurrence>";
            }
            case "MONTHLY" -> {
                String[] rel = relative(p, rrule);
                if (rel != null) {
                    pattern = "<t:RelativeMonthlyRecurrence>" + el("Interval", interval) + el("DaysOfWeek", rel[0])
                            + el("DayOfWeekIndex", rel[1]) + "</t:RelativeMonthlyRecurrence>";
                } else {
                    pattern = "<t:AbsoluteMonthlyRecurrence>" + el("Interval", interval) + el("DayOfMonth",
                            p.getOrDefault("BYMONTHDAY", String.valueOf(startDate.getDayOfMonth())))
                            + "</t:AbsoluteMonthlyRecurrence>";
                }
            }
            case "YEARLY" -> {
                if (!"1".equals(interval)) {
                    throw unsupported(rrule);
                }
                String month = monthName(Integer.parseInt(p.getOrDefault("BYMONTH",
                        String.valueOf(startDate.getMonthValue()))));
                String[] rel = relative(p, rrule);
                if (rel != null) {
                    pattern = "<t:RelativeYearlyRecurrence>" + el("DaysOfWeek", rel[0]) + el("DayOfWeekIndex", rel[1])
                            + el("Month", month) + "</t:RelativeYearlyRecurrence>";
                } else {
                    pattern = "<t:AbsoluteYearlyRecurrence>" + el("DayOfMonth", p.getOrDefault("BYMONTHDAY",
                            String.valueOf(startDate.getDayOfMonth()))) + el("Month", month)
                            + "</t:AbsoluteYearlyRecurrence>";
                }
            }
            default -> throw unsupported(rrule);
        }
        String range;
        if (p.containsKey("COUNT")) {
            range = "<t:NumberedRecurrence>" + el("StartDate", startDate.toString()) + el("NumberOfOccurrences",
                    p.get("COUNT")) + "</t:NumberedRecurrence>";
        } else if (p.containsKey("UNTIL")) {
            range = "<t:EndDateRecurrence>" + el("StartDate", startDate.toString()) + el("EndDate",
                    untilDate(p.get("UNTIL"), zone).toString()) + "</t:EndDateRecurrence>";
        } else {
            range = "<t:NoEndRecurrence>" + el("StartDate", startDate.toString()) + "</t:NoEndRecurrence>";
        }
        return "<t:Recurrence>" + pattern + range + "</t:Recurrence>";
    }

    private static String[] relative(Map<String, String> p, String rrule) {
        String byDay = p.get("BYDAY");
        if (byDay == null) {
            return null;
        }
        String n;
        String day;
        if (byDay.matches("[+-]?\\d[A-Z]{2}")) {
            n = byDay.substring(0, byDay.length() - 2).replace("+", "");
            day = byDay.substring(byDay.length() - 2);
        } else if (byDay.matches("[A-Z]{2}") && p.containsKey("BYSETPOS")) {
            n = p.get("BYSETPOS");
            day = byDay;
        } else {
            throw unsupported(rrule);
        }
        String index = switch (n) {
            case "1" -> "First";
            case "2" -> "Second";
            case "3" -> "Third";
            case "4" -> "Fourth";
            case "-1" -> "Last";
            default -> throw unsupported(rrule);
        };
        return new String[] {dayName(day), index};
    }

    private static LocalDate untilDate(String until, ZoneId zone) {
        if (until.length() == 8) {
            return LocalDate.parse(until, DateTimeFormatter.BASIC_ISO_DATE);
        }
        String t = until.endsWith("Z") ? until.substring(0, until.length() - 1) : until;
        LocalDateTime ldt = LocalDateTime.parse(t, DateTimeFormatter.ofPattern("yyyyMMdd'T'HHmmss"));
        return until.endsWith("Z") ? LocalDateTime.ofInstant(ldt.toInstant(ZoneOffset.UTC), zone).toLocalDate()
                : ldt.toLocalDate();
    }

    private static String dayName(String two) {
        return switch (two) {
            case "MO" -> "Monday";
            case "TU" -> "Tuesday";
            case "WE" -> "Wednesday";
            case "TH" -> "Thursday";
            case "FR" -> "Friday";
            case "SA" -> "Saturday";
            case "SU" -> "Sunday";
            default -> throw new DestinationException(ErrorKind.PERMANENT, "unsupportedRecurrence",
                    "unknown day " + two);
        };
    }

    private static String twoLetter(DayOfWeek d) {
        return d.name().substring(0, 2);
    }

    private static String monthName(int m) {
        String n = java.time.Month.of(m).name();
        return n.charAt(0) + n.substring(1).toLowerCase(Locale.ROOT);
    }

    private static DestinationException unsupported(String rrule) {
        return new DestinationException(ErrorKind.PERMANENT, "unsupportedRecurrence",
                "this recurrence cannot be expressed in EWS: " + rrule);
    }

    // ------------------------------------------------------------------------------------------------ items read

    /** What we read back of one calendar item ({@code xml}: the {@code t:CalendarItem} itself). */
    public record Item(String id, String changeKey, String type, Instant start, Instant originalStart,
                Map<String, String> ext, List<String[]> modified, List<Instant> deleted, String fingerprint,
                Element xml) {

        public String tag(String name) {
            return ext.get(name);
        }
    }

    /** Parses a {@code t:CalendarItem}; {@code setId} selects our extended properties (by PropertyName). */
    public static Item item(Element ci, String setId) {
        Element idEl = EwsClient.child(ci, "ItemId");
        Map<String, String> ext = new LinkedHashMap<>();
        for (Element ep : EwsClient.children(ci, "ExtendedProperty")) {
            Element uri = EwsClient.child(ep, "ExtendedFieldURI");
            if (uri != null && norm(uri.getAttribute("PropertySetId")).equals(norm(setId))) {
                ext.put(uri.getAttribute("PropertyName"), EwsClient.textOf(EwsClient.child(ep, "Value")));
            }
        }
        List<String[]> modified = new ArrayList<>();
        for (Element o : EwsClient.children(EwsClient.child(ci, "ModifiedOccurrences"), "Occurrence")) {
            modified.add(new String[] {EwsClient.child(o, "ItemId").getAttribute("Id"),
                    EwsClient.textOf(EwsClient.child(o, "OriginalStart")).trim()});
        }
        List<Instant> deleted = new ArrayList<>();
        for (Element o : EwsClient.children(EwsClient.child(ci, "DeletedOccurrences"), "DeletedOccurrence")) {
            deleted.add(Instant.parse(EwsClient.textOf(EwsClient.child(o, "Start")).trim()));
        }
        StringBuilder fp = new StringBuilder();
        for (String f : List.of("Subject", "Sensitivity", "Start", "End", "IsAllDayEvent", "LegacyFreeBusyStatus",
                "Location", "Recurrence")) {
            Element e = EwsClient.child(ci, f);
            fp.append(f).append('=').append(e == null ? "" : e.getTextContent().trim()).append('\n');
        }
        Element stz = EwsClient.child(ci, "StartTimeZone");
        fp.append("tz=").append(stz == null ? "" : stz.getAttribute("Id")).append('\n');
        fp.append("hash=").append(ext.get(HASH)).append('\n');
        String start = EwsClient.textOf(EwsClient.child(ci, "Start"));
        String orig = EwsClient.textOf(EwsClient.child(ci, "OriginalStart"));
        return new Item(idEl == null ? null : idEl.getAttribute("Id"),
                idEl == null || idEl.getAttribute("ChangeKey").isEmpty() ? null : idEl.getAttribute("ChangeKey"),
                EwsClient.textOf(EwsClient.child(ci, "CalendarItemType")),
                start == null ? null : Instant.parse(start.trim()), orig == null ? null : Instant.parse(orig.trim()),
                ext, modified, deleted, sha(fp.toString()), ci);
    }

    private static String norm(String guid) {
        return guid == null ? "" : guid.trim().replace("{", "").replace("}", "").toLowerCase(Locale.ROOT);
    }

    public static String sha(String s) {
        try {
            byte[] d = java.security.MessageDigest.getInstance("SHA-256").digest(s.getBytes(
                    java.nio.charset.StandardCharsets.UTF_8));
            return java.util.HexFormat.of().formatHex(d, 0, 16);
        } catch (java.security.NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    public static Instant instantOf(EventTime t, ZoneId floatingZone) {
        return t.toInstant(floatingZone);
    }

    /** The {@code t:Recurrence} the writer sends for {@code e} (null for an override or a single event). */
    public static String recurrence(CalendarEvent e, Times t) {
        if (e.recurrenceId() != null || (e.rrules().isEmpty() && e.rdates().isEmpty())) {
            return null;
        }
        if (e.rrules().size() != 1 || !e.rdates().isEmpty()) {
            throw new DestinationException(ErrorKind.PERMANENT, "unsupportedRecurrence",
                    "EWS holds exactly one rule per series and no RDATE");
        }
        return recurrence(e.rrules().get(0), LocalDateTime.ofInstant(t.start(), t.zone()), t.zone());
    }

    /** Start/End as written: UTC instants, the all-day flag and the zone whose Windows id is sent. */
    public record Times(Instant start, Instant end, boolean allDay, ZoneId zone) {
    }

    public static Times times(CalendarEvent e, ZoneId floatingZone) {
        EventTime s = e.start();
        if (s.isDate()) {
            LocalDate end = e.end() != null && e.end().isDate() ? e.end().date() : s.date().plusDays(1);
            return new Times(s.date().atStartOfDay(floatingZone).toInstant(),
                    end.atStartOfDay(floatingZone).toInstant(), true, floatingZone);
        }
        ZoneId zone = s.isFloating() ? floatingZone : s.zoneId();
        Instant start = s.toInstant(floatingZone);
        Instant end = e.end() == null ? start : e.end().toInstant(floatingZone);
        return new Times(start, end.isBefore(start) ? start : end, false, zone);
    }

    /** {@code t:Sensitivity} for the event's CLASS. */
    public static String sensitivity(CalendarEvent e) {
        String c = e.classification() == null ? "" : e.classification().toUpperCase(Locale.ROOT);
        return switch (c) {
            case "PRIVATE" -> "Private";
            case "CONFIDENTIAL" -> "Confidential";
            default -> "Normal";
        };
    }

    /** {@code t:LegacyFreeBusyStatus} for the event's transparency, busy status and status. */
    public static String freeBusy(CalendarEvent e) {
        String b = e.busyStatus() == null ? "" : e.busyStatus().toUpperCase(Locale.ROOT);
        if ("TRANSPARENT".equalsIgnoreCase(e.transparency()) || b.equals("FREE")) {
            return "Free";
        }
        return switch (b) {
            case "TENTATIVE" -> "Tentative";
            case "OOF" -> "OOF";
            default -> "TENTATIVE".equalsIgnoreCase(e.status()) ? "Tentative" : "Busy";
        };
    }
    // ------------------------------------------------------------------------------------------------ writes

    /**
     * A {@code t:CalendarItem} for CreateItem, children in schema order: Subject, Sensitivity, Body, the extended
     * properties ({@code extXml}, may be empty), UID (when given: the iCalendar UID the item keeps), Start, End,
     * IsAllDayEvent, LegacyFreeBusyStatus, Location, Recurrence, StartTimeZone, EndTimeZone.
     */
    public static String calendarItem(CalendarEvent e, Times t, String body, String extXml, String uid) {
        StringBuilder sb = new StringBuilder("<t:CalendarItem>");
        if (e.title() != null) {
            sb.append(el("Subject", e.title()));
        }
        sb.append(el("Sensitivity", sensitivity(e)));
        if (body != null) {
            sb.append("<t:Body BodyType=\"Text\">").append(esc(body)).append("</t:Body>");
        }
        if (extXml != null) {
            sb.append(extXml);
        }
        if (uid != null) {
            sb.append(el("UID", uid));
        }
        sb.append(el("Start", UTC.format(t.start()))).append(el("End", UTC.format(t.end())));
        sb.append(el("IsAllDayEvent", String.valueOf(t.allDay())));
        sb.append(el("LegacyFreeBusyStatus", freeBusy(e)));
        if (e.location() != null) {
            sb.append(el("Location", e.location()));
        }
        String rec = recurrence(e, t);
        if (rec != null) {
            sb.append(rec);
        }
        String win = windowsZone(t.zone());
        sb.append("<t:StartTimeZone Id=\"").append(esc(win)).append("\"/>");
        sb.append("<t:EndTimeZone Id=\"").append(esc(win)).append("\"/>");
        return sb.append("</t:CalendarItem>").toString();
    }

    /** Subject, sensitivity, body, free/busy and location as UpdateItem changes (set, or deleted when absent). */
    public static void contentUpdates(CalendarEvent e, String body, StringBuilder u) {
        u.append(e.title() == null ? deleteField("item:Subject") : setField("item:Subject", el("Subject", e.title())));
        u.append(setField("item:Sensitivity", el("Sensitivity", sensitivity(e))));
        u.append(body == null ? deleteField("item:Body")
                : setField("item:Body", "<t:Body BodyType=\"Text\">" + esc(body) + "</t:Body>"));
        u.append(setField("calendar:LegacyFreeBusyStatus", el("LegacyFreeBusyStatus", freeBusy(e))));
        u.append(e.location() == null ? deleteField("calendar:Location")
                : setField("calendar:Location", el("Location", e.location())));
    }

    /** Time zones, Start and End (and, for a single item or series, IsAllDayEvent) as UpdateItem changes. */
    public static void timeUpdates(Times t, boolean allDayToo, StringBuilder u) {
        String win = windowsZone(t.zone());
        u.append(setField("calendar:StartTimeZone", "<t:StartTimeZone Id=\"" + esc(win) + "\"/>"));
        u.append(setField("calendar:EndTimeZone", "<t:EndTimeZone Id=\"" + esc(win) + "\"/>"));
        u.append(setField("calendar:Start", el("Start", UTC.format(t.start()))));
        u.append(setField("calendar:End", el("End", UTC.format(t.end()))));
        if (allDayToo) {
            u.append(setField("calendar:IsAllDayEvent", el("IsAllDayEvent", String.valueOf(t.allDay()))));
        }
    }

    /** {@code t:SetItemField} of a calendar item field. */
    public static String setField(String fieldUri, String valueXml) {
        return "<t:SetItemField><t:FieldURI FieldURI=\"" + fieldUri + "\"/><t:CalendarItem>" + valueXml
                + "</t:CalendarItem></t:SetItemField>";
    }

    /** {@code t:DeleteItemField} of a calendar item field. */
    public static String deleteField(String fieldUri) {
        return "<t:DeleteItemField><t:FieldURI FieldURI=\"" + fieldUri + "\"/></t:DeleteItemField>";
    }
}
