package io.chronoroute.agent.source.ews;

import io.chronoroute.agent.collect.ChangeBatch;
import io.chronoroute.agent.collect.ChangeCollector;
import io.chronoroute.agent.source.CalendarSource.Applied;
import io.chronoroute.agent.source.SourceConfig;
import io.chronoroute.agent.source.ews.EwsCalendarSource.Calendar;
import io.chronoroute.agent.source.ews.EwsCalendarSource.Held;
import io.chronoroute.agent.source.ews.EwsCalendarSource.ItemRead;
import io.chronoroute.agent.source.ews.EwsCalendarSource.Runtime;
import io.chronoroute.agent.update.UpdateFailedException;
import io.chronoroute.processors.model.CalendarEvent;
import io.chronoroute.processors.model.EventTime;
import io.chronoroute.processors.model.Origin;
import io.chronoroute.processors.sync.SyncKey;
import io.chronoroute.providers.common.DestinationException;
import io.chronoroute.providers.ews.EwsClient;
import io.chronoroute.providers.ews.EwsException;
import io.chronoroute.providers.ews.EwsXml;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.w3c.dom.Element;

import java.time.Instant;
import java.time.ZoneId;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

/**
 * One {@code event_update} written to Exchange for {@link EwsCalendarSource}. Never invites or cancels anyone
 * ({@code SendToNone} on every write). Finds the item through the agent's index (the file holding the UID is
 * {@code <calendar key>/<ItemId>}) and re-reads it before writing, so the base hash is checked against what Exchange
 * holds now, and the ChangeKey sent is the current one; {@code ConflictResolution="NeverOverwrite"} makes Exchange
 * refuse the write when someone changed the item in between, which is then re-read: changed since the base → refused
 * permanently (the conflict strategy at the master decides with this calendar's version), else retried once.
 */
final class EwsWriter {

    private static final Logger LOG = LoggerFactory.getLogger(EwsWriter.class);

    private final EwsCalendarSource owner;
    private final Runtime rt;
    private final SourceConfig source;
    private final String baseHash;
    private final ZoneId zone;

    EwsWriter(EwsCalendarSource owner, Runtime rt, SourceConfig source, String baseHash) {
        this.owner = owner;
        this.rt = rt;
        this.source = source;
        this.baseHash = baseHash;
        this.zone = rt.settings.zone() == null ? ZoneOffset.UTC : rt.settings.zone();
    }

    /** What the writer found in Exchange for one event: the item to write and the event it reads as now. */
    private record Target(String itemId, String changeKey, CalendarEvent current) {
    }

    // ------------------------------------------------------------------ create / update

    /**
     * @param origin where the master says the event belongs (its calendar id or name picks the calendar a create
     *               goes to when the source reads several; else the first one)
     */
    Applied upsert(CalendarEvent e, boolean create, Origin origin) throws Exception {
        Held held = owner.held(rt, source, e.uid());
        String label = label(e.uid(), e.recurrenceId());
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
        return e.recurrenceId() == null ? updateItem(held, e, label) : updateOccurrence(held, e, label);
    }

    private Applied create(CalendarEvent e, String label, Origin origin) throws Exception {
        List<Calendar> cals = owner.calendars(rt);
        Calendar cal = cals.get(0);
        for (Calendar c : cals) {
            if (origin != null && (c.name().equals(origin.calendarName())
                    || EwsCalendarSource.calendarId(source, rt, c).equals(origin.calendarId()))) {
                cal = c;
                break;
            }
        }
        EwsXml.Times t = EwsXml.times(e, zone);
        Element msg = EwsClient.check(rt.client.call("<m:CreateItem SendMeetingInvitations=\"SendToNone\">"
                + "<m:SavedItemFolderId>" + EwsCalendarSource.folderXml(cal) + "</m:SavedItemFolderId><m:Items>"
                + EwsXml.calendarItem(e, t, e.description(), null, e.uid()) + "</m:Items></m:CreateItem>", true)
                .get(0));
        String id = EwsClient.firstLocal(msg, "ItemId").getAttribute("Id");
        LOG.info("Source '{}': created {} in calendar '{}' (no invitation sent)", source.name(), label, cal.name());
        return applied("created " + label + " in calendar '" + cal.name() + "'", cal, id);
    }

