package io.chronoroute.testsupport.google;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.nio.charset.StandardCharsets;
import java.security.SecureRandom;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.LocalDate;
import java.time.LocalDateTime;
import java.time.OffsetDateTime;
import java.time.ZoneId;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Comparator;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * The state behind {@link FakeGoogleCalendar}: calendars, events (deleted ones kept as {@code status=cancelled}),
 * a global change counter for sync tokens and server-side page snapshots. Every public operation is synchronized
 * on the store, so concurrent HTTP requests see a consistent state.
 */
final class GoogleCalendarStore {

    static final Pattern CLIENT_ID = Pattern.compile("[a-v0-9]{5,1024}");
    static final Set<String> FORBIDDEN_WITH_SYNC_TOKEN = Set.of("iCalUID", "orderBy", "privateExtendedProperty", "q",
            "sharedExtendedProperty", "timeMin", "timeMax", "updatedMin");
    private static final DateTimeFormatter RFC3339_UTC = DateTimeFormatter.ofPattern("yyyy-MM-dd'T'HH:mm:ss.SSS'Z'")
            .withZone(ZoneOffset.UTC);
    private static final char[] BASE32HEX = "0123456789abcdefghijklmnopqrstuv".toCharArray();
    private static final int MAX_PAGE_SNAPSHOTS = 2000;

    private static final class Cal {
        final String id;
        String summary;
        String description;
        String timeZone;
        final boolean primary;
        String etag;
        /** The user's calendar list entry: colours (#rrggbb) and colour index; null = Google's default. */
        String backgroundColor;
        String foregroundColor;
        String colorId;
        final Map<String, Ev> events = new LinkedHashMap<>();

        Cal(String id, String summary, String timeZone, boolean primary) {
            this.id = id;
            this.summary = summary;
            this.timeZone = timeZone;
            this.primary = primary;
        }
    }

    private static final class Ev {
        ObjectNode json;
        long changeSeq;

        Ev(ObjectNode json, long changeSeq) {
            this.json = json;
            this.changeSeq = changeSeq;
        }

        String id() {
            return json.path("id").asText();
        }

        boolean cancelled() {
            return "cancelled".equals(json.path("status").asText());
        }

        boolean recurringMaster() {
            return json.path("recurrence").isArray() && !json.path("recurrence").isEmpty();
        }
    }

    private record PageSnapshot(String calendarId, List<ObjectNode> remaining, String nextSyncToken) {
    }

    /** A start or end: local wall-clock time in a zone, or a date for all-day events. */
    private record When(LocalDateTime local, ZoneId zone, boolean allDay, String timeZoneName) {
        Instant instant() {
            return local.atZone(zone).toInstant();
        }
    }

    private final ObjectMapper mapper;
    private final Clock clock;
    private final String primaryId;
    private final SecureRandom random = new SecureRandom();
    private final Map<String, Cal> calendars = new LinkedHashMap<>();
    private final Map<String, PageSnapshot> pages = new LinkedHashMap<>();
    private final List<GoogleWrite> writes = new ArrayList<>();
    private long changeCounter;
    private long tokenEpoch;
    private Duration syncTokenExpiry;
    private ImportDuplicateMode importMode;

    GoogleCalendarStore(ObjectMapper mapper, Clock clock, String primaryId, Duration syncTokenExpiry,
            ImportDuplicateMode importMode) {
        this.mapper = mapper;
        this.clock = clock;
        this.primaryId = primaryId;
        this.syncTokenExpiry = syncTokenExpiry;
        this.importMode = importMode;
        Cal primary = new Cal(primaryId, primaryId, "UTC", true);
        primary.etag = etag(clock.instant(), ++changeCounter);
        calendars.put(primaryId, primary);
    }

    // ---------------------------------------------------------------- settings and inspection

    synchronized void invalidateSyncTokens() {
        tokenEpoch++;
    }

    synchronized void syncTokenExpiry(Duration expiry) {
        this.syncTokenExpiry = expiry;
    }

    synchronized void importDuplicateMode(ImportDuplicateMode mode) {
        this.importMode = mode;
    }

    synchronized List<GoogleWrite> writes() {
        return List.copyOf(writes);
    }

    /** Copies of every stored event of the calendar, cancelled ones and instance overrides included. */
    synchronized List<ObjectNode> storedEvents(String calendarId) {
        return cal(calendarId).events.values().stream().map(e -> e.json.deepCopy()).toList();
    }

    synchronized String primaryId() {
        return primaryId;
    }

    synchronized long changeCounter() {
        return changeCounter;
    }

    // ---------------------------------------------------------------- calendars

    synchronized ObjectNode calendarList() {
        ObjectNode out = mapper.createObjectNode();
        out.put("kind", "calendar#calendarList");
        out.put("etag", etag(clock.instant(), changeCounter));
        ArrayNode items = out.putArray("items");
        for (Cal c : calendars.values()) {
            items.add(calendarListEntry(c));
        }
        return out;
    }

    synchronized ObjectNode calendarListEntry(String calendarId) {
        return calendarListEntry(cal(calendarId));
    }

