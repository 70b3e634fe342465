package io.chronoroute.master.destination.ews;

import io.chronoroute.master.destination.DestinationContext;
import io.chronoroute.master.destination.DestinationEvent;
import io.chronoroute.master.destination.DestinationMapping;
import io.chronoroute.master.destination.DestinationWriter;
import io.chronoroute.master.destination.MappingEntry;
import io.chronoroute.master.destination.RemoteChanges;
import io.chronoroute.master.destination.RemoteEvent;
import io.chronoroute.master.destination.WriteResult;
import io.chronoroute.processors.model.Attendee;
import io.chronoroute.processors.model.CalendarEvent;
import io.chronoroute.processors.model.EventTime;
import io.chronoroute.processors.sync.SyncKey;
import io.chronoroute.processors.wire.WireJson;
import io.chronoroute.providers.common.AttendeeText;
import io.chronoroute.providers.common.DestinationErrorClassifier;
import io.chronoroute.providers.common.DestinationException;
import io.chronoroute.providers.common.ErrorKind;
import io.chronoroute.providers.ews.EwsClient;
import io.chronoroute.providers.ews.EwsErrorClassifier;
import io.chronoroute.providers.ews.EwsEventReader;
import io.chronoroute.providers.ews.EwsException;
import io.chronoroute.providers.ews.EwsSettings;
import io.chronoroute.providers.ews.EwsXml;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.w3c.dom.Element;

import java.time.Duration;
import java.time.Instant;
import java.time.LocalDate;
import java.time.LocalDateTime;
import java.time.ZoneId;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.function.Consumer;

/**
 * Writes the consolidated calendar into an on-premises Exchange calendar over EWS (SOAP directly; no
 * ews-java-api). Exchange Online blocks EWS since 2026-10-01: use Graph there.
 *
 * <h2>Items</h2>
 * One calendar item per single event / series master, created with {@code CreateItem
 * SendMeetingInvitations="SendToNone"} in {@code SavedItemFolderId}; never any attendee (people go into the body
 * with {@code attendees=description}); all updates {@code SendMeetingInvitationsOrCancellations="SendToNone"}, all
 * deletes {@code SendMeetingCancellations="SendToNone"}. Tags: extended properties in our own property set
 * ({@code ews.property-set-id}): {@value #KEY}, {@value #HASH}, {@value #OWNER}, {@value #ORIGIN}, for overrides
 * {@value #RID}, {@value #SERIES}. Times: Start/End as UTC instants + {@code StartTimeZone}/{@code EndTimeZone}
 * with the Windows zone id of the event's IANA zone ({@code WindowsZones}), so Exchange keeps the wall-clock time of
 * every occurrence across DST; all-day = midnight to midnight in {@code floating-zone}.
 *
 * <h2>Series</h2>
 * Master = {@code t:Recurrence} from the RRULE (DAILY/WEEKLY/MONTHLY/YEARLY forms EWS can express; others are
 * parked as {@code unsupportedRecurrence}); EXDATEs = the occurrence deleted (DeletedOccurrences); an override =
 * the occurrence updated in place (it becomes an exception with its own ItemId and our override tags); a cancelled
 * override = the occurrence deleted. An occurrence is located through the master's ModifiedOccurrences/
 * DeletedOccurrences and otherwise a one-second {@code FindItem CalendarView} at its original start. A changed rule
 * resets the series on Exchange ({@link #RECURRENCE}); its overrides are then written again. An override whose
 * occurrence the rule does not produce is refused ({@code occurrenceMissing}) and parked by the framework. A series
 * whose rule is removed at the source gets {@code DeleteItemField calendar:Recurrence} (and loses its
 * {@value #RECURRENCE} tag): Exchange makes it a single appointment without exceptions; this too is reported as a
 * series reset, and overrides the source still holds are parked ({@code occurrenceMissing}).
 *
 * <h2>No duplicates</h2>
 * EWS has no client-chosen ids. Before creating, the writer looks for an item carrying our key:
 * {@code FindItem} with an {@code IndexedPageItemView} (not CalendarView, where restrictions are not allowed) and a
 * {@code Restriction IsEqualTo} on the {@value #KEY} extended property, every hit re-checked client side. A crash
 * between CreateItem and the mapping update therefore ends in an update of the item created before. In addition,
 * the framework adopts our items reported by {@code SyncFolderItems} since the last cursor.
 *
 * <h2>Two-way sync (issue #9)</h2>
 * {@link #readChanges} reports our changed items with their content mapped back ({@link EwsEventReader}, merged
 * into the consolidated event) and LastModifiedTime, occurrences a person changed as the overrides they now are,
 * and deleted items (matched through the mapping) as cancelled. With a {@code create-target}, items the
 * user created (no owner tag) are read too and reported foreign with their content ({@link #userCreated}); once the
 * sync adopted one (mapping entry without content hash), {@link #upsert} takes that very item over (UpdateItem with
 * our tags) instead of refusing it. {@link #renameCalendar} sets the folder's
 * DisplayName ({@code UpdateFolder}); Exchange may refuse to rename a default folder (the distinguished
 * {@code calendar}): the error is the caller's to report.
 *
 * <h2>Versions and conflicts</h2>
 * The version remembered per event is a fingerprint of the item's content fields as the server returns them (not
 * the ChangeKey: Exchange changes the master's ChangeKey whenever an exception changes). Updates send the current
 * ChangeKey with {@code ConflictResolution="AutoResolve"}; {@code ErrorIrresolvableConflict} → re-read, retry once.
 * {@code ErrorServerBusy} carries {@code BackOffMilliseconds}, honoured by the framework's backoff.
 */