    private Applied updateItem(Held held, CalendarEvent e, String label) throws Exception {
        Target target = master(held, label);
        checkBase(target.current(), label);
        EwsXml.Times t = EwsXml.times(e, zone);
        StringBuilder u = new StringBuilder();
        EwsXml.contentUpdates(e, e.description(), u);
        EwsXml.timeUpdates(t, true, u);
        String rule = EwsXml.recurrence(e, t);
        if (!Objects.equals(rule, currentRule(target.current()))) {
            // only a changed rule is sent: Exchange drops a series' exceptions when its Recurrence is set
            u.append(rule != null ? EwsXml.setField("calendar:Recurrence", rule)
                    : EwsXml.deleteField("calendar:Recurrence"));
        }
        String id = update(target, u.toString(), label, () -> master(held, label));
        List<Instant> removed = new ArrayList<>();
        for (EventTime x : e.exdates()) {
            Instant at = EwsCalendarSource.occurrence(x, zone);
            boolean known = target.current().exdates().stream()
                    .anyMatch(c -> EwsCalendarSource.occurrence(c, zone).equals(at));
            if (!known && rule != null) {
                removed.add(at);
            }
        }
        for (Instant at : removed) {
            Target occ = occurrence(held, at);
            if (occ != null) {
                deleteIds(occ.itemId());
            }
        }
        LOG.info("Source '{}': updated {} in calendar '{}'{}", source.name(), label, held.calendar().name(),
                removed.isEmpty() ? "" : ", " + removed.size() + " occurrence(s) deleted");
        return applied("updated " + label + " in calendar '" + held.calendar().name() + "'", held.calendar(), id);
    }

    private Applied updateOccurrence(Held held, CalendarEvent e, String label) throws Exception {
        Instant at = EwsCalendarSource.occurrence(e.recurrenceId(), zone);
        Target target = occurrence(held, at);
        if (target == null) {
            throw new UpdateFailedException("occurrence " + label + " does not exist in Exchange (deleted there, or "
                    + "not an occurrence of the series)", true);
        }
        if (target.current() != null) {
            checkBase(target.current(), label);
        }
        EwsXml.Times t = EwsXml.times(e, zone);
        StringBuilder u = new StringBuilder();
        EwsXml.contentUpdates(e, e.description(), u);
        EwsXml.timeUpdates(t, false, u);
        update(target, u.toString(), label, () -> occurrence(held, at));
        LOG.info("Source '{}': updated occurrence {} in calendar '{}'", source.name(), label, held.calendar().name());
        return applied("updated " + label + " in calendar '" + held.calendar().name() + "'", held.calendar(),
                held.itemId());
    }

    // ------------------------------------------------------------------ delete

    Applied delete(CalendarEvent e) throws Exception {
        String label = label(e.uid(), e.recurrenceId());
        Held held = owner.held(rt, source, e.uid());
        if (held == null) {
            LOG.info("Source '{}': {} to delete is not in Exchange (already gone)", source.name(), label);
            return new Applied("already gone: " + label, List.of());
        }
        if (e.recurrenceId() == null) {
            ItemRead cur = owner.reread(rt, source, held.calendar(), held.itemId());
            if (cur == null) {
                return new Applied("already gone: " + label, List.of(ChangeBatch.removed(source.name(),
                        held.file())));
            }
            checkBase(cur.events().get(0), label);
            deleteIds(held.itemId());
            LOG.info("Source '{}': deleted {} from calendar '{}' (no cancellation sent)", source.name(), label,
                    held.calendar().name());
            return new Applied("deleted " + label + " from calendar '" + held.calendar().name() + "'",
                    List.of(ChangeBatch.removed(source.name(), held.file())));
        }
        Target occ = occurrence(held, EwsCalendarSource.occurrence(e.recurrenceId(), zone));
        if (occ == null) {
            return applied("already gone: " + label, held.calendar(), held.itemId());
        }
        if (occ.current() != null) {
            checkBase(occ.current(), label);
        }
        deleteIds(occ.itemId());
        LOG.info("Source '{}': deleted occurrence {} from calendar '{}'", source.name(), label,
                held.calendar().name());
        return applied("deleted " + label + " from calendar '" + held.calendar().name() + "'", held.calendar(),
                held.itemId());
    }

