package io.chronoroute.master.destination.google;

import com.google.api.client.googleapis.batch.BatchRequest;
import com.google.api.client.googleapis.batch.json.JsonBatchCallback;
import com.google.api.client.googleapis.json.GoogleJsonError;
import com.google.api.client.googleapis.json.GoogleJsonErrorContainer;
import com.google.api.client.googleapis.json.GoogleJsonResponseException;
import com.google.api.client.http.HttpHeaders;
import com.google.api.client.http.HttpResponseException;
import com.google.api.client.json.gson.GsonFactory;
import com.google.api.services.calendar.Calendar;
import com.google.api.services.calendar.model.Event;
import com.google.api.services.calendar.model.Events;
import io.chronoroute.master.destination.BatchingWriter;
import io.chronoroute.master.destination.DestinationContext;
import io.chronoroute.master.destination.DestinationEvent;
import io.chronoroute.master.destination.DestinationWriter;
import io.chronoroute.master.destination.MappingEntry;
import io.chronoroute.master.destination.RemoteChanges;
import io.chronoroute.master.destination.RemoteEvent;
import io.chronoroute.master.destination.WriteResult;
import io.chronoroute.processors.model.CalendarEvent;
import io.chronoroute.processors.model.EventTime;
import io.chronoroute.processors.sync.SyncKey;
import io.chronoroute.processors.wire.WireJson;
import io.chronoroute.providers.common.DestinationErrorClassifier;
import io.chronoroute.providers.common.DestinationException;
import io.chronoroute.providers.common.ErrorKind;
import io.chronoroute.providers.google.GoogleErrorClassifier;

import java.io.IOException;
import java.time.Instant;
import java.time.LocalDate;
import java.time.LocalDateTime;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.function.Consumer;
import java.util.function.Function;

/**
 * Google Calendar writer over camel-google-calendar ({@link GoogleAccount}). Every write sends
 * {@code sendUpdates=none}; no attendee is ever written ({@link GoogleEventMapper}).
 * <ul>
 *   <li>upsert: mapped → {@code update}; else {@code insert} with the deterministic id ({@link GoogleIds}); 409
 *       (the id exists, possibly cancelled) → {@code get}, check our tag (else: permanent error, never overwritten),
 *       {@code update} (revives a cancelled event). Override → {@code update} of the instance id. A mapping entry
 *       without content hash (the sync adopted an event the user created in Google) → {@code get} + {@code update}
 *       of that very event with our tags ({@link #takeOver}): never a second event, never a delete.</li>
 *   <li>delete: {@code delete}; 404/410 = already gone. Override → the occurrence is reset to the series.</li>
 *   <li>listOwn: {@code list?privateExtendedProperty=chronorouteOwner=<owner>&showDeleted=true}, all pages.</li>
 *   <li>readChanges: {@code list?syncToken=...&showDeleted=true}, all pages (the token comes on the last one);
 *       without a token a plain full listing establishes one. 410 → CURSOR_EXPIRED. Each of our live events comes
 *       with its content mapped back and merged into the consolidated event, and Google's {@code updated}
 *       (two-way sync); an event the user created (no owner tag) comes with its content mapped back and its
 *       iCalUID as uid, unowned, for a create at the {@code create-target} ({@link #foreign}).</li>
 *   <li>renameCalendar: {@code calendars.patch} with the new summary.</li>
 *   <li>writeBatch: the same inserts, updates and deletes (same ids, tags, {@code sendUpdates=none}) as parts of one
 *       {@code POST batch/calendar/v3}, sent with the Google client's {@link BatchRequest} on the component's own
 *       {@link Calendar} client ({@link GoogleAccount#client()}); each part takes one token of the rate limit, as
 *       Google counts each part against the quota. An insert answering 409 or an update answering 404 is handed
 *       back for the single-call path (get, check our tag, update / insert), a delete answering 404/410 is done.
 *   </li>
 * </ul>
 */
public final class GoogleDestinationWriter implements BatchingWriter {

    private static final int PAGE = 2500;
    /** Google's limit of calls in one batch request. */
    static final int MAX_BATCH = 1000;

    private final DestinationContext ctx;
    private final GoogleAccount account;
    private final String calendarId;
    private final GoogleEventMapper mapper;
    private final GoogleErrorClassifier classifier = new GoogleErrorClassifier();

