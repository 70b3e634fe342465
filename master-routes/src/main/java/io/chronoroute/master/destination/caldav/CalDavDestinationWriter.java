package io.chronoroute.master.destination.caldav;

import io.chronoroute.master.destination.DestinationContext;
import io.chronoroute.master.destination.DestinationEvent;
import io.chronoroute.master.destination.DestinationWriter;
import io.chronoroute.master.destination.EventField;
import io.chronoroute.master.destination.MappingEntry;
import io.chronoroute.master.destination.RemoteChanges;
import io.chronoroute.master.destination.RemoteEvent;
import io.chronoroute.master.destination.WriteResult;
import io.chronoroute.processors.ical.ICalCodec;
import io.chronoroute.processors.model.Attendee;
import io.chronoroute.processors.model.CalendarEvent;
import io.chronoroute.processors.model.EventTime;
import io.chronoroute.processors.sync.SyncKey;
import io.chronoroute.providers.caldav.CalDavClient;
import io.chronoroute.providers.caldav.CalDavErrorClassifier;
import io.chronoroute.providers.caldav.CalDavHttpException;
import io.chronoroute.providers.caldav.CalDavSettings;
import io.chronoroute.providers.caldav.ICalResource;
import io.chronoroute.providers.common.AttendeeText;
import io.chronoroute.providers.common.DestinationErrorClassifier;
import io.chronoroute.providers.common.DestinationException;
import io.chronoroute.providers.common.ErrorKind;

import java.time.Instant;
import java.time.ZoneId;
import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;
import java.time.format.DateTimeParseException;
import java.util.EnumSet;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Consumer;
import java.util.regex.Pattern;

/**
 * Writes the consolidated calendar into one CalDAV collection (tested against Radicale 3.1.8).
 *
 * <h2>Resources</h2>
 * One resource per series at the deterministic href {@code <collection>/<series identity>.ics}: the master (or single
 * event) and all its overrides in one VCALENDAR, {@code UID:<series identity>@chronoroute} (our own UID, so it can
 * never collide with the user's copy of the same meeting in that calendar), a VTIMEZONE for every zone used
 * ({@link ICalCodec}). Every VEVENT carries {@value #KEY} (identity), {@value #HASH} (content hash),
 * {@value #OWNER}, {@value #ORIGIN}, and for overrides {@value #RID} and {@value #SERIES}. No ORGANIZER, no ATTENDEE
 * (names/addresses go into the description with {@code attendees=description}), so no server ever schedules.
 * Floating times are pinned to {@code floating-zone}.
 *
 * <h2>Writes</h2>
 * Create = {@code PUT If-None-Match: *}; 412 there means the resource exists (a crash between our PUT and the
 * mapping update): it is read, checked to be ours and updated with {@code If-Match}, so no duplicate ever appears.
 * Update = GET (ETag + the other VEVENTs) then {@code PUT If-Match}; 412 → re-read and retry once, then the
 * framework retries (transient). Delete = {@code DELETE If-Match} (404 = already gone); an override delete removes
 * its VEVENT from the resource. A resource without our owner tag is never written or deleted (permanent error).
 * After each write the resource is read back once: the version remembered per event is a fingerprint of its VEVENT
 * as the server stores it (the ETag belongs to the whole resource, which changes when a sibling override changes).
 *
 * <h2>Reads</h2>
 * {@link #listOwn} = calendar-query REPORT of the whole collection; {@link #readChanges} = RFC 6578 sync-collection
 * REPORT, the token kept by the framework as the cursor; an invalid token (403 {@code DAV:valid-sync-token}) →
 * CURSOR_EXPIRED → full resync. The override keys of each series are kept in the store setting
 * {@code destination.<name>.caldav.series.<series identity>} so that a resource deleted or an override removed
 * outside Chronoroute is reported as deleted (and repaired, or handed to the ingest in two-way sync).
 *
 * <h2>Two-way</h2>
 * {@link #readChanges} also gives each changed VEVENT as {@link CalendarEvent} ({@link ICalCodec}; for an override the
 * one whose RECURRENCE-ID the tag names) and its modification time (LAST-MODIFIED of the VEVENT, else the resource's
 * {@code DAV:getlastmodified}); events without our tag are reported as foreign with their content (created by the
 * user). The writer writes every field but organizer and attendees ({@link #writtenFields}); {@link #merge} takes the
 * attendee text it appends to the description back out. A foreign resource adopted by the sync (mapping entry
 * without content hash, after the ingest created the event) is taken over by the next write: its VEVENT is replaced
 * by ours, tagged. {@link #renameCalendar} = PROPPATCH of the collection's {@code DAV:displayname}.
 */