    /**
     * {@code calendarList.patch}: the user's view of a calendar. RGB colours are accepted only with
     * {@code colorRgbFormat=true} (the documented switch that makes Google write them; refused here without it so a
     * client that forgets it fails in tests), as {@code #rrggbb};
     * {@code summaryOverride} and {@code colorId} kept as given. The calendar itself (summary) is not changed.
     */
    synchronized ObjectNode patchCalendarListEntry(String calendarId, JsonNode body, boolean colorRgbFormat) {
        Cal c = cal(calendarId);
        ObjectNode patch = requireObject(body);
        for (String field : List.of("backgroundColor", "foregroundColor")) {
            if (patch.hasNonNull(field)) {
                if (!colorRgbFormat) {
                    throw GoogleApiException.badRequest("invalid", "colorRgbFormat must be true to set " + field + ".");
                }
                if (!patch.get(field).asText().matches("#[0-9a-fA-F]{6}")) {
                    throw GoogleApiException.badRequest("invalid", "Invalid " + field + " value.");
                }
            }
        }
        if (patch.hasNonNull("backgroundColor")) {
            c.backgroundColor = patch.get("backgroundColor").asText().toLowerCase(Locale.ROOT);
            c.colorId = null;
        }
        if (patch.hasNonNull("foregroundColor")) {
            c.foregroundColor = patch.get("foregroundColor").asText().toLowerCase(Locale.ROOT);
        }
        if (patch.hasNonNull("colorId")) {
            c.colorId = patch.get("colorId").asText();
        }
        return calendarListEntry(c);
    }

    synchronized ObjectNode insertCalendar(JsonNode body) {
        String summary = body.path("summary").asText("");
        if (summary.isBlank()) {
            throw GoogleApiException.badRequest("required", "Missing title.");
        }
        String tz = body.path("timeZone").asText("UTC");
        zone(tz);
        Cal c = new Cal(randomId(26) + "@group.calendar.google.com", summary, tz, false);
        c.description = body.path("description").isTextual() ? body.path("description").asText() : null;
        c.etag = etag(clock.instant(), ++changeCounter);
        calendars.put(c.id, c);
        return calendarResource(c);
    }

    synchronized ObjectNode getCalendar(String calendarId) {
        return calendarResource(cal(calendarId));
    }

    /** {@code calendars.patch}: summary, description and timeZone as given (absent = kept); new etag. */
    synchronized ObjectNode patchCalendar(String calendarId, JsonNode body) {
        return changeCalendar(cal(calendarId), requireObject(body), false);
    }

    /** {@code calendars.update}: PUT semantics, summary required, absent description removed. */
    synchronized ObjectNode updateCalendar(String calendarId, JsonNode body) {
        return changeCalendar(cal(calendarId), requireObject(body), true);
    }

    private ObjectNode changeCalendar(Cal c, ObjectNode body, boolean replace) {
        if (body.has("summary") || replace) {
            String summary = body.path("summary").asText("");
            if (summary.isBlank()) {
                throw GoogleApiException.badRequest("required", "Missing title.");
            }
            c.summary = summary;
        }
        if (body.has("description") || replace) {
            c.description = body.path("description").isTextual() ? body.path("description").asText() : null;
        }
        if (body.hasNonNull("timeZone")) {
            zone(body.get("timeZone").asText());
            c.timeZone = body.get("timeZone").asText();
        }
        c.etag = etag(clock.instant(), ++changeCounter);
        return calendarResource(c);
    }

    synchronized void deleteCalendar(String calendarId) {
        Cal c = cal(calendarId);
        if (c.primary) {
            throw GoogleApiException.badRequest("cannotDeletePrimaryCalendar", "Cannot delete primary calendar.");
        }
        calendars.remove(c.id);
    }

    private ObjectNode calendarResource(Cal c) {
        ObjectNode n = mapper.createObjectNode();
        n.put("kind", "calendar#calendar");
        n.put("etag", c.etag);
        n.put("id", c.id);
        n.put("summary", c.summary);
        if (c.description != null) {
            n.put("description", c.description);
        }
        n.put("timeZone", c.timeZone);
        return n;
    }

    private ObjectNode calendarListEntry(Cal c) {
        ObjectNode n = calendarResource(c);
        n.put("kind", "calendar#calendarListEntry");
        n.put("accessRole", "owner");
        n.putArray("defaultReminders");
        if (c.primary) {
            n.put("primary", true);
        }
        if (c.backgroundColor != null) {
            n.put("backgroundColor", c.backgroundColor);
        }
        if (c.foregroundColor != null) {
            n.put("foregroundColor", c.foregroundColor);
        }
        if (c.colorId != null) {
            n.put("colorId", c.colorId);
        }
        return n;
    }

    // ---------------------------------------------------------------- events: writes

