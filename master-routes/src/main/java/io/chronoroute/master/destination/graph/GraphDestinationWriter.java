package io.chronoroute.master.destination.graph;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.chronoroute.master.destination.BatchingWriter;
import io.chronoroute.master.destination.DestinationContext;
import io.chronoroute.master.destination.DestinationEvent;
import io.chronoroute.master.destination.DestinationMapping;
import io.chronoroute.master.destination.DestinationWriter;
import io.chronoroute.master.destination.EventField;
import io.chronoroute.master.destination.MappingEntry;
import io.chronoroute.master.destination.RemoteChanges;
import io.chronoroute.master.destination.RemoteEvent;
import io.chronoroute.master.destination.WriteResult;
import io.chronoroute.processors.model.CalendarEvent;
import io.chronoroute.processors.model.EventTime;
import io.chronoroute.processors.sync.SyncKey;
import io.chronoroute.processors.wire.WireJson;
import io.chronoroute.providers.common.AttendeeText;
import io.chronoroute.providers.common.DestinationErrorClassifier;
import io.chronoroute.providers.common.DestinationException;
import io.chronoroute.providers.common.ErrorKind;
import io.chronoroute.providers.graph.GraphClient;
import io.chronoroute.providers.graph.GraphErrorClassifier;
import io.chronoroute.providers.graph.GraphEventMapper;
import io.chronoroute.providers.graph.GraphHttpException;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneId;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.function.Consumer;

/**
 * Writes the consolidated calendar into a Microsoft 365 calendar through Microsoft Graph ({@link GraphClient}: plain
 * HTTP + Jackson, bearer token from {@code GraphAuth}, JSON batches of at most {@value GraphClient#MAX_BATCH}, at
 * most {@value GraphClient#MAX_CONCURRENT} requests in flight per mailbox, every request through the destination's
 * rate gate). One Graph event per single event / series master; an override is the occurrence PATCHed (Graph makes
 * it an exception); an EXDATE is the occurrence deleted after the master is written.
 *
 * <h2>Tags</h2>
 * Two string {@code singleValueExtendedProperties} in our property set: {@link #KEY_PROPERTY} =
 * {@code <owner>/<identity>} (filterable, so "do we already have it" is one {@code $filter}) and
 * {@link #TAG_PROPERTY} = a small JSON object with owner, key, hash, origin and for overrides rid and series
 * ({@link #listOwn} reads it back with {@code $expand}, so a lost store is rebuilt from the mailbox).
 *
 * <h2>No duplicates</h2>
 * Graph has no client-chosen ids. A create carries a {@code transactionId} derived from owner and identity (Graph
 * answers a retried POST with the event created first), and the single-call path looks for an event carrying our
 * key before creating ({@link #findOurs}). Batched creates rely on the transactionId and on the framework: our
 * events the change feed reports but the mapping lacks are adopted, and a full reconcile removes duplicates.
 *
 * <h2>No invitations</h2>
 * Organizer and attendees are never written (Graph would send invitations); people go into the body
 * ({@code attendees=description}, {@link AttendeeText}).
 *
 * <h2>Versions</h2>
 * The version remembered per event is a fingerprint of the fields we write as Graph returns them (subject, body,
 * start, end, all-day, location, showAs, sensitivity, categories, recurrence, isCancelled), not the changeKey:
 * Exchange changes a master's changeKey whenever one of its occurrences changes, which is no edit of the master.
 * The delta feed returns the same fields, so an unchanged event of ours is recognised without reading it again.
 *
 * <h2>Two-way</h2>
 * {@link #readChanges}: {@code /calendars/{id}/events/delta} (series masters and single events), the delta link
 * is the cursor (410 → CURSOR_EXPIRED, the framework reconciles). An item whose fingerprint equals the mapping's
 * version is our own write; any other is read again with our tag expanded (GETs in JSON batches): ours come with
 * their content mapped back ({@link GraphEventMapper#read}) and {@code lastModifiedDateTime}; an event the user
 * created (no tag) comes foreign with its content and {@code iCalUId} as uid, for a create at the
 * {@code create-target}; once the sync adopted it (mapping entry without content hash) {@link #upsert} takes that
 * very event over (PATCH with our tags). Removed items are matched through the mapping. Not reported: changes of
 * single occurrences (exceptions) and occurrences deleted in Outlook (they are no delta items of events/delta).
 */
