package io.chronoroute.agent.source.outlook;

import io.chronoroute.agent.collect.ChangeBatch;
import io.chronoroute.agent.source.CalendarSource.Applied;
import io.chronoroute.agent.source.SourceConfig;
import io.chronoroute.agent.source.outlook.OutlookWindowsSource.Calendar;
import io.chronoroute.agent.source.outlook.OutlookWindowsSource.Held;
import io.chronoroute.agent.source.outlook.OutlookWindowsSource.Runtime;
import io.chronoroute.agent.update.UpdateFailedException;
import io.chronoroute.processors.model.CalendarEvent;
import io.chronoroute.processors.model.EventTime;
import io.chronoroute.processors.model.Origin;
import io.chronoroute.processors.sync.SyncKey;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.time.Instant;
import java.time.ZoneId;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * One {@code event_update} written to Outlook for {@link OutlookWindowsSource}. Finds the item through the agent's
 * index (the file holding the UID is {@code <calendar key>/<EntryID>}), reads it again before writing so that the
 * base hash is checked against what Outlook holds now, then sets the properties and saves. Never sends anything:
 * {@link OutlookSession} has no Send, and a saved meeting stays a calendar entry (its attendees are not notified).
 * Outlook has no optimistic concurrency on items (no ChangeKey or etag in the object model); the item is read and
 * written in one synchronized step on the agent, which leaves only a person's edit in the same instant unseen.
 */
final class OutlookWriter {

    private static final Logger LOG = LoggerFactory.getLogger(OutlookWriter.class);

    private final OutlookWindowsSource owner;
    private final Runtime rt;
    private final OutlookSession session;
    private final SourceConfig source;
    private final String baseHash;

    OutlookWriter(OutlookWindowsSource owner, Runtime rt, OutlookSession session, SourceConfig source,
                  String baseHash) {
        this.owner = owner;
        this.rt = rt;
        this.session = session;
        this.source = source;
        this.baseHash = baseHash;
    }

    Applied upsert(CalendarEvent e, boolean create, Origin origin) throws OutlookException, UpdateFailedException {
        String label = label(e.uid(), e.recurrenceId());
        Held held = owner.held(rt, source, e.uid());
        if (held == null) {
            if (e.recurrenceId() != null) {
                throw new UpdateFailedException("the series of " + label + " is not in source '" + source.name()
                        + "'", true);
            }
            if (!create) {
                throw new UpdateFailedException("event " + label + " not found in source '" + source.name() + "'"
                        + (baseHash == null ? "" : " (deleted there since; this calendar's version will be sent and "
                        + "the conflict strategy decides)"), true);
            }
            return create(e, label, origin);
        }
        List<CalendarEvent> now = owner.current(rt, session, source, held.calendar(), held.entryId());
        if (now.isEmpty()) {
            throw new UpdateFailedException("event " + label + " was deleted in Outlook since; this calendar's "
                    + "version will be sent and the conflict strategy decides", true);
        }
        CalendarEvent master = now.get(0);
        OutlookItemMapper mapper = owner.writerMapper(rt, source, held.calendar());
        if (e.recurrenceId() == null) {
            checkBase(master, label);
            boolean ruleChanged = !Objects.equals(master.rrules(), e.rrules());
            Map<String, Object> p = mapper.properties(e, ruleChanged, false);
            session.save(held.calendar().entryId(), held.entryId(), p);
            int deleted = 0;
            if (!e.rrules().isEmpty()) {
                // a new pattern has no deleted occurrences yet: every EXDATE is applied; else only the new ones
                ZoneId local = mapper.localZone();
                for (EventTime x : e.exdates()) {
                    if (ruleChanged || master.exdates().stream().noneMatch(c -> same(c, x, local))) {
                        session.deleteOccurrence(held.entryId(), mapper.originalLocal(x, ruleChanged ? e : master));
                        deleted++;
                    }
                }
            }
            String outcome = "updated " + label + " in calendar '" + held.calendar().name() + "'"
                    + (deleted == 0 ? "" : ", " + deleted + " occurrence(s) deleted")
                    + (ruleChanged && !master.rrules().isEmpty() ? " (recurrence changed: Outlook dropped the "
                    + "series' exceptions)" : "");
            LOG.info("Source '{}': {}", source.name(), outcome);
            return new Applied(outcome, owner.reread(rt, session, source, held.calendar(), held.entryId()));
        }
        if (master.rrules().isEmpty()) {
            throw new UpdateFailedException("event " + e.uid() + " is not a series in Outlook; " + label
                    + " has no occurrence to change", true);
        }
        CalendarEvent override = find(now, e.recurrenceId(), mapper.localZone());
        if (override != null) {
            checkBase(override, label);
        }
        if (master.exdates().stream().anyMatch(x -> same(x, e.recurrenceId(), mapper.localZone()))) {
            throw new UpdateFailedException("occurrence " + label + " was deleted in Outlook", true);
        }
        Map<String, Object> p = mapper.properties(e, false, false);
        p.remove("AllDayEvent");
        session.saveOccurrence(held.entryId(), mapper.originalLocal(e.recurrenceId(), master), p);
        LOG.info("Source '{}': updated occurrence {} in calendar '{}'", source.name(), label, held.calendar().name());
        return new Applied("updated " + label + " in calendar '" + held.calendar().name() + "'",
                owner.reread(rt, session, source, held.calendar(), held.entryId()));
    }