    public GoogleDestinationWriter(DestinationContext ctx, GoogleAccount account, String calendarId) {
        this.ctx = ctx;
        this.account = account;
        this.calendarId = calendarId;
        this.mapper = new GoogleEventMapper(ctx.owner(), ctx.config().floatingZone(),
                "description".equals(ctx.config().attendees()));
    }

    public String calendarId() {
        return calendarId;
    }

    @Override
    public WriteResult upsert(DestinationEvent de, MappingEntry current) throws Exception {
        Event body = mapper.toGoogle(de);
        if (de.isOverride()) {
            String id = current != null && current.remoteId() != null && !current.deleted() ? current.remoteId()
                    : GoogleIds.instanceId(de.masterRemoteId(), de.event().recurrenceId(), ctx.config().floatingZone());
            Event r = update(id, body);
            return new WriteResult(id, r.getEtag(), false);
        }
        if (adopted(current)) {
            WriteResult taken = takeOver(de, current, body);
            if (taken != null) {
                return taken;
            }
        } else if (current != null && current.remoteId() != null) {
            try {
                Event r = update(current.remoteId(), body);
                return new WriteResult(current.remoteId(), r.getEtag(), false);
            } catch (Exception e) {
                if (GoogleErrorClassifier.statusOf(e) != 404) {
                    throw e;
                }
            }
        }
        String id = GoogleIds.eventId(de.identity());
        body.setId(id);
        try {
            Event r = (Event) write("events/insert", args("content", body));
            return new WriteResult(id, r.getEtag(), true);
        } catch (Exception e) {
            if (GoogleErrorClassifier.statusOf(e) != 409) {
                throw e;
            }
        }
        Event existing = get(id);
        if (!mapper.isOurs(existing, de.identity())) {
            throw new DestinationException(ErrorKind.PERMANENT, "foreignId",
                    "event id " + id + " exists in the calendar but was not created by this destination");
        }
        Event r = update(id, body);
        return new WriteResult(id, r.getEtag(), false);
    }

    /**
     * A mapping entry without content hash on a live remote id: the sync adopted an event the user created in
     * Google (the ingest created it at the master from our change feed); this write takes that very object over.
     */
    static boolean adopted(MappingEntry current) {
        return current != null && current.live() && current.contentHash() == null && current.remoteId() != null;
    }

    /**
     * Takes over the user's event {@code current} points at: {@code get} (gone: null, the caller inserts ours with
     * the deterministic id, as for any mapped object that disappeared), refused when it carries another owner's tag
     * or our tag of another identity, then {@code update} of that id with our content and tags; the user's own
     * extended properties (other applications') are kept beside ours. Google keeps the event's id and iCalUID.
     */
    private WriteResult takeOver(DestinationEvent de, MappingEntry current, Event body) throws Exception {
        String id = current.remoteId();
        Event existing;
        try {
            existing = get(id);
        } catch (Exception e) {
            int status = GoogleErrorClassifier.statusOf(e);
            if (status == 404 || status == 410) {
                return null;
            }
            throw e;
        }
        Map<String, String> theirs = existing.getExtendedProperties() == null ? null
                : existing.getExtendedProperties().getPrivate();
        String tagOwner = theirs == null ? null : theirs.get(GoogleEventMapper.OWNER);
        if (tagOwner != null && !mapper.isOurs(existing, de.identity())) {
            throw new DestinationException(ErrorKind.PERMANENT, "foreignId", "event " + id
                    + " adopted as a user-created event carries another owner's or identity's tag; left untouched");
        }
        Map<String, String> tags = new LinkedHashMap<>();
        if (theirs != null) {
            theirs.forEach((k, v) -> {
                if (!k.startsWith("chronoroute")) {
                    tags.put(k, v);
                }
            });
        }
        tags.putAll(body.getExtendedProperties().getPrivate());
        body.setExtendedProperties(new Event.ExtendedProperties().setPrivate(tags)
                .setShared(existing.getExtendedProperties() == null ? null
                        : existing.getExtendedProperties().getShared()));
        Event r = update(id, body);
        return new WriteResult(id, r.getEtag(), false);
    }