public final class GraphDestinationWriter implements BatchingWriter {

    static final String PROPERTY_SET = "{b3c1e7a4-5d2f-4a86-9e0b-7c4d2f1a8e53}";
    public static final String KEY_PROPERTY = "String " + PROPERTY_SET + " Name ChronorouteKey";
    public static final String TAG_PROPERTY = "String " + PROPERTY_SET + " Name ChronorouteTag";
    static final String DELETED_VERSION = "deleted";
    private static final int PAGE = 500;
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final DateTimeFormatter UTC = DateTimeFormatter.ofPattern("yyyy-MM-dd'T'HH:mm:ss'Z'")
            .withZone(java.time.ZoneOffset.UTC);
    private static final Set<EventField> WRITTEN = Set.of(EventField.TITLE, EventField.DESCRIPTION,
            EventField.LOCATION, EventField.START, EventField.END);

    private final DestinationContext ctx;
    private final GraphClient client;
    private final GraphDestinationSettings settings;
    private final String base;
    private final String owner;
    private final ZoneId floatingZone;
    private final boolean attendeesInDescription;
    private final GraphErrorClassifier classifier = new GraphErrorClassifier();
    private String calendarId;

    public GraphDestinationWriter(DestinationContext ctx, GraphClient client, GraphDestinationSettings settings) {
        this.ctx = ctx;
        this.client = client;
        this.settings = settings;
        this.base = settings.mailbox() == null ? "/me" : "/users/" + GraphClient.seg(settings.mailbox());
        this.owner = ctx.owner();
        this.floatingZone = ctx.config().floatingZone();
        this.attendeesInDescription = "description".equals(ctx.config().attendees());
    }

    public GraphClient client() {
        return client;
    }

    // ------------------------------------------------------------------------------------------------ calendar

    /**
     * The calendar's id: remembered in the store ({@code destination.<name>.graph.calendar}) for the configured
     * calendar; else the mailbox's default calendar ({@code primary}), a calendar of that id or name, or (with
     * {@code create-calendar}) a new one of that name.
     */
    public synchronized String calendarId() {
        if (calendarId != null) {
            return calendarId;
        }
        String wanted = settings.calendar() != null ? settings.calendar() : ctx.config().calendarId();
        String key = ctx.settingKey("graph.calendar");
        String stored = ctx.store().getSetting(key).orElse(null);
        if (stored != null && stored.startsWith(wanted + "\t")) {
            calendarId = stored.substring(wanted.length() + 1);
            return calendarId;
        }
        String id = null;
        if (wanted.equals("primary")) {
            id = client.get(base + "/calendar").path("id").asText(null);
        } else {
            for (JsonNode c : client.list(base + "/calendars")) {
                if (wanted.equals(c.path("id").asText()) || wanted.equals(c.path("name").asText())) {
                    id = c.path("id").asText();
                    break;
                }
            }
            if (id == null && settings.createCalendar()) {
                id = client.send("POST", base + "/calendars", JSON.createObjectNode().put("name", wanted), null)
                        .path("id").asText(null);
            }
        }
        if (id == null) {
            throw new DestinationException(ErrorKind.PERMANENT, "calendarNotFound", "the mailbox has no calendar '"
                    + wanted + "' (set graph.create-calendar to create it)");
        }
        ctx.store().putSetting(key, wanted + "\t" + id);
        calendarId = id;
        return id;
    }

    private String calendarPath() {
        return base + "/calendars/" + GraphClient.seg(calendarId());
    }

    private String eventPath(String id) {
        return base + "/events/" + GraphClient.seg(id);
    }

