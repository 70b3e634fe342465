package io.chronoroute.agent.source.graph;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.chronoroute.agent.AgentProperties;
import io.chronoroute.agent.collect.ChangeBatch;
import io.chronoroute.agent.collect.ChangeCollector;
import io.chronoroute.agent.source.CalendarSource;
import io.chronoroute.agent.source.SourceConfig;
import io.chronoroute.agent.source.SourceRegistry;
import io.chronoroute.agent.state.AgentState;
import io.chronoroute.agent.state.FileEntry;
import io.chronoroute.agent.update.UpdateFailedException;
import io.chronoroute.processors.model.CalendarEvent;
import io.chronoroute.processors.model.EventTime;
import io.chronoroute.processors.model.Origin;
import io.chronoroute.processors.problem.InputProblem;
import io.chronoroute.processors.sync.ContentHash;
import io.chronoroute.processors.sync.SyncKey;
import io.chronoroute.processors.wire.EventValidator;
import io.chronoroute.processors.wire.WireFormatException;
import io.chronoroute.providers.common.Backoff;
import io.chronoroute.providers.common.DestinationException;
import io.chronoroute.providers.common.ErrorKind;
import io.chronoroute.providers.common.Sleeper;
import io.chronoroute.providers.common.TokenBucket;
import io.chronoroute.providers.graph.GraphAuth;
import io.chronoroute.providers.graph.GraphClient;
import io.chronoroute.providers.graph.GraphEventMapper;
import org.apache.camel.Header;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.stereotype.Component;