public final class CalDavDestinationWriter implements DestinationWriter {

    public static final String KEY = "X-CHRONOROUTE-KEY";
    public static final String HASH = "X-CHRONOROUTE-HASH";
    public static final String OWNER = "X-CHRONOROUTE-OWNER";
    public static final String ORIGIN = "X-CHRONOROUTE-ORIGIN";
    public static final String RID = "X-CHRONOROUTE-RID";
    public static final String SERIES = "X-CHRONOROUTE-SERIES";
    static final String PRODID = "-//Chronoroute//CalDAV destination//EN";
    private static final Pattern OUR_NAME = Pattern.compile("[0-9a-f]{32}\\.ics");
    /** Everything {@link #render} writes of an event: all but organizer and attendees (never written). */
    private static final Set<EventField> WRITTEN = Set.copyOf(EnumSet.complementOf(
            EnumSet.of(EventField.ORGANIZER, EventField.ATTENDEES)));

    private final DestinationContext ctx;
    private final CalDavSettings settings;
    private final CalDavClient client;
    private final CalDavErrorClassifier classifier = new CalDavErrorClassifier();
    private final String owner;
    private final ZoneId floatingZone;
    private final boolean attendeesInDescription;
    private volatile boolean collectionChecked;

    public CalDavDestinationWriter(DestinationContext ctx, CalDavSettings settings) {
        this.ctx = ctx;
        this.settings = settings;
        this.client = new CalDavClient(settings, ctx.gate());
        this.owner = ctx.owner();
        this.floatingZone = ctx.config().floatingZone();
        this.attendeesInDescription = "description".equals(ctx.config().attendees());
    }

    // ------------------------------------------------------------------------------------------------ SPI

    @Override
    public WriteResult upsert(DestinationEvent de, MappingEntry current) throws Exception {
        ensureCollection();
        CalendarEvent ev = de.event();
        boolean override = ev.recurrenceId() != null;
        String seriesId = override ? seriesIdentity(ev) : de.identity();
        String href = override && de.masterRemoteId() != null ? hrefOf(de.masterRemoteId())
                : current != null && current.remoteId() != null ? hrefOf(current.remoteId()) : defaultHref(seriesId);
        ICalResource rendered = ICalResource.parse(render(de, seriesId));
        ICalResource.Block block = rendered.events().get(0);
        for (int attempt = 0; ; attempt++) {
            CalDavClient.Resource existing = client.get(href);
            boolean created;
            try {
                if (existing == null) {
                    if (override) {
                        throw new DestinationException(ErrorKind.PERMANENT, "seriesMissing",
                                "the series resource " + href + " of this override does not exist");
                    }
                    client.put(href, rendered.compose(PRODID), null, true);
                    created = true;
                } else {
                    ICalResource res = ICalResource.parse(existing.body());
                    String resourceUid = res.events().isEmpty() ? null : res.events().get(0).prop("UID");
                    if (adopted(current, href)) {
                        dropForeign(res, ev);
                    }
                    requireOurs(res, href);
                    ICalResource.Block old = find(res, de.identity(), override);
                    if (current == null && old != null && de.contentHash().equals(old.prop(HASH))) {
                        // crash after the write, before the mapping: already there as it should be, no write
                        rememberSeries(seriesId, res);
                        return new WriteResult(remoteId(href, de.identity(), override), old.fingerprint(), false);
                    }
                    // the resource keeps its UID (a user-made resource we took over has the user's)
                    ICalResource.Block mine = block.withUid(resourceUid);
                    if (old != null) {
                        res.events().set(res.events().indexOf(old), mine);
                    } else if (override) {
                        res.events().add(mine);
                    } else {
                        res.events().add(0, mine);
                    }
                    res.mergeTimezones(rendered);
                    client.put(href, res.compose(PRODID), existing.etag(), false);
                    created = false;
                }
            } catch (CalDavHttpException e) {
                if (e.status() == 412 && attempt == 0) {
                    continue;
                }
                throw e;
            }
            ICalResource after = readBack(href);
            ICalResource.Block written = after == null ? null : find(after, de.identity(), override);
            if (written == null) {
                throw new DestinationException(ErrorKind.TRANSIENT, "notVisible",
                        "PUT " + href + " succeeded but the event is not in the resource read back");
            }
            rememberSeries(seriesId, after);
            return new WriteResult(remoteId(href, de.identity(), override), written.fingerprint(), created);
        }
    }