    private static String expandTag() {
        return "$expand=" + GraphClient.q("singleValueExtendedProperties($filter=id eq '" + TAG_PROPERTY + "')");
    }

    // ------------------------------------------------------------------------------------------------ writes

    @Override
    public WriteResult upsert(DestinationEvent de, MappingEntry current) throws Exception {
        ObjectNode body = body(de);
        if (de.isOverride()) {
            return upsertOverride(de, current, body);
        }
        if (adopted(current)) {
            WriteResult taken = takeOver(de, current, body);
            if (taken != null) {
                return taken;
            }
        } else if (current != null && current.remoteId() != null && current.live()) {
            try {
                JsonNode r = client.send("PATCH", eventPath(current.remoteId()), body, null);
                cancelExdates(de.event(), current.remoteId());
                return new WriteResult(current.remoteId(), fingerprint(r), false);
            } catch (DestinationException e) {
                if (GraphClient.status(e) != 404) {
                    throw e;
                }
            }
        }
        JsonNode existing = findOurs(de.identity());
        if (existing != null) {
            String id = existing.path("id").asText();
            JsonNode r = client.send("PATCH", eventPath(id), body, null);
            cancelExdates(de.event(), id);
            return new WriteResult(id, fingerprint(r), false);
        }
        JsonNode r = client.send("POST", calendarPath() + "/events", withTransaction(body, de.identity()), null);
        String id = r.path("id").asText();
        cancelExdates(de.event(), id);
        return new WriteResult(id, fingerprint(r), true);
    }

    /** The occurrence PATCHed (Graph makes it an exception with our tags); a cancelled override deletes it. */
    private WriteResult upsertOverride(DestinationEvent de, MappingEntry current, ObjectNode body) {
        String id = current != null && current.remoteId() != null && current.live() ? current.remoteId() : null;
        if (id == null) {
            id = occurrenceId(de.masterRemoteId(), de.event().recurrenceId());
        }
        if ("CANCELLED".equalsIgnoreCase(de.event().status())) {
            deleteQuietly(id);
            return new WriteResult(id, DELETED_VERSION, false);
        }
        JsonNode r = client.send("PATCH", eventPath(id), body, null);
        return new WriteResult(r.path("id").asText(id), fingerprint(r), false);
    }

    /** The id of the occurrence (or exception) of the series at its original start; PERMANENT when there is none. */
    private String occurrenceId(String masterId, EventTime originalStart) {
        if (masterId == null) {
            throw new DestinationException(ErrorKind.PERMANENT, "noMaster", "the series master is not written");
        }
        Instant at = instantOf(originalStart);
        for (JsonNode i : client.list(eventPath(masterId) + "/instances?startDateTime=" + UTC.format(at)
                + "&endDateTime=" + UTC.format(at.plusSeconds(1)))) {
            if (at.equals(originalStartOf(i))) {
                return i.path("id").asText();
            }
        }
        throw new DestinationException(ErrorKind.PERMANENT, "occurrenceMissing", "the series has no occurrence at "
                + originalStart.canonical());
    }

    private Instant originalStartOf(JsonNode instance) {
        String s = instance.hasNonNull("originalStart") ? instance.get("originalStart").asText()
                : instance.path("start").path("dateTime").asText();
        return parseUtc(s);
    }

    /** EXDATEs of a master: each occurrence still there is deleted (Graph cancels it; no message is sent). */
    private void cancelExdates(CalendarEvent e, String masterId) {
        if (e == null || e.rrules().isEmpty() || e.exdates().isEmpty()) {
            return;
        }
        for (EventTime x : e.exdates()) {
            Instant at = instantOf(x);
            for (JsonNode i : client.list(eventPath(masterId) + "/instances?startDateTime=" + UTC.format(at)
                    + "&endDateTime=" + UTC.format(at.plusSeconds(1)))) {
                if ("occurrence".equals(i.path("type").asText()) && at.equals(originalStartOf(i))) {
                    deleteQuietly(i.path("id").asText());
                }
            }
        }
    }