import java.net.http.HttpClient;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneId;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashSet;
import java.util.HexFormat;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The logic of the {@code graph-source} route template: calendars of a Microsoft 365 mailbox read through Microsoft
 * Graph as a two-way source (Exchange Online has blocked EWS since 2026-10-01). One timer route per source calls
 * {@link #register}, {@link #poll}, {@code direct:agent-collect}, then {@link #commit}.
 * <ul>
 *   <li><b>Reading:</b> the event delta of each calendar ({@code /calendars/{id}/events/delta}: series masters and
 *       single events, not bounded by a window; a Graph <i>beta</i> function, hence the default API root
 *       {@code /beta}), every page to the {@code @odata.deltaLink}, which is the cursor, persisted in the agent's
 *       state (meta {@code graph.<source>.delta.<calendar>}) only after the collector committed the read. A delta
 *       link Graph no longer knows (410 {@code SyncStateNotFound}) is a full read in the same poll: every file is
 *       diffed by itself, so no duplicates, and the files no longer found are deleted.</li>
 *   <li><b>One file per series:</b> {@code <calendar id>/<event id>}; a changed series master is read again with
 *       {@code $expand=exceptionOccurrences} (one request): modified occurrences become overrides with RECURRENCE-ID,
 *       cancelled ones ({@code cancelledOccurrences}) EXDATEs ({@link GraphEventMapper}); Exchange changes the
 *       master whenever one of its occurrences changes, so the delta reports it.</li>
 *   <li><b>Never "everything deleted" by accident:</b> an unreachable API, 5xx, 401/403 or any other failure is the
 *       source's {@code lastError}; nothing is returned, nothing deleted, the cursor not advanced. Quota: a token
 *       bucket, at most 4 concurrent requests, 429 with Retry-After through the backoff ({@link GraphClient}).</li>
 *   <li><b>Write-back</b> (when {@code allowEventUpdates}): create = POST with a deterministic
 *       {@code transactionId} (a retry creates no duplicate) and the master's UID in an extended property (Graph's
 *       {@code iCalUId} is read-only, so the source maps it back to the UID, meta {@code graph.<source>.uid.*});
 *       update = PATCH of only the fields that differ with {@code If-Match}; delete = DELETE (an occurrence: it is
 *       cancelled in its series). Graph has no "send no notifications" switch: it sends nothing for an event without
 *       attendees (the only kind the source writes: attendees are never written), and the source refuses to change
 *       or delete an event that has attendees (Graph would send updates or cancellations to them). A
 *       {@code base_hash} the event no longer has is refused; a 412 re-reads it, refuses when it changed since the
 *       base, else retries once.</li>
 *   <li><b>Rename:</b> PATCH of the calendar's {@code name}; a colour goes to the nearest of Graph's
 *       {@code calendarColor} presets ({@code hexColor} is read-only in Graph).</li>
 *   <li><b>Secrets:</b> client secret and refresh token from placeholders; the route removes their headers right
 *       after {@link #register}; never logged. The configured refresh token is only the first one: each token the
 *       identity platform rotates to is kept as the master credential is ({@link GraphRefreshTokens}), so a restart
 *       starts from the newest.</li>
 * </ul>
 */
@Component("graphCalendarSource")
public class GraphCalendarSource implements CalendarSource {

    public static final String PROVIDER = "graph";
    public static final String HEADER_SOURCE = "ChronorouteSource";
    public static final String HEADER_TENANT = "ChronorouteGraphTenant";
    public static final String HEADER_CLIENT_ID = "ChronorouteGraphClientId";
    public static final String HEADER_CLIENT_SECRET = "ChronorouteGraphClientSecret";
    public static final String HEADER_REFRESH_TOKEN = "ChronorouteGraphRefreshToken";
    public static final String HEADER_MAILBOX = "ChronorouteGraphMailbox";
    public static final String HEADER_CALENDARS = "ChronorouteGraphCalendars";
    public static final String HEADER_TIME_ZONE = "ChronorouteTimeZone";
    public static final String HEADER_ALLOW_UPDATES = "ChronorouteAllowEventUpdates";
    public static final String HEADER_GRAPH_URL = "ChronorouteGraphUrl";
    public static final String HEADER_AUTHORITY_URL = "ChronorouteGraphAuthorityUrl";
    public static final String HEADER_TIMEOUT = "ChronorouteTimeout";
    public static final String HEADER_RATE = "ChronorouteGraphRequestsPerSecond";
    /** The extended property holding the UID of an event the source created for the master. */
    public static final String UID_PROPERTY = "String {6f1d7c2a-3b5e-4c8d-9a0f-1e2d3c4b5a69} Name ChronorouteUid";
    static final String META = "graph.";
    /** Graph's calendarColor presets and the colour Outlook shows for each. */
    static final Map<String, String> COLORS = colors();

    private static final Logger LOG = LoggerFactory.getLogger(GraphCalendarSource.class);
    private static final ObjectMapper JSON = new ObjectMapper();

    private final AgentState state;
    private final SourceRegistry registry;
    private final AgentProperties props;
    private final Clock clock;
    private final Sleeper sleeper;
    private final HttpClient http = HttpClient.newBuilder().connectTimeout(java.time.Duration.ofSeconds(30)).build();
    private final Map<String, Runtime> runtimes = new ConcurrentHashMap<>();
    private final Map<String, String> lastWritten = new ConcurrentHashMap<>();
    private volatile Backoff backoff = GraphClient.defaultBackoff();
    private final GraphRefreshTokens tokens;

    @Autowired
    public GraphCalendarSource(AgentState state, SourceRegistry registry, AgentProperties props, Clock agentClock) {
        this(state, registry, props, agentClock, Sleeper.SYSTEM);
    }

    /** @param sleeper how the quota and backoff waits wait (tests pass a virtual one) */
    public GraphCalendarSource(AgentState state, SourceRegistry registry, AgentProperties props, Clock clock,
                               Sleeper sleeper) {
        this.state = state;
        this.registry = registry;
        this.props = props;
        this.clock = clock;
        this.sleeper = sleeper;
        this.tokens = new GraphRefreshTokens(state);
        registry.addKind(this);
    }

    /** A calendar the source reads: Graph's id and its name. */
    record Cal(String id, String name) {
    }

    /** Per source: settings, the Graph client, resolved calendars, the outcome of the last read. */
    final class Runtime {
        final GraphSourceSettings settings;
        final GraphClient client;
        volatile List<Cal> calendars;
        volatile String error;
        /** Calendar id → the delta link of the last successful read, to persist once collected. */
        final Map<String, String> pending = new ConcurrentHashMap<>();

        Runtime(GraphSourceSettings s) {
            this.settings = s;
            GraphAuth auth = new GraphAuth(http, s.authorityUrl(), s.tenant(), s.clientId(), s.clientSecret(),
                    tokens.current(s.source(), s.refreshToken()), clock, s.timeout());
            if (s.refreshToken() != null) {
                auth.onRefreshTokenRotated(next -> tokens.save(s.source(), s.refreshToken(), next));
            }
            TokenBucket bucket = new TokenBucket(s.requestsPerSecond(), Math.max(1,
                    (int) Math.ceil(s.requestsPerSecond())), clock, sleeper);
            this.client = new GraphClient(http, auth, s.graphUrl(), s.timeout(), write -> bucket.acquire(), backoff,
                    sleeper);
        }

        String mbx() {
            return settings.mailboxPath();
        }
    }

    // ------------------------------------------------------------------ route steps

    /** Records the source's configuration (every poll; cheap). Secrets arrive as headers the route removes next. */
    public void register(@Header(HEADER_SOURCE) String source, @Header(HEADER_TENANT) String tenant,
                         @Header(HEADER_CLIENT_ID) String clientId, @Header(HEADER_CLIENT_SECRET) String clientSecret,
                         @Header(HEADER_REFRESH_TOKEN) String refreshToken, @Header(HEADER_MAILBOX) String mailbox,
                         @Header(HEADER_CALENDARS) String calendars, @Header(HEADER_TIME_ZONE) String timeZone,
                         @Header(HEADER_ALLOW_UPDATES) boolean allowUpdates, @Header(HEADER_GRAPH_URL) String graphUrl,
                         @Header(HEADER_AUTHORITY_URL) String authorityUrl, @Header(HEADER_TIMEOUT) Long timeoutMillis,
                         @Header(HEADER_RATE) Double requestsPerSecond) {
        register(GraphSourceSettings.of(source, tenant, clientId, clientSecret, refreshToken, mailbox, calendars,
                timeZone, allowUpdates, graphUrl, authorityUrl, timeoutMillis, requestsPerSecond));
    }

    void register(GraphSourceSettings s) {
        registry.register(new SourceConfig(s.source(), null, s.zone(), s.allowEventUpdates(), PROVIDER));
        runtimes.compute(s.source(), (k, old) -> {
            if (old != null && old.settings.equals(s)) {
                return old;
            }
            LOG.info("Source '{}': Microsoft 365 calendar(s) {} of {} through {}, event updates from the master {}",
                    s.source(), s.calendars(), s.mailbox() == null ? "the signed-in user" : s.mailbox(), s.graphUrl(),
                    s.allowEventUpdates() ? "allowed" : "refused");
            return new Runtime(s);
        });
    }

    /** One poll: the contract's {@link #read} for the source the route names. */
    public List<ChangeBatch> poll(@Header(HEADER_SOURCE) String source) {
        return registry.find(source).map(this::read).orElse(List.of());
    }

    /** After {@code direct:agent-collect}: the contract's {@link #committed}. */
    public void commit(@Header(HEADER_SOURCE) String source) {
        registry.find(source).ifPresent(this::committed);
    }

    // ------------------------------------------------------------------ reading

    @Override
    public String kind() {
        return PROVIDER;
    }

    @Override
    public List<ChangeBatch> read(SourceConfig source) {
        Runtime rt = runtimes.get(source.name());
        if (rt == null) {
            return List.of();
        }
        rt.pending.clear();
        try {
            List<ChangeBatch> out = new ArrayList<>();
            Map<String, String> next = new LinkedHashMap<>();
            for (Cal cal : calendars(rt)) {
                out.addAll(readCalendar(rt, cal, next));
            }
            rt.pending.putAll(next);
            if (rt.error != null) {
                LOG.info("Source '{}': Microsoft 365 is read again after: {}", source.name(), rt.error);
                rt.error = null;
            }
            registry.markRead(source.name(), clock.instant());
            return out;
        } catch (DestinationException e) {
            return failed(rt, reason(e));
        } catch (RuntimeException e) {
            LOG.debug("Source '{}': read failed", source.name(), e);
            return failed(rt, "the answer of Microsoft Graph cannot be used: " + e.getClass().getSimpleName()
                    + (e.getMessage() == null ? "" : " " + e.getMessage()));
        }
    }

    private List<ChangeBatch> failed(Runtime rt, String reason) {
        rt.pending.clear();
        if (!reason.equals(rt.error)) {
            LOG.warn("Source '{}': {}. Its events are kept (not taken as deleted); read again on the next poll",
                    rt.settings.source(), reason);
        }
        rt.error = reason;
        return List.of();
    }

    /** The collector stored the last read: each calendar's delta link becomes its cursor, confirmed now. */
    @Override
    public void committed(SourceConfig source) {
        Runtime rt = runtimes.get(source.name());
        if (rt == null || rt.pending.isEmpty()) {
            return;
        }
        Map<String, String> links = Map.copyOf(rt.pending);
        rt.pending.clear();
        state.write(tx -> {
            links.forEach((cal, link) -> tx.putMeta(deltaKey(source.name(), cal), link));
            tx.confirmCursor(META, source.name(), clock.instant());
            return null;
        });
    }

    @Override
    public String refusal(SourceConfig source) {
        return source.allowEventUpdates() ? null
                : "source '" + source.name() + "' is read-only (allowEventUpdates=false)";
    }

    @Override
    public SourceState state(SourceConfig source) {
        Runtime rt = runtimes.get(source.name());
        Instant at = state.read(tx -> tx.cursorAt(META, source.name()));
        return new SourceState(PROVIDER, source.allowEventUpdates(), refusal(source), registry.lastRead(source.name()),
                at, rt == null ? null : rt.error);
    }

    /** The calendars to read, resolved once per runtime. */
    private List<Cal> calendars(Runtime rt) {
        List<Cal> known = rt.calendars;
        if (known != null) {
            return known;
        }
        List<Cal> out = new ArrayList<>();
        List<String> ids = rt.settings.calendars();
        if (ids.contains(GraphSourceSettings.ALL)) {
            rt.client.list(rt.mbx() + "/calendars").forEach(c -> out.add(cal(c)));
        } else if (ids.contains(GraphSourceSettings.DEFAULT)) {
            out.add(cal(rt.client.get(rt.mbx() + "/calendar")));
        } else {
            for (String id : ids) {
                out.add(cal(rt.client.get(rt.mbx() + "/calendars/" + GraphClient.seg(id))));
            }
        }
        if (out.isEmpty()) {
            throw new DestinationException(ErrorKind.PERMANENT, "noCalendar", "the mailbox lists no calendar");
        }
        rt.calendars = List.copyOf(out);
        return rt.calendars;
    }

    private static Cal cal(JsonNode c) {
        return new Cal(c.path("id").asText(), c.path("name").asText(null));
    }

    private String calPath(Runtime rt, Cal cal) {
        return rt.mbx() + "/calendars/" + GraphClient.seg(cal.id());
    }

    private List<ChangeBatch> readCalendar(Runtime rt, Cal cal, Map<String, String> next) {
        String name = rt.settings.source();
        String link = state.read(tx -> tx.meta(deltaKey(name, cal.id())));
        GraphClient.Delta delta = null;
        if (link != null) {
            try {
                delta = rt.client.delta(link);
            } catch (DestinationException e) {
                if (e.kind() != ErrorKind.CURSOR_EXPIRED) {
                    throw e;
                }
                LOG.info("Source '{}': Graph no longer knows the delta link of calendar {} ({}); reading it fully",
                        name, cal.id(), e.reason());
            }
        }
        boolean full = delta == null;
        if (full) {
            delta = rt.client.delta(calPath(rt, cal) + "/events/delta");
        }
        next.put(cal.id(), delta.deltaLink());
        Map<String, FileEntry> held = heldFiles(name, cal);
        Set<String> seen = new HashSet<>();
        Set<String> done = new HashSet<>();
        List<ChangeBatch> out = new ArrayList<>();
        for (JsonNode item : delta.items()) {
            String id = item.path("id").asText();
            if (item.has("@removed")) {
                if (held.containsKey(fileName(cal, id)) && done.add(id)) {
                    out.add(ChangeBatch.removed(name, fileName(cal, id)));
                }
                continue;
            }
            String type = item.path("type").asText("singleInstance");
            String seriesId = type.equals("occurrence") || type.equals("exception")
                    ? item.path("seriesMasterId").asText(id) : id;
            seen.add(seriesId);
            if (!done.add(seriesId)) {
                continue;
            }
            JsonNode master = type.equals("singleInstance") ? item : fetch(rt, seriesId);
            ChangeBatch b = master == null ? null
                    : batch(rt, cal, seriesId, master, held.containsKey(fileName(cal, seriesId)));
            if (master == null && held.containsKey(fileName(cal, seriesId))) {
                b = ChangeBatch.removed(name, fileName(cal, seriesId));
            }
            if (b != null) {
                out.add(b);
            }
        }
        if (full) {
            for (String file : held.keySet()) {
                if (!seen.contains(file.substring(cal.id().length() + 1))) {
                    out.add(ChangeBatch.removed(name, file));
                }
            }
        }
        return out;
    }

    /** A series master with its exceptions (one request), or null when it is gone. */
    private JsonNode fetch(Runtime rt, String id) {
        try {
            return rt.client.get(rt.mbx() + "/events/" + GraphClient.seg(id) + "?$expand=exceptionOccurrences");
        } catch (DestinationException e) {
            if (GraphClient.status(e) == 404) {
                return null;
            }
            throw e;
        }
    }

    /** One series/event as the collector's file: its events, its removal, or null (nothing to say). */
    private ChangeBatch batch(Runtime rt, Cal cal, String seriesId, JsonNode master, boolean held) {
        String name = rt.settings.source();
        String file = fileName(cal, seriesId);
        if (master.path("isCancelled").asBoolean() && !master.hasNonNull("recurrence")) {
            return held ? ChangeBatch.removed(name, file) : null;
        }
        List<JsonNode> exceptions = new ArrayList<>();
        master.path("exceptionOccurrences").forEach(exceptions::add);
        List<CalendarEvent> read = GraphEventMapper.read(master, exceptions, uidOf(rt, master));
        List<CalendarEvent> events = new ArrayList<>();
        List<InputProblem> problems = new ArrayList<>();
        for (CalendarEvent e : read) {
            String providerId = cal.id() + "/" + seriesId;
            CalendarEvent withOrigin = e.withOrigin(new Origin(props.id(), name, calendarId(rt, cal), cal.name(),
                    PROVIDER, providerId));
            try {
                EventValidator.validate(withOrigin);
                events.add(withOrigin);
            } catch (WireFormatException ex) {
                problems.add(new InputProblem(InputProblem.Kind.EVENT_REJECTED, name, file, 0, e.uid(),
                        SyncKey.ridText(e.recurrenceId()), ex.field(), ex.reason()));
                LOG.warn("Source '{}', {}: event UID {} left out: {} {}", name, file, e.uid(), ex.field(), ex.reason());
            }
        }
        List<JsonNode> items = new ArrayList<>(exceptions);
        items.add(master);
        return ChangeBatch.parsed(name, file, fingerprint(items), events, problems);
    }

    /** The UID of a Graph item: the master's UID when the source created it, else Graph's iCalUId. */
    private String uidOf(Runtime rt, JsonNode g) {
        String ical = g.path("iCalUId").asText(null);
        if (ical == null) {
            return null;
        }
        String mapped = state.read(tx -> tx.meta(uidKey(rt.settings.source(), ical)));
        return mapped != null ? mapped : ical;
    }

    private static ChangeBatch.Fingerprint fingerprint(List<JsonNode> items) {
        long modified = 0;
        StringBuilder sb = new StringBuilder();
        for (JsonNode g : items.stream().sorted(Comparator.comparing(n -> n.path("id").asText())).toList()) {
            sb.append(g.path("id").asText()).append(' ').append(g.path("changeKey").asText()).append('\n');
            String lm = g.path("lastModifiedDateTime").asText(null);
            if (lm != null) {
                try {
                    modified = Math.max(modified, Instant.parse(lm.endsWith("Z") ? lm : lm + "Z").toEpochMilli());
                } catch (java.time.DateTimeException ignored) {
                    // the fingerprint's time is informative only
                }
            }
        }
        return new ChangeBatch.Fingerprint(items.size(), modified, sha256(sb.toString()));
    }

    private Map<String, FileEntry> heldFiles(String source, Cal cal) {
        String prefix = cal.id() + "/";
        Map<String, FileEntry> out = new LinkedHashMap<>();
        state.read(tx -> tx.filesOf(source)).forEach((f, e) -> {
            if (f.startsWith(prefix)) {
                out.put(f, e);
            }
        });
        return out;
    }

    static String fileName(Cal cal, String seriesId) {
        return cal.id() + "/" + seriesId;
    }

    static String deltaKey(String source, String calendarId) {
        return META + source + ".delta." + calendarId;
    }

    static String uidKey(String source, String iCalUId) {
        return META + source + ".uid." + iCalUId;
    }

    /** The calendar id the agent reports: the source name for a source of one calendar, else Graph's id. */
    private static String calendarId(Runtime rt, Cal cal) {
        return rt.settings.singleCalendar() ? rt.settings.source() : cal.id();
    }

    /** Where floating times are placed in Graph: the source's zone, else UTC. */
    private static ZoneId floatingZone(Runtime rt) {
        return rt.settings.zone() != null ? rt.settings.zone() : ZoneOffset.UTC;
    }

    private static String reason(DestinationException e) {
        return switch (e.kind()) {
            case AUTH -> "Microsoft 365 refused the credentials (" + e.getMessage() + "); check tenant, clientId, "
                    + "the secret or refresh token and the Calendars.ReadWrite permission";
            case QUOTA -> "Microsoft 365 quota exhausted (" + e.getMessage() + ")";
            default -> "Microsoft 365 cannot be read: " + e.getMessage();
        };
    }

    // ------------------------------------------------------------------ writing

    @Override
    public Applied applyEventUpdate(SourceConfig source, String action, CalendarEvent event, String baseHash)
            throws UpdateFailedException {
        if (!source.allowEventUpdates()) {
            throw new UpdateFailedException(refusal(source), true);
        }
        Runtime rt = runtimes.get(source.name());
        if (rt == null) {
            throw new UpdateFailedException("source '" + source.name() + "' has not started yet", false);
        }
        String base = baseHash == null || baseHash.isBlank() ? null : baseHash.strip();
        try {
            return switch (action == null ? "" : action) {
                case "create", "update" -> upsert(rt, event, base, "create".equals(action));
                case "delete" -> delete(rt, event, base);
                default -> throw new UpdateFailedException("unknown event_update action '" + action + "'", true);
            };
        } catch (DestinationException e) {
            throw new UpdateFailedException("Microsoft 365 calendar of source '" + source.name() + "': "
                    + e.getMessage(), e.kind() == ErrorKind.PERMANENT, e);
        } catch (IllegalArgumentException e) {
            throw new UpdateFailedException("cannot be written to Microsoft 365: " + e.getMessage(), true, e);
        }
    }

    /** A series or single event found by UID: its master (with exceptions) and its events as the source reads them. */
    private record Found(Cal cal, JsonNode master, List<CalendarEvent> events) {
        String id() {
            return master.path("id").asText();
        }

        CalendarEvent event(String rid) {
            for (CalendarEvent e : events) {
                if (Objects.equals(SyncKey.ridText(e.recurrenceId()), rid)) {
                    return e;
                }
            }
            return null;
        }

        boolean hasAttendees() {
            if (master.path("attendees").size() > 0) {
                return true;
            }
            for (JsonNode x : master.path("exceptionOccurrences")) {
                if (x.path("attendees").size() > 0) {
                    return true;
                }
            }
            return false;
        }
    }

    private List<Cal> searchOrder(Runtime rt, CalendarEvent event) {
        List<Cal> cals = new ArrayList<>(calendars(rt));
        String hint = event.origin() == null ? null : event.origin().calendarId();
        for (int i = 0; i < cals.size(); i++) {
            if (cals.get(i).id().equals(hint)) {
                cals.add(0, cals.remove(i));
                break;
            }
        }
        return cals;
    }

    /** The series/event of {@code uid}: by our UID property (events the source created), else by iCalUId. */
    private Found find(Runtime rt, List<Cal> cals, String uid) {
        String quoted = uid.replace("'", "''");
        for (Cal cal : cals) {
            String base = calPath(rt, cal) + "/events?$select=id&$filter=";
            List<JsonNode> hits = rt.client.list(base + GraphClient.q("singleValueExtendedProperties/Any(ep: ep/id eq '"
                    + UID_PROPERTY + "' and ep/value eq '" + quoted + "')"));
            if (hits.isEmpty()) {
                hits = rt.client.list(base + GraphClient.q("iCalUId eq '" + quoted + "'"));
            }
            for (JsonNode h : hits) {
                JsonNode master = fetch(rt, h.path("id").asText());
                if (master != null) {
                    List<JsonNode> xs = new ArrayList<>();
                    master.path("exceptionOccurrences").forEach(xs::add);
                    return new Found(cal, master, GraphEventMapper.read(master, xs, uid));
                }
            }
        }
        return null;
    }

    private Applied upsert(Runtime rt, CalendarEvent event, String base, boolean create)
            throws UpdateFailedException {
        List<Cal> cals = searchOrder(rt, event);
        CalendarEvent update = event.withOrigin(null);
        String rid = SyncKey.ridText(update.recurrenceId());
        String label = describe(update.uid(), rid);
        Found f = find(rt, cals, update.uid());
        if (f == null) {
            if (rid != null) {
                throw new UpdateFailedException("the series of occurrence " + label + " is not in source '"
                        + rt.settings.source() + "'", true);
            }
            if (!create) {
                throw new UpdateFailedException("event " + label + " not found in source '" + rt.settings.source()
                        + "'" + (base == null ? "" : " (deleted there since; this calendar's version will be sent "
                        + "and the conflict strategy decides)"), true);
            }
            return insert(rt, cals.get(0), update, label);
        }
        for (int attempt = 0; ; attempt++) {
            CalendarEvent current = f.event(rid);
            if (current != null && sameSubstance(current, update)) {
                return new Applied("already applied: " + label, reread(rt, f.cal(), f.id()));
            }
            refuseMeeting(f, label);
            if (base != null && current != null) {
                checkBase(rt, f.cal(), current, base, label);
            }
            try {
                String outcome = rid == null ? patchMaster(rt, f, current, update, label)
                        : patchOccurrence(rt, f, current, update, label);
                if (outcome.startsWith("already applied")) {
                    return new Applied(outcome, reread(rt, f.cal(), f.id()));
                }
                remember(rt, f.cal(), update);
                LOG.info("Source '{}': {}", rt.settings.source(), outcome);
                return new Applied(outcome, reread(rt, f.cal(), f.id()));
            } catch (DestinationException e) {
                if (GraphClient.status(e) != 412 || attempt > 0) {
                    throw e;
                }
                LOG.info("Source '{}': event {} changed in Microsoft 365 between our read and our write (412); read "
                        + "again", rt.settings.source(), label);
                f = find(rt, List.of(f.cal()), update.uid());
                if (f == null) {
                    throw new UpdateFailedException("event " + label + " was deleted in Microsoft 365 meanwhile; "
                            + "this calendar's version will be sent and the conflict strategy decides", true);
                }
            }
        }
    }

    private void refuseMeeting(Found f, String label) throws UpdateFailedException {
        if (f.hasAttendees()) {
            throw new UpdateFailedException("event " + label + " is a meeting with attendees in Microsoft 365; Graph "
                    + "would send them an update or cancellation, so it is not changed from the master", true);
        }
    }

    private Applied insert(Runtime rt, Cal cal, CalendarEvent update, String label) throws UpdateFailedException {
        ObjectNode body = GraphEventMapper.written(update, floatingZone(rt));
        if (body.path("recurrence").isNull()) {
            body.remove("recurrence");
        }
        body.putArray("singleValueExtendedProperties").addObject().put("id", UID_PROPERTY).put("value", update.uid());
        // deterministic: a retried create (lost answer, agent restart) returns the event created first
        body.put("transactionId", uuidOf(rt.settings.source() + '\u0000' + update.uid()));
        JsonNode created = rt.client.send("POST", calPath(rt, cal) + "/events", body, null);
        String ical = created.path("iCalUId").asText(null);
        if (ical != null) {
            state.write(tx -> {
                tx.putMeta(uidKey(rt.settings.source(), ical), update.uid());
                return null;
            });
        }
        String id = created.path("id").asText();
        cancelOccurrences(rt, id, update.exdates(), List.of(), false);
        remember(rt, cal, update);
        String outcome = "created " + label + " in Microsoft 365 calendar " + cal.id();
        LOG.info("Source '{}': {}", rt.settings.source(), outcome);
        return new Applied(outcome, reread(rt, cal, id));
    }

    /** PATCH of the master/single event with only the fields that differ, If-Match on its etag. */
    private String patchMaster(Runtime rt, Found f, CalendarEvent current, CalendarEvent update, String label)
            throws UpdateFailedException {
        ZoneId zone = floatingZone(rt);
        Set<String> removed = new HashSet<>();
        if (current != null) {
            current.exdates().forEach(x -> removed.add(x.canonical()));
            update.exdates().forEach(x -> removed.remove(x.canonical()));
        }
        if (!removed.isEmpty()) {
            throw new UpdateFailedException("event " + label + ": a cancelled occurrence cannot be restored in "
                    + "Microsoft 365", true);
        }
        ObjectNode patch = diff(current == null ? null : GraphEventMapper.written(current, zone),
                GraphEventMapper.written(update, zone));
        boolean cancels = cancelOccurrences(rt, f.id(), update.exdates(), current == null ? List.of()
                : current.exdates(), true);
        if (patch.isEmpty() && !cancels) {
            return "already applied: " + label;
        }
        if (!patch.isEmpty()) {
            rt.client.send("PATCH", rt.mbx() + "/events/" + GraphClient.seg(f.id()), patch,
                    f.master().path("@odata.etag").asText(null));
        }
        cancelOccurrences(rt, f.id(), update.exdates(), current == null ? List.of() : current.exdates(), false);
        List<String> fields = new ArrayList<>();
        patch.fieldNames().forEachRemaining(fields::add);
        return "updated " + label + " in Microsoft 365 calendar " + f.cal().id() + " (" + String.join(", ", fields)
                + ")";
    }

    /** PATCH of one occurrence (it becomes an exception of its series, or is one already). */
    private String patchOccurrence(Runtime rt, Found f, CalendarEvent current, CalendarEvent update, String label)
            throws UpdateFailedException {
        JsonNode target = instance(rt, f, update.recurrenceId());
        if (target == null) {
            throw new UpdateFailedException("occurrence " + label + " is not an occurrence of its series in "
                    + "Microsoft 365", true);
        }
        ZoneId zone = floatingZone(rt);
        ObjectNode next = GraphEventMapper.written(update, zone);
        ObjectNode patch = diff(current == null ? null : GraphEventMapper.written(current, zone), next);
        patch.remove("recurrence");
        if (patch.isEmpty()) {
            return "already applied: " + label;
        }
        rt.client.send("PATCH", rt.mbx() + "/events/" + GraphClient.seg(target.path("id").asText()), patch,
                target.path("@odata.etag").asText(null));
        return "updated " + label + " in Microsoft 365 calendar " + f.cal().id();
    }

    /** The exception or occurrence of the series that RECURRENCE-ID {@code rid} names, or null. */
    private JsonNode instance(Runtime rt, Found f, EventTime rid) {
        Instant original = rid.toInstant(floatingZone(rt));
        for (JsonNode x : f.master().path("exceptionOccurrences")) {
            if (Instant.parse(normalize(x.path("originalStart").asText())).equals(original)) {
                return x;
            }
        }
        Instant from = rid.isDate() ? original.minusSeconds(14 * 3600) : original.minusSeconds(60);
        Instant to = rid.isDate() ? original.plusSeconds(38 * 3600) : original.plusSeconds(60);
        for (JsonNode i : rt.client.list(rt.mbx() + "/events/" + GraphClient.seg(f.id()) + "/instances?startDateTime="
                + GraphClient.q(from.toString()) + "&endDateTime=" + GraphClient.q(to.toString()))) {
            Instant o = Instant.parse(normalize(i.path("originalStart").asText()));
            boolean same = rid.isDate() ? o.atZone(ZoneOffset.UTC).toLocalDate().equals(rid.date()) : o.equals(original);
            if (same) {
                return i;
            }
        }
        return null;
    }

    /**
     * Deletes the occurrences {@code exdates} names that {@code before} did not (Graph keeps them as cancelled);
     * with {@code dryRun} only says whether there are any.
     */
    private boolean cancelOccurrences(Runtime rt, String masterId, List<EventTime> exdates, List<EventTime> before,
                                      boolean dryRun) {
        Set<String> had = new HashSet<>();
        before.forEach(x -> had.add(x.canonical()));
        List<EventTime> added = exdates.stream().filter(x -> !had.contains(x.canonical())).toList();
        if (added.isEmpty() || dryRun) {
            return !added.isEmpty();
        }
        JsonNode master = fetch(rt, masterId);
        if (master == null) {
            return false;
        }
        Found f = new Found(null, master, List.of());
        for (EventTime x : added) {
            JsonNode occ = instance(rt, f, x);
            if (occ != null) {
                rt.client.send("DELETE", rt.mbx() + "/events/" + GraphClient.seg(occ.path("id").asText()), null, null);
            }
        }
        return true;
    }

    private Applied delete(Runtime rt, CalendarEvent event, String base) throws UpdateFailedException {
        CalendarEvent target = event.withOrigin(null);
        String rid = SyncKey.ridText(target.recurrenceId());
        String label = describe(target.uid(), rid);
        Found f = find(rt, searchOrder(rt, event), target.uid());
        if (f == null) {
            LOG.info("Source '{}': event {} to delete is not in Microsoft 365 (already gone)", rt.settings.source(),
                    label);
            return new Applied("already gone: " + label, List.of());
        }
        for (int attempt = 0; ; attempt++) {
            CalendarEvent current = f.event(rid);
            if (rid != null && current == null && f.event(null) != null
                    && f.event(null).exdates().stream().anyMatch(x -> x.canonical().equals(
                    target.recurrenceId().canonical()))) {
                return new Applied("already gone: " + label, reread(rt, f.cal(), f.id()));
            }
            refuseMeeting(f, label);
            if (base != null && current != null) {
                checkBase(rt, f.cal(), current, base, label);
            }
            JsonNode item = rid == null ? f.master() : instance(rt, f, target.recurrenceId());
            if (item == null) {
                return new Applied("already gone: " + label, reread(rt, f.cal(), f.id()));
            }
            try {
                rt.client.send("DELETE", rt.mbx() + "/events/" + GraphClient.seg(item.path("id").asText()), null,
                        item.path("@odata.etag").asText(null));
            } catch (DestinationException e) {
                int status = GraphClient.status(e);
                if (status == 404) {
                    return new Applied("already gone: " + label, reread(rt, f.cal(), f.id()));
                }
                if (status != 412 || attempt > 0) {
                    throw e;
                }
                f = find(rt, List.of(f.cal()), target.uid());
                if (f == null) {
                    return new Applied("already gone: " + label, List.of());
                }
                continue;
            }
            lastWritten.remove(writtenKey(rt, f.cal(), target.uid(), rid));
            String outcome = "deleted " + label + (rid == null ? "" : " (the occurrence is cancelled in its series)")
                    + " in Microsoft 365 calendar " + f.cal().id();
            LOG.info("Source '{}': {}", rt.settings.source(), outcome);
            return new Applied(outcome, reread(rt, f.cal(), f.id()));
        }
    }

    /**
     * The patch from {@code now} to {@code next} (both in written form): the top-level fields that differ
     * ({@code now} null: all of them).
     */
    static ObjectNode diff(ObjectNode now, ObjectNode next) {
        ObjectNode patch = JSON.createObjectNode();
        Iterator<Map.Entry<String, JsonNode>> it = next.fields();
        while (it.hasNext()) {
            Map.Entry<String, JsonNode> f = it.next();
            if (now == null || !f.getValue().equals(now.get(f.getKey()))) {
                patch.set(f.getKey(), f.getValue());
            }
        }
        return patch;
    }

    private void checkBase(Runtime rt, Cal cal, CalendarEvent current, String base, String label)
            throws UpdateFailedException {
        if (base.equals(ChangeCollector.hashOnTheWire(current))) {
            return;
        }
        String written = lastWritten.get(writtenKey(rt, cal, current.uid(), SyncKey.ridText(current.recurrenceId())));
        if (written != null && written.equals(substance(current))) {
            return;
        }
        throw new UpdateFailedException("event " + label + " changed in Microsoft 365 since; this calendar's version "
                + "will be sent and the conflict strategy decides", true);
    }

    private void remember(Runtime rt, Cal cal, CalendarEvent written) {
        lastWritten.put(writtenKey(rt, cal, written.uid(), SyncKey.ridText(written.recurrenceId())),
                substance(written));
    }

    private static String substance(CalendarEvent e) {
        return ContentHash.ofSubstance(e.toBuilder().sequence(null).build());
    }

    private static boolean sameSubstance(CalendarEvent current, CalendarEvent update) {
        return ContentHash.sameSubstance(current.toBuilder().sequence(null).build(),
                update.toBuilder().sequence(null).build());
    }

    private String writtenKey(Runtime rt, Cal cal, String uid, String rid) {
        return rt.settings.source() + '\u0000' + cal.id() + '\u0000' + uid + '\u0000' + rid;
    }

    /** The series/event {@code id} as it is now, for the collector (its removal when it is gone). */
    private List<ChangeBatch> reread(Runtime rt, Cal cal, String id) {
        try {
            JsonNode master = fetch(rt, id);
            if (master == null) {
                return List.of(ChangeBatch.removed(rt.settings.source(), fileName(cal, id)));
            }
            ChangeBatch b = batch(rt, cal, id, master, true);
            return b == null ? List.of() : List.of(b);
        } catch (DestinationException e) {
            LOG.warn("Source '{}': cannot read {} back after writing it ({}); the next poll reads it",
                    rt.settings.source(), fileName(cal, id), e.getMessage());
            return List.of();
        }
    }

    // ------------------------------------------------------------------ rename

    /**
     * Renames (PATCH {@code name}) and/or recolours the source's calendar the master names. Graph's colour is the
     * {@code calendarColor} enum ({@code hexColor} is read-only): {@code #RRGGBB} becomes the preset nearest to it
     * (RGB distance), which is what Outlook then shows.
     */
    @Override
    public Applied renameCalendar(SourceConfig source, String calendarId, String name, String color)
            throws UpdateFailedException {
        if (!source.allowEventUpdates()) {
            throw new UpdateFailedException(refusal(source), true);
        }
        Runtime rt = runtimes.get(source.name());
        if (rt == null) {
            throw new UpdateFailedException("source '" + source.name() + "' has not started yet", false);
        }
        if (color != null && !color.matches("#[0-9A-Fa-f]{6}")) {
            throw new UpdateFailedException("colour '" + color + "' is not #RRGGBB", true);
        }
        try {
            List<Cal> cals = calendars(rt);
            Cal cal = cals.stream().filter(c -> calendarId(rt, c).equals(calendarId)).findFirst()
                    .orElseThrow(() -> new UpdateFailedException("source '" + source.name()
                            + "' has no Microsoft 365 calendar '" + calendarId + "'", true));
            ObjectNode patch = JSON.createObjectNode();
            if (name != null) {
                patch.put("name", name);
            }
            String preset = color == null ? null : nearestColor(color);
            if (preset != null) {
                patch.put("color", preset);
            }
            if (!patch.isEmpty()) {
                rt.client.send("PATCH", calPath(rt, cal), patch, null);
            }
            List<Cal> all = new ArrayList<>(cals);
            all.set(cals.indexOf(cal), new Cal(cal.id(), name != null ? name : cal.name()));
            rt.calendars = List.copyOf(all);
            String outcome = "Microsoft 365 calendar " + cal.id() + " of source '" + source.name() + "'"
                    + (name == null ? "" : " renamed to '" + name + "'")
                    + (preset == null ? "" : " coloured " + preset + " (nearest preset to " + color + ")");
            LOG.info("Source '{}': {}", source.name(), outcome);
            return new Applied(outcome, List.of());
        } catch (DestinationException e) {
            throw new UpdateFailedException("Microsoft 365 calendar of source '" + source.name() + "': "
                    + e.getMessage(), e.kind() == ErrorKind.PERMANENT, e);
        }
    }

    /** The calendarColor preset nearest to {@code #RRGGBB}. */
    static String nearestColor(String hex) {
        int[] c = rgb(hex);
        String best = null;
        long bestDistance = Long.MAX_VALUE;
        for (Map.Entry<String, String> e : COLORS.entrySet()) {
            int[] p = rgb(e.getValue());
            long d = (long) (c[0] - p[0]) * (c[0] - p[0]) + (long) (c[1] - p[1]) * (c[1] - p[1])
                    + (long) (c[2] - p[2]) * (c[2] - p[2]);
            if (d < bestDistance) {
                bestDistance = d;
                best = e.getKey();
            }
        }
        return best;
    }

    private static int[] rgb(String hex) {
        int v = Integer.parseInt(hex.substring(1), 16);
        return new int[] {(v >> 16) & 0xff, (v >> 8) & 0xff, v & 0xff};
    }

    private static Map<String, String> colors() {
        Map<String, String> m = new LinkedHashMap<>();
        m.put("lightBlue", "#a6d1f5");
        m.put("lightGreen", "#87d28e");
        m.put("lightOrange", "#fcab73");
        m.put("lightGray", "#c0c0c0");
        m.put("lightYellow", "#f4d07a");
        m.put("lightTeal", "#6ee0d2");
        m.put("lightPink", "#f59db8");
        m.put("lightBrown", "#e6bc8e");
        m.put("lightRed", "#f3888a");
        return Map.copyOf(m);
    }

    // ------------------------------------------------------------------ helpers

    private static String describe(String uid, String rid) {
        return "UID " + uid + (rid == null ? "" : " (RECURRENCE-ID " + rid + ")");
    }

    private static String normalize(String t) {
        String s = t.endsWith("Z") || t.matches(".*[+-]\\d\\d:\\d\\d$") ? t : t + "Z";
        return java.time.OffsetDateTime.parse(s).toInstant().toString();
    }

    /** A UUID-shaped text derived from {@code s} (Graph's transactionId is a client-chosen unique string). */
    static String uuidOf(String s) {
        String h = sha256(s);
        return (h.substring(0, 8) + "-" + h.substring(8, 12) + "-" + h.substring(12, 16) + "-" + h.substring(16, 20)
                + "-" + h.substring(20, 32)).toLowerCase(Locale.ROOT);
    }

    static String sha256(String s) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(s.getBytes(StandardCharsets.UTF_8)));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    /** For tests: the backoff of runtimes created from now on. */
    void backoff(Backoff b) {
        this.backoff = b;
    }

    /** For tests: Graph requests the source made so far. */
    long requests(String source) {
        Runtime rt = runtimes.get(source);
        return rt == null ? 0 : rt.client.requests();
    }
}
