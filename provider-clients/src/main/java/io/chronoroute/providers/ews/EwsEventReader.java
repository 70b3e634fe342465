package io.chronoroute.providers.ews;

import io.chronoroute.processors.model.CalendarEvent;
import io.chronoroute.processors.model.EventTime;
import io.chronoroute.processors.zone.WindowsZones;
import io.chronoroute.providers.common.AttendeeText;
import io.chronoroute.providers.common.DestinationException;
import org.w3c.dom.Element;

import java.nio.charset.StandardCharsets;
import java.time.DateTimeException;
import java.time.Instant;
import java.time.LocalDate;
import java.time.LocalDateTime;
import java.time.LocalTime;
import java.time.ZoneId;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Objects;
import java.util.Set;

/**
 * {@code t:CalendarItem} → {@link CalendarEvent}, the inverse of what the master's EWS destination writer writes (two-way
 * sync, issue #9). Comparisons are made in Exchange's form: for each written field, what the writer would send for
 * the consolidated event is compared with what the item now holds, and only a field that differs is read back; an
 * item nobody edited (or edited only in fields we never write: reminder, categories, attendees) therefore maps back
 * to the consolidated event itself, with every distinction Exchange cannot hold kept (floating vs zoned, the IANA
 * name behind a Windows zone, a missing end, PUBLIC vs unknown class).
 *
 * <p>Read back: Subject → title; Body → description (HTML reduced to text; our "Organizer:/Participants:" block
 * removed); Location; Start/End/IsAllDayEvent with StartTimeZone → start/end (all-day: dates; a consolidated
 * floating time stays floating when the zone is still the {@code floating-zone}; otherwise the instant in the
 * IANA zone of the Windows id); Recurrence → one RRULE (the patterns the writer produces); DeletedOccurrences →
 * exdates; LegacyFreeBusyStatus → transparency + busyStatus; Sensitivity → classification; OriginalStart →
 * recurrenceId. EWS has no status we write: status stays the consolidated one.
 */
public final class EwsEventReader {

    private static final DateTimeFormatter UNTIL = DateTimeFormatter.ofPattern("yyyyMMdd'T'HHmmss'Z'")
            .withZone(ZoneOffset.UTC);

    /** The zone of an item without (known) time zone: "UTC" by name, which the wire form can carry (not "Z"). */
    private static final ZoneId UTC_ZONE = ZoneId.of("UTC");

    private final ZoneId floatingZone;
    private final boolean attendeesInDescription;

    public EwsEventReader(ZoneId floatingZone, boolean attendeesInDescription) {
        this.floatingZone = floatingZone;
        this.attendeesInDescription = attendeesInDescription;
    }