public final class EwsDestinationWriter implements DestinationWriter {

    public static final String KEY = "ChronorouteKey";
    public static final String HASH = EwsXml.HASH;
    public static final String OWNER = "ChronorouteOwner";
    public static final String ORIGIN = "ChronorouteOrigin";
    public static final String RID = "ChronorouteRid";
    public static final String SERIES = "ChronorouteSeries";
    /**
     * Hash of the {@code t:Recurrence} last sent for a master: Recurrence is only re-sent when it differs, because
     * Exchange drops a series' modified and deleted occurrences whenever Recurrence is set. When it is re-sent (a
     * changed rule; masters written before this tag existed, once), the upsert reports
     * {@link WriteResult#seriesReset()}: the master's EXDATEs are deleted again right away, and the framework writes
     * every override of the series again (moved ones updated, cancelled ones deleted) in the same run.
     */
    public static final String RECURRENCE = "ChronorouteRecurrence";
    static final String CANCELLED_PREFIX = "cancelled:";
    private static final List<String> TAGS = List.of(KEY, HASH, OWNER, ORIGIN, RID, SERIES, RECURRENCE);
    private static final Logger LOG = LoggerFactory.getLogger(EwsDestinationWriter.class);

    /** Version reported for an item Exchange says is deleted (never a fingerprint). */
    static final String DELETED_VERSION = "deleted";
    /** Ids per GetItem when changed items are read again. */
    private static final int GET_BATCH = 100;

    private final DestinationContext ctx;
    private final EwsSettings settings;
    private final EwsClient client;
    private final EwsEventReader reader;
    private final EwsErrorClassifier classifier = new EwsErrorClassifier();
    private final String owner;
    private final String set;
    private final ZoneId floatingZone;
    private final boolean attendeesInDescription;
    /** Test hook: runs once right before the next UpdateItem (to provoke a stale ChangeKey). */
    volatile Runnable beforeUpdate;

    public EwsDestinationWriter(DestinationContext ctx, EwsSettings settings) {
        this.ctx = ctx;
        this.settings = settings;
        this.client = new EwsClient(settings, ctx.gate());
        this.owner = ctx.owner();
        this.set = settings.propertySetId();
        this.floatingZone = ctx.config().floatingZone();
        this.attendeesInDescription = "description".equals(ctx.config().attendees());
        this.reader = new EwsEventReader(floatingZone, attendeesInDescription);
    }

    // ------------------------------------------------------------------------------------------------ SPI

    @Override
    public WriteResult upsert(DestinationEvent de, MappingEntry current) throws Exception {
        CalendarEvent ev = de.event();
        if (ev.recurrenceId() != null) {
            return upsertOverride(de, current);
        }
        EwsXml.Item existing = null;
        if (current != null && current.remoteId() != null) {
            existing = getItem(current.remoteId());
        }
        if (existing == null) {
            existing = findByKey(de.identity());
        }
        String id;
        boolean created;
        boolean reset = false;
        if (existing != null) {
            boolean adopting = adopted(current, existing);
            if (!adopting) {
                requireOurs(existing, de.identity());
            }
            if (current == null && de.contentHash().equals(existing.tag(HASH))) {
                return new WriteResult(existing.id(), existing.fingerprint(), false);
            }
            String rec = EwsXml.recurrence(ev, times(ev));
            // taking over a user's series whose rule is the one we would write: Recurrence is not sent again (that
            // would drop the occurrences the user changed or deleted), only our tag for it is set
            String sent = adopting && rec != null && sameRule(existing, ev) ? EwsXml.sha(rec)
                    : existing.tag(RECURRENCE);
            // the rule is gone but the item is still a series: Recurrence is deleted, the item becomes a single
            // appointment and Exchange drops the series' exceptions and deleted occurrences
            boolean unrecur = rec == null
                    && (existing.tag(RECURRENCE) != null || "RecurringMaster".equals(existing.type()));
            // a new or deleted Recurrence drops the series' exceptions and deleted occurrences: the framework writes
            // the overrides again (those of a series no longer recurring are parked, occurrenceMissing). The same
            // when the item already carries this content but the mapping does not (an earlier attempt of this
            // write got through, its answer lost): whether it reset the series is unknown
            boolean answerLost = current != null && de.contentHash().equals(existing.tag(HASH))
                    && !de.contentHash().equals(current.contentHash());
            reset = unrecur || answerLost || (rec != null && !EwsXml.sha(rec).equals(sent));
            id = update(existing, updates(de, true, sent, unrecur));
            created = false;
        } else {
            Element msg = EwsClient.check(client.call("<m:CreateItem SendMeetingInvitations=\"SendToNone\">"
                    + "<m:SavedItemFolderId>" + folderXml() + "</m:SavedItemFolderId><m:Items>"
                    + createXml(de) + "</m:Items></m:CreateItem>", true).get(0));
            id = EwsClient.firstLocal(msg, "ItemId").getAttribute("Id");
            created = true;
        }
        for (EventTime x : ev.exdates()) {
            Instant at = occurrenceInstant(x);
            String occ = locateOccurrence(id, de.identity(), at, true);
            if (occ != null) {
                deleteIds(List.of(occ));
            }
        }
        EwsXml.Item after = getItem(id);
        if (after == null) {
            throw new DestinationException(ErrorKind.TRANSIENT, "notVisible", "item written but not readable");
        }
        return new WriteResult(id, after.fingerprint(), created, reset);
    }