    @Override
    public void delete(DestinationEvent de, MappingEntry current) throws Exception {
        String href = hrefOf(current.remoteId());
        boolean override = current.recurrenceId() != null;
        for (int attempt = 0; ; attempt++) {
            CalDavClient.Resource existing = client.get(href);
            if (existing == null) {
                return;
            }
            ICalResource res = ICalResource.parse(existing.body());
            requireOurs(res, href);
            try {
                if (!override) {
                    ICalResource.Block master = find(res, de.identity(), false);
                    if (master == null) {
                        return;
                    }
                    client.delete(href, existing.etag());
                    ctx.store().deleteSetting(seriesKey(de.identity()));
                } else {
                    ICalResource.Block block = find(res, de.identity(), true);
                    if (block == null) {
                        return;
                    }
                    res.events().remove(block);
                    client.put(href, res.compose(PRODID), existing.etag(), false);
                    rememberSeries(current.seriesIdentity() != null ? current.seriesIdentity()
                            : nameOf(href), res);
                }
                return;
            } catch (CalDavHttpException e) {
                if (e.status() == 412 && attempt == 0) {
                    continue;
                }
                throw e;
            }
        }
    }

    @Override
    public void listOwn(Consumer<RemoteEvent> sink) throws Exception {
        ensureCollection();
        for (CalDavClient.Entry e : client.listAll().entries()) {
            if (e.status() == 200 && e.calendarData() != null) {
                emitOurs(e.href(), ICalResource.parse(e.calendarData()), sink);
            }
        }
    }

    @Override
    public RemoteChanges readChanges(String cursor) throws Exception {
        ensureCollection();
        if (cursor == null) {
            return new RemoteChanges(List.of(), client.syncCollection(null, false).syncToken());
        }
        CalDavClient.MultiStatus ms = client.syncCollection(cursor, true);
        List<RemoteEvent> out = new ArrayList<>();
        for (CalDavClient.Entry e : ms.entries()) {
            if (!e.href().endsWith(".ics")) {
                continue;
            }
            String name = nameOf(e.href());
            if (e.status() == 404) {
                if (OUR_NAME.matcher(name + ".ics").matches() && e.href().startsWith(client.collectionPath())) {
                    out.add(new RemoteEvent(e.href(), name, null, null, true, null, null));
                    for (String key : seriesKeys(name)) {
                        out.add(new RemoteEvent(remoteId(e.href(), key, true), key, null, null, true, null, name));
                    }
                }
                continue;
            }
            String data = e.calendarData();
            if (data == null) {
                CalDavClient.Resource r = client.get(e.href());
                if (r == null) {
                    continue;
                }
                data = r.body();
            }
            ICalResource res = ICalResource.parse(data);
            Set<String> seen = emitChanged(e.href(), res, httpDate(e.lastModified()), out::add);
            if (OUR_NAME.matcher(name + ".ics").matches()) {
                for (String key : seriesKeys(name)) {
                    if (!seen.contains(key)) {
                        out.add(new RemoteEvent(remoteId(e.href(), key, true), key, null, null, true, null, name));
                    }
                }
            }
        }
        return new RemoteChanges(out, ms.syncToken());
    }

    @Override
    public Set<EventField> writtenFields() {
        return WRITTEN;
    }

    /** The event as {@link #render} shapes it: no organizer/attendees, attendee text in the description, pinned times. */
    @Override
    public CalendarEvent asWritten(CalendarEvent e) {
        return e.toBuilder()
                .organizer(null)
                .attendees(List.of())
                .description(description(e))
                .start(pin(e.start()))
                .end(pin(e.end()))
                .recurrenceId(pin(e.recurrenceId()))
                .exdates(e.exdates().stream().map(this::pin).toList())
                .rdates(e.rdates().stream().map(this::pin).toList())
                .build();
    }

    /** {@link EventField#merge}, with the attendee text we append to the description taken back out. */
    @Override
    public CalendarEvent merge(CalendarEvent consolidated, CalendarEvent remote) {
        CalendarEvent merged = DestinationWriter.super.merge(consolidated, remote);
        if (java.util.Objects.equals(merged.description(), consolidated.description())) {
            return merged;
        }
        return merged.toBuilder().description(AttendeeText.withoutAttendeeText(merged.description(), consolidated,
                attendeesInDescription)).build();
    }