    private Instant instantOf(EventTime t) {
        return t.isDate() ? t.date().atStartOfDay(floatingZone).toInstant() : t.toInstant(floatingZone);
    }

    static boolean adopted(MappingEntry current) {
        return current != null && current.live() && current.contentHash() == null && current.remoteId() != null;
    }

    /**
     * Take-over of an event the user created in Outlook and the sync adopted: that very event gets our content and
     * tags (never a second event). Null when it is gone (the caller creates). An event tagged by another owner or
     * identity is refused.
     */
    private WriteResult takeOver(DestinationEvent de, MappingEntry current, ObjectNode body) {
        JsonNode existing;
        try {
            existing = client.get(eventPath(current.remoteId()) + "?" + expandTag());
        } catch (DestinationException e) {
            if (GraphClient.status(e) == 404) {
                return null;
            }
            throw e;
        }
        Map<String, String> tag = tagOf(existing);
        if (tag != null && !(owner.equals(tag.get("owner")) && de.identity().equals(tag.get("key")))) {
            throw new DestinationException(ErrorKind.PERMANENT, "foreignId", "event adopted as a user-created event "
                    + "carries another owner's or identity's tag; left untouched");
        }
        JsonNode r = client.send("PATCH", eventPath(current.remoteId()), body, null);
        cancelExdates(de.event(), current.remoteId());
        return new WriteResult(current.remoteId(), fingerprint(r), false);
    }

    /** Our event carrying {@code identity} in this calendar (a create whose bookkeeping was lost), or null. */
    JsonNode findOurs(String identity) {
        String filter = "singleValueExtendedProperties/Any(ep: ep/id eq '" + KEY_PROPERTY + "' and ep/value eq '"
                + keyValue(identity).replace("'", "''") + "')";
        for (JsonNode e : client.list(calendarPath() + "/events?$filter=" + GraphClient.q(filter) + "&"
                + expandTag())) {
            Map<String, String> tag = tagOf(e);
            if (tag != null && owner.equals(tag.get("owner")) && identity.equals(tag.get("key"))) {
                return e;
            }
        }
        return null;
    }

    @Override
    public void delete(DestinationEvent de, MappingEntry current) throws Exception {
        if (current.recurrenceId() != null && current.seriesIdentity() != null) {
            if (de.masterEvent() == null || de.masterRemoteId() == null) {
                return; // the series is gone with its master
            }
            resetOccurrence(de, current);
            return;
        }
        deleteQuietly(current.remoteId());
    }

    /**
     * The override went away: its occurrence gets the master's content at its original start again, and our tags
     * are emptied (Graph cannot turn an exception back into a plain occurrence, nor remove an extended property).
     */
    private void resetOccurrence(DestinationEvent de, MappingEntry current) {
        CalendarEvent master = de.masterEvent();
        EventTime rid = de.event() != null && de.event().recurrenceId() != null ? de.event().recurrenceId()
                : master.start();
        String id = current.remoteId() != null && current.live() ? current.remoteId()
                : occurrenceId(de.masterRemoteId(), rid);
        EventTime end;
        if (rid.isDate()) {
            long days = master.end() == null ? 1 : java.time.temporal.ChronoUnit.DAYS.between(master.start().date(),
                    master.end().date());
            end = EventTime.ofDate(rid.date().plusDays(days));
        } else {
            Duration len = master.end() == null ? Duration.ZERO : Duration.between(
                    master.start().toInstant(floatingZone), master.end().toInstant(floatingZone));
            end = rid.isFloating() ? EventTime.ofFloating(rid.floating().plus(len))
                    : EventTime.ofInstant(rid.toInstant(floatingZone).plus(len), rid.zone());
        }
        CalendarEvent occurrence = master.toBuilder().rrules(List.of()).exdates(List.of()).rdates(List.of())
                .recurrenceId(rid).start(rid).end(end).build();
        ObjectNode body = GraphEventMapper.written(occurrence.toBuilder().description(AttendeeText.description(
                occurrence, attendeesInDescription)).build(), floatingZone);
        ArrayNode props = body.putArray("singleValueExtendedProperties");
        props.addObject().put("id", KEY_PROPERTY).put("value", "");
        props.addObject().put("id", TAG_PROPERTY).put("value", "");
        try {
            client.send("PATCH", eventPath(id), body, null);
        } catch (DestinationException e) {
            if (GraphClient.status(e) != 404) {
                throw e;
            }
        }
    }

