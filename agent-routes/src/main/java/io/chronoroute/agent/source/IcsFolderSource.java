package io.chronoroute.agent.source;

import io.chronoroute.agent.AgentProperties;
import io.chronoroute.agent.collect.ChangeBatch;
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
import io.chronoroute.processors.wire.WireFormatException;
import org.apache.camel.Body;
import org.apache.camel.Exchange;
import org.apache.camel.Header;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.beans.factory.annotation.Value;
import org.springframework.stereotype.Component;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Instant;
import java.time.ZoneId;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The logic of the {@code ics-folder-source} route template: a folder of iCalendar files.
 * <ul>
 *   <li>{@link #register}: records the source's configuration (every poll; cheap).</li>
 *   <li>{@link #readFile}: a new or changed file → streamed through {@link ICalCodec#read(Path, ZoneId, ICalLimits)};
 *       the collector diffs the result against what the file produced last time (a removed VEVENT becomes a
 *       deletion). A file whose bytes did not change is not parsed again. Problems are handled per property and per
 *       event (a bad VEVENT is left out, the rest of the file kept) and recorded for the file
 *       ({@link AgentState.Tx#putProblems}). A file that cannot be used at all (empty, not iCalendar, unreadable) is
 *       <b>reported and skipped</b>: logged with source and file, recorded as a FILE_REJECTED problem, counted in
 *       the agent status, and its previously collected events are kept (nothing is deleted at the master because a
 *       file failed to parse).</li>
 *   <li>{@link #detectRemovedFiles}: files in the index that are no longer on disk → their events are deleted. A
 *       folder that is missing or unreadable (an unmounted share) is never taken as "all files deleted".</li>
 *   <li>{@link #applyEventUpdate}: the master's {@code event_update} (only when {@code allowEventUpdates}): create →
 *       new file {@code <sha256(uid)>.ics}; update/delete → the file that holds the UID is rewritten. Files are
 *       written atomically (temp file in the folder, then rename); the poll picks the change up like any edit.
 *       Rewriting a file keeps what the event model carries; components it does not model (VALARM, X- properties)
 *       are not written back.</li>
 * </ul>
 */
@Component("icsFolderSource")
public class IcsFolderSource {

    public static final String HEADER_SOURCE = "ChronorouteSource";
    public static final String HEADER_FOLDER = "ChronorouteFolder";
    public static final String HEADER_TIME_ZONE = "ChronorouteTimeZone";
    public static final String HEADER_ALLOW_UPDATES = "ChronorouteAllowEventUpdates";
    public static final String PROVIDER = "ics";
    static final String PROD_ID = "-//Chronoroute//Chronoroute Agent//EN";

    private static final Logger LOG = LoggerFactory.getLogger(IcsFolderSource.class);
    private static final int MAX_LOGGED = 50;

    private final AgentState state;
    private final SourceRegistry registry;
    private final AgentProperties props;
    private final Set<String> missingFolderReported = ConcurrentHashMap.newKeySet();
    private final ICalLimits limits;

    public IcsFolderSource(AgentState state, SourceRegistry registry, AgentProperties props) {
        this(state, registry, props, ICalLimits.DEFAULT.maxPropertyChars(), ICalLimits.DEFAULT.maxOccurrences());
    }

    /**
     * @param maxPropertyChars {@code chronoroute.agent.ics.max-property-chars}: a longer content line is refused
     *                         (the property is left out, reported naming this key)
     * @param maxOccurrences   {@code chronoroute.agent.ics.max-occurrences}: a larger RRULE COUNT is reported;
     *                         SECONDLY/MINUTELY rules need a COUNT up to this
     */
    @Autowired
    public IcsFolderSource(AgentState state, SourceRegistry registry, AgentProperties props,
                           @Value("${chronoroute.agent.ics.max-property-chars:1048576}") int maxPropertyChars,
                           @Value("${chronoroute.agent.ics.max-occurrences:10000}") int maxOccurrences) {
        this.state = state;
        this.registry = registry;
        this.props = props;
        this.limits = new ICalLimits(maxPropertyChars, maxOccurrences, ICalLimits.DEFAULT.maxComponentLines(),
                ICalLimits.DEFAULT.maxProblems(), "chronoroute.agent.ics.max-property-chars");
    }

    // ------------------------------------------------------------------ collecting

    public void register(@Header(HEADER_SOURCE) String source, @Header(HEADER_FOLDER) String folder,
                         @Header(HEADER_TIME_ZONE) String timeZone, @Header(HEADER_ALLOW_UPDATES) boolean allowEventUpdates) {
        registry.register(new SourceConfig(source, Path.of(folder), zoneOf(timeZone), allowEventUpdates));
    }

    /**
     * The source's {@code timeZone}, or null: then a time without zone (no TZID, no Z) stays floating unless the
     * file names its zone in {@code X-WR-TIMEZONE} (issue #13: floating times are never pinned to the agent's zone).
     */
    ZoneId zoneOf(String timeZone) {
        return timeZone == null || timeZone.isBlank() ? null : ZoneId.of(timeZone.strip());
    }

    /**
     * One new or changed file. It is streamed, never read whole: hashed once, then parsed component by component
     * ({@link ICalCodec#read(Path, ZoneId, ICalLimits)}), so a large export or an absurd property cannot take the
     * heap. Every problem found (repairs, skipped properties, rejected events) is logged at WARN and handed to the
     * collector, which records it for the file in the same commit as the events.
     */
    public List<ChangeBatch> readFile(@Header(HEADER_SOURCE) String source, @Header(HEADER_TIME_ZONE) String timeZone,
                                      @Header(Exchange.FILE_NAME) String fileName,
                                      @Header(Exchange.FILE_LAST_MODIFIED) long modified,
                                      @Header("CamelFileAbsolutePath") String absolutePath) {
        Path file = Path.of(absolutePath);
        String sha;
        long size;
        try {
            size = Files.size(file);
            sha = sha256(file);
        } catch (IOException e) {
            return List.of(reportFailure(source, fileName, "cannot be read: " + e.getMessage(), 0));
        }
        ChangeBatch.Fingerprint fp = new ChangeBatch.Fingerprint(size, modified, sha);
        boolean unchanged = state.read(tx -> {
            FileEntry previous = tx.file(source, fileName);
            return previous != null && previous.sha256().equals(sha) && !tx.failedOf(source).contains(fileName);
        });
        if (unchanged) {
            return List.of(ChangeBatch.touched(source, fileName, fp));
        }
        if (size == 0) {
            return List.of(reportFailure(source, fileName, "empty file (0 bytes)", 0));
        }
        try {
            ICalReadResult result = ICalCodec.read(file, zoneOf(timeZone), limits);
            List<CalendarEvent> withOrigin = new ArrayList<>(result.events().size());
            for (CalendarEvent e : result.events()) {
                EventValidator.validate(e);
                withOrigin.add(e.withOrigin(origin(source, fileName, e.origin())));
            }
            List<InputProblem> problems = new ArrayList<>(result.problems().size());
            for (InputProblem p : result.problems()) {
                problems.add(p.withSource(source, fileName));
            }
            logProblems(source, fileName, problems);
            return List.of(ChangeBatch.parsed(source, fileName, fp, withOrigin, problems));
        } catch (ICalParseException e) {
            return List.of(reportFailure(source, fileName, "not a valid iCalendar file: " + e.getMessage(), e.line()));
        } catch (WireFormatException e) {
            return List.of(reportFailure(source, fileName, "invalid event (" + e.getMessage() + ")", 0));
        } catch (IOException e) {
            return List.of(reportFailure(source, fileName, "cannot be read: " + e.getMessage(), 0));
        } catch (RuntimeException e) {
            return List.of(reportFailure(source, fileName, e.getClass().getSimpleName() + ": " + e.getMessage(), 0));
        }
    }

    /** Each problem once at WARN, naming file, line, UID and property; at most {@value #MAX_LOGGED} per read. */
    private static void logProblems(String source, String fileName, List<InputProblem> problems) {
        int n = 0;
        for (InputProblem p : problems) {
            if (++n > MAX_LOGGED) {
                LOG.warn("Source '{}', file {}: {} more problems (see the agent's recorded problems)", source, fileName,
                        problems.size() - MAX_LOGGED);
                return;
            }
            LOG.warn("Source '{}', file {}, line {}, UID {}{}, {}: {} - {}", source, fileName, p.line(),
                    p.uid() == null ? "-" : p.uid(), p.recurrenceId() == null ? "" : " (RECURRENCE-ID " + p.recurrenceId() + ")",
                    p.property() == null ? "-" : p.property(), p.kind(), p.message());
        }
    }

    private ChangeBatch reportFailure(String source, String fileName, String reason, int line) {
        LOG.warn("Source '{}': skipped file {}{} - {}. Its previously collected events are kept; the file is read again "
                + "when it changes.", source, fileName, line > 0 ? " (line " + line + ")" : "", reason);
        return ChangeBatch.failed(source, fileName, reason, line);
    }

    private Origin origin(String source, String fileName, Origin parsed) {
        String calendarName = parsed != null && parsed.calendarName() != null ? parsed.calendarName() : source;
        return new Origin(props.id(), source, source, calendarName, PROVIDER, fileName);
    }

    /** Files that the index knows (or that were reported) and that are no longer in the folder. */
    public List<ChangeBatch> detectRemovedFiles(@Header(HEADER_SOURCE) String source, @Header(HEADER_FOLDER) String folder) {
        Path dir = Path.of(folder);
        if (!Files.isDirectory(dir) || !Files.isReadable(dir)) {
            if (missingFolderReported.add(source)) {
                LOG.warn("Source '{}': folder {} is missing or unreadable; its events are kept (not treated as deleted) "
                        + "until it is back", source, dir.toAbsolutePath());
            }
            return List.of();
        }
        if (missingFolderReported.remove(source)) {
            LOG.info("Source '{}': folder {} is available again", source, dir.toAbsolutePath());
        }
        registry.markRead(source, Instant.now());
        Set<String> known = state.read(tx -> {
            Set<String> names = new LinkedHashSet<>(tx.filesOf(source).keySet());
            names.addAll(tx.failedOf(source));
            return names;
        });
        List<ChangeBatch> out = new ArrayList<>();
        for (String name : known) {
            if (!Files.exists(dir.resolve(name))) {
                LOG.info("Source '{}': file {} was removed; its events are deleted", source, name);
                out.add(ChangeBatch.removed(source, name));
            }
        }
        return out;
    }

    // ------------------------------------------------------------------ updates from the master

    /**
     * Applies an {@code event_update} to the folder.
     *
     * @param action create, update or delete
     * @param event  the event as the master sent it
     * @throws UpdateFailedException permanent when the source is read-only, the action unknown or the event to
     *                               update does not exist; transient when the folder cannot be read or written
     */
    public void applyEventUpdate(SourceConfig source, String action, CalendarEvent event) throws UpdateFailedException {
        if (!source.allowEventUpdates()) {
            throw new UpdateFailedException("source '" + source.name() + "' does not allow event updates", true);
        }
        if (!Files.isDirectory(source.folder())) {
            throw new UpdateFailedException("folder of source '" + source.name() + "' is not available", false);
        }
        CalendarEvent clean = event.withOrigin(null);
        String rid = SyncKey.ridText(clean.recurrenceId());
        Path holder = fileHolding(source, clean.uid(), rid);
        switch (action == null ? "" : action) {
            case "create", "update" -> upsert(source, clean, rid, holder, "create".equals(action));
            case "delete" -> delete(source, clean.uid(), rid, holder);
            default -> throw new UpdateFailedException("unknown event_update action '" + action + "'", true);
        }
    }

    private void upsert(SourceConfig source, CalendarEvent event, String rid, Path holder, boolean create)
            throws UpdateFailedException {
        if (holder == null && rid != null) {
            holder = fileHolding(source, event.uid(), null);
        }
        if (holder == null) {
            if (!create) {
                throw new UpdateFailedException("event " + event.uid() + " not found in source '" + source.name() + "'", true);
            }
            writeAtomically(source.folder().resolve(newFileName(event.uid())), List.of(event));
            LOG.info("Source '{}': created event {} in {}", source.name(), event.uid(), newFileName(event.uid()));
            return;
        }
        List<CalendarEvent> events = new ArrayList<>(readForUpdate(source, holder));
        boolean replaced = false;
        for (int i = 0; i < events.size(); i++) {
            if (sameRecord(events.get(i), event.uid(), rid)) {
                events.set(i, event);
                replaced = true;
            }
        }
        if (!replaced) {
            events.add(event);
        }
        writeAtomically(holder, events);
        LOG.info("Source '{}': {} event {} in {}", source.name(), replaced ? "updated" : "added", event.uid(),
                holder.getFileName());
    }

    private void delete(SourceConfig source, String uid, String rid, Path holder) throws UpdateFailedException {
        if (holder == null) {
            LOG.info("Source '{}': event {} to delete is not in the folder (already gone)", source.name(), uid);
            return;
        }
        List<CalendarEvent> events = readForUpdate(source, holder);
        List<CalendarEvent> kept = events.stream()
                .filter(e -> !(Objects.equals(e.uid(), uid) && (rid == null || Objects.equals(SyncKey.ridText(e.recurrenceId()), rid))))
                .toList();
        if (kept.size() == events.size()) {
            LOG.info("Source '{}': event {} to delete is not in {} (already gone)", source.name(), uid, holder.getFileName());
            return;
        }
        try {
            if (kept.isEmpty()) {
                Files.deleteIfExists(holder);
                LOG.info("Source '{}': deleted event {} and its now empty file {}", source.name(), uid, holder.getFileName());
            } else {
                writeAtomically(holder, kept);
                LOG.info("Source '{}': deleted event {} from {}", source.name(), uid, holder.getFileName());
            }
        } catch (IOException e) {
            throw new UpdateFailedException("cannot delete " + holder + ": " + e.getMessage(), false, e);
        }
    }

    private static boolean sameRecord(CalendarEvent e, String uid, String rid) {
        return Objects.equals(e.uid(), uid) && Objects.equals(SyncKey.ridText(e.recurrenceId()), rid);
    }

    /** The file that holds (uid, rid) per the index, else the file a create for this UID would have written. */
    private Path fileHolding(SourceConfig source, String uid, String rid) {
        String key = new SyncKey(props.id(), source.name(), uid, rid).value();
        Map<String, FileEntry> index = state.read(tx -> tx.filesOf(source.name()));
        for (Map.Entry<String, FileEntry> e : index.entrySet()) {
            Path p = source.folder().resolve(e.getKey());
            if (e.getValue().keys().contains(key) && Files.exists(p)) {
                return p;
            }
        }
        Path created = source.folder().resolve(newFileName(uid));
        return Files.exists(created) && rid == null ? created : null;
    }

    private List<CalendarEvent> readForUpdate(SourceConfig source, Path file) throws UpdateFailedException {
        try {
            return parse(Files.readAllBytes(file), source.zone());
        } catch (IOException e) {
            throw new UpdateFailedException("cannot read " + file + ": " + e.getMessage(), false, e);
        } catch (ICalParseException e) {
            // the user may repair the file: not permanent
            throw new UpdateFailedException("cannot parse " + file + ": " + e.getMessage(), false, e);
        }
    }

    private void writeAtomically(Path target, List<CalendarEvent> events) throws UpdateFailedException {
        String text = ICalCodec.write(events, PROD_ID);
        Path dir = target.toAbsolutePath().getParent();
        Path tmp = null;
        try {
            tmp = Files.createTempFile(dir, "." + target.getFileName(), ".tmp");
            Files.writeString(tmp, text, StandardCharsets.UTF_8);
            try {
                Files.move(tmp, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
            } catch (AtomicMoveNotSupportedException e) {
                Files.move(tmp, target, StandardCopyOption.REPLACE_EXISTING);
            }
        } catch (IOException e) {
            throw new UpdateFailedException("cannot write " + target + ": " + e.getMessage(), false, e);
        } finally {
            if (tmp != null) {
                try {
                    Files.deleteIfExists(tmp);
                } catch (IOException e) {
                    LOG.warn("Cannot remove temporary file {}: {}", tmp, e.getMessage());
                }
            }
        }
    }

    /** {@code <first 32 hex of SHA-256(uid)>.ics}: a safe, stable file name for an event created by the master. */
    public static String newFileName(String uid) {
        return sha256(uid.getBytes(StandardCharsets.UTF_8)).substring(0, 32) + ".ics";
    }

    private static List<CalendarEvent> parse(byte[] content, ZoneId zone) throws ICalParseException {
        String text = new String(content, StandardCharsets.UTF_8);
        if (!text.isEmpty() && text.charAt(0) == '\uFEFF') {
            text = text.substring(1);
        }
        return ICalCodec.parse(text, zone);
    }

    static String sha256(Path file) throws IOException {
        try (java.io.InputStream in = Files.newInputStream(file)) {
            MessageDigest md = MessageDigest.getInstance("SHA-256");
            byte[] buf = new byte[65536];
            int n;
            while ((n = in.read(buf)) > 0) {
                md.update(buf, 0, n);
            }
            return HexFormat.of().formatHex(md.digest());
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    static String sha256(byte[] bytes) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(bytes));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