    // ------------------------------------------------------------------ finding

    @FunctionalInterface
    private interface Again {
        Target get() throws Exception;
    }

    /** The single item or series master as Exchange holds it now. */
    private Target master(Held held, String label) throws Exception {
        ItemRead cur = owner.reread(rt, source, held.calendar(), held.itemId());
        if (cur == null) {
            throw new UpdateFailedException("event " + label + " was deleted in Exchange since; this calendar's "
                    + "version will be sent and the conflict strategy decides", true);
        }
        return new Target(cur.item().id(), cur.item().changeKey(), cur.events().get(0));
    }

    /**
     * The occurrence of the series originally at {@code at}: its exception item (with the event it reads as), or
     * the plain occurrence found with a CalendarView (current = null: it is the series' own occurrence); null when
     * the series has no occurrence there (deleted, or not on the rule).
     */
    private Target occurrence(Held held, Instant at) throws Exception {
        ItemRead master = owner.reread(rt, source, held.calendar(), held.itemId());
        if (master == null) {
            throw new UpdateFailedException("the series " + held.itemId() + " was deleted in Exchange since", true);
        }
        for (CalendarEvent ex : master.events()) {
            if (ex.recurrenceId() != null && EwsCalendarSource.occurrence(ex.recurrenceId(), zone).equals(at)) {
                String id = ex.origin().providerId();
                Element ci = getItem(id);
                return ci == null ? null : new Target(id, EwsClient.child(ci, "ItemId").getAttribute("ChangeKey"),
                        ex);
            }
        }
        if (master.item().deleted().contains(at) || !"RecurringMaster".equals(master.item().type())) {
            return null;
        }
        Element msg = EwsClient.check(rt.client.call("<m:FindItem Traversal=\"Shallow\"><m:ItemShape>"
                + "<t:BaseShape>Default</t:BaseShape><t:AdditionalProperties>"
                + "<t:FieldURI FieldURI=\"calendar:UID\"/><t:FieldURI FieldURI=\"calendar:OriginalStart\"/>"
                + "</t:AdditionalProperties></m:ItemShape><m:CalendarView MaxEntriesReturned=\"50\" StartDate=\""
                + EwsXml.UTC.format(at.minusSeconds(1)) + "\" EndDate=\"" + EwsXml.UTC.format(at.plusSeconds(1))
                + "\"/><m:ParentFolderIds>" + EwsCalendarSource.folderXml(held.calendar())
                + "</m:ParentFolderIds></m:FindItem>", false).get(0));
        String uid = master.events().get(0).uid();
        for (Element ci : EwsClient.all(msg)) {
            if (!"CalendarItem".equals(ci.getLocalName())) {
                continue;
            }
            EwsXml.Item it = EwsXml.item(ci, "");
            Instant original = it.originalStart() != null ? it.originalStart() : it.start();
            if (at.equals(original) && "Occurrence".equals(it.type()) && uid.equals(EwsItemMapper.uid(ci))) {
                return new Target(it.id(), it.changeKey(), null);
            }
        }
        return null;
    }

    private Element getItem(String id) throws Exception {
        Element msg = rt.client.call("<m:GetItem><m:ItemShape><t:BaseShape>IdOnly</t:BaseShape></m:ItemShape>"
                + "<m:ItemIds>" + EwsXml.itemId(id, null) + "</m:ItemIds></m:GetItem>", false).get(0);
        try {
            EwsClient.check(msg);
        } catch (EwsException e) {
            if ("ErrorItemNotFound".equals(e.code())) {
                return null;
            }
            throw e;
        }
        return EwsClient.firstLocal(msg, "CalendarItem");
    }

