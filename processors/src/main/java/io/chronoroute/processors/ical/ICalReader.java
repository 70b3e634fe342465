package io.chronoroute.processors.ical;

import io.chronoroute.processors.model.Attendee;
import io.chronoroute.processors.model.CalendarEvent;
import io.chronoroute.processors.model.EventTime;
import io.chronoroute.processors.model.Person;
import io.chronoroute.processors.wire.EventValidator;
import io.chronoroute.processors.wire.WireFormatException;
import net.fortuna.ical4j.data.CalendarBuilder;
import net.fortuna.ical4j.data.ParserException;
import net.fortuna.ical4j.model.Calendar;
import net.fortuna.ical4j.model.Component;
import net.fortuna.ical4j.model.Parameter;
import net.fortuna.ical4j.model.Property;
import net.fortuna.ical4j.model.component.CalendarComponent;
import net.fortuna.ical4j.model.component.VEvent;
import net.fortuna.ical4j.model.component.VTimeZone;
import net.fortuna.ical4j.model.property.Categories;

import java.io.IOException;
import java.io.StringReader;
import java.time.Duration;
import java.time.Instant;
import java.time.LocalDateTime;
import java.time.Period;
import java.time.ZoneId;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;

/** Reads VEVENTs of one iCalendar text. Package-private; see {@link ICalCodec#parse(String, ZoneId)}. */
final class ICalReader {

    /** Written by {@link ICalWriter} for a person without an address (ORGANIZER/ATTENDEE need a value). */
    static final String NO_MAIL = "invalid:nomail";

    private final String text;
    private final ZoneId defaultZone;
    private final Map<String, VTimeZone> fileZones = new HashMap<>();
    private final Map<String, Optional<ICalTimes.ResolvedZone>> resolved = new HashMap<>();
    private String[] lines;

    ICalReader(String text, ZoneId defaultZone) {
        this.text = text;
        this.defaultZone = defaultZone;
    }

    List<CalendarEvent> read() throws ICalParseException {
        if (text == null || text.isBlank()) {
            throw new ICalParseException(1, "empty iCalendar text");
        }
        Calendar cal;
        try {
            cal = new CalendarBuilder().build(new StringReader(text));
        } catch (ParserException ex) {
            throw new ICalParseException(ex.getLineNo(), null, rootMessage(ex), ex);
        } catch (IOException | RuntimeException ex) {
            throw new ICalParseException(-1, null, "unreadable iCalendar text: " + rootMessage(ex), ex);
        }
        for (CalendarComponent c : cal.getComponentList().getAll()) {
            if (c instanceof VTimeZone vtz) {
                vtz.getProperty(Property.TZID).ifPresent(p -> fileZones.put(p.getValue(), vtz));
            }
        }
        List<CalendarEvent> out = new ArrayList<>();
        int index = 0;
        for (CalendarComponent c : cal.getComponentList().getAll()) {
            if (c instanceof VEvent ev) {
                out.add(event(ev, index++));
            }
        }
        return out;
    }

    private CalendarEvent event(VEvent ev, int index) throws ICalParseException {
        String uid = value(ev, Property.UID);
        String where = uid == null ? "VEVENT #" + (index + 1) : "VEVENT " + uid;
        if (uid == null || uid.isBlank()) {
            throw new ICalParseException(-1, "UID", where + " has no UID", null);
        }
        int line = lineOf("UID", uid);
        try {
            CalendarEvent.Builder b = CalendarEvent.builder().uid(uid);
            Property dtstart = ev.getProperty(Property.DTSTART).orElse(null);
            if (dtstart == null) {
                throw new ICalParseException(line, "DTSTART", where + " has no DTSTART", null);
            }
            EventTime start = time(dtstart, where);
            b.start(start);
            Optional<Property> dtend = ev.getProperty(Property.DTEND);
            if (dtend.isPresent()) {
                b.end(time(dtend.get(), where));
            } else {
                Optional<Property> dur = ev.getProperty(Property.DURATION);
                if (dur.isPresent()) {
                    b.end(plus(start, dur.get().getValue(), where, line));
                }
            }
            Optional<Property> rid = ev.getProperty(Property.RECURRENCE_ID);
            if (rid.isPresent()) {
                b.recurrenceId(time(rid.get(), where));
            }
            b.title(value(ev, Property.SUMMARY));
            b.description(value(ev, Property.DESCRIPTION));
            b.location(value(ev, Property.LOCATION));
            List<String> rrules = new ArrayList<>();
            for (Property p : ev.getProperties(Property.RRULE)) {
                rrules.add(p.getValue());
            }
            b.rrules(rrules);
            b.exdates(timeLists(ev, Property.EXDATE, where));
            b.rdates(timeLists(ev, Property.RDATE, where));
            b.organizer(ev.getProperty(Property.ORGANIZER).map(ICalReader::person).orElse(null));
            List<Attendee> attendees = new ArrayList<>();
            for (Property p : ev.getProperties(Property.ATTENDEE)) {
                Person person = person(p);
                attendees.add(new Attendee(person.email(), person.name(), param(p, Parameter.ROLE),
                        param(p, Parameter.PARTSTAT)));
            }
            b.attendees(attendees);
            b.status(upper(value(ev, Property.STATUS)));
            b.transparency(upper(value(ev, Property.TRANSP)));
            b.classification(upper(value(ev, Property.CLASS)));
            b.busyStatus(upper(value(ev, "X-MICROSOFT-CDO-BUSYSTATUS")));
            String seq = value(ev, Property.SEQUENCE);
            if (seq != null) {
                try {
                    b.sequence(Integer.valueOf(seq.trim()));
                } catch (NumberFormatException ex) {
                    throw new ICalParseException(lineOf("SEQUENCE", seq), "SEQUENCE", where + ": not an integer: " + seq, ex);
                }
            }
            b.created(instant(ev, Property.CREATED, where));
            b.lastModified(instant(ev, Property.LAST_MODIFIED, where));
            List<String> categories = new ArrayList<>();
            for (Property p : ev.getProperties(Property.CATEGORIES)) {
                if (p instanceof Categories c) {
                    c.getCategories().getTexts().forEach(categories::add);
                } else {
                    categories.add(p.getValue());
                }
            }
            b.categories(categories);
            CalendarEvent e = b.build();
            EventValidator.validate(e);
            return e;
        } catch (WireFormatException ex) {
            throw new ICalParseException(line, ex.field(), where + ": " + ex.reason(), ex);
        } catch (IllegalArgumentException ex) {
            throw new ICalParseException(line, null, where + ": " + ex.getMessage(), ex);
        }
    }