    /** PROPPATCH of the collection's {@code DAV:displayname}. */
    @Override
    public void renameCalendar(String displayName) throws Exception {
        ensureCollection();
        client.setDisplayName(displayName);
    }

    @Override
    public DestinationErrorClassifier classifier() {
        return classifier;
    }

    // ------------------------------------------------------------------------------------------------ helpers

    private void ensureCollection() throws Exception {
        if (collectionChecked) {
            return;
        }
        if (settings.createCalendar() && !client.collectionExists()) {
            client.mkcalendar();
        }
        collectionChecked = true;
    }

    private Set<String> emitOurs(String href, ICalResource res, Consumer<RemoteEvent> sink) {
        Set<String> keys = new LinkedHashSet<>();
        for (ICalResource.Block b : res.events()) {
            String key = b.prop(KEY);
            if (key == null || !owner.equals(b.prop(OWNER))) {
                continue;
            }
            boolean override = b.prop("RECURRENCE-ID") != null;
            keys.add(key);
            sink.accept(new RemoteEvent(remoteId(href, key, override), key, b.prop(HASH), b.fingerprint(), false,
                    override ? b.prop(RID) : null, override ? b.prop(SERIES) : null));
        }
        return keys;
    }

    /**
     * The VEVENTs of a changed resource: ours as {@link #emitOurs} gives them plus their content and modification
     * time; foreign ones (no identity) with their content, for two-way creates. Returns the keys of ours.
     */
    private Set<String> emitChanged(String href, ICalResource res, Instant resourceModified,
                                    Consumer<RemoteEvent> sink) {
        Set<String> keys = new LinkedHashSet<>();
        for (ICalResource.Block b : res.events()) {
            String key = b.prop(KEY);
            boolean override = b.prop("RECURRENCE-ID") != null;
            boolean ours = key != null && owner.equals(b.prop(OWNER));
            CalendarEvent ev = eventOf(res, b);
            Instant modified = ev != null && ev.lastModified() != null ? ev.lastModified() : resourceModified;
            if (ours) {
                keys.add(key);
                sink.accept(new RemoteEvent(remoteId(href, key, override), key, b.prop(HASH), b.fingerprint(), false,
                        override ? b.prop(RID) : null, override ? b.prop(SERIES) : null, ev, modified));
            } else if (ev != null && key == null) {
                sink.accept(new RemoteEvent(remoteId(href, SyncKey.identityOf(ev), override), null, null,
                        b.fingerprint(), false, null, null, ev, modified));
            }
        }
        return keys;
    }

    /** One VEVENT parsed on its own (with the resource's VTIMEZONEs); null when it cannot be read. */
    private static CalendarEvent eventOf(ICalResource res, ICalResource.Block b) {
        ICalResource one = new ICalResource();
        one.timezones().putAll(res.timezones());
        one.events().add(b);
        List<CalendarEvent> parsed = parseOrEmpty(one.compose(PRODID));
        return parsed.size() == 1 ? parsed.get(0) : null;
    }

    private static List<CalendarEvent> parseOrEmpty(String data) {
        try {
            return ICalCodec.parse(data, null);
        } catch (Exception e) {
            return List.of(); // unreadable: no content, the sync repairs it as in one-way sync
        }
    }

    private static Instant httpDate(String value) {
        if (value == null || value.isBlank()) {
            return null;
        }
        try {
            return ZonedDateTime.parse(value.trim(), DateTimeFormatter.RFC_1123_DATE_TIME).toInstant();
        } catch (DateTimeParseException e) {
            return null;
        }
    }

    /** A mapping entry without content hash on this very resource: a user-created event the sync adopted. */
    private static boolean adopted(MappingEntry current, String href) {
        return current != null && current.live() && current.contentHash() == null && current.remoteId() != null
                && hrefOf(current.remoteId()).equals(href);
    }

    /**
     * Taking over an adopted resource: its untagged VEVENT that {@code ev} replaces (same RECURRENCE-ID, or the one
     * without) is removed, so that our tagged one takes its place.
     */
    private void dropForeign(ICalResource res, CalendarEvent ev) {
        res.events().removeIf(b -> {
            if (owner.equals(b.prop(OWNER))) {
                return false;
            }
            CalendarEvent old = eventOf(res, b);
            if (old == null) {
                return ev.recurrenceId() == null && b.prop("RECURRENCE-ID") == null;
            }
            return ev.recurrenceId() == null ? old.recurrenceId() == null
                    : old.recurrenceId() != null && SyncKey.ridText(old.recurrenceId()).equals(
                    SyncKey.ridText(ev.recurrenceId()));
        });
    }