    synchronized ObjectNode insertEvent(String calendarId, JsonNode body, String sendUpdates) {
        Cal c = cal(calendarId);
        ObjectNode ev = requireObject(body);
        boolean hasId = ev.hasNonNull("id");
        boolean hasUid = ev.hasNonNull("iCalUID");
        if (hasId && hasUid) {
            throw GoogleApiException.badRequest("invalid", "Only one of id and iCalUID may be specified.");
        }
        String id;
        if (hasId) {
            id = ev.get("id").asText();
            if (!CLIENT_ID.matcher(id).matches()) {
                throw GoogleApiException.badRequest("invalid", "Invalid resource id value.");
            }
            if (c.events.containsKey(id)) {
                throw duplicate();
            }
        } else {
            do {
                id = randomId(26);
            } while (c.events.containsKey(id));
        }
        if (hasUid && findByUid(c, ev.get("iCalUID").asText()) != null) {
            throw duplicate();
        }
        String type = ev.path("eventType").asText("default");
        if (!Set.of("default", "outOfOffice", "focusTime", "workingLocation", "birthday", "fromGmail")
                .contains(type)) {
            throw GoogleApiException.badRequest("invalid", "Invalid event type.");
        }
        validateTimes(c, ev);
        Instant now = clock.instant();
        ev.put("id", id);
        if (!hasUid) {
            ev.put("iCalUID", id + "@google.com");
        }
        fillNew(c, ev, now, 0);
        ev.put("status", ev.path("status").asText("confirmed"));
        store(c, ev, now);
        writes.add(new GoogleWrite("events.insert", c.id, id, sendUpdates));
        return ev.deepCopy();
    }

    synchronized ObjectNode importEvent(String calendarId, JsonNode body) {
        Cal c = cal(calendarId);
        ObjectNode ev = requireObject(body);
        if (!ev.hasNonNull("iCalUID") || ev.get("iCalUID").asText().isBlank()) {
            throw GoogleApiException.badRequest("required", "Missing iCalUID.");
        }
        if (ev.hasNonNull("id")) {
            throw GoogleApiException.badRequest("invalid", "Only one of id and iCalUID may be specified.");
        }
        if (!"default".equals(ev.path("eventType").asText("default"))) {
            throw GoogleApiException.badRequest("eventTypeRestriction",
                    "Only events of type default can be imported.");
        }
        validateTimes(c, ev);
        String uid = ev.get("iCalUID").asText();
        Instant now = clock.instant();
        Ev existing = findByUid(c, uid);
        if (existing != null) {
            if (importMode == ImportDuplicateMode.CONFLICT) {
                throw duplicate();
            }
            ObjectNode replaced = replaceFields(existing.json, ev, now);
            replaced.put("status", ev.path("status").asText("confirmed"));
            store(c, replaced, now);
            writes.add(new GoogleWrite("events.import", c.id, replaced.get("id").asText(), null));
            return replaced.deepCopy();
        }
        String id;
        do {
            id = randomId(26);
        } while (c.events.containsKey(id));
        ev.put("id", id);
        fillNew(c, ev, now, ev.path("sequence").asInt(0));
        ev.put("status", ev.path("status").asText("confirmed"));
        store(c, ev, now);
        writes.add(new GoogleWrite("events.import", c.id, id, null));
        return ev.deepCopy();
    }

    synchronized ObjectNode updateEvent(String calendarId, String eventId, JsonNode body, String ifMatch,
            String sendUpdates) {
        Cal c = cal(calendarId);
        ObjectNode current = resolveForWrite(c, eventId);
        checkEtag(current, ifMatch);
        ObjectNode ev = requireObject(body);
        validateTimes(c, ev);
        Instant now = clock.instant();
        ObjectNode updated = replaceFields(current, ev, now);
        updated.put("status", ev.path("status").asText("confirmed"));
        store(c, updated, now);
        writes.add(new GoogleWrite("events.update", c.id, eventId, sendUpdates));
        return updated.deepCopy();
    }

    synchronized ObjectNode patchEvent(String calendarId, String eventId, JsonNode body, String ifMatch,
            String sendUpdates) {
        ObjectNode merged = patch(calendarId, eventId, body, ifMatch);
        writes.add(new GoogleWrite("events.patch", cal(calendarId).id, eventId, sendUpdates));
        return merged;
    }

    /**
     * An edit made by a person in Google's UI: the same patch semantics (new etag, {@code updated}, sequence when
     * significant; the sync token reports it), but not one of the API writes {@link #writes()} lists.
     */
    synchronized ObjectNode userPatch(String calendarId, String eventId, JsonNode body) {
        return patch(calendarId, eventId, body, null);
    }

    /**
     * An event a person creates in Google's UI: an insert (Google's own id and iCalUID unless given; the sync token
     * reports it), not one of the API writes {@link #writes()} lists.
     */
    synchronized ObjectNode userInsert(String calendarId, JsonNode body) {
        ObjectNode ev = insertEvent(calendarId, body, null);
        writes.remove(writes.size() - 1);
        return ev;
    }

    /** A delete made by a person in Google's UI (status cancelled, reported by the sync token; not in writes). */
    synchronized void userDelete(String calendarId, String eventId) {
        deleteEvent(calendarId, eventId, null, null);
        writes.remove(writes.size() - 1);
    }

    private ObjectNode patch(String calendarId, String eventId, JsonNode body, String ifMatch) {
        Cal c = cal(calendarId);
        ObjectNode current = resolveForWrite(c, eventId);
        checkEtag(current, ifMatch);
        ObjectNode patch = requireObject(body);
        ObjectNode merged = current.deepCopy();
        for (String immutable : List.of("id", "iCalUID", "kind", "etag", "created", "updated", "htmlLink",
                "recurringEventId", "originalStartTime", "creator")) {
            patch.remove(immutable);
        }
        Integer requestedSequence = patch.hasNonNull("sequence") ? patch.get("sequence").asInt() : null;
        patch.remove("sequence");
        mergePatch(merged, patch);
        validateTimes(c, merged);
        Instant now = clock.instant();
        merged.put("sequence", nextSequence(current, merged, requestedSequence));
        merged.put("updated", RFC3339_UTC.format(now));
        fillAttendees(merged);
        store(c, merged, now);
        return merged.deepCopy();
    }

