package io.chronoroute.processors.ical;

import io.chronoroute.processors.model.CalendarEvent;

/**
 * Writes one VCALENDAR piece by piece, for calendars too large to hold in memory (the master's feed): {@link #begin},
 * then {@link #event} per event in any order, then {@link #end}. Content lines are those of {@link ICalCodec#write};
 * the differences: a zone's VTIMEZONE comes just before the first VEVENT that uses it (RFC 5545 does not order the
 * components of a VCALENDAR), and events are written in the order given, so the overrides of a series are not
 * necessarily next to their master (they share its UID, which is what clients group by). Memory: the zones seen so
 * far and one event. Not thread-safe.
 */
public final class ICalStream {

    private final ICalWriter writer = new ICalWriter();
    private final String prodId;

    public ICalStream(String prodId) {
        this.prodId = prodId;
    }

    /** BEGIN:VCALENDAR and the calendar's properties. */
    public String begin() {
        return writer.streamBegin(prodId);
    }

    /** The VTIMEZONEs the event is the first to need, then its VEVENT. */
    public String event(CalendarEvent e) {
        return writer.streamEvent(e);
    }

    /** END:VCALENDAR. */
    public String end() {
        return writer.streamEnd();
    }
}
