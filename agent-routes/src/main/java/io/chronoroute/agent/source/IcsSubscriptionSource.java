package io.chronoroute.agent.source;

import io.chronoroute.agent.AgentProperties;
import io.chronoroute.agent.collect.ChangeBatch;
import io.chronoroute.agent.state.AgentState;
import io.chronoroute.agent.state.FileEntry;
import io.chronoroute.processors.ical.ICalCodec;
import io.chronoroute.processors.ical.ICalLimits;
import io.chronoroute.processors.ical.ICalParseException;
import io.chronoroute.processors.ical.ICalReadResult;
import io.chronoroute.processors.model.CalendarEvent;
import io.chronoroute.processors.model.Origin;
import io.chronoroute.processors.problem.InputProblem;
import io.chronoroute.processors.wire.EventValidator;
import io.chronoroute.processors.wire.WireFormatException;
import org.apache.camel.Header;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.stereotype.Component;

import java.io.IOException;
import java.net.URI;
import java.net.URISyntaxException;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneId;
import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The logic of the {@code ics-subscription-source} route template: a published calendar feed (Outlook "publish
 * calendar", Google's secret iCal address, any http/https/webcal URL) as a <b>read-only</b> source. One timer route
 * per source calls {@link #register}, {@link #poll}, {@code direct:agent-collect}, then {@link #commit}.
 * <ul>
 *   <li><b>Conditional GET:</b> the ETag and Last-Modified of the last feed collected are the cursor (persisted in
 *       the agent's state, advanced only after the collector committed, {@link #committed}); the next request sends
 *       them as If-None-Match / If-Modified-Since, and a 304 costs one request and nothing else. The cursor is only
 *       sent while the agent holds the feed's content, so a lost state is a full read, never a 304 on nothing.</li>
 *   <li><b>Reading:</b> the body goes to a temporary file and is streamed through the agent's
 *       {@link ICalCodec#read(Path, ZoneId, ICalLimits)} (never held whole); problems per property and per event are
 *       recorded and logged like the folder source's. The feed is the source's one "file" ({@value #FEED}) in the
 *       collector's index, so a VEVENT gone from the feed becomes a deletion, an edited one an upsert.</li>
 *   <li><b>Never "everything deleted" by accident:</b> an unreachable server, an HTTP error, a body that is no
 *       iCalendar (an HTML login page), a truncated body (no END:VCALENDAR) is a failed read: reported (FILE_REJECTED
 *       problem for {@value #FEED}, the agent's skipped files, this source's {@code lastError}), the previous events
 *       kept, the cursor not advanced. A <b>valid, complete, empty</b> calendar where the feed had events is held
 *       back the same way the first time; only when the next poll (an unconditional request, since the cursor did
 *       not advance) answers a complete empty calendar again is it taken as "the calendar was emptied" and its events
 *       deleted. One poll interval of delay for a real emptying is the price of not wiping a calendar because a
 *       server answered an empty export once (a publishing service restarting, a quota, a cache miss).</li>
 *   <li><b>Secrets:</b> the basic-auth password and a token in the URL's query or userinfo come from placeholders
 *       (environment); they are never logged nor put in the state or the problems: the URL is shown as
 *       {@link #masked(URI)} (userinfo and query replaced by {@code ***}) and error messages are scrubbed.</li>
 * </ul>
 * Write-back and renames are refused permanently: a subscription is someone else's published copy.
 */
@Component("icsSubscriptionSource")
public class IcsSubscriptionSource implements ReadOnlySource {

    public static final String PROVIDER = "ics-subscription";
    /** The feed's name in the collector's per-file index and in problems. */
    public static final String FEED = "feed.ics";
    public static final String HEADER_SOURCE = "ChronorouteSource";
    public static final String HEADER_URL = "ChronorouteUrl";
    public static final String HEADER_USERNAME = "ChronorouteUsername";
    public static final String HEADER_PASSWORD = "ChronoroutePassword";
    public static final String HEADER_TIME_ZONE = "ChronorouteTimeZone";
    public static final String HEADER_TIMEOUT = "ChronorouteTimeout";
    static final String META = "ics-subscription.";

    private static final Logger LOG = LoggerFactory.getLogger(IcsSubscriptionSource.class);
    private static final int MAX_LOGGED = 50;

    private final AgentState state;
    private final SourceRegistry registry;
    private final AgentProperties props;
    private final Clock clock;
    private final Map<String, Runtime> runtimes = new ConcurrentHashMap<>();

    public IcsSubscriptionSource(AgentState state, SourceRegistry registry, AgentProperties props, Clock agentClock) {
        this.state = state;
        this.registry = registry;
        this.props = props;
        this.clock = agentClock;
        registry.addKind(this);
    }

    /**
     * A source's configuration. {@code uri} is the request URI (webcal mapped to https, no userinfo); the secrets
     * never appear in {@link #toString()}.
     */
    record Settings(String source, URI uri, String username, String password, ZoneId zone, Duration timeout) {
        @Override
        public String toString() {
            return "Settings[" + source + ", " + masked(uri) + (username == null ? "" : ", basic auth") + "]";
        }
    }

    /** The ETag and Last-Modified a feed was answered with (either may be null). */
    record Cursor(String etag, String lastModified) {
    }

    /** Per source: settings, HTTP client, the outcome of the last poll. Used by the source's one timer thread. */
    static final class Runtime {
        final Settings settings;
        final HttpClient http;
        volatile String error;
        /** Complete empty calendars answered in a row while the feed held events. */
        int emptyAnswers;
        /** The cursor of the last successful read, to persist once collected; null after a failed read. */
        Cursor pending;

        Runtime(Settings settings) {
            this.settings = settings;
            this.http = HttpClient.newBuilder().connectTimeout(settings.timeout())
                    .followRedirects(HttpClient.Redirect.NORMAL).build();
        }
    }

    // ------------------------------------------------------------------ route steps

    /**
     * Records the source's configuration (every poll; cheap). {@code url} may be http, https or webcal (read as
     * https); credentials in its userinfo are used as basic auth when no {@code username} is given.
     */
    public void register(@Header(HEADER_SOURCE) String source, @Header(HEADER_URL) String url,
                         @Header(HEADER_USERNAME) String username, @Header(HEADER_PASSWORD) String password,
                         @Header(HEADER_TIME_ZONE) String timeZone, @Header(HEADER_TIMEOUT) Long timeoutMillis) {
        Settings s = settings(source, url, username, password, timeZone, timeoutMillis);
        registry.register(new SourceConfig(source, null, s.zone(), false, PROVIDER));
        runtimes.compute(source, (k, old) -> {
            if (old != null && old.settings.equals(s)) {
                return old;
            }
            LOG.info("Source '{}': ICS subscription {}{}, read-only", source, masked(s.uri()),
                    s.username() == null ? "" : " with basic auth");
            return new Runtime(s);
        });
    }

    static Settings settings(String source, String url, String username, String password, String timeZone,
                             Long timeoutMillis) {
        if (url == null || url.isBlank()) {
            throw new IllegalArgumentException("source '" + source + "': no url");
        }
        URI given;
        try {
            given = new URI(url.strip());
        } catch (URISyntaxException e) {
            throw new IllegalArgumentException("source '" + source + "': the url is not a valid URI (not shown: it may "
                    + "hold a secret)");
        }
        String scheme = given.getScheme() == null ? "" : given.getScheme().toLowerCase(Locale.ROOT);
        String httpScheme = switch (scheme) {
            case "http", "https" -> scheme;
            case "webcal", "webcals" -> "https";
            default -> throw new IllegalArgumentException("source '" + source + "': the url must be http, https or "
                    + "webcal, not " + masked(given));
        };
        String user = blank(username) ? null : username.strip();
        String pass = blank(password) ? null : password;
        if (user == null && given.getRawUserInfo() != null) {
            String[] ui = given.getUserInfo().split(":", 2);
            user = ui[0];
            pass = ui.length > 1 ? ui[1] : null;
        }
        URI request;
        try {
            request = new URI(httpScheme, null, given.getHost(), given.getPort(), given.getPath(), null, null);
            if (given.getRawQuery() != null) {
                request = URI.create(request + "?" + given.getRawQuery());
            }
        } catch (URISyntaxException e) {
            throw new IllegalArgumentException("source '" + source + "': the url cannot be used: " + masked(given));
        }
        ZoneId zone = blank(timeZone) ? null : ZoneId.of(timeZone.strip());
        Duration timeout = Duration.ofMillis(timeoutMillis == null || timeoutMillis <= 0 ? 30_000 : timeoutMillis);
        return new Settings(source, request, user, user == null ? null : pass, zone, timeout);
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
        rt.pending = null;
        String name = source.name();
        FileEntry held = state.read(tx -> tx.file(name, FEED));
        Cursor cursor = held == null ? null : cursorOf(name);
        Path body = null;
        try {
            Path dir = Files.createDirectories(state.dataDir().resolve("ics-subscription"));
            body = Files.createTempFile(dir, "feed-", ".ics");
            HttpResponse<Path> r = rt.http.send(request(rt.settings, cursor), HttpResponse.BodyHandlers.ofFile(body));
            int status = r.statusCode();
            if (status == 304 && cursor != null) {
                rt.emptyAnswers = 0;
                succeeded(rt, name, cursor);
                boolean wasFailed = state.read(tx -> tx.failedOf(name).contains(FEED));
                // nothing changed since the feed was collected; a failure recorded in between is over
                return wasFailed ? List.of(ChangeBatch.touched(name, FEED, new ChangeBatch.Fingerprint(held.size(),
                        held.modified(), held.sha256()))) : List.of();
            }
            if (status / 100 != 2) {
                return failed(rt, name, "HTTP " + status + " from " + masked(rt.settings.uri()));
            }
            return parse(rt, source, held, r, body);
        } catch (IOException e) {
            return failed(rt, name, masked(rt.settings.uri()) + " cannot be reached: " + scrub(rt.settings,
                    e.getClass().getSimpleName() + (e.getMessage() == null ? "" : " " + e.getMessage())));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return failed(rt, name, "interrupted while reading " + masked(rt.settings.uri()));
        } finally {
            if (body != null) {
                try {
                    Files.deleteIfExists(body);
                } catch (IOException e) {
                    LOG.warn("Source '{}': cannot remove the temporary file {}: {}", name, body, e.getMessage());
                }
            }
        }
    }

    private List<ChangeBatch> parse(Runtime rt, SourceConfig source, FileEntry held, HttpResponse<Path> r, Path body)
            throws IOException {
        String name = source.name();
        String type = r.headers().firstValue("Content-Type").orElse("");
        ICalReadResult result;
        try {
            result = ICalCodec.read(body, source.zone(), ICalLimits.DEFAULT);
        } catch (ICalParseException e) {
            return failed(rt, name, "the answer of " + masked(rt.settings.uri()) + " is not a complete iCalendar feed"
                    + (type.isBlank() ? "" : " (Content-Type " + scrub(rt.settings, type) + ")") + ": "
                    + scrub(rt.settings, e.getMessage()));
        }
        List<CalendarEvent> events = new ArrayList<>(result.events().size());
        try {
            for (CalendarEvent e : result.events()) {
                EventValidator.validate(e);
                String calendarName = e.origin() != null && e.origin().calendarName() != null
                        ? e.origin().calendarName() : name;
                events.add(e.withOrigin(new Origin(props.id(), name, name, calendarName, PROVIDER, FEED)));
            }
        } catch (WireFormatException e) {
            return failed(rt, name, "invalid event in the feed (" + scrub(rt.settings, e.getMessage()) + ")");
        }
        int heldEvents = held == null ? 0 : held.keys().size();
        if (events.isEmpty() && heldEvents > 0) {
            rt.emptyAnswers++;
            if (rt.emptyAnswers < 2) {
                List<ChangeBatch> keep = failed(rt, name, "the feed answered an empty calendar where it had "
                        + heldEvents + " event(s); they are kept, and taken as deleted only if the next poll answers "
                        + "an empty calendar again");
                rt.emptyAnswers = 1;
                return keep;
            }
            LOG.warn("Source '{}': the feed answered an empty calendar twice in a row; its {} event(s) are deleted",
                    name, heldEvents);
        }
        rt.emptyAnswers = 0;
        List<InputProblem> problems = new ArrayList<>(result.problems().size());
        for (InputProblem p : result.problems()) {
            problems.add(p.withSource(name, FEED));
        }
        logProblems(name, problems);
        Cursor next = new Cursor(r.headers().firstValue("ETag").orElse(null),
                r.headers().firstValue("Last-Modified").orElse(null));
        succeeded(rt, name, next);
        ChangeBatch.Fingerprint fp = new ChangeBatch.Fingerprint(Files.size(body), httpDateMillis(next.lastModified()),
                IcsFolderSource.sha256(body));
        return List.of(ChangeBatch.parsed(name, FEED, fp, events, problems));
    }

    private HttpRequest request(Settings s, Cursor cursor) {
        HttpRequest.Builder b = HttpRequest.newBuilder(s.uri()).timeout(s.timeout()).GET()
                .header("Accept", "text/calendar, */*;q=0.5")
                .header("User-Agent", "Chronoroute-Agent");
        if (s.username() != null) {
            String pair = s.username() + ":" + (s.password() == null ? "" : s.password());
            b.header("Authorization", "Basic " + Base64.getEncoder().encodeToString(pair.getBytes(StandardCharsets.UTF_8)));
        }
        if (cursor != null && cursor.etag() != null) {
            b.header("If-None-Match", cursor.etag());
        }
        if (cursor != null && cursor.lastModified() != null) {
            b.header("If-Modified-Since", cursor.lastModified());
        }
        return b.build();
    }

    private void succeeded(Runtime rt, String name, Cursor cursor) {
        rt.pending = cursor;
        if (rt.error != null) {
            LOG.info("Source '{}': the feed is read again after: {}", name, rt.error);
            rt.error = null;
        }
        registry.markRead(name, clock.instant());
    }

    /** A failed read: logged, reported as the feed's problem; the events held and the cursor stay as they are. */
    private List<ChangeBatch> failed(Runtime rt, String name, String reason) {
        rt.pending = null;
        rt.emptyAnswers = 0; // "twice in a row": any other answer in between starts the count again
        if (!reason.equals(rt.error)) {
            LOG.warn("Source '{}': {}. Its events are kept (not taken as deleted); read again on the next poll",
                    name, reason);
        }
        rt.error = reason;
        return List.of(ChangeBatch.failed(name, FEED, reason));
    }

    /** The collector stored the last read: its ETag/Last-Modified become the cursor, confirmed now. */
    @Override
    public void committed(SourceConfig source) {
        Runtime rt = runtimes.get(source.name());
        if (rt == null || rt.pending == null) {
            return;
        }
        Cursor c = rt.pending;
        rt.pending = null;
        String prefix = META + source.name() + ".";
        state.write(tx -> {
            tx.putMeta(prefix + "etag", c.etag());
            tx.putMeta(prefix + "last-modified", c.lastModified());
            tx.confirmCursor(META, source.name(), clock.instant());
            return null;
        });
    }

    private Cursor cursorOf(String source) {
        String prefix = META + source + ".";
        return state.read(tx -> {
            String etag = tx.meta(prefix + "etag");
            String lm = tx.meta(prefix + "last-modified");
            return etag == null && lm == null ? null : new Cursor(etag, lm);
        });
    }

    @Override
    public String refusal(SourceConfig source) {
        return "source '" + source.name() + "' is an ICS subscription, which is read-only: the feed is published by "
                + "its owner and cannot be written through";
    }

    @Override
    public SourceState state(SourceConfig source) {
        Runtime rt = runtimes.get(source.name());
        Instant at = state.read(tx -> tx.cursorAt(META, source.name()));
        return new SourceState(PROVIDER, false, refusal(source), registry.lastRead(source.name()),
                at, rt == null ? null : rt.error);
    }

    // ------------------------------------------------------------------ helpers

    /**
     * The URL for logs and reports: scheme, host, port and path; userinfo, query (tokens) and a Google
     * {@code private-<token>} path segment as {@code ***}.
     */
    public static String masked(URI uri) {
        if (uri == null) {
            return "(no url)";
        }
        StringBuilder sb = new StringBuilder();
        if (uri.getScheme() != null) {
            sb.append(uri.getScheme()).append("://");
        }
        if (uri.getRawUserInfo() != null) {
            sb.append("***@");
        }
        sb.append(uri.getHost() == null ? "?" : uri.getHost());
        if (uri.getPort() >= 0) {
            sb.append(':').append(uri.getPort());
        }
        // Google's secret address carries its token as a path segment: .../ical/<calendar>/private-<token>/basic.ics
        sb.append(uri.getRawPath() == null ? "" : uri.getRawPath().replaceAll("/private-[^/]*", "/private-***"));
        if (uri.getRawQuery() != null) {
            sb.append("?***");
        }
        return sb.toString();
    }

    /** A message with the secrets of {@code s} (password, query, full URL) replaced, for logs and reports. */
    static String scrub(Settings s, String message) {
        if (message == null) {
            return null;
        }
        String out = message.replace(s.uri().toString(), masked(s.uri()));
        java.util.regex.Matcher m = java.util.regex.Pattern.compile("/private-([^/?#\\s]+)").matcher(s.uri().getRawPath() == null
                ? "" : s.uri().getRawPath());
        while (m.find()) {
            out = out.replace(m.group(1), "***");
        }
        if (s.uri().getRawQuery() != null) {
            out = out.replace(s.uri().getRawQuery(), "***");
        }
        if (s.password() != null && !s.password().isEmpty()) {
            out = out.replace(s.password(), "***");
        }
        return out;
    }

    private static void logProblems(String source, List<InputProblem> problems) {
        int n = 0;
        for (InputProblem p : problems) {
            if (++n > MAX_LOGGED) {
                LOG.warn("Source '{}', {}: {} more problems (see the agent's recorded problems)", source, FEED,
                        problems.size() - MAX_LOGGED);
                return;
            }
            LOG.warn("Source '{}', {}, line {}, UID {}{}, {}: {} - {}", source, FEED, p.line(),
                    p.uid() == null ? "-" : p.uid(), p.recurrenceId() == null ? "" : " (RECURRENCE-ID " + p.recurrenceId() + ")",
                    p.property() == null ? "-" : p.property(), p.kind(), p.message());
        }
    }

    private static long httpDateMillis(String httpDate) {
        if (httpDate == null) {
            return 0;
        }
        try {
            return ZonedDateTime.parse(httpDate, DateTimeFormatter.RFC_1123_DATE_TIME).toInstant().toEpochMilli();
        } catch (DateTimeParseException e) {
            return 0;
        }
    }

    private static boolean blank(String s) {
        return s == null || s.isBlank();
    }

    /** For tests: the source's runtime settings. */
    Settings settingsOf(String source) {
        Runtime rt = runtimes.get(source);
        return rt == null ? null : rt.settings;
    }
}
