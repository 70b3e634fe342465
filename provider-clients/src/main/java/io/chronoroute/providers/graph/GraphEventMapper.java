package io.chronoroute.providers.graph;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.chronoroute.processors.model.Attendee;
import io.chronoroute.processors.model.CalendarEvent;
import io.chronoroute.processors.model.EventTime;
import io.chronoroute.processors.model.Person;
import io.chronoroute.processors.zone.WindowsZones;

import java.time.DayOfWeek;
import java.time.Instant;
import java.time.LocalDate;
import java.time.LocalDateTime;
import java.time.LocalTime;
import java.time.ZoneId;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * Graph event JSON ⇄ {@link CalendarEvent}.
 * <ul>
 *   <li><b>Times:</b> the client asks for UTC ({@code Prefer: outlook.timezone="UTC"}), so {@code start.dateTime} is
 *       an exact instant whatever zone the mailbox uses; the event's own zone comes from
 *       {@code originalStartTimeZone} (a Windows name such as {@code W. Europe Standard Time}, or IANA), mapped
 *       through CLDR ({@link WindowsZones}). A zone with no IANA equivalent ({@code tzone://Microsoft/Custom}) is
 *       kept as UTC: the instant is right, the zone unknown, never guessed from an offset. All-day events
 *       ({@code isAllDay}) are dates: Graph keeps them at midnight, the date part is the date. Written events carry
 *       the wall time with the IANA zone (Graph accepts IANA names); a floating time is placed in the given zone
 *       (Graph has no floating times).</li>
 *   <li><b>Identity:</b> the UID is {@code iCalUId} (read-only in Graph), unless the caller knows another (an event
 *       the agent created for the master carries the master's UID in an extended property).</li>
 *   <li><b>Series:</b> {@code recurrence} (patternedRecurrence) ⇄ RRULE; exceptions (type {@code exception}) become
 *       overrides with RECURRENCE-ID = {@code originalStart}; cancelled occurrences ({@code cancelledOccurrences}
 *       {@code OID.<master>.<date>}) become EXDATEs at the master's time of day on that date.</li>
 *   <li><b>Content:</b> subject, text body, location.displayName, showAs (free → TRANSPARENT, busy state kept as
 *       FREE/TENTATIVE/BUSY/OOF), sensitivity (normal → PUBLIC, personal/private → PRIVATE, confidential →
 *       CONFIDENTIAL), isCancelled → CANCELLED, organizer, attendees (read only: never written), categories.</li>
 * </ul>
 */
public final class GraphEventMapper {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final DateTimeFormatter GRAPH_TIME = DateTimeFormatter.ofPattern("yyyy-MM-dd'T'HH:mm:ss");
    private static final DateTimeFormatter UNTIL_UTC = DateTimeFormatter.ofPattern("yyyyMMdd'T'HHmmss'Z'");
    private static final DateTimeFormatter UNTIL_DATE = DateTimeFormatter.ofPattern("yyyyMMdd");
    private static final List<String> INDEX = List.of("first", "second", "third", "fourth");

    private GraphEventMapper() {
    }

    // ---------------------------------------------------------------- reading

    /**
     * The events of one Graph item: a single event, or a series master with its exceptions.
     *
     * @param uid the UID to give them (null: the item's {@code iCalUId})
     */
    public static List<CalendarEvent> read(JsonNode item, List<JsonNode> exceptions, String uid) {
        String id = uid != null ? uid : item.path("iCalUId").asText(null);
        if (id == null) {
            throw new IllegalArgumentException("Graph event " + item.path("id").asText() + " has no iCalUId");
        }
        boolean allDay = item.path("isAllDay").asBoolean();
        String zone = zoneOf(item.path("originalStartTimeZone").asText(null));
        CalendarEvent.Builder b = content(item, id, zone, allDay);
        List<CalendarEvent> out = new ArrayList<>();
        if (item.hasNonNull("recurrence")) {
            EventTime start = time(item.path("start"), zone, allDay);
            b.rrules(List.of(rrule(item.get("recurrence"), start)));
            List<EventTime> exdates = new ArrayList<>();
            for (JsonNode c : item.path("cancelledOccurrences")) {
                String t = c.asText();
                LocalDate d = LocalDate.parse(t.substring(t.lastIndexOf('.') + 1));
                exdates.add(allDay ? EventTime.ofDate(d) : EventTime.ofZoned(d.atTime(start.localDateTime()
                        .toLocalTime()), ZoneId.of(zone)));
            }
            b.exdates(exdates);
            out.add(b.build());
            for (JsonNode x : exceptions) {
                if (x.path("isCancelled").asBoolean()) {
                    continue;
                }
                String xz = zoneOf(x.path("originalStartTimeZone").asText(zone));
                Instant original = Instant.parse(normalize(x.path("originalStart").asText()));
                EventTime rid = allDay ? EventTime.ofDate(LocalDateTime.ofInstant(original, ZoneOffset.UTC)
                        .toLocalDate()) : EventTime.ofInstant(original, zone);
                out.add(content(x, id, xz, x.path("isAllDay").asBoolean()).recurrenceId(rid).build());
            }
        } else {
            out.add(b.build());
        }
        return out;
    }

    private static CalendarEvent.Builder content(JsonNode g, String uid, String zone, boolean allDay) {
        CalendarEvent.Builder b = CalendarEvent.builder().uid(uid)
                .title(text(g.path("subject")))
                .description(text(g.path("body").path("content")))
                .location(text(g.path("location").path("displayName")))
                .start(time(g.path("start"), zone, allDay))
                .end(time(g.path("end"), zoneOf(g.path("originalEndTimeZone").asText(zone)), allDay))
                .status(g.path("isCancelled").asBoolean() ? "CANCELLED" : "CONFIRMED");
        String showAs = g.path("showAs").asText(null);
        if (showAs != null && !showAs.equals("unknown")) {
            b.transparency(showAs.equals("free") ? "TRANSPARENT" : "OPAQUE");
            b.busyStatus(switch (showAs) {
                case "free" -> "FREE";
                case "tentative" -> "TENTATIVE";
                case "oof" -> "OOF";
                default -> "BUSY";
            });
        }
        String sensitivity = g.path("sensitivity").asText(null);
        if (sensitivity != null) {
            b.classification(switch (sensitivity) {
                case "private", "personal" -> "PRIVATE";
                case "confidential" -> "CONFIDENTIAL";
                default -> "PUBLIC";
            });
        }
        JsonNode org = g.path("organizer").path("emailAddress");
        if (org.hasNonNull("address")) {
            b.organizer(new Person(org.get("address").asText(), text(org.path("name"))));
        }
        List<Attendee> attendees = new ArrayList<>();
        for (JsonNode a : g.path("attendees")) {
            JsonNode e = a.path("emailAddress");
            attendees.add(new Attendee(e.path("address").asText(null), text(e.path("name")),
                    switch (a.path("type").asText("required")) {
                        case "optional" -> "OPT-PARTICIPANT";
                        case "resource" -> "NON-PARTICIPANT";
                        default -> "REQ-PARTICIPANT";
                    }, switch (a.path("status").path("response").asText("none")) {
                        case "accepted", "organizer" -> "ACCEPTED";
                        case "declined" -> "DECLINED";
                        case "tentativelyAccepted" -> "TENTATIVE";
                        default -> "NEEDS-ACTION";
                    }));
        }
        b.attendees(attendees);
        List<String> categories = new ArrayList<>();
        g.path("categories").forEach(c -> categories.add(c.asText()));
        b.categories(categories);
        if (g.hasNonNull("createdDateTime")) {
            b.created(Instant.parse(normalize(g.get("createdDateTime").asText())));
        }
        if (g.hasNonNull("lastModifiedDateTime")) {
            b.lastModified(Instant.parse(normalize(g.get("lastModifiedDateTime").asText())));
        }
        return b;
    }

    /** A Graph dateTimeTimeZone (UTC as the client asked; another zone is converted) as an event time. */
    static EventTime time(JsonNode t, String zone, boolean allDay) {
        LocalDateTime local = LocalDateTime.parse(t.path("dateTime").asText());
        if (allDay) {
            return EventTime.ofDate(local.toLocalDate());
        }
        String given = t.path("timeZone").asText("UTC");
        ZoneId in = ZoneId.of(zoneOf(given));
        return EventTime.ofInstant(local.atZone(in).toInstant(), zone);
    }

    /** The IANA zone for a Graph zone name (Windows or IANA); "UTC" when Graph's name has no IANA equivalent. */
    public static String zoneOf(String graphZone) {
        return WindowsZones.toIana(graphZone).orElse("UTC");
    }

    /** Graph writes 7 fraction digits and sometimes no offset: as an ISO instant. */
    static String normalize(String t) {
        String s = t.endsWith("Z") || t.matches(".*[+-]\\d\\d:\\d\\d$") ? t : t + "Z";
        return java.time.OffsetDateTime.parse(s).toInstant().toString();
    }

    private static String text(JsonNode n) {
        String s = n.asText(null);
        return s == null || s.isEmpty() ? null : s;
    }

    /** patternedRecurrence → RRULE (UNTIL in UTC at the series' time of day, a date for all-day series). */
    static String rrule(JsonNode rec, EventTime start) {
        JsonNode p = rec.path("pattern");
        JsonNode r = rec.path("range");
        String type = p.path("type").asText();
        StringBuilder sb = new StringBuilder("FREQ=").append(switch (type) {
            case "daily" -> "DAILY";
            case "weekly" -> "WEEKLY";
            case "absoluteMonthly", "relativeMonthly" -> "MONTHLY";
            case "absoluteYearly", "relativeYearly" -> "YEARLY";
            default -> throw new IllegalArgumentException("unknown Graph recurrence pattern '" + type + "'");
        });
        int interval = p.path("interval").asInt(1);
        if (interval > 1) {
            sb.append(";INTERVAL=").append(interval);
        }
        String rangeType = r.path("type").asText("noEnd");
        if (rangeType.equals("numbered")) {
            sb.append(";COUNT=").append(r.path("numberOfOccurrences").asInt());
        } else if (rangeType.equals("endDate")) {
            LocalDate end = LocalDate.parse(r.path("endDate").asText());
            if (start.isDate()) {
                sb.append(";UNTIL=").append(UNTIL_DATE.format(end));
            } else {
                LocalTime tod = start.localDateTime().toLocalTime();
                sb.append(";UNTIL=").append(UNTIL_UTC.format(end.atTime(tod).atZone(start.zoneId())
                        .withZoneSameInstant(ZoneOffset.UTC)));
            }
        }
        List<String> days = new ArrayList<>();
        p.path("daysOfWeek").forEach(d -> days.add(d.asText().substring(0, 2).toUpperCase(Locale.ROOT)));
        switch (type) {
            case "weekly" -> {
                sb.append(";BYDAY=").append(String.join(",", days));
                if (interval > 1) {
                    sb.append(";WKST=").append(p.path("firstDayOfWeek").asText("sunday").substring(0, 2)
                            .toUpperCase(Locale.ROOT));
                }
            }
            case "absoluteMonthly" -> sb.append(";BYMONTHDAY=").append(p.path("dayOfMonth").asInt());
            case "relativeMonthly" -> sb.append(";BYDAY=").append(String.join(",", days)).append(";BYSETPOS=")
                    .append(setPos(p.path("index").asText("first")));
            case "absoluteYearly" -> sb.append(";BYMONTH=").append(p.path("month").asInt()).append(";BYMONTHDAY=")
                    .append(p.path("dayOfMonth").asInt());
            case "relativeYearly" -> sb.append(";BYMONTH=").append(p.path("month").asInt()).append(";BYDAY=")
                    .append(String.join(",", days)).append(";BYSETPOS=").append(setPos(p.path("index")
                            .asText("first")));
            default -> {
            }
        }
        return sb.toString();
    }

    private static int setPos(String index) {
        return index.equals("last") ? -1 : INDEX.indexOf(index) + 1;
    }

    // ---------------------------------------------------------------- writing

    /**
     * The Graph body for {@code e} (create, or the full set of fields a PATCH compares): subject, text body,
     * start/end with the IANA zone, isAllDay, location, showAs, sensitivity, categories, and for a master its
     * recurrence. Attendees and organizer are never written (Graph would send invitations).
     *
     * @param floating where a floating time is placed (Graph has none)
     * @throws IllegalArgumentException when the RRULE has no Graph equivalent (RDATE, BYHOUR, several rules...)
     */
    public static ObjectNode written(CalendarEvent e, ZoneId floating) {
        ObjectNode g = JSON.createObjectNode();
        g.put("subject", e.title() == null ? "" : e.title());
        g.putObject("body").put("contentType", "text").put("content", e.description() == null ? ""
                : e.description());
        boolean allDay = e.start() != null && e.start().isDate();
        g.put("isAllDay", allDay);
        g.set("start", timeNode(e.start(), floating));
        g.set("end", timeNode(e.end() != null ? e.end() : allDay ? EventTime.ofDate(e.start().date().plusDays(1))
                : e.start(), floating));
        g.putObject("location").put("displayName", e.location() == null ? "" : e.location());
        g.put("showAs", showAs(e));
        g.put("sensitivity", switch (e.classification() == null ? "" : e.classification()) {
            case "PRIVATE" -> "private";
            case "CONFIDENTIAL" -> "confidential";
            default -> "normal";
        });
        ArrayNode cats = g.putArray("categories");
        e.categories().forEach(cats::add);
        if (e.recurrenceId() == null) {
            if (!e.rdates().isEmpty() || e.rrules().size() > 1) {
                throw new IllegalArgumentException("RDATE and several RRULEs have no Graph equivalent");
            }
            if (e.rrules().isEmpty()) {
                g.putNull("recurrence");
            } else {
                g.set("recurrence", recurrence(e.rrules().get(0), e.start(), floating));
            }
        }
        return g;
    }

    private static String showAs(CalendarEvent e) {
        if (e.busyStatus() != null) {
            return switch (e.busyStatus()) {
                case "FREE" -> "free";
                case "TENTATIVE" -> "tentative";
                case "OOF" -> "oof";
                default -> "busy";
            };
        }
        return "TRANSPARENT".equals(e.transparency()) ? "free" : "busy";
    }

    static ObjectNode timeNode(EventTime t, ZoneId floating) {
        ObjectNode n = JSON.createObjectNode();
        if (t.isDate()) {
            return n.put("dateTime", GRAPH_TIME.format(t.date().atStartOfDay())).put("timeZone", floating.getId());
        }
        if (t.isFloating()) {
            return n.put("dateTime", GRAPH_TIME.format(t.floating())).put("timeZone", floating.getId());
        }
        return n.put("dateTime", GRAPH_TIME.format(t.localDateTime())).put("timeZone", t.zone());
    }

    /** RRULE → patternedRecurrence, starting on the event's start date in its zone. */
    static ObjectNode recurrence(String rrule, EventTime start, ZoneId floating) {
        Map<String, String> parts = new LinkedHashMap<>();
        for (String kv : rrule.replaceFirst("^RRULE:", "").split(";")) {
            int i = kv.indexOf('=');
            if (i > 0) {
                parts.put(kv.substring(0, i).toUpperCase(Locale.ROOT), kv.substring(i + 1).toUpperCase(Locale.ROOT));
            }
        }
        for (String k : parts.keySet()) {
            if (!List.of("FREQ", "INTERVAL", "COUNT", "UNTIL", "BYDAY", "BYMONTHDAY", "BYMONTH", "BYSETPOS", "WKST")
                    .contains(k)) {
                throw new IllegalArgumentException("RRULE part " + k + " has no Graph equivalent: " + rrule);
            }
        }
        LocalDateTime local = start.localDateTime();
        ZoneId zone = start.zone() != null ? start.zoneId() : floating;
        ObjectNode rec = JSON.createObjectNode();
        ObjectNode p = rec.putObject("pattern");
        p.put("interval", Integer.parseInt(parts.getOrDefault("INTERVAL", "1")));
        String freq = parts.getOrDefault("FREQ", "");
        String byday = parts.get("BYDAY");
        List<String> days = new ArrayList<>();
        Integer pos = parts.containsKey("BYSETPOS") ? Integer.valueOf(parts.get("BYSETPOS")) : null;
        if (byday != null) {
            for (String d : byday.split(",")) {
                String code = d.replaceAll("^[+-]?\\d+", "");
                String num = d.substring(0, d.length() - code.length());
                if (!num.isEmpty()) {
                    if (pos != null && pos != Integer.parseInt(num)) {
                        throw new IllegalArgumentException("BYDAY with several positions: " + rrule);
                    }
                    pos = Integer.parseInt(num);
                }
                days.add(day(code));
            }
        }
        switch (freq) {
            case "DAILY" -> {
                require(byday == null && !parts.containsKey("BYMONTHDAY") && !parts.containsKey("BYMONTH"), rrule);
                p.put("type", "daily");
            }
            case "WEEKLY" -> {
                p.put("type", "weekly");
                ArrayNode d = p.putArray("daysOfWeek");
                if (days.isEmpty()) {
                    d.add(local.getDayOfWeek().name().toLowerCase(Locale.ROOT));
                } else {
                    require(pos == null, rrule);
                    days.forEach(d::add);
                }
                p.put("firstDayOfWeek", parts.containsKey("WKST") ? day(parts.get("WKST")) : "monday");
            }
            case "MONTHLY", "YEARLY" -> {
                boolean yearly = freq.equals("YEARLY");
                if (yearly) {
                    p.put("month", Integer.parseInt(parts.getOrDefault("BYMONTH", "" + local.getMonthValue())));
                } else {
                    require(!parts.containsKey("BYMONTH"), rrule);
                }
                if (!days.isEmpty()) {
                    require(pos != null && (pos == -1 || pos >= 1 && pos <= 4) && !parts.containsKey("BYMONTHDAY"),
                            rrule);
                    p.put("type", yearly ? "relativeYearly" : "relativeMonthly");
                    ArrayNode d = p.putArray("daysOfWeek");
                    days.forEach(d::add);
                    p.put("index", pos == -1 ? "last" : INDEX.get(pos - 1));
                } else {
                    String dom = parts.getOrDefault("BYMONTHDAY", "" + local.getDayOfMonth());
                    require(dom.matches("\\d+"), rrule);
                    p.put("type", yearly ? "absoluteYearly" : "absoluteMonthly");
                    p.put("dayOfMonth", Integer.parseInt(dom));
                }
            }
            default -> throw new IllegalArgumentException("RRULE FREQ " + freq + " has no Graph equivalent");
        }
        ObjectNode r = rec.putObject("range");
        r.put("startDate", local.toLocalDate().toString());
        r.put("recurrenceTimeZone", zone.getId());
        if (parts.containsKey("COUNT")) {
            r.put("type", "numbered").put("numberOfOccurrences", Integer.parseInt(parts.get("COUNT")));
        } else if (parts.containsKey("UNTIL")) {
            String u = parts.get("UNTIL");
            LocalDate end = u.length() == 8 ? LocalDate.parse(u, UNTIL_DATE)
                    : LocalDateTime.parse(u.replace("Z", ""), DateTimeFormatter.ofPattern("yyyyMMdd'T'HHmmss"))
                    .atZone(u.endsWith("Z") ? ZoneOffset.UTC : zone).withZoneSameInstant(zone).toLocalDate();
            r.put("type", "endDate").put("endDate", end.toString());
        } else {
            r.put("type", "noEnd");
        }
        return rec;
    }

    private static String day(String code) {
        for (DayOfWeek d : DayOfWeek.values()) {
            if (d.name().startsWith(code)) {
                return d.name().toLowerCase(Locale.ROOT);
            }
        }
        throw new IllegalArgumentException("unknown weekday " + code);
    }

    private static void require(boolean ok, String rrule) {
        if (!ok) {
            throw new IllegalArgumentException("RRULE has no Graph equivalent: " + rrule);
        }
    }
}
