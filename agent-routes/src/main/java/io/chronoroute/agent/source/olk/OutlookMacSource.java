package io.chronoroute.agent.source.olk;

import io.chronoroute.agent.AgentProperties;
import io.chronoroute.agent.collect.ChangeBatch;
import io.chronoroute.agent.source.CalendarSource;
import io.chronoroute.agent.source.ReadOnlySource;
import io.chronoroute.agent.source.SourceConfig;
import io.chronoroute.agent.source.SourceRegistry;
import io.chronoroute.agent.state.AgentState;
import io.chronoroute.agent.state.FileEntry;
import io.chronoroute.olk15.Olk15FolderScanner;
import io.chronoroute.olk15.Olk15Parser;
import io.chronoroute.olk15.io.ByteReader;
import io.chronoroute.olk15.io.Olk15FormatException;
import io.chronoroute.olk15.model.Olk15Event;
import io.chronoroute.olk15.sqlite.CalendarEventRow;
import io.chronoroute.olk15.sqlite.CalendarFolder;
import io.chronoroute.olk15.sqlite.Mismatch;
import io.chronoroute.olk15.sqlite.OutlookDatabase;
import io.chronoroute.processors.model.CalendarEvent;
import io.chronoroute.processors.model.EventTime;
import io.chronoroute.processors.model.Origin;
import io.chronoroute.processors.wire.EventValidator;
import io.chronoroute.processors.wire.WireFormatException;
import org.apache.camel.Header;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.stereotype.Component;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.sql.SQLException;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneId;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.HashSet;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The logic of the {@code outlook-mac-source} route template: Outlook for Mac's {@code .olk15Event} files (read
 * through {@code olk15-parser}) as a read-only calendar source. One timer route per source calls, on every poll:
 * <ol>
 *   <li>{@link #register}: records the source's configuration (SourceRegistry; read-only, so the master's
 *       {@code event_update}s for it are rejected as permanent failures);</li>
 *   <li>{@link #poll}: {@link Olk15FolderScanner#scan()} walks the Events tree (one stat per file) and compares
 *       path/size/mtime with the index persisted in the agent's data directory; only new or changed files are read
 *       and parsed; a removed file becomes {@link ChangeBatch.Kind#REMOVED}. The result goes to
 *       {@code direct:agent-collect}, which diffs each file against what it produced last time;</li>
 *   <li>{@link #commit}: after the collector committed, the scan index and the per-file records are saved. A crash
 *       or a failed collect in between re-reports the same changes next time (the collector is idempotent).</li>
 * </ol>
 * <b>Read-only:</b> Outlook's folder is only listed, stat'ed and read; nothing is created, moved, locked or
 * renamed there (the scanner refuses an index inside the scanned folder; Outlook.sqlite is opened {@code mode=ro}).
 * A file written in the last {@code settleTime} ms is left for the next poll unless two polls saw it unchanged
 * (instead of a read lock or marker files).
 * <p><b>Series:</b> a master (or single event) is sent with its UID; an exception file (master record id +
 * recurrence id) is sent as an override with the master's UID and RECURRENCE-ID. If its master is not known (yet),
 * the exception is kept pending - nothing is sent and no UID is invented - and sent when the master arrives. When a
 * master's UID, all-day form or zone changes, its known exceptions are read again.
 * <p><b>Corrupt files</b> are reported (log with source and file, agent status "skippedFiles") and skipped; their
 * previously collected events are kept. <b>Outlook.sqlite</b> (optional) is used for the cross-check (mismatches are
 * logged and shown in the "outlookMac" health component; the file's values are sent, nothing is resolved), the
 * calendar id/name in the Origin, Record_ModDate as last-modified, and the {@code accounts} filter.
 * <p>As a {@link CalendarSource}: {@link #read} and {@link #committed} are {@link #poll} and {@link #commit} (the
 * cursor is the scan index); writes and renames are refused permanently with the reason ({@link #refusal}).
 */
@Component("outlookMacSource")
public class OutlookMacSource implements ReadOnlySource {

    public static final String HEADER_SOURCE = "ChronorouteSource";
    public static final String HEADER_EVENTS_DIR = "ChronorouteEventsDir";
    public static final String HEADER_SQLITE = "ChronorouteSqlitePath";
    public static final String HEADER_ACCOUNTS = "ChronorouteAccounts";
    public static final String HEADER_TIME_ZONE = "ChronorouteTimeZone";
    public static final String HEADER_SETTLE = "ChronorouteSettleTime";
    public static final String HEADER_POLL_DELAY = "ChronoroutePollDelay";
    private static final long DEFAULT_POLL_DELAY = 30_000;
    static final String STATE_DIR = "outlook-mac";
    private static final int MAX_REPORTED_MISMATCHES = 20;

    private static final Logger LOG = LoggerFactory.getLogger(OutlookMacSource.class);

    private final AgentState state;
    private final SourceRegistry registry;
    private final AgentProperties props;
    private final Clock clock;
    private final Map<String, Runtime> runtimes = new ConcurrentHashMap<>();

    public OutlookMacSource(AgentState state, SourceRegistry registry, AgentProperties props, Clock agentClock) {
        this.state = state;
        this.registry = registry;
        this.props = props;
        this.clock = agentClock;
        registry.addKind(this);
    }

    // ------------------------------------------------------------------ the source contract

    @Override
    public String kind() {
        return OlkEventMapper.PROVIDER;
    }

    @Override
    public List<ChangeBatch> read(SourceConfig source) {
        return poll(source.name());
    }

    @Override
    public void committed(SourceConfig source) {
        commit(source.name());
    }

    @Override
    public String refusal(SourceConfig source) {
        return "source '" + source.name() + "' is Outlook for Mac, which is read-only: Chronoroute reads Outlook's "
                + "files and database and never writes them (Outlook for Mac has no interface to write through)";
    }

    /**
     * The last scan that ran through (the scan index, the cursor, is then current; committed right after the
     * collect), and the current problem or poll error.
     */
    @Override
    public SourceState state(SourceConfig source) {
        Runtime rt = runtimes.get(source.name());
        Instant read = registry.lastRead(source.name());
        if (rt == null) {
            return new SourceState(kind(), false, refusal(source), read, null, null);
        }
        String error = rt.error != null ? rt.error : rt.problem;
        return new SourceState(kind(), false, refusal(source), read, rt.lastScan, error);
    }

    /** A source's configuration as its templated route declared it. */
    record Settings(String source, Path eventsDir, Path sqlite, List<String> accounts, ZoneId zone, long settleMillis) {
    }

    /** Per source: scanner, committed records, the result of the last poll awaiting commit, status. */
    static final class Runtime {
        final Settings settings;
        final Olk15FolderScanner scanner;
        final OlkSourceIndex indexFile;
        volatile Map<String, OlkFileInfo> records;
        Pending pending;
        Map<String, Olk15FolderScanner.Stamp> unsettled = new HashMap<>();
        volatile String problem;
        volatile Instant lastScan;
        volatile Instant lastChange;
        volatile List<String> unknownAccounts = List.of();
        /** When the source's timer last ran (register is its first step). */
        volatile Instant lastRun;
        volatile long pollDelayMillis = DEFAULT_POLL_DELAY;
        /** Why the last poll failed with an Error, or null. */
        volatile String error;

        Runtime(Settings settings, Olk15FolderScanner scanner, OlkSourceIndex indexFile, Map<String, OlkFileInfo> records) {
            this.settings = settings;
            this.scanner = scanner;
            this.indexFile = indexFile;
            this.records = records;
        }
    }

    record Pending(Olk15FolderScanner.ScanResult accepted, Map<String, OlkFileInfo> records) {
    }

    // ------------------------------------------------------------------ route steps

    public void register(@Header(HEADER_SOURCE) String source, @Header(HEADER_EVENTS_DIR) String eventsDir,
                         @Header(HEADER_SQLITE) String sqlitePath, @Header(HEADER_ACCOUNTS) String accounts,
                         @Header(HEADER_TIME_ZONE) String timeZone, @Header(HEADER_SETTLE) Long settleTime) {
        ZoneId zone = blank(timeZone) ? null : ZoneId.of(timeZone.strip());
        List<String> filter = blank(accounts) ? List.of()
                : Arrays.stream(accounts.split(",")).map(String::strip).filter(s -> !s.isEmpty()).toList();
        Settings s = new Settings(source, Path.of(eventsDir.strip()).toAbsolutePath().normalize(),
                blank(sqlitePath) ? null : Path.of(sqlitePath.strip()).toAbsolutePath().normalize(), filter, zone,
                settleTime == null ? 0 : Math.max(0, settleTime));
        registry.register(new SourceConfig(source, s.eventsDir(), zone != null ? zone : props.zone(), false,
                OlkEventMapper.PROVIDER));
        Runtime rt = runtimes.compute(source, (k, old) -> old != null && old.settings.equals(s) ? old : open(s));
        rt.lastRun = clock.instant();
    }

    /**
     * The source's timer ran (the template's step after {@code register}) with this poll delay: the health indicator
     * turns DOWN when it stops running.
     */
    public void ran(@Header(HEADER_SOURCE) String source, @Header(HEADER_POLL_DELAY) Long pollDelay) {
        Runtime rt = runtimes.get(source);
        if (rt != null) {
            rt.lastRun = clock.instant();
            rt.pollDelayMillis = pollDelay == null || pollDelay <= 0 ? DEFAULT_POLL_DELAY : pollDelay;
        }
    }

    /**
     * One scan of the Events tree: the change batches for {@code direct:agent-collect} (empty when nothing changed).
     * An Error (a file that exhausts the heap, a stack overflow in a parser) is caught - escaping to the Camel timer
     * it would kill the timer's thread and the source would silently stop - and reported as DOWN by the health
     * indicator until a poll runs through.
     */
    public List<ChangeBatch> poll(@Header(HEADER_SOURCE) String source) {
        Runtime rt = runtimes.get(source);
        if (rt == null) {
            return List.of();
        }
        try {
            List<ChangeBatch> out = pollOnce(source, rt);
            if (rt.error != null) {
                LOG.info("Source '{}': a poll ran through again after the failure: {}", source, rt.error);
                rt.error = null;
            }
            return out;
        } catch (Error e) {
            rt.pending = null;
            rt.error = e.getClass().getName() + (e.getMessage() == null ? "" : ": " + e.getMessage()) + " (at "
                    + clock.instant() + ")";
            LOG.error("Source '{}': the poll failed with {}; health is DOWN until a poll runs through", source, e, e);
            return List.of();
        }
    }

    private List<ChangeBatch> pollOnce(String source, Runtime rt) {
        rt.pending = null;
        rt.lastScan = clock.instant();
        Settings s = rt.settings;
        if (!s.accounts().isEmpty() && s.sqlite() == null) {
            report(rt, "the accounts filter " + s.accounts() + " needs sqlitePath (accounts are known only from "
                    + "Outlook.sqlite); nothing is collected");
            return List.of();
        }
        Olk15FolderScanner.ScanResult scan;
        try {
            scan = rt.scanner.scan();
        } catch (IOException e) {
            report(rt, "Events folder " + s.eventsDir() + " is missing or unreadable (" + e.getMessage()
                    + "); its events are kept (not treated as deleted)");
            return List.of();
        }
        registry.markRead(source, clock.instant());
        long now = clock.millis();
        List<Path> ready = new ArrayList<>();
        Map<String, Olk15FolderScanner.Stamp> unsettled = new HashMap<>();
        List<Path> candidates = new ArrayList<>(scan.added());
        candidates.addAll(scan.changed());
        for (Path p : candidates) {
            String rel = relative(s, p);
            Olk15FolderScanner.Stamp st = scan.stamps().get(rel);
            if (st.mtimeMillis() <= now - s.settleMillis() || st.equals(rt.unsettled.get(rel))) {
                ready.add(p);
            } else {
                unsettled.put(rel, st);
            }
        }
        rt.unsettled = unsettled;
        if (ready.isEmpty() && scan.removed().isEmpty()) {
            clearProblem(rt);
            return List.of();
        }
        OutlookDbSnapshot db = null;
        if (s.sqlite() != null) {
            try {
                db = OutlookDbSnapshot.read(s.sqlite(), s.accounts());
            } catch (SQLException e) {
                if (!s.accounts().isEmpty()) {
                    report(rt, "cannot read " + s.sqlite() + " (" + e.getMessage() + "); the accounts filter cannot be "
                            + "applied, so nothing is collected until it is readable");
                    return List.of();
                }
                report(rt, "cannot read " + s.sqlite() + " (" + e.getMessage() + "); collecting without the "
                        + "cross-check and calendar names");
            }
            if (db != null && !db.unknownAccounts().equals(rt.unknownAccounts)) {
                rt.unknownAccounts = db.unknownAccounts();
                if (!db.unknownAccounts().isEmpty()) {
                    LOG.warn("Source '{}': account(s) {} of the accounts filter match no account in {}", source,
                            db.unknownAccounts(), s.sqlite());
                }
            }
        }
        if (db != null || s.sqlite() == null) {
            clearProblem(rt);
        }
        Poll poll = new Poll(rt, db, scan, ready);
        List<ChangeBatch> batches = poll.run();
        rt.pending = new Pending(poll.accepted(), poll.records);
        if (!batches.isEmpty()) {
            rt.lastChange = rt.lastScan;
            LOG.info("Source '{}': {} new/changed and {} removed file(s) → {} change batch(es){}", source, ready.size(),
                    scan.removed().size(), batches.size(), poll.pendingCount > 0
                            ? "; " + poll.pendingCount + " exception(s) wait for their master" : "");
        }
        return batches;
    }

    /** After the collector committed: persist the records and the scan index (a no-op when the poll found nothing). */
    public void commit(@Header(HEADER_SOURCE) String source) {
        Runtime rt = runtimes.get(source);
        if (rt == null || rt.pending == null) {
            return;
        }
        Pending p = rt.pending;
        rt.pending = null;
        try {
            rt.indexFile.save(p.records());
            rt.records = p.records();
            rt.scanner.accept(p.accepted());
            rt.scanner.save();
        } catch (IOException e) {
            throw new UncheckedIOException("source '" + source + "': cannot save its index in " + rt.indexFile.file().getParent(), e);
        }
    }

    // ------------------------------------------------------------------ one poll

    /** The work of one poll on a copy of the records (committed only by {@link #commit}). */
    private final class Poll {
        final Runtime rt;
        final Settings s;
        final OutlookDbSnapshot db;
        final Olk15FolderScanner.ScanResult scan;
        final List<Path> ready;
        final Map<String, OlkFileInfo> records;
        final Map<String, Olk15FolderScanner.Stamp> acceptedStamps = new HashMap<>();
        final List<ChangeBatch> parsedBatches = new ArrayList<>();
        final List<ChangeBatch> removedBatches = new ArrayList<>();
        final Set<String> handled = new HashSet<>();
        final Set<Integer> changedMasters = new HashSet<>();
        int pendingCount;

        record Parsed(String rel, ChangeBatch.Fingerprint fp, Olk15Event event) {
        }

        Poll(Runtime rt, OutlookDbSnapshot db, Olk15FolderScanner.ScanResult scan, List<Path> ready) {
            this.rt = rt;
            this.s = rt.settings;
            this.db = db;
            this.scan = scan;
            this.ready = ready;
            this.records = new TreeMap<>(rt.records);
        }

        Olk15FolderScanner.ScanResult accepted() {
            return new Olk15FolderScanner.ScanResult(List.of(), List.of(), scan.removed(), scan.filesSeen(),
                    Map.copyOf(acceptedStamps));
        }

        List<ChangeBatch> run() {
            List<Parsed> exceptions = new ArrayList<>();
            for (Path p : ready) {
                String rel = relative(s, p);
                Olk15FolderScanner.Stamp st = scan.stamps().get(rel);
                Parsed parsed = read(p, rel, st, true);
                if (parsed == null) {
                    continue;
                }
                handled.add(rel);
                if (OlkEventMapper.isException(parsed.event())) {
                    exceptions.add(parsed);
                } else {
                    master(parsed);
                }
            }
            for (Path p : scan.removed()) {
                String rel = relative(s, p);
                OlkFileInfo old = records.remove(rel);
                removedBatches.add(ChangeBatch.removed(s.source(), rel));
                if (old != null && old.masterRecordId() == null && old.state() == OlkFileInfo.State.OK) {
                    LOG.info("Source '{}': file {} was removed; its events are deleted", s.source(), rel);
                } else {
                    LOG.info("Source '{}': file {} was removed", s.source(), rel);
                }
            }
            Map<Integer, OlkFileInfo> masters = masters();
            for (Parsed e : exceptions) {
                exception(e, masters);
            }
            // exceptions that were read before and whose master appeared or changed identity: read them again
            List<String> affected = new ArrayList<>();
            records.forEach((rel, info) -> {
                if (info.masterRecordId() != null && changedMasters.contains(info.masterRecordId()) && !handled.contains(rel)) {
                    affected.add(rel);
                }
            });
            for (String rel : affected) {
                Path p = s.eventsDir().resolve(rel);
                Olk15FolderScanner.Stamp st;
                try {
                    BasicFileAttributes a = Files.readAttributes(p, BasicFileAttributes.class);
                    st = new Olk15FolderScanner.Stamp(a.size(), a.lastModifiedTime().toMillis());
                } catch (IOException ex) {
                    continue; // gone: the next scan reports it as removed
                }
                Parsed parsed = read(p, rel, st, false);
                if (parsed != null && OlkEventMapper.isException(parsed.event())) {
                    exception(parsed, masters);
                }
            }
            List<ChangeBatch> out = new ArrayList<>(parsedBatches);
            out.addAll(removedBatches);
            return out;
        }

        /** Reads and parses one file; null when it vanished meanwhile or when its bytes did not change (TOUCHED). */
        Parsed read(Path p, String rel, Olk15FolderScanner.Stamp st, boolean mayBeTouched) {
            byte[] bytes;
            try {
                if (st.size() > ByteReader.MAX_RECORD_LENGTH) {
                    throw new Olk15FormatException("file of " + st.size() + " bytes is larger than MAX_RECORD_LENGTH",
                            ByteReader.MAX_RECORD_LENGTH);
                }
                bytes = Files.readAllBytes(p);
            } catch (NoSuchFileException e) {
                return null; // removed between scan and read: the next scan reports it
            } catch (IOException e) {
                accept(rel, st);
                fail(rel, "cannot read: " + e.getMessage());
                return null;
            }
            accept(rel, st);
            ChangeBatch.Fingerprint fp = new ChangeBatch.Fingerprint(st.size(), st.mtimeMillis(), sha256(bytes));
            OlkFileInfo info = records.get(rel);
            if (mayBeTouched && info != null && info.state() == OlkFileInfo.State.OK) {
                FileEntry previous = state.read(tx -> tx.file(s.source(), rel));
                if (previous != null && previous.sha256().equals(fp.sha256())) {
                    parsedBatches.add(ChangeBatch.touched(s.source(), rel, fp));
                    return null;
                }
            }
            try {
                return new Parsed(rel, fp, Olk15Parser.parse(bytes, rel));
            } catch (Olk15FormatException e) {
                fail(rel, "not a valid .olk15Event: " + e.getMessage());
                return null;
            } catch (RuntimeException e) {
                fail(rel, e.getClass().getSimpleName() + ": " + e.getMessage());
                return null;
            }
        }

        void accept(String rel, Olk15FolderScanner.Stamp st) {
            if (scan.stamps().containsKey(rel)) {
                acceptedStamps.put(rel, st);
            }
        }

        void fail(String rel, String reason) {
            LOG.warn("Source '{}': skipped file {} - {}. Its previously collected events are kept; the file is read "
                    + "again when it changes.", s.source(), rel, reason);
            parsedBatches.add(ChangeBatch.failed(s.source(), rel, reason));
        }

        /** A master or single event. */
        void master(Parsed p) {
            Olk15Event e = p.event();
            CalendarEventRow row = db == null ? null : db.row(p.rel());
            List<String> mismatches = crossCheck(p.rel(), e, row);
            OlkFileInfo old = records.get(p.rel());
            if (db != null && db.filtering() && !db.selected(row)) {
                put(p.rel(), old, new OlkFileInfo(e.recordId(), null, OlkEventMapper.uidOf(e), null, null,
                        OlkFileInfo.State.FILTERED, mismatches));
                parsedBatches.add(ChangeBatch.parsed(s.source(), p.rel(), p.fp(), List.of()));
                return;
            }
            String uid = OlkEventMapper.uidOf(e);
            if (uid == null) {
                fail(p.rel(), "neither an iCalendar UID nor a Record_UUID: the record has no identity");
                return;
            }
            OlkEventMapper.ZoneChoice zone = OlkEventMapper.zoneOf(e, s.zone());
            CalendarEvent event = mapAndValidate(p, e, new OlkEventMapper.Identity(uid, null), zone, row);
            if (event == null) {
                return;
            }
            put(p.rel(), old, new OlkFileInfo(e.recordId(), null, uid, event.isAllDay(),
                    OlkEventMapper.zoneName(zone.zone()), OlkFileInfo.State.OK, mismatches));
            parsedBatches.add(ChangeBatch.parsed(s.source(), p.rel(), p.fp(), List.of(event)));
        }

        /** An exception: an override of its master's series, or pending while the master is unknown. */
        void exception(Parsed p, Map<Integer, OlkFileInfo> masters) {
            Olk15Event e = p.event();
            CalendarEventRow row = db == null ? null : db.row(p.rel());
            List<String> mismatches = new ArrayList<>(crossCheck(p.rel(), e, row));
            OlkFileInfo old = records.get(p.rel());
            OlkFileInfo master = masters.get(e.masterRecordId());
            boolean filtered = db != null && db.filtering() && !db.selected(row);
            if (filtered || (master != null && master.state() == OlkFileInfo.State.FILTERED)) {
                put(p.rel(), old, new OlkFileInfo(e.recordId(), e.masterRecordId(), null, null, null,
                        OlkFileInfo.State.FILTERED, mismatches));
                parsedBatches.add(ChangeBatch.parsed(s.source(), p.rel(), p.fp(), List.of()));
                return;
            }
            if (e.recurrenceId() == null) {
                fail(p.rel(), "exception of record " + e.masterRecordId() + " without a recurrence id: the occurrence "
                        + "it replaces is unknown");
                return;
            }
            if (master == null) {
                pendingCount++;
                LOG.info("Source '{}': {} is an exception of record {}, whose master is not known (yet); it is kept "
                        + "pending and sent when the master arrives", s.source(), p.rel(), e.masterRecordId());
                put(p.rel(), old, new OlkFileInfo(e.recordId(), e.masterRecordId(), null, null, null,
                        OlkFileInfo.State.PENDING, mismatches));
                return;
            }
            if (e.icalUid() != null && !e.icalUid().equals(master.uid())) {
                String m = "uid: exception=" + e.icalUid() + " master=" + master.uid();
                LOG.warn("Source '{}': exception {} carries UID {} but its master record {} has {}; the master's UID "
                        + "is used", s.source(), p.rel(), e.icalUid(), e.masterRecordId(), master.uid());
                mismatches.add(m);
            }
            EventTime rid = OlkEventMapper.recurrenceId(e.recurrenceId(), Boolean.TRUE.equals(master.allDay()),
                    ZoneId.of(master.zone()));
            OlkEventMapper.ZoneChoice zone = OlkEventMapper.zoneOf(e, s.zone());
            CalendarEvent event = mapAndValidate(p, e, new OlkEventMapper.Identity(master.uid(), rid), zone, row);
            if (event == null) {
                return;
            }
            put(p.rel(), old, new OlkFileInfo(e.recordId(), e.masterRecordId(), master.uid(), event.isAllDay(),
                    OlkEventMapper.zoneName(zone.zone()), OlkFileInfo.State.OK, mismatches));
            parsedBatches.add(ChangeBatch.parsed(s.source(), p.rel(), p.fp(), List.of(event)));
        }

        CalendarEvent mapAndValidate(Parsed p, Olk15Event e, OlkEventMapper.Identity id, OlkEventMapper.ZoneChoice zone,
                                     CalendarEventRow row) {
            OlkEventMapper.Mapped m = OlkEventMapper.map(e, id, zone, row == null ? null : row.modDate(),
                    origin(p.rel(), row));
            try {
                EventValidator.validate(m.event());
            } catch (WireFormatException ex) {
                fail(p.rel(), "cannot be sent (" + ex.getMessage() + ")");
                return null;
            }
            if (LOG.isDebugEnabled() && (!m.notes().isEmpty() || !e.problems().isEmpty())) {
                LOG.debug("Source '{}': {}: {} {}", s.source(), p.rel(), m.notes(), e.problems());
            }
            return m.event();
        }

        void put(String rel, OlkFileInfo old, OlkFileInfo now) {
            records.put(rel, now);
            if (now.masterRecordId() == null && now.recordId() != null
                    && (old == null || !Objects.equals(old.uid(), now.uid()) || !Objects.equals(old.allDay(), now.allDay())
                    || !Objects.equals(old.zone(), now.zone()) || old.state() != now.state())) {
                changedMasters.add(now.recordId());
            }
        }

        /** Masters and single events by record id (the targets of exceptions). */
        Map<Integer, OlkFileInfo> masters() {
            Map<Integer, OlkFileInfo> out = new HashMap<>();
            records.values().forEach(i -> {
                if (i.recordId() != null && i.masterRecordId() == null
                        && (i.isUsableMaster() || i.state() == OlkFileInfo.State.FILTERED)) {
                    out.put(i.recordId(), i);
                }
            });
            return out;
        }

        List<String> crossCheck(String rel, Olk15Event e, CalendarEventRow row) {
            if (db == null) {
                return List.of();
            }
            List<String> out = new ArrayList<>();
            if (row == null) {
                out.add("row: file=present db=no CalendarEvents row");
            } else {
                for (Mismatch m : OutlookDatabase.crossCheck(e, row)) {
                    out.add(m.field() + ": file=" + m.fileValue() + " db=" + m.databaseValue());
                }
            }
            if (!out.isEmpty()) {
                LOG.warn("Source '{}': file {} disagrees with {}: {}. Nothing is resolved: the file's values are sent.",
                        s.source(), rel, s.sqlite().getFileName(), out);
            }
            return out;
        }

        Origin origin(String rel, CalendarEventRow row) {
            if (db == null || row == null) {
                return new Origin(props.id(), s.source(), s.source(), s.source(), OlkEventMapper.PROVIDER, rel);
            }
            CalendarFolder folder = row.folderId() == null ? null : db.folders().get(row.folderId());
            return new Origin(props.id(), s.source(), row.folderId() == null ? null : String.valueOf(row.folderId()),
                    folder == null ? null : folder.name(), OlkEventMapper.PROVIDER, rel);
        }
    }

    // ------------------------------------------------------------------ runtime

    private Runtime open(Settings s) {
        Path dir = state.dataDir().resolve(STATE_DIR);
        String base = fileSafe(s.source());
        Olk15FolderScanner scanner = new Olk15FolderScanner(s.eventsDir(), dir.resolve(base + ".scan-index"));
        OlkSourceIndex index = new OlkSourceIndex(dir.resolve(base + ".records.json"));
        Map<String, OlkFileInfo> records;
        try {
            scanner.load();
            records = index.load();
        } catch (IOException | RuntimeException e) {
            LOG.warn("Source '{}': its index in {} is unreadable ({}); all files are read again", s.source(), dir,
                    e.getMessage());
            scanner = new Olk15FolderScanner(s.eventsDir(), dir.resolve(base + ".scan-index"));
            records = new TreeMap<>();
        }
        boolean stateKnowsSource = state.read(tx -> !tx.filesOf(s.source()).isEmpty() || !tx.failedOf(s.source()).isEmpty());
        if (!scanner.index().isEmpty() && !stateKnowsSource) {
            LOG.warn("Source '{}': the agent state holds nothing of this source but its scan index does (state wiped?);"
                    + " all files are read again", s.source());
            scanner = new Olk15FolderScanner(s.eventsDir(), dir.resolve(base + ".scan-index"));
            records = new TreeMap<>();
        }
        LOG.info("Source '{}' (Outlook for Mac): Events folder {}, Outlook.sqlite {}, accounts {}, zone fallback {}, "
                        + "{} file(s) indexed", s.source(), s.eventsDir(), s.sqlite() == null ? "not used" : s.sqlite(),
                s.accounts().isEmpty() ? "all" : s.accounts(), s.zone() == null ? "UTC" : s.zone(), scanner.index().size());
        return new Runtime(s, scanner, index, records);
    }

    private static void report(Runtime rt, String problem) {
        if (!problem.equals(rt.problem)) {
            LOG.warn("Source '{}': {}", rt.settings.source(), problem);
            rt.problem = problem;
        }
    }

    private static void clearProblem(Runtime rt) {
        if (rt.problem != null) {
            LOG.info("Source '{}': the problem \"{}\" is gone", rt.settings.source(), rt.problem);
            rt.problem = null;
        }
    }

    /** The status of every Outlook for Mac source (for the "outlookMac" health component). */
    /** A source whose timer has not run for this many poll delays (plus {@link #STALE_GRACE}) is DOWN. */
    static final int STALE_POLLS = 3;
    static final Duration STALE_GRACE = Duration.ofMinutes(1);

    public Map<String, Object> status() {
        Map<String, Object> out = new TreeMap<>();
        for (Runtime rt : runtimes.values()) {
            Map<String, Object> d = new LinkedHashMap<>();
            Settings s = rt.settings;
            d.put("eventsDir", s.eventsDir().toString());
            d.put("sqlite", s.sqlite() == null ? "not used" : s.sqlite().toString());
            d.put("accounts", s.accounts().isEmpty() ? "all" : s.accounts());
            d.put("filesIndexed", rt.scanner.index().size());
            Map<String, OlkFileInfo> records = rt.records;
            long pending = records.values().stream().filter(i -> i.state() == OlkFileInfo.State.PENDING).count();
            long filtered = records.values().stream().filter(i -> i.state() == OlkFileInfo.State.FILTERED).count();
            Map<String, List<String>> mismatches = new TreeMap<>();
            int mismatchFiles = 0;
            for (Map.Entry<String, OlkFileInfo> e : records.entrySet()) {
                if (!e.getValue().mismatches().isEmpty()) {
                    mismatchFiles++;
                    if (mismatches.size() < MAX_REPORTED_MISMATCHES) {
                        mismatches.put(e.getKey(), e.getValue().mismatches());
                    }
                }
            }
            d.put("pendingExceptions", pending);
            d.put("filteredByAccount", filtered);
            d.put("databaseMismatchFiles", mismatchFiles);
            d.put("databaseMismatches", mismatches);
            List<String> skipped = state.read(tx -> tx.failedOf(s.source()));
            d.put("skippedFiles", skipped.size());
            d.put("unknownAccounts", rt.unknownAccounts);
            d.put("lastScan", String.valueOf(rt.lastScan));
            d.put("lastRun", String.valueOf(rt.lastRun));
            if (rt.error != null) {
                d.put("pollError", rt.error);
            }
            Instant run = rt.lastRun;
            Duration staleAfter = Duration.ofMillis(rt.pollDelayMillis).multipliedBy(STALE_POLLS).plus(STALE_GRACE);
            if (run != null && Duration.between(run, clock.instant()).compareTo(staleAfter) > 0) {
                d.put("pollStale", "the source's timer has not run since " + run + " (more than " + staleAfter
                        + "): its thread is dead or stuck; restart the agent");
            }
            d.put("lastChange", String.valueOf(rt.lastChange));
            if (rt.problem != null) {
                d.put("problem", rt.problem);
            }
            out.put(s.source(), d);
        }
        return out;
    }

    // ------------------------------------------------------------------ helpers

    private static String relative(Settings s, Path p) {
        return s.eventsDir().relativize(p.toAbsolutePath().normalize()).toString().replace(java.io.File.separatorChar, '/');
    }

    private static boolean blank(String s) {
        return s == null || s.isBlank();
    }

    /** A file name for a source name: itself if safe, else a sanitized form plus a short hash (no collisions). */
    static String fileSafe(String source) {
        String safe = source.replaceAll("[^A-Za-z0-9._-]", "_");
        return safe.equals(source) && !safe.startsWith(".") ? safe
                : safe + "-" + sha256(source.getBytes(StandardCharsets.UTF_8)).substring(0, 8);
    }

    static String sha256(byte[] bytes) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(bytes));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
