package io.chronoroute.agent.source;

import com.fasterxml.jackson.databind.JsonNode;
import io.chronoroute.agent.AgentProperties;
import io.chronoroute.agent.collect.ChangeBatch;
import io.chronoroute.agent.collect.ChangeCollector;
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
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFileAttributeView;
import java.nio.file.attribute.PosixFileAttributes;
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
 *       new file {@code <sha256(uid)>.ics}; update/delete → the file that holds the UID is edited as text
 *       ({@link IcsFileText}): every other component stays byte for byte, the updated VEVENT keeps the original's
 *       VALARMs, X- properties and every property the model does not carry, and gets LAST-MODIFIED and SEQUENCE+1;
 *       floating times stay floating; VTIMEZONEs it needs are added. An update carrying a {@code base_hash} that
 *       no longer matches the event in the file is refused (the user changed it since). Files are written
 *       atomically (temp file in the folder, then rename) and keep their mode and owner. The written file is read
 *       back at once ({@link Applied#reread()}) so the agent's state shows the write before the next poll.</li>
 *   <li>{@link #renameCalendar}: the master's {@code calendar_metadata}: X-WR-CALNAME (and the colour where the
 *       files carry one) in the source's files; the recorded name is the calendar name of its events.</li>
 * </ul>
 * It is the {@link CalendarSource} of kind {@value #PROVIDER}: its cursor is the file index in the agent's state
 * ({@link #read(SourceConfig)} outside the route), it accepts writes when {@code allowEventUpdates}, and its state is
 * the last poll and the missing folder or skipped files.
 */
@Component("icsFolderSource")
public class IcsFolderSource implements CalendarSource {

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
        registry.addKind(this);
    }

    // ------------------------------------------------------------------ the source contract

    @Override
    public String kind() {
        return PROVIDER;
    }

    /**
     * The contract's read outside the route (the route's file consumer does the same file by file): the cursor is the
     * file index in the agent's state (size, mtime, SHA-256 per file, committed with the events), so the delta is the
     * {@code .ics} files whose size or mtime differ from it (every file on the first read; a file whose bytes did not
     * change is only touched) and the files gone from the folder. A missing folder reads nothing and deletes nothing.
     */
    @Override
    public List<ChangeBatch> read(SourceConfig source) {
        Path dir = source.folder();
        if (dir == null || !Files.isDirectory(dir) || !Files.isReadable(dir)) {
            return detectRemovedFiles(source.name(), String.valueOf(dir)); // reports the missing folder once
        }
        String zone = source.zone() == null ? null : source.zone().getId();
        Map<String, FileEntry> index = state.read(tx -> tx.filesOf(source.name()));
        List<String> failed = state.read(tx -> tx.failedOf(source.name()));
        List<ChangeBatch> out = new ArrayList<>();
        try (java.util.stream.Stream<Path> files = Files.list(dir)) {
            for (Path f : files.filter(p -> p.getFileName().toString().toLowerCase(java.util.Locale.ROOT).endsWith(".ics")
                    && Files.isRegularFile(p)).sorted().toList()) {
                String name = f.getFileName().toString();
                long modified = Files.getLastModifiedTime(f).toMillis();
                FileEntry known = index.get(name);
                if (known == null || known.size() != Files.size(f) || known.modified() != modified || failed.contains(name)) {
                    out.addAll(read(source.name(), zoneOf(zone), name, modified, f));
                }
            }
        } catch (IOException e) {
            LOG.warn("Source '{}': cannot list folder {} ({}); its events are kept", source.name(), dir, e.getMessage());
            return out;
        }
        out.addAll(detectRemovedFiles(source.name(), dir.toString()));
        return out;
    }

    /** Nothing to do: the file index is the cursor, and the collector commits it together with the events. */
    @Override
    public void committed(SourceConfig source) {
    }

    @Override
    public String refusal(SourceConfig source) {
        return source.allowEventUpdates() ? null
                : "source '" + source.name() + "' is read-only (allowEventUpdates=false)";
    }

    /**
     * Kind, writability, the last successful poll (which is also when the file index was last known current: the
     * cursor), and the current problem: a missing folder, else the files skipped.
     */
    @Override
    public SourceState state(SourceConfig source) {
        Instant read = registry.lastRead(source.name());
        String error = null;
        if (missingFolderReported.contains(source.name())) {
            error = "folder " + source.folder() + " is missing or unreadable; its events are kept until it is back";
        } else {
            int skipped = state.read(tx -> tx.failedOf(source.name())).size();
            if (skipped > 0) {
                error = skipped + " file(s) skipped (see skippedFiles); their previous events are kept";
            }
        }
        return new SourceState(PROVIDER, source.allowEventUpdates(), refusal(source), read, read, error);
    }

    // ------------------------------------------------------------------ collecting

    public void register(@Header(HEADER_SOURCE) String source, @Header(HEADER_FOLDER) String folder,
                         @Header(HEADER_TIME_ZONE) String timeZone, @Header(HEADER_ALLOW_UPDATES) boolean allowEventUpdates) {
        registry.register(new SourceConfig(source, Path.of(folder), zoneOf(timeZone), allowEventUpdates, PROVIDER));
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
        return read(source, zoneOf(timeZone), fileName, modified, Path.of(absolutePath));
    }

    private List<ChangeBatch> read(String source, ZoneId zone, String fileName, long modified, Path file) {
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
            ICalReadResult result = ICalCodec.read(file, zone, limits);
            List<CalendarEvent> withOrigin = new ArrayList<>(result.events().size());
            String recordedName = calendarName(source);
            for (CalendarEvent e : result.events()) {
                EventValidator.validate(e);
                withOrigin.add(e.withOrigin(origin(source, fileName, e.origin(), recordedName)));
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

    /** The calendar of a folder source is the source: its id is the source name, its name the recorded one. */
    private Origin origin(String source, String fileName, Origin parsed, String recordedName) {
        String calendarName = recordedName != null ? recordedName
                : parsed != null && parsed.calendarName() != null ? parsed.calendarName() : source;
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
     * Per source, UID and RECURRENCE-ID: the substance hash of the version last written for an update of the master
     * (in memory: after a restart the base hash alone decides, which at worst refuses one update that is then
     * decided by the conflict strategy).
     */
    private final java.util.Map<String, String> lastWritten = new java.util.concurrent.ConcurrentHashMap<>();

    /** {@link #applyEventUpdate(SourceConfig, String, CalendarEvent, String)} without a base hash. */
    public Applied applyEventUpdate(SourceConfig source, String action, CalendarEvent event) throws UpdateFailedException {
        return applyEventUpdate(source, action, event, null);
    }

    /**
     * Applies an {@code event_update} to the folder, editing the file's text so that everything else in it stays as
     * it was ({@link IcsFileText}).
     *
     * @param action   create, update or delete
     * @param event    the event as the master sent it (for a delete only UID and RECURRENCE-ID count)
     * @param baseHash the content hash the master believes this calendar has for the event (the hash this agent
     *                 last sent for it, {@link ChangeCollector#hashOnTheWire}), or null: when given and the event in
     *                 the file now has another hash, the user changed it since, and the update is refused
     *                 permanently without touching the file (this calendar's version reaches the master with the
     *                 next heartbeat and the conflict strategy decides)
     * @throws UpdateFailedException permanent when the source is read-only, the action unknown, the event to
     *                               update does not exist or changed since; transient when the folder cannot be
     *                               read or written
     */
    @Override
    public Applied applyEventUpdate(SourceConfig source, String action, CalendarEvent event, String baseHash)
            throws UpdateFailedException {
        if (!source.allowEventUpdates()) {
            throw new UpdateFailedException("source '" + source.name() + "' is read-only (allowEventUpdates=false)", true);
        }
        if (!Files.isDirectory(source.folder())) {
            throw new UpdateFailedException("folder of source '" + source.name() + "' is not available", false);
        }
        CalendarEvent clean = event.withOrigin(null);
        String rid = SyncKey.ridText(clean.recurrenceId());
        String base = baseHash == null || baseHash.isBlank() ? null : baseHash.strip();
        return switch (action == null ? "" : action) {
            case "create", "update" -> upsert(source, clean, rid, base, "create".equals(action));
            case "delete" -> delete(source, clean.uid(), rid, base);
            default -> throw new UpdateFailedException("unknown event_update action '" + action + "'", true);
        };
    }

    private Applied upsert(SourceConfig source, CalendarEvent event, String rid, String baseHash, boolean create)
            throws UpdateFailedException {
        Path holder = fileHolding(source, event.uid(), rid);
        if (holder == null && rid != null) {
            holder = fileHolding(source, event.uid(), null); // an override goes beside its series
        }
        if (holder == null) {
            if (!create) {
                throw new UpdateFailedException("event " + describe(event.uid(), rid) + " not found in source '"
                        + source.name() + "'" + (baseHash == null ? "" : " (deleted there since; this calendar's "
                        + "version will be sent and the conflict strategy decides)"), true);
            }
            Path target = source.folder().resolve(newFileName(event.uid()));
            CalendarEvent created = event.lastModified() != null ? event
                    : event.toBuilder().lastModified(now()).build();
            IcsFileText file = IcsFileText.parse(ICalCodec.write(List.of(created), PROD_ID));
            String name = calendarName(source.name());
            if (name != null) {
                file.setCalendarProperty("X-WR-CALNAME", escapeText(name), true);
            }
            writeAtomically(target, file.text());
            LOG.info("Source '{}': created event {} in {}", source.name(), describe(event.uid(), rid), target.getFileName());
            return new Applied("created " + describe(event.uid(), rid) + " in " + target.getFileName(), reread(source, target));
        }
        IcsFileText file = IcsFileText.parse(readText(holder));
        Found found = find(file, source, event.uid(), rid);
        String label = describe(event.uid(), rid);
        if (found != null && sameContent(found.event(), event)) {
            LOG.info("Source '{}': event {} in {} already has this content; nothing to write", source.name(), label,
                    holder.getFileName());
            return new Applied("already applied: " + label + " in " + holder.getFileName(), reread(source, holder));
        }
        if (baseHash != null) {
            if (found == null) {
                throw new UpdateFailedException("event " + label + " was removed from " + holder.getFileName()
                        + " since; this calendar's version will be sent and the conflict strategy decides", true);
            }
            checkBase(source, found, baseHash, holder, label);
        }
        if (found == null && unreadableRecord(file, event.uid(), rid)) {
            // never a second VEVENT with the same UID and RECURRENCE-ID beside one the reader could not use
            throw new UpdateFailedException("event " + label + " in " + holder.getFileName() + " cannot be read; "
                    + "it is not overwritten", true);
        }
        CalendarEvent next = nextVersion(found == null ? null : found.event(), event, create);
        if (found != null && floatingInFile(found.part())) {
            next = refloat(next, zoneReadFor(file, source));
        }
        IcsFileText generated = IcsFileText.parse(ICalCodec.write(List.of(next), PROD_ID));
        IcsFileText.Part vevent = null;
        for (IcsFileText.Part p : generated.parts()) {
            if (p.isComponent("VTIMEZONE")) {
                IcsFileText.Line tzid = p.property("TZID");
                if (tzid != null && !file.hasTimeZone(tzid.value().strip())) {
                    file.addTimeZone(file.adopt(p));
                }
            } else if (p.isComponent("VEVENT")) {
                vevent = p;
            }
        }
        if (vevent == null) {
            throw new IllegalStateException("the codec wrote no VEVENT for " + label);
        }
        if (found != null) {
            file.replace(found.part(), file.merge(found.part(), vevent));
        } else {
            file.insertAfter(lastOfSeries(file, event.uid()), file.adopt(vevent));
        }
        writeAtomically(holder, file.text());
        lastWritten.put(writtenKey(source, event.uid(), rid), substance(next));
        LOG.info("Source '{}': {} event {} in {} (SEQUENCE {})", source.name(), found != null ? "updated" : "added",
                label, holder.getFileName(), next.sequence());
        return new Applied((found != null ? "updated " : "added ") + label + " in " + holder.getFileName(),
                reread(source, holder));
    }

    private Applied delete(SourceConfig source, String uid, String rid, String baseHash) throws UpdateFailedException {
        Path holder = fileHolding(source, uid, rid);
        if (holder == null && rid != null) {
            holder = fileHolding(source, uid, null);
        }
        String label = describe(uid, rid);
        if (holder == null) {
            LOG.info("Source '{}': event {} to delete is not in the folder (already gone)", source.name(), label);
            return new Applied("already gone: " + label, List.of());
        }
        IcsFileText file = IcsFileText.parse(readText(holder));
        List<IcsFileText.Part> doomed = new ArrayList<>();
        Found exact = null;
        for (Found f : veventsOf(file, source, uid)) {
            String frid = SyncKey.ridText(f.event().recurrenceId());
            if (rid == null || Objects.equals(frid, rid)) {
                doomed.add(f.part());
            }
            if (Objects.equals(frid, rid)) {
                exact = f;
            }
        }
        if (doomed.isEmpty()) {
            LOG.info("Source '{}': event {} to delete is not in {} (already gone)", source.name(), label, holder.getFileName());
            return new Applied("already gone: " + label, reread(source, holder));
        }
        if (baseHash != null && exact != null) {
            checkBase(source, exact, baseHash, holder, label);
        }
        lastWritten.remove(writtenKey(source, uid, rid));
        doomed.forEach(file::remove);
        if (!file.hasContent()) {
            try {
                Files.deleteIfExists(holder);
            } catch (IOException e) {
                throw new UpdateFailedException("cannot delete " + holder + ": " + e.getMessage(), false, e);
            }
            LOG.info("Source '{}': deleted event {} and its now empty file {}", source.name(), label, holder.getFileName());
            return new Applied("deleted " + label + " and its file " + holder.getFileName(), reread(source, holder));
        }
        writeAtomically(holder, file.text());
        LOG.info("Source '{}': deleted event {} from {}", source.name(), label, holder.getFileName());
        return new Applied("deleted " + label + " from " + holder.getFileName(), reread(source, holder));
    }

    /**
     * The base hash names the version the master changed; another version in the file now is a conflict. Except
     * the version this source itself wrote last for the master (an earlier update whose read-back the master has not
     * received yet when it sends the next one): that version is the master's own, not a local edit.
     */
    private void checkBase(SourceConfig source, Found found, String baseHash, Path holder, String label)
            throws UpdateFailedException {
        String current = ChangeCollector.hashOnTheWire(found.event());
        if (baseHash.equals(current)) {
            return;
        }
        String written = lastWritten.get(writtenKey(source, found.event().uid(),
                SyncKey.ridText(found.event().recurrenceId())));
        if (written != null && written.equals(substance(found.event()))) {
            LOG.info("Source '{}': event {} in {} is still the version written for the master's previous update; "
                    + "the new one applies", source.name(), label, holder.getFileName());
            return;
        }
        throw new UpdateFailedException("event " + label + " changed in " + holder.getFileName()
                + " since; this calendar's version will be sent and the conflict strategy decides", true);
    }

    /** What the master compares (its hash of the wire form), SEQUENCE aside. */
    private static String substance(CalendarEvent e) {
        return ChangeCollector.hashOnTheWire(e.toBuilder().sequence(null).build());
    }

    private static String writtenKey(SourceConfig source, String uid, String rid) {
        return source.name() + '\u0000' + uid + '\u0000' + rid;
    }

    /** Same content as far as the master can tell (its hash), SEQUENCE aside (a write-back raises it). */
    private static boolean sameContent(CalendarEvent inFile, CalendarEvent update) {
        String a = ChangeCollector.hashOnTheWire(inFile.toBuilder().sequence(null).build());
        return a != null && a.equals(ChangeCollector.hashOnTheWire(update.toBuilder().sequence(null).build()));
    }

    /**
     * The version to write: LAST-MODIFIED now; an update's SEQUENCE is one more than the higher of the original's
     * and the update's (0 when neither has one), a create keeps the update's; CREATED, when the update does not
     * say, stays the original's.
     */
    static CalendarEvent nextVersion(CalendarEvent original, CalendarEvent update, boolean create) {
        CalendarEvent.Builder b = update.toBuilder().lastModified(now());
        if (create && original == null) {
            return b.build();
        }
        int seq = Math.max(original == null || original.sequence() == null ? -1 : original.sequence(),
                update.sequence() == null ? -1 : update.sequence());
        b.sequence(seq + 1);
        if (update.created() == null && original != null) {
            b.created(original.created());
        }
        return b.build();
    }

    private static Instant now() {
        return Instant.now().truncatedTo(java.time.temporal.ChronoUnit.SECONDS);
    }

    /** Whether the VEVENT's DTSTART is written as a floating DATE-TIME (no TZID, no Z). */
    private static boolean floatingInFile(IcsFileText.Part vevent) {
        IcsFileText.Line start = vevent.property("DTSTART");
        if (start == null || start.hasParam("TZID")) {
            return false;
        }
        String v = start.value().strip();
        return v.length() > 8 && !v.endsWith("Z") && !v.endsWith("z");
    }

    /** The zone this file's floating times are read in: its X-WR-TIMEZONE, else the source's zone; null: none. */
    private static String zoneReadFor(IcsFileText file, SourceConfig source) {
        for (IcsFileText.Part p : file.parts()) {
            if (p.component() == null && "X-WR-TIMEZONE".equals(p.lines().get(0).name())) {
                return p.lines().get(0).value().strip();
            }
        }
        return source.zone() == null ? null : source.zone().getId();
    }

    /**
     * Floating stays floating: a file that writes its times without zone has them read in {@code zone}; the
     * master sends them back pinned to that zone, and they are written without zone again.
     */
    static CalendarEvent refloat(CalendarEvent e, String zone) {
        if (zone == null) {
            return e;
        }
        java.util.function.UnaryOperator<io.chronoroute.processors.model.EventTime> f = t ->
                t != null && t.instant() != null && zone.equals(t.zone())
                        ? io.chronoroute.processors.model.EventTime.ofFloating(t.localDateTime()) : t;
        return e.toBuilder().start(f.apply(e.start())).end(f.apply(e.end())).recurrenceId(f.apply(e.recurrenceId()))
                .exdates(e.exdates().stream().map(f).toList()).rdates(e.rdates().stream().map(f).toList()).build();
    }

    /** A VEVENT of the file and the event it is. */
    private record Found(IcsFileText.Part part, CalendarEvent event) {
    }

    private Found find(IcsFileText file, SourceConfig source, String uid, String rid) {
        for (Found f : veventsOf(file, source, uid)) {
            if (Objects.equals(SyncKey.ridText(f.event().recurrenceId()), rid)) {
                return f;
            }
        }
        return null;
    }

    /**
     * The file's VEVENTs with this UID, each read on its own with the file's calendar properties and VTIMEZONEs
     * (so it reads exactly as in the whole file). A VEVENT without UID is read too: the reader names it
     * {@code chronoroute-<hash>}. A VEVENT the reader cannot use is not ours to change and is left as it is.
     */
    private List<Found> veventsOf(IcsFileText file, SourceConfig source, String uid) {
        List<Found> out = new ArrayList<>();
        for (IcsFileText.Part p : file.parts()) {
            if (!p.isComponent("VEVENT")) {
                continue;
            }
            IcsFileText.Line uidLine = p.property("UID");
            if (uidLine != null && !ICalCodec.unescapeText(uidLine.value().strip()).equals(uid)) {
                continue;
            }
            boolean override = p.property("RECURRENCE-ID") != null;
            try {
                for (CalendarEvent e : ICalCodec.read(file.contextFor(p), source.zone(), limits).events()) {
                    // an RDATE;VALUE=PERIOD is read as an override of this VEVENT; the VEVENT itself is the one record
                    if (uid.equals(e.uid()) && (e.recurrenceId() != null) == override) {
                        out.add(new Found(p, e));
                        break;
                    }
                }
            } catch (ICalParseException | RuntimeException e) {
                LOG.debug("Source '{}': a VEVENT of UID {} cannot be read ({}); left as it is", source.name(), uid,
                        e.getMessage());
            }
        }
        return out;
    }

    /** A VEVENT with this UID and (for a series master) no RECURRENCE-ID is in the file but was not read. */
    private static boolean unreadableRecord(IcsFileText file, String uid, String rid) {
        if (rid != null) {
            return false; // an override's RECURRENCE-ID cannot be compared without reading it; appended as new
        }
        for (IcsFileText.Part p : file.parts()) {
            IcsFileText.Line l = p.isComponent("VEVENT") ? p.property("UID") : null;
            if (l != null && ICalCodec.unescapeText(l.value().strip()).equals(uid) && p.property("RECURRENCE-ID") == null) {
                return true;
            }
        }
        return false;
    }

    private static IcsFileText.Part lastOfSeries(IcsFileText file, String uid) {
        IcsFileText.Part last = null;
        for (IcsFileText.Part p : file.parts()) {
            IcsFileText.Line l = p.isComponent("VEVENT") ? p.property("UID") : null;
            if (l != null && ICalCodec.unescapeText(l.value().strip()).equals(uid)) {
                last = p;
            }
        }
        return last;
    }

    private static String describe(String uid, String rid) {
        return uid + (rid == null ? "" : " (RECURRENCE-ID " + rid + ")");
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

    private static String readText(Path file) throws UpdateFailedException {
        try {
            return Files.readString(file, StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UpdateFailedException("cannot read " + file + ": " + e.getMessage(), false, e);
        }
    }

    /** The file read again as the poll would read it (a removed file: its removal). */
    private List<ChangeBatch> reread(SourceConfig source, Path file) {
        String name = file.getFileName().toString();
        if (!Files.exists(file)) {
            boolean known = state.read(tx -> tx.file(source.name(), name) != null || tx.failedOf(source.name()).contains(name));
            return known ? List.of(ChangeBatch.removed(source.name(), name)) : List.of();
        }
        try {
            return read(source.name(), source.zone(), name, Files.getLastModifiedTime(file).toMillis(), file);
        } catch (IOException e) {
            LOG.warn("Source '{}': cannot read {} back after writing it ({}); the next poll reads it", source.name(),
                    name, e.getMessage());
            return List.of();
        }
    }

    // ------------------------------------------------------------------ calendar name and colour

    /**
     * Renames (and recolours) the source's calendar for real: X-WR-CALNAME is set in every file of the source
     * (added where missing, so every event of the folder says the new name), X-APPLE-CALENDAR-COLOR and COLOR are
     * changed where the file has them (a colour is not added where the file had none). Files are rewritten
     * like any write-back (text kept, mode kept, atomic); a file that already says so is not touched. The caller
     * records the name, which the agent reports from then on.
     *
     * @param calendarId the source name (a folder is one calendar)
     * @param name       the new name, or null to keep it
     * @param color      the new colour as given (e.g. {@code #FF0000}), or null to keep it
     */
    @Override
    public Applied renameCalendar(SourceConfig source, String calendarId, String name, String color) throws UpdateFailedException {
        if (!source.allowEventUpdates()) {
            throw new UpdateFailedException("calendar of source '" + source.name() + "' is read-only "
                    + "(allowEventUpdates=false)", true);
        }
        if (!Files.isDirectory(source.folder())) {
            throw new UpdateFailedException("folder of source '" + source.name() + "' is not available", false);
        }
        List<String> names = state.read(tx -> {
            List<String> l = new ArrayList<>(tx.filesOf(source.name()).keySet());
            l.removeAll(tx.failedOf(source.name()));
            return l;
        });
        List<ChangeBatch> reread = new ArrayList<>();
        int written = 0;
        for (String fileName : names) {
            Path file = source.folder().resolve(fileName);
            if (!Files.exists(file)) {
                continue;
            }
            IcsFileText text = IcsFileText.parse(readText(file));
            boolean changed = false;
            if (name != null) {
                changed |= text.setCalendarProperty("X-WR-CALNAME", escapeText(name), true);
            }
            if (color != null) {
                changed |= text.setCalendarProperty("X-APPLE-CALENDAR-COLOR", color, false);
                changed |= text.setCalendarProperty("COLOR", color, false);
            }
            if (changed) {
                writeAtomically(file, text.text());
                reread.addAll(reread(source, file));
                written++;
            }
        }
        LOG.info("Source '{}': calendar {}{} ({} file(s) rewritten)", source.name(),
                name == null ? "" : "renamed to '" + name + "'", color == null ? "" : " colour " + color, written);
        return new Applied("calendar of source '" + source.name() + "'" + (name == null ? "" : " renamed to '" + name
                + "'") + (color == null ? "" : " colour " + color) + ", " + written + " file(s) rewritten", reread);
    }

    /** The calendar name recorded for the source (a rename from the master), or null. */
    String calendarName(String source) {
        JsonNode meta = state.read(tx -> tx.calendarMetadata(source));
        return meta != null && meta.hasNonNull("name") && !meta.get("name").asText().isBlank()
                ? meta.get("name").asText() : null;
    }

    /** RFC 5545 TEXT escaping. */
    static String escapeText(String v) {
        return v.replace("\\", "\\\\").replace(";", "\\;").replace(",", "\\,").replace("\r\n", "\\n")
                .replace("\n", "\\n");
    }


    // ------------------------------------------------------------------ writing

    /**
     * Writes {@code target} atomically and keeps what the user set on it: the text goes to a hidden temp file in
     * the same folder (created with the process's umask, like any new file, not 0600), which takes the original's
     * POSIX permissions, owner and group where allowed, and is then moved over the original.
     */
    private void writeAtomically(Path target, String text) throws UpdateFailedException {
        Path dir = target.toAbsolutePath().getParent();
        Path tmp = dir.resolve("." + target.getFileName() + "." + java.util.UUID.randomUUID() + ".tmp");
        try {
            Files.writeString(tmp, text, StandardCharsets.UTF_8, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE);
            keepAttributes(target, tmp);
            try {
                Files.move(tmp, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
            } catch (AtomicMoveNotSupportedException e) {
                Files.move(tmp, target, StandardCopyOption.REPLACE_EXISTING);
            }
        } catch (IOException e) {
            throw new UpdateFailedException("cannot write " + target + ": " + e.getMessage(), false, e);
        } finally {
            try {
                Files.deleteIfExists(tmp);
            } catch (IOException e) {
                LOG.warn("Cannot remove temporary file {}: {}", tmp, e.getMessage());
            }
        }
    }

    private static void keepAttributes(Path original, Path tmp) {
        PosixFileAttributes a;
        try {
            a = Files.readAttributes(original, PosixFileAttributes.class);
        } catch (NoSuchFileException | UnsupportedOperationException e) {
            return; // a new file, or no POSIX file system
        } catch (IOException e) {
            LOG.warn("Cannot read the attributes of {} ({}); the rewritten file has default ones", original, e.getMessage());
            return;
        }
        try {
            Files.setPosixFilePermissions(tmp, a.permissions());
        } catch (IOException | UnsupportedOperationException e) {
            LOG.warn("Cannot keep the permissions of {} ({})", original, e.getMessage());
        }
        try {
            PosixFileAttributeView view = Files.getFileAttributeView(tmp, PosixFileAttributeView.class);
            PosixFileAttributes now = view.readAttributes();
            if (!now.owner().equals(a.owner())) {
                view.setOwner(a.owner());
            }
            if (!now.group().equals(a.group())) {
                view.setGroup(a.group());
            }
        } catch (IOException | UnsupportedOperationException e) {
            LOG.debug("Cannot keep owner/group of {} ({})", original, e.getMessage());
        }
    }

    /** {@code <first 32 hex of SHA-256(uid)>.ics}: a safe, stable file name for an event created by the master. */
    public static String newFileName(String uid) {
        return sha256(uid.getBytes(StandardCharsets.UTF_8)).substring(0, 32) + ".ics";
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
