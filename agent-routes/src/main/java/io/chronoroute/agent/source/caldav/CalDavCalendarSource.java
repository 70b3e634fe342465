package io.chronoroute.agent.source.caldav;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.chronoroute.agent.AgentProperties;
import io.chronoroute.agent.collect.ChangeBatch;
import io.chronoroute.agent.collect.ChangeCollector;
import io.chronoroute.agent.source.CalendarSource;
import io.chronoroute.agent.source.IcsFolderSource;
import io.chronoroute.agent.source.IcsTextEdit;
import io.chronoroute.agent.source.SourceConfig;
import io.chronoroute.agent.source.SourceRegistry;
import io.chronoroute.agent.state.AgentState;
import io.chronoroute.agent.state.FileEntry;
import io.chronoroute.agent.update.UpdateFailedException;
import io.chronoroute.processors.ical.ICalCodec;
import io.chronoroute.processors.ical.ICalLimits;
import io.chronoroute.processors.ical.ICalParseException;
import io.chronoroute.processors.ical.ICalReadResult;
import io.chronoroute.processors.model.CalendarEvent;
import io.chronoroute.processors.model.Origin;
import io.chronoroute.processors.problem.InputProblem;
import io.chronoroute.processors.sync.SyncKey;
import io.chronoroute.processors.wire.EventValidator;
import io.chronoroute.providers.caldav.CalDavClient;
import io.chronoroute.providers.caldav.CalDavHttpException;
import org.apache.camel.Header;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.stereotype.Component;