    private WriteResult upsertOverride(DestinationEvent de, MappingEntry current) throws Exception {
        CalendarEvent ev = de.event();
        String masterId = de.masterRemoteId();
        String seriesId = seriesIdentity(ev);
        Instant rid = occurrenceInstant(ev.recurrenceId());
        String cancelledId = CANCELLED_PREFIX + masterId + "@" + rid;
        if ("CANCELLED".equalsIgnoreCase(ev.status())) {
            String occ = locateOccurrence(masterId, seriesId, rid, true);
            if (occ != null) {
                deleteIds(List.of(occ));
            }
            return new WriteResult(cancelledId, "cancelled", false);
        }
        EwsXml.Item target = null;
        // the mapped exception, unless the mapping says it is gone (e.g. dropped by a new rule of its series)
        if (current != null && current.live() && current.remoteId() != null
                && !current.remoteId().startsWith(CANCELLED_PREFIX)) {
            target = getItem(current.remoteId());
            if (target != null && !rid.equals(target.originalStart() != null ? target.originalStart()
                    : target.start())) {
                target = null;
            }
        }
        if (target == null) {
            String occ = locateOccurrence(masterId, seriesId, rid, false);
            if (occ == null) {
                // the framework parks the override with this reason (also when a new rule of the series no longer
                // produces the occurrence): EWS cannot add an occurrence to a series
                throw new DestinationException(ErrorKind.PERMANENT, "occurrenceMissing",
                        "no occurrence of the series at " + rid + ": the series' rule does not produce it or it was "
                                + "deleted (EWS cannot add or restore an occurrence)");
            }
            target = getItem(occ);
        }
        if (target == null) {
            throw new DestinationException(ErrorKind.TRANSIENT, "notVisible", "occurrence not readable");
        }
        if (!owner.equals(target.tag(OWNER))) {
            throw new DestinationException(ErrorKind.PERMANENT, "foreignItem", "the occurrence is not ours");
        }
        if (current == null && de.identity().equals(target.tag(KEY)) && de.contentHash().equals(target.tag(HASH))) {
            return new WriteResult(target.id(), target.fingerprint(), false);
        }
        String id = update(target, updates(de, false, null, false));
        EwsXml.Item after = getItem(id);
        if (after == null) {
            throw new DestinationException(ErrorKind.TRANSIENT, "notVisible", "exception written but not readable");
        }
        return new WriteResult(id, after.fingerprint(), false);
    }

    @Override
    public void delete(DestinationEvent de, MappingEntry current) throws Exception {
        String remoteId = current.remoteId();
        if (remoteId == null || remoteId.startsWith(CANCELLED_PREFIX)) {
            if (remoteId != null) {
                LOG.info("EWS: a deleted occurrence ({}) cannot be restored; left deleted", remoteId);
            }
            return;
        }
        EwsXml.Item it = getItem(remoteId);
        if (it == null) {
            return;
        }
        if (!owner.equals(it.tag(OWNER)) || !de.identity().equals(it.tag(KEY))) {
            throw new DestinationException(ErrorKind.PERMANENT, "foreignItem",
                    "item " + remoteId + " does not carry our tag for " + de.identity() + "; left untouched");
        }
        if (current.recurrenceId() == null) {
            deleteIds(List.of(remoteId));
            return;
        }
        CalendarEvent master = de.masterEvent();
        if (master == null) {
            return;
        }
        // the override went away: the exception gets the series' content back and loses our override tags
        Instant at = it.originalStart() != null ? it.originalStart() : it.start();
        EwsXml.Times mt = times(master);
        Duration length = Duration.between(mt.start(), mt.end());
        StringBuilder u = new StringBuilder();
        content(master, u);
        u.append(set("calendar:Start", EwsXml.el("Start", EwsXml.UTC.format(at))));
        u.append(set("calendar:End", EwsXml.el("End", EwsXml.UTC.format(at.plus(length)))));
        for (String tag : List.of(KEY, HASH, RID, SERIES)) {
            u.append("<t:DeleteItemField>").append(EwsXml.extUri(set, tag)).append("</t:DeleteItemField>");
        }
        update(it, u.toString());
    }