    // ------------------------------------------------------------------ writing

    /** UpdateItem with the target's ChangeKey; a conflict is re-read and decided (see the class). */
    private String update(Target first, String updates, String label, Again again) throws Exception {
        Target cur = first;
        String basedOn = first.current() == null ? null : ChangeCollector.hashOnTheWire(first.current());
        for (int attempt = 0; ; attempt++) {
            Runnable hook = owner.beforeUpdate;
            if (hook != null) {
                owner.beforeUpdate = null;
                hook.run();
            }
            try {
                Element msg = EwsClient.check(rt.client.call("<m:UpdateItem ConflictResolution=\"NeverOverwrite\" "
                        + "SendMeetingInvitationsOrCancellations=\"SendToNone\"><m:ItemChanges><t:ItemChange>"
                        + EwsXml.itemId(cur.itemId(), cur.changeKey()) + "<t:Updates>" + updates
                        + "</t:Updates></t:ItemChange></m:ItemChanges></m:UpdateItem>", true).get(0));
                Element id = EwsClient.firstLocal(msg, "ItemId");
                return id == null ? cur.itemId() : id.getAttribute("Id");
            } catch (EwsException e) {
                if (!"ErrorIrresolvableConflict".equals(e.code()) || attempt > 0) {
                    throw e;
                }
                Target now = again.get();
                if (now == null) {
                    throw new UpdateFailedException("event " + label + " was deleted in Exchange while it was being "
                            + "updated; this calendar's version will be sent and the conflict strategy decides", true);
                }
                String ref = baseHash != null ? baseHash : basedOn;
                boolean changed = now.current() == null ? first.current() != null
                        : ref == null || !EwsCalendarSource.sameHash(now.current(), ref);
                if (changed) {
                    throw new UpdateFailedException("event " + label + " changed in Exchange since (ChangeKey "
                            + "conflict); this calendar's version will be sent and the conflict strategy decides",
                            true);
                }
                LOG.info("Source '{}': {} got a new ChangeKey without a change of its content; retrying once",
                        source.name(), label);
                cur = now;
            }
        }
    }

    private void deleteIds(String id) throws Exception {
        Element msg = rt.client.call("<m:DeleteItem DeleteType=\"MoveToDeletedItems\" "
                + "SendMeetingCancellations=\"SendToNone\"><m:ItemIds>" + EwsXml.itemId(id, null)
                + "</m:ItemIds></m:DeleteItem>", true).get(0);
        try {
            EwsClient.check(msg);
        } catch (EwsException e) {
            if (!"ErrorItemNotFound".equals(e.code())
                    && !"ErrorCalendarOccurrenceIsDeletedFromRecurrence".equals(e.code())) {
                throw e;
            }
        }
    }

    private void checkBase(CalendarEvent current, String label) throws UpdateFailedException {
        if (baseHash != null && !EwsCalendarSource.sameHash(current, baseHash)) {
            throw new UpdateFailedException("event " + label + " changed in Exchange since; this calendar's version "
                    + "will be sent and the conflict strategy decides", true);
        }
    }

    /** The Recurrence the writer would send for the event as it is now (null: none, or one EWS cannot say). */
    private String currentRule(CalendarEvent current) {
        try {
            return EwsXml.recurrence(current, EwsXml.times(current, zone));
        } catch (DestinationException e) {
            return null;
        }
    }

    private Applied applied(String outcome, Calendar cal, String itemId) throws Exception {
        ItemRead r = owner.reread(rt, source, cal, itemId);
        return new Applied(outcome, r == null ? List.of(ChangeBatch.removed(source.name(),
                EwsCalendarSource.fileOf(cal, itemId))) : List.of(r.batch()));
    }

    private static String label(String uid, EventTime rid) {
        String r = SyncKey.ridText(rid);
        return uid + (r == null ? "" : " (RECURRENCE-ID " + r + ")");
    }
}
