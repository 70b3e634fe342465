package io.chronoroute.testsupport.google;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.sun.net.httpserver.Headers;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import io.chronoroute.testsupport.RequestJournal;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicLong;
import java.util.zip.GZIPInputStream;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A stateful in-JVM stand-in for the Google Calendar API v3 (JSON), enforcing the rules listed in providers.md §1:
 * client id syntax and 409 on reuse (also of deleted ids), import requiring iCalUID, etag/sequence/updated,
 * If-Match 412, sync tokens (only on the last page, forbidden parameters, deletions, 410), paging, extended
 * property filters, recurrence instances, a per-user token bucket answering 403/429 and scripted failures, plus
 * {@code POST /batch/calendar/v3}, calendars get/insert/patch/update/delete (summary), calendarList.patch (the
 * user's colour of a calendar: backgroundColor/foregroundColor only with {@code colorRgbFormat=true}, else 400 as
 * Google answers; colorId), and edits made "by a person in
 * the UI" ({@link #userEdit}, {@link #userDelete}: new etag and {@code updated}, seen by the sync token, not counted
 * as API writes). Point a client at {@link #baseUrl()}; requests arrive as {@code /calendar/v3/...}.
 *
 * <p>Per-user quota is keyed by the {@code quotaUser} parameter, else the Authorization header, else "anonymous".
 */
public final class FakeGoogleCalendar implements AutoCloseable {

    public static final String DEFAULT_PRIMARY_ID = "chronoroute.test@example.com";
    public static final int MAX_BATCH_PARTS = 1000;
    static final Set<String> WRITE_OPERATIONS = Set.of("events.insert", "events.import", "events.update",
            "events.patch", "events.delete");

    private static final Logger LOG = LoggerFactory.getLogger(FakeGoogleCalendar.class);
    private static final Map<Integer, String> REASON_PHRASES = Map.ofEntries(Map.entry(200, "OK"),
            Map.entry(204, "No Content"), Map.entry(400, "Bad Request"), Map.entry(401, "Unauthorized"),
            Map.entry(403, "Forbidden"), Map.entry(404, "Not Found"), Map.entry(409, "Conflict"),
            Map.entry(410, "Gone"), Map.entry(412, "Precondition Failed"), Map.entry(429, "Too Many Requests"),
            Map.entry(500, "Internal Server Error"), Map.entry(503, "Service Unavailable"));

    private final ObjectMapper mapper = new ObjectMapper();
    private final Clock clock;
    private final GoogleCalendarStore store;
    private final RequestJournal journal = new RequestJournal();
    private final AtomicLong httpRequests = new AtomicLong();
    private final Map<String, double[]> buckets = new HashMap<>();
    private final List<ScriptedFailure> scripted = new ArrayList<>();
    private final List<ScriptedFailure> scriptedBatches = new ArrayList<>();
    private volatile int requestsPerMinute;
    private volatile QuotaResponse quotaResponse;
    private Runnable beforeNextWrite;
    private HttpServer server;
    private ExecutorService executor;

    private record ScriptedFailure(int status, String reason, long retryAfterSeconds, boolean writesOnly) {
    }

    private record ApiResult(int status, JsonNode body, Map<String, String> headers) {
    }

    /** Builder for non-default settings. */
    public static final class Builder {
        private Clock clock = Clock.systemUTC();
        private int requestsPerMinute;
        private QuotaResponse quotaResponse = QuotaResponse.FORBIDDEN_403;
        private Duration syncTokenExpiry;
        private ImportDuplicateMode importDuplicateMode = ImportDuplicateMode.CONFLICT;
        private String primaryCalendarId = DEFAULT_PRIMARY_ID;

        public Builder clock(Clock value) {
            this.clock = value;
            return this;
        }

        /** Per-user token bucket size and refill per minute; 0 (default) means no limit. */
        public Builder requestsPerMinute(int value) {
            this.requestsPerMinute = value;
            return this;
        }

        public Builder quotaResponse(QuotaResponse value) {
            this.quotaResponse = value;
            return this;
        }

        /** Sync tokens older than this answer 410; null (default) means they never expire. */
        public Builder syncTokenExpiry(Duration value) {
            this.syncTokenExpiry = value;
            return this;
        }

        public Builder importDuplicateMode(ImportDuplicateMode value) {
            this.importDuplicateMode = value;
            return this;
        }

        public Builder primaryCalendarId(String value) {
            this.primaryCalendarId = value;
            return this;
        }

        public FakeGoogleCalendar build() {
            return new FakeGoogleCalendar(this);
        }
    }

    public FakeGoogleCalendar() {
        this(new Builder());
    }

    private FakeGoogleCalendar(Builder b) {
        this.clock = b.clock;
        this.requestsPerMinute = b.requestsPerMinute;
        this.quotaResponse = b.quotaResponse;
        this.store = new GoogleCalendarStore(mapper, b.clock, b.primaryCalendarId, b.syncTokenExpiry,
                b.importDuplicateMode);
    }

    public static Builder builder() {
        return new Builder();
    }

    // ---------------------------------------------------------------- lifecycle

    /** Binds 127.0.0.1 on a random port and starts serving. */
    public synchronized FakeGoogleCalendar start() {
        if (server != null) {
            return this;
        }
        try {
            server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 64);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot bind the fake Google Calendar server", e);
        }
        executor = Executors.newFixedThreadPool(4, r -> {
            Thread t = new Thread(r, "fake-google-calendar");
            t.setDaemon(true);
            return t;
        });
        server.setExecutor(executor);
        server.createContext("/", this::handle);
        server.start();
        LOG.info("fake Google Calendar at {}", baseUrl());
        return this;
    }

    @Override
    public synchronized void close() {
        if (server != null) {
            server.stop(0);
            executor.shutdownNow();
            server = null;
        }
    }

    /** Root URL with trailing slash, e.g. {@code http://127.0.0.1:40123/}, for {@code Calendar.Builder.setRootUrl}. */
    public String baseUrl() {
        return "http://127.0.0.1:" + port() + "/";
    }

    public synchronized int port() {
        if (server == null) {
            throw new IllegalStateException("not started");
        }
        return server.getAddress().getPort();
    }

    // ---------------------------------------------------------------- knobs

    /** Every sync token issued so far answers 410 fullSyncRequired from now on. */
    public void invalidateSyncTokens() {
        store.invalidateSyncTokens();
    }

    public void syncTokenExpiry(Duration expiry) {
        store.syncTokenExpiry(expiry);
    }

    public void importDuplicateMode(ImportDuplicateMode mode) {
        store.importDuplicateMode(mode);
    }

    /** Changes the per-user rate; buckets restart full. 0 disables the limit. */
    public synchronized void requestsPerMinute(int value) {
        this.requestsPerMinute = value;
        buckets.clear();
    }

    public void quotaResponse(QuotaResponse value) {
        this.quotaResponse = value;
    }

    /**
     * The next {@code n} API calls (batch parts included) fail with this status and reason, in Google's error
     * format; {@code retryAfterSeconds > 0} adds a Retry-After header. Reasons about rate or quota get the
     * {@code usageLimits} domain, others {@code global}.
     */
    public synchronized void failNext(int n, int status, String reason, long retryAfterSeconds) {
        for (int i = 0; i < n; i++) {
            scripted.add(new ScriptedFailure(status, reason, retryAfterSeconds, false));
        }
    }

    /**
     * Runs {@code edit} once, right before the next API write is applied (after it arrived): a person editing the
     * event in Google's UI between a client's read and its write, so the write's If-Match meets a new etag (412).
     */
    public synchronized void beforeNextWrite(Runnable edit) {
        this.beforeNextWrite = edit;
    }

    /**
     * Like {@link #failNext}, but only event writes (insert/import/update/patch/delete, batch parts included) take
     * these failures; reads pass. Queued with the others in one order: each call takes the first failure it may.
     */
    public synchronized void failNextWrites(int n, int status, String reason, long retryAfterSeconds) {
        for (int i = 0; i < n; i++) {
            scripted.add(new ScriptedFailure(status, reason, retryAfterSeconds, true));
        }
    }

    // ---------------------------------------------------------------- inspection

    /**
     * The next {@code n} batch requests are refused as a whole (no part runs, none is counted against the quota)
     * with this status and reason in Google's error format, like {@link #failNext}.
     */
    public synchronized void failNextBatch(int n, int status, String reason, long retryAfterSeconds) {
        for (int i = 0; i < n; i++) {
            scriptedBatches.add(new ScriptedFailure(status, reason, retryAfterSeconds, false));
        }
    }

    public String primaryCalendarId() {
        return store.primaryId();
    }

    /** Creates a secondary calendar directly (not journaled) and returns its id. */
    public String createCalendar(String summary) {
        return store.insertCalendar(mapper.createObjectNode().put("summary", summary)).get("id").asText();
    }

    /** The calendar resource (id, summary, description, timeZone, etag) as {@code calendars.get} answers. */
    public ObjectNode calendar(String calendarId) {
        return store.getCalendar(calendarId);
    }

    /** The calendar's entry in the user's calendar list (colours included). */
    public ObjectNode calendarListEntry(String calendarId) {
        return store.calendarListEntry(calendarId);
    }

    /**
     * A person edits the event in Google's UI: {@code patch} applied with patch semantics (a new etag and
     * {@code updated}, the sync token reports the event); not journaled and not in {@link #writes()}. Returns the
     * event as stored.
     */
    public ObjectNode userEdit(String calendarId, String eventId, ObjectNode patch) {
        return store.userPatch(calendarId, eventId, patch);
    }

    /**
     * A person creates an event in Google's UI ({@code event} as an insert body, without our tags): Google's id,
     * the given {@code iCalUID} or Google's own; reported by the sync token; not journaled and not in
     * {@link #writes()}. Returns the event as stored.
     */
    public ObjectNode userCreate(String calendarId, ObjectNode event) {
        return store.userInsert(calendarId, event);
    }

    /** A person changes the event's title in Google's UI ({@link #userEdit}). */
    public ObjectNode userEditSummary(String calendarId, String eventId, String summary) {
        return userEdit(calendarId, eventId, mapper.createObjectNode().put("summary", summary));
    }

    /** A person deletes the event in Google's UI: cancelled, reported by the sync token; not in writes. */
    public void userDelete(String calendarId, String eventId) {
        store.userDelete(calendarId, eventId);
    }

    /** Every stored event of a calendar, including cancelled ones and instance overrides, as JSON copies. */
    public List<ObjectNode> storedEvents(String calendarId) {
        return store.storedEvents(calendarId);
    }

    /** Accepted writes with their sendUpdates choice. */
    public List<GoogleWrite> writes() {
        return store.writes();
    }

    public RequestJournal journal() {
        return journal;
    }

    /** API calls answered (each batch part counts, the batch envelope does not). */
    public long totalRequests() {
        return journal.count(e -> !"batch".equals(e.operation()));
    }

    /** Calls to events insert/import/update/patch/delete, whatever their status. */
    public long writeCalls() {
        return journal.count(e -> WRITE_OPERATIONS.contains(e.operation()));
    }

    /** HTTP exchanges received (a batch counts once). */
    public long httpRequests() {
        return httpRequests.get();
    }

    public long count(String operation) {
        return journal.count(e -> operation.equals(e.operation()));
    }

    // ---------------------------------------------------------------- HTTP

    private void handle(HttpExchange ex) throws IOException {
        httpRequests.incrementAndGet();
        try (ex) {
            byte[] raw = readBody(ex);
            String method = ex.getRequestMethod().toUpperCase(Locale.ROOT);
            String override = ex.getRequestHeaders().getFirst("X-HTTP-Method-Override");
            if ("POST".equals(method) && override != null) {
                method = override.toUpperCase(Locale.ROOT);
            }
            String path = ex.getRequestURI().getRawPath();
            String query = ex.getRequestURI().getRawQuery();
            if (path.startsWith("/batch")) {
                handleBatch(ex, method, path, query, raw);
                return;
            }
            ApiResult r = call(method, path, query, ex.getRequestHeaders(), new String(raw, StandardCharsets.UTF_8));
            r.headers().forEach((k, v) -> ex.getResponseHeaders().set(k, v));
            if (r.body() == null) {
                ex.sendResponseHeaders(r.status(), -1);
            } else {
                byte[] out = mapper.writeValueAsBytes(r.body());
                ex.getResponseHeaders().set("Content-Type", "application/json; charset=UTF-8");
                ex.sendResponseHeaders(r.status(), out.length);
                ex.getResponseBody().write(out);
            }
        } catch (RuntimeException e) {
            LOG.error("fake Google Calendar failed on {} {}", ex.getRequestMethod(), ex.getRequestURI(), e);
            ex.sendResponseHeaders(500, -1);
        }
    }

    private static byte[] readBody(HttpExchange ex) throws IOException {
        byte[] raw = ex.getRequestBody().readAllBytes();
        String enc = ex.getRequestHeaders().getFirst("Content-Encoding");
        if (enc != null && enc.toLowerCase(Locale.ROOT).contains("gzip") && raw.length > 0) {
            try (InputStream in = new GZIPInputStream(new ByteArrayInputStream(raw))) {
                return in.readAllBytes();
            }
        }
        return raw;
    }

    /** One API call, from HTTP or from a batch part: failures, quota, dispatch, journal. */
    private ApiResult call(String method, String rawPath, String rawQuery, Headers headers, String body) {
        Map<String, List<String>> q = parseQuery(rawQuery);
        List<String> segments = segments(rawPath);
        String op = operation(method, segments);
        ApiResult result;
        try {
            checkScriptedAndQuota(q, headers, op);
            result = dispatch(method, segments, q, headers, body);
        } catch (GoogleApiException e) {
            result = error(e);
        }
        journal.add(new RequestJournal.Entry(clock.instant(), method, rawPath, rawQuery, op, result.status(), body));
        return result;
    }

    private void checkScriptedAndQuota(Map<String, List<String>> q, Headers headers, String op) {
        Runnable hook = null;
        synchronized (this) {
            if (beforeNextWrite != null && WRITE_OPERATIONS.contains(op)) {
                hook = beforeNextWrite;
                beforeNextWrite = null;
            }
        }
        if (hook != null) {
            hook.run(); // outside the lock: the hook edits the store like a person would
        }
        synchronized (this) {
            ScriptedFailure f = null;
            for (int i = 0; i < scripted.size() && f == null; i++) {
                if (!scripted.get(i).writesOnly() || WRITE_OPERATIONS.contains(op)) {
                    f = scripted.remove(i);
                }
            }
            if (f != null) {
                String domain = f.reason().contains("imit") || f.reason().contains("uota") ? "usageLimits" : "global";
                throw new GoogleApiException(f.status(), domain, f.reason(), message(f.reason()),
                        f.retryAfterSeconds() > 0 ? (int) f.retryAfterSeconds() : null);
            }
            int rpm = requestsPerMinute;
            if (rpm <= 0) {
                return;
            }
            String user = GoogleCalendarStore.first(q, "quotaUser");
            if (user == null) {
                user = headers == null ? null : headers.getFirst("Authorization");
            }
            if (user == null) {
                user = "anonymous";
            }
            Instant now = clock.instant();
            double[] b = buckets.computeIfAbsent(user, u -> new double[] {rpm, now.toEpochMilli()});
            double perMs = rpm / 60_000.0;
            b[0] = Math.min(rpm, b[0] + (now.toEpochMilli() - b[1]) * perMs);
            b[1] = now.toEpochMilli();
            if (b[0] >= 1.0) {
                b[0] -= 1.0;
                return;
            }
            int retryAfter = (int) Math.max(1, Math.ceil((1.0 - b[0]) / perMs / 1000.0));
            if (quotaResponse == QuotaResponse.TOO_MANY_REQUESTS_429) {
                throw new GoogleApiException(429, "usageLimits", "rateLimitExceeded", "Rate Limit Exceeded",
                        retryAfter);
            }
            throw new GoogleApiException(403, "usageLimits", "userRateLimitExceeded", "User Rate Limit Exceeded");
        }
    }

    private static String message(String reason) {
        return switch (reason) {
            case "rateLimitExceeded" -> "Rate Limit Exceeded";
            case "userRateLimitExceeded" -> "User Rate Limit Exceeded";
            case "quotaExceeded" -> "Calendar usage limits exceeded.";
            case "backendError" -> "Backend Error";
            default -> reason;
        };
    }

    private ApiResult dispatch(String method, List<String> s, Map<String, List<String>> q, Headers headers,
            String body) {
        String ifMatch = headers == null ? null : headers.getFirst("If-Match");
        String sendUpdates = GoogleCalendarStore.first(q, "sendUpdates");
        if (sendUpdates != null && !Set.of("all", "externalOnly", "none").contains(sendUpdates)) {
            throw GoogleApiException.badRequest("invalidParameter", "Invalid value for: sendUpdates");
        }
        int n = s.size();
        if (n >= 3 && s.get(0).equals("users") && s.get(1).equals("me") && s.get(2).equals("calendarList")
                && "GET".equals(method)) {
            return ok(n == 3 ? store.calendarList() : store.calendarListEntry(s.get(3)));
        }
        if (n == 4 && s.get(0).equals("users") && s.get(1).equals("me") && s.get(2).equals("calendarList")
                && "PATCH".equals(method)) {
            return ok(store.patchCalendarListEntry(s.get(3), parse(body),
                    "true".equalsIgnoreCase(GoogleCalendarStore.first(q, "colorRgbFormat"))));
        }
        if (n >= 1 && s.get(0).equals("calendars")) {
            if (n == 1 && "POST".equals(method)) {
                return ok(store.insertCalendar(parse(body)));
            }
            if (n == 2 && "GET".equals(method)) {
                return ok(store.getCalendar(s.get(1)));
            }
            if (n == 2 && "PATCH".equals(method)) {
                return ok(store.patchCalendar(s.get(1), parse(body)));
            }
            if (n == 2 && "PUT".equals(method)) {
                return ok(store.updateCalendar(s.get(1), parse(body)));
            }
            if (n == 2 && "DELETE".equals(method)) {
                store.deleteCalendar(s.get(1));
                return new ApiResult(204, null, Map.of());
            }
            if (n >= 3 && s.get(2).equals("events")) {
                String cal = s.get(1);
                if (n == 3 && "GET".equals(method)) {
                    return ok(store.listEvents(cal, q));
                }
                if (n == 3 && "POST".equals(method)) {
                    return ok(store.insertEvent(cal, parse(body), sendUpdates));
                }
                if (n == 4 && "POST".equals(method) && s.get(3).equals("import")) {
                    return ok(store.importEvent(cal, parse(body)));
                }
                if (n == 4) {
                    String id = s.get(3);
                    switch (method) {
                        case "GET":
                            return ok(store.getEvent(cal, id));
                        case "PUT":
                            return ok(store.updateEvent(cal, id, parse(body), ifMatch, sendUpdates));
                        case "PATCH":
                            return ok(store.patchEvent(cal, id, parse(body), ifMatch, sendUpdates));
                        case "DELETE":
                            store.deleteEvent(cal, id, ifMatch, sendUpdates);
                            return new ApiResult(204, null, Map.of());
                        default:
                            break;
                    }
                }
                if (n == 5 && "GET".equals(method) && s.get(4).equals("instances")) {
                    return ok(store.instances(cal, s.get(3), q));
                }
            }
        }
        throw GoogleApiException.notFound();
    }

    private static String operation(String method, List<String> s) {
        int n = s.size();
        if (n >= 3 && s.get(0).equals("users") && s.get(2).equals("calendarList")) {
            return n == 3 ? "calendarList.list" : "PATCH".equals(method) ? "calendarList.patch" : "calendarList.get";
        }
        if (n == 1 && s.get(0).equals("calendars")) {
            return "calendars.insert";
        }
        if (n == 2 && s.get(0).equals("calendars")) {
            return switch (method) {
                case "DELETE" -> "calendars.delete";
                case "PATCH" -> "calendars.patch";
                case "PUT" -> "calendars.update";
                default -> "calendars.get";
            };
        }
        if (n == 3 && s.get(2).equals("events")) {
            return "POST".equals(method) ? "events.insert" : "events.list";
        }
        if (n == 4 && s.get(2).equals("events")) {
            if ("POST".equals(method) && s.get(3).equals("import")) {
                return "events.import";
            }
            return switch (method) {
                case "GET" -> "events.get";
                case "PUT" -> "events.update";
                case "PATCH" -> "events.patch";
                case "DELETE" -> "events.delete";
                default -> "unknown";
            };
        }
        if (n == 5 && s.get(4).equals("instances")) {
            return "events.instances";
        }
        return "unknown";
    }

    private JsonNode parse(String body) {
        if (body == null || body.isBlank()) {
            throw GoogleApiException.badRequest("required", "Required");
        }
        try {
            return mapper.readTree(body);
        } catch (JsonProcessingException e) {
            throw GoogleApiException.badRequest("parseError", "Parse Error");
        }
    }

    private static ApiResult ok(ObjectNode body) {
        Map<String, String> headers = body.hasNonNull("etag") ? Map.of("ETag", body.get("etag").asText()) : Map.of();
        return new ApiResult(200, body, headers);
    }

    private ApiResult error(GoogleApiException e) {
        ObjectNode root = mapper.createObjectNode();
        ObjectNode err = root.putObject("error");
        err.putArray("errors").addObject().put("domain", e.domain()).put("reason", e.reason())
                .put("message", e.getMessage());
        err.put("code", e.status());
        err.put("message", e.getMessage());
        Map<String, String> headers = e.retryAfterSeconds() != null
                ? Map.of("Retry-After", String.valueOf(e.retryAfterSeconds())) : Map.of();
        return new ApiResult(e.status(), root, headers);
    }

    private static List<String> segments(String rawPath) {
        String prefix = "/calendar/v3/";
        if (!rawPath.startsWith(prefix)) {
            return List.of("<outside-api>");
        }
        List<String> out = new ArrayList<>();
        for (String seg : rawPath.substring(prefix.length()).split("/")) {
            if (!seg.isEmpty()) {
                out.add(URLDecoder.decode(seg.replace("+", "%2B"), StandardCharsets.UTF_8));
            }
        }
        return out;
    }

    static Map<String, List<String>> parseQuery(String rawQuery) {
        Map<String, List<String>> out = new LinkedHashMap<>();
        if (rawQuery == null || rawQuery.isEmpty()) {
            return out;
        }
        for (String pair : rawQuery.split("&")) {
            if (pair.isEmpty()) {
                continue;
            }
            int eq = pair.indexOf('=');
            String k = URLDecoder.decode(eq < 0 ? pair : pair.substring(0, eq), StandardCharsets.UTF_8);
            String v = eq < 0 ? "" : URLDecoder.decode(pair.substring(eq + 1), StandardCharsets.UTF_8);
            out.computeIfAbsent(k, x -> new ArrayList<>()).add(v);
        }
        return out;
    }

    // ---------------------------------------------------------------- batch

    private void handleBatch(HttpExchange ex, String method, String path, String query, byte[] raw)
            throws IOException {
        String contentType = ex.getRequestHeaders().getFirst("Content-Type");
        String boundary = boundary(contentType);
        String text = new String(raw, StandardCharsets.UTF_8);
        List<String> parts = boundary == null || !"POST".equals(method) || !path.equals("/batch/calendar/v3")
                ? null : splitParts(text, boundary);
        if (parts == null || parts.isEmpty() || parts.size() > MAX_BATCH_PARTS) {
            String msg = parts != null && parts.size() > MAX_BATCH_PARTS
                    ? "A batch request cannot contain more than " + MAX_BATCH_PARTS + " calls." : "Invalid batch request.";
            ApiResult r = error(GoogleApiException.badRequest("invalid", msg));
            journal.add(new RequestJournal.Entry(clock.instant(), method, path, query, "batch", 400, text));
            byte[] out = mapper.writeValueAsBytes(r.body());
            ex.getResponseHeaders().set("Content-Type", "application/json; charset=UTF-8");
            ex.sendResponseHeaders(400, out.length);
            ex.getResponseBody().write(out);
            return;
        }
        ScriptedFailure refusal;
        synchronized (this) {
            refusal = scriptedBatches.isEmpty() ? null : scriptedBatches.remove(0);
        }
        if (refusal != null) {
            String domain = refusal.reason().contains("imit") || refusal.reason().contains("uota") ? "usageLimits"
                    : "global";
            ApiResult r = error(new GoogleApiException(refusal.status(), domain, refusal.reason(),
                    message(refusal.reason()), refusal.retryAfterSeconds() > 0 ? (int) refusal.retryAfterSeconds()
                    : null));
            journal.add(new RequestJournal.Entry(clock.instant(), method, path, query, "batch", r.status(), text));
            r.headers().forEach((k, v) -> ex.getResponseHeaders().set(k, v));
            byte[] out = mapper.writeValueAsBytes(r.body());
            ex.getResponseHeaders().set("Content-Type", "application/json; charset=UTF-8");
            ex.sendResponseHeaders(r.status(), out.length);
            ex.getResponseBody().write(out);
            return;
        }
        journal.add(new RequestJournal.Entry(clock.instant(), method, path, query, "batch", 200, text));
        String outBoundary = "batch_" + store.randomId(24);
        StringBuilder sb = new StringBuilder();
        for (String part : parts) {
            String[] outerAndInner = splitHead(part);
            Map<String, String> outer = headerMap(outerAndInner[0]);
            String[] reqAndBody = splitHead(outerAndInner[1]);
            String[] headLines = reqAndBody[0].split("\r?\n");
            String[] requestLine = headLines[0].trim().split(" ");
            Headers inner = new Headers();
            for (int i = 1; i < headLines.length; i++) {
                int colon = headLines[i].indexOf(':');
                if (colon > 0) {
                    inner.add(headLines[i].substring(0, colon).trim(), headLines[i].substring(colon + 1).trim());
                }
            }
            URI uri = URI.create(requestLine[1]);
            String partMethod = requestLine[0].toUpperCase(Locale.ROOT);
            String partOverride = inner.getFirst("X-HTTP-Method-Override");
            if ("POST".equals(partMethod) && partOverride != null) {
                partMethod = partOverride.toUpperCase(Locale.ROOT);
            }
            if (inner.getFirst("Authorization") == null && ex.getRequestHeaders().getFirst("Authorization") != null) {
                inner.set("Authorization", ex.getRequestHeaders().getFirst("Authorization"));
            }
            ApiResult r = call(partMethod, uri.getRawPath(), uri.getRawQuery(), inner, reqAndBody[1].strip());
            String contentId = outer.get("content-id");
            sb.append("--").append(outBoundary).append("\r\n");
            sb.append("Content-Type: application/http\r\n");
            if (contentId != null) {
                String id = contentId.replaceAll("^<|>$", "");
                sb.append("Content-ID: <response-").append(id).append(">\r\n");
            }
            sb.append("\r\n");
            sb.append("HTTP/1.1 ").append(r.status()).append(' ')
                    .append(REASON_PHRASES.getOrDefault(r.status(), "Status")).append("\r\n");
            r.headers().forEach((k, v) -> sb.append(k).append(": ").append(v).append("\r\n"));
            if (r.body() != null) {
                String json = mapper.writeValueAsString(r.body());
                sb.append("Content-Type: application/json; charset=UTF-8\r\n");
                sb.append("Content-Length: ").append(json.getBytes(StandardCharsets.UTF_8).length).append("\r\n");
                sb.append("\r\n").append(json).append("\r\n");
            } else {
                sb.append("Content-Length: 0\r\n\r\n");
            }
        }
        sb.append("--").append(outBoundary).append("--\r\n");
        byte[] out = sb.toString().getBytes(StandardCharsets.UTF_8);
        ex.getResponseHeaders().set("Content-Type", "multipart/mixed; boundary=" + outBoundary);
        ex.sendResponseHeaders(200, out.length);
        try (OutputStream os = ex.getResponseBody()) {
            os.write(out);
        }
    }

    private static String boundary(String contentType) {
        if (contentType == null || !contentType.toLowerCase(Locale.ROOT).startsWith("multipart/mixed")) {
            return null;
        }
        for (String p : contentType.split(";")) {
            String t = p.trim();
            if (t.toLowerCase(Locale.ROOT).startsWith("boundary=")) {
                return t.substring(9).replace("\"", "");
            }
        }
        return null;
    }

    private static List<String> splitParts(String body, String boundary) {
        String delimiter = "--" + boundary;
        List<String> parts = new ArrayList<>();
        int pos = body.indexOf(delimiter);
        while (pos >= 0) {
            int start = pos + delimiter.length();
            if (body.startsWith("--", start)) {
                break;
            }
            int next = body.indexOf(delimiter, start);
            if (next < 0) {
                return null;
            }
            String part = body.substring(start, next).replaceFirst("^\r?\n", "");
            parts.add(part.replaceFirst("\r?\n$", ""));
            pos = next;
        }
        return parts;
    }

    private static String[] splitHead(String text) {
        int crlf = text.indexOf("\r\n\r\n");
        int lf = text.indexOf("\n\n");
        if (crlf >= 0 && (lf < 0 || crlf <= lf)) {
            return new String[] {text.substring(0, crlf), text.substring(crlf + 4)};
        }
        if (lf >= 0) {
            return new String[] {text.substring(0, lf), text.substring(lf + 2)};
        }
        return new String[] {text, ""};
    }

    private static Map<String, String> headerMap(String head) {
        Map<String, String> out = new HashMap<>();
        for (String line : head.split("\r?\n")) {
            int colon = line.indexOf(':');
            if (colon > 0) {
                out.put(line.substring(0, colon).trim().toLowerCase(Locale.ROOT), line.substring(colon + 1).trim());
            }
        }
        return out;
    }
}
