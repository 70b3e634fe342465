package io.chronoroute.master.destination.google;

import com.google.api.services.calendar.model.Event;
import com.google.api.services.calendar.model.EventDateTime;
import io.chronoroute.master.destination.DestinationEvent;
import io.chronoroute.master.destination.RemoteEvent;
import io.chronoroute.processors.model.CalendarEvent;
import io.chronoroute.processors.model.EventTime;
import io.chronoroute.processors.sync.SyncKey;
import io.chronoroute.providers.google.GoogleEventContent;
import io.chronoroute.providers.google.GoogleEventReader;
import io.chronoroute.providers.google.GoogleSeries;

import java.time.Duration;
import java.time.LocalDateTime;
import java.time.ZoneId;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * {@link CalendarEvent} → Google {@link Event}, and our tags back. The content itself (times, recurrence,
 * attendees as text, transparency, visibility, status) is {@link GoogleEventContent}'s and the way back
 * {@link GoogleEventReader}'s, shared with the agent's Google source (provider-clients); this class adds our tags,
 * overrides as instances, and the reset of an occurrence.
 * <ul>
 *   <li>Times: timed = {@code dateTime} with the offset valid at that instant + {@code timeZone} (IANA), so Google
 *       keeps the wall-clock time across DST; all-day = {@code date}; floating = placed in the destination's
 *       {@code floating-zone}. A missing end = start (timed) or start + 1 day (all-day).</li>
 *   <li>Series: master = {@code recurrence} lines {@code RRULE:...}, {@code EXDATE}/{@code RDATE} as UTC instants
 *       ({@code EXDATE:20251027T080000Z}) or dates ({@code EXDATE;VALUE=DATE:20251027}). Overrides are written as
 *       the instance itself ({@code PUT events/<masterId>_<originalStartUTC>}, with {@code recurringEventId} and
 *       {@code originalStartTime}), which is how Google stores exceptions; both the real API and the fake accept
 *       it, and the series stays one series.</li>
 *   <li>Attendees are never written as attendees (no invitations, no spam guard): with {@code attendees=description}
 *       organizer and participants are appended to the description as text; with {@code drop} they are left out.
 *       No organizer is set (Google sets the calendar).</li>
 *   <li>transparency OPAQUE/TRANSPARENT (busy status FREE = transparent), visibility PRIVATE/CONFIDENTIAL = private,
 *       PUBLIC = default; status confirmed/tentative (cancelled only for an override: the occurrence is cancelled).
 *   </li>
 *   <li>Tags ({@code extendedProperties.private}): {@value #KEY}, {@value #HASH}, {@value #ORIGIN}, {@value #OWNER},
 *       and for overrides {@value #RID}, {@value #SERIES}.</li>
 * </ul>
 */
public final class GoogleEventMapper {

    public static final String KEY = "chronorouteKey";
    public static final String HASH = "chronorouteHash";
    public static final String ORIGIN = "chronorouteOrigin";
    /** Shared with the agent's Google source, which skips the events carrying it ({@link GoogleSeries}). */
    public static final String OWNER = GoogleSeries.MASTER_OWNER_TAG;
    public static final String RID = "chronorouteRid";
    public static final String SERIES = "chronorouteSeries";

    private static final int MAX_PROPERTY_VALUE = 1024;

    private final String owner;
    private final ZoneId floatingZone;
    private final boolean attendeesInDescription;
    private final GoogleEventContent content;

    public GoogleEventMapper(String owner, ZoneId floatingZone, boolean attendeesInDescription) {
        this.owner = owner;
        this.floatingZone = floatingZone;
        this.attendeesInDescription = attendeesInDescription;
        this.content = new GoogleEventContent(floatingZone, attendeesInDescription);
    }

    /** The body of an insert/update of {@code de} (for an override: of its instance). */
    public Event toGoogle(DestinationEvent de) {
        CalendarEvent e = de.event();
        Event g = content(e);
        Map<String, String> tags = new LinkedHashMap<>();
        tags.put(OWNER, owner);
        tags.put(KEY, de.identity());
        tags.put(HASH, de.contentHash());
        if (de.origin() != null) {
            tags.put(ORIGIN, truncate(de.origin()));
        }
        if (e.recurrenceId() != null) {
            tags.put(RID, SyncKey.ridText(e.recurrenceId()));
            if (de.masterRemoteId() != null) {
                g.setRecurringEventId(de.masterRemoteId());
            }
            g.setOriginalStartTime(time(e.recurrenceId()));
            tags.put(SERIES, SyncKey.identityOf(CalendarEvent.builder().uid(e.uid()).build()));
            if ("CANCELLED".equalsIgnoreCase(e.status())) {
                g.setStatus("cancelled");
            }
        } else {
            List<String> lines = recurrence(e);
            if (!lines.isEmpty()) {
                g.setRecurrence(lines);
            }
        }
        g.setExtendedProperties(new Event.ExtendedProperties().setPrivate(tags));
        return g;
    }

    /**
     * The body that puts one occurrence back to what its series master says (the override went away): the master's
     * content at the original start, no tags of ours except the owner (so it is not taken for one of our events).
     */
    public Event resetInstance(CalendarEvent master, EventTime originalStart, String masterRemoteId) {
        Event g = content(master);
        Duration length = master.end() == null ? Duration.ZERO
                : Duration.between(master.start().localDateTime(), master.end().localDateTime());
        EventTime start = shiftTo(master.start(), originalStart);
        EventTime end = start.isDate() ? EventTime.ofDate(start.date().plusDays(Math.max(1, length.toDays())))
                : start.isFloating() ? EventTime.ofFloating(start.floating().plus(length))
                : EventTime.ofInstant(start.instant().plus(length), start.zone());
        g.setStart(time(start));
        g.setEnd(time(end));
        g.setRecurringEventId(masterRemoteId);
        g.setOriginalStartTime(time(originalStart));
        g.setExtendedProperties(new Event.ExtendedProperties().setPrivate(Map.of(OWNER, owner)));
        return g;
    }

    /** Our view of a Google event: identity etc. only when it carries our owner tag. */
    public RemoteEvent toRemote(Event g) {
        Map<String, String> tags = g.getExtendedProperties() == null ? null : g.getExtendedProperties().getPrivate();
        boolean cancelled = "cancelled".equals(g.getStatus());
        if (tags == null || !owner.equals(tags.get(OWNER)) || tags.get(KEY) == null) {
            return new RemoteEvent(g.getId(), null, null, g.getEtag(), cancelled, null, null);
        }
        return new RemoteEvent(g.getId(), tags.get(KEY), tags.get(HASH), g.getEtag(), cancelled, tags.get(RID),
                tags.get(SERIES));
    }

    /**
     * Two-way sync: the Google event as a {@link CalendarEvent}, holding only what {@link #toGoogle} writes, merged
     * into {@code consolidated} (the consolidated event the object was written from; null when unknown).
     * <p>Field by field, in Google's form: a written field whose Google value is what we would write for
     * {@code consolidated} keeps the consolidated value unchanged (so an object nobody edited, or whose only edits
     * are in fields we never write (attendees, reminders, colorId), maps back to {@code consolidated} itself); a
     * field that differs is read back from Google. Read back: summary → title; description → description (our
     * "Organizer:/Participants:" block removed); location; start/end ({@code date} → date, {@code dateTime} → the
     * instant in {@code timeZone}; a consolidated floating time stays floating, as the wall-clock time in the
     * {@code floating-zone} we placed it in; a missing end we derived stays missing); {@code recurrence} →
     * rrules/exdates/rdates (a date we wrote keeps its form); transparency → transparency (and busyStatus where
     * the consolidated event has one); visibility → classification; status; originalStartTime → recurrenceId.
     * <p>Without {@code consolidated} the result holds the mapped-back written fields only: uid, organizer,
     * attendees, categories, sequence and times of creation stay null/empty (the caller merges), and times are
     * zoned (Google does not say that we placed a floating time).
     */
    public CalendarEvent fromGoogle(Event g, CalendarEvent consolidated) {
        return fromGoogle(g, consolidated, floatingZone, attendeesInDescription);
    }

    /** {@link #fromGoogle(Event, CalendarEvent)} for a destination's {@code floating-zone} and attendee choice. */
    public static CalendarEvent fromGoogle(Event g, CalendarEvent consolidated, ZoneId floatingZone,
                                           boolean attendeesInDescription) {
        return new GoogleEventReader(floatingZone, attendeesInDescription).read(g, consolidated);
    }

    /** The event as {@link #toGoogle} writes it, without tags (for field-by-field comparisons). */
    Event written(CalendarEvent e) {
        return content.written(e);
    }

    /** True when {@code g} carries our owner tag and the given identity. */
    public boolean isOurs(Event g, String identity) {
        Map<String, String> tags = g.getExtendedProperties() == null ? null : g.getExtendedProperties().getPrivate();
        return tags != null && owner.equals(tags.get(OWNER)) && identity.equals(tags.get(KEY));
    }

    public String ownerFilter() {
        return OWNER + "=" + owner;
    }

    private Event content(CalendarEvent e) {
        return content.content(e);
    }

    EventDateTime time(EventTime t) {
        return content.time(t);
    }

    private List<String> recurrence(CalendarEvent e) {
        return content.recurrence(e);
    }

    /** {@code template}'s form (date/zoned/floating) at the time of {@code at}. */
    private EventTime shiftTo(EventTime template, EventTime at) {
        if (template.isDate()) {
            return EventTime.ofDate(at.isDate() ? at.date() : at.localDateTime().toLocalDate());
        }
        if (template.isFloating()) {
            return EventTime.ofFloating(at.isFloating() ? at.floating()
                    : LocalDateTime.ofInstant(at.toInstant(floatingZone), floatingZone));
        }
        return EventTime.ofInstant(at.toInstant(template.zoneId()), template.zone());
    }

    private static String truncate(String s) {
        return s.length() <= MAX_PROPERTY_VALUE ? s : s.substring(0, MAX_PROPERTY_VALUE);
    }
}