    private EventTime time(Property p, String where) throws ICalParseException {
        boolean date = "DATE".equalsIgnoreCase(param(p, Parameter.VALUE));
        return ICalTimes.parse(p.getValue(), date, zone(p, where), defaultZone);
    }

    private List<EventTime> timeLists(VEvent ev, String name, String where) throws ICalParseException {
        List<EventTime> out = new ArrayList<>();
        for (Property p : ev.getProperties(name)) {
            String valueType = param(p, Parameter.VALUE);
            boolean date = "DATE".equalsIgnoreCase(valueType);
            ICalTimes.ResolvedZone z = zone(p, where);
            for (String v : p.getValue().split(",")) {
                if (v.isBlank()) {
                    continue;
                }
                // RDATE;VALUE=PERIOD: the occurrence starts at the period start; its own length is not modelled.
                String start = "PERIOD".equalsIgnoreCase(valueType) ? v.substring(0, v.indexOf('/') < 0 ? v.length() : v.indexOf('/')) : v;
                out.add(ICalTimes.parse(start, date, z, defaultZone));
            }
        }
        return out;
    }

    private ICalTimes.ResolvedZone zone(Property p, String where) throws ICalParseException {
        String tzid = param(p, Parameter.TZID);
        if (tzid == null || p.getValue().trim().toUpperCase(Locale.ROOT).endsWith("Z")) {
            return null;
        }
        Optional<ICalTimes.ResolvedZone> z = resolved.computeIfAbsent(tzid, t -> ICalTimes.resolve(t, fileZones));
        if (z.isEmpty()) {
            throw new ICalParseException(lineOf(p.getName(), tzid), p.getName(),
                    where + ": unknown TZID '" + tzid + "' (not IANA, not a Windows name, no VTIMEZONE in the file)", null);
        }
        return z.get();
    }

    /**
     * DTEND from DURATION: days and weeks are nominal (calendar days in the event's zone), hours/minutes/seconds
     * exact, as RFC 5545 §3.3.6 says.
     */
    private EventTime plus(EventTime start, String iso, String where, int line) throws ICalParseException {
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
            throw new ICalParseException(line, "DURATION", where + ": not an RFC 5545 duration: " + iso, ex);
        }
    }

    private Instant instant(VEvent ev, String name, String where) throws ICalParseException {
        Optional<Property> p = ev.getProperty(name);
        if (p.isEmpty()) {
            return null;
        }
        String v = p.get().getValue().trim();
        try {
            if (v.toUpperCase(Locale.ROOT).endsWith("Z")) {
                return LocalDateTime.parse(v.substring(0, v.length() - 1), ICalTimes.LOCAL).toInstant(ZoneOffset.UTC);
            }
            // RFC 5545 requires UTC here; a local value is read in the default zone, else it is unknown.
            return defaultZone == null || v.length() != 15 ? null
                    : LocalDateTime.parse(v, ICalTimes.LOCAL).atZone(defaultZone).toInstant();
        } catch (RuntimeException ex) {
            throw new ICalParseException(lineOf(name, v), name, where + ": not a UTC DATE-TIME: " + v, ex);
        }
    }

    private static Person person(Property p) {
        String v = p.getValue() == null ? null : p.getValue().trim();
        String email = v == null || v.isEmpty() || v.equalsIgnoreCase(NO_MAIL) || v.equalsIgnoreCase("mailto:" + NO_MAIL)
                ? null : v.regionMatches(true, 0, "mailto:", 0, 7) ? v.substring(7) : v;
        return new Person(email, param(p, Parameter.CN));
    }

    private static String param(Property p, String name) {
        return p.getParameter(name).map(Parameter::getValue).orElse(null);
    }

    private static String value(Component c, String name) {
        return c.getProperty(name).map(Property::getValue).orElse(null);
    }

    private static String upper(String s) {
        return s == null ? null : s.trim().toUpperCase(Locale.ROOT);
    }

    /** 1-based physical line of the first content line of that property containing the text, -1 if not found. */
    private int lineOf(String property, String contains) {
        if (lines == null) {
            lines = text.split("\r\n|\n|\r", -1);
        }
        String prefix = property.toUpperCase(Locale.ROOT);
        for (int i = 0; i < lines.length; i++) {
            String l = lines[i];
            if (l.regionMatches(true, 0, prefix, 0, prefix.length()) && l.length() > prefix.length()
                    && (l.charAt(prefix.length()) == ':' || l.charAt(prefix.length()) == ';')
                    && (contains == null || l.contains(contains))) {
                return i + 1;
            }
        }
        return -1;
    }

    private static String rootMessage(Throwable t) {
        Throwable r = t;
        while (r.getCause() != null && r.getCause() != r) {
            r = r.getCause();
        }
        return r.getMessage() == null ? r.getClass().getSimpleName() : r.getMessage();
    }
}