    private void deleteQuietly(String id) {
        try {
            client.send("DELETE", eventPath(id), null, null);
        } catch (DestinationException e) {
            int s = GraphClient.status(e);
            if (s != 404 && s != 410) {
                throw e;
            }
        }
    }

    // ------------------------------------------------------------------------------------------------ batches

    @Override
    public int maxBatchSize() {
        return GraphClient.MAX_BATCH;
    }

    /**
     * Creates (POST with transactionId), updates (PATCH) and deletes of single events and masters as parts of one
     * {@code POST /$batch}; each part takes one token of the rate gate (Graph counts each part against the mailbox's
     * limit). Overrides and take-overs go the single-call path, as does an update answering 404. A part answered
     * 429/5xx fails with its Retry-After (the framework retries it); a delete answering 404 is done.
     */
    @Override
    public List<BatchOutcome> writeBatch(List<BatchItem> items) throws Exception {
        if (items.size() > GraphClient.MAX_BATCH) {
            throw new IllegalArgumentException("a Graph batch holds at most " + GraphClient.MAX_BATCH + " requests");
        }
        BatchOutcome[] out = new BatchOutcome[items.size()];
        List<GraphClient.BatchRequest> reqs = new ArrayList<>();
        List<Integer> index = new ArrayList<>();
        for (int i = 0; i < items.size(); i++) {
            BatchItem it = items.get(i);
            GraphClient.BatchRequest r = request(it);
            if (r == null) {
                out[i] = BatchOutcome.single();
            } else {
                reqs.add(r);
                index.add(i);
            }
        }
        if (reqs.isEmpty()) {
            return Arrays.asList(out);
        }
        for (int i = 1; i < reqs.size(); i++) {
            ctx.gate().acquire(true); // the envelope itself takes the first token inside GraphClient
        }
        List<GraphClient.BatchResponse> answers = client.batch(reqs);
        for (int k = 0; k < reqs.size(); k++) {
            int i = index.get(k);
            out[i] = outcome(items.get(i), reqs.get(k), answers.get(k));
        }
        return Arrays.asList(out);
    }

    private GraphClient.BatchRequest request(BatchItem it) {
        DestinationEvent de = it.event();
        MappingEntry current = it.current();
        if (it.kind() == BatchItem.Kind.DELETE) {
            if (current.recurrenceId() != null && current.seriesIdentity() != null) {
                return null;
            }
            return new GraphClient.BatchRequest("DELETE", eventPath(current.remoteId()), null, null);
        }
        if (de.isOverride() || adopted(current)) {
            return null;
        }
        ObjectNode body;
        try {
            body = body(de);
        } catch (DestinationException e) {
            return null; // the single-call path reports it
        }
        if (current != null && current.remoteId() != null && current.live()) {
            return new GraphClient.BatchRequest("PATCH", eventPath(current.remoteId()), body, null);
        }
        return new GraphClient.BatchRequest("POST", calendarPath() + "/events", withTransaction(body, de.identity()),
                null);
    }

    private BatchOutcome outcome(BatchItem it, GraphClient.BatchRequest req, GraphClient.BatchResponse a) {
        if (it.kind() == BatchItem.Kind.DELETE) {
            if (a.ok() || a.status() == 404 || a.status() == 410) {
                return BatchOutcome.done(null);
            }
            return BatchOutcome.failed(error(a));
        }
        if (!a.ok()) {
            if (a.status() == 404 && req.method().equals("PATCH")) {
                return BatchOutcome.single();
            }
            return BatchOutcome.failed(error(a));
        }
        String id = a.body().path("id").asText();
        try {
            cancelExdates(it.event().event(), id);
        } catch (DestinationException e) {
            return BatchOutcome.failed(e);
        }
        return BatchOutcome.done(new WriteResult(id, fingerprint(a.body()), req.method().equals("POST")));
    }