    @Override
    public void listOwn(Consumer<RemoteEvent> sink) throws Exception {
        for (int offset = 0; ; ) {
            List<Element> msgs = client.call("<m:FindItem Traversal=\"Shallow\">" + shape()
                    + "<m:IndexedPageItemView MaxEntriesReturned=\"200\" Offset=\"" + offset + "\" BasePoint=\"Beginning\"/>"
                    + "<m:ParentFolderIds>" + folderXml() + "</m:ParentFolderIds></m:FindItem>", false);
            Element msg = EwsClient.check(msgs.get(0));
            Element root = EwsClient.firstLocal(msg, "RootFolder");
            List<Element> items = EwsClient.children(EwsClient.child(root, "Items"), "CalendarItem");
            for (Element ci : items) {
                emitOurs(EwsXml.item(ci, set), sink);
            }
            offset += items.size();
            if (items.isEmpty() || "true".equals(root.getAttribute("IncludesLastItemInRange"))) {
                return;
            }
        }
    }

    /**
     * {@code SyncFolderItems} since {@code cursor}. Our items among the changes are read again with {@code GetItem}
     * (batched; SyncFolderItems, like FindItem, leaves out properties such as the body) and reported with their
     * content mapped back and merged into the consolidated event ({@link EwsEventReader#fromItem}; the consolidated
     * event is looked up in the store by the tag's identity, a tombstone's last content included; without it only
     * the fields read back are set) and {@code LastModifiedTime}; so are the exceptions of a changed series. A
     * {@code t:Delete} carries only the ItemId: it is matched against this destination's mapping and reported
     * cancelled (version {@value #DELETED_VERSION}, no modification time: Exchange does not say when).
     */
    @Override
    public RemoteChanges readChanges(String cursor) throws Exception {
        String state = cursor;
        List<EwsXml.Item> changed = new ArrayList<>();
        Set<String> deletedIds = new LinkedHashSet<>();
        while (true) {
            Element msg = EwsClient.check(client.call("<m:SyncFolderItems>" + shape() + "<m:SyncFolderId>"
                    + folderXml() + "</m:SyncFolderId>" + (state == null ? "" : "<m:SyncState>" + EwsXml.esc(state)
                    + "</m:SyncState>") + "<m:MaxChangesReturned>512</m:MaxChangesReturned></m:SyncFolderItems>",
                    false).get(0));
            state = EwsClient.textOf(EwsClient.firstLocal(msg, "SyncState")).trim();
            Element changes = EwsClient.firstLocal(msg, "Changes");
            for (Element ch : EwsClient.children(changes, null)) {
                Element ci = EwsClient.child(ch, "CalendarItem");
                if (ci != null && cursor != null) {
                    changed.add(EwsXml.item(ci, set));
                } else if ("Delete".equals(ch.getLocalName()) && cursor != null) {
                    Element id = EwsClient.child(ch, "ItemId");
                    if (id != null) {
                        deletedIds.add(id.getAttribute("Id"));
                    }
                }
            }
            if (!"false".equals(EwsClient.textOf(EwsClient.firstLocal(msg, "IncludesLastItemInRange")).trim())) {
                break;
            }
        }
        // user-created items are read (and reported with content) only when they can become creates
        boolean creates = ctx.config().twoWay() && ctx.config().createTarget() != null;
        List<String> readIds = changed.stream().filter(it -> owner.equals(it.tag(OWNER)) && it.tag(KEY) != null
                || creates && it.tag(OWNER) == null).map(EwsXml.Item::id).toList();
        List<RemoteEvent> out = new ArrayList<>();
        for (int i = 0; i < readIds.size(); i += GET_BATCH) {
            for (EwsXml.Item it : getItems(readIds.subList(i, Math.min(readIds.size(), i + GET_BATCH)))) {
                if (it.tag(OWNER) == null) {
                    out.add(userCreated(it));
                } else {
                    emitOurs(it, out::add, true);
                }
            }
        }
        out.addAll(deleted(deletedIds));
        return new RemoteChanges(out, state);
    }

    /**
     * An item without any owner tag, created by a person in Outlook/OWA: reported foreign (identity null) with its
     * content mapped back ({@link EwsEventReader#fromItem} without a consolidated event), the item's {@code UID} as
     * uid and LastModifiedTime, for a create at the {@code create-target}. SyncFolderItems lists single items and
     * series masters only: a user's series is reported as its master (rule and deleted occurrences); occurrences the
     * user changed in it are not reported (they stay as Exchange has them, untouched by the take-over). A cancelled
     * meeting ({@code IsCancelled}), an item without UID or of another type is reported without content (ignored).
     */
    private RemoteEvent userCreated(EwsXml.Item it) {
        String uid = EwsClient.textOf(EwsClient.child(it.xml(), "UID"));
        boolean cancelled = "true".equals(EwsClient.textOf(EwsClient.child(it.xml(), "IsCancelled")));
        if (uid == null || uid.isBlank() || cancelled
                || !("Single".equals(it.type()) || "RecurringMaster".equals(it.type()))) {
            return new RemoteEvent(it.id(), null, null, it.fingerprint(), cancelled, null, null);
        }
        CalendarEvent event = reader.fromItem(it.xml(), null).toBuilder().uid(uid.trim()).build();
        return new RemoteEvent(it.id(), null, null, it.fingerprint(), false, null, null, event, lastModified(it));
    }