    synchronized void deleteEvent(String calendarId, String eventId, String ifMatch, String sendUpdates) {
        Cal c = cal(calendarId);
        Ev stored = c.events.get(eventId);
        if (stored != null && stored.cancelled()) {
            throw new GoogleApiException(410, "global", "deleted", "Resource has been deleted");
        }
        ObjectNode current = resolveForWrite(c, eventId);
        checkEtag(current, ifMatch);
        Instant now = clock.instant();
        ObjectNode deleted = current.deepCopy();
        deleted.put("status", "cancelled");
        deleted.put("updated", RFC3339_UTC.format(now));
        store(c, deleted, now);
        if (deleted.path("recurrence").isArray()) {
            for (Ev e : List.copyOf(c.events.values())) {
                if (eventId.equals(e.json.path("recurringEventId").asText(null)) && !e.cancelled()) {
                    ObjectNode o = e.json.deepCopy();
                    o.put("status", "cancelled");
                    o.put("updated", RFC3339_UTC.format(now));
                    store(c, o, now);
                }
            }
        }
        writes.add(new GoogleWrite("events.delete", c.id, eventId, sendUpdates));
    }

    // ---------------------------------------------------------------- events: reads

    synchronized ObjectNode getEvent(String calendarId, String eventId) {
        Cal c = cal(calendarId);
        Ev e = c.events.get(eventId);
        if (e != null) {
            return e.json.deepCopy();
        }
        ObjectNode virtual = virtualInstance(c, eventId);
        if (virtual == null) {
            throw GoogleApiException.notFound();
        }
        return virtual;
    }

    synchronized ObjectNode listEvents(String calendarId, Map<String, List<String>> q) {
        Cal c = cal(calendarId);
        int maxResults = maxResults(q);
        String pageToken = first(q, "pageToken");
        if (pageToken != null) {
            return nextPage(c, pageToken, maxResults);
        }
        String syncToken = first(q, "syncToken");
        boolean singleEvents = bool(q, "singleEvents");
        List<ObjectNode> items = new ArrayList<>();
        Instant now = clock.instant();
        if (syncToken != null) {
            for (String forbidden : FORBIDDEN_WITH_SYNC_TOKEN) {
                if (q.containsKey(forbidden)) {
                    throw GoogleApiException.badRequest("invalid",
                            "Sync token cannot be used with the " + forbidden + " parameter.");
                }
            }
            long since = checkSyncToken(c, syncToken);
            List<Ev> changed = c.events.values().stream().filter(e -> e.changeSeq > since)
                    .sorted(Comparator.comparingLong(e -> e.changeSeq)).toList();
            Map<String, ObjectNode> byId = new LinkedHashMap<>();
            for (Ev e : changed) {
                if (singleEvents && e.recurringMaster() && !e.cancelled()) {
                    for (ObjectNode inst : expandSeries(c, e, null, null, true)) {
                        byId.put(inst.get("id").asText(), inst);
                    }
                } else {
                    byId.put(e.id(), e.json.deepCopy());
                }
            }
            items.addAll(byId.values());
        } else {
            if ("startTime".equals(first(q, "orderBy")) && !singleEvents) {
                throw GoogleApiException.badRequest("invalid",
                        "The requested ordering is not available for the particular query.");
            }
            if (first(q, "orderBy") != null && !Set.of("startTime", "updated").contains(first(q, "orderBy"))) {
                throw GoogleApiException.badRequest("invalid", "Invalid value for: orderBy");
            }
            Instant timeMin = instantParam(q, "timeMin");
            Instant timeMax = instantParam(q, "timeMax");
            if (timeMin != null && timeMax != null && !timeMax.isAfter(timeMin)) {
                throw GoogleApiException.badRequest("timeRangeEmpty", "The specified time range is empty.");
            }
            Instant updatedMin = instantParam(q, "updatedMin");
            boolean showDeleted = bool(q, "showDeleted");
            String uid = first(q, "iCalUID");
            String text = first(q, "q");
            List<String> privateProps = q.getOrDefault("privateExtendedProperty", List.of());
            List<String> sharedProps = q.getOrDefault("sharedExtendedProperty", List.of());
            for (Ev e : c.events.values()) {
                List<ObjectNode> candidates;
                if (singleEvents && e.recurringMaster()) {
                    candidates = e.cancelled() && !showDeleted ? List.of()
                            : expandSeries(c, e, timeMin, timeMax, showDeleted);
                } else if (singleEvents && e.json.hasNonNull("recurringEventId")
                        && c.events.containsKey(e.json.get("recurringEventId").asText())
                        && c.events.get(e.json.get("recurringEventId").asText()).recurringMaster()) {
                    continue; // delivered through the expansion of its master
                } else {
                    if (!overlaps(c, e, timeMin, timeMax)) {
                        continue;
                    }
                    candidates = List.of(e.json.deepCopy());
                }
                for (ObjectNode ev : candidates) {
                    boolean cancelled = "cancelled".equals(ev.path("status").asText());
                    Instant updated = Instant.parse(ev.path("updated").asText());
                    boolean deletedSinceUpdatedMin = cancelled && updatedMin != null && !updated.isBefore(updatedMin);
                    if (cancelled && !showDeleted && !deletedSinceUpdatedMin) {
                        continue;
                    }
                    if (updatedMin != null && updated.isBefore(updatedMin)) {
                        continue;
                    }
                    if (uid != null && !uid.equals(ev.path("iCalUID").asText())) {
                        continue;
                    }
                    if (!propsMatch(ev, "private", privateProps) || !propsMatch(ev, "shared", sharedProps)) {
                        continue;
                    }
                    if (text != null && !matchesText(ev, text)) {
                        continue;
                    }
                    items.add(ev);
                }
            }
            if ("startTime".equals(first(q, "orderBy"))) {
                items.sort(Comparator.comparing((ObjectNode ev) -> startInstant(c, ev))
                        .thenComparing(ev -> ev.get("id").asText()));
            } else if ("updated".equals(first(q, "orderBy"))) {
                items.sort(Comparator.comparing((ObjectNode ev) -> ev.get("updated").asText())
                        .thenComparing(ev -> ev.get("id").asText()));
            }
        }
        String nextSync = syncToken(c, changeCounter, now);
        return page(c, items, maxResults, nextSync);
    }