    @Override
    public void delete(DestinationEvent de, MappingEntry current) throws Exception {
        try {
            if (current.recurrenceId() != null && current.seriesIdentity() != null) {
                if (de.masterEvent() == null || de.masterRemoteId() == null) {
                    return;
                }
                EventTime original = parseCanonical(current.recurrenceId());
                update(current.remoteId(), mapper.resetInstance(de.masterEvent(), original, de.masterRemoteId()));
                return;
            }
            Map<String, Object> a = args("eventId", current.remoteId());
            a.put("sendUpdates", "none");
            write("events/delete", a);
        } catch (Exception e) {
            int status = GoogleErrorClassifier.statusOf(e);
            if (status != 404 && status != 410) {
                throw e;
            }
        }
    }

    @Override
    public void listOwn(Consumer<RemoteEvent> sink) throws Exception {
        String page = null;
        do {
            Map<String, Object> a = args("privateExtendedProperty", List.of(mapper.ownerFilter()));
            a.put("showDeleted", Boolean.TRUE);
            a.put("maxResults", PAGE);
            a.put("pageToken", page);
            Events events = (Events) read("events/list", a);
            if (events.getItems() != null) {
                events.getItems().forEach(e -> sink.accept(mapper.toRemote(e)));
            }
            page = events.getNextPageToken();
        } while (page != null);
    }

    @Override
    public RemoteChanges readChanges(String cursor) throws Exception {
        List<RemoteEvent> out = new ArrayList<>();
        String page = null;
        String next = null;
        do {
            Map<String, Object> a = new HashMap<>();
            a.put("calendarId", calendarId);
            a.put("maxResults", PAGE);
            a.put("pageToken", page);
            if (cursor != null) {
                a.put("syncToken", cursor);
                a.put("showDeleted", Boolean.TRUE);
            }
            Events events = (Events) read("events/list", a);
            if (cursor != null && events.getItems() != null) {
                for (Event e : events.getItems()) {
                    out.add(remoteOfChange(e));
                }
            }
            page = events.getNextPageToken();
            next = events.getNextSyncToken() != null ? events.getNextSyncToken() : next;
        } while (page != null);
        return new RemoteChanges(out, next);
    }

    /**
     * One item of the change feed. A cancelled item may come without extended properties: our ids are recognised by
     * their encoding. Ours and live: {@link RemoteEvent#event()} is the event as Google shows it, merged into the
     * consolidated event it was written from ({@link GoogleEventMapper#fromGoogle(Event, CalendarEvent)}; the
     * consolidated event is looked up in the store by the tag's identity, a tombstone's last content included; when
     * the store has none, only the written fields are set). {@link RemoteEvent#modified()} is Google's
     * {@code updated}. The consolidated event may have changed since we wrote the object (the tag's
     * {@link RemoteEvent#contentHash()} says which version was written): telling an edit from a race is the sync's.
     */
    private RemoteEvent remoteOfChange(Event e) {
        RemoteEvent r = mapper.toRemote(e);
        Instant modified = e.getUpdated() == null ? null : Instant.ofEpochMilli(e.getUpdated().getValue());
        if (!r.ours() && "cancelled".equals(e.getStatus()) && (e.getExtendedProperties() == null)) {
            // a quarter of all 26-character ids Google gives events decode too: an id is ours only when the identity
            // it decodes to is one the store knows
            String identity = known(GoogleIds.identityOf(e.getId()));
            if (identity != null) {
                return new RemoteEvent(e.getId(), identity, null, e.getEtag(), true, null, null, null, modified);
            }
            String series = e.getRecurringEventId() == null ? null : known(GoogleIds.identityOf(e.getRecurringEventId()));
            if (series != null && e.getOriginalStartTime() != null) {
                return occurrenceChangedInGoogle(e, series, true, modified);
            }
        }
        if (!r.ours()) {
            return foreign(e, r, modified);
        }
        if (r.recurrenceId() == null && e.getRecurringEventId() != null && e.getOriginalStartTime() != null) {
            return occurrenceChangedInGoogle(e, r.identity(), r.cancelled(), modified);
        }
        CalendarEvent event = r.cancelled() ? null : mapper.fromGoogle(e, consolidated(r.identity()));
        return new RemoteEvent(r.remoteId(), r.identity(), r.contentHash(), r.version(), r.cancelled(),
                r.recurrenceId(), r.seriesIdentity(), event, modified);
    }