    /** Our objects among the deleted ItemIds, found through the mapping (the only place that still knows them). */
    private List<RemoteEvent> deleted(Set<String> ids) {
        List<RemoteEvent> out = new ArrayList<>();
        if (ids.isEmpty()) {
            return out;
        }
        DestinationMapping mapping = new DestinationMapping(ctx.store(), ctx.name());
        ctx.store().forEachConsolidated(true, c -> mapping.get(c.identity())
                .filter(m -> m.remoteId() != null && ids.contains(m.remoteId()))
                .ifPresent(m -> out.add(new RemoteEvent(m.remoteId(), c.identity(), m.contentHash(), DELETED_VERSION,
                        true, m.recurrenceId(), m.seriesIdentity(), null, null))));
        return out;
    }

    /** {@code UpdateFolder} of the calendar folder's DisplayName. */
    @Override
    public void renameCalendar(String displayName) throws Exception {
        EwsClient.check(client.call("<m:UpdateFolder><m:FolderChanges><t:FolderChange>" + folderXml()
                + "<t:Updates><t:SetFolderField><t:FieldURI FieldURI=\"folder:DisplayName\"/><t:CalendarFolder>"
                + EwsXml.el("DisplayName", displayName) + "</t:CalendarFolder></t:SetFolderField></t:Updates>"
                + "</t:FolderChange></m:FolderChanges></m:UpdateFolder>", true).get(0));
    }

    @Override
    public DestinationErrorClassifier classifier() {
        return classifier;
    }

    // ------------------------------------------------------------------------------------------------ reads

    private void emitOurs(EwsXml.Item it, Consumer<RemoteEvent> sink) throws Exception {
        emitOurs(it, sink, false);
    }

    /** Our item (and, for a series, its exceptions of ours); {@code content}: with the event mapped back. */
    private void emitOurs(EwsXml.Item it, Consumer<RemoteEvent> sink, boolean content) throws Exception {
        if (!owner.equals(it.tag(OWNER)) || it.tag(KEY) == null) {
            return;
        }
        sink.accept(content ? withContent(it, null, null) : new RemoteEvent(it.id(), it.tag(KEY), it.tag(HASH),
                it.fingerprint(), false, null, null));
        if ("RecurringMaster".equals(it.type())) {
            EwsXml.Item master = it.modified().isEmpty() ? getItem(it.id()) : it;
            if (master == null || master.modified().isEmpty()) {
                return;
            }
            List<String> ids = master.modified().stream().map(m -> m[0]).toList();
            for (EwsXml.Item ex : getItems(ids)) {
                if (owner.equals(ex.tag(OWNER)) && ex.tag(RID) != null && ex.tag(KEY) != null) {
                    sink.accept(content ? withContent(ex, ex.tag(RID), ex.tag(SERIES)) : new RemoteEvent(ex.id(),
                            ex.tag(KEY), ex.tag(HASH), ex.fingerprint(), false, ex.tag(RID), ex.tag(SERIES)));
                } else if (content && ex.tag(OWNER) != null) {
                    // no owner tag at all: an occurrence the user changed before the series was taken over (an
                    // adopted user series); Exchange copies the series' properties only onto later exceptions.
                    // Left as Exchange has it, not reported
                    RemoteEvent user = occurrenceChangedInExchange(it, ex);
                    if (user != null) {
                        sink.accept(user);
                    }
                }
            }
        }
    }

    private RemoteEvent withContent(EwsXml.Item it, String rid, String series) {
        CalendarEvent consolidated = consolidated(it.tag(KEY));
        CalendarEvent event = reader.fromItem(it.xml(), consolidated);
        if (consolidated != null && rid == null && !event.exdates().equals(consolidated.exdates())) {
            event = withoutCancelledOverrides(event, consolidated);
        }
        return new RemoteEvent(it.id(), it.tag(KEY), it.tag(HASH), it.fingerprint(), false, rid, series, event,
                lastModified(it));
    }

    /**
     * A cancelled override is written as a deleted occurrence (EWS has no other form): such a deleted occurrence
     * is the override, not an EXDATE of the series, and is left out of the series' exdates.
     */
    private CalendarEvent withoutCancelledOverrides(CalendarEvent event, CalendarEvent series) {
        List<EventTime> exdates = new ArrayList<>();
        for (EventTime x : event.exdates()) {
            if (!series.exdates().contains(x) && series.uid() != null) {
                String identity = SyncKey.identityOf(CalendarEvent.builder().uid(series.uid()).recurrenceId(x)
                        .build());
                CalendarEvent override = consolidated(identity);
                if (override != null && "CANCELLED".equalsIgnoreCase(override.status())) {
                    continue;
                }
            }
            exdates.add(x);
        }
        return event.toBuilder().exdates(exdates).build();
    }