    synchronized ObjectNode instances(String calendarId, String eventId, Map<String, List<String>> q) {
        Cal c = cal(calendarId);
        int maxResults = maxResults(q);
        String pageToken = first(q, "pageToken");
        if (pageToken != null) {
            return nextPage(c, pageToken, maxResults);
        }
        Ev master = c.events.get(eventId);
        if (master == null) {
            throw GoogleApiException.notFound();
        }
        Instant timeMin = instantParam(q, "timeMin");
        Instant timeMax = instantParam(q, "timeMax");
        boolean showDeleted = bool(q, "showDeleted");
        List<ObjectNode> items = new ArrayList<>();
        if (master.recurringMaster()) {
            for (ObjectNode inst : expandSeries(c, master, timeMin, timeMax, showDeleted)) {
                if (showDeleted || !"cancelled".equals(inst.path("status").asText())) {
                    items.add(inst);
                }
            }
        } else if (overlaps(c, master, timeMin, timeMax) && (showDeleted || !master.cancelled())) {
            items.add(master.json.deepCopy());
        }
        return page(c, items, maxResults, null);
    }

    // ---------------------------------------------------------------- helpers: paging and sync tokens

    private ObjectNode page(Cal c, List<ObjectNode> items, int maxResults, String nextSyncToken) {
        ObjectNode out = listEnvelope(c);
        ArrayNode arr = out.putArray("items");
        int n = Math.min(maxResults, items.size());
        for (int i = 0; i < n; i++) {
            arr.add(items.get(i));
        }
        if (items.size() > n) {
            String token = randomId(32);
            pages.put(token, new PageSnapshot(c.id, new ArrayList<>(items.subList(n, items.size())), nextSyncToken));
            trimPages();
            out.put("nextPageToken", token);
        } else if (nextSyncToken != null) {
            out.put("nextSyncToken", nextSyncToken);
        }
        return out;
    }

    private ObjectNode nextPage(Cal c, String token, int maxResults) {
        PageSnapshot snap = pages.remove(token);
        if (snap == null || !snap.calendarId().equals(c.id)) {
            throw GoogleApiException.badRequest("invalid", "Invalid page token value.");
        }
        return page(c, snap.remaining(), maxResults, snap.nextSyncToken());
    }

    private void trimPages() {
        Iterator<String> it = pages.keySet().iterator();
        while (pages.size() > MAX_PAGE_SNAPSHOTS && it.hasNext()) {
            it.next();
            it.remove();
        }
    }

    private ObjectNode listEnvelope(Cal c) {
        ObjectNode out = mapper.createObjectNode();
        out.put("kind", "calendar#events");
        out.put("etag", etag(clock.instant(), changeCounter));
        out.put("summary", c.summary);
        out.put("updated", RFC3339_UTC.format(clock.instant()));
        out.put("timeZone", c.timeZone);
        out.put("accessRole", "owner");
        out.putArray("defaultReminders");
        return out;
    }

    private String syncToken(Cal c, long seq, Instant issued) {
        String raw = "v1|" + c.id + "|" + seq + "|" + issued.toEpochMilli() + "|" + tokenEpoch;
        return "CP" + Base64.getUrlEncoder().withoutPadding().encodeToString(raw.getBytes(StandardCharsets.UTF_8));
    }