    /**
     * An event without our tag in the change feed. One without any owner tag (not a reset occurrence of one of our
     * series, not another destination's) and not cancelled was created by the user in Google: reported with its
     * content mapped back ({@link GoogleEventMapper#fromGoogle(Event, CalendarEvent)} without a consolidated
     * event), the event's {@code iCalUID} as uid and {@code updated} as modification time, identity null (foreign).
     * Google's change feed lists a recurring series as its master plus one item per exception (an occurrence the
     * user changed, with {@code originalStartTime}): the master is reported as the series, an exception as the
     * override with its RECURRENCE-ID; a deleted occurrence (cancelled) stays an EXDATE Google keeps to itself and
     * is not reported. Without an iCalUID the uid is unknown: reported without content (ignored).
     */
    private RemoteEvent foreign(Event e, RemoteEvent r, Instant modified) {
        Map<String, String> tags = e.getExtendedProperties() == null ? null : e.getExtendedProperties().getPrivate();
        if (r.cancelled() || (tags != null && tags.containsKey(GoogleEventMapper.OWNER)) || e.getICalUID() == null
                || e.getICalUID().isBlank()) {
            return r;
        }
        CalendarEvent event = mapper.fromGoogle(e, null).toBuilder().uid(e.getICalUID()).build();
        return new RemoteEvent(r.remoteId(), null, null, r.version(), false, null, null, event, modified);
    }

    /**
     * An occurrence of one of our series that a person edited or deleted in Google ("this event only"), not one of
     * our overrides: Google copies the series' tags onto it, so it carries the series' key but no RID tag. Reported
     * as the override it now is: identity of (series uid, RECURRENCE-ID in the form of the series' start),
     * {@code seriesIdentity} = the series, no content hash; the event is the series' content with Google's values of
     * this occurrence (null when cancelled: the occurrence was deleted, i.e. an EXDATE of the series; a cancelled
     * instance may come without any property, its series is then known by the encoding of our ids). Without the
     * consolidated series (no uid) the identity cannot be known: reported as not ours.
     */
    private RemoteEvent occurrenceChangedInGoogle(Event e, String seriesIdentity, boolean cancelled,
                                                  Instant modified) {
        CalendarEvent series = consolidated(seriesIdentity);
        if (series == null || series.uid() == null) {
            return new RemoteEvent(e.getId(), null, null, e.getEtag(), cancelled, null, null, null, modified);
        }
        CalendarEvent base = series.toBuilder().recurrenceId(null).rrules(List.of()).exdates(List.of())
                .rdates(List.of()).build();
        CalendarEvent occurrence = mapper.fromGoogle(e, base);
        String identity = SyncKey.identityOf(CalendarEvent.builder().uid(series.uid())
                .recurrenceId(occurrence.recurrenceId()).build());
        return new RemoteEvent(e.getId(), identity, null, e.getEtag(), cancelled,
                SyncKey.ridText(occurrence.recurrenceId()), seriesIdentity, cancelled ? null : occurrence, modified);
    }

    /** The consolidated event of {@code identity} (a tombstone's last content too), or null. */
    /** The identity when the store has a consolidated event (or tombstone) of it, else null. */
    private String known(String identity) {
        return identity != null && ctx.store().findConsolidated(identity).isPresent() ? identity : null;
    }

    private CalendarEvent consolidated(String identity) {
        return ctx.store().findConsolidated(identity).filter(c -> c.eventJson() != null)
                .map(c -> WireJson.fromJson(c.eventJson())).orElse(null);
    }

    /** {@code calendars.patch} of the summary; nothing else of the calendar is touched. */
    @Override
    public void renameCalendar(String displayName) throws Exception {
        Map<String, Object> a = args("content", new com.google.api.services.calendar.model.Calendar()
                .setSummary(displayName));
        ctx.gate().acquire(true);
        account.call("calendars/patch", a);
    }

    @Override
    public int maxBatchSize() {
        return MAX_BATCH;
    }