    private static GraphHttpException error(GraphClient.BatchResponse a) {
        JsonNode e = a.body().path("error");
        return new GraphHttpException(a.status(), e.path("code").asText(null), e.path("message").asText(null),
                a.retryAfter());
    }

    // ------------------------------------------------------------------------------------------------ reads

    /** Every event of the calendar carrying our tag with our owner (series masters and single events). */
    @Override
    public void listOwn(Consumer<RemoteEvent> sink) throws Exception {
        String filter = "singleValueExtendedProperties/Any(ep: ep/id eq '" + TAG_PROPERTY + "')";
        for (JsonNode e : client.list(calendarPath() + "/events?$top=" + PAGE + "&$filter=" + GraphClient.q(filter)
                + "&" + expandTag())) {
            RemoteEvent r = toRemote(e);
            if (r.ours()) {
                sink.accept(r);
            }
        }
    }

    @Override
    public RemoteChanges readChanges(String cursor) throws Exception {
        GraphClient.Delta d = client.delta(cursor != null ? cursor : calendarPath() + "/events/delta");
        if (cursor == null || d.items().isEmpty()) {
            return new RemoteChanges(List.of(), d.deltaLink());
        }
        Map<String, Mapped> mapped = index();
        List<RemoteEvent> out = new ArrayList<>();
        List<String> reread = new ArrayList<>();
        for (JsonNode item : d.items()) {
            String id = item.path("id").asText();
            Mapped m = mapped.get(id);
            if (item.has("@removed")) {
                if (m != null && m.entry().live()) {
                    out.add(new RemoteEvent(id, m.identity(), m.entry().contentHash(), DELETED_VERSION, true,
                            m.entry().recurrenceId(), m.entry().seriesIdentity(), null, null));
                }
                continue;
            }
            if (m != null && fingerprint(item).equals(m.entry().version())) {
                continue; // our own write
            }
            reread.add(id);
        }
        List<GraphClient.BatchRequest> gets = reread.stream().map(id -> new GraphClient.BatchRequest("GET",
                eventPath(id) + "?" + expandTag(), null, null)).toList();
        for (int from = 0; from < gets.size(); from += GraphClient.MAX_BATCH) {
            List<GraphClient.BatchRequest> chunk = gets.subList(from, Math.min(gets.size(),
                    from + GraphClient.MAX_BATCH));
            for (int i = 1; i < chunk.size(); i++) {
                ctx.gate().acquire(false);
            }
            for (GraphClient.BatchResponse a : client.batch(chunk)) {
                if (a.ok()) {
                    out.add(remoteOfChange(a.body()));
                } else if (a.status() != 404) {
                    throw error(a);
                }
            }
        }
        return new RemoteChanges(out, d.deltaLink());
    }

    private record Mapped(String identity, MappingEntry entry) {
    }

    /** The mapping by remote id (only built when the delta round has items). */
    private Map<String, Mapped> index() {
        DestinationMapping mapping = new DestinationMapping(ctx.store(), ctx.name());
        Map<String, Mapped> out = new HashMap<>();
        ctx.store().forEachConsolidated(true, c -> mapping.get(c.identity()).filter(m -> m.remoteId() != null)
                .ifPresent(m -> out.put(m.remoteId(), new Mapped(c.identity(), m))));
        return out;
    }