    private long checkSyncToken(Cal c, String token) {
        String[] parts;
        try {
            if (!token.startsWith("CP")) {
                throw new IllegalArgumentException();
            }
            parts = new String(Base64.getUrlDecoder().decode(token.substring(2)), StandardCharsets.UTF_8)
                    .split("\\|");
            if (parts.length != 5 || !"v1".equals(parts[0])) {
                throw new IllegalArgumentException();
            }
        } catch (IllegalArgumentException e) {
            throw GoogleApiException.badRequest("invalid", "Invalid sync token value.");
        }
        long seq = Long.parseLong(parts[2]);
        Instant issued = Instant.ofEpochMilli(Long.parseLong(parts[3]));
        long epoch = Long.parseLong(parts[4]);
        boolean expired = syncTokenExpiry != null && clock.instant().isAfter(issued.plus(syncTokenExpiry));
        if (!parts[1].equals(c.id) || epoch != tokenEpoch || expired) {
            throw new GoogleApiException(410, "calendar", "fullSyncRequired",
                    "Sync token is no longer valid, a full sync is required.");
        }
        return seq;
    }

    // ---------------------------------------------------------------- helpers: events

    private void store(Cal c, ObjectNode ev, Instant now) {
        long seq = ++changeCounter;
        ev.put("etag", etag(now, seq));
        Ev existing = c.events.get(ev.get("id").asText());
        if (existing == null) {
            c.events.put(ev.get("id").asText(), new Ev(ev, seq));
        } else {
            existing.json = ev;
            existing.changeSeq = seq;
        }
    }

    private void fillNew(Cal c, ObjectNode ev, Instant now, int sequence) {
        String ts = RFC3339_UTC.format(now);
        ev.put("kind", "calendar#event");
        ev.put("htmlLink", "https://www.google.com/calendar/event?eid=" + Base64.getUrlEncoder().withoutPadding()
                .encodeToString((ev.get("id").asText() + " " + c.id).getBytes(StandardCharsets.UTF_8)));
        ev.put("created", ts);
        ev.put("updated", ts);
        ev.put("sequence", sequence);
        if (!ev.has("creator")) {
            ev.putObject("creator").put("email", primaryId).put("self", true);
        }
        if (!ev.has("organizer")) {
            ObjectNode org = ev.putObject("organizer").put("email", c.id);
            if (!c.primary) {
                org.put("displayName", c.summary);
            }
            org.put("self", true);
        }
        if (!ev.has("eventType")) {
            ev.put("eventType", "default");
        }
        if (!ev.has("reminders")) {
            ev.putObject("reminders").put("useDefault", true);
        }
        fillAttendees(ev);
    }

    private static void fillAttendees(ObjectNode ev) {
        if (ev.path("attendees").isArray()) {
            for (JsonNode a : ev.get("attendees")) {
                if (a.isObject() && !a.has("responseStatus")) {
                    ((ObjectNode) a).put("responseStatus", "needsAction");
                }
            }
        }
    }

    /** PUT semantics: client fields replaced wholesale, server-owned fields kept. */
    private ObjectNode replaceFields(ObjectNode current, ObjectNode body, Instant now) {
        Integer requestedSequence = body.hasNonNull("sequence") ? body.get("sequence").asInt() : null;
        ObjectNode out = body.deepCopy();
        for (String kept : List.of("kind", "id", "iCalUID", "created", "htmlLink", "creator", "recurringEventId",
                "originalStartTime")) {
            if (current.has(kept)) {
                out.set(kept, current.get(kept).deepCopy());
            } else {
                out.remove(kept);
            }
        }
        if (!out.has("organizer") && current.has("organizer")) {
            out.set("organizer", current.get("organizer").deepCopy());
        }
        if (!out.has("eventType")) {
            out.put("eventType", current.path("eventType").asText("default"));
        }
        if (!out.has("reminders")) {
            out.putObject("reminders").put("useDefault", true);
        }
        out.put("sequence", nextSequence(current, out, requestedSequence));
        out.put("updated", RFC3339_UTC.format(now));
        fillAttendees(out);
        return out;
    }

    private static int nextSequence(ObjectNode current, ObjectNode next, Integer requested) {
        int cur = current.path("sequence").asInt(0);
        if (requested != null && requested < cur) {
            throw GoogleApiException.badRequest("invalid", "Invalid sequence value. The specified sequence number "
                    + "is below the current sequence number of the resource.");
        }
        if (requested != null && requested > cur) {
            return requested;
        }
        boolean significant = !Objects.equals(current.get("start"), next.get("start"))
                || !Objects.equals(current.get("end"), next.get("end"))
                || !Objects.equals(current.get("recurrence"), next.get("recurrence"))
                || !Objects.equals(current.get("location"), next.get("location"));
        return significant ? cur + 1 : cur;
    }

    /** Google patch semantics: objects merged recursively, arrays and scalars replaced, null removes a key. */
    static void mergePatch(ObjectNode target, ObjectNode patch) {
        patch.fields().forEachRemaining(f -> {
            JsonNode v = f.getValue();
            if (v == null || v.isNull()) {
                target.remove(f.getKey());
            } else if (v.isObject() && target.path(f.getKey()).isObject()) {
                mergePatch((ObjectNode) target.get(f.getKey()), (ObjectNode) v);
            } else {
                target.set(f.getKey(), v.deepCopy());
            }
        });
    }

    private ObjectNode resolveForWrite(Cal c, String eventId) {
        Ev e = c.events.get(eventId);
        if (e != null) {
            return e.json;
        }
        ObjectNode virtual = virtualInstance(c, eventId);
        if (virtual == null) {
            throw GoogleApiException.notFound();
        }
        return virtual;
    }

