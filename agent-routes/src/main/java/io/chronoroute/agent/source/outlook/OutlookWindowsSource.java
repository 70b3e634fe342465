package io.chronoroute.agent.source.outlook;

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
import io.chronoroute.processors.problem.InputProblem;
import io.chronoroute.processors.sync.SyncKey;
import io.chronoroute.processors.wire.EventValidator;
import io.chronoroute.processors.wire.WireFormatException;
import org.apache.camel.Header;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.stereotype.Component;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Clock;
import java.time.LocalDateTime;
import java.time.ZoneId;
import java.time.ZoneOffset;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The logic of the {@code outlook-source} route template: calendars of Outlook for Windows read through COM
 * automation ({@link OutlookSession}, on Windows {@link ComOutlookSession}) and, when {@code allowEventUpdates},
 * written back. One timer route per source calls {@link #register}, {@link #poll}, {@code direct:agent-collect}, then
 * {@link #commit}. On another OS every poll fails with "Outlook for Windows source needs Windows with Outlook
 * installed" (the source's {@code lastError}); nothing is deleted.
 * <ul>
 *   <li><b>Calendars:</b> the default calendar, or the calendar folders named in {@code calendars} (Name, FolderPath
 *       or EntryID as {@code discover outlook} lists them, comma separated; {@code *} = every calendar folder of
 *       every store). Resolved once per configuration and again after a failed read.</li>
 *   <li><b>Delta:</b> every poll lists the folder's items cheaply (EntryID and LastModificationTime; a Table, not
 *       the items themselves) and reads in full only the items whose LastModificationTime differs from the one the
 *       collector stored for the item's file; an item the agent holds that the listing no longer has was deleted.
 *       So the cursor is per item, in the collector's committed file index: a restart resumes from it, deletions
 *       are found without a tombstone query, a clock or zone change only costs a re-read, and nothing advances
 *       before the collector committed (no global "modified since" time that could skip an item saved within the
 *       same second, or miss deletions). Editing an occurrence saves its series (exceptions live in the master
 *       item), so the series' time changes and it is read again with its exceptions. {@link #committed} records
 *       when the cursor was confirmed.</li>
 *   <li><b>One "file" per item:</b> {@code <calendar key>/<EntryID>}: a single appointment, or a series master with
 *       its overrides and EXDATEs ({@link OutlookItemMapper}); an item that cannot be mapped is reported as a
 *       failed file (its previously collected events are kept), the others are read.</li>
 *   <li><b>Never "everything deleted" by accident:</b> Outlook not running, a COM error, a profile dialog, not
 *       Windows: the read fails as a whole, nothing is returned, the error is the source's {@code lastError}.</li>
 *   <li><b>Write-back</b> ({@link #applyEventUpdate}): create = {@code Items.Add(olAppointmentItem)} + {@code Save}
 *       (the master's UID stored as the user property {@code ChronorouteUid}, since GlobalAppointmentID cannot be
 *       set), update = the item's properties + {@code Save} (the recurrence only when the rule changed: setting a
 *       pattern drops a series' exceptions), an override = the occurrence ({@code GetOccurrence}) changed and saved,
 *       delete = {@code Delete} (an occurrence: its deletion in the series). Never {@code Send}: a meeting
 *       (MeetingStatus olMeeting) is saved in the calendar only; attendees get no request, update or cancellation.
 *       The item is read again before writing; a {@code base_hash} it no longer has is refused permanently.</li>
 *   <li><b>Rename</b> ({@link #renameCalendar}): the folder's {@code Name}. The object model has no calendar
 *       colour.</li>
 * </ul>
 */
@Component("outlookWindowsSource")
public class OutlookWindowsSource implements CalendarSource {

    public static final String PROVIDER = "outlook";
    public static final String HEADER_SOURCE = "ChronorouteSource";
    public static final String HEADER_CALENDARS = "ChronorouteCalendars";
    public static final String HEADER_TIME_ZONE = "ChronorouteTimeZone";
    public static final String HEADER_ALLOW_UPDATES = "ChronorouteAllowEventUpdates";
    static final String META = "outlook.";
    static final String ALL = "*";

    private static final Logger LOG = LoggerFactory.getLogger(OutlookWindowsSource.class);

    /** Opens a session to Outlook (the COM one on Windows; tests pass a fake). */
    @FunctionalInterface
    public interface Sessions {
        OutlookSession open() throws OutlookException;
    }

    private final AgentState state;
    private final SourceRegistry registry;
    private final AgentProperties props;
    private final Clock clock;
    private final Sessions sessions;
    private final Map<String, Runtime> runtimes = new ConcurrentHashMap<>();

    @Autowired
    public OutlookWindowsSource(AgentState state, SourceRegistry registry, AgentProperties props, Clock agentClock) {
        this(state, registry, props, agentClock, ComOutlookSession::open);
    }

    public OutlookWindowsSource(AgentState state, SourceRegistry registry, AgentProperties props, Clock clock,
                                Sessions sessions) {
        this.state = state;
        this.registry = registry;
        this.props = props;
        this.clock = clock;
        this.sessions = sessions;
        registry.addKind(this);
    }

    /** A source's configuration. */
    record Settings(String source, List<String> calendars, ZoneId zone, boolean allowEventUpdates) {
    }

    /** One calendar folder the source reads: its EntryID, name and the key its files start with. */
    record Calendar(String entryId, String name, String key) {
    }

    /** Per source: settings, the open session, resolved calendars, the last read's outcome. */
    static final class Runtime {
        final Settings settings;
        OutlookSession session;
        ZoneId localZone;
        volatile List<Calendar> calendars;
        volatile String error;
        volatile boolean pending;

        Runtime(Settings settings) {
            this.settings = settings;
        }
    }

    // ------------------------------------------------------------------ route steps

    /** Records the source's configuration (every poll; cheap). */
    public void register(@Header(HEADER_SOURCE) String source, @Header(HEADER_CALENDARS) String calendars,
                         @Header(HEADER_TIME_ZONE) String timeZone,
                         @Header(HEADER_ALLOW_UPDATES) boolean allowEventUpdates) {
        Settings s = settings(source, calendars, timeZone, allowEventUpdates);
        registry.register(new SourceConfig(source, null, s.zone(), allowEventUpdates, PROVIDER));
        runtimes.compute(source, (k, old) -> {
            if (old != null && old.settings.equals(s)) {
                return old;
            }
            if (old != null) {
                synchronized (old) {
                    closeSession(old);
                }
            }
            LOG.info("Source '{}': Outlook for Windows, calendars {}, event updates from the master {}", source,
                    s.calendars().isEmpty() ? "[default]" : s.calendars(),
                    allowEventUpdates ? "allowed" : "not allowed");
            return new Runtime(s);
        });
    }

    static Settings settings(String source, String calendars, String timeZone, boolean allowEventUpdates) {
        List<String> names = new ArrayList<>();
        if (calendars != null) {
            for (String n : calendars.split(",")) {
                if (!n.isBlank()) {
                    names.add(n.strip());
                }
            }
        }
        ZoneId zone = timeZone == null || timeZone.isBlank() ? null : ZoneId.of(timeZone.strip());
        return new Settings(source, List.copyOf(names), zone, allowEventUpdates);
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
        synchronized (rt) {
            rt.pending = false;
            List<ChangeBatch> out = new ArrayList<>();
            try {
                OutlookSession session = session(rt);
                for (Calendar cal : calendars(rt)) {
                    out.addAll(readCalendar(rt, session, source, cal));
                }
            } catch (OutlookException | RuntimeException e) {
                closeSession(rt);
                rt.calendars = null; // resolved again next time (a renamed, moved or removed folder)
                String reason = "Outlook cannot be read: " + describe(e);
                if (!reason.equals(rt.error)) {
                    LOG.warn("Source '{}': {}. Its events are kept (not taken as deleted); read again on the next "
                            + "poll", source.name(), reason);
                }
                rt.error = reason;
                return List.of();
            }
            rt.pending = true;
            if (rt.error != null) {
                LOG.info("Source '{}': Outlook is read again after: {}", source.name(), rt.error);
                rt.error = null;
            }
            registry.markRead(source.name(), clock.instant());
            return out;
        }
    }

    private List<ChangeBatch> readCalendar(Runtime rt, OutlookSession session, SourceConfig source, Calendar cal)
            throws OutlookException {
        String prefix = cal.key() + "/";
        Map<String, FileEntry> held = new LinkedHashMap<>();
        state.read(tx -> tx.filesOf(source.name())).forEach((f, e) -> {
            if (f.startsWith(prefix)) {
                held.put(f, e);
            }
        });
        List<ChangeBatch> out = new ArrayList<>();
        Set<String> listed = new LinkedHashSet<>();
        int read = 0;
        for (OutlookSession.Stamp s : session.list(cal.entryId())) {
            String file = prefix + s.entryId();
            listed.add(file);
            FileEntry known = held.get(file);
            if (known != null && known.modified() == stamp(s.lastModified())) {
                continue;
            }
            Map<String, Object> item = session.item(s.entryId());
            if (item == null) {
                continue; // deleted since the listing: the next listing no longer has it
            }
            read++;
            out.add(batch(rt, source, cal, s.entryId(), item, s.lastModified()));
        }
        int removed = 0;
        for (String file : held.keySet()) {
            if (!listed.contains(file)) {
                out.add(ChangeBatch.removed(source.name(), file));
                removed++;
            }
        }
        LOG.debug("Source '{}', calendar '{}': {} item(s) read, {} removed", source.name(), cal.name(), read, removed);
        return out;
    }

    /** One item as the collector's file: its events (or a failed file when it cannot be mapped). */
    private ChangeBatch batch(Runtime rt, SourceConfig source, Calendar cal, String entryId, Map<String, Object> item,
                              LocalDateTime listedModified) {
        String file = fileOf(cal, entryId);
        List<CalendarEvent> mapped;
        try {
            mapped = mapper(rt, source, cal).events(item);
        } catch (RuntimeException e) {
            LOG.warn("Source '{}', {}: the item cannot be read as an event: {}", source.name(), file, describe(e));
            return ChangeBatch.failed(source.name(), file, "the Outlook item cannot be read as an event: "
                    + describe(e));
        }
        List<CalendarEvent> events = new ArrayList<>();
        List<InputProblem> problems = new ArrayList<>();
        for (CalendarEvent e : mapped) {
            try {
                EventValidator.validate(e);
                events.add(e);
            } catch (WireFormatException ex) {
                problems.add(new InputProblem(InputProblem.Kind.EVENT_REJECTED, source.name(), file, 0, e.uid(),
                        SyncKey.ridText(e.recurrenceId()), ex.field(), ex.reason()));
                LOG.warn("Source '{}', {}: event UID {} left out: {} {}", source.name(), file, e.uid(), ex.field(),
                        ex.reason());
            }
        }
        LocalDateTime modified = listedModified != null ? listedModified
                : OutlookValues.date(item, "LastModificationTime");
        ChangeBatch.Fingerprint fp = new ChangeBatch.Fingerprint(events.size(), stamp(modified),
                sha256(new java.util.TreeMap<>(item).toString()));
        return ChangeBatch.parsed(source.name(), file, fp, events, problems);
    }

    /** A LastModificationTime as the number the file index compares (its wall clock; only equality counts). */
    static long stamp(LocalDateTime t) {
        return t == null ? 0 : t.toInstant(ZoneOffset.UTC).toEpochMilli();
    }

    private OutlookItemMapper mapper(Runtime rt, SourceConfig source, Calendar cal) {
        return new OutlookItemMapper(props.id(), source.name(), calendarId(source, rt, cal), cal.name(),
                rt.settings.zone(), rt.localZone);
    }

    private OutlookSession session(Runtime rt) throws OutlookException {
        if (rt.session == null) {
            OutlookSession s = sessions.open();
            try {
                rt.localZone = OutlookItemMapper.zoneOf(s.localTimeZone());
            } catch (OutlookException | RuntimeException e) {
                s.close();
                throw e;
            }
            rt.session = s;
        }
        return rt.session;
    }

    private static void closeSession(Runtime rt) {
        if (rt.session != null) {
            try {
                rt.session.close();
            } catch (RuntimeException e) {
                LOG.debug("closing the Outlook session failed", e);
            }
            rt.session = null;
            rt.calendars = null; // resolved again with the next session (it learns the folders' stores)
        }
    }

    /** The calendars of the source: the default one, or those named; resolved once per configuration. */
    List<Calendar> calendars(Runtime rt) throws OutlookException {
        List<Calendar> known = rt.calendars;
        if (known != null) {
            return known;
        }
        List<OutlookSession.Folder> all = session(rt).calendars();
        List<Calendar> found = new ArrayList<>();
        List<String> wanted = rt.settings.calendars();
        if (wanted.isEmpty()) {
            OutlookSession.Folder f = all.stream().filter(OutlookSession.Folder::isDefault).findFirst()
                    .orElseThrow(() -> new OutlookException("the Outlook profile has no default calendar", true));
            found.add(calendar(f));
        } else {
            for (String name : wanted) {
                boolean any = false;
                for (OutlookSession.Folder f : all) {
                    if (ALL.equals(name) || f.name().equalsIgnoreCase(name) || f.path().equalsIgnoreCase(name)
                            || f.entryId().equalsIgnoreCase(name)) {
                        if (found.stream().noneMatch(c -> c.entryId().equals(f.entryId()))) {
                            found.add(calendar(f));
                        }
                        any = true;
                    }
                }
                if (!any) {
                    throw new OutlookException("Outlook has no calendar named '" + name + "' (it has: "
                            + all.stream().map(OutlookSession.Folder::path).toList() + ")", true);
                }
            }
        }
        rt.calendars = List.copyOf(found);
        return rt.calendars;
    }

    private static Calendar calendar(OutlookSession.Folder f) {
        return new Calendar(f.entryId(), f.name(), sha256(f.entryId()).substring(0, 12));
    }

    /** The collector stored the last read: the item index is the cursor now, confirmed at this time. */
    @Override
    public void committed(SourceConfig source) {
        Runtime rt = runtimes.get(source.name());
        if (rt == null || !rt.pending) {
            return;
        }
        rt.pending = false;
        state.write(tx -> {
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
        return new SourceState(PROVIDER, source.allowEventUpdates(), refusal(source),
                registry.lastRead(source.name()), at,
                rt == null ? null : rt.error);
    }

    // ------------------------------------------------------------------ writing

    @Override
    public Applied applyEventUpdate(SourceConfig source, String action, CalendarEvent event, String baseHash)
            throws UpdateFailedException {
        String refusal = refusal(source);
        if (refusal != null) {
            throw new UpdateFailedException(refusal, true);
        }
        Runtime rt = runtimes.get(source.name());
        if (rt == null) {
            throw new UpdateFailedException("source '" + source.name() + "' is not running yet", false);
        }
        String base = baseHash == null || baseHash.isBlank() ? null : baseHash.strip();
        synchronized (rt) {
            try {
                OutlookSession session = session(rt);
                OutlookWriter w = new OutlookWriter(this, rt, session, source, base);
                return switch (action == null ? "" : action) {
                    case "create", "update" -> w.upsert(event.withOrigin(null), "create".equals(action),
                            event.origin());
                    case "delete" -> w.delete(event.withOrigin(null));
                    default -> throw new UpdateFailedException("unknown event_update action '" + action + "'", true);
                };
            } catch (OutlookException e) {
                if (!e.permanent()) {
                    closeSession(rt);
                }
                throw new UpdateFailedException("Outlook refused the write of " + event.uid() + ": "
                        + e.getMessage(), e.permanent(), e);
            } catch (IllegalArgumentException e) {
                throw new UpdateFailedException("event " + event.uid() + " cannot be written to Outlook: "
                        + e.getMessage(), true, e);
            }
        }
    }

    /** The folder's {@code Name}; Outlook's object model has no calendar colour (said in the outcome). */
    @Override
    public Applied renameCalendar(SourceConfig source, String calendarId, String name, String color)
            throws UpdateFailedException {
        String refusal = refusal(source);
        if (refusal != null) {
            throw new UpdateFailedException("calendar of " + refusal, true);
        }
        Runtime rt = runtimes.get(source.name());
        if (rt == null) {
            throw new UpdateFailedException("source '" + source.name() + "' is not running yet", false);
        }
        if (name == null) {
            throw new UpdateFailedException("Outlook has no calendar colour: the colour of source '" + source.name()
                    + "' cannot be changed in Outlook", true);
        }
        synchronized (rt) {
            try {
                List<Calendar> cals = calendars(rt);
                Calendar cal = cals.stream().filter(c -> calendarId(source, rt, c).equals(calendarId)).findFirst()
                        .orElseThrow(() -> new UpdateFailedException("source '" + source.name()
                                + "' has no calendar '" + calendarId + "'", true));
                session(rt).renameFolder(cal.entryId(), name);
                List<Calendar> renamed = new ArrayList<>(cals);
                renamed.set(cals.indexOf(cal), new Calendar(cal.entryId(), name, cal.key()));
                rt.calendars = List.copyOf(renamed);
                LOG.info("Source '{}': calendar '{}' renamed to '{}' in Outlook", source.name(), cal.name(), name);
                return new Applied("calendar '" + cal.name() + "' of source '" + source.name() + "' renamed to '"
                        + name + "' in Outlook" + (color == null ? "" : "; colour " + color + " not set: Outlook "
                        + "has no calendar colour"), List.of());
            } catch (OutlookException e) {
                if (!e.permanent()) {
                    closeSession(rt);
                }
                throw new UpdateFailedException("Outlook refused the rename: " + e.getMessage(), e.permanent(), e);
            }
        }
    }

    // ------------------------------------------------------------------ helpers shared with the writer

    /** The file and calendar that hold the event with this UID (series or single), from the state's index. */
    record Held(Calendar calendar, String entryId, String file) {
    }

    Held held(Runtime rt, SourceConfig source, String uid) throws OutlookException {
        String key = new SyncKey(props.id(), source.name(), uid, null).value();
        Map<String, FileEntry> files = state.read(tx -> tx.filesOf(source.name()));
        for (Map.Entry<String, FileEntry> e : files.entrySet()) {
            if (e.getValue().keys().contains(key)) {
                String file = e.getKey();
                int slash = file.indexOf('/');
                for (Calendar c : calendars(rt)) {
                    if (c.key().equals(file.substring(0, slash))) {
                        return new Held(c, file.substring(slash + 1), file);
                    }
                }
            }
        }
        return null;
    }

    /** The item read again as the collector's batch; its removal when it is gone. */
    List<ChangeBatch> reread(Runtime rt, OutlookSession session, SourceConfig source, Calendar cal, String entryId)
            throws OutlookException {
        Map<String, Object> item = session.item(entryId);
        return List.of(item == null ? ChangeBatch.removed(source.name(), fileOf(cal, entryId))
                : batch(rt, source, cal, entryId, item, null));
    }

    /** The events the item reads as now (master first); empty when it is gone. */
    List<CalendarEvent> current(Runtime rt, OutlookSession session, SourceConfig source, Calendar cal,
                                String entryId) throws OutlookException {
        Map<String, Object> item = session.item(entryId);
        return item == null ? List.of() : mapper(rt, source, cal).events(item);
    }

    OutlookItemMapper writerMapper(Runtime rt, SourceConfig source, Calendar cal) {
        return mapper(rt, source, cal);
    }

    List<Calendar> calendarsOf(Runtime rt) throws OutlookException {
        return calendars(rt);
    }

    static String fileOf(Calendar cal, String entryId) {
        return cal.key() + "/" + entryId;
    }

    /** The calendar id events report: the source name for a one-calendar source, else source/key. */
    static String calendarId(SourceConfig source, Runtime rt, Calendar cal) {
        List<Calendar> all = rt.calendars;
        return all == null || all.size() <= 1 ? source.name() : source.name() + "/" + cal.key();
    }

    static boolean sameHash(CalendarEvent current, String baseHash) {
        return Objects.equals(ChangeCollector.hashOnTheWire(current), baseHash);
    }

    static String describe(Exception e) {
        if (e instanceof OutlookException) {
            return e.getMessage();
        }
        return e.getClass().getSimpleName() + (e.getMessage() == null ? "" : " " + e.getMessage());
    }

    static String sha256(String s) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256")
                    .digest(s.getBytes(StandardCharsets.UTF_8)));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