    /** A changed event read again with our tag: ours with its content mapped back, or a user's (foreign). */
    private RemoteEvent remoteOfChange(JsonNode item) {
        RemoteEvent r = toRemote(item);
        Instant modified = item.hasNonNull("lastModifiedDateTime")
                ? parseUtc(item.get("lastModifiedDateTime").asText()) : null;
        if (!r.ours()) {
            return foreign(item, r, modified);
        }
        CalendarEvent consolidated = consolidated(r.identity());
        CalendarEvent event = GraphEventMapper.read(item, List.of(), consolidated != null ? consolidated.uid()
                : item.path("iCalUId").asText(null)).get(0);
        if (consolidated != null) {
            event = event.toBuilder().recurrenceId(consolidated.recurrenceId()).build();
        }
        return new RemoteEvent(r.remoteId(), r.identity(), r.contentHash(), r.version(), false, r.recurrenceId(),
                r.seriesIdentity(), event, modified);
    }

    /**
     * An event without our tag: created by the user in Outlook/OWA. Reported with its content (uid = iCalUId) only
     * when it can become a create ({@code two-way} with a {@code create-target}) and is a live single event or
     * series master without another owner's tag.
     */
    private RemoteEvent foreign(JsonNode item, RemoteEvent r, Instant modified) {
        boolean creates = ctx.config().twoWay() && ctx.config().createTarget() != null;
        String type = item.path("type").asText("singleInstance");
        if (!creates || tagOf(item) != null || item.path("isCancelled").asBoolean()
                || !item.hasNonNull("iCalUId") || !(type.equals("singleInstance") || type.equals("seriesMaster"))) {
            return r;
        }
        CalendarEvent event = GraphEventMapper.read(item, List.of(), null).get(0).toBuilder().organizer(null)
                .attendees(List.of()).build();
        return new RemoteEvent(r.remoteId(), null, null, r.version(), false, null, null, event, modified);
    }

    private CalendarEvent consolidated(String identity) {
        return ctx.store().findConsolidated(identity).filter(c -> c.eventJson() != null)
                .map(c -> WireJson.fromJson(c.eventJson())).orElse(null);
    }

    /** Our view of a Graph event: identity etc. only when its tag carries our owner. */
    RemoteEvent toRemote(JsonNode item) {
        Map<String, String> tag = tagOf(item);
        String id = item.path("id").asText();
        if (tag == null || !owner.equals(tag.get("owner")) || tag.get("key") == null) {
            return new RemoteEvent(id, null, null, fingerprint(item), false, null, null);
        }
        return new RemoteEvent(id, tag.get("key"), tag.get("hash"), fingerprint(item), false, tag.get("rid"),
                tag.get("series"));
    }

    /** Our tag of an event read with {@code $expand}, or null (none, empty, or not ours). */
    static Map<String, String> tagOf(JsonNode item) {
        for (JsonNode p : item.path("singleValueExtendedProperties")) {
            if (TAG_PROPERTY.equalsIgnoreCase(p.path("id").asText())) {
                String v = p.path("value").asText("");
                if (v.isBlank()) {
                    return null;
                }
                try {
                    Map<String, String> out = new LinkedHashMap<>();
                    JSON.readTree(v).fields().forEachRemaining(f -> out.put(f.getKey(), f.getValue().asText(null)));
                    return out;
                } catch (java.io.IOException e) {
                    return null;
                }
            }
        }
        return null;
    }

    // ------------------------------------------------------------------------------------------------ content

    /** The Graph body of {@code de}: content ({@link GraphEventMapper#written}), no attendees, our two tags. */
    ObjectNode body(DestinationEvent de) {
        CalendarEvent e = de.event();
        ObjectNode g;
        try {
            g = GraphEventMapper.written(e.toBuilder().description(AttendeeText.description(e,
                    attendeesInDescription)).build(), floatingZone);
        } catch (IllegalArgumentException unsupported) {
            throw new DestinationException(ErrorKind.PERMANENT, "unsupportedRecurrence", unsupported.getMessage());
        }
        Map<String, String> tag = new LinkedHashMap<>();
        tag.put("owner", owner);
        tag.put("key", de.identity());
        tag.put("hash", de.contentHash());
        if (de.origin() != null) {
            tag.put("origin", de.origin());
        }
        if (e.recurrenceId() != null) {
            tag.put("rid", SyncKey.ridText(e.recurrenceId()));
            tag.put("series", SyncKey.identityOf(CalendarEvent.builder().uid(e.uid()).build()));
        }
        ArrayNode props = g.putArray("singleValueExtendedProperties");
        props.addObject().put("id", KEY_PROPERTY).put("value", keyValue(de.identity()));
        try {
            props.addObject().put("id", TAG_PROPERTY).put("value", JSON.writeValueAsString(tag));
        } catch (com.fasterxml.jackson.core.JsonProcessingException impossible) {
            throw new IllegalStateException(impossible);
        }
        return g;
    }

