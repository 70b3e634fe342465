package io.chronoroute.agent.source.google;

import com.google.api.client.util.Data;
import com.google.api.services.calendar.Calendar;
import com.google.api.services.calendar.model.CalendarListEntry;
import com.google.api.services.calendar.model.Event;
import com.google.api.services.calendar.model.EventDateTime;
import com.google.api.services.calendar.model.Events;
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
import io.chronoroute.providers.google.GoogleCalendarClients;
import io.chronoroute.providers.google.GoogleEventContent;
import io.chronoroute.providers.google.GoogleOAuth;
import io.chronoroute.providers.google.GoogleSeries;
import org.apache.camel.Header;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.stereotype.Component;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneId;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The logic of the {@code google-source} route template: one or several Google calendars read with the Calendar API
 * v3 (OAuth refresh token) as a two-way source. One timer route per source calls {@link #register}, {@link #poll},
 * {@code direct:agent-collect}, then {@link #commit}.
 * <ul>
 *   <li><b>Reading:</b> {@code events.list} with {@code singleEvents=false, showDeleted=true}, every page; the
 *       {@code nextSyncToken} of each calendar is the cursor, persisted in the agent's state (meta
 *       {@code google.<source>.token.<calendar>}) only after the collector committed the read ({@link #committed}),
 *       so a restart resumes where it stopped and a crash in between reads the same changes again. A token Google
 *       no longer accepts (410 {@code fullSyncRequired}) is a full read in the same poll; since every "file" is
 *       diffed by itself, it produces no duplicates, and the files it no longer finds are deleted.</li>
 *   <li><b>One file per series:</b> the collector's unit is {@code <calendar id>/<event id>}: a single event, or a
 *       series master with all its exceptions (modified occurrences = overrides with RECURRENCE-ID, cancelled ones =
 *       EXDATE; {@link GoogleSeries}), so the collector diffs per series. A sync-token delta that touches a series
 *       (its master or one occurrence) reads the whole series again ({@code events.list?iCalUID=}, one request);
 *       a cancelled event or series is the file's removal.</li>
 *   <li><b>Never "everything deleted" by accident:</b> an unreachable API, 5xx, 401 (a revoked token) or any other
 *       failure is the source's {@code lastError}; nothing is returned, nothing deleted, the cursor not advanced.
 *       Quota: every call goes through a token bucket and a backoff on 429 / 403 rateLimitExceeded
 *       ({@link GoogleCalls}).</li>
 *   <li><b>Write-back</b> (when {@code allowEventUpdates}): create = {@code events.insert} with the UID as
 *       {@code iCalUID}; update = {@code events.patch} of only the fields that differ (everything else Google holds,
 *       extended properties, reminders, attendees, colours, stays) with {@code If-Match} on the etag; delete =
 *       {@code events.delete} (an occurrence: its instance, which Google keeps as a cancelled exception). Always
 *       {@code sendUpdates=none}: nobody is invited or notified. A {@code base_hash} the event no longer has is
 *       refused permanently; a 412 (someone edited it between our read and our write) re-reads it, refuses when it
 *       changed since the base, else retries once. The series is read again at once ({@link Applied#reread()}).</li>
 *   <li><b>Rename:</b> {@code calendars.patch} summary; colour: {@code calendarList.patch} backgroundColor with
 *       {@code colorRgbFormat=true}. Only a source of one calendar can be renamed (its calendar id is the source
 *       name); with several, the calendar ids are Google's and the master's rename names the source.</li>
 *   <li><b>Secrets:</b> client secret and refresh token from placeholders; the route removes their headers right
 *       after {@link #register}; they are never logged nor stored (the OAuth client keeps them in memory).</li>
 * </ul>
 * Events the master's own Google destination wrote (its {@code chronorouteOwner} tag) are consolidated copies, not a
 * user's events: they are not read, so a calendar that is both a source and a destination does not loop.
 */
@Component("googleCalendarSource")
public class GoogleCalendarSource implements CalendarSource {

    public static final String PROVIDER = "google";
    public static final String HEADER_SOURCE = "ChronorouteSource";
    public static final String HEADER_CLIENT_ID = "ChronorouteGoogleClientId";
    public static final String HEADER_CLIENT_SECRET = "ChronorouteGoogleClientSecret";
    public static final String HEADER_REFRESH_TOKEN = "ChronorouteGoogleRefreshToken";
    public static final String HEADER_CALENDARS = "ChronorouteGoogleCalendars";
    public static final String HEADER_TIME_ZONE = "ChronorouteTimeZone";
    public static final String HEADER_ALLOW_UPDATES = "ChronorouteAllowEventUpdates";
    public static final String HEADER_ROOT_URL = "ChronorouteGoogleRootUrl";
    public static final String HEADER_TOKEN_URI = "ChronorouteGoogleTokenUri";
    public static final String HEADER_TIMEOUT = "ChronorouteTimeout";
    public static final String HEADER_RATE = "ChronorouteGoogleRequestsPerSecond";
    static final String META = "google.";
    static final String NONE = "none";

    private static final Logger LOG = LoggerFactory.getLogger(GoogleCalendarSource.class);

    private final AgentState state;
    private final SourceRegistry registry;
    private final AgentProperties props;
    private final Clock clock;
    private final Sleeper sleeper;
    private final Map<String, Runtime> runtimes = new ConcurrentHashMap<>();
    /** Per source, calendar, UID and RECURRENCE-ID: the substance of the version last written for the master. */
    private final Map<String, String> lastWritten = new ConcurrentHashMap<>();
    private volatile Backoff backoff = GoogleCalls.defaultBackoff();

    @Autowired
    public GoogleCalendarSource(AgentState state, SourceRegistry registry, AgentProperties props, Clock agentClock) {
        this(state, registry, props, agentClock, Sleeper.SYSTEM);
    }

    /** @param sleeper how the quota and backoff waits wait (tests pass a virtual one) */
    public GoogleCalendarSource(AgentState state, SourceRegistry registry, AgentProperties props, Clock clock,
                                Sleeper sleeper) {
        this.state = state;
        this.registry = registry;
        this.props = props;
        this.clock = clock;
        this.sleeper = sleeper;
        registry.addKind(this);
    }

    /** A calendar the source reads: Google's id, its name and zone. */
    record Cal(String id, String summary, String timeZone) {
    }

    /** Per source: settings, API calls, resolved calendars, the outcome of the last read. */
    final class Runtime {
        final GoogleSourceSettings settings;
        final GoogleCalls calls;
        volatile List<Cal> calendars;
        volatile String error;
        /** Calendar id → the sync token of the last successful read, to persist once collected. */
        final Map<String, String> pending = new ConcurrentHashMap<>();

        Runtime(GoogleSourceSettings s) {
            this.settings = s;
            GoogleOAuth oauth = new GoogleOAuth(s.oauth(), s::refreshToken, clock);
            Calendar api = new GoogleCalendarClients(s.rootUrl(), s.timeout(), oauth).calendar("chronoroute-agent");
            this.calls = new GoogleCalls(s.source(), api, s.requestsPerSecond(), clock, sleeper, backoff);
        }
    }

    // ------------------------------------------------------------------ route steps

    /** Records the source's configuration (every poll; cheap). Secrets arrive as headers the route removes next. */
    public void register(@Header(HEADER_SOURCE) String source, @Header(HEADER_CLIENT_ID) String clientId,
                         @Header(HEADER_CLIENT_SECRET) String clientSecret,
                         @Header(HEADER_REFRESH_TOKEN) String refreshToken, @Header(HEADER_CALENDARS) String calendars,
                         @Header(HEADER_TIME_ZONE) String timeZone, @Header(HEADER_ALLOW_UPDATES) boolean allowUpdates,
                         @Header(HEADER_ROOT_URL) String rootUrl, @Header(HEADER_TOKEN_URI) String tokenUri,
                         @Header(HEADER_TIMEOUT) Long timeoutMillis, @Header(HEADER_RATE) Double requestsPerSecond) {
        register(GoogleSourceSettings.of(source, clientId, clientSecret, refreshToken, calendars, timeZone,
                allowUpdates, rootUrl, tokenUri, timeoutMillis, requestsPerSecond));
    }

    void register(GoogleSourceSettings s) {
        registry.register(new SourceConfig(s.source(), null, s.zone(), s.allowEventUpdates(), PROVIDER));
        runtimes.compute(s.source(), (k, old) -> {
            if (old != null && old.settings.equals(s)) {
                return old;
            }
            LOG.info("Source '{}': Google calendar(s) {} through {}, event updates from the master {}", s.source(),
                    s.calendars(), s.rootUrl(), s.allowEventUpdates() ? "allowed" : "refused");
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

    // ------------------------------------------------------------------ the source contract: reading

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
                LOG.info("Source '{}': Google is read again after: {}", source.name(), rt.error);
                rt.error = null;
            }
            registry.markRead(source.name(), clock.instant());
            return out;
        } catch (DestinationException e) {
            return failed(rt, reason(e));
        } catch (RuntimeException e) {
            // a bug or an answer we cannot map: reported like an outage, never a partial read that deletes
            LOG.debug("Source '{}': read failed", source.name(), e);
            return failed(rt, "the answer of Google cannot be used: " + e.getClass().getSimpleName()
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

    /** The collector stored the last read: each calendar's sync token becomes its cursor, confirmed now. */
    @Override
    public void committed(SourceConfig source) {
        Runtime rt = runtimes.get(source.name());
        if (rt == null || rt.pending.isEmpty()) {
            return;
        }
        Map<String, String> tokens = Map.copyOf(rt.pending);
        rt.pending.clear();
        state.write(tx -> {
            tokens.forEach((cal, token) -> tx.putMeta(tokenKey(source.name(), cal), token));
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

    /** The calendars to read, resolved once per runtime (calendarList.get per id, or the whole calendar list). */
    private List<Cal> calendars(Runtime rt) {
        List<Cal> known = rt.calendars;
        if (known != null) {
            return known;
        }
        List<Cal> out = new ArrayList<>();
        if (rt.settings.calendars().contains(GoogleSourceSettings.ALL)) {
            String page = null;
            do {
                String p = page;
                var list = rt.calls.call("calendarList.list", api -> api.calendarList().list().setPageToken(p).execute());
                if (list.getItems() != null) {
                    list.getItems().forEach(c -> out.add(cal(c)));
                }
                page = list.getNextPageToken();
            } while (page != null);
        } else {
            for (String id : rt.settings.calendars()) {
                out.add(cal(rt.calls.call("calendarList.get", api -> api.calendarList().get(id).execute())));
            }
        }
        if (out.isEmpty()) {
            throw new DestinationException(ErrorKind.PERMANENT, "noCalendar", "the account lists no calendar");
        }
        rt.calendars = List.copyOf(out);
        return rt.calendars;
    }

    private static Cal cal(CalendarListEntry c) {
        return new Cal(c.getId(), c.getSummary(), c.getTimeZone());
    }

    /** All pages of one listing: the items and the sync token of the last page. */
    private record Listing(List<Event> items, String nextSyncToken) {
    }

    private List<ChangeBatch> readCalendar(Runtime rt, Cal cal, Map<String, String> next) {
        String name = rt.settings.source();
        String token = state.read(tx -> tx.meta(tokenKey(name, cal.id())));
        Listing listing = null;
        if (token != null) {
            try {
                listing = list(rt, cal, token, null);
            } catch (DestinationException e) {
                if (e.kind() != ErrorKind.CURSOR_EXPIRED) {
                    throw e;
                }
                LOG.info("Source '{}': Google no longer accepts the sync token of calendar {} ({}); reading it fully",
                        name, cal.id(), e.reason());
            }
        }
        boolean full = listing == null;
        if (full) {
            listing = list(rt, cal, null, null);
        }
        if (listing.nextSyncToken() != null) {
            next.put(cal.id(), listing.nextSyncToken());
        }
        Map<String, List<Event>> groups = new LinkedHashMap<>();
        for (Event g : listing.items()) {
            groups.computeIfAbsent(GoogleSeries.seriesId(g), k -> new ArrayList<>()).add(g);
        }
        Map<String, FileEntry> held = heldFiles(name, cal);
        List<ChangeBatch> out = new ArrayList<>();
        for (Map.Entry<String, List<Event>> group : groups.entrySet()) {
            List<Event> items = group.getValue();
            if (!full && partOfSeries(items)) {
                items = series(rt, cal, group.getKey(), items);
            }
            ChangeBatch b = batch(rt, cal, group.getKey(), items, held.containsKey(fileName(cal, group.getKey())));
            if (b != null) {
                out.add(b);
            }
        }
        if (full) {
            for (String file : held.keySet()) {
                if (!groups.containsKey(file.substring(cal.id().length() + 1))) {
                    out.add(ChangeBatch.removed(name, file));
                }
            }
        }
        return out;
    }

    /**
     * {@code events.list} of a calendar, every page: with a sync token the changes since; else everything (or the
     * items of one iCalUID: a series' master and exceptions), deleted ones included.
     */
    private Listing list(Runtime rt, Cal cal, String syncToken, String iCalUid) {
        List<Event> items = new ArrayList<>();
        String page = null;
        String nextSync;
        do {
            String p = page;
            Events e = rt.calls.call("events.list", api -> {
                Calendar.Events.List l = api.events().list(cal.id()).setSingleEvents(false).setShowDeleted(true)
                        .setMaxResults(250).setPageToken(p);
                if (syncToken != null) {
                    l.setSyncToken(syncToken);
                }
                if (iCalUid != null) {
                    l.setICalUID(iCalUid);
                }
                return l.execute();
            });
            if (e.getItems() != null) {
                items.addAll(e.getItems());
            }
            page = e.getNextPageToken();
            nextSync = e.getNextSyncToken();
        } while (page != null);
        return new Listing(items, nextSync);
    }

    /** A delta item of a series (an occurrence, or a live recurring master): the series is read whole. */
    private static boolean partOfSeries(List<Event> items) {
        for (Event g : items) {
            if (g.getRecurringEventId() != null) {
                return true;
            }
            if (!GoogleSeries.cancelled(g) && g.getRecurrence() != null && !g.getRecurrence().isEmpty()) {
                return true;
            }
        }
        return false;
    }

    /** The whole series {@code seriesId} now: its master and exceptions (one iCalUID listing). */
    private List<Event> series(Runtime rt, Cal cal, String seriesId, List<Event> changed) {
        String uid = null;
        for (Event g : changed) {
            if (g.getICalUID() != null) {
                uid = g.getICalUID();
            }
        }
        if (uid == null) {
            try {
                uid = rt.calls.call("events.get", api -> api.events().get(cal.id(), seriesId).execute()).getICalUID();
            } catch (DestinationException e) {
                if (GoogleCalls.status(e) == 404 || GoogleCalls.status(e) == 410) {
                    return changed;
                }
                throw e;
            }
        }
        List<Event> out = new ArrayList<>();
        for (Event g : list(rt, cal, null, uid).items()) {
            if (seriesId.equals(GoogleSeries.seriesId(g))) {
                out.add(g);
            }
        }
        return out.isEmpty() ? changed : out;
    }

    /** One series/event as the collector's file: its events, its removal, or null (nothing to say). */
    private ChangeBatch batch(Runtime rt, Cal cal, String seriesId, List<Event> items, boolean held) {
        String name = rt.settings.source();
        String file = fileName(cal, seriesId);
        boolean foreign = items.stream().anyMatch(g -> g.getRecurringEventId() == null
                && GoogleSeries.writtenByMaster(g));
        List<CalendarEvent> read = foreign ? List.of() : series(rt, cal).read(items);
        if (read.isEmpty()) {
            return held ? ChangeBatch.removed(name, file) : null;
        }
        List<CalendarEvent> events = new ArrayList<>();
        List<InputProblem> problems = new ArrayList<>();
        Origin origin = new Origin(props.id(), name, calendarId(rt, cal), cal.summary(), PROVIDER, null);
        ZoneId zone = floatingZone(rt, cal);
        for (CalendarEvent e : read) {
            String providerId = cal.id() + "/" + (e.recurrenceId() == null ? seriesId
                    : GoogleSeries.instanceId(seriesId, e.recurrenceId(), zone));
            CalendarEvent withOrigin = e.withOrigin(new Origin(origin.agentId(), origin.source(), origin.calendarId(),
                    origin.calendarName(), PROVIDER, providerId));
            try {
                EventValidator.validate(withOrigin);
                events.add(withOrigin);
            } catch (WireFormatException ex) {
                problems.add(new InputProblem(InputProblem.Kind.EVENT_REJECTED, name, file, 0, e.uid(),
                        SyncKey.ridText(e.recurrenceId()), ex.field(), ex.reason()));
                LOG.warn("Source '{}', {}: event UID {} left out: {} {}", name, file, e.uid(), ex.field(), ex.reason());
            }
        }
        return ChangeBatch.parsed(name, file, fingerprint(items), events, problems);
    }

    private static ChangeBatch.Fingerprint fingerprint(List<Event> items) {
        long modified = 0;
        StringBuilder sb = new StringBuilder();
        for (Event g : items.stream().sorted(java.util.Comparator.comparing(Event::getId)).toList()) {
            sb.append(g.getId()).append(' ').append(g.getEtag()).append('\n');
            if (g.getUpdated() != null) {
                modified = Math.max(modified, g.getUpdated().getValue());
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

    static String tokenKey(String source, String calendarId) {
        return META + source + ".token." + calendarId;
    }

    /** The calendar id the agent reports: the source name for a source of one calendar, else Google's id. */
    private static String calendarId(Runtime rt, Cal cal) {
        return rt.settings.singleCalendar() ? rt.settings.source() : cal.id();
    }

    /** Where floating times are placed in Google: the source's zone, else the calendar's, else UTC. */
    private static ZoneId floatingZone(Runtime rt, Cal cal) {
        if (rt.settings.zone() != null) {
            return rt.settings.zone();
        }
        try {
            return cal.timeZone() == null ? ZoneId.of("UTC") : ZoneId.of(cal.timeZone());
        } catch (java.time.DateTimeException e) {
            return ZoneId.of("UTC");
        }
    }

    private static GoogleSeries series(Runtime rt, Cal cal) {
        return new GoogleSeries(floatingZone(rt, cal));
    }

    private static String reason(DestinationException e) {
        return switch (e.kind()) {
            case AUTH -> "Google refused the credentials (" + e.getMessage() + "); check clientId, clientSecret and "
                    + "refreshToken";
            case QUOTA -> "Google quota exhausted (" + e.getMessage() + ")";
            default -> "Google cannot be read: " + e.getMessage();
        };
    }

    // ------------------------------------------------------------------ the source contract: writing

    /**
     * Applies an {@code event_update} to the Google calendar that holds the UID (the one the event's calendar id
     * names first; a create goes there, else to the first calendar).
     */
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
            boolean permanent = e.kind() == ErrorKind.PERMANENT;
            throw new UpdateFailedException("Google calendar of source '" + source.name() + "': " + e.getMessage(),
                    permanent, e);
        }
    }

    /** A series (or single event) found by UID in one calendar: its items and their events as the source reads them. */
    private record Found(Cal cal, String seriesId, List<Event> items, List<CalendarEvent> events) {
        Event master() {
            for (Event g : items) {
                if (g.getRecurringEventId() == null) {
                    return g;
                }
            }
            return null;
        }

        Event item(String id) {
            for (Event g : items) {
                if (g.getId().equals(id)) {
                    return g;
                }
            }
            return null;
        }

        CalendarEvent event(String rid) {
            for (CalendarEvent e : events) {
                if (Objects.equals(SyncKey.ridText(e.recurrenceId()), rid)) {
                    return e;
                }
            }
            return null;
        }

        boolean live() {
            Event m = master();
            return m != null && !GoogleSeries.cancelled(m);
        }
    }

    /** The calendars in the order to search: the one the event names first. */
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

    /** The series of {@code uid} (a live one preferred, else a deleted one), or null. */
    private Found find(Runtime rt, List<Cal> cals, String uid) {
        Found deleted = null;
        for (Cal cal : cals) {
            Map<String, List<Event>> groups = new LinkedHashMap<>();
            for (Event g : list(rt, cal, null, uid).items()) {
                groups.computeIfAbsent(GoogleSeries.seriesId(g), k -> new ArrayList<>()).add(g);
            }
            for (Map.Entry<String, List<Event>> e : groups.entrySet()) {
                Found f = new Found(cal, e.getKey(), e.getValue(), series(rt, cal).read(e.getValue()));
                if (f.master() != null && GoogleSeries.writtenByMaster(f.master())) {
                    continue;
                }
                if (f.live()) {
                    return f;
                }
                if (deleted == null && f.master() != null) {
                    deleted = f;
                }
            }
        }
        return deleted;
    }

    private Applied upsert(Runtime rt, CalendarEvent event, String base, boolean create)
            throws UpdateFailedException {
        List<Cal> cals = searchOrder(rt, event);
        CalendarEvent update = event.withOrigin(null);
        String rid = SyncKey.ridText(update.recurrenceId());
        String label = describe(update.uid(), rid);
        Found f = find(rt, cals, update.uid());
        if (update.recurrenceId() == null && (f == null || !f.live())) {
            if (!create) {
                throw new UpdateFailedException("event " + label + " not found in source '" + rt.settings.source()
                        + "'" + (base == null ? "" : " (deleted there since; this calendar's version will be sent "
                        + "and the conflict strategy decides)"), true);
            }
            return insert(rt, f, f == null ? cals.get(0) : f.cal(), update, label);
        }
        if (f == null || !f.live()) {
            throw new UpdateFailedException("the series of occurrence " + label + " is not in source '"
                    + rt.settings.source() + "'", true);
        }
        return patch(rt, f, update, rid, base, label);
    }

    /** A new event (insert with the UID as iCalUID); a deleted one of the same UID is revived (update). */
    private Applied insert(Runtime rt, Found deleted, Cal cal, CalendarEvent update, String label) {
        GoogleEventContent content = new GoogleEventContent(floatingZone(rt, cal), false);
        Event body = content.written(update);
        Event written;
        if (deleted != null) {
            Event master = deleted.master();
            written = rt.calls.call("events.update", api -> api.events().update(cal.id(), master.getId(), body)
                    .setSendUpdates(NONE).execute());
        } else {
            body.setICalUID(update.uid());
            written = rt.calls.call("events.insert", api -> api.events().insert(cal.id(), body)
                    .setSendUpdates(NONE).execute());
        }
        remember(rt, cal, update);
        String outcome = (deleted != null ? "re-created " : "created ") + label + " in Google calendar " + cal.id();
        LOG.info("Source '{}': {}", rt.settings.source(), outcome);
        return new Applied(outcome, reread(rt, cal, written.getId()));
    }

    /**
     * Patches the master/single event or the occurrence with what differs, If-Match on its etag; a 412 re-reads it:
     * refused when it changed since {@code base}, else retried once.
     */
    private Applied patch(Runtime rt, Found found, CalendarEvent update, String rid, String base, String label)
            throws UpdateFailedException {
        Found f = found;
        for (int attempt = 0; ; attempt++) {
            Cal cal = f.cal();
            Target t = target(rt, f, update, rid, label);
            if (t.current() != null && sameSubstance(t.current(), update)) {
                return new Applied("already applied: " + label, reread(rt, cal, f.seriesId()));
            }
            if (base != null && t.current() != null) {
                checkBase(rt, cal, t.current(), base, label);
            }
            GoogleEventContent content = new GoogleEventContent(floatingZone(rt, cal), false);
            Event patch = diff(t.current() == null ? t.event() : content.written(t.current()), content.written(update),
                    update.recurrenceId() == null);
            if (patch.isEmpty()) {
                return new Applied("already applied: " + label, reread(rt, cal, f.seriesId()));
            }
            String etag = t.event().getEtag();
            try {
                rt.calls.call("events.patch", api -> {
                    Calendar.Events.Patch p = api.events().patch(cal.id(), t.event().getId(), patch).setSendUpdates(NONE);
                    p.getRequestHeaders().setIfMatch(etag);
                    return p.execute();
                });
            } catch (DestinationException e) {
                if (GoogleCalls.status(e) != 412 || attempt > 0) {
                    throw e;
                }
                LOG.info("Source '{}': event {} changed in Google between our read and our write (412); read again",
                        rt.settings.source(), label);
                f = find(rt, List.of(cal), update.uid());
                if (f == null || !f.live()) {
                    throw new UpdateFailedException("event " + label + " was deleted in Google meanwhile; this "
                            + "calendar's version will be sent and the conflict strategy decides", true);
                }
                continue;
            }
            remember(rt, cal, update);
            String outcome = "updated " + label + " in Google calendar " + cal.id() + " (" + String.join(", ",
                    patch.keySet()) + ")";
            LOG.info("Source '{}': {}", rt.settings.source(), outcome);
            return new Applied(outcome, reread(rt, cal, f.seriesId()));
        }
    }

    /** The Google item an update writes to and the event the source reads there now (null: not read as one). */
    private record Target(Event event, CalendarEvent current) {
    }

    private Target target(Runtime rt, Found f, CalendarEvent update, String rid, String label)
            throws UpdateFailedException {
        if (rid == null) {
            return new Target(f.master(), f.event(null));
        }
        String id = GoogleSeries.instanceId(f.seriesId(), update.recurrenceId(), floatingZone(rt, f.cal()));
        Event inst = f.item(id);
        if (inst == null) {
            try {
                inst = rt.calls.call("events.get", api -> api.events().get(f.cal().id(), id).execute());
            } catch (DestinationException e) {
                if (GoogleCalls.status(e) == 404) {
                    throw new UpdateFailedException("occurrence " + label + " is not an occurrence of its series in "
                            + "Google", true);
                }
                throw e;
            }
        }
        CalendarEvent master = f.event(null);
        CalendarEvent current = f.event(rid);
        if (current == null && !GoogleSeries.cancelled(inst)) {
            current = series(rt, f.cal()).event(inst, master == null ? null : master.start());
        }
        return new Target(inst, current);
    }

    private Applied delete(Runtime rt, CalendarEvent event, String base) throws UpdateFailedException {
        CalendarEvent target = event.withOrigin(null);
        String rid = SyncKey.ridText(target.recurrenceId());
        String label = describe(target.uid(), rid);
        Found f = find(rt, searchOrder(rt, event), target.uid());
        if (f == null || !f.live()) {
            LOG.info("Source '{}': event {} to delete is not in Google (already gone)", rt.settings.source(), label);
            return new Applied("already gone: " + label, f == null ? List.of() : reread(rt, f.cal(), f.seriesId()));
        }
        Cal cal = f.cal();
        for (int attempt = 0; ; attempt++) {
            Target t = target(rt, f, target, rid, label);
            if (GoogleSeries.cancelled(t.event())) {
                return new Applied("already gone: " + label, reread(rt, cal, f.seriesId()));
            }
            if (base != null && t.current() != null) {
                checkBase(rt, cal, t.current(), base, label);
            }
            String etag = t.event().getEtag();
            try {
                rt.calls.call("events.delete", api -> {
                    Calendar.Events.Delete d = api.events().delete(cal.id(), t.event().getId()).setSendUpdates(NONE);
                    d.getRequestHeaders().setIfMatch(etag);
                    return d.execute();
                });
            } catch (DestinationException e) {
                int status = GoogleCalls.status(e);
                if (status == 404 || status == 410) {
                    return new Applied("already gone: " + label, reread(rt, cal, f.seriesId()));
                }
                if (status != 412 || attempt > 0) {
                    throw e;
                }
                f = find(rt, List.of(cal), target.uid());
                if (f == null || !f.live()) {
                    return new Applied("already gone: " + label, f == null ? List.of() : reread(rt, cal, f.seriesId()));
                }
                continue;
            }
            lastWritten.remove(writtenKey(rt, cal, target.uid(), rid));
            String outcome = "deleted " + label + (rid == null ? "" : " (the occurrence is cancelled in its series)")
                    + " in Google calendar " + cal.id();
            LOG.info("Source '{}': {}", rt.settings.source(), outcome);
            return new Applied(outcome, reread(rt, cal, f.seriesId()));
        }
    }

    /**
     * The base hash names the version the master changed; another version in Google now is a conflict, except the
     * version this source wrote last for the master (the master's own, whose read-back it has not received yet).
     */
    private void checkBase(Runtime rt, Cal cal, CalendarEvent current, String base, String label)
            throws UpdateFailedException {
        if (base.equals(ChangeCollector.hashOnTheWire(current))) {
            return;
        }
        String written = lastWritten.get(writtenKey(rt, cal, current.uid(), SyncKey.ridText(current.recurrenceId())));
        if (written != null && written.equals(substance(current))) {
            return;
        }
        throw new UpdateFailedException("event " + label + " changed in Google since; this calendar's version will "
                + "be sent and the conflict strategy decides", true);
    }

    private void remember(Runtime rt, Cal cal, CalendarEvent written) {
        lastWritten.put(writtenKey(rt, cal, written.uid(), SyncKey.ridText(written.recurrenceId())),
                substance(written));
    }

    /** What the master compares, SEQUENCE, origin and times of creation/modification aside. */
    private static String substance(CalendarEvent e) {
        return ContentHash.ofSubstance(e.toBuilder().sequence(null).build());
    }

    /**
     * Same content in what this source writes (the fields {@link GoogleEventContent} maps): an update whose every
     * written field is already in Google writes nothing.
     */
    private static boolean sameSubstance(CalendarEvent current, CalendarEvent update) {
        return ContentHash.sameSubstance(current.toBuilder().sequence(null).build(),
                update.toBuilder().sequence(null).build());
    }

    private String writtenKey(Runtime rt, Cal cal, String uid, String rid) {
        return rt.settings.source() + '\u0000' + cal.id() + '\u0000' + uid + '\u0000' + rid;
    }

    /**
     * The patch from {@code now} to {@code next} (both in written form): only the fields that differ; a field
     * {@code next} no longer has is cleared (JSON null). Recurrence only for a master.
     */
    static Event diff(Event now, Event next, boolean master) {
        Event patch = new Event();
        text(patch, "summary", now.getSummary(), next.getSummary());
        text(patch, "description", now.getDescription(), next.getDescription());
        text(patch, "location", now.getLocation(), next.getLocation());
        if (!sameTime(now.getStart(), next.getStart())) {
            patch.setStart(next.getStart());
        }
        if (!sameTime(now.getEnd(), next.getEnd())) {
            patch.setEnd(next.getEnd());
        }
        if (master && !lines(now.getRecurrence()).equals(lines(next.getRecurrence()))) {
            patch.setRecurrence(new ArrayList<>(lines(next.getRecurrence())));
        }
        String transparency = or(next.getTransparency(), "opaque");
        if (!or(now.getTransparency(), "opaque").equals(transparency)) {
            patch.setTransparency(transparency);
        }
        String visibility = or(next.getVisibility(), "default");
        if (!or(now.getVisibility(), "default").equals(visibility)) {
            patch.setVisibility(visibility);
        }
        String status = or(next.getStatus(), "confirmed");
        if (!or(now.getStatus(), "confirmed").equals(status)) {
            patch.setStatus(status);
        }
        return patch;
    }

    private static void text(Event patch, String field, String now, String next) {
        String a = now == null || now.isEmpty() ? null : now;
        String b = next == null || next.isEmpty() ? null : next;
        if (!Objects.equals(a, b)) {
            patch.set(field, b == null ? Data.NULL_STRING : b);
        }
    }

    private static boolean sameTime(EventDateTime a, EventDateTime b) {
        if (a == null || b == null) {
            return a == b;
        }
        if (a.getDate() != null || b.getDate() != null) {
            return a.getDate() != null && b.getDate() != null
                    && a.getDate().toStringRfc3339().equals(b.getDate().toStringRfc3339());
        }
        return a.getDateTime() != null && b.getDateTime() != null
                && a.getDateTime().getValue() == b.getDateTime().getValue()
                && Objects.equals(a.getTimeZone(), b.getTimeZone());
    }

    private static List<String> lines(List<String> l) {
        return l == null ? List.of() : l;
    }

    private static String or(String v, String dflt) {
        return v == null ? dflt : v;
    }

    /** The series/event {@code seriesId} as it is now, for the collector (its removal when it is gone). */
    private List<ChangeBatch> reread(Runtime rt, Cal cal, String seriesId) {
        try {
            Event g = rt.calls.call("events.get", api -> api.events().get(cal.id(), seriesId).execute());
            List<Event> items = g.getICalUID() == null || GoogleSeries.cancelled(g) ? List.of(g)
                    : series(rt, cal, seriesId, List.of(g));
            ChangeBatch b = batch(rt, cal, seriesId, items, true);
            return b == null ? List.of() : List.of(b);
        } catch (DestinationException e) {
            if (GoogleCalls.status(e) == 404 || GoogleCalls.status(e) == 410) {
                return List.of(ChangeBatch.removed(rt.settings.source(), fileName(cal, seriesId)));
            }
            LOG.warn("Source '{}': cannot read {} back after writing it ({}); the next poll reads it",
                    rt.settings.source(), fileName(cal, seriesId), e.getMessage());
            return List.of();
        }
    }

    // ------------------------------------------------------------------ rename

    /**
     * Renames ({@code calendars.patch} summary) and/or recolours ({@code calendarList.patch} backgroundColor with
     * {@code colorRgbFormat=true}) the source's calendar the master names (by the id its events report); nothing
     * else of it is touched.
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
                            + "' has no Google calendar '" + calendarId + "'", true));
            if (name != null) {
                rt.calls.call("calendars.patch", api -> api.calendars().patch(cal.id(),
                        new com.google.api.services.calendar.model.Calendar().setSummary(name)).execute());
            }
            if (color != null) {
                rt.calls.call("calendarList.patch", api -> api.calendarList().patch(cal.id(),
                        new CalendarListEntry().setBackgroundColor(color.toLowerCase(java.util.Locale.ROOT)))
                        .setColorRgbFormat(true).execute());
            }
            Cal renamed = new Cal(cal.id(), name != null ? name : cal.summary(), cal.timeZone());
            List<Cal> all = new ArrayList<>(cals);
            all.set(cals.indexOf(cal), renamed);
            rt.calendars = List.copyOf(all);
            String outcome = "Google calendar " + cal.id() + " of source '" + source.name() + "'"
                    + (name == null ? "" : " renamed to '" + name + "'") + (color == null ? "" : " coloured " + color);
            LOG.info("Source '{}': {}", source.name(), outcome);
            // the events' content did not change (the collector keeps them as they are); the dispatcher records the
            // name, which the heartbeat's source_list reports, and events read from now on carry it
            return new Applied(outcome, List.of());
        } catch (DestinationException e) {
            throw new UpdateFailedException("Google calendar of source '" + source.name() + "': " + e.getMessage(),
                    e.kind() == ErrorKind.PERMANENT, e);
        }
    }

    // ------------------------------------------------------------------ helpers

    private static String describe(String uid, String rid) {
        return "UID " + uid + (rid == null ? "" : " (RECURRENCE-ID " + rid + ")");
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

    /** For tests: API calls the source made so far. */
    long requests(String source) {
        Runtime rt = runtimes.get(source);
        return rt == null ? 0 : rt.calls.requests();
    }
}
