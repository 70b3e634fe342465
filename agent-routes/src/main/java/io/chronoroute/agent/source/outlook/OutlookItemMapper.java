package io.chronoroute.agent.source.outlook;

import io.chronoroute.processors.model.CalendarEvent;
import io.chronoroute.processors.model.EventTime;
import io.chronoroute.processors.model.Origin;
import io.chronoroute.processors.zone.WindowsZones;

import java.nio.charset.StandardCharsets;
import java.time.DateTimeException;
import java.time.Instant;
import java.time.LocalDate;
import java.time.LocalDateTime;
import java.time.ZoneId;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;

import static io.chronoroute.agent.source.outlook.OutlookValues.date;
import static io.chronoroute.agent.source.outlook.OutlookValues.flag;
import static io.chronoroute.agent.source.outlook.OutlookValues.integer;
import static io.chronoroute.agent.source.outlook.OutlookValues.list;
import static io.chronoroute.agent.source.outlook.OutlookValues.map;
import static io.chronoroute.agent.source.outlook.OutlookValues.text;

/**
 * One Outlook item's property set ({@link OutlookSession#item}) as the agent's events, and an event as the properties
 * the write-back sets. No COM here: tested on Linux with recorded property sets.
 * <ul>
 *   <li><b>UID:</b> the item's {@code ChronorouteUid} user property (set when the master created it, since
 *       Outlook's GlobalAppointmentID cannot be set), else the iCalendar UID inside {@code GlobalAppointmentID}
 *       (an item imported from iCalendar carries it after the {@code vCal-Uid} marker, as Exchange reads it), else
 *       the GlobalAppointmentID in hex (what Exchange reports as the UID of such an item), else the EntryID.</li>
 *   <li><b>Times:</b> a timed item at {@code StartUTC}/{@code EndUTC} (exact instants), in the IANA zone of its
 *       {@code StartTimeZone}/{@code EndTimeZone} (Windows names, CLDR mapping of {@link WindowsZones}); a zone
 *       Outlook calls custom falls back to the source's {@code timeZone}, else Outlook's own local zone. An
 *       all-day item ({@code AllDayEvent}) as dates: its local {@code Start}'s day to its {@code End}'s day
 *       (exclusive, as DTEND).</li>
 *   <li><b>Series:</b> {@link OutlookRecurrence} for the RRULE; each entry of the pattern's {@code Exceptions}: its
 *       {@code OriginalDate} (Outlook's local time) is the RECURRENCE-ID in the series' zone (a date for an all-day
 *       series); {@code Deleted} → EXDATE, else its {@code AppointmentItem} is the override (series UID).</li>
 *   <li><b>Other:</b> Subject, Body, Location, BusyStatus (olFree 0 → FREE/TRANSPARENT, olTentative 1, olBusy 2,
 *       olOutOfOffice 3 → OOF; olWorkingElsewhere 4 → busy, finer state unknown), Sensitivity (olNormal 0 →
 *       PUBLIC, olPersonal 1 and olPrivate 2 → PRIVATE, olConfidential 3), MeetingStatus olMeetingCanceled 5 /
 *       olMeetingReceivedAndCanceled 7 → CANCELLED, Categories, CreationTime, LastModificationTime. Organizer and
 *       recipients are not read: unknown stays unknown.</li>
 * </ul>
 */
final class OutlookItemMapper {

    static final String UID_PROPERTY = "ChronorouteUid";
    /** The bytes "vCal-Uid" followed by the version 1, before an iCalendar UID inside a GlobalObjectId. */
    private static final String VCAL_UID = "7643616C2D556964" + "01000000";

    private final String agentId;
    private final String source;
    private final String calendarId;
    private final String calendarName;
    private final ZoneId sourceZone;
    private final ZoneId localZone;

    /**
     * @param sourceZone the source's configured zone (null: none)
     * @param localZone  Outlook's local zone (its Windows name mapped), where OLE dates without zone are
     */
    OutlookItemMapper(String agentId, String source, String calendarId, String calendarName, ZoneId sourceZone,
                      ZoneId localZone) {
        this.agentId = agentId;
        this.source = source;
        this.calendarId = calendarId;
        this.calendarName = calendarName;
        this.sourceZone = sourceZone;
        this.localZone = localZone == null ? (sourceZone == null ? ZoneOffset.UTC : sourceZone) : localZone;
    }

    /** Outlook's local zone from its Windows name; null when unknown. */
    static ZoneId zoneOf(String windowsName) {
        try {
            return WindowsZones.toIana(windowsName).map(ZoneId::of).orElse(null);
        } catch (DateTimeException e) {
            return null;
        }
    }

    ZoneId localZone() {
        return localZone;
    }

    // ------------------------------------------------------------------ reading