    /**
     * The item as a {@link CalendarEvent} merged into {@code consolidated} (the event the item was written from;
     * null when unknown: then only the fields read back are set, uid/organizer/attendees/status stay empty and times
     * are zoned).
     */
    public CalendarEvent fromItem(Element ci, CalendarEvent consolidated) {
        CalendarEvent c = consolidated;
        CalendarEvent.Builder b = c == null ? CalendarEvent.builder() : c.toBuilder();
        String subject = text(ci, "Subject");
        if (c == null || !Objects.equals(subject, blank(c.title()))) {
            b.title(subject);
        }
        String body = body(ci);
        if (c == null || !Objects.equals(body, blank(AttendeeText.description(c, attendeesInDescription)))) {
            b.description(description(body, c));
        }
        String location = text(ci, "Location");
        if (c == null || !Objects.equals(location, blank(c.location()))) {
            b.location(location);
        }
        EwsXml.Times written = c == null || c.start() == null ? null
                : EwsXml.times(c, floatingZone);
        Instant start = instant(ci, "Start");
        Instant end = instant(ci, "End");
        boolean allDay = "true".equals(text(ci, "IsAllDayEvent"));
        String windows = zoneId(ci);
        ZoneId itemZone = itemZone(windows, written);
        EventTime newStart = c == null ? null : c.start();
        boolean originalOnly = "Exception".equals(text(ci, "CalendarItemType")) || c != null && c.isOverride();
        if (start != null && (written == null || !start.equals(written.start()) || !Objects.equals(end, written.end())
                || allDay != written.allDay() || (windows != null
                && !windows.equals(EwsXml.windowsZone(written.zone()))))) {
            newStart = time(start, allDay, itemZone, c == null ? null : c.start());
            b.start(newStart);
            b.end(end == null ? null : time(end, allDay, itemZone, c == null ? null
                    : c.end() != null ? c.end() : c.start()));
        }
        Instant original = instant(ci, "OriginalStart");
        if (original != null && (c == null || c.recurrenceId() == null
                || !original.equals(occurrence(c.recurrenceId())))) {
            // RECURRENCE-ID in the form of the series' start (RFC 5545 §3.8.4.4) when the base is the series
            b.recurrenceId(time(original, allDay, itemZone, c == null ? null
                    : c.recurrenceId() != null ? c.recurrenceId() : c.start()));
        }
        if (!originalOnly) {
            recurrence(ci, c, written, newStart, itemZone, b);
        }
        String fb = text(ci, "LegacyFreeBusyStatus");
        if (fb != null && (c == null || !fb.equals(EwsXml.freeBusy(c)))) {
            b.transparency("Free".equals(fb) ? "TRANSPARENT" : "OPAQUE");
            b.busyStatus(switch (fb) {
                case "Free" -> "FREE";
                case "Tentative" -> "TENTATIVE";
                case "OOF" -> "OOF";
                case "Busy" -> "BUSY";
                default -> null; // NoData, WorkingElsewhere: nothing we can say
            });
        }
        String sensitivity = text(ci, "Sensitivity");
        if (sensitivity != null && (c == null || !sensitivity.equals(EwsXml.sensitivity(c)))) {
            b.classification(switch (sensitivity) {
                case "Private", "Personal" -> "PRIVATE";
                case "Confidential" -> "CONFIDENTIAL";
                default -> "PUBLIC";
            });
        }
        return b.build();
    }

    // ------------------------------------------------------------------------------------------------ text

    private static String text(Element ci, String local) {
        return blank(EwsClient.textOf(EwsClient.child(ci, local)));
    }

    private static String blank(String s) {
        return s == null || s.isEmpty() ? null : s;
    }

    /** The body as text: a Text body as is, an HTML one (what Outlook saves after an edit) reduced to its text. */
    private static String body(Element ci) {
        Element b = EwsClient.child(ci, "Body");
        if (b == null) {
            return null;
        }
        String t = b.getTextContent().replace("\r\n", "\n");
        if (!"HTML".equalsIgnoreCase(b.getAttribute("BodyType"))) {
            return blank(t);
        }
        String s = t.replaceAll("(?is)<(head|style|script)[^>]*>.*?</\\1>", "")
                .replaceAll("(?i)<br\\s*/?>", "\n").replaceAll("(?i)</(p|div|li|tr|h\\d)>", "\n")
                .replaceAll("<[^>]*>", "").replace("&nbsp;", " ").replace("&lt;", "<").replace("&gt;", ">")
                .replace("&quot;", "\"").replace("&#39;", "'").replace("&amp;", "&")
                .replaceAll("[ \\t]+\\n", "\n").replaceAll("\\n{3,}", "\n\n").strip();
        return blank(s);
    }

    private String description(String body, CalendarEvent c) {
        if (body == null || !attendeesInDescription || c == null) {
            return body;
        }
        String full = AttendeeText.description(c, true);
        String own = c.description() == null ? "" : c.description();
        String block = full != null && full.startsWith(own) ? full.substring(own.length()) : "";
        if (!block.isEmpty() && body.endsWith(block)) {
            return blank(body.substring(0, body.length() - block.length()));
        }
        return body;
    }