    private String keyValue(String identity) {
        return owner + "/" + identity;
    }

    /** The create body with a transactionId derived from owner and identity (a retried POST creates nothing). */
    private ObjectNode withTransaction(ObjectNode body, String identity) {
        ObjectNode b = body.deepCopy();
        b.put("transactionId", "chronoroute-" + sha(keyValue(identity)).substring(0, 32));
        return b;
    }

    /** Fingerprint of the fields we write, as Graph returns them (see the class comment). */
    static String fingerprint(JsonNode g) {
        StringBuilder sb = new StringBuilder();
        for (String f : List.of("subject", "isAllDay", "showAs", "sensitivity", "isCancelled")) {
            sb.append(g.path(f).asText("")).append('\u0001');
        }
        sb.append(g.path("body").path("content").asText("")).append('\u0001');
        sb.append(g.path("location").path("displayName").asText("")).append('\u0001');
        sb.append(time(g.path("start"))).append('\u0001').append(time(g.path("end"))).append('\u0001');
        sb.append(g.path("categories")).append('\u0001').append(g.path("recurrence"));
        return sha(sb.toString()).substring(0, 24);
    }

    private static String time(JsonNode t) {
        String dt = t.path("dateTime").asText("");
        int dot = dt.indexOf('.');
        return (dot < 0 ? dt : dt.substring(0, dot)) + " " + t.path("timeZone").asText("");
    }

    private static Instant parseUtc(String s) {
        String t = s.endsWith("Z") ? s : s + "Z";
        return Instant.parse(t);
    }

    private static String sha(String s) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256")
                    .digest(s.getBytes(StandardCharsets.UTF_8)));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    // ------------------------------------------------------------------------------------------------ two-way

    @Override
    public Set<EventField> writtenFields() {
        return WRITTEN;
    }

    /** The event as written: no organizer/attendees, attendee text in the description, floating times pinned. */
    @Override
    public CalendarEvent asWritten(CalendarEvent e) {
        EventTime end = e.end();
        if (end == null && e.start() != null) {
            end = e.start().isDate() ? EventTime.ofDate(e.start().date().plusDays(1)) : e.start();
        }
        return e.toBuilder().organizer(null).attendees(List.of())
                .description(AttendeeText.description(e, attendeesInDescription))
                .start(pin(e.start())).end(pin(end)).build();
    }

    /** {@link EventField#merge}, with the attendee text we append to the description taken back out. */
    @Override
    public CalendarEvent merge(CalendarEvent consolidated, CalendarEvent remote) {
        CalendarEvent merged = BatchingWriter.super.merge(consolidated, remote);
        if (Objects.equals(merged.description(), consolidated.description())) {
            return merged;
        }
        return merged.toBuilder().description(AttendeeText.withoutAttendeeText(merged.description(), consolidated,
                attendeesInDescription)).build();
    }

    private EventTime pin(EventTime t) {
        return t == null || !t.isFloating() ? t : EventTime.ofZoned(t.floating(), floatingZone);
    }

    /** PATCH of the calendar's name. */
    @Override
    public void renameCalendar(String displayName) throws Exception {
        client.send("PATCH", base + "/calendars/" + GraphClient.seg(calendarId()),
                JSON.createObjectNode().put("name", displayName), null);
    }

    @Override
    public DestinationErrorClassifier classifier() {
        return classifier;
    }
}