    @Override
    public List<BatchOutcome> writeBatch(List<BatchItem> items) throws Exception {
        if (items.size() > MAX_BATCH) {
            throw new IllegalArgumentException("a Google batch holds at most " + MAX_BATCH + " calls");
        }
        Calendar client = account.client();
        BatchRequest batch = client.batch(client.getRequestFactory().getInitializer());
        BatchOutcome[] out = new BatchOutcome[items.size()];
        int parts = 0;
        for (int i = 0; i < items.size(); i++) {
            if (queue(client, batch, items.get(i), out, i)) {
                parts++;
            }
        }
        if (parts == 0) {
            return Arrays.asList(out);
        }
        for (int i = 0; i < parts; i++) {
            ctx.gate().acquire(true); // every part is a call for Google's quota
        }
        try {
            batch.execute();
        } catch (HttpResponseException whole) {
            throw withDetails(whole); // the batch request itself was refused: no part ran
        } catch (IOException cut) {
            if (Arrays.stream(out).allMatch(Objects::isNull)) {
                throw cut;
            }
            // the answer broke off: keep the parts answered, the rest failed with the I/O error (transient)
            for (int i = 0; i < out.length; i++) {
                if (out[i] == null) {
                    out[i] = BatchOutcome.failed(cut);
                }
            }
        }
        for (int i = 0; i < out.length; i++) {
            if (out[i] == null) {
                out[i] = BatchOutcome.failed(new IOException("the batch answer has no part for call " + (i + 1)));
            }
        }
        return Arrays.asList(out);
    }

    /** Queues the request of one item; false when the item needs no request (its outcome is set). */
    private boolean queue(Calendar client, BatchRequest batch, BatchItem item, BatchOutcome[] out, int i)
            throws IOException {
        DestinationEvent de = item.event();
        MappingEntry current = item.current();
        if (item.kind() == BatchItem.Kind.DELETE) {
            if (current.recurrenceId() != null && current.seriesIdentity() != null) {
                if (de.masterEvent() == null || de.masterRemoteId() == null) {
                    out[i] = BatchOutcome.done(null);
                    return false;
                }
                Event reset = mapper.resetInstance(de.masterEvent(), parseCanonical(current.recurrenceId()),
                        de.masterRemoteId());
                client.events().update(calendarId, current.remoteId(), reset).setSendUpdates("none")
                        .queue(batch, new Part<>(out, i, r -> BatchOutcome.done(null), true, -1));
            } else {
                client.events().delete(calendarId, current.remoteId()).setSendUpdates("none")
                        .queue(batch, new Part<Void>(out, i, r -> BatchOutcome.done(null), true, -1));
            }
            return true;
        }
        Event body = mapper.toGoogle(de);
        if (de.isOverride()) {
            String id = current != null && current.remoteId() != null && !current.deleted() ? current.remoteId()
                    : GoogleIds.instanceId(de.masterRemoteId(), de.event().recurrenceId(), ctx.config().floatingZone());
            client.events().update(calendarId, id, body).setSendUpdates("none")
                    .queue(batch, new Part<>(out, i, r -> BatchOutcome.done(new WriteResult(id, r.getEtag(), false)),
                            false, -1));
        } else if (adopted(current)) {
            out[i] = BatchOutcome.single(); // a user's event taken over: get, check and merge first (takeOver)
            return false;
        } else if (current != null && current.remoteId() != null) {
            String id = current.remoteId();
            // 404: the mapped object is gone → the single path inserts it with our id
            client.events().update(calendarId, id, body).setSendUpdates("none")
                    .queue(batch, new Part<>(out, i, r -> BatchOutcome.done(new WriteResult(id, r.getEtag(), false)),
                            false, 404));
        } else {
            String id = GoogleIds.eventId(de.identity());
            body.setId(id);
            // 409: the id exists (a write whose bookkeeping was lost, a cancelled event, or a foreign one) → the
            // single path gets it, checks our tag and updates it
            client.events().insert(calendarId, body).setSendUpdates("none")
                    .queue(batch, new Part<>(out, i, r -> BatchOutcome.done(new WriteResult(id, r.getEtag(), true)),
                            false, 409));
        }
        return true;
    }