    private static void checkEtag(ObjectNode current, String ifMatch) {
        if (ifMatch != null && !ifMatch.equals("*") && !ifMatch.equals(current.path("etag").asText())) {
            throw new GoogleApiException(412, "global", "conditionNotMet", "Precondition Failed");
        }
    }

    private static Ev findByUid(Cal c, String uid) {
        for (Ev e : c.events.values()) {
            if (uid.equals(e.json.path("iCalUID").asText()) && !e.json.hasNonNull("recurringEventId")) {
                return e;
            }
        }
        return null;
    }

    private void validateTimes(Cal c, ObjectNode ev) {
        if (!ev.has("start") || ev.get("start").isNull()) {
            throw GoogleApiException.badRequest("required", "Missing start time.");
        }
        if (!ev.has("end") || ev.get("end").isNull()) {
            throw GoogleApiException.badRequest("required", "Missing end time.");
        }
        When start = when(c, ev.get("start"), "start");
        When end = when(c, ev.get("end"), "end");
        if (start.allDay() != end.allDay()) {
            throw GoogleApiException.badRequest("invalid", "Start and end times must either both be date or both be"
                    + " dateTime.");
        }
        if (end.instant().isBefore(start.instant())) {
            throw GoogleApiException.badRequest("timeRangeEmpty", "The specified time range is empty.");
        }
        if (ev.path("recurrence").isArray() && !ev.get("recurrence").isEmpty()) {
            if (!start.allDay() && !ev.get("start").hasNonNull("timeZone")) {
                throw GoogleApiException.badRequest("invalid", "Missing time zone definition for start time.");
            }
            List<String> lines = new ArrayList<>();
            ev.get("recurrence").forEach(l -> lines.add(l.asText()));
            GoogleRecurrence.expand(lines, start.local(), start.zone(), start.allDay(),
                    start.instant().plus(Duration.ofDays(1)));
        }
    }

    private When when(Cal c, JsonNode node, String field) {
        String tzName = node.hasNonNull("timeZone") ? node.get("timeZone").asText() : null;
        ZoneId tz = tzName != null ? zone(tzName) : null;
        try {
            if (node.hasNonNull("date")) {
                LocalDate d = LocalDate.parse(node.get("date").asText());
                return new When(d.atStartOfDay(), tz != null ? tz : zone(c.timeZone), true, tzName);
            }
            if (node.hasNonNull("dateTime")) {
                String text = node.get("dateTime").asText();
                if (hasOffset(text)) {
                    OffsetDateTime odt = OffsetDateTime.parse(text);
                    ZoneId z = tz != null ? tz : odt.getOffset();
                    return new When(odt.atZoneSameInstant(z).toLocalDateTime(), z, false, tzName);
                }
                if (tz == null) {
                    throw GoogleApiException.badRequest("invalid", "Missing time zone definition for " + field
                            + " time.");
                }
                return new When(LocalDateTime.parse(text), tz, false, tzName);
            }
        } catch (DateTimeParseException e) {
            throw GoogleApiException.badRequest("invalid", "Invalid " + field + " time.");
        }
        throw GoogleApiException.badRequest("required", "Missing " + field + " time.");
    }

    private static boolean hasOffset(String text) {
        return text.endsWith("Z") || text.endsWith("z") || text.matches(".*[+-]\\d\\d:\\d\\d$");
    }

    private static ZoneId zone(String name) {
        try {
            return ZoneId.of(name);
        } catch (RuntimeException e) {
            throw GoogleApiException.badRequest("timeZoneInvalid", "Invalid time zone definition.");
        }
    }

    private Instant startInstant(Cal c, ObjectNode ev) {
        return when(c, ev.get("start"), "start").instant();
    }

    private boolean overlaps(Cal c, Ev e, Instant timeMin, Instant timeMax) {
        if (timeMin == null && timeMax == null) {
            return true;
        }
        if (e.recurringMaster()) {
            return !expandSeries(c, e, timeMin, timeMax, true).isEmpty();
        }
        return overlaps(c, e.json, timeMin, timeMax);
    }

    private boolean overlaps(Cal c, ObjectNode ev, Instant timeMin, Instant timeMax) {
        Instant s = when(c, ev.get("start"), "start").instant();
        Instant en = when(c, ev.get("end"), "end").instant();
        if (en.equals(s)) {
            en = en.plusMillis(1);
        }
        return (timeMin == null || en.isAfter(timeMin)) && (timeMax == null || s.isBefore(timeMax));
    }

    /** Instances of a recurring master overlapping the window, stored overrides replacing generated ones. */
    private List<ObjectNode> expandSeries(Cal c, Ev master, Instant timeMin, Instant timeMax, boolean withCancelled) {
        ObjectNode m = master.json;
        When start = when(c, m.get("start"), "start");
        When end = when(c, m.get("end"), "end");
        Duration length = Duration.between(start.local(), end.local());
        Instant horizon = timeMax != null ? timeMax
                : later(clock.instant(), start.instant()).plus(Duration.ofDays(730));
        List<String> lines = new ArrayList<>();
        m.get("recurrence").forEach(l -> lines.add(l.asText()));
        List<ObjectNode> out = new ArrayList<>();
        for (LocalDateTime occ : GoogleRecurrence.expand(lines, start.local(), start.zone(), start.allDay(),
                horizon)) {
            String instanceId = m.get("id").asText() + "_"
                    + GoogleRecurrence.instanceSuffix(occ, start.zone(), start.allDay());
            Ev override = c.events.get(instanceId);
            ObjectNode inst = override != null ? override.json.deepCopy()
                    : instanceOf(m, instanceId, occ, occ.plus(length), start, master.cancelled());
            if (!withCancelled && "cancelled".equals(inst.path("status").asText())) {
                continue;
            }
            if (overlaps(c, inst, timeMin, timeMax)) {
                out.add(inst);
            }
        }
        return out;
    }