    /**
     * An exception of our series without our override tags: an occurrence a person changed in Outlook ("this
     * occurrence"), or one whose override we removed (reset to the series' content: then it equals the occurrence
     * and is not reported). Reported as the override it now is: identity of (series uid, RECURRENCE-ID in the form
     * of the series' start), {@code seriesIdentity} = the series, no content hash, the series' content with
     * Exchange's values of this occurrence. Without the consolidated series (no uid) nothing is reported.
     */
    private RemoteEvent occurrenceChangedInExchange(EwsXml.Item master, EwsXml.Item ex) {
        CalendarEvent series = consolidated(master.tag(KEY));
        if (series == null || series.uid() == null || series.start() == null) {
            return null;
        }
        CalendarEvent base = series.toBuilder().recurrenceId(null).rrules(List.of()).exdates(List.of())
                .rdates(List.of()).build();
        CalendarEvent occurrence = reader.fromItem(ex.xml(), base);
        EventTime rid = occurrence.recurrenceId();
        if (rid == null) {
            return null;
        }
        EwsXml.Times t = times(series);
        Duration length = Duration.between(t.start(), t.end());
        EventTime end = rid.isDate() ? EventTime.ofDate(rid.date().plusDays(Math.max(1, length.toDays())))
                : rid.isFloating() ? EventTime.ofFloating(rid.floating().plus(length))
                : EventTime.ofInstant(rid.instant().plus(length), rid.zone());
        CalendarEvent unchanged = base.toBuilder().recurrenceId(rid).start(rid)
                .end(series.end() == null && !rid.isDate() ? null : end).build();
        if (occurrence.equals(unchanged) || occurrence.equals(unchanged.toBuilder().end(end).build())) {
            return null;
        }
        String identity = SyncKey.identityOf(CalendarEvent.builder().uid(series.uid()).recurrenceId(rid).build());
        return new RemoteEvent(ex.id(), identity, null, ex.fingerprint(), false, SyncKey.ridText(rid),
                master.tag(KEY), occurrence, lastModified(ex));
    }

    private CalendarEvent consolidated(String identity) {
        return ctx.store().findConsolidated(identity).filter(c -> c.eventJson() != null)
                .map(c -> WireJson.fromJson(c.eventJson())).orElse(null);
    }

    private static Instant lastModified(EwsXml.Item it) {
        String modified = EwsClient.textOf(EwsClient.child(it.xml(), "LastModifiedTime"));
        return modified == null || modified.isBlank() ? null : Instant.parse(modified.trim());
    }

    /** Our single/master item with this key: FindItem + Restriction on the key property, re-checked here. */
    private EwsXml.Item findByKey(String identity) throws Exception {
        for (int offset = 0; ; ) {
            Element msg = EwsClient.check(client.call("<m:FindItem Traversal=\"Shallow\">" + shape()
                    + "<m:IndexedPageItemView MaxEntriesReturned=\"200\" Offset=\"" + offset + "\" BasePoint=\"Beginning\"/>"
                    + "<m:Restriction><t:IsEqualTo>" + EwsXml.extUri(set, KEY) + "<t:FieldURIOrConstant>"
                    + "<t:Constant Value=\"" + EwsXml.esc(identity) + "\"/></t:FieldURIOrConstant></t:IsEqualTo>"
                    + "</m:Restriction><m:ParentFolderIds>" + folderXml() + "</m:ParentFolderIds></m:FindItem>",
                    false).get(0));
            Element root = EwsClient.firstLocal(msg, "RootFolder");
            List<Element> items = EwsClient.children(EwsClient.child(root, "Items"), "CalendarItem");
            for (Element ci : items) {
                EwsXml.Item it = EwsXml.item(ci, set);
                if (identity.equals(it.tag(KEY)) && owner.equals(it.tag(OWNER))) {
                    return it;
                }
            }
            offset += items.size();
            if (items.isEmpty() || "true".equals(root.getAttribute("IncludesLastItemInRange"))) {
                return null;
            }
        }
    }

    private EwsXml.Item getItem(String id) throws Exception {
        List<EwsXml.Item> l = getItems(List.of(id));
        return l.isEmpty() ? null : l.get(0);
    }

    /** GetItem for several ids; missing ones are left out. */
    private List<EwsXml.Item> getItems(List<String> ids) throws Exception {
        StringBuilder sb = new StringBuilder("<m:GetItem>").append(shape()).append("<m:ItemIds>");
        ids.forEach(i -> sb.append(EwsXml.itemId(i, null)));
        List<EwsXml.Item> out = new ArrayList<>();
        for (Element msg : client.call(sb.append("</m:ItemIds></m:GetItem>").toString(), false)) {
            try {
                EwsClient.check(msg);
            } catch (EwsException e) {
                if (e.code().equals("ErrorItemNotFound") || e.code().startsWith("ErrorCalendarOccurrence")) {
                    continue;
                }
                throw e;
            }
            Element ci = EwsClient.firstLocal(msg, "CalendarItem");
            if (ci != null) {
                out.add(EwsXml.item(ci, set));
            }
        }
        return out;
    }