    private Applied create(CalendarEvent e, String label, Origin origin) throws OutlookException {
        List<Calendar> cals = owner.calendarsOf(rt);
        Calendar cal = cals.get(0);
        for (Calendar c : cals) {
            if (origin != null && (c.name().equals(origin.calendarName())
                    || OutlookWindowsSource.calendarId(source, rt, c).equals(origin.calendarId()))) {
                cal = c;
                break;
            }
        }
        OutlookItemMapper mapper = owner.writerMapper(rt, source, cal);
        String entryId = session.save(cal.entryId(), null, mapper.properties(e, !e.rrules().isEmpty(), true));
        int deleted = 0;
        if (!e.rrules().isEmpty()) {
            for (EventTime x : e.exdates()) {
                session.deleteOccurrence(entryId, mapper.originalLocal(x, e));
                deleted++;
            }
        }
        LOG.info("Source '{}': created {} in calendar '{}' (nothing sent)", source.name(), label, cal.name());
        return new Applied("created " + label + " in calendar '" + cal.name() + "'"
                + (deleted == 0 ? "" : ", " + deleted + " occurrence(s) deleted"),
                owner.reread(rt, session, source, cal, entryId));
    }

    Applied delete(CalendarEvent e) throws OutlookException, UpdateFailedException {
        String label = label(e.uid(), e.recurrenceId());
        Held held = owner.held(rt, source, e.uid());
        if (held == null) {
            LOG.info("Source '{}': {} to delete is not in Outlook (already gone)", source.name(), label);
            return new Applied("already gone: " + label, List.of());
        }
        List<CalendarEvent> now = owner.current(rt, session, source, held.calendar(), held.entryId());
        if (now.isEmpty()) {
            return new Applied("already gone: " + label, List.of(ChangeBatch.removed(source.name(), held.file())));
        }
        CalendarEvent master = now.get(0);
        if (e.recurrenceId() == null) {
            checkBase(master, label);
            session.delete(held.entryId());
            LOG.info("Source '{}': deleted {} from calendar '{}' (nothing sent)", source.name(), label,
                    held.calendar().name());
            return new Applied("deleted " + label + " from calendar '" + held.calendar().name() + "'",
                    List.of(ChangeBatch.removed(source.name(), held.file())));
        }
        OutlookItemMapper mapper = owner.writerMapper(rt, source, held.calendar());
        if (master.exdates().stream().anyMatch(x -> same(x, e.recurrenceId(), mapper.localZone()))) {
            return new Applied("already gone: " + label, owner.reread(rt, session, source, held.calendar(),
                    held.entryId()));
        }
        CalendarEvent override = find(now, e.recurrenceId(), mapper.localZone());
        if (override != null) {
            checkBase(override, label);
        }
        session.deleteOccurrence(held.entryId(), mapper.originalLocal(e.recurrenceId(), master));
        LOG.info("Source '{}': deleted occurrence {} from calendar '{}'", source.name(), label,
                held.calendar().name());
        return new Applied("deleted " + label + " from calendar '" + held.calendar().name() + "'",
                owner.reread(rt, session, source, held.calendar(), held.entryId()));
    }

    private static CalendarEvent find(List<CalendarEvent> events, EventTime rid, ZoneId zone) {
        for (CalendarEvent c : events) {
            if (c.recurrenceId() != null && same(c.recurrenceId(), rid, zone)) {
                return c;
            }
        }
        return null;
    }

    /** The same occurrence: equal dates, or the same instant (a floating one placed in {@code zone}). */
    private static boolean same(EventTime a, EventTime b, ZoneId zone) {
        if (a.isDate() || b.isDate()) {
            return a.isDate() && b.isDate() && a.date().equals(b.date());
        }
        Instant x = a.toInstant(zone);
        return x.equals(b.toInstant(zone));
    }

    private void checkBase(CalendarEvent current, String label) throws UpdateFailedException {
        if (baseHash != null && !OutlookWindowsSource.sameHash(current, baseHash)) {
            throw new UpdateFailedException("event " + label + " changed in Outlook since; this calendar's version "
                    + "will be sent and the conflict strategy decides", true);
        }
    }

    private static String label(String uid, EventTime rid) {
        String r = SyncKey.ridText(rid);
        return uid + (r == null ? "" : " (RECURRENCE-ID " + r + ")");
    }
}