    /** The item's events: the single event or series master first, then the overrides of its modified occurrences. */
    List<CalendarEvent> events(Map<String, Object> item) {
        String uid = uid(item);
        String entryId = text(item, "EntryID");
        ZoneId zone = zone(item, "StartTimeZone");
        boolean allDay = flag(item, "AllDayEvent");
        CalendarEvent.Builder master = event(item, uid, entryId);
        List<CalendarEvent> overrides = new ArrayList<>();
        Map<String, Object> pattern = map(item, "RecurrencePattern");
        if (flag(item, "IsRecurring") && pattern != null) {
            String rule = OutlookRecurrence.rrule(pattern, allDay, zone);
            master.rrules(rule == null ? List.of() : List.of(rule));
            List<EventTime> exdates = new ArrayList<>();
            for (Map<String, Object> ex : list(pattern, "Exceptions")) {
                LocalDateTime original = date(ex, "OriginalDate");
                if (original == null) {
                    continue;
                }
                EventTime rid = allDay ? EventTime.ofDate(original.toLocalDate())
                        : EventTime.ofInstant(original.atZone(localZone).toInstant(), zone.getId());
                Map<String, Object> occurrence = map(ex, "AppointmentItem");
                if (flag(ex, "Deleted") || occurrence == null) {
                    exdates.add(rid);
                } else {
                    overrides.add(event(occurrence, uid, entryId).recurrenceId(rid).build());
                }
            }
            master.exdates(exdates);
        }
        List<CalendarEvent> out = new ArrayList<>();
        out.add(master.build());
        out.addAll(overrides);
        return out;
    }

    private CalendarEvent.Builder event(Map<String, Object> p, String uid, String entryId) {
        CalendarEvent.Builder b = CalendarEvent.builder().uid(uid);
        b.title(text(p, "Subject")).description(text(p, "Body")).location(text(p, "Location"));
        if (flag(p, "AllDayEvent")) {
            LocalDateTime s = date(p, "Start");
            LocalDateTime e = date(p, "End");
            b.start(s == null ? null : EventTime.ofDate(s.toLocalDate()));
            if (e != null && s != null) {
                LocalDate end = e.toLocalDate();
                b.end(EventTime.ofDate(end.isAfter(s.toLocalDate()) ? end : s.toLocalDate().plusDays(1)));
            }
        } else {
            b.start(time(p, "StartUTC", "Start", zone(p, "StartTimeZone")));
            b.end(time(p, "EndUTC", "End", zone(p, p.containsKey("EndTimeZone") ? "EndTimeZone" : "StartTimeZone")));
        }
        Integer busy = integer(p, "BusyStatus");
        if (busy != null) {
            b.transparency(busy == 0 ? "TRANSPARENT" : "OPAQUE");
            b.busyStatus(switch (busy) {
                case 0 -> "FREE";
                case 1 -> "TENTATIVE";
                case 2 -> "BUSY";
                case 3 -> "OOF";
                default -> null; // olWorkingElsewhere: busy, no finer state in the model
            });
        }
        Integer sensitivity = integer(p, "Sensitivity");
        if (sensitivity != null) {
            b.classification(switch (sensitivity) {
                case 1, 2 -> "PRIVATE";
                case 3 -> "CONFIDENTIAL";
                default -> "PUBLIC";
            });
        }
        Integer meeting = integer(p, "MeetingStatus");
        if (meeting != null && (meeting == 5 || meeting == 7)) {
            b.status("CANCELLED");
        }
        String categories = text(p, "Categories");
        if (categories != null) {
            List<String> c = new ArrayList<>();
            for (String s : categories.split("[,;]")) {
                if (!s.isBlank()) {
                    c.add(s.strip());
                }
            }
            b.categories(c);
        }
        LocalDateTime created = date(p, "CreationTime");
        if (created != null) {
            b.created(created.atZone(localZone).toInstant());
        }
        LocalDateTime modified = date(p, "LastModificationTime");
        if (modified != null) {
            b.lastModified(modified.atZone(localZone).toInstant());
        }
        b.origin(new Origin(agentId, source, calendarId, calendarName, OutlookWindowsSource.PROVIDER, entryId));
        return b;
    }

    private EventTime time(Map<String, Object> p, String utcName, String localName, ZoneId zone) {
        LocalDateTime utc = date(p, utcName);
        Instant at;
        if (utc != null) {
            at = utc.toInstant(ZoneOffset.UTC);
        } else {
            LocalDateTime local = date(p, localName);
            if (local == null) {
                return null;
            }
            at = local.atZone(localZone).toInstant();
        }
        return EventTime.ofInstant(at, zone.getId());
    }

    /** The IANA zone of a Windows zone property; the source's zone, else Outlook's local zone when unknown. */
    ZoneId zone(Map<String, Object> p, String name) {
        ZoneId z = zoneOf(text(p, name));
        if (z != null) {
            return z;
        }
        return sourceZone != null ? sourceZone : localZone;
    }

    /** The item's iCalendar UID (see the class). */
    static String uid(Map<String, Object> item) {
        String own = text(item, UID_PROPERTY);
        if (own != null) {
            return own;
        }
        String global = text(item, "GlobalAppointmentID");
        if (global != null) {
            String hex = global.toUpperCase(Locale.ROOT);
            int at = hex.indexOf(VCAL_UID);
            if (at >= 0 && at % 2 == 0) {
                byte[] rest = HexFormat.of().parseHex(hex.substring(at + VCAL_UID.length()));
                int end = 0;
                while (end < rest.length && rest[end] != 0) {
                    end++;
                }
                String uid = new String(rest, 0, end, StandardCharsets.UTF_8);
                if (!uid.isBlank()) {
                    return uid;
                }
            }
            return hex;
        }
        return text(item, "EntryID");
    }