    /**
     * The ItemId of the occurrence of series {@code masterId} originally at {@code at}; null when it is deleted
     * (or, with {@code forDelete}, does not exist).
     */
    private String locateOccurrence(String masterId, String seriesId, Instant at, boolean forDelete)
            throws Exception {
        EwsXml.Item master = getItem(masterId);
        if (master == null) {
            throw new DestinationException(ErrorKind.PERMANENT, "seriesMissing", "series master not found");
        }
        if (master.deleted().contains(at)) {
            return null;
        }
        if ("Single".equals(master.type())) {
            if (forDelete) {
                return null;
            }
            throw new DestinationException(ErrorKind.PERMANENT, "occurrenceMissing", "no occurrence of the series at "
                    + at + ": the series has no rule any more, its item is a single appointment (EWS cannot add an "
                    + "occurrence to it)");
        }
        for (String[] m : master.modified()) {
            if (Instant.parse(m[1]).equals(at)) {
                return m[0];
            }
        }
        Element msg = EwsClient.check(client.call("<m:FindItem Traversal=\"Shallow\">" + shape()
                + "<m:CalendarView MaxEntriesReturned=\"50\" StartDate=\"" + EwsXml.UTC.format(at.minusSeconds(1))
                + "\" EndDate=\"" + EwsXml.UTC.format(at.plusSeconds(1)) + "\"/><m:ParentFolderIds>" + folderXml()
                + "</m:ParentFolderIds></m:FindItem>", false).get(0));
        for (Element ci : EwsClient.all(msg)) {
            if (!"CalendarItem".equals(ci.getLocalName())) {
                continue;
            }
            EwsXml.Item it = EwsXml.item(ci, set);
            Instant original = it.originalStart() != null ? it.originalStart() : it.start();
            if (at.equals(original) && seriesId.equals(it.tag(KEY)) && owner.equals(it.tag(OWNER))
                    && !"Single".equals(it.type())) {
                return it.id();
            }
        }
        return null;
    }

    // ------------------------------------------------------------------------------------------------ writes

    /** UpdateItem with the item's current ChangeKey; a stale one is re-read and retried once. Returns the id. */
    private String update(EwsXml.Item item, String updates) throws Exception {
        EwsXml.Item cur = item;
        for (int attempt = 0; ; attempt++) {
            Runnable hook = beforeUpdate;
            if (hook != null) {
                beforeUpdate = null;
                hook.run();
            }
            try {
                Element msg = EwsClient.check(client.call("<m:UpdateItem ConflictResolution=\"AutoResolve\" "
                        + "SendMeetingInvitationsOrCancellations=\"SendToNone\"><m:ItemChanges><t:ItemChange>"
                        + EwsXml.itemId(cur.id(), cur.changeKey()) + "<t:Updates>" + updates
                        + "</t:Updates></t:ItemChange></m:ItemChanges></m:UpdateItem>", true).get(0));
                Element id = EwsClient.firstLocal(msg, "ItemId");
                return id == null ? cur.id() : id.getAttribute("Id");
            } catch (EwsException e) {
                if (!"ErrorIrresolvableConflict".equals(e.code()) || attempt > 0) {
                    throw e;
                }
                LOG.debug("EWS: stale ChangeKey for {}, re-reading", cur.id());
                EwsXml.Item again = getItem(cur.id());
                if (again == null) {
                    throw e;
                }
                cur = again;
            }
        }
    }

    private void deleteIds(List<String> ids) throws Exception {
        StringBuilder sb = new StringBuilder("<m:DeleteItem DeleteType=\"MoveToDeletedItems\" "
                + "SendMeetingCancellations=\"SendToNone\"><m:ItemIds>");
        ids.forEach(i -> sb.append(EwsXml.itemId(i, null)));
        for (Element msg : client.call(sb.append("</m:ItemIds></m:DeleteItem>").toString(), true)) {
            try {
                EwsClient.check(msg);
            } catch (EwsException e) {
                if (!e.code().equals("ErrorItemNotFound") && !e.code().equals("ErrorCalendarOccurrenceIsDeletedFromRecurrence")) {
                    throw e;
                }
            }
        }
    }

    /**
     * A mapping entry without content hash on this very item, which carries no owner tag: an event the user created
     * that the sync adopted (the ingest created it at the master from our change feed). The upsert takes it over:
     * UpdateItem of that ItemId with our content and extended properties, never a second item, never a delete.
     */
    private static boolean adopted(MappingEntry current, EwsXml.Item existing) {
        return current != null && current.live() && current.contentHash() == null && current.remoteId() != null
                && current.remoteId().equals(existing.id()) && existing.tag(OWNER) == null;
    }

    /**
     * True when the item's recurrence, mapped back, is the rule of {@code ev} and no occurrence it deleted is one
     * {@code ev} has again (new EXDATEs are deleted occurrences, written without a new Recurrence).
     */
    private boolean sameRule(EwsXml.Item existing, CalendarEvent ev) {
        CalendarEvent now = reader.fromItem(existing.xml(), null);
        return now.rrules().equals(ev.rrules()) && ev.exdates().containsAll(now.exdates());
    }

    private void requireOurs(EwsXml.Item it, String identity) {
        if (!owner.equals(it.tag(OWNER)) || !identity.equals(it.tag(KEY))) {
            throw new DestinationException(ErrorKind.PERMANENT, "foreignItem",
                    "item " + it.id() + " does not carry our tag for " + identity + "; left untouched");
        }
    }