    // ------------------------------------------------------------------------------------------------ times

    private static Instant instant(Element ci, String local) {
        String t = text(ci, local);
        return t == null ? null : Instant.parse(t.trim());
    }

    private static String zoneId(Element ci) {
        Element tz = EwsClient.child(ci, "StartTimeZone");
        return tz == null || tz.getAttribute("Id").isEmpty() ? null : tz.getAttribute("Id");
    }

    /** The item's zone: the consolidated IANA zone when its Windows id is the item's, else the Windows id's. */
    private ZoneId itemZone(String windows, EwsXml.Times written) {
        if (windows == null) {
            return written != null ? written.zone() : UTC_ZONE;
        }
        if (written != null && windows.equals(EwsXml.windowsZone(written.zone()))) {
            return written.zone();
        }
        try {
            return WindowsZones.toIana(windows).map(ZoneId::of).orElse(UTC_ZONE);
        } catch (DateTimeException e) {
            return UTC_ZONE;
        }
    }

    private EventTime time(Instant at, boolean allDay, ZoneId zone, EventTime hint) {
        if (allDay) {
            return EventTime.ofDate(LocalDateTime.ofInstant(at, zone).toLocalDate());
        }
        if (hint != null && hint.isFloating() && zone.equals(floatingZone)) {
            return EventTime.ofFloating(LocalDateTime.ofInstant(at, floatingZone));
        }
        return EventTime.ofInstant(at, zone.getId());
    }

    private Instant occurrence(EventTime t) {
        return t.isDate() ? t.date().atStartOfDay(floatingZone).toInstant() : t.toInstant(floatingZone);
    }

    // ------------------------------------------------------------------------------------------------ series

    private void recurrence(Element ci, CalendarEvent c, EwsXml.Times written, EventTime start,
                            ZoneId zone, CalendarEvent.Builder b) {
        Element rec = EwsClient.child(ci, "Recurrence");
        String rule = rec == null ? null : rrule(rec, zone);
        String ours = null;
        boolean known = c != null;
        if (c != null && written != null) {
            try {
                String xml = EwsXml.recurrence(c, written);
                ours = xml == null ? null : rrule(EwsClient.parse(("<r xmlns:t=\"" + EwsClient.NS_T + "\">" + xml
                        + "</r>").getBytes(StandardCharsets.UTF_8)).getDocumentElement().getFirstChild()
                        instanceof Element e ? e : null, written.zone());
            } catch (DestinationException | IllegalArgumentException e) {
                known = false; // never written as a rule: whatever Exchange shows is read back
            } catch (Exception e) {
                throw new IllegalStateException("cannot parse our own recurrence", e);
            }
        }
        if (!known || !Objects.equals(rule, ours)) {
            b.rrules(rule == null ? List.of() : List.of(rule));
            if (rule == null) {
                b.rdates(List.of());
            }
        }
        List<Instant> deleted = new ArrayList<>();
        for (Element o : EwsClient.children(EwsClient.child(ci, "DeletedOccurrences"), "DeletedOccurrence")) {
            deleted.add(Instant.parse(EwsClient.textOf(EwsClient.child(o, "Start")).trim()));
        }
        Set<Instant> ourDeleted = new HashSet<>();
        if (c != null) {
            c.exdates().forEach(x -> ourDeleted.add(occurrence(x)));
        }
        if (c == null || !new HashSet<>(deleted).equals(ourDeleted)) {
            List<EventTime> exdates = new ArrayList<>();
            for (Instant d : deleted) {
                EventTime same = c == null ? null : c.exdates().stream().filter(x -> occurrence(x).equals(d))
                        .findFirst().orElse(null);
                exdates.add(same != null ? same : start != null && start.isDate()
                        ? EventTime.ofDate(LocalDateTime.ofInstant(d, floatingZone).toLocalDate())
                        : time(d, false, zone, start));
            }
            b.exdates(exdates);
        }
    }