    /** The answer of one batch part, stored into its slot. */
    private static final class Part<T> extends JsonBatchCallback<T> {
        private final BatchOutcome[] out;
        private final int index;
        private final Function<T, BatchOutcome> success;
        private final boolean goneIsDone;
        private final int singleOn;

        Part(BatchOutcome[] out, int index, Function<T, BatchOutcome> success, boolean goneIsDone, int singleOn) {
            this.out = out;
            this.index = index;
            this.success = success;
            this.goneIsDone = goneIsDone;
            this.singleOn = singleOn;
        }

        @Override
        public void onSuccess(T result, HttpHeaders headers) {
            out[index] = success.apply(result);
        }

        @Override
        public void onFailure(GoogleJsonError error, HttpHeaders headers) {
            GoogleJsonResponseException e = partError(error, headers);
            int status = e.getStatusCode();
            if (goneIsDone && (status == 404 || status == 410)) {
                out[index] = BatchOutcome.done(null);
            } else if (status == singleOn) {
                out[index] = BatchOutcome.single();
            } else {
                out[index] = BatchOutcome.failed(e);
            }
        }
    }

    /**
     * A failed part as the exception a single call would have thrown (status, Google's error, the part's headers
     * with Retry-After), so {@link GoogleErrorClassifier} treats both alike. A part without a code (never seen from
     * Google) counts as a server error.
     */
    static GoogleJsonResponseException partError(GoogleJsonError error, HttpHeaders headers) {
        int status = error != null && error.getCode() > 0 ? error.getCode() : 500;
        HttpResponseException.Builder b = new HttpResponseException.Builder(status,
                error == null ? null : error.getMessage(), headers == null ? new HttpHeaders() : headers);
        return new GoogleJsonResponseException(b, error);
    }

    /** A refused batch request with Google's error details parsed (so 403 rateLimitExceeded is told from auth). */
    static HttpResponseException withDetails(HttpResponseException e) {
        if (e instanceof GoogleJsonResponseException || e.getContent() == null || e.getContent().isBlank()) {
            return e;
        }
        try {
            GoogleJsonErrorContainer c = GsonFactory.getDefaultInstance().fromString(e.getContent(),
                    GoogleJsonErrorContainer.class);
            if (c != null && c.getError() != null) {
                return new GoogleJsonResponseException(new HttpResponseException.Builder(e.getStatusCode(),
                        e.getStatusMessage(), e.getHeaders()), c.getError());
            }
        } catch (IOException | IllegalArgumentException notJson) {
            // keep the plain exception
        }
        return e;
    }

    @Override
    public DestinationErrorClassifier classifier() {
        return classifier;
    }

    @Override
    public void close() {
        account.close();
    }

    private Event update(String eventId, Event body) throws Exception {
        Map<String, Object> a = args("eventId", eventId);
        a.put("content", body);
        a.put("sendUpdates", "none");
        return (Event) write("events/update", a);
    }

    private Event get(String eventId) throws Exception {
        return (Event) read("events/get", args("eventId", eventId));
    }

    private Object write(String method, Map<String, Object> a) throws Exception {
        if (!method.equals("events/delete")) {
            a.put("sendUpdates", "none");
        }
        ctx.gate().acquire(true);
        return account.call(method, a);
    }

    private Object read(String method, Map<String, Object> a) throws Exception {
        ctx.gate().acquire(false);
        return account.call(method, a);
    }

    private Map<String, Object> args(String key, Object value) {
        Map<String, Object> a = new HashMap<>();
        a.put("calendarId", calendarId);
        a.put(key, value);
        return a;
    }

    /** Inverse of {@code EventTime.canonical()}: {@code D:2025-06-10}, {@code Z:<instant>@<zone>}, {@code F:<local>}. */
    static EventTime parseCanonical(String text) {
        String v = text.substring(2);
        return switch (text.charAt(0)) {
            case 'D' -> EventTime.ofDate(LocalDate.parse(v));
            case 'F' -> EventTime.ofFloating(LocalDateTime.parse(v));
            case 'Z' -> {
                int at = v.indexOf('@');
                yield EventTime.ofInstant(Instant.parse(v.substring(0, at)), v.substring(at + 1));
            }
            default -> throw new IllegalArgumentException("not a canonical time: " + text);
        };
    }
}