    // ------------------------------------------------------------------------------------------------ XML

    private String shape() {
        StringBuilder sb = new StringBuilder("<m:ItemShape><t:BaseShape>AllProperties</t:BaseShape>"
                + "<t:AdditionalProperties>");
        TAGS.forEach(t -> sb.append(EwsXml.extUri(set, t)));
        return sb.append("</t:AdditionalProperties></m:ItemShape>").toString();
    }

    private String folderXml() {
        return settings.folderId() == null || settings.folderId().isBlank()
                ? "<t:DistinguishedFolderId Id=\"calendar\"/>"
                : "<t:FolderId Id=\"" + EwsXml.esc(settings.folderId()) + "\"/>";
    }

    private Map<String, String> tags(DestinationEvent de) {
        Map<String, String> t = new LinkedHashMap<>();
        t.put(OWNER, owner);
        t.put(KEY, de.identity());
        t.put(HASH, de.contentHash());
        if (de.origin() != null) {
            t.put(ORIGIN, de.origin());
        }
        String rec = EwsXml.recurrence(de.event(), times(de.event()));
        if (rec != null) {
            t.put(RECURRENCE, EwsXml.sha(rec));
        }
        if (de.event().recurrenceId() != null) {
            t.put(RID, SyncKey.ridText(de.event().recurrenceId()));
            t.put(SERIES, seriesIdentity(de.event()));
        }
        return t;
    }

    /** A CalendarItem for CreateItem, children in schema order (our tags as extended properties, no UID). */
    private String createXml(DestinationEvent de) {
        CalendarEvent e = de.event();
        StringBuilder ext = new StringBuilder();
        tags(de).forEach((k, v) -> ext.append(EwsXml.ext(set, k, v)));
        return EwsXml.calendarItem(e, times(e), description(e), ext.toString(), null);
    }

    /**
     * SetItemField/DeleteItemField list for an update; for a master, Recurrence only when its hash differs from
     * {@code sentRecurrence} (the RECURRENCE tag on the item); with {@code dropRecurrence} (no rule any more, the item
     * still a series) Recurrence and our {@value #RECURRENCE} tag are deleted.
     */
    private String updates(DestinationEvent de, boolean master, String sentRecurrence, boolean dropRecurrence) {
        CalendarEvent e = de.event();
        EwsXml.Times t = times(e);
        StringBuilder u = new StringBuilder();
        content(e, u);
        String win = EwsXml.windowsZone(t.zone());
        u.append(set("calendar:StartTimeZone", "<t:StartTimeZone Id=\"" + EwsXml.esc(win) + "\"/>"));
        u.append(set("calendar:EndTimeZone", "<t:EndTimeZone Id=\"" + EwsXml.esc(win) + "\"/>"));
        u.append(set("calendar:Start", EwsXml.el("Start", EwsXml.UTC.format(t.start()))));
        u.append(set("calendar:End", EwsXml.el("End", EwsXml.UTC.format(t.end()))));
        if (master) {
            u.append(set("calendar:IsAllDayEvent", EwsXml.el("IsAllDayEvent", String.valueOf(t.allDay()))));
            String rec = EwsXml.recurrence(e, t);
            if (rec != null && !EwsXml.sha(rec).equals(sentRecurrence)) {
                u.append(set("calendar:Recurrence", rec));
            } else if (rec == null && dropRecurrence) {
                u.append(delete("calendar:Recurrence"));
                if (sentRecurrence != null) {
                    u.append("<t:DeleteItemField>").append(EwsXml.extUri(set, RECURRENCE))
                            .append("</t:DeleteItemField>");
                }
            }
        }
        Map<String, String> tags = tags(de);
        for (String tag : TAGS) {
            String v = tags.get(tag);
            if (v != null) {
                u.append("<t:SetItemField>").append(EwsXml.extUri(set, tag)).append("<t:CalendarItem>")
                        .append(EwsXml.ext(set, tag, v)).append("</t:CalendarItem></t:SetItemField>");
            }
        }
        return u.toString();
    }

    /** Subject, sensitivity, body, free/busy, location. */
    private void content(CalendarEvent e, StringBuilder u) {
        EwsXml.contentUpdates(e, description(e), u);
    }

    private static String set(String fieldUri, String valueXml) {
        return EwsXml.setField(fieldUri, valueXml);
    }

    private static String delete(String fieldUri) {
        return EwsXml.deleteField(fieldUri);
    }

    private EwsXml.Times times(CalendarEvent e) {
        return EwsXml.times(e, floatingZone);
    }

    private Instant occurrenceInstant(EventTime t) {
        return t.isDate() ? t.date().atStartOfDay(floatingZone).toInstant() : t.toInstant(floatingZone);
    }

    static String seriesIdentity(CalendarEvent e) {
        return SyncKey.identityOf(CalendarEvent.builder().uid(e.uid()).build());
    }

    private String description(CalendarEvent e) {
        return AttendeeText.description(e, attendeesInDescription);
    }
}