    // ------------------------------------------------------------------ writing

    /**
     * The properties the write-back sets for an event, in the order they are set: content, all-day flag, zones,
     * times, free/busy, sensitivity, categories; the recurrence when {@code withRecurrence} (a master: the pattern,
     * or {@code false} to clear it); the UID user property when {@code storeUid}.
     *
     * @param floatingZone where a floating time is placed (the source's zone, else Outlook's local zone)
     * @throws IllegalArgumentException when Outlook cannot hold the event (its rule, say)
     */
    Map<String, Object> properties(CalendarEvent e, boolean withRecurrence, boolean storeUid) {
        ZoneId floating = sourceZone != null ? sourceZone : localZone;
        Map<String, Object> p = new LinkedHashMap<>();
        p.put("Subject", e.title() == null ? "" : e.title());
        p.put("Body", e.description() == null ? "" : e.description());
        p.put("Location", e.location() == null ? "" : e.location());
        if (e.start() == null) {
            throw new IllegalArgumentException("event " + e.uid() + " has no start");
        }
        LocalDateTime seriesStart;
        if (e.isAllDay()) {
            LocalDate s = e.start().date();
            LocalDate end = e.end() != null && e.end().isDate() && e.end().date().isAfter(s) ? e.end().date()
                    : s.plusDays(1);
            p.put("AllDayEvent", Boolean.TRUE);
            p.put("Start", s.atStartOfDay());
            p.put("End", end.atStartOfDay());
            seriesStart = s.atStartOfDay();
        } else {
            ZoneId sz = e.start().isFloating() ? floating : e.start().zoneId();
            Instant start = e.start().toInstant(floating);
            Instant end = e.end() == null || e.end().isDate() ? start : e.end().toInstant(floating);
            ZoneId ez = e.end() == null || e.end().isFloating() || e.end().isDate() ? sz : e.end().zoneId();
            p.put("AllDayEvent", Boolean.FALSE);
            p.put("StartTimeZone", windows(sz));
            p.put("EndTimeZone", windows(ez));
            p.put("StartUTC", LocalDateTime.ofInstant(start, ZoneOffset.UTC));
            p.put("EndUTC", LocalDateTime.ofInstant(end.isBefore(start) ? start : end, ZoneOffset.UTC));
            seriesStart = LocalDateTime.ofInstant(start, sz);
        }
        p.put("BusyStatus", busyStatus(e));
        p.put("Sensitivity", switch (Objects.toString(e.classification(), "").toUpperCase(Locale.ROOT)) {
            case "PRIVATE" -> 2;
            case "CONFIDENTIAL" -> 3;
            default -> 0;
        });
        p.put("Categories", String.join(", ", e.categories()));
        if (withRecurrence) {
            if (e.rrules().size() > 1 || !e.rdates().isEmpty()) {
                throw new IllegalArgumentException("Outlook holds one recurrence rule and no RDATE; event " + e.uid()
                        + " has " + e.rrules().size() + " rule(s) and " + e.rdates().size() + " RDATE(s)");
            }
            p.put("RecurrencePattern", e.rrules().isEmpty() ? Boolean.FALSE
                    : OutlookRecurrence.pattern(e.rrules().get(0), seriesStart,
                    e.start().isDate() || e.start().isFloating() ? floating : e.start().zoneId()));
        }
        if (storeUid) {
            p.put(UID_PROPERTY, e.uid());
        }
        return p;
    }

    private static String windows(ZoneId zone) {
        return WindowsZones.toWindows(zone.getId()).orElse("UTC");
    }

    private static int busyStatus(CalendarEvent e) {
        String b = Objects.toString(e.busyStatus(), "").toUpperCase(Locale.ROOT);
        if ("TRANSPARENT".equalsIgnoreCase(e.transparency()) || b.equals("FREE")) {
            return 0;
        }
        return switch (b) {
            case "TENTATIVE" -> 1;
            case "OOF" -> 3;
            default -> "TENTATIVE".equalsIgnoreCase(e.status()) ? 1 : 2;
        };
    }

    /**
     * Where an occurrence originally started, in Outlook's local time (what {@code GetOccurrence} takes): a
     * RECURRENCE-ID date is that day at the series' local start time.
     */
    LocalDateTime originalLocal(EventTime rid, CalendarEvent master) {
        if (rid.isDate()) {
            LocalDateTime s = master.start() == null || master.start().isDate() ? null
                    : LocalDateTime.ofInstant(master.start().toInstant(localZone), localZone);
            return s == null ? rid.date().atStartOfDay() : rid.date().atTime(s.toLocalTime());
        }
        ZoneId floating = sourceZone != null ? sourceZone : localZone;
        return LocalDateTime.ofInstant(rid.toInstant(floating), localZone);
    }
}