import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneId;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The logic of the {@code caldav-source} route template: the calendars of a CalDAV account (Radicale, Nextcloud,
 * SOGo/Mailcow, iCloud, Fastmail, ...) as a calendar source of the agent, read and (when allowed) written back.
 * One timer route per source calls {@link #register}, {@link #poll}, {@code direct:agent-collect}, then
 * {@link #commit}.
 * <ul>
 *   <li><b>Discovery</b> ({@link CalDavDiscovery}): the URL is a calendar collection (that one calendar), or the
 *       account is found through current-user-principal → calendar-home-set → the calendar collections that hold
 *       VEVENTs; {@code calendars} narrows them down by display name or path segment.</li>
 *   <li><b>A poll</b> is one PROPFIND of the calendars (depth 1 on the home, depth 0 on a single collection) with
 *       their names, colours, sync-tokens and ctags: a calendar whose token is the persisted one is not asked any
 *       further, so a poll without change costs one request whatever the number of calendars. A changed calendar
 *       is read with RFC 6578 sync-collection from the persisted token (changed members with their data; a 404
 *       member is a deletion); an invalid token (403/409 valid-sync-token, 410) is a full read, diffed against the
 *       agent's index so nothing is duplicated nor lost. A server without sync-collection (or
 *       {@code syncMode=etag}) is read by ETag listing: PROPFIND depth 1 getetag compared with the persisted ETags,
 *       then calendar-multiget of the changed members only.</li>
 *   <li><b>One "file" per resource href</b> in the collector's index (a series with its overrides is one
 *       resource), so the collector diffs per resource; the cursors (sync-token, ctag, ETags, calendar name) are
 *       persisted in the agent's state meta only after the collector committed ({@link #committed}): a restart
 *       resumes from them.</li>
 *   <li><b>Never "everything deleted" by accident:</b> an unreachable server, an HTTP error, an answer that is not
 *       XML, a selected calendar that is no longer listed: the source's {@code lastError}, its events kept, the
 *       cursor not advanced. Only a 404 in a sync report, or a member gone from a complete listing, deletes.</li>
 *   <li><b>Write-back</b> ({@link #applyEventUpdate}): the resource is fetched (GET: text and ETag), the VEVENT is
 *       edited in its text ({@link IcsTextEdit}: other components, VALARMs and unknown properties kept) and PUT back
 *       with {@code If-Match}; a create is {@code PUT If-None-Match: *}; a delete is {@code DELETE If-Match} (one
 *       occurrence: its override removed and an EXDATE added, PUT). A 412 (changed meanwhile) is re-read: changed
 *       since the master's base hash → refused permanently (the conflict strategy decides), else applied once more
 *       on the new version. Renames are a PROPPATCH of displayname and Apple's calendar-color.</li>
 *   <li><b>Secrets</b>: the password comes from a placeholder; it is never logged nor put in the state; errors
 *       name method, path and status only.</li>
 * </ul>
 * Calendar identity: a source that selects exactly one calendar (a collection URL, or one name in
 * {@code calendars}) reports it with {@code calendar_id} = the source name (so the master's rename reaches it);
 * otherwise each calendar is {@code <source>/<collection segment>}, named by its displayname.
 */
@Component("calDavSource")
public class CalDavCalendarSource implements CalendarSource {

    public static final String PROVIDER = "caldav";
    public static final String HEADER_SOURCE = "ChronorouteSource";
    public static final String HEADER_URL = "ChronorouteUrl";
    public static final String HEADER_USERNAME = "ChronorouteUsername";
    public static final String HEADER_PASSWORD = "ChronoroutePassword";
    public static final String HEADER_CALENDARS = "ChronorouteCalendars";
    public static final String HEADER_TIME_ZONE = "ChronorouteTimeZone";
    public static final String HEADER_ALLOW_UPDATES = "ChronorouteAllowEventUpdates";
    public static final String HEADER_SYNC_MODE = "ChronorouteSyncMode";
    public static final String HEADER_TIMEOUT = "ChronorouteTimeout";
    static final String META = "caldav.";
    private static final int MULTIGET_CHUNK = 200;
    private static final int MAX_SYNC_PAGES = 1000;

    private static final Logger LOG = LoggerFactory.getLogger(CalDavCalendarSource.class);
    private static final ObjectMapper JSON = new ObjectMapper();

    private final AgentState state;
    private final SourceRegistry registry;
    private final AgentProperties props;
    private final Clock clock;
    private final Map<String, Runtime> runtimes = new ConcurrentHashMap<>();
    /** Per source, UID and RECURRENCE-ID: the substance of the version last written for the master (as the folder source). */
    private final Map<String, String> lastWritten = new ConcurrentHashMap<>();

    public CalDavCalendarSource(AgentState state, SourceRegistry registry, AgentProperties props, Clock agentClock) {
        this.state = state;
        this.registry = registry;
        this.props = props;
        this.clock = agentClock;
        registry.addKind(this);
    }

    /**
     * A source's configuration; the password never appears in {@link #toString()}.
     *
     * @param calendars display names or path segments to read; empty = every calendar holding events
     * @param etagOnly  {@code syncMode=etag}: never sync-collection (servers whose sync-collection is broken)
     */
    public record Settings(String source, String url, String username, String password, List<String> calendars,
                           ZoneId zone, boolean allowEventUpdates, boolean etagOnly, Duration timeout) {
        @Override
        public String toString() {
            return "Settings[" + source + ", " + url + (username == null ? "" : ", user " + username)
                    + ", calendars " + (calendars.isEmpty() ? "all" : calendars) + (etagOnly ? ", etag" : "") + "]";
        }
    }

    /** One calendar being read: what the last listing said of it, its client and its identity in the events. */
    static final class Cal {
        final CalDavClient client;
        volatile CalDavClient.CalendarInfo info;
        final String id;
        boolean etagMode;

        Cal(CalDavClient client, CalDavClient.CalendarInfo info, String id, boolean etagMode) {
            this.client = client;
            this.info = info;
            this.id = id;
            this.etagMode = etagMode;
        }

        String name() {
            return info.displayName() != null ? info.displayName() : CalDavDiscovery.segment(info.href());
        }
    }

    /** What a read of one calendar found, persisted once collected. */
    record Pending(String token, String ctag, String name, Map<String, String> etags) {
    }

    /** Per source: settings, the discovered listing, the calendars, the outcome of the last read. */
    static final class Runtime {
        final Settings settings;
        final CalDavClient root;
        volatile CalDavDiscovery.Listing listing;
        final Map<String, Cal> cals = new ConcurrentHashMap<>();
        volatile String error;
        final Map<String, Pending> pending = new ConcurrentHashMap<>();

        Runtime(Settings settings) {
            this.settings = settings;
            this.root = CalDavDiscovery.client(settings, settings.url());
        }
    }

    // ------------------------------------------------------------------ route steps

    /** Records the source's configuration (every poll; cheap). */
    public void register(@Header(HEADER_SOURCE) String source, @Header(HEADER_URL) String url,
                         @Header(HEADER_USERNAME) String username, @Header(HEADER_PASSWORD) String password,
                         @Header(HEADER_CALENDARS) String calendars, @Header(HEADER_TIME_ZONE) String timeZone,
                         @Header(HEADER_ALLOW_UPDATES) Boolean allowEventUpdates,
                         @Header(HEADER_SYNC_MODE) String syncMode, @Header(HEADER_TIMEOUT) Long timeoutMillis) {
        register(settings(source, url, username, password, calendars, timeZone, allowEventUpdates, syncMode,
                timeoutMillis));
    }

    /** {@link #register} with settings already made (tests, benchmarks). */
    public SourceConfig register(Settings s) {
        SourceConfig config = new SourceConfig(s.source(), null, s.zone(), s.allowEventUpdates(), PROVIDER);
        registry.register(config);
        runtimes.compute(s.source(), (k, old) -> {
            if (old != null && old.settings.equals(s)) {
                return old;
            }
            LOG.info("Source '{}': CalDAV {}{}, calendars {}, {}", s.source(), s.url(),
                    s.username() == null ? "" : " as " + s.username(),
                    s.calendars().isEmpty() ? "all" : s.calendars(), s.etagOnly() ? "ETag listing" : "sync-collection");
            return new Runtime(s);
        });
        return config;
    }

    public static Settings settings(String source, String url, String username, String password, String calendars,
                                    String timeZone, Boolean allowEventUpdates, String syncMode, Long timeoutMillis) {
        if (url == null || url.isBlank()) {
            throw new IllegalArgumentException("source '" + source + "': no url");
        }
        URI u = URI.create(url.strip());
        if (u.getScheme() == null || !(u.getScheme().equalsIgnoreCase("http") || u.getScheme().equalsIgnoreCase("https"))
                || u.getRawUserInfo() != null) {
            throw new IllegalArgumentException("source '" + source + "': the url must be http or https without "
                    + "credentials in it (give username and password)");
        }
        List<String> names = calendars == null || calendars.isBlank() ? List.of()
                : Arrays.stream(calendars.split(",")).map(String::strip).filter(n -> !n.isEmpty()).toList();
        String mode = syncMode == null || syncMode.isBlank() ? "auto" : syncMode.strip().toLowerCase(Locale.ROOT);
        if (!mode.equals("auto") && !mode.equals("etag")) {
            throw new IllegalArgumentException("source '" + source + "': syncMode must be auto or etag, not " + mode);
        }
        return new Settings(source, url.strip(), username == null || username.isBlank() ? null : username.strip(),
                password == null || password.isEmpty() ? null : password, names,
                timeZone == null || timeZone.isBlank() ? null : ZoneId.of(timeZone.strip()),
                Boolean.TRUE.equals(allowEventUpdates), mode.equals("etag"),
                Duration.ofMillis(timeoutMillis == null || timeoutMillis <= 0 ? 30_000 : timeoutMillis));
    }

    /** One poll: the contract's {@link #read} for the source the route names. */
    public List<ChangeBatch> poll(@Header(HEADER_SOURCE) String source) {
        return registry.find(source).map(this::read).orElse(List.of());
    }

    /** After {@code direct:agent-collect}: the contract's {@link #committed}. */
    public void commit(@Header(HEADER_SOURCE) String source) {
        registry.find(source).ifPresent(this::committed);
    }

    // ------------------------------------------------------------------ the source contract

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
        List<Cal> cals;
        try {
            cals = calendars(rt);
        } catch (Exception e) {
            failed(rt, "cannot list the calendars: " + describe(e));
            return List.of();
        }
        List<ChangeBatch> out = new ArrayList<>();
        List<String> errors = new ArrayList<>();
        Map<String, FileEntry> index = state.read(tx -> tx.filesOf(source.name()));
        Set<String> failedFiles = new LinkedHashSet<>(state.read(tx -> tx.failedOf(source.name())));
        for (String wanted : rt.settings.calendars()) {
            if (cals.stream().noneMatch(c -> matches(c.info, wanted))) {
                errors.add("calendar '" + wanted + "' not found (its events are kept)");
            }
        }
        for (Cal cal : cals) {
            try {
                out.addAll(readCalendar(rt, source, cal, index, failedFiles, false));
            } catch (Exception e) {
                errors.add("calendar " + cal.info.href() + ": " + describe(e));
            }
        }
        if (!errors.isEmpty()) {
            failed(rt, String.join("; ", errors));
        } else {
            if (rt.error != null) {
                LOG.info("Source '{}': read again after: {}", source.name(), rt.error);
            }
            rt.error = null;
            registry.markRead(source.name(), clock.instant());
        }
        return out;
    }

    private void failed(Runtime rt, String reason) {
        if (!reason.equals(rt.error)) {
            LOG.warn("Source '{}': {}. Its events are kept (not taken as deleted); read again on the next poll",
                    rt.settings.source(), reason);
        }
        rt.error = reason;
    }

    /** The calendars to read, with what the server says of them now (one PROPFIND; discovery the first time). */
    private List<Cal> calendars(Runtime rt) throws Exception {
        if (rt.listing == null) {
            rt.listing = CalDavDiscovery.listing(rt.root, rt.settings.url());
        }
        List<CalDavClient.CalendarInfo> found = rt.listing.list(rt.root);
        boolean single = rt.listing.single() || rt.settings.calendars().size() == 1;
        List<Cal> out = new ArrayList<>();
        for (CalDavClient.CalendarInfo info : found) {
            if (!info.holdsEvents() || (!rt.settings.calendars().isEmpty()
                    && rt.settings.calendars().stream().noneMatch(w -> matches(info, w)))) {
                continue;
            }
            Cal cal = rt.cals.computeIfAbsent(info.href(), h -> new Cal(
                    CalDavDiscovery.client(rt.settings, rt.listing.origin() + h), info,
                    single ? rt.settings.source() : rt.settings.source() + "/" + CalDavDiscovery.segment(h),
                    rt.settings.etagOnly() || !info.syncCollection()));
            cal.info = info;
            out.add(cal);
        }
        return out;
    }

    private static boolean matches(CalDavClient.CalendarInfo info, String wanted) {
        return wanted.equals(info.displayName()) || wanted.equals(CalDavDiscovery.segment(info.href()));
    }

    static String origin(String url) {
        URI u = URI.create(url);
        return u.getScheme() + "://" + u.getRawAuthority();
    }

    /**
     * One calendar: nothing when its sync-token (or ctag) and name are the persisted ones; else the changes since
     * the persisted token (sync-collection) or ETags (listing), or everything ({@code full}).
     */
    private List<ChangeBatch> readCalendar(Runtime rt, SourceConfig source, Cal cal, Map<String, FileEntry> allIndex,
                                           Set<String> failedFiles, boolean full) throws Exception {
        String prefix = metaPrefix(source.name(), cal.info.href());
        Map<String, String> cursor = state.read(tx -> {
            Map<String, String> m = new LinkedHashMap<>();
            for (String k : List.of("token", "ctag", "name", "etags")) {
                String v = tx.meta(prefix + k);
                if (v != null) {
                    m.put(k, v);
                }
            }
            return m;
        });
        Map<String, FileEntry> index = new LinkedHashMap<>();
        allIndex.forEach((href, e) -> {
            if (href.startsWith(cal.info.href())) {
                index.put(href, e);
            }
        });
        boolean renamed = cursor.containsKey("name") && !cursor.get("name").equals(cal.name());
        full |= renamed;
        // a resource that could not be used is read again when it changes (as a file of the folder source)
        if (!full && unchanged(cal, cursor)) {
            return List.of();
        }
        if (renamed) {
            LOG.info("Source '{}': calendar {} is now named '{}'; its events are read again with the new name",
                    source.name(), cal.info.href(), cal.name());
        }
        List<ChangeBatch> out = new ArrayList<>();
        if (!cal.etagMode) {
            String token = full ? null : cursor.get("token");
            CalDavClient.MultiStatus ms;
            try {
                ms = cal.client.syncCollectionAll(token, true, MAX_SYNC_PAGES);
            } catch (CalDavHttpException e) {
                if (token != null && (e.status() == 410 || ((e.status() == 403 || e.status() == 409)
                        && "valid-sync-token".equals(e.davError())))) {
                    LOG.info("Source '{}': the server no longer accepts the sync-token of {} ({}); full read",
                            source.name(), cal.info.href(), e.getMessage());
                    token = null;
                    ms = cal.client.syncCollectionAll(null, true, MAX_SYNC_PAGES);
                } else if (token == null && Set.of(400, 403, 405, 501).contains(e.status())) {
                    LOG.info("Source '{}': {} does not support sync-collection ({}); reading it by ETag listing",
                            source.name(), cal.info.href(), e.getMessage());
                    cal.etagMode = true;
                    return readByEtags(rt, source, cal, index, failedFiles, cursor, full, prefix);
                } else {
                    throw e;
                }
            }
            Set<String> listed = new LinkedHashSet<>();
            List<String> fetch = new ArrayList<>();
            for (CalDavClient.Entry e : ms.entries()) {
                if (e.href().endsWith("/")) {
                    continue;
                }
                if (e.status() == 404 || e.status() == 410) {
                    if (index.containsKey(e.href()) || failedFiles.contains(e.href())) {
                        out.add(ChangeBatch.removed(source.name(), e.href()));
                    }
                    continue;
                }
                listed.add(e.href());
                if (e.calendarData() == null) {
                    fetch.add(e.href());
                } else {
                    resource(source, cal, e.href(), e.calendarData(), index, failedFiles, out);
                }
            }
            fetchAll(source, cal, fetch, index, failedFiles, out);
            if (token == null) {
                removedSince(source, index, failedFiles, cal, listed, out);
            }
            rt.pending.put(cal.info.href(), new Pending(ms.syncToken(), cal.info.ctag(), cal.name(), null));
            return out;
        }
        return readByEtags(rt, source, cal, index, failedFiles, cursor, full, prefix);
    }

    /** The ETag listing: members whose ETag differs from the persisted one are fetched; the ones gone are removed. */
    private List<ChangeBatch> readByEtags(Runtime rt, SourceConfig source, Cal cal, Map<String, FileEntry> index,
                                          Set<String> failedFiles, Map<String, String> cursor, boolean full,
                                          String prefix) throws Exception {
        Map<String, String> known = full || !cursor.containsKey("etags") ? Map.of() : etagsOf(cursor.get("etags"));
        Map<String, String> now = cal.client.etags();
        List<String> fetch = new ArrayList<>();
        for (Map.Entry<String, String> e : now.entrySet()) {
            boolean held = index.containsKey(e.getKey()) || failedFiles.contains(e.getKey());
            if (e.getValue() == null || !e.getValue().equals(known.get(e.getKey())) || !held) {
                fetch.add(e.getKey());
            }
        }
        List<ChangeBatch> out = new ArrayList<>();
        fetchAll(source, cal, fetch, index, failedFiles, out);
        removedSince(source, index, failedFiles, cal, now.keySet(), out);
        rt.pending.put(cal.info.href(), new Pending(cal.info.syncToken(), cal.info.ctag(), cal.name(),
                new LinkedHashMap<>(now)));
        return out;
    }

    /** Whether the listing says the calendar did not change since the persisted cursor. */
    private static boolean unchanged(Cal cal, Map<String, String> cursor) {
        if (!cursor.containsKey("name")) {
            return false; // never read completely
        }
        String token = cal.info.syncToken();
        if (token != null && cursor.containsKey("token")) {
            return token.equals(cursor.get("token"));
        }
        String ctag = cal.info.ctag();
        return ctag != null && ctag.equals(cursor.get("ctag"));
    }

    private void fetchAll(SourceConfig source, Cal cal, List<String> hrefs, Map<String, FileEntry> index,
                          Set<String> failedFiles, List<ChangeBatch> out) throws Exception {
        for (int i = 0; i < hrefs.size(); i += MULTIGET_CHUNK) {
            List<String> chunk = hrefs.subList(i, Math.min(hrefs.size(), i + MULTIGET_CHUNK));
            for (CalDavClient.Entry e : cal.client.multiget(chunk).entries()) {
                if (e.status() == 404 || e.status() == 410) {
                    if (index.containsKey(e.href()) || failedFiles.contains(e.href())) {
                        out.add(ChangeBatch.removed(source.name(), e.href()));
                    }
                } else if (e.calendarData() != null) {
                    resource(source, cal, e.href(), e.calendarData(), index, failedFiles, out);
                }
            }
        }
    }

    private static void removedSince(SourceConfig source, Map<String, FileEntry> index, Set<String> failedFiles,
                                     Cal cal, Set<String> listed, List<ChangeBatch> out) {
        Set<String> known = new LinkedHashSet<>(index.keySet());
        failedFiles.stream().filter(f -> f.startsWith(cal.info.href())).forEach(known::add);
        for (String href : known) {
            if (!listed.contains(href)) {
                LOG.info("Source '{}': resource {} is gone from the server; its events are deleted", source.name(), href);
                out.add(ChangeBatch.removed(source.name(), href));
            }
        }
    }

    /** One resource's text → its batch; nothing when its bytes (and the calendar's name) are the ones collected. */
    private void resource(SourceConfig source, Cal cal, String href, String body, Map<String, FileEntry> index,
                          Set<String> failedFiles, List<ChangeBatch> out) {
        byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
        String sha = sha256(cal.name() + "\n" + body);
        FileEntry known = index.get(href);
        if (known != null && sha.equals(known.sha256()) && !failedFiles.contains(href)) {
            return;
        }
        out.add(parse(source, cal, href, body, new ChangeBatch.Fingerprint(bytes.length, 0, sha)));
    }

    private ChangeBatch parse(SourceConfig source, Cal cal, String href, String body, ChangeBatch.Fingerprint fp) {
        try {
            ICalReadResult result = ICalCodec.read(body, source.zone(), ICalLimits.DEFAULT);
            List<CalendarEvent> events = new ArrayList<>(result.events().size());
            for (CalendarEvent e : result.events()) {
                EventValidator.validate(e);
                events.add(e.withOrigin(new Origin(props.id(), source.name(), cal.id, cal.name(), PROVIDER, href)));
            }
            List<InputProblem> problems = new ArrayList<>(result.problems().size());
            for (InputProblem p : result.problems()) {
                problems.add(p.withSource(source.name(), href));
            }
            if (!problems.isEmpty()) {
                LOG.warn("Source '{}', {}: {} problem(s) reading it, first: {}", source.name(), href, problems.size(),
                        problems.get(0).message());
            }
            return ChangeBatch.parsed(source.name(), href, fp, events, problems);
        } catch (ICalParseException e) {
            LOG.warn("Source '{}': skipped {} - not a valid iCalendar resource: {}", source.name(), href, e.getMessage());
            return ChangeBatch.failed(source.name(), href, "not a valid iCalendar resource: " + e.getMessage(), e.line());
        } catch (RuntimeException e) {
            LOG.warn("Source '{}': skipped {} - {}", source.name(), href, e.getMessage());
            return ChangeBatch.failed(source.name(), href, "invalid event (" + e.getMessage() + ")");
        }
    }

    /** The collector stored the last read: each calendar's token, ctag, name (and ETags) become its cursor. */
    @Override
    public void committed(SourceConfig source) {
        Runtime rt = runtimes.get(source.name());
        if (rt == null || rt.pending.isEmpty() && rt.error != null) {
            return;
        }
        Map<String, Pending> done = new LinkedHashMap<>(rt.pending);
        rt.pending.clear();
        state.write(tx -> {
            for (Map.Entry<String, Pending> e : done.entrySet()) {
                String prefix = metaPrefix(source.name(), e.getKey());
                Pending p = e.getValue();
                tx.putMeta(prefix + "token", p.token());
                tx.putMeta(prefix + "ctag", p.ctag());
                tx.putMeta(prefix + "name", p.name());
                tx.putMeta(prefix + "etags", p.etags() == null ? null : json(p.etags()));
            }
            if (rt.error == null) {
                tx.confirmCursor(META, source.name(), clock.instant());
            }
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

    /** The calendars of a source as last listed: id, name, colour, href (for health, logs and tests). */
    public List<Map<String, String>> calendarsOf(String source) {
        Runtime rt = runtimes.get(source);
        List<Map<String, String>> out = new ArrayList<>();
        if (rt != null) {
            for (Cal c : rt.cals.values()) {
                Map<String, String> m = new LinkedHashMap<>();
                m.put("calendar_id", c.id);
                m.put("calendar_name", c.name());
                m.put("color", c.info.color());
                m.put("href", c.info.href());
                out.add(m);
            }
        }
        return out;
    }

    // ------------------------------------------------------------------ updates from the master

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
        List<Cal> cals;
        try {
            cals = calendars(rt);
        } catch (Exception e) {
            throw new UpdateFailedException("source '" + source.name() + "': cannot reach the server: "
                    + describe(e), false);
        }
        if (cals.isEmpty()) {
            throw new UpdateFailedException("source '" + source.name() + "' has no calendar to write to", false);
        }
        String rid = SyncKey.ridText(event.recurrenceId());
        String base = baseHash == null || baseHash.isBlank() ? null : baseHash.strip();
        try {
            return switch (action == null ? "" : action) {
                case "create", "update" -> upsert(source, cals, event, rid, base, "create".equals(action));
                case "delete" -> delete(source, cals, event, rid, base);
                default -> throw new UpdateFailedException("unknown event_update action '" + action + "'", true);
            };
        } catch (UpdateFailedException e) {
            throw e;
        } catch (CalDavHttpException e) {
            boolean permanent = e.status() >= 400 && e.status() < 500 && e.status() != 408 && e.status() != 429
                    && e.status() != 412 && e.status() != 423;
            throw new UpdateFailedException("source '" + source.name() + "': " + e.getMessage(), permanent);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new UpdateFailedException("interrupted", false);
        } catch (Exception e) {
            throw new UpdateFailedException("source '" + source.name() + "': " + describe(e), false);
        }
    }

    private Applied upsert(SourceConfig source, List<Cal> cals, CalendarEvent event, String rid, String base,
                           boolean create) throws Exception {
        String label = describe(event.uid(), rid);
        String href = hrefHolding(source, event.uid(), rid);
        if (href == null && rid != null) {
            href = hrefHolding(source, event.uid(), null); // an override goes beside its series
        }
        if (href == null) {
            if (!create) {
                throw new UpdateFailedException("event " + label + " not found in source '" + source.name() + "'"
                        + (base == null ? "" : " (deleted there since; this calendar's version will be sent and the "
                        + "conflict strategy decides)"), true);
            }
            Cal cal = target(cals, event);
            href = cal.info.href() + IcsFolderSource.newFileName(event.uid());
            try {
                cal.client.put(href, IcsTextEdit.created(event), null, true);
                LOG.info("Source '{}': created event {} as {}", source.name(), label, href);
                return new Applied("created " + label + " as " + href, reread(source, cal, href));
            } catch (CalDavHttpException e) {
                if (e.status() != 412) {
                    throw e;
                }
                // it exists already (an earlier attempt whose answer was lost): updated like any other
            }
        }
        Cal cal = calendarOf(cals, href);
        for (int attempt = 0; ; attempt++) {
            CalDavClient.Resource r = cal.client.get(href);
            if (r == null) {
                throw new UpdateFailedException("event " + label + " was removed from " + href + " since; this "
                        + "calendar's version will be sent and the conflict strategy decides", true);
            }
            IcsTextEdit text = IcsTextEdit.of(r.body(), source.zone());
            CalendarEvent current = text.find(event.uid(), rid);
            if (current != null && sameContent(current, event)) {
                return new Applied("already applied: " + label + " in " + href, reread(source, cal, href));
            }
            if (base != null) {
                if (current == null) {
                    throw new UpdateFailedException("event " + label + " was removed from " + href + " since; this "
                            + "calendar's version will be sent and the conflict strategy decides", true);
                }
                checkBase(source, current, base, href, label);
            }
            CalendarEvent written;
            try {
                written = text.upsert(event, create);
            } catch (IllegalStateException e) {
                throw new UpdateFailedException(e.getMessage() + " (" + href + ")", true);
            }
            try {
                cal.client.put(href, text.text(), r.etag(), false);
            } catch (CalDavHttpException e) {
                if (e.status() == 412 && attempt == 0) {
                    LOG.info("Source '{}': {} changed on the server while {} was written; read again", source.name(),
                            href, label);
                    continue;
                }
                if (e.status() == 412) {
                    throw new UpdateFailedException(href + " keeps changing on the server; tried again later", false);
                }
                throw e;
            }
            lastWritten.put(writtenKey(source, event.uid(), rid), substance(written));
            LOG.info("Source '{}': {} event {} in {} (SEQUENCE {})", source.name(),
                    current != null ? "updated" : "added", label, href, written.sequence());
            return new Applied((current != null ? "updated " : "added ") + label + " in " + href,
                    reread(source, cal, href));
        }
    }

    private Applied delete(SourceConfig source, List<Cal> cals, CalendarEvent event, String rid, String base)
            throws Exception {
        String label = describe(event.uid(), rid);
        String href = hrefHolding(source, event.uid(), rid);
        if (href == null && rid != null) {
            href = hrefHolding(source, event.uid(), null);
        }
        if (href == null) {
            LOG.info("Source '{}': event {} to delete is not in the calendar (already gone)", source.name(), label);
            return new Applied("already gone: " + label, List.of());
        }
        Cal cal = calendarOf(cals, href);
        for (int attempt = 0; ; attempt++) {
            CalDavClient.Resource r = cal.client.get(href);
            if (r == null) {
                return new Applied("already gone: " + label, reread(source, cal, href));
            }
            IcsTextEdit text = IcsTextEdit.of(r.body(), source.zone());
            CalendarEvent current = text.find(event.uid(), rid);
            if (base != null && current != null) {
                checkBase(source, current, base, href, label);
            }
            if (!text.delete(event.uid(), rid, event.recurrenceId())) {
                return new Applied("already gone: " + label, reread(source, cal, href));
            }
            try {
                if (text.hasContent()) {
                    cal.client.put(href, text.text(), r.etag(), false);
                } else {
                    cal.client.delete(href, r.etag());
                }
            } catch (CalDavHttpException e) {
                if (e.status() == 412 && attempt == 0) {
                    LOG.info("Source '{}': {} changed on the server while {} was deleted; read again", source.name(),
                            href, label);
                    continue;
                }
                if (e.status() == 412) {
                    throw new UpdateFailedException(href + " keeps changing on the server; tried again later", false);
                }
                throw e;
            }
            lastWritten.remove(writtenKey(source, event.uid(), rid));
            LOG.info("Source '{}': deleted event {} {}", source.name(), label,
                    text.hasContent() ? "from " + href : "and its resource " + href);
            return new Applied("deleted " + label + (text.hasContent() ? " from " : " and its resource ") + href,
                    reread(source, cal, href));
        }
    }

    /** As the folder source: another version than the base is a conflict, except the one we wrote ourselves. */
    private void checkBase(SourceConfig source, CalendarEvent current, String base, String href, String label)
            throws UpdateFailedException {
        if (base.equals(ChangeCollector.hashOnTheWire(current))) {
            return;
        }
        String written = lastWritten.get(writtenKey(source, current.uid(), SyncKey.ridText(current.recurrenceId())));
        if (written != null && written.equals(substance(current))) {
            return;
        }
        throw new UpdateFailedException("event " + label + " changed in " + href + " since; this calendar's version "
                + "will be sent and the conflict strategy decides", true);
    }

    private static String substance(CalendarEvent e) {
        return ChangeCollector.hashOnTheWire(e.withOrigin(null).toBuilder().sequence(null).build());
    }

    private static boolean sameContent(CalendarEvent current, CalendarEvent update) {
        String a = substance(current);
        return a != null && a.equals(substance(update));
    }

    private static String writtenKey(SourceConfig source, String uid, String rid) {
        return source.name() + '\u0000' + uid + '\u0000' + rid;
    }

    /** Where a create goes: the calendar the event names ({@code calendar_id}), else the first one listed. */
    private static Cal target(List<Cal> cals, CalendarEvent event) {
        String wanted = event.origin() == null ? null : event.origin().calendarId();
        return cals.stream().filter(c -> c.id.equals(wanted)).findFirst().orElse(cals.get(0));
    }

    private static Cal calendarOf(List<Cal> cals, String href) throws UpdateFailedException {
        return cals.stream().filter(c -> href.startsWith(c.info.href())).findFirst().orElseThrow(() ->
                new UpdateFailedException(href + " is in no calendar of this source any more", true));
    }

    /** The resource that holds (uid, rid) per the agent's index. */
    private String hrefHolding(SourceConfig source, String uid, String rid) {
        String key = new SyncKey(props.id(), source.name(), uid, rid).value();
        return state.read(tx -> {
            for (Map.Entry<String, FileEntry> e : tx.filesOf(source.name()).entrySet()) {
                if (e.getValue().keys().contains(key)) {
                    return e.getKey();
                }
            }
            return null;
        });
    }

    /** The resource read again as the poll reads it (gone: its removal). */
    private List<ChangeBatch> reread(SourceConfig source, Cal cal, String href) {
        try {
            CalDavClient.Resource r = cal.client.get(href);
            if (r == null) {
                boolean known = state.read(tx -> tx.file(source.name(), href) != null
                        || tx.failedOf(source.name()).contains(href));
                return known ? List.of(ChangeBatch.removed(source.name(), href)) : List.of();
            }
            byte[] bytes = r.body().getBytes(StandardCharsets.UTF_8);
            return List.of(parse(source, cal, href, r.body(), new ChangeBatch.Fingerprint(bytes.length, 0,
                    sha256(cal.name() + "\n" + r.body()))));
        } catch (Exception e) {
            LOG.warn("Source '{}': cannot read {} back after writing it ({}); the next poll reads it", source.name(),
                    href, describe(e));
            return List.of();
        }
    }

    // ------------------------------------------------------------------ rename

    /**
     * PROPPATCH of the displayname and Apple calendar-color of the calendar the master names (by the id its events
     * report: the source name for a source of one calendar, source/collection for one of several); the events are
     * read again with the new name.
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
        List<Cal> cals;
        try {
            cals = calendars(rt);
        } catch (Exception e) {
            throw new UpdateFailedException("source '" + source.name() + "': cannot reach the server: "
                    + describe(e), false);
        }
        List<Cal> named = cals.stream().filter(c -> c.id.equals(calendarId)).toList();
        if (named.size() != 1) {
            throw new UpdateFailedException("source '" + source.name() + "' has no calendar '" + calendarId + "'",
                    true);
        }
        Cal cal = named.get(0);
        try {
            cal.client.setNameAndColor(name, color);
            calendars(rt); // the new name and colour as the server now says
            Map<String, FileEntry> index = state.read(tx -> tx.filesOf(source.name()));
            Set<String> failedFiles = new LinkedHashSet<>(state.read(tx -> tx.failedOf(source.name())));
            List<ChangeBatch> reread = readCalendar(rt, source, cal, index, failedFiles, true);
            rt.pending.remove(cal.info.href());
            LOG.info("Source '{}': calendar {}{}{}", source.name(), cal.info.href(),
                    name == null ? "" : " renamed to '" + name + "'", color == null ? "" : " colour " + color);
            return new Applied("calendar " + cal.info.href() + (name == null ? "" : " renamed to '" + name + "'")
                    + (color == null ? "" : " colour " + color), reread);
        } catch (CalDavHttpException e) {
            throw new UpdateFailedException("source '" + source.name() + "': " + e.getMessage(),
                    e.status() >= 400 && e.status() < 500 && e.status() != 429);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new UpdateFailedException("interrupted", false);
        } catch (Exception e) {
            throw new UpdateFailedException("source '" + source.name() + "': " + describe(e), false);
        }
    }

    // ------------------------------------------------------------------ helpers

    static String metaPrefix(String source, String calendarHref) {
        return META + source + "|" + calendarHref + ".";
    }

    private static String describe(String uid, String rid) {
        return uid + (rid == null ? "" : " (RECURRENCE-ID " + rid + ")");
    }

    /** An error for logs and the state: the exception's class and message (no credentials are ever in them). */
    static String describe(Exception e) {
        if (e instanceof CalDavHttpException) {
            return e.getMessage();
        }
        if (e instanceof org.xml.sax.SAXException) {
            return "the answer is not DAV XML (" + e.getMessage() + ")";
        }
        return e.getClass().getSimpleName() + (e.getMessage() == null ? "" : " " + e.getMessage());
    }

    private static String json(Map<String, String> m) {
        try {
            return JSON.writeValueAsString(m);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException(e);
        }
    }

    private static Map<String, String> etagsOf(String json) {
        try {
            return JSON.readValue(json, new TypeReference<LinkedHashMap<String, String>>() { });
        } catch (JsonProcessingException e) {
            return Map.of(); // unreadable: every member is fetched once
        }
    }

    static String sha256(String text) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256")
                    .digest(text.getBytes(StandardCharsets.UTF_8)));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    /** For tests: forget the discovered listing and calendars (as after a restart of the agent). */
    void forgetRuntime(String source) {
        runtimes.remove(source);
    }

    /** For tests: whether the calendar is read by ETag listing. */
    boolean etagMode(String source, String calendarHref) {
        Runtime rt = runtimes.get(source);
        Cal c = rt == null ? null : rt.cals.get(calendarHref);
        return c != null && c.etagMode;
    }
}
