package io.chronoroute.testsupport.graph;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import io.chronoroute.testsupport.RequestJournal;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URLDecoder;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.security.SecureRandom;
import java.time.Clock;
import java.time.DateTimeException;
import java.time.Duration;
import java.time.Instant;
import java.time.LocalDate;
import java.time.LocalDateTime;
import java.time.LocalTime;
import java.time.ZoneId;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Deque;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A stateful in-JVM stand-in for the Microsoft Graph calendar API (v1.0 and beta paths alike) and the Microsoft
 * identity platform's token endpoint, enforcing what the real service does where our clients depend on it:
 * <ul>
 *   <li><b>Auth:</b> {@code POST /{tenant}/oauth2/v2.0/token} with {@code client_credentials} (scope
 *       {@code https://graph.microsoft.com/.default}), {@code refresh_token} (a new refresh token on every use, as
 *       the identity platform answers; the one used stays valid, as Entra ID keeps it until it expires or is
 *       revoked, unless {@link #singleUseRefreshTokens} makes a used one invalid — the strict model, which proves a
 *       client keeps the newest) and the device
 *       code grant ({@code /devicecode}, {@code authorization_pending} until {@link #approveDevice}); every API
 *       call needs a live bearer token (401 {@code InvalidAuthenticationToken}); {@code /me} only with a delegated
 *       token (400 for app-only, as Graph answers).</li>
 *   <li><b>Calendars</b> of {@code /me} and {@code /users/{id|upn}}: list, get, create, PATCH {@code name} and
 *       {@code color} (the {@code calendarColor} enum; {@code hexColor} is read-only: 400).</li>
 *   <li><b>Events:</b> opaque ids, {@code changeKey} and {@code @odata.etag} new on every change, {@code If-Match}
 *       (412 {@code ErrorIrresolvableConflict} when stale), read-only {@code id}/{@code iCalUId} (400 when sent),
 *       {@code transactionId} (a retried POST returns the event created first), series masters with a
 *       {@code patternedRecurrence}, computed occurrences ({@code /instances}), exceptions (type
 *       {@code exception}, {@code seriesMasterId}, {@code originalStart}; a PATCH of an occurrence makes one),
 *       cancelled occurrences (a DELETE of an occurrence; listed on the master as {@code cancelledOccurrences},
 *       the beta property), {@code $expand=exceptionOccurrences}, {@code singleValueExtendedProperties} stored,
 *       returned only with {@code $expand=singleValueExtendedProperties($filter=id eq '…')} and filterable with
 *       {@code singleValueExtendedProperties/Any(ep: ep/id eq '…' and ep/value eq '…')}; events are also
 *       filterable by {@code iCalUId eq '…'}. A change of an exception or
 *       a cancelled occurrence changes the master too (Exchange keeps them in the master item).</li>
 *   <li><b>Times:</b> answers in UTC (Graph's default and {@code Prefer: outlook.timezone="UTC"}) or in the IANA
 *       zone the Prefer header names; {@code originalStartTimeZone}/{@code originalEndTimeZone} keep the zone the
 *       event was written in; all-day events keep their midnight dates unconverted.</li>
 *   <li><b>Delta:</b> {@code /calendars/{id}/events/delta} (series masters and single events, beta semantics) and
 *       {@code /calendars/{id}/calendarView/delta?startDateTime&endDateTime} (single events, occurrences and
 *       exceptions in the window): pages by {@code @odata.nextLink} ({@code $skiptoken}), the round ends with
 *       {@code @odata.deltaLink} ({@code $deltatoken}); a later round returns what changed and
 *       {@code {"id":…,"@removed":{"reason":"deleted"}}} for what is gone; an unknown, expired or invalidated delta
 *       token is 410 {@code SyncStateNotFound}. {@code Prefer: odata.maxpagesize} is honoured.</li>
 *   <li><b>Limits:</b> {@code POST /$batch} with at most {@value #MAX_BATCH} requests (more: 400); a per-mailbox
 *       request budget per window (configurable; over it: 429 {@code ApplicationThrottled} with Retry-After); at
 *       most {@value #MAX_CONCURRENT} concurrent requests per mailbox (more: 429 {@code ApplicationThrottled},
 *       MailboxConcurrency); scripted failures ({@link #failNext}).</li>
 * </ul>
 * What Graph would send to attendees (invitations, updates, cancellations of a meeting written through the API) is
 * recorded in {@link #messagesSent()}, so a test proves that nothing was sent.
 */
public final class FakeGraph implements AutoCloseable {

    public static final int MAX_BATCH = 20;
    public static final int MAX_CONCURRENT = 4;
    public static final String GRAPH_SCOPE = "https://graph.microsoft.com/.default";
    public static final List<String> CALENDAR_COLORS = List.of("auto", "lightBlue", "lightGreen", "lightOrange",
            "lightGray", "lightYellow", "lightTeal", "lightPink", "lightBrown", "lightRed", "maxColor");
    /** The hexColor Outlook shows for each calendarColor (read-only in Graph). */
    static final Map<String, String> HEX = Map.of("auto", "", "lightBlue", "#a6d1f5", "lightGreen", "#87d28e",
            "lightOrange", "#fcab73", "lightGray", "#c0c0c0", "lightYellow", "#f4d07a", "lightTeal", "#6ee0d2",
            "lightPink", "#f59db8", "lightBrown", "#e6bc8e", "lightRed", "#f3888a");
    private static final Pattern PROP_ID = Pattern.compile("String \\{[0-9a-fA-F-]{36}} Name \\S+");
    private static final Pattern PROP_FILTER = Pattern.compile(
            "singleValueExtendedProperties/Any\\(ep: ?ep/id eq '([^']+)'(?: and ep/value eq '((?:[^']|'')*)')?\\)");
    private static final Pattern EXPAND_PROP = Pattern.compile(
            "singleValueExtendedProperties\\(\\$filter=id eq '([^']+)'\\)");
    private static final Map<String, String> WINDOWS = Map.of("W. Europe Standard Time", "Europe/Berlin",
            "Pacific Standard Time", "America/Los_Angeles", "Eastern Standard Time", "America/New_York",
            "GMT Standard Time", "Europe/London", "Romance Standard Time", "Europe/Paris",
            "Tokyo Standard Time", "Asia/Tokyo", "UTC", "UTC");
    private static final DateTimeFormatter GRAPH_TIME = DateTimeFormatter.ofPattern("yyyy-MM-dd'T'HH:mm:ss.SSSSSSS");
    private static final Logger LOG = LoggerFactory.getLogger(FakeGraph.class);

    private final ObjectMapper mapper = new ObjectMapper();
    private final SecureRandom random = new SecureRandom();
    private final Clock clock;
    private final String tenant;
    private final String clientId;
    private final String clientSecret;
    private final RequestJournal journal = new RequestJournal();
    private final Map<String, Mailbox> mailboxes = new LinkedHashMap<>();
    private static final String DECLINED = "\u0000declined";
    private final Map<String, Principal> accessTokens = new HashMap<>();
    private final Map<String, String> refreshTokens = new HashMap<>();
    private final Map<String, Device> devices = new HashMap<>();
    private final Map<String, DeltaState> deltaTokens = new HashMap<>();
    private final Map<String, Page> pages = new HashMap<>();
    private final List<Failure> scripted = new ArrayList<>();
    private final List<String> messagesSent = new ArrayList<>();
    private final AtomicInteger tokenRequests = new AtomicInteger();
    private volatile int requestsPerWindow;
    private volatile Duration window;
    private volatile long retryAfterSeconds;
    private volatile Duration deltaTokenExpiry;
    private volatile boolean singleUseRefreshTokens;
    private volatile CountDownLatch hold;
    private Runnable beforeNextWrite;
    private HttpServer server;
    private ExecutorService executor;

    private record Principal(String upn, Instant expires) {
        boolean appOnly() {
            return upn == null;
        }
    }

    private record Device(String deviceCode, String userCode, Instant expires, String[] approved) {
    }

    private record Failure(int status, String code, long retryAfter) {
    }

    /** What a delta token stands for: the view and, per item id, the changeKey the client has seen. */
    private record DeltaState(String mailbox, String calendarId, boolean view, Instant start, Instant end,
                              Map<String, String> seen, Instant issued) {
    }

    /** A delta round's remaining items and the delta token its last page carries. */
    private record Page(List<ObjectNode> items, String path, String deltaToken) {
    }

    private static final class Mailbox {
        final String id;
        final String upn;
        final Map<String, ObjectNode> calendars = new LinkedHashMap<>();
        final Map<String, Map<String, ObjectNode>> events = new LinkedHashMap<>();
        final Deque<Instant> recent = new ArrayDeque<>();
        final AtomicInteger inFlight = new AtomicInteger();

        Mailbox(String id, String upn) {
            this.id = id;
            this.upn = upn;
        }
    }

    /** Builder for non-default settings. */
    public static final class Builder {
        private Clock clock = Clock.systemUTC();
        private String tenant = "contoso.onmicrosoft.com";
        private String clientId = "00000000-0000-0000-0000-00000000c11e";
        private String clientSecret = "fake-client-secret";
        private int requestsPerWindow;
        private Duration window = Duration.ofMinutes(10);
        private long retryAfterSeconds = 30;

        public Builder clock(Clock v) {
            clock = v;
            return this;
        }

        public Builder tenant(String v) {
            tenant = v;
            return this;
        }

        public Builder client(String id, String secret) {
            clientId = id;
            clientSecret = secret;
            return this;
        }

        /** Per-mailbox budget: {@code n} requests per {@code window} (Graph: 10,000 per 10 minutes); 0 = none. */
        public Builder requestsPerWindow(int n, Duration window, long retryAfterSeconds) {
            this.requestsPerWindow = n;
            this.window = window;
            this.retryAfterSeconds = retryAfterSeconds;
            return this;
        }

        public FakeGraph build() {
            return new FakeGraph(this);
        }
    }

    public static Builder builder() {
        return new Builder();
    }

    public FakeGraph() {
        this(new Builder());
    }

    private FakeGraph(Builder b) {
        this.clock = b.clock;
        this.tenant = b.tenant;
        this.clientId = b.clientId;
        this.clientSecret = b.clientSecret;
        this.requestsPerWindow = b.requestsPerWindow;
        this.window = b.window;
        this.retryAfterSeconds = b.retryAfterSeconds;
    }

    // ---------------------------------------------------------------- lifecycle

    /** Binds 127.0.0.1 on a random port and starts serving. */
    public synchronized FakeGraph start() {
        if (server != null) {
            return this;
        }
        try {
            server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 64);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot bind the fake Graph server", e);
        }
        executor = Executors.newCachedThreadPool(r -> {
            Thread t = new Thread(r, "fake-graph");
            t.setDaemon(true);
            return t;
        });
        server.setExecutor(executor);
        server.createContext("/", this::handle);
        server.start();
        LOG.info("fake Microsoft Graph at {}", baseUrl());
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

    /** e.g. {@code http://127.0.0.1:40123}: the API is under {@code /v1.0} and {@code /beta}, tokens under /{tenant}. */
    public String baseUrl() {
        return "http://127.0.0.1:" + port();
    }

    /** The API root for a client: {@code <baseUrl>/v1.0}. */
    public String graphUrl() {
        return baseUrl() + "/v1.0";
    }

    /** The authority host for a client: token endpoint at {@code <authorityUrl>/<tenant>/oauth2/v2.0/token}. */
    public String authorityUrl() {
        return baseUrl();
    }

    public synchronized int port() {
        if (server == null) {
            throw new IllegalStateException("not started");
        }
        return server.getAddress().getPort();
    }

    public String tenant() {
        return tenant;
    }

    public String clientId() {
        return clientId;
    }

    public String clientSecret() {
        return clientSecret;
    }

    // ---------------------------------------------------------------- knobs and test data

    /** A mailbox with its default calendar "Calendar"; returns the mailbox's user id. */
    public synchronized String addMailbox(String upn) {
        Mailbox m = new Mailbox(java.util.UUID.randomUUID().toString(), upn.toLowerCase(Locale.ROOT));
        mailboxes.put(m.upn, m);
        addCalendar(m, "Calendar", true);
        return m.id;
    }

    /** Another calendar of the mailbox; returns its id. */
    public synchronized String createCalendar(String upn, String name) {
        return addCalendar(mailbox(upn), name, false).get("id").asText();
    }

    /** The mailbox's default calendar id. */
    public synchronized String defaultCalendarId(String upn) {
        for (ObjectNode c : mailbox(upn).calendars.values()) {
            if (c.path("isDefaultCalendar").asBoolean()) {
                return c.get("id").asText();
            }
        }
        throw new IllegalStateException("no default calendar");
    }

    public synchronized ObjectNode calendar(String upn, String calendarId) {
        return mailbox(upn).calendars.get(calendarId).deepCopy();
    }

    /** A refresh token of the user, as a consent elsewhere would have granted it. */
    public synchronized String issueRefreshToken(String upn) {
        mailbox(upn);
        String rt = "rt-" + token();
        refreshTokens.put(rt, upn.toLowerCase(Locale.ROOT));
        return rt;
    }

    /** The user completes the device code flow for {@code userCode}: the next poll gets tokens. */
    public synchronized void approveDevice(String userCode, String upn) {
        for (Device d : devices.values()) {
            if (d.userCode().equals(userCode)) {
                d.approved()[0] = upn.toLowerCase(Locale.ROOT);
                return;
            }
        }
        throw new IllegalArgumentException("no device code " + userCode);
    }

    /** Every access token issued so far is refused from now on (401), as after expiry. */
    public synchronized void expireAccessTokens() {
        accessTokens.clear();
    }

    /**
     * A used refresh token is revoked when its successor is issued (400 {@code invalid_grant} on reuse). Entra ID
     * does not do this for these clients (the old token stays valid until it expires), so it is off by default;
     * tests turn it on to prove that the newest token is kept.
     */
    public void singleUseRefreshTokens(boolean singleUse) {
        this.singleUseRefreshTokens = singleUse;
    }

    /** The user declines the sign-in for {@code userCode}: the next poll gets {@code authorization_declined}. */
    public synchronized void declineDevice(String userCode) {
        approveDevice(userCode, DECLINED);
    }

    /** Every refresh token is revoked (the next refresh: 400 invalid_grant). */
    public synchronized void revokeRefreshTokens() {
        refreshTokens.clear();
    }

    /** Every delta token issued so far answers 410 SyncStateNotFound from now on. */
    public synchronized void invalidateDeltaTokens() {
        deltaTokens.clear();
    }

    /** Delta tokens older than this answer 410; null: never. */
    public void deltaTokenExpiry(Duration expiry) {
        this.deltaTokenExpiry = expiry;
    }

    public void requestsPerWindow(int n, Duration window, long retryAfterSeconds) {
        this.requestsPerWindow = n;
        this.window = window;
        this.retryAfterSeconds = retryAfterSeconds;
        synchronized (this) {
            mailboxes.values().forEach(m -> m.recent.clear());
        }
    }

    /** The next {@code n} API calls (batch parts included) fail with this status and Graph error code. */
    public synchronized void failNext(int n, int status, String code, long retryAfterSeconds) {
        for (int i = 0; i < n; i++) {
            scripted.add(new Failure(status, code, retryAfterSeconds));
        }
    }

    /** Runs {@code edit} once right before the next API write is applied: a person editing in Outlook meanwhile. */
    public synchronized void beforeNextWrite(Runnable edit) {
        this.beforeNextWrite = edit;
    }

    /**
     * API requests wait (inside the server, counted as in flight for their mailbox) until {@link #release}: to
     * show the per-mailbox concurrency limit.
     */
    public void holdRequests() {
        hold = new CountDownLatch(1);
    }

    public void release() {
        CountDownLatch h = hold;
        hold = null;
        if (h != null) {
            h.countDown();
        }
    }

    /** Requests of the mailbox being served now. */
    public synchronized int inFlight(String upn) {
        return mailbox(upn).inFlight.get();
    }

    /** A person creates the event in Outlook ({@code event} as a POST body); returns it as stored. */
    public synchronized ObjectNode userCreate(String upn, String calendarId, ObjectNode event) {
        return create(mailbox(upn), calendarId, event).deepCopy();
    }

    /** A person edits the event (or an occurrence, by its id) in Outlook; returns it as stored. */
    public synchronized ObjectNode userEdit(String upn, String eventId, ObjectNode patch) {
        return patch(mailbox(upn), eventId, patch, null).deepCopy();
    }

    /** A person deletes the event, exception or occurrence in Outlook. */
    public synchronized void userDelete(String upn, String eventId) {
        delete(mailbox(upn), eventId, null);
    }

    /** Occurrences and exceptions of a series between two instants, as {@code /instances} answers (UTC). */
    public synchronized List<ObjectNode> instances(String upn, String masterId, Instant from, Instant to) {
        Mailbox m = mailbox(upn);
        return instances(m, locate(m, masterId).event, from, to);
    }

    /** Stored events of a calendar (masters, singles, exceptions), with internal fields, as copies. */
    public synchronized List<ObjectNode> storedEvents(String upn, String calendarId) {
        List<ObjectNode> out = new ArrayList<>();
        mailbox(upn).events.get(calendarId).values().forEach(e -> out.add(e.deepCopy()));
        return out;
    }

    /** One stored event with all its extended properties and exceptions expanded (UTC). */
    public synchronized ObjectNode event(String upn, String eventId) {
        Mailbox m = mailbox(upn);
        ObjectNode stored = locate(m, eventId).event;
        ObjectNode out = render(stored, ZoneOffset.UTC, true, null);
        ArrayNode props = out.putArray("singleValueExtendedProperties");
        stored.path("_props").fields().forEachRemaining(p -> props.addObject().put("id", p.getKey())
                .set("value", p.getValue()));
        return out;
    }

    /** What Graph would have sent to attendees, one line per message. */
    public synchronized List<String> messagesSent() {
        return List.copyOf(messagesSent);
    }

    public RequestJournal journal() {
        return journal;
    }

    /** API calls answered (batch parts counted one by one, the batch envelope and token calls not). */
    public long apiRequests() {
        return journal.count(e -> !e.operation().equals("batch") && !e.operation().startsWith("token"));
    }

    public int tokenRequests() {
        return tokenRequests.get();
    }

    // ---------------------------------------------------------------- HTTP

    private void handle(HttpExchange ex) throws IOException {
        try (ex) {
            String body = new String(ex.getRequestBody().readAllBytes(), StandardCharsets.UTF_8);
            String method = ex.getRequestMethod().toUpperCase(Locale.ROOT);
            String path = ex.getRequestURI().getRawPath();
            String query = ex.getRequestURI().getRawQuery();
            Result r;
            if (path.contains("/oauth2/v2.0/")) {
                r = oauth(path, body);
                journal.add(new RequestJournal.Entry(clock.instant(), method, path, null, "token", r.status, ""));
            } else {
                Map<String, String> headers = new HashMap<>();
                ex.getRequestHeaders().forEach((k, v) -> headers.put(k.toLowerCase(Locale.ROOT), v.get(0)));
                String rel = path.replaceFirst("^/(v1\\.0|beta)", "");
                if (rel.equals(path)) {
                    r = error(new GraphApiException(404, "BadRequest", "unknown API version", null));
                } else if (rel.equals("/$batch") && method.equals("POST")) {
                    r = batch(headers, body);
                    journal.add(new RequestJournal.Entry(clock.instant(), method, path, query, "batch", r.status,
                            body));
                } else {
                    r = call(method, rel, query, headers, body, true);
                }
            }
            r.headers.forEach((k, v) -> ex.getResponseHeaders().set(k, v));
            if (r.body == null) {
                ex.sendResponseHeaders(r.status, -1);
            } else {
                byte[] out = mapper.writeValueAsBytes(r.body);
                ex.getResponseHeaders().set("Content-Type", "application/json; charset=utf-8");
                ex.sendResponseHeaders(r.status, out.length);
                ex.getResponseBody().write(out);
            }
        } catch (RuntimeException e) {
            LOG.error("fake Graph failed on {} {}", ex.getRequestMethod(), ex.getRequestURI(), e);
            ex.sendResponseHeaders(500, -1);
        }
    }

    private record Result(int status, JsonNode body, Map<String, String> headers) {
    }

    private Result ok(int status, JsonNode body) {
        return new Result(status, body, Map.of());
    }

    private Result error(GraphApiException e) {
        ObjectNode body = mapper.createObjectNode();
        body.putObject("error").put("code", e.code).put("message", e.getMessage());
        Map<String, String> h = e.retryAfterSeconds == null ? Map.of()
                : Map.of("Retry-After", Long.toString(e.retryAfterSeconds));
        return new Result(e.status, body, h);
    }

    /** One API call (from HTTP or a batch part): auth, limits, scripted failures, dispatch, journal. */
    private Result call(String method, String path, String rawQuery, Map<String, String> headers, String body,
                        boolean concurrent) {
        Map<String, String> q = query(rawQuery);
        List<String> seg = segments(path);
        Result result;
        Mailbox counted = null;
        try {
            Principal p = principal(headers.get("authorization"));
            Mailbox m = mailboxOf(p, seg);
            if (concurrent) {
                if (m.inFlight.incrementAndGet() > MAX_CONCURRENT) {
                    m.inFlight.decrementAndGet();
                    throw new GraphApiException(429, "ApplicationThrottled", "Application is over its "
                            + "MailboxConcurrency limit.", 1L);
                }
                counted = m;
                CountDownLatch h = hold;
                if (h != null) {
                    h.await(10, TimeUnit.SECONDS);
                }
            }
            synchronized (this) {
                budget(m);
                if (!scripted.isEmpty()) {
                    Failure f = scripted.remove(0);
                    throw new GraphApiException(f.status(), f.code(), "scripted failure",
                            f.retryAfter() > 0 ? f.retryAfter() : null);
                }
                if (!method.equals("GET") && beforeNextWrite != null) {
                    Runnable edit = beforeNextWrite;
                    beforeNextWrite = null;
                    edit.run();
                }
                result = dispatch(m, method, seg.subList(seg.get(0).equals("me") ? 1 : 2, seg.size()), q, headers,
                        body.isBlank() ? null : parse(body));
            }
        } catch (GraphApiException e) {
            result = error(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            result = error(new GraphApiException(503, "ServiceUnavailable", "interrupted", null));
        } finally {
            if (counted != null) {
                counted.inFlight.decrementAndGet();
            }
        }
        journal.add(new RequestJournal.Entry(clock.instant(), method, path, rawQuery, operation(method, seg),
                result.status, body));
        return result;
    }

    private static String operation(String method, List<String> seg) {
        String last = seg.isEmpty() ? "" : seg.get(seg.size() - 1);
        if (last.equals("delta")) {
            return seg.get(seg.size() - 2) + ".delta";
        }
        if (last.equals("instances")) {
            return "events.instances";
        }
        boolean item = seg.size() >= 2 && (seg.get(seg.size() - 2).equals("events")
                || seg.get(seg.size() - 2).equals("calendars"));
        String coll = item ? seg.get(seg.size() - 2) : last;
        return coll + "." + switch (method) {
            case "GET" -> item ? "get" : "list";
            case "POST" -> "create";
            case "PATCH" -> "update";
            case "DELETE" -> "delete";
            default -> method.toLowerCase(Locale.ROOT);
        };
    }

    private Principal principal(String authorization) {
        if (authorization == null || !authorization.startsWith("Bearer ")) {
            throw new GraphApiException(401, "InvalidAuthenticationToken", "Access token is empty.", null);
        }
        synchronized (this) {
            Principal p = accessTokens.get(authorization.substring(7).trim());
            if (p == null || !p.expires().isAfter(clock.instant())) {
                throw new GraphApiException(401, "InvalidAuthenticationToken",
                        "Lifetime validation failed, the token is expired.", null);
            }
            return p;
        }
    }

    private synchronized Mailbox mailboxOf(Principal p, List<String> seg) {
        if (seg.isEmpty()) {
            throw GraphApiException.badRequest("BadRequest", "Invalid request");
        }
        if (seg.get(0).equals("me")) {
            if (p.appOnly()) {
                throw GraphApiException.badRequest("BadRequest",
                        "/me request is only valid with delegated authentication flow.");
            }
            return mailbox(p.upn());
        }
        if (seg.get(0).equals("users") && seg.size() >= 2) {
            String who = URLDecoder.decode(seg.get(1), StandardCharsets.UTF_8).toLowerCase(Locale.ROOT);
            for (Mailbox m : mailboxes.values()) {
                if (m.upn.equals(who) || m.id.equals(who)) {
                    if (!p.appOnly() && !m.upn.equals(p.upn())) {
                        throw new GraphApiException(403, "ErrorAccessDenied", "Access is denied.", null);
                    }
                    return m;
                }
            }
            throw new GraphApiException(404, "ErrorInvalidUser", "The requested user '" + who + "' is invalid.",
                    null);
        }
        throw GraphApiException.badRequest("BadRequest", "Resource not found for the segment '" + seg.get(0) + "'.");
    }

    private void budget(Mailbox m) {
        int limit = requestsPerWindow;
        if (limit <= 0) {
            return;
        }
        Instant now = clock.instant();
        while (!m.recent.isEmpty() && !m.recent.peekFirst().isAfter(now.minus(window))) {
            m.recent.pollFirst();
        }
        if (m.recent.size() >= limit) {
            throw new GraphApiException(429, "ApplicationThrottled", "Application is over its MailboxConcurrency "
                    + "limit.", retryAfterSeconds);
        }
        m.recent.addLast(now);
    }

    // ---------------------------------------------------------------- $batch

    private Result batch(Map<String, String> headers, String body) {
        JsonNode req;
        try {
            req = parse(body);
        } catch (GraphApiException e) {
            return error(e);
        }
        JsonNode requests = req.path("requests");
        if (!requests.isArray() || requests.isEmpty()) {
            return error(GraphApiException.badRequest("BadRequest", "Invalid batch payload format."));
        }
        if (requests.size() > MAX_BATCH) {
            return error(GraphApiException.badRequest("BadRequest", "Number of requests in the batch exceeds the "
                    + "limit of " + MAX_BATCH + "."));
        }
        Set<String> ids = new HashSet<>();
        for (JsonNode r : requests) {
            if (!ids.add(r.path("id").asText(""))) {
                return error(GraphApiException.badRequest("BadRequest", "Duplicate request id in the batch."));
            }
        }
        ArrayNode responses = mapper.createArrayNode();
        for (JsonNode r : requests) {
            String url = r.path("url").asText("");
            String path = url.contains("?") ? url.substring(0, url.indexOf('?')) : url;
            String query = url.contains("?") ? url.substring(url.indexOf('?') + 1) : null;
            Map<String, String> h = new HashMap<>(headers);
            r.path("headers").fields().forEachRemaining(e -> h.put(e.getKey().toLowerCase(Locale.ROOT),
                    e.getValue().asText()));
            Result res = call(r.path("method").asText("GET").toUpperCase(Locale.ROOT),
                    path.startsWith("/") ? path : "/" + path, query, h,
                    r.has("body") ? r.get("body").toString() : "", false);
            ObjectNode one = responses.addObject().put("id", r.path("id").asText()).put("status", res.status);
            ObjectNode rh = one.putObject("headers");
            res.headers.forEach(rh::put);
            if (res.body != null) {
                one.set("body", res.body);
            }
        }
        ObjectNode out = mapper.createObjectNode();
        out.set("responses", responses);
        return ok(200, out);
    }

    // ---------------------------------------------------------------- dispatch

    private Result dispatch(Mailbox m, String method, List<String> s, Map<String, String> q,
                            Map<String, String> headers, JsonNode body) {
        ZoneId tz = preferZone(headers.get("prefer"));
        int n = s.size();
        if (n >= 1 && s.get(0).equals("calendar")) {
            List<String> t = new ArrayList<>(List.of("calendars", defaultCalendarId(m.upn)));
            t.addAll(s.subList(1, n));
            return dispatch(m, method, t, q, headers, body);
        }
        if (n == 1 && s.get(0).equals("calendars")) {
            if (method.equals("GET")) {
                ArrayNode v = mapper.createArrayNode();
                m.calendars.values().forEach(c -> v.add(c.deepCopy()));
                return ok(200, mapper.createObjectNode().set("value", v));
            }
            if (method.equals("POST")) {
                require(body != null && body.hasNonNull("name"), "name is required");
                return ok(201, addCalendar(m, body.get("name").asText(), false).deepCopy());
            }
        }
        if (n >= 2 && s.get(0).equals("calendars")) {
            ObjectNode cal = m.calendars.get(s.get(1));
            if (cal == null) {
                throw GraphApiException.notFound("The specified object was not found in the store.");
            }
            String cid = s.get(1);
            if (n == 2) {
                return switch (method) {
                    case "GET" -> ok(200, cal.deepCopy());
                    case "PATCH" -> ok(200, patchCalendar(cal, body));
                    default -> throw GraphApiException.badRequest("BadRequest", "unsupported");
                };
            }
            if (n == 4 && s.get(3).equals("delta") && method.equals("GET")) {
                return delta(m, cid, s.get(2).equals("calendarView"), q, tz, "/" + String.join("/", s));
            }
            if (s.get(2).equals("events")) {
                return events(m, cid, method, s.subList(3, n), q, headers, body, tz);
            }
        }
        if (n >= 1 && s.get(0).equals("events")) {
            return events(m, null, method, s.subList(1, n), q, headers, body, tz);
        }
        throw GraphApiException.badRequest("BadRequest", "Resource not found for the segment '"
                + String.join("/", s) + "'.");
    }

    private Result events(Mailbox m, String cid, String method, List<String> rest, Map<String, String> q,
                          Map<String, String> headers, JsonNode body, ZoneId tz) {
        String calendarId = cid == null ? defaultCalendarId(m.upn) : cid;
        if (rest.isEmpty()) {
            if (method.equals("POST")) {
                require(body != null && body.isObject(), "a JSON event is required");
                String tx = body.path("transactionId").asText(null);
                if (tx != null) {
                    for (Map<String, ObjectNode> es : m.events.values()) {
                        for (ObjectNode e : es.values()) {
                            if (tx.equals(e.path("_transactionId").asText(null))) {
                                return ok(201, render(e, tz, false, null));
                            }
                        }
                    }
                }
                return ok(201, render(create(m, calendarId, (ObjectNode) body), tz, false, null));
            }
            if (method.equals("GET")) {
                return list(m, calendarId, q, tz);
            }
        }
        if (rest.size() >= 1) {
            Located l = locate(m, rest.get(0));
            if (cid != null && !l.calendarId.equals(cid)) {
                throw GraphApiException.notFound("The specified object was not found in the store.");
            }
            if (rest.size() == 2 && rest.get(1).equals("instances") && method.equals("GET")) {
                require(q.containsKey("startDateTime") && q.containsKey("endDateTime"),
                        "This request requires a time window specified by the query string parameters "
                                + "StartDateTime and EndDateTime.");
                ArrayNode v = mapper.createArrayNode();
                for (ObjectNode i : instances(m, l.event, instant(q.get("startDateTime")),
                        instant(q.get("endDateTime")))) {
                    v.add(render(i, tz, false, null));
                }
                return ok(200, mapper.createObjectNode().set("value", v));
            }
            if (rest.size() == 1) {
                String ifMatch = headers.get("if-match");
                return switch (method) {
                    case "GET" -> ok(200, render(l.event, tz, q.getOrDefault("$expand", "")
                            .contains("exceptionOccurrences"), expandedProperty(q.get("$expand"))));
                    case "PATCH" -> ok(200, render(patch(m, rest.get(0), (ObjectNode) body, ifMatch), tz, false,
                            null));
                    case "DELETE" -> {
                        delete(m, rest.get(0), ifMatch);
                        yield new Result(204, null, Map.of());
                    }
                    default -> throw GraphApiException.badRequest("BadRequest", "unsupported");
                };
            }
        }
        throw GraphApiException.badRequest("BadRequest", "unsupported event request");
    }

    private static String expandedProperty(String expand) {
        if (expand == null) {
            return null;
        }
        Matcher mm = EXPAND_PROP.matcher(expand);
        return mm.find() ? mm.group(1) : null;
    }

    /** GET events of a calendar: masters and singles, optional extended-property filter, $top paging. */
    private Result list(Mailbox m, String calendarId, Map<String, String> q, ZoneId tz) {
        String filter = q.get("$filter");
        String propId = null;
        String propValue = null;
        String iCalUId = null;
        if (filter != null && filter.trim().matches("iCalUId eq '(?:[^']|'')*'")) {
            String t = filter.trim();
            iCalUId = t.substring(12, t.length() - 1).replace("''", "'");
        } else if (filter != null) {
            Matcher f = PROP_FILTER.matcher(filter.trim());
            if (!f.matches()) {
                throw GraphApiException.badRequest("ErrorInvalidUrlQueryFilter", "The query filter contains one or "
                        + "more invalid nodes.");
            }
            propId = f.group(1);
            propValue = f.group(2) == null ? null : f.group(2).replace("''", "'");
        }
        List<ObjectNode> items = new ArrayList<>();
        for (ObjectNode e : m.events.get(calendarId).values()) {
            if (e.path("type").asText().equals("exception")) {
                continue;
            }
            if (iCalUId != null && !iCalUId.equals(e.path("iCalUId").asText())) {
                continue;
            }
            if (propId != null) {
                JsonNode v = e.path("_props").get(propId);
                if (v == null || (propValue != null && !propValue.equals(v.asText()))) {
                    continue;
                }
            }
            items.add(render(e, tz, false, expandedProperty(q.get("$expand"))));
        }
        int top = Math.min(1000, Integer.parseInt(q.getOrDefault("$top", "10")));
        int skip = Integer.parseInt(q.getOrDefault("$skip", "0"));
        ArrayNode v = mapper.createArrayNode();
        items.stream().skip(skip).limit(top).forEach(v::add);
        ObjectNode out = mapper.createObjectNode();
        out.set("value", v);
        if (skip + top < items.size()) {
            StringBuilder link = new StringBuilder(graphUrl() + "/users/" + m.id + "/calendars/" + calendarId
                    + "/events?$top=" + top + "&$skip=" + (skip + top));
            if (filter != null) {
                link.append("&$filter=").append(enc(filter));
            }
            if (q.containsKey("$expand")) {
                link.append("&$expand=").append(enc(q.get("$expand")));
            }
            out.put("@odata.nextLink", link.toString());
        }
        return ok(200, out);
    }

    // ---------------------------------------------------------------- delta

    private Result delta(Mailbox m, String cid, boolean view, Map<String, String> q, ZoneId tz, String path) {
        int pageSize = 50;
        String base = graphUrl() + "/users/" + m.id + path;
        if (q.containsKey("$skiptoken")) {
            Page p = pages.remove(q.get("$skiptoken"));
            if (p == null) {
                throw new GraphApiException(410, "SyncStateNotFound", "The sync state generation is not found.",
                        null);
            }
            return deltaPage(p, base, pageSize);
        }
        DeltaState prev = null;
        Instant start;
        Instant end;
        if (q.containsKey("$deltatoken")) {
            prev = deltaTokens.get(q.get("$deltatoken"));
            Duration expiry = deltaTokenExpiry;
            if (prev == null || !prev.mailbox().equals(m.upn) || !prev.calendarId().equals(cid)
                    || prev.view() != view || (expiry != null
                    && prev.issued().plus(expiry).isBefore(clock.instant()))) {
                throw new GraphApiException(410, "SyncStateNotFound", "The sync state generation is not found.",
                        null);
            }
            start = prev.start();
            end = prev.end();
        } else if (view) {
            require(q.containsKey("startDateTime") && q.containsKey("endDateTime"),
                    "This request requires a time window specified by the query string parameters StartDateTime "
                            + "and EndDateTime.");
            start = instant(q.get("startDateTime"));
            end = instant(q.get("endDateTime"));
        } else {
            require(!q.containsKey("startDateTime"), "events/delta takes no time window");
            start = null;
            end = null;
        }
        Map<String, ObjectNode> now = new LinkedHashMap<>();
        for (ObjectNode e : m.events.get(cid).values()) {
            String type = e.path("type").asText();
            if (!view) {
                if (!type.equals("exception")) {
                    now.put(e.get("id").asText(), e);
                }
            } else if (type.equals("singleInstance")) {
                if (overlaps(e, start, end)) {
                    now.put(e.get("id").asText(), e);
                }
            } else if (type.equals("seriesMaster")) {
                for (ObjectNode i : instances(m, e, start, end)) {
                    now.put(i.get("id").asText(), i);
                }
            }
        }
        Map<String, String> seen = new LinkedHashMap<>();
        List<ObjectNode> items = new ArrayList<>();
        Map<String, String> before = prev == null ? null : prev.seen();
        now.forEach((id, e) -> {
            String ck = e.get("changeKey").asText();
            seen.put(id, ck);
            if (before == null || !ck.equals(before.get(id))) {
                items.add(render(e, tz, false, null));
            }
        });
        if (before != null) {
            before.keySet().stream().filter(id -> !now.containsKey(id)).forEach(id -> {
                ObjectNode r = mapper.createObjectNode().put("id", id);
                r.putObject("@removed").put("reason", "deleted");
                items.add(r);
            });
        }
        String token = token();
        deltaTokens.put(token, new DeltaState(m.upn, cid, view, start, end, seen, clock.instant()));
        return deltaPage(new Page(items, path, token), base, pageSize);
    }

    private Result deltaPage(Page p, String base, int pageSize) {
        ObjectNode out = mapper.createObjectNode();
        ArrayNode v = out.putArray("value");
        List<ObjectNode> items = p.items();
        items.stream().limit(pageSize).forEach(v::add);
        if (items.size() > pageSize) {
            String skip = token();
            pages.put(skip, new Page(new ArrayList<>(items.subList(pageSize, items.size())), p.path(),
                    p.deltaToken()));
            out.put("@odata.nextLink", base + "?$skiptoken=" + skip);
        } else {
            out.put("@odata.deltaLink", base + "?$deltatoken=" + p.deltaToken());
        }
        return ok(200, out);
    }

    private boolean overlaps(ObjectNode e, Instant from, Instant to) {
        Instant s = start(e);
        Instant en = end(e);
        return s.isBefore(to) && en.isAfter(from) || s.equals(from);
    }

    // ---------------------------------------------------------------- events: store

    private record Located(String calendarId, ObjectNode event) {
    }

    private Located locate(Mailbox m, String id) {
        for (Map.Entry<String, Map<String, ObjectNode>> c : m.events.entrySet()) {
            ObjectNode e = c.getValue().get(id);
            if (e != null) {
                return new Located(c.getKey(), e);
            }
        }
        if (id.startsWith("OCC")) {
            String[] parts = new String(Base64.getUrlDecoder().decode(id.substring(3)), StandardCharsets.UTF_8)
                    .split("\\|");
            Located master = locate(m, parts[0]);
            Instant original = Instant.parse(parts[1]);
            for (ObjectNode i : instances(m, master.event, original, original.plusSeconds(1))) {
                if (i.get("id").asText().equals(id)) {
                    return new Located(master.calendarId, i);
                }
            }
        }
        throw GraphApiException.notFound("The specified object was not found in the store.");
    }

    private ObjectNode create(Mailbox m, String calendarId, ObjectNode body) {
        Map<String, ObjectNode> events = m.events.get(calendarId);
        if (events == null) {
            throw GraphApiException.notFound("The specified object was not found in the store.");
        }
        for (String ro : List.of("id", "iCalUId", "changeKey", "seriesMasterId", "type", "originalStart",
                "createdDateTime", "lastModifiedDateTime")) {
            if (body.has(ro)) {
                throw GraphApiException.badRequest("ErrorInvalidProperty", "The property '" + ro
                        + "' is read-only and cannot be set.");
            }
        }
        ObjectNode e = mapper.createObjectNode();
        String id = newId("AAMkAGEv");
        e.put("id", id);
        e.put("iCalUId", "040000008200E00074C5B7101A82E008" + token().toUpperCase(Locale.ROOT));
        e.put("createdDateTime", clock.instant().toString());
        e.put("type", body.hasNonNull("recurrence") ? "seriesMaster" : "singleInstance");
        e.put("subject", "");
        e.put("isAllDay", false);
        e.put("showAs", "busy");
        e.put("sensitivity", "normal");
        e.put("isCancelled", false);
        e.putArray("attendees");
        e.putArray("categories");
        e.putObject("_props");
        if (body.hasNonNull("transactionId")) {
            e.put("_transactionId", body.get("transactionId").asText());
        }
        apply(e, body);
        validateTimes(e);
        events.put(id, e);
        touch(e);
        attendeesMessage(m, e, "invitation");
        return e;
    }

    private void apply(ObjectNode e, JsonNode body) {
        body.fields().forEachRemaining(f -> {
            String k = f.getKey();
            JsonNode v = f.getValue();
            switch (k) {
                case "transactionId", "@odata.type" -> {
                }
                case "id", "iCalUId", "changeKey", "seriesMasterId", "type", "originalStart", "createdDateTime",
                     "lastModifiedDateTime", "@odata.etag", "cancelledOccurrences" ->
                        throw GraphApiException.badRequest("ErrorInvalidProperty", "The property '" + k
                                + "' is read-only and cannot be set.");
                case "singleValueExtendedProperties" -> {
                    for (JsonNode p : v) {
                        String pid = p.path("id").asText("");
                        if (!PROP_ID.matcher(pid).matches()) {
                            throw GraphApiException.badRequest("ErrorInvalidProperty",
                                    "The extended property id '" + pid + "' is invalid.");
                        }
                        ((ObjectNode) e.get("_props")).set(pid, p.get("value"));
                    }
                }
                case "recurrence" -> {
                    if (!v.isNull()) {
                        GraphRecurrence.validate(v);
                    }
                    e.set(k, v);
                }
                case "subject", "body", "start", "end", "isAllDay", "location", "showAs", "sensitivity", "attendees",
                     "organizer", "categories", "importance", "isReminderOn", "reminderMinutesBeforeStart",
                     "responseRequested", "locations" -> e.set(k, v);
                default -> throw GraphApiException.badRequest("RequestBodyRead", "The property '" + k
                        + "' does not exist on type 'microsoft.graph.event'.");
            }
        });
    }

    private void validateTimes(ObjectNode e) {
        for (String f : List.of("start", "end")) {
            JsonNode t = e.get(f);
            if (t == null || !t.hasNonNull("dateTime") || !t.hasNonNull("timeZone")) {
                throw GraphApiException.badRequest("ErrorInvalidRequest", "Your request can't be completed. "
                        + f + " dateTime and timeZone are required.");
            }
            zone(t.get("timeZone").asText());
        }
        if (e.path("isAllDay").asBoolean()) {
            for (String f : List.of("start", "end")) {
                if (!local(e.get(f)).toLocalTime().equals(LocalTime.MIDNIGHT)) {
                    throw GraphApiException.badRequest("ErrorInvalidRequest", "All-day events must start and end "
                            + "at midnight.");
                }
            }
        }
        if (!end(e).isAfter(start(e)) && !end(e).equals(start(e))) {
            throw GraphApiException.badRequest("ErrorInvalidRequest", "The end must be after the start.");
        }
        if (e.path("type").asText().equals("seriesMaster") && e.hasNonNull("recurrence")
                && !e.get("recurrence").path("range").hasNonNull("recurrenceTimeZone")) {
            ((ObjectNode) e.get("recurrence").get("range")).put("recurrenceTimeZone",
                    e.get("start").get("timeZone").asText());
        }
        e.put("originalStartTimeZone", e.get("start").get("timeZone").asText());
        e.put("originalEndTimeZone", e.get("end").get("timeZone").asText());
    }

    private void checkEtag(ObjectNode current, String ifMatch) {
        if (ifMatch != null && !ifMatch.equals("*") && !ifMatch.equals(etag(current))) {
            throw new GraphApiException(412, "ErrorIrresolvableConflict", "The send or update operation could not "
                    + "be performed because the change key passed in the request does not match the current change "
                    + "key for the item.", null);
        }
    }

    private ObjectNode patch(Mailbox m, String id, ObjectNode body, String ifMatch) {
        require(body != null, "a JSON body is required");
        Located l = locate(m, id);
        ObjectNode e = l.event;
        checkEtag(e, ifMatch);
        if (e.path("type").asText().equals("occurrence")) {
            // the first change of an occurrence makes it an exception of its series
            ObjectNode master = m.events.get(l.calendarId).get(e.get("seriesMasterId").asText());
            ObjectNode x = e.deepCopy();
            x.put("id", newId("AAMkAGExc"));
            x.put("type", "exception");
            x.putObject("_props");
            m.events.get(l.calendarId).put(x.get("id").asText(), x);
            e = x;
            touch(master);
        }
        if (e.path("type").asText().equals("exception") && body.has("recurrence")) {
            throw GraphApiException.badRequest("ErrorInvalidRequest", "An exception cannot have a recurrence.");
        }
        ObjectNode before = e.deepCopy();
        apply(e, body);
        if (e.path("type").asText().equals("singleInstance") && e.hasNonNull("recurrence")) {
            e.put("type", "seriesMaster");
        }
        try {
            validateTimes(e);
        } catch (GraphApiException ex) {
            e.removeAll();
            e.setAll(before);
            throw ex;
        }
        touch(e);
        if (e.path("type").asText().equals("exception")) {
            touch(m.events.get(l.calendarId).get(e.get("seriesMasterId").asText()));
        }
        attendeesMessage(m, e, "update");
        return e;
    }

    private void delete(Mailbox m, String id, String ifMatch) {
        Located l = locate(m, id);
        ObjectNode e = l.event;
        checkEtag(e, ifMatch);
        Map<String, ObjectNode> events = m.events.get(l.calendarId);
        String type = e.path("type").asText();
        attendeesMessage(m, e, "cancellation");
        if (type.equals("occurrence") || type.equals("exception")) {
            ObjectNode master = events.get(e.get("seriesMasterId").asText());
            ArrayNode cancelled = master.has("_cancelled") ? (ArrayNode) master.get("_cancelled")
                    : master.putArray("_cancelled");
            cancelled.add(e.get("originalStart").asText());
            events.remove(e.get("id").asText());
            touch(master);
            return;
        }
        events.remove(id);
        if (type.equals("seriesMaster")) {
            events.values().removeIf(x -> id.equals(x.path("seriesMasterId").asText(null)));
        }
    }

    private void attendeesMessage(Mailbox m, ObjectNode e, String kind) {
        if (e.path("attendees").size() > 0) {
            messagesSent.add(kind + " from " + m.upn + " for '" + e.path("subject").asText() + "' to "
                    + e.get("attendees").size() + " attendee(s)");
        }
    }

    private void touch(ObjectNode e) {
        String ck = token();
        e.put("changeKey", ck);
        e.put("@odata.etag", "W/\"" + ck + "\"");
        e.put("lastModifiedDateTime", clock.instant().toString());
    }

    private static String etag(ObjectNode e) {
        return e.path("@odata.etag").asText();
    }

    /** Occurrences and exceptions of {@code master} that start in [from, to) (exceptions by their own start too). */
    private List<ObjectNode> instances(Mailbox m, ObjectNode master, Instant from, Instant to) {
        if (!master.path("type").asText().equals("seriesMaster")) {
            throw GraphApiException.badRequest("ErrorInvalidRequest", "The item is not a series master.");
        }
        String cal = null;
        for (Map.Entry<String, Map<String, ObjectNode>> c : m.events.entrySet()) {
            if (c.getValue().containsValue(master)) {
                cal = c.getKey();
            }
        }
        Map<Instant, ObjectNode> exceptions = new HashMap<>();
        for (ObjectNode x : m.events.get(cal).values()) {
            if (master.get("id").asText().equals(x.path("seriesMasterId").asText(null))
                    && x.path("type").asText().equals("exception")) {
                exceptions.put(Instant.parse(x.get("originalStart").asText()), x);
            }
        }
        Set<Instant> cancelled = new HashSet<>();
        master.path("_cancelled").forEach(c -> cancelled.add(Instant.parse(c.asText())));
        ZoneId zone = zone(master.get("start").get("timeZone").asText());
        LocalDateTime localStart = local(master.get("start"));
        Duration length = Duration.between(start(master), end(master));
        LocalDate until = LocalDateTime.ofInstant(to, zone).toLocalDate().plusDays(1);
        List<ObjectNode> out = new ArrayList<>();
        for (LocalDate d : GraphRecurrence.dates(master.get("recurrence"), until)) {
            Instant original = master.path("isAllDay").asBoolean()
                    ? d.atStartOfDay().toInstant(ZoneOffset.UTC)
                    : d.atTime(localStart.toLocalTime()).atZone(zone).toInstant();
            if (cancelled.contains(original)) {
                continue;
            }
            ObjectNode x = exceptions.get(original);
            if (x != null) {
                if (start(x).isBefore(to) && end(x).isAfter(from) || original.isBefore(to) && !original.isBefore(from)) {
                    out.add(x);
                }
                continue;
            }
            if (!original.isBefore(to) || !original.plus(length).isAfter(from) && !original.equals(from)) {
                continue;
            }
            ObjectNode o = master.deepCopy();
            o.remove(List.of("recurrence", "_cancelled", "_props", "_transactionId"));
            o.put("id", "OCC" + Base64.getUrlEncoder().withoutPadding().encodeToString(
                    (master.get("id").asText() + "|" + original).getBytes(StandardCharsets.UTF_8)));
            o.put("type", "occurrence");
            o.put("seriesMasterId", master.get("id").asText());
            o.put("originalStart", original.toString());
            String tzName = master.get("start").get("timeZone").asText();
            LocalDateTime s = master.path("isAllDay").asBoolean() ? d.atStartOfDay()
                    : LocalDateTime.ofInstant(original, zone);
            o.set("start", timeNode(s, tzName));
            o.set("end", timeNode(master.path("isAllDay").asBoolean() ? s.plus(length)
                    : LocalDateTime.ofInstant(original.plus(length), zone), tzName));
            o.putObject("_props");
            out.add(o);
        }
        return out;
    }

    /** The event as Graph answers it: times in {@code tz}, internal fields hidden. */
    private ObjectNode render(ObjectNode stored, ZoneId tz, boolean expandExceptions, String propId) {
        ObjectNode out = stored.deepCopy();
        for (String internal : List.of("_props", "_cancelled", "_transactionId")) {
            out.remove(internal);
        }
        if (!out.path("isAllDay").asBoolean()) {
            for (String f : List.of("start", "end")) {
                Instant i = f.equals("start") ? start(stored) : end(stored);
                out.set(f, timeNode(LocalDateTime.ofInstant(i, tz), tz.equals(ZoneOffset.UTC) ? "UTC" : tz.getId()));
            }
        }
        if (stored.path("type").asText().equals("seriesMaster")) {
            ArrayNode c = out.putArray("cancelledOccurrences");
            stored.path("_cancelled").forEach(x -> c.add("OID." + stored.get("id").asText() + "."
                    + LocalDateTime.ofInstant(Instant.parse(x.asText()), zone(stored.get("start").get("timeZone")
                    .asText())).toLocalDate()));
            if (expandExceptions) {
                ArrayNode xs = out.putArray("exceptionOccurrences");
                for (Map<String, ObjectNode> es : mailboxes.values().stream().flatMap(mb -> mb.events.values()
                        .stream()).toList()) {
                    for (ObjectNode x : es.values()) {
                        if (stored.get("id").asText().equals(x.path("seriesMasterId").asText(null))
                                && x.path("type").asText().equals("exception")) {
                            xs.add(render(x, tz, false, null));
                        }
                    }
                }
            }
        }
        if (propId != null) {
            JsonNode v = stored.path("_props").get(propId);
            ArrayNode props = out.putArray("singleValueExtendedProperties");
            if (v != null) {
                props.addObject().put("id", propId).set("value", v);
            }
        }
        return out;
    }

    private ObjectNode timeNode(LocalDateTime t, String zone) {
        return mapper.createObjectNode().put("dateTime", GRAPH_TIME.format(t)).put("timeZone", zone);
    }

    private static LocalDateTime local(JsonNode t) {
        return LocalDateTime.parse(t.get("dateTime").asText());
    }

    private static Instant start(ObjectNode e) {
        return at(e.get("start"), e.path("isAllDay").asBoolean());
    }

    private static Instant end(ObjectNode e) {
        return at(e.get("end"), e.path("isAllDay").asBoolean());
    }

    private static Instant at(JsonNode t, boolean allDay) {
        return allDay ? local(t).toInstant(ZoneOffset.UTC) : local(t).atZone(zone(t.get("timeZone").asText()))
                .toInstant();
    }

    /** IANA names, a few Windows names and UTC; anything else 400 as Graph answers for an unknown zone. */
    static ZoneId zone(String name) {
        String iana = WINDOWS.getOrDefault(name, name);
        try {
            return iana.equals("UTC") ? ZoneOffset.UTC : ZoneId.of(iana);
        } catch (DateTimeException e) {
            throw GraphApiException.badRequest("TimeZoneNotSupportedException", "A valid TimeZone value must be "
                    + "specified. The following TimeZone value is not supported: '" + name + "'.");
        }
    }

    private static ZoneId preferZone(String prefer) {
        if (prefer == null) {
            return ZoneOffset.UTC;
        }
        Matcher mm = Pattern.compile("outlook\\.timezone=\"([^\"]+)\"").matcher(prefer);
        return mm.find() ? zone(mm.group(1)) : ZoneOffset.UTC;
    }

    private static Instant instant(String text) {
        try {
            return text.endsWith("Z") || text.matches(".*[+-]\\d\\d:\\d\\d$") ? java.time.OffsetDateTime.parse(text)
                    .toInstant() : LocalDateTime.parse(text).toInstant(ZoneOffset.UTC);
        } catch (DateTimeException e) {
            throw GraphApiException.badRequest("ErrorInvalidParameter", "invalid date/time '" + text + "'");
        }
    }

    // ---------------------------------------------------------------- calendars

    private ObjectNode addCalendar(Mailbox m, String name, boolean isDefault) {
        String id = newId("AAMkAGCal");
        ObjectNode c = mapper.createObjectNode().put("id", id).put("name", name).put("color", "auto")
                .put("hexColor", "").put("isDefaultCalendar", isDefault).put("canEdit", true)
                .put("changeKey", token());
        c.putObject("owner").put("name", m.upn).put("address", m.upn);
        m.calendars.put(id, c);
        m.events.put(id, new LinkedHashMap<>());
        return c;
    }

    private ObjectNode patchCalendar(ObjectNode cal, JsonNode body) {
        require(body != null && body.isObject(), "a JSON body is required");
        body.fields().forEachRemaining(f -> {
            switch (f.getKey()) {
                case "name" -> require(!f.getValue().asText("").isBlank(), "name must not be empty");
                case "color" -> {
                    if (!CALENDAR_COLORS.contains(f.getValue().asText())) {
                        throw GraphApiException.badRequest("RequestBodyRead", "Requested value '"
                                + f.getValue().asText() + "' was not found.");
                    }
                }
                default -> throw GraphApiException.badRequest("ErrorInvalidProperty", "The property '" + f.getKey()
                        + "' cannot be updated.");
            }
        });
        body.fields().forEachRemaining(f -> cal.set(f.getKey(), f.getValue()));
        cal.put("hexColor", HEX.getOrDefault(cal.get("color").asText(), ""));
        cal.put("changeKey", token());
        return cal.deepCopy();
    }

    // ---------------------------------------------------------------- OAuth

    private synchronized Result oauth(String path, String body) {
        tokenRequests.incrementAndGet();
        Map<String, String> f = query(body);
        List<String> seg = segments(path);
        String t = seg.get(0);
        if (!t.equals(tenant) && !t.equals("organizations") && !t.equals("common")) {
            return oauthError(400, "invalid_request", "AADSTS90002: Tenant '" + t + "' not found.");
        }
        if (!clientId.equals(f.get("client_id"))) {
            return oauthError(400, "unauthorized_client", "AADSTS700016: Application with identifier '"
                    + f.get("client_id") + "' was not found in the directory.");
        }
        if (path.endsWith("/devicecode")) {
            String dc = "dc-" + token();
            String uc = Integer.toString(10_000_000 + random.nextInt(89_999_999), 36).toUpperCase(Locale.ROOT);
            devices.put(dc, new Device(dc, uc, clock.instant().plusSeconds(900), new String[1]));
            ObjectNode out = mapper.createObjectNode().put("device_code", dc).put("user_code", uc)
                    .put("verification_uri", "https://microsoft.com/devicelogin").put("expires_in", 900)
                    .put("interval", 5).put("message", "To sign in, use a web browser to open the page "
                            + "https://microsoft.com/devicelogin and enter the code " + uc + " to authenticate.");
            return ok(200, out);
        }
        String grant = f.getOrDefault("grant_type", "");
        switch (grant) {
            case "client_credentials" -> {
                if (!clientSecret.equals(f.get("client_secret"))) {
                    return oauthError(401, "invalid_client", "AADSTS7000215: Invalid client secret provided.");
                }
                if (!GRAPH_SCOPE.equals(f.get("scope"))) {
                    return oauthError(400, "invalid_scope", "AADSTS1002012: The provided value for scope is not "
                            + "valid. Client credential flows must have a scope value with /.default suffixed.");
                }
                return tokens(null, false);
            }
            case "refresh_token" -> {
                String upn = refreshTokens.get(f.get("refresh_token"));
                if (upn == null) {
                    return oauthError(400, "invalid_grant", "AADSTS70008: The provided authorization code or "
                            + "refresh token has expired due to inactivity.");
                }
                if (singleUseRefreshTokens) {
                    refreshTokens.remove(f.get("refresh_token"));
                }
                return tokens(upn, true);
            }
            case "urn:ietf:params:oauth:grant-type:device_code" -> {
                Device d = devices.get(f.get("device_code"));
                if (d == null || d.expires().isBefore(clock.instant())) {
                    return oauthError(400, "expired_token", "AADSTS70020: The provided value for the input "
                            + "parameter 'device_code' is not valid. This device code has expired.");
                }
                if (d.approved()[0] == null) {
                    return oauthError(400, "authorization_pending", "AADSTS70016: OAuth 2.0 device flow error. "
                            + "Authorization is pending. Continue polling.");
                }
                devices.remove(d.deviceCode());
                if (DECLINED.equals(d.approved()[0])) {
                    return oauthError(400, "authorization_declined", "AADSTS70000: The user declined to "
                            + "authorize the application.");
                }
                return tokens(d.approved()[0], true);
            }
            default -> {
                return oauthError(400, "unsupported_grant_type", "AADSTS70003: The app requested an unsupported "
                        + "grant type '" + grant + "'.");
            }
        }
    }

    private Result tokens(String upn, boolean withRefresh) {
        String at = "at-" + token();
        accessTokens.put(at, new Principal(upn, clock.instant().plusSeconds(3599)));
        ObjectNode out = mapper.createObjectNode().put("token_type", "Bearer").put("expires_in", 3599)
                .put("ext_expires_in", 3599).put("access_token", at);
        if (withRefresh) {
            String rt = "rt-" + token();
            refreshTokens.put(rt, upn);
            out.put("refresh_token", rt).put("scope", "https://graph.microsoft.com/Calendars.ReadWrite");
        }
        return ok(200, out);
    }

    private Result oauthError(int status, String error, String description) {
        return ok(status, mapper.createObjectNode().put("error", error).put("error_description", description));
    }

    // ---------------------------------------------------------------- helpers

    private Mailbox mailbox(String upn) {
        Mailbox m = mailboxes.get(upn.toLowerCase(Locale.ROOT));
        if (m == null) {
            throw new IllegalArgumentException("no mailbox " + upn);
        }
        return m;
    }

    private JsonNode parse(String body) {
        try {
            return mapper.readTree(body);
        } catch (IOException e) {
            throw GraphApiException.badRequest("BadRequest", "Unable to read JSON request payload.");
        }
    }

    private static void require(boolean ok, String message) {
        if (!ok) {
            throw GraphApiException.badRequest("ErrorInvalidRequest", message);
        }
    }

    private static List<String> segments(String path) {
        List<String> out = new ArrayList<>();
        for (String s : path.split("/")) {
            if (!s.isEmpty()) {
                out.add(URLDecoder.decode(s, StandardCharsets.UTF_8));
            }
        }
        return out;
    }

    private static Map<String, String> query(String raw) {
        Map<String, String> out = new LinkedHashMap<>();
        if (raw == null || raw.isEmpty()) {
            return out;
        }
        for (String kv : raw.split("&")) {
            int i = kv.indexOf('=');
            String k = URLDecoder.decode(i < 0 ? kv : kv.substring(0, i), StandardCharsets.UTF_8);
            out.put(k, i < 0 ? "" : URLDecoder.decode(kv.substring(i + 1), StandardCharsets.UTF_8));
        }
        return out;
    }

    private static String enc(String s) {
        return URLEncoder.encode(s, StandardCharsets.UTF_8).replace("+", "%20");
    }

    private String token() {
        byte[] b = new byte[12];
        random.nextBytes(b);
        return Base64.getUrlEncoder().withoutPadding().encodeToString(b);
    }

    private String newId(String prefix) {
        return prefix + token() + "AAA=";
    }
}