    private ObjectNode instanceOf(ObjectNode master, String instanceId, LocalDateTime occ, LocalDateTime occEnd,
            When start, boolean cancelled) {
        ObjectNode inst = master.deepCopy();
        inst.remove("recurrence");
        inst.put("id", instanceId);
        inst.put("recurringEventId", master.get("id").asText());
        inst.set("originalStartTime", whenJson(occ, start));
        inst.set("start", whenJson(occ, start));
        inst.set("end", whenJson(occEnd, start));
        if (cancelled) {
            inst.put("status", "cancelled");
        }
        return inst;
    }

    private ObjectNode whenJson(LocalDateTime local, When template) {
        ObjectNode n = mapper.createObjectNode();
        if (template.allDay()) {
            n.put("date", local.toLocalDate().toString());
        } else {
            n.put("dateTime", local.atZone(template.zone()).toOffsetDateTime()
                    .format(DateTimeFormatter.ISO_OFFSET_DATE_TIME));
            if (template.timeZoneName() != null) {
                n.put("timeZone", template.timeZoneName());
            }
        }
        return n;
    }

    private ObjectNode virtualInstance(Cal c, String eventId) {
        int us = eventId.lastIndexOf('_');
        if (us <= 0) {
            return null;
        }
        Ev master = c.events.get(eventId.substring(0, us));
        if (master == null || !master.recurringMaster()) {
            return null;
        }
        for (ObjectNode inst : expandSeries(c, master, null, null, true)) {
            if (eventId.equals(inst.get("id").asText())) {
                return inst;
            }
        }
        return null;
    }

    private static boolean propsMatch(ObjectNode ev, String scope, List<String> filters) {
        for (String f : filters) {
            int eq = f.indexOf('=');
            if (eq <= 0) {
                throw GoogleApiException.badRequest("invalid", "Invalid extended property filter: " + f);
            }
            JsonNode v = ev.path("extendedProperties").path(scope).path(f.substring(0, eq));
            if (!v.isTextual() || !v.asText().equals(f.substring(eq + 1))) {
                return false;
            }
        }
        return true;
    }

    private static boolean matchesText(ObjectNode ev, String text) {
        String needle = text.toLowerCase(Locale.ROOT);
        for (String f : List.of("summary", "description", "location")) {
            if (ev.path(f).asText("").toLowerCase(Locale.ROOT).contains(needle)) {
                return true;
            }
        }
        return false;
    }

    private Cal cal(String calendarId) {
        String id = "primary".equals(calendarId) ? primaryId : calendarId;
        Cal c = calendars.get(id);
        if (c == null) {
            throw GoogleApiException.notFound();
        }
        return c;
    }

    private static ObjectNode requireObject(JsonNode body) {
        if (body == null || !body.isObject()) {
            throw GoogleApiException.badRequest("parseError", "Parse Error");
        }
        return ((ObjectNode) body).deepCopy();
    }

    private static GoogleApiException duplicate() {
        return new GoogleApiException(409, "global", "duplicate", "The requested identifier already exists.");
    }

    private static String etag(Instant at, long seq) {
        return "\"" + at.toEpochMilli() + String.format("%06d", seq % 1_000_000) + "\"";
    }

    String randomId(int length) {
        char[] out = new char[length];
        for (int i = 0; i < length; i++) {
            out[i] = BASE32HEX[random.nextInt(32)];
        }
        return new String(out);
    }

    private static Instant later(Instant a, Instant b) {
        return a.isAfter(b) ? a : b;
    }

    static String first(Map<String, List<String>> q, String key) {
        List<String> v = q.get(key);
        return v == null || v.isEmpty() ? null : v.get(0);
    }

    private static boolean bool(Map<String, List<String>> q, String key) {
        return "true".equalsIgnoreCase(first(q, key));
    }

    private static int maxResults(Map<String, List<String>> q) {
        String v = first(q, "maxResults");
        if (v == null) {
            return 250;
        }
        int n;
        try {
            n = Integer.parseInt(v);
        } catch (NumberFormatException e) {
            throw GoogleApiException.badRequest("invalid", "Invalid value for: maxResults");
        }
        if (n < 1) {
            throw GoogleApiException.badRequest("invalid", "Invalid value for: maxResults");
        }
        return Math.min(n, 2500);
    }

    private static Instant instantParam(Map<String, List<String>> q, String key) {
        String v = first(q, key);
        if (v == null) {
            return null;
        }
        try {
            return OffsetDateTime.parse(v).toInstant();
        } catch (DateTimeParseException e) {
            throw GoogleApiException.badRequest("invalid", "Bad Request");
        }
    }

    static String rfc3339(Instant instant) {
        return RFC3339_UTC.format(instant);
    }
}
