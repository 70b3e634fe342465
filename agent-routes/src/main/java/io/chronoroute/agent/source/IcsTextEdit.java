package io.chronoroute.agent.source;

import io.chronoroute.processors.ical.ICalCodec;
import io.chronoroute.processors.ical.ICalLimits;
import io.chronoroute.processors.ical.ICalParseException;
import io.chronoroute.processors.model.CalendarEvent;
import io.chronoroute.processors.model.EventTime;
import io.chronoroute.processors.sync.SyncKey;

import java.time.ZoneId;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

/**
 * The folder source's way of writing back ({@link IcsFileText}: edit the VEVENT in the stored text, keep every
 * other component, property and VALARM), for sources whose "file" is not a file on disk: a CalDAV resource
 * (issue #10) is GET, edited here as text and PUT back with {@code If-Match}. Same rules as
 * {@link IcsFolderSource}: an updated VEVENT keeps what the model does not carry, gets LAST-MODIFIED now and
 * SEQUENCE+1; floating times stay floating; VTIMEZONEs it needs are added.
 */
public final class IcsTextEdit {

    private final IcsFileText file;
    private final ZoneId zone;

    private IcsTextEdit(IcsFileText file, ZoneId zone) {
        this.file = file;
        this.zone = zone;
    }

    /** @param zone the source's zone for times the text does not state (null: floating stays floating) */
    public static IcsTextEdit of(String text, ZoneId zone) {
        return new IcsTextEdit(IcsFileText.parse(text), zone);
    }

    /** A new resource holding only {@code event} (LAST-MODIFIED now when it has none). */
    public static String created(CalendarEvent event) {
        CalendarEvent e = event.lastModified() != null ? event
                : IcsFolderSource.nextVersion(null, event, true);
        return ICalCodec.write(List.of(e.withOrigin(null)), IcsFolderSource.PROD_ID);
    }

    public String text() {
        return file.text();
    }

    /** The event (uid, rid) as it reads in this text; null when absent or unreadable. */
    public CalendarEvent find(String uid, String rid) {
        Found f = found(uid, rid);
        return f == null ? null : f.event();
    }

    /** Whether anything but VTIMEZONEs is left (false: the resource is to be deleted). */
    public boolean hasContent() {
        return file.hasContent();
    }

    /**
     * Writes {@code update} into the text: the VEVENT with its UID and RECURRENCE-ID is replaced (merged: what the
     * model does not own is kept), or added after its series when absent.
     *
     * @return the version written (with its new SEQUENCE and LAST-MODIFIED)
     * @throws IllegalStateException when a VEVENT with that identity is there but cannot be read (never duplicated)
     */
    public CalendarEvent upsert(CalendarEvent update, boolean create) {
        CalendarEvent clean = update.withOrigin(null);
        String rid = SyncKey.ridText(clean.recurrenceId());
        Found found = found(clean.uid(), rid);
        if (found == null && rid == null && hasMaster(clean.uid())) {
            throw new IllegalStateException("event " + clean.uid() + " cannot be read; it is not overwritten");
        }
        CalendarEvent next = IcsFolderSource.nextVersion(found == null ? null : found.event(), clean, create);
        if (found != null && floating(found.part())) {
            next = IcsFolderSource.refloat(next, zoneRead());
        }
        write(found, next);
        return next;
    }

    /**
     * Deletes (uid, rid): the whole series (master and overrides) when {@code rid} is null; one occurrence
     * otherwise: its override removed and, where the series master is here, the occurrence added to its EXDATEs.
     *
     * @param ridTime the occurrence's RECURRENCE-ID (null for the whole series)
     * @return whether the text changed
     */
    public boolean delete(String uid, String rid, EventTime ridTime) {
        boolean changed = false;
        for (Found f : veventsOf(uid)) {
            String frid = SyncKey.ridText(f.event().recurrenceId());
            if (rid == null || Objects.equals(frid, rid)) {
                file.remove(f.part());
                changed = true;
            }
        }
        if (rid != null && ridTime != null) {
            Found master = found(uid, null);
            if (master != null && master.event().isRecurringMaster()
                    && master.event().exdates().stream().noneMatch(x -> Objects.equals(x.canonical(), rid))) {
                List<EventTime> ex = new ArrayList<>(master.event().exdates());
                ex.add(ridTime);
                CalendarEvent next = IcsFolderSource.nextVersion(master.event(),
                        master.event().toBuilder().exdates(ex).build(), false);
                if (floating(master.part())) {
                    next = IcsFolderSource.refloat(next, zoneRead());
                }
                write(master, next);
                changed = true;
            }
        }
        return changed;
    }