    /** A {@code t:Recurrence} as one RRULE value (the forms {@link EwsXml#recurrence} writes); null if none. */
    static String rrule(Element rec, ZoneId zone) {
        if (rec == null) {
            return null;
        }
        List<String> parts = new ArrayList<>();
        String wkst = null;
        for (Element p : EwsClient.children(rec, null)) {
            String interval = EwsClient.textOf(EwsClient.child(p, "Interval"));
            String days = EwsClient.textOf(EwsClient.child(p, "DaysOfWeek"));
            String index = EwsClient.textOf(EwsClient.child(p, "DayOfWeekIndex"));
            String dayOfMonth = EwsClient.textOf(EwsClient.child(p, "DayOfMonth"));
            String month = EwsClient.textOf(EwsClient.child(p, "Month"));
            switch (p.getLocalName()) {
                case "DailyRecurrence" -> parts.add("FREQ=DAILY");
                case "WeeklyRecurrence" -> {
                    parts.add("FREQ=WEEKLY");
                    parts.add("BYDAY=" + days(days, ""));
                    String first = EwsClient.textOf(EwsClient.child(p, "FirstDayOfWeek"));
                    wkst = first == null ? null : twoLetter(first.trim());
                }
                case "AbsoluteMonthlyRecurrence" -> {
                    parts.add("FREQ=MONTHLY");
                    parts.add("BYMONTHDAY=" + dayOfMonth.trim());
                }
                case "RelativeMonthlyRecurrence" -> {
                    parts.add("FREQ=MONTHLY");
                    parts.add("BYDAY=" + days(days, index(index)));
                }
                case "AbsoluteYearlyRecurrence" -> {
                    parts.add("FREQ=YEARLY");
                    parts.add("BYMONTH=" + month(month));
                    parts.add("BYMONTHDAY=" + dayOfMonth.trim());
                }
                case "RelativeYearlyRecurrence" -> {
                    parts.add("FREQ=YEARLY");
                    parts.add("BYMONTH=" + month(month));
                    parts.add("BYDAY=" + days(days, index(index)));
                }
                case "NumberedRecurrence" -> parts.add("COUNT="
                        + EwsClient.textOf(EwsClient.child(p, "NumberOfOccurrences")).trim());
                case "EndDateRecurrence" -> {
                    // the last day, up to its end in the series' zone (the writer sends UNTIL's local date)
                    LocalDate last = LocalDate.parse(EwsClient.textOf(EwsClient.child(p, "EndDate")).trim()
                            .substring(0, 10));
                    parts.add("UNTIL=" + UNTIL.format(last.atTime(LocalTime.MAX).atZone(zone).toInstant()
                            .truncatedTo(java.time.temporal.ChronoUnit.SECONDS)));
                }
                default -> {
                    // NoEndRecurrence; unknown patterns have no RRULE form here
                }
            }
            if (interval != null && !interval.trim().equals("1")) {
                parts.add(1, "INTERVAL=" + interval.trim());
            }
        }
        if (wkst != null && !wkst.equals("MO")) {
            parts.add("WKST=" + wkst);
        }
        return parts.isEmpty() ? null : String.join(";", parts);
    }

    private static String days(String names, String prefix) {
        List<String> out = new ArrayList<>();
        for (String d : names.trim().split("\\s+")) {
            out.add(prefix + twoLetter(d));
        }
        return String.join(",", out);
    }

    private static String twoLetter(String day) {
        return day.substring(0, 2).toUpperCase(Locale.ROOT);
    }

    private static String index(String index) {
        return switch (index.trim()) {
            case "First" -> "1";
            case "Second" -> "2";
            case "Third" -> "3";
            case "Fourth" -> "4";
            default -> "-1";
        };
    }

    private static String month(String name) {
        return String.valueOf(java.time.Month.valueOf(name.trim().toUpperCase(Locale.ROOT)).getValue());
    }
}
