package io.chronoroute.agent.source.ews;

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
import io.chronoroute.processors.sync.SyncKey;
import io.chronoroute.providers.common.DestinationException;
import io.chronoroute.providers.ews.EwsClient;
import io.chronoroute.providers.ews.EwsException;
import io.chronoroute.providers.ews.EwsSettings;
import io.chronoroute.providers.ews.EwsXml;
import org.apache.camel.Header;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.stereotype.Component;
import org.w3c.dom.Element;

import java.io.IOException;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneId;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The logic of the {@code ews-source} route template: calendars of an Exchange on-premises mailbox read through EWS
 * (SOAP) and, when {@code allowEventUpdates}, written back. One timer route per source calls {@link #register},
 * {@link #poll}, {@code direct:agent-collect}, then {@link #commit}. Uses the same {@link EwsClient} (Basic, NTLM,
 * bearer; {@link EwsSettings}) and item mapping ({@link EwsEventReader}, {@link EwsXml}) as the master's EWS
 * destination.
 * <ul>
 *   <li><b>Calendars:</b> the default calendar, or the calendar folders named in {@code calendars} (display names,
 *       comma separated; {@code *} = every calendar folder of the mailbox), found with FindFolder below
 *       {@code msgfolderroot}. Resolved once per configuration (and again after a failed read).</li>
 *   <li><b>Delta:</b> SyncFolderItems per calendar (IdOnly: ids and change keys only), from the SyncState persisted
 *       in the agent's state per calendar; only the items it reports as created or updated are fetched with GetItem,
 *       in batches, and a series' modified occurrences (exception items) with it. A restart resumes from the
 *       persisted state; a state Exchange no longer accepts ({@code ErrorInvalidSyncStateData}) starts a full read
 *       of that calendar, after which the items the agent holds that Exchange no longer listed are removed. The
 *       state advances only after the collector committed ({@link #committed}).</li>
 *   <li><b>One "file" per item:</b> {@code <calendar key>/<ItemId>} holds a single event, or a series master with
 *       its exceptions (RECURRENCE-ID from OriginalStart) and deleted occurrences (EXDATE), so the collector diffs
 *       per item; a {@code t:Delete} is the file's removal. Windows zone names become IANA zones.</li>
 *   <li><b>Never "everything deleted" by accident:</b> an unreachable server, an HTTP error, a SOAP fault or an
 *       answer that is no XML is a failed read: nothing is returned (no removal), the state stays, the error is the
 *       source's {@code lastError}.</li>
 *   <li><b>Write-back</b> ({@link #applyEventUpdate}): CreateItem ({@code SendMeetingInvitations="SendToNone"}, the
 *       master's UID kept), UpdateItem with the item's ChangeKey ({@code ConflictResolution="NeverOverwrite"},
 *       {@code SendToNone}; only the fields the model carries are set, the rest of the item stays; the Recurrence
 *       only when the rule changed, so a series keeps its exceptions), DeleteItem ({@code SendToNone}); an override
 *       is written to its exception item or occurrence. A {@code base_hash} other than the item's current hash is
 *       refused; a stale ChangeKey ({@code ErrorIrresolvableConflict}) is re-read: changed since → refused
 *       permanently, else retried once.</li>
 *   <li><b>Rename</b> ({@link #renameCalendar}): UpdateFolder DisplayName. EWS has no calendar colour.</li>
 *   <li><b>Secrets:</b> password and token come from placeholders; they are never logged ({@link EwsSettings}
 *       prints them as {@code <set>}) and removed from the exchange right after {@link #register}.</li>
 * </ul>
 */
@Component("ewsCalendarSource")
public class EwsCalendarSource implements CalendarSource {

    public static final String PROVIDER = "ews";
    public static final String HEADER_SOURCE = "ChronorouteSource";
    public static final String HEADER_URL = "ChronorouteUrl";
    public static final String HEADER_USERNAME = "ChronorouteUsername";
    public static final String HEADER_PASSWORD = "ChronoroutePassword";
    public static final String HEADER_TOKEN = "ChronorouteBearerToken";
    public static final String HEADER_AUTH = "ChronorouteAuth";
    public static final String HEADER_DOMAIN = "ChronorouteDomain";
    public static final String HEADER_CALENDARS = "ChronorouteCalendars";
    public static final String HEADER_TIME_ZONE = "ChronorouteTimeZone";
    public static final String HEADER_ALLOW_UPDATES = "ChronorouteAllowEventUpdates";
    public static final String HEADER_TIMEOUT = "ChronorouteTimeout";
    static final String META = "ews.";
    /** GetItem ids per request. */
    static final int GET_BATCH = 100;
    static final int SYNC_PAGE = 512;

    private static final Logger LOG = LoggerFactory.getLogger(EwsCalendarSource.class);
    private static final String SHAPE = "<m:ItemShape><t:BaseShape>AllProperties</t:BaseShape>"
            + "<t:AdditionalProperties><t:FieldURI FieldURI=\"calendar:UID\"/></t:AdditionalProperties></m:ItemShape>";

    private final AgentState state;
    private final SourceRegistry registry;
    private final AgentProperties props;
    private final Clock clock;
    private final Map<String, Runtime> runtimes = new ConcurrentHashMap<>();
    /** Test hook: runs once right before the next UpdateItem (to provoke a stale ChangeKey). */
    volatile Runnable beforeUpdate;

    public EwsCalendarSource(AgentState state, SourceRegistry registry, AgentProperties props, Clock agentClock) {
        this.state = state;
        this.registry = registry;
        this.props = props;
        this.clock = agentClock;
        registry.addKind(this);
    }

    /** A source's configuration; the secrets sit in {@link EwsSettings}, whose toString hides them. */
    record Settings(String source, EwsSettings ews, List<String> calendars, ZoneId zone, boolean allowEventUpdates) {
    }

    /** One calendar folder of the source: its FolderId, display name and the key its files start with. */
    record Calendar(String folderId, String name, String key) {
    }

    /** Per source: settings, client, resolved calendars, the outcome of the last poll. One timer thread uses it. */
    static final class Runtime {
        final Settings settings;
        final EwsClient client;
        volatile List<Calendar> calendars;
        volatile String error;
        /** Per calendar key: the SyncState of the last successful read, to persist once collected. */
        Map<String, String> pending = new LinkedHashMap<>();

        Runtime(Settings settings) {
            this.settings = settings;
            this.client = new EwsClient(settings.ews(), write -> { });
        }
    }

    // ------------------------------------------------------------------ route steps

    /** Records the source's configuration (every poll; cheap; a changed configuration gets a new client). */
    public void register(@Header(HEADER_SOURCE) String source, @Header(HEADER_URL) String url,
                         @Header(HEADER_USERNAME) String username, @Header(HEADER_PASSWORD) String password,
                         @Header(HEADER_TOKEN) String bearerToken, @Header(HEADER_AUTH) String auth,
                         @Header(HEADER_DOMAIN) String domain, @Header(HEADER_CALENDARS) String calendars,
                         @Header(HEADER_TIME_ZONE) String timeZone,
                         @Header(HEADER_ALLOW_UPDATES) boolean allowEventUpdates,
                         @Header(HEADER_TIMEOUT) Long timeoutMillis) {
        Settings s = settings(source, url, username, password, bearerToken, auth, domain, calendars, timeZone,
                allowEventUpdates, timeoutMillis);
        registry.register(new SourceConfig(source, null, s.zone(), allowEventUpdates, PROVIDER));
        runtimes.compute(source, (k, old) -> {
            if (old != null && old.settings.equals(s)) {
                return old;
            }
            LOG.info("Source '{}': EWS {} ({} auth), calendars {}, event updates from the master {}", source,
                    s.ews().url(), s.ews().auth().name().toLowerCase(Locale.ROOT),
                    s.calendars().isEmpty() ? "[default]" : s.calendars(),
                    allowEventUpdates ? "allowed" : "not allowed");
            return new Runtime(s);
        });
    }

    static Settings settings(String source, String url, String username, String password, String bearerToken,
                             String auth, String domain, String calendars, String timeZone,
                             boolean allowEventUpdates, Long timeoutMillis) {
        if (blank(url)) {
            throw new IllegalArgumentException("source '" + source + "': no url");
        }
        EwsSettings.Auth a = blank(auth) ? null : EwsSettings.Auth.valueOf(auth.strip().toUpperCase(Locale.ROOT));
        Duration timeout = Duration.ofMillis(timeoutMillis == null || timeoutMillis <= 0 ? 30_000 : timeoutMillis);
        EwsSettings ews = new EwsSettings(url.strip(), blank(username) ? null : username.strip(),
                blank(password) ? null : password, blank(bearerToken) ? null : bearerToken.strip(), null, null, null,
                timeout, a, blank(domain) ? null : domain.strip(), null);
        List<String> names = new ArrayList<>();
        if (!blank(calendars)) {
            for (String n : calendars.split(",")) {
                if (!n.isBlank()) {
                    names.add(n.strip());
                }
            }
        }
        ZoneId zone = blank(timeZone) ? null : ZoneId.of(timeZone.strip());
        return new Settings(source, ews, List.copyOf(names), zone, allowEventUpdates);
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
        rt.pending = new LinkedHashMap<>();
        List<ChangeBatch> out = new ArrayList<>();
        Map<String, String> pending = new LinkedHashMap<>();
        try {
            for (Calendar cal : calendars(rt)) {
                out.addAll(readCalendar(rt, source, cal, pending));
            }
        } catch (Exception e) {
            rt.calendars = null; // resolved again next time (a renamed or removed folder)
            String reason = "EWS " + rt.settings.ews().url() + " cannot be read: " + describe(e);
            if (!reason.equals(rt.error)) {
                LOG.warn("Source '{}': {}. Its events are kept (not taken as deleted); read again on the next poll",
                        source.name(), reason);
            }
            rt.error = reason;
            return List.of();
        }
        rt.pending = pending;
        if (rt.error != null) {
            LOG.info("Source '{}': EWS is read again after: {}", source.name(), rt.error);
            rt.error = null;
        }
        registry.markRead(source.name(), clock.instant());
        return out;
    }

    /** SyncFolderItems from the persisted state (full when none or invalid), then GetItem of what changed. */
    private List<ChangeBatch> readCalendar(Runtime rt, SourceConfig source, Calendar cal, Map<String, String> pending)
            throws Exception {
        String metaKey = META + source.name() + "." + cal.key() + ".sync-state";
        String persisted = state.read(tx -> tx.meta(metaKey));
        String syncState = persisted;
        boolean full = persisted == null;
        Set<String> changed = new LinkedHashSet<>();
        Set<String> deleted = new LinkedHashSet<>();
        while (true) {
            Element msg;
            try {
                msg = EwsClient.check(rt.client.call("<m:SyncFolderItems><m:ItemShape><t:BaseShape>IdOnly"
                        + "</t:BaseShape></m:ItemShape><m:SyncFolderId>" + folderXml(cal) + "</m:SyncFolderId>"
                        + (syncState == null ? "" : "<m:SyncState>" + EwsXml.esc(syncState) + "</m:SyncState>")
                        + "<m:MaxChangesReturned>" + SYNC_PAGE + "</m:MaxChangesReturned></m:SyncFolderItems>",
                        false).get(0));
            } catch (EwsException e) {
                if ("ErrorInvalidSyncStateData".equals(e.code()) && syncState != null && !full) {
                    LOG.warn("Source '{}', calendar '{}': Exchange no longer accepts the persisted sync state; "
                            + "reading the calendar in full", source.name(), cal.name());
                    syncState = null;
                    full = true;
                    changed.clear();
                    deleted.clear();
                    continue;
                }
                throw e;
            }
            syncState = EwsClient.textOf(EwsClient.firstLocal(msg, "SyncState")).trim();
            for (Element ch : EwsClient.children(EwsClient.firstLocal(msg, "Changes"), null)) {
                Element id = EwsClient.firstLocal(ch, "ItemId");
                if (id == null) {
                    continue;
                }
                String itemId = id.getAttribute("Id");
                if ("Delete".equals(ch.getLocalName())) {
                    changed.remove(itemId);
                    deleted.add(itemId);
                } else if ("Create".equals(ch.getLocalName()) || "Update".equals(ch.getLocalName())) {
                    if (EwsClient.child(ch, "CalendarItem") != null) {
                        deleted.remove(itemId);
                        changed.add(itemId);
                    }
                }
            }
            if (!"false".equals(EwsClient.textOf(EwsClient.firstLocal(msg, "IncludesLastItemInRange")).trim())) {
                break;
            }
        }
        List<ChangeBatch> out = new ArrayList<>();
        List<String> ids = new ArrayList<>(changed);
        Set<String> present = new LinkedHashSet<>();
        for (int i = 0; i < ids.size(); i += GET_BATCH) {
            for (ItemRead r : readItems(rt, source, cal, ids.subList(i, Math.min(ids.size(), i + GET_BATCH)))) {
                present.add(r.itemId());
                out.add(r.batch());
            }
        }
        for (String id : deleted) {
            out.add(ChangeBatch.removed(source.name(), fileOf(cal, id)));
        }
        if (full) {
            // a full read lists every item: what the agent holds beyond it is gone from Exchange
            String prefix = cal.key() + "/";
            Set<String> listed = new LinkedHashSet<>();
            changed.forEach(id -> listed.add(fileOf(cal, id)));
            for (String file : state.read(tx -> tx.filesOf(source.name())).keySet()) {
                if (file.startsWith(prefix) && !listed.contains(file)) {
                    out.add(ChangeBatch.removed(source.name(), file));
                }
            }
        }
        pending.put(metaKey, syncState);
        LOG.debug("Source '{}', calendar '{}': {} changed, {} deleted item(s){}", source.name(), cal.name(),
                present.size(), deleted.size(), full ? " (full read)" : "");
        return out;
    }

    /** What one item (single, or master with its exceptions) reads as. */
    record ItemRead(String itemId, ChangeBatch batch, List<CalendarEvent> events, EwsXml.Item item) {
    }

    /** GetItem of masters/singles, then of the exceptions of the series among them; one batch per item. */
    private List<ItemRead> readItems(Runtime rt, SourceConfig source, Calendar cal, List<String> ids) throws Exception {
        List<Element> items = getItems(rt, ids);
        List<String> exceptionIds = new ArrayList<>();
        for (Element ci : items) {
            for (Element o : EwsClient.children(EwsClient.child(ci, "ModifiedOccurrences"), "Occurrence")) {
                exceptionIds.add(EwsClient.child(o, "ItemId").getAttribute("Id"));
            }
        }
        Map<String, Element> exceptions = new LinkedHashMap<>();
        for (int i = 0; i < exceptionIds.size(); i += GET_BATCH) {
            for (Element ci : getItems(rt, exceptionIds.subList(i, Math.min(exceptionIds.size(), i + GET_BATCH)))) {
                exceptions.put(EwsClient.child(ci, "ItemId").getAttribute("Id"), ci);
            }
        }
        List<ItemRead> out = new ArrayList<>();
        EwsItemMapper mapper = new EwsItemMapper(props.id(), source.name(), calendarId(source, rt, cal), cal.name(),
                rt.settings.zone());
        for (Element ci : items) {
            EwsXml.Item item = EwsXml.item(ci, EwsSettings.DEFAULT_PROPERTY_SET);
            List<Element> own = new ArrayList<>();
            StringBuilder keys = new StringBuilder(item.changeKey() == null ? "" : item.changeKey());
            for (String[] m : item.modified()) {
                Element ex = exceptions.get(m[0]);
                if (ex != null) {
                    own.add(ex);
                    String ck = EwsClient.child(ex, "ItemId").getAttribute("ChangeKey");
                    keys.append('|').append(ck);
                }
            }
            String file = fileOf(cal, item.id());
            List<CalendarEvent> events = mapper.events(ci, own, file);
            ChangeBatch.Fingerprint fp = new ChangeBatch.Fingerprint(events.size(), lastModified(ci),
                    EwsXml.sha(keys.toString()));
            out.add(new ItemRead(item.id(), ChangeBatch.parsed(source.name(), file, fp, events), events, item));
        }
        return out;
    }

    /** GetItem; items gone in between are left out. */
    private static List<Element> getItems(Runtime rt, List<String> ids) throws Exception {
        if (ids.isEmpty()) {
            return List.of();
        }
        StringBuilder sb = new StringBuilder("<m:GetItem>").append(SHAPE).append("<m:ItemIds>");
        ids.forEach(i -> sb.append(EwsXml.itemId(i, null)));
        List<Element> out = new ArrayList<>();
        for (Element msg : rt.client.call(sb.append("</m:ItemIds></m:GetItem>").toString(), false)) {
            try {
                EwsClient.check(msg);
            } catch (EwsException e) {
                if ("ErrorItemNotFound".equals(e.code())) {
                    continue; // deleted since SyncFolderItems: its Delete comes with the next sync
                }
                throw e;
            }
            Element ci = EwsClient.firstLocal(msg, "CalendarItem");
            if (ci != null) {
                out.add(ci);
            }
        }
        return out;
    }

    private static long lastModified(Element ci) {
        String t = EwsClient.textOf(EwsClient.child(ci, "LastModifiedTime"));
        return t == null || t.isBlank() ? 0 : Instant.parse(t.trim()).toEpochMilli();
    }

    /** The calendars of the source: the default one, or those named; resolved once per configuration. */
    List<Calendar> calendars(Runtime rt) throws Exception {
        List<Calendar> known = rt.calendars;
        if (known != null) {
            return known;
        }
        List<Calendar> found = new ArrayList<>();
        List<String> wanted = rt.settings.calendars();
        if (wanted.isEmpty()) {
            Element msg = EwsClient.check(rt.client.call("<m:GetFolder><m:FolderShape><t:BaseShape>Default"
                    + "</t:BaseShape></m:FolderShape><m:FolderIds><t:DistinguishedFolderId Id=\"calendar\"/>"
                    + "</m:FolderIds></m:GetFolder>", false).get(0));
            Element f = EwsClient.firstLocal(msg, "CalendarFolder");
            String id = EwsClient.firstLocal(f, "FolderId").getAttribute("Id");
            found.add(new Calendar(id, EwsClient.textOf(EwsClient.firstLocal(f, "DisplayName")), key(id)));
        } else {
            List<FolderInfo> all = findCalendars(rt.client);
            for (String name : wanted) {
                boolean any = false;
                for (FolderInfo f : all) {
                    if ("*".equals(name) || f.name().equalsIgnoreCase(name)) {
                        if (found.stream().noneMatch(c -> c.folderId().equals(f.id()))) {
                            found.add(new Calendar(f.id(), f.name(), key(f.id())));
                        }
                        any = true;
                    }
                }
                if (!any) {
                    throw new IllegalStateException("the mailbox has no calendar named '" + name + "' (it has: "
                            + all.stream().map(FolderInfo::name).toList() + ")");
                }
            }
        }
        rt.calendars = List.copyOf(found);
        return rt.calendars;
    }

    /** A calendar folder as FindFolder lists it. */
    public record FolderInfo(String id, String name, int totalCount) {
    }

    /** Every calendar folder of the mailbox (FindFolder, Deep, below {@code msgfolderroot}). */
    public static List<FolderInfo> findCalendars(EwsClient client) throws Exception {
        Element msg = EwsClient.check(client.call("<m:FindFolder Traversal=\"Deep\"><m:FolderShape>"
                + "<t:BaseShape>Default</t:BaseShape><t:AdditionalProperties>"
                + "<t:FieldURI FieldURI=\"folder:FolderClass\"/></t:AdditionalProperties></m:FolderShape>"
                + "<m:ParentFolderIds><t:DistinguishedFolderId Id=\"msgfolderroot\"/></m:ParentFolderIds>"
                + "</m:FindFolder>", false).get(0));
        List<FolderInfo> out = new ArrayList<>();
        for (Element f : EwsClient.all(msg)) {
            String fc = EwsClient.textOf(EwsClient.child(f, "FolderClass"));
            if ("CalendarFolder".equals(f.getLocalName())
                    || "Folder".equals(f.getLocalName()) && fc != null && fc.startsWith("IPF.Appointment")) {
                String total = EwsClient.textOf(EwsClient.child(f, "TotalCount"));
                out.add(new FolderInfo(EwsClient.child(f, "FolderId").getAttribute("Id"),
                        EwsClient.textOf(EwsClient.child(f, "DisplayName")),
                        total == null || total.isBlank() ? -1 : Integer.parseInt(total.trim())));
            }
        }
        return out;
    }

    /** The collector stored the last read: the sync states become the cursor, confirmed now. */
    @Override
    public void committed(SourceConfig source) {
        Runtime rt = runtimes.get(source.name());
        if (rt == null || rt.pending.isEmpty()) {
            return;
        }
        Map<String, String> p = rt.pending;
        rt.pending = new LinkedHashMap<>();
        state.write(tx -> {
            p.forEach(tx::putMeta);
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
        EwsWriter writer = new EwsWriter(this, rt, source, base);
        try {
            return switch (action == null ? "" : action) {
                case "create", "update" -> writer.upsert(event.withOrigin(null), "create".equals(action),
                        event.origin());
                case "delete" -> writer.delete(event.withOrigin(null));
                default -> throw new UpdateFailedException("unknown event_update action '" + action + "'", true);
            };
        } catch (UpdateFailedException e) {
            throw e;
        } catch (DestinationException e) {
            throw new UpdateFailedException("event " + event.uid() + " cannot be written to Exchange: "
                    + e.getMessage(), true, e);
        } catch (EwsException e) {
            boolean permanent = !"ErrorServerBusy".equals(e.code()) && !e.code().startsWith("HTTP5")
                    && !"ErrorInternalServerError".equals(e.code()) && !"ErrorTimeoutExpired".equals(e.code());
            throw new UpdateFailedException("EWS refused the write of " + event.uid() + ": " + e.code()
                    + (e.getMessage() == null ? "" : " " + e.getMessage()), permanent, e);
        } catch (IOException e) {
            throw new UpdateFailedException("EWS " + rt.settings.ews().url() + " cannot be reached: "
                    + describe(e), false, e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new UpdateFailedException("interrupted", false, e);
        } catch (Exception e) {
            throw new UpdateFailedException("the write of " + event.uid() + " to EWS failed: " + describe(e), false,
                    e);
        }
    }

    /**
     * UpdateFolder DisplayName of the source's calendar the master names (by the id its events report); a colour
     * cannot be set: EWS has no calendar colour (said in the outcome, or
     * the refusal when only a colour was asked).
     */
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
            throw new UpdateFailedException("EWS has no calendar colour: the colour of source '" + source.name()
                    + "' cannot be changed in Exchange", true);
        }
        try {
            List<Calendar> cals = calendars(rt);
            Calendar cal = cals.stream().filter(c -> calendarId(source, rt, c).equals(calendarId)).findFirst()
                    .orElseThrow(() -> new UpdateFailedException("source '" + source.name() + "' has no calendar '"
                            + calendarId + "'", true));
            EwsClient.check(rt.client.call("<m:UpdateFolder><m:FolderChanges><t:FolderChange>" + folderXml(cal)
                    + "<t:Updates><t:SetFolderField><t:FieldURI FieldURI=\"folder:DisplayName\"/><t:CalendarFolder>"
                    + EwsXml.el("DisplayName", name) + "</t:CalendarFolder></t:SetFolderField></t:Updates>"
                    + "</t:FolderChange></m:FolderChanges></m:UpdateFolder>", true).get(0));
            List<Calendar> renamed = new ArrayList<>(cals);
            renamed.set(cals.indexOf(cal), new Calendar(cal.folderId(), name, cal.key()));
            rt.calendars = List.copyOf(renamed);
            LOG.info("Source '{}': calendar '{}' renamed to '{}' in Exchange", source.name(), cal.name(), name);
            return new Applied("calendar '" + cal.name() + "' of source '" + source.name() + "' renamed to '" + name
                    + "' in Exchange" + (color == null ? "" : "; colour " + color + " not set: EWS has no calendar "
                    + "colour"), List.of());
        } catch (UpdateFailedException e) {
            throw e;
        } catch (EwsException e) {
            throw new UpdateFailedException("EWS refused the rename: " + e.code(), !e.code().startsWith("HTTP5")
                    && !"ErrorServerBusy".equals(e.code()), e);
        } catch (Exception e) {
            throw new UpdateFailedException("EWS cannot be reached for the rename: " + describe(e), false, e);
        }
    }

    // ------------------------------------------------------------------ helpers shared with the writer

    Runtime runtime(String source) {
        return runtimes.get(source);
    }

    AgentState agentState() {
        return state;
    }

    String agentId() {
        return props.id();
    }

    /** Re-reads one item as the collector's batch (null when it is gone). */
    ItemRead reread(Runtime rt, SourceConfig source, Calendar cal, String itemId) throws Exception {
        List<ItemRead> l = readItems(rt, source, cal, List.of(itemId));
        return l.isEmpty() ? null : l.get(0);
    }

    /** The file and calendar that hold the event with this UID (series or single), from the state's index. */
    record Held(Calendar calendar, String itemId, String file) {
    }

    Held held(Runtime rt, SourceConfig source, String uid) throws Exception {
        String key = new SyncKey(props.id(), source.name(), uid, null).value();
        Map<String, FileEntry> files = state.read(tx -> tx.filesOf(source.name()));
        for (Map.Entry<String, FileEntry> e : files.entrySet()) {
            if (e.getValue().keys().contains(key)) {
                String file = e.getKey();
                int slash = file.indexOf('/');
                String calKey = file.substring(0, slash);
                for (Calendar c : calendars(rt)) {
                    if (c.key().equals(calKey)) {
                        return new Held(c, file.substring(slash + 1), file);
                    }
                }
            }
        }
        return null;
    }

    static String folderXml(Calendar cal) {
        return "<t:FolderId Id=\"" + EwsXml.esc(cal.folderId()) + "\"/>";
    }

    static String fileOf(Calendar cal, String itemId) {
        return cal.key() + "/" + itemId;
    }

    /**
     * The calendar id events report: the source name for a one-calendar source, else source/key (the key is derived
     * from the folder id, so it survives a rename of the calendar, unlike its name).
     */
    static String calendarId(SourceConfig source, Runtime rt, Calendar cal) {
        List<Calendar> all = rt.calendars;
        return all == null || all.size() <= 1 ? source.name() : source.name() + "/" + cal.key();
    }

    private static String key(String folderId) {
        return EwsXml.sha(folderId).substring(0, 12);
    }

    static String describe(Exception e) {
        if (e instanceof EwsException x) {
            return x.code() + (x.getMessage() == null ? "" : " (" + x.getMessage() + ")");
        }
        if (e instanceof org.xml.sax.SAXException) {
            return "the answer is not valid XML";
        }
        return e.getClass().getSimpleName() + (e.getMessage() == null ? "" : " " + e.getMessage());
    }

    static boolean blank(String s) {
        return s == null || s.isBlank();
    }

    static Instant occurrence(EventTime t, ZoneId zone) {
        ZoneId z = zone == null ? ZoneOffset.UTC : zone;
        return t.isDate() ? t.date().atStartOfDay(z).toInstant() : t.toInstant(z);
    }

    static boolean sameHash(CalendarEvent current, String baseHash) {
        return Objects.equals(ChangeCollector.hashOnTheWire(current), baseHash);
    }
}