    private void write(Found found, CalendarEvent next) {
        IcsFileText generated = IcsFileText.parse(ICalCodec.write(List.of(next), IcsFolderSource.PROD_ID));
        IcsFileText.Part vevent = null;
        for (IcsFileText.Part p : generated.parts()) {
            if (p.isComponent("VTIMEZONE")) {
                IcsFileText.Line tzid = p.property("TZID");
                if (tzid != null && !file.hasTimeZone(tzid.value().strip())) {
                    file.addTimeZone(file.adopt(p));
                }
            } else if (p.isComponent("VEVENT")) {
                vevent = p;
            }
        }
        if (vevent == null) {
            throw new IllegalStateException("the codec wrote no VEVENT for " + next.uid());
        }
        if (found != null) {
            file.replace(found.part(), file.merge(found.part(), vevent));
        } else {
            file.insertAfter(lastOfSeries(next.uid()), file.adopt(vevent));
        }
    }

    private record Found(IcsFileText.Part part, CalendarEvent event) {
    }

    private Found found(String uid, String rid) {
        for (Found f : veventsOf(uid)) {
            if (Objects.equals(SyncKey.ridText(f.event().recurrenceId()), rid)) {
                return f;
            }
        }
        return null;
    }

    /** The VEVENTs of this UID, each read on its own with the calendar's lines and VTIMEZONEs. */
    private List<Found> veventsOf(String uid) {
        List<Found> out = new ArrayList<>();
        for (IcsFileText.Part p : file.parts()) {
            if (!p.isComponent("VEVENT")) {
                continue;
            }
            IcsFileText.Line uidLine = p.property("UID");
            if (uidLine != null && !ICalCodec.unescapeText(uidLine.value().strip()).equals(uid)) {
                continue;
            }
            boolean override = p.property("RECURRENCE-ID") != null;
            try {
                for (CalendarEvent e : ICalCodec.read(file.contextFor(p), zone, ICalLimits.DEFAULT).events()) {
                    if (uid.equals(e.uid()) && (e.recurrenceId() != null) == override) {
                        out.add(new Found(p, e));
                        break;
                    }
                }
            } catch (ICalParseException | RuntimeException e) {
                // a VEVENT the reader cannot use is not ours to change: left as it is
            }
        }
        return out;
    }

    private boolean hasMaster(String uid) {
        for (IcsFileText.Part p : file.parts()) {
            IcsFileText.Line l = p.isComponent("VEVENT") ? p.property("UID") : null;
            if (l != null && ICalCodec.unescapeText(l.value().strip()).equals(uid) && p.property("RECURRENCE-ID") == null) {
                return true;
            }
        }
        return false;
    }

    private IcsFileText.Part lastOfSeries(String uid) {
        IcsFileText.Part last = null;
        for (IcsFileText.Part p : file.parts()) {
            IcsFileText.Line l = p.isComponent("VEVENT") ? p.property("UID") : null;
            if (l != null && ICalCodec.unescapeText(l.value().strip()).equals(uid)) {
                last = p;
            }
        }
        return last;
    }

    private static boolean floating(IcsFileText.Part vevent) {
        IcsFileText.Line start = vevent.property("DTSTART");
        if (start == null || start.hasParam("TZID")) {
            return false;
        }
        String v = start.value().strip();
        return v.length() > 8 && !v.endsWith("Z") && !v.endsWith("z");
    }

    private String zoneRead() {
        for (IcsFileText.Part p : file.parts()) {
            if (p.component() == null && "X-WR-TIMEZONE".equals(p.lines().get(0).name())) {
                return p.lines().get(0).value().strip();
            }
        }
        return zone == null ? null : zone.getId();
    }
}