    private void requireOurs(ICalResource res, String href) {
        for (ICalResource.Block b : res.events()) {
            if (!owner.equals(b.prop(OWNER))) {
                throw new DestinationException(ErrorKind.PERMANENT, "foreignResource",
                        href + " exists and is not ours (no " + OWNER + ":" + owner + "); left untouched");
            }
        }
    }

    /** Our VEVENT for {@code identity}: by key tag; the master also as the VEVENT without RECURRENCE-ID. */
    private static ICalResource.Block find(ICalResource res, String identity, boolean override) {
        for (ICalResource.Block b : res.events()) {
            if (identity.equals(b.prop(KEY))) {
                return b;
            }
        }
        if (!override) {
            for (ICalResource.Block b : res.events()) {
                if (b.prop("RECURRENCE-ID") == null) {
                    return b;
                }
            }
        }
        return null;
    }

    private ICalResource readBack(String href) throws Exception {
        CalDavClient.Resource r = client.get(href);
        return r == null ? null : ICalResource.parse(r.body());
    }

    private void rememberSeries(String seriesId, ICalResource res) {
        List<String> keys = new ArrayList<>();
        for (ICalResource.Block b : res.events()) {
            if (b.prop("RECURRENCE-ID") != null && b.prop(KEY) != null && owner.equals(b.prop(OWNER))) {
                keys.add(b.prop(KEY));
            }
        }
        String k = seriesKey(seriesId);
        if (keys.isEmpty()) {
            if (ctx.store().getSetting(k).isPresent()) {
                ctx.store().deleteSetting(k);
            }
        } else {
            String v = String.join(",", keys);
            if (!v.equals(ctx.store().getSetting(k).orElse(null))) {
                ctx.store().putSetting(k, v);
            }
        }
    }

    private List<String> seriesKeys(String seriesId) {
        return ctx.store().getSetting(seriesKey(seriesId)).map(v -> Arrays.asList(v.split(",")))
                .orElse(List.of());
    }

    private String seriesKey(String seriesId) {
        return ctx.settingKey("caldav.series." + seriesId);
    }

    String defaultHref(String seriesId) {
        return client.collectionPath() + seriesId + ".ics";
    }

    private static String hrefOf(String remoteId) {
        int hash = remoteId.indexOf('#');
        return hash < 0 ? remoteId : remoteId.substring(0, hash);
    }

    private static String remoteId(String href, String identity, boolean override) {
        return override ? href + "#" + identity : href;
    }

    private static String nameOf(String href) {
        String n = href.substring(href.lastIndexOf('/') + 1);
        return n.endsWith(".ics") ? n.substring(0, n.length() - 4) : n;
    }

    static String seriesIdentity(CalendarEvent e) {
        return SyncKey.identityOf(CalendarEvent.builder().uid(e.uid()).build());
    }

    /** The VCALENDAR text of one event, shaped for the destination and tagged. */
    String render(DestinationEvent de, String seriesId) {
        CalendarEvent e = de.event();
        Map<String, String> tags = new LinkedHashMap<>();
        tags.put(OWNER, owner);
        tags.put(KEY, de.identity());
        tags.put(HASH, de.contentHash());
        if (de.origin() != null) {
            tags.put(ORIGIN, de.origin());
        }
        if (e.recurrenceId() != null) {
            tags.put(RID, SyncKey.ridText(e.recurrenceId()));
            tags.put(SERIES, seriesId);
        }
        CalendarEvent shaped = e.toBuilder()
                .uid(seriesId + "@chronoroute")
                .organizer(null)
                .attendees(List.of())
                .description(description(e))
                .origin(null)
                .start(pin(e.start()))
                .end(pin(e.end()))
                .recurrenceId(pin(e.recurrenceId()))
                .exdates(e.exdates().stream().map(this::pin).toList())
                .rdates(e.rdates().stream().map(this::pin).toList())
                .build();
        return ICalCodec.write(List.of(shaped), PRODID, x -> tags);
    }

    private EventTime pin(EventTime t) {
        return t == null || !t.isFloating() ? t : EventTime.ofZoned(t.floating(), floatingZone);
    }

    private String description(CalendarEvent e) {
        return AttendeeText.description(e, attendeesInDescription);
    }
}
