package io.chronoroute.testsupport.ews;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import io.chronoroute.testsupport.RequestJournal;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.SecureRandom;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.LocalDateTime;
import java.time.OffsetDateTime;
import java.time.ZoneId;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.time.format.DateTimeParseException;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import javax.xml.XMLConstants;
import javax.xml.parsers.DocumentBuilder;
import javax.xml.parsers.DocumentBuilderFactory;
import javax.xml.parsers.ParserConfigurationException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.w3c.dom.Attr;
import org.w3c.dom.Document;
import org.w3c.dom.Element;
import org.w3c.dom.NamedNodeMap;
import org.w3c.dom.Node;
import org.xml.sax.SAXException;
import org.xml.sax.SAXParseException;

/**
 * A stateful in-JVM stand-in for Exchange Web Services (SOAP 1.1 at {@code /EWS/Exchange.asmx}). Every request body
 * is validated against Microsoft's EWS schema (bundled under {@code /ews-schema}); out-of-order or unknown elements
 * get the SOAP fault {@code ErrorSchemaValidation}, as Exchange answers. Implements CreateItem, UpdateItem (ChangeKey
 * conflicts per ConflictResolution; a new Recurrence drops a series' exceptions and deleted occurrences, a deleted
 * one makes the series a single item), DeleteItem, GetItem, FindItem (CalendarView expands recurrences) and
 * SyncFolderItems (server-side SyncState, MaxChangesReturned paging; {@link #expireSyncStates} makes every state
 * issued so far invalid, as a mailbox move or Exchange's state cleanup does), UpdateFolder (DisplayName), FindFolder
 * and GetFolder (calendar folders: the default {@code calendar} directly under {@code msgfolderroot}, those of
 * {@link #createFolder} under it, with DisplayName and TotalCount), edits made by a person ({@link #userEdit}, {@link #userDelete}), extended properties keyed by (property set,
 * name, type), Basic authentication and scripted {@code ErrorServerBusy} with {@code BackOffMilliseconds}.
 */
public final class FakeEwsServer implements AutoCloseable {

    public static final String PATH = "/EWS/Exchange.asmx";
    public static final String NS_SOAP = "http://schemas.xmlsoap.org/soap/envelope/";
    public static final String NS_MESSAGES = "http://schemas.microsoft.com/exchange/services/2006/messages";
    public static final String NS_TYPES = "http://schemas.microsoft.com/exchange/services/2006/types";
    static final String NS_ERRORS = "http://schemas.microsoft.com/exchange/services/2006/errors";
    static final Set<String> WRITE_OPERATIONS = Set.of("CreateItem", "UpdateItem", "DeleteItem");

    private static final Logger LOG = LoggerFactory.getLogger(FakeEwsServer.class);
    private static final DateTimeFormatter UTC = DateTimeFormatter.ofPattern("yyyy-MM-dd'T'HH:mm:ss'Z'")
            .withZone(ZoneOffset.UTC);
    /** Child order of t:CalendarItem (ItemType, then CalendarItemType) from types.xsd. */
    private static final List<String> ORDER = List.of("MimeContent", "ItemId", "ParentFolderId", "ItemClass",
            "Subject", "Sensitivity", "Body", "Attachments", "DateTimeReceived", "Size", "Categories", "Importance",
            "InReplyTo", "IsSubmitted", "IsDraft", "IsFromMe", "IsResend", "IsUnmodified", "InternetMessageHeaders",
            "DateTimeSent", "DateTimeCreated", "ResponseObjects", "ReminderDueBy", "ReminderIsSet",
            "ReminderNextTime", "ReminderMinutesBeforeStart", "DisplayCc", "DisplayTo", "DisplayBcc",
            "HasAttachments", "ExtendedProperty", "Culture", "EffectiveRights", "LastModifiedName",
            "LastModifiedTime", "IsAssociated", "WebClientReadFormQueryString", "WebClientEditFormQueryString",
            "ConversationId", "UniqueBody", "UID", "RecurrenceId", "DateTimeStamp", "Start", "End",
            "OriginalStart", "IsAllDayEvent", "LegacyFreeBusyStatus", "Location", "When", "IsMeeting",
            "IsCancelled", "IsRecurring", "MeetingRequestWasSent", "IsResponseRequested", "CalendarItemType",
            "MyResponseType", "Organizer", "RequiredAttendees", "OptionalAttendees", "Resources", "InboxReminders",
            "ConflictingMeetingCount", "AdjacentMeetingCount", "ConflictingMeetings", "AdjacentMeetings",
            "Duration", "TimeZone", "AppointmentReplyTime", "AppointmentSequenceNumber", "AppointmentState",
            "Recurrence", "FirstOccurrence", "LastOccurrence", "ModifiedOccurrences", "DeletedOccurrences",
            "MeetingTimeZone", "StartTimeZone", "EndTimeZone", "ConferenceType", "AllowNewTimeProposal",
            "IsOnlineMeeting", "MeetingWorkspaceUrl", "NetShowUrl", "EnhancedLocation", "StartWallClock",
            "EndWallClock", "StartTimeZoneId", "EndTimeZoneId", "IntendedFreeBusyStatus", "JoinOnlineMeetingUrl",
            "OnlineMeetingSettings", "IsOrganizer", "CalendarActivityData", "DoNotForwardMeeting");
    /** Fields computed by the server; a client value is not stored. */
    private static final Set<String> SERVER_FIELDS = Set.of("ItemId", "ParentFolderId", "DateTimeCreated",
            "LastModifiedTime", "IsRecurring", "CalendarItemType", "OriginalStart", "ModifiedOccurrences",
            "DeletedOccurrences", "FirstOccurrence", "LastOccurrence", "ExtendedProperty");
    /** Master fields an occurrence does not carry. */
    private static final Set<String> SERIES_ONLY = Set.of("Recurrence", "ModifiedOccurrences", "DeletedOccurrences",
            "FirstOccurrence", "LastOccurrence");

    private final Clock clock;
    private final String user;
    private final String password;
    private final boolean ntlm;
    private final String ntlmDomain;
    /**
     * NTLM state per TCP connection. The JDK HttpServer does not expose the connection behind an HttpExchange, so
     * the key is the client's address and port, which identifies one TCP connection while it is open (a kept-alive
     * client reuses it; a new connection gets a new ephemeral port). A port reused after a close could inherit a
     * stale state: acceptable for a test fake.
     */
    private final Map<InetSocketAddress, NtlmServer> ntlmConnections = new HashMap<>();
    private long ntlmHandshakes;
    private long ntlmFailures;
    private final RequestJournal journal = new RequestJournal();
    private final SecureRandom random = new SecureRandom();
    private final Document storeDoc;
    private final Map<String, String> folders = new LinkedHashMap<>();
    private final Map<String, Item> items = new LinkedHashMap<>();
    private final Map<String, Long> tombstones = new HashMap<>();
    private final Map<String, String> tombstoneFolders = new HashMap<>();
    private final Map<String, SyncState> syncStates = new HashMap<>();
    private final List<Long> busyScript = new ArrayList<>();
    private final String calendarFolderId;
    private long changeCounter;
    private long responseBytes;
    private HttpServer server;
    private ExecutorService executor;

    private static final class Item {
        final String id;
        final String folderId;
        int version = 1;
        long seq;
        Map<String, Element> fields = new LinkedHashMap<>();
        Map<String, Element> ext = new LinkedHashMap<>();
        Map<String, Integer> changedAt = new HashMap<>();
        String masterId;
        Instant originalStart;
        final Set<Instant> deletedOccurrences = new TreeSet<>();
        final Map<Instant, String> exceptions = new TreeMap<>();
        Instant created;
        Instant modified;

        Item(String id, String folderId) {
            this.id = id;
            this.folderId = folderId;
        }

        boolean master() {
            return fields.containsKey("Recurrence");
        }
    }

    private record SyncState(String folderId, Map<String, Integer> known) {
    }

    /** An item as the client sees it: a stored item or a generated occurrence of a master. */
    private record View(Item item, Item master, String id, String changeKey, Instant start, Instant end,
            Instant originalStart, String type) {
    }

    /** Builder for non-default settings. */
    public static final class Builder {
        private Clock clock = Clock.systemUTC();
        private String user;
        private String password;
        private String ntlmDomain;
        private boolean ntlm;

        public Builder clock(Clock value) {
            this.clock = value;
            return this;
        }

        /** Require HTTP Basic authentication with these credentials (401 otherwise). */
        public Builder credentials(String basicUser, String basicPassword) {
            this.user = basicUser;
            this.password = basicPassword;
            return this;
        }

        /**
         * Require NTLM (NTLMv2 responses only) with these credentials instead of Basic: an unauthenticated request
         * gets 401 {@code WWW-Authenticate: NTLM}, a NEGOTIATE gets a CHALLENGE, a valid AUTHENTICATE authenticates
         * the TCP connection (IIS behaviour: later requests on it need no header), see {@link NtlmServer}.
         */
        public Builder ntlm(String domain, String ntlmUser, String ntlmPassword) {
            this.ntlm = true;
            this.ntlmDomain = domain;
            this.user = ntlmUser;
            this.password = ntlmPassword;
            return this;
        }

        public FakeEwsServer build() {
            return new FakeEwsServer(this);
        }
    }

    public FakeEwsServer() {
        this(new Builder());
    }

    private FakeEwsServer(Builder b) {
        this.clock = b.clock;
        this.user = b.user;
        this.password = b.password;
        this.ntlm = b.ntlm;
        this.ntlmDomain = b.ntlmDomain;
        try {
            this.storeDoc = newBuilder().newDocument();
        } catch (ParserConfigurationException e) {
            throw new IllegalStateException(e);
        }
        this.calendarFolderId = newId("folder");
        folders.put(calendarFolderId, "calendar");
    }

    public static Builder builder() {
        return new Builder();
    }

    // ---------------------------------------------------------------- lifecycle and knobs

    /** Binds 127.0.0.1 on a random port; the EWS schema is compiled on first start (about a second). */
    public synchronized FakeEwsServer start() {
        if (server != null) {
            return this;
        }
        EwsSchema.schema();
        try {
            server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 64);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot bind the fake EWS server", e);
        }
        executor = Executors.newFixedThreadPool(4, r -> {
            Thread t = new Thread(r, "fake-ews");
            t.setDaemon(true);
            return t;
        });
        server.setExecutor(executor);
        server.createContext(PATH, this::handle);
        server.start();
        LOG.info("fake EWS at {}", url());
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

    /** The service URL, {@code http://127.0.0.1:PORT/EWS/Exchange.asmx}. */
    public synchronized String url() {
        if (server == null) {
            throw new IllegalStateException("not started");
        }
        return "http://127.0.0.1:" + server.getAddress().getPort() + PATH;
    }

    /** The next {@code n} requests get the SOAP fault ErrorServerBusy with this BackOffMilliseconds (omitted if < 0). */
    public synchronized void serverBusyNext(int n, long backOffMillis) {
        for (int i = 0; i < n; i++) {
            busyScript.add(backOffMillis);
        }
    }

    /** Creates a calendar folder (not journaled) and returns its FolderId. */
    public synchronized String createFolder(String displayName) {
        String id = newId("folder");
        folders.put(id, displayName);
        return id;
    }

    /** FolderId of the distinguished folder {@code calendar}. */
    public String calendarFolderId() {
        return calendarFolderId;
    }

    /** Ids of the single and master items currently in the folder. */
    public synchronized List<String> itemIds(String folderId) {
        return items.values().stream().filter(i -> i.masterId == null && i.folderId.equals(folderId))
                .map(i -> i.id).toList();
    }

    /** Text of a stored field (e.g. Subject, Start), or null. */
    public synchronized String field(String itemId, String localName) {
        Item i = items.get(itemId);
        Element e = i == null ? null : i.fields.get(localName);
        return e == null ? null : e.getTextContent();
    }

    /** Value of a String extended property stored on an item, or null. */
    public synchronized String extendedProperty(String itemId, String propertySetId, String propertyName,
            String propertyType) {
        Item i = items.get(itemId);
        if (i == null) {
            return null;
        }
        Element e = i.ext.get(normalizeGuid(propertySetId) + "|" + propertyName + "|" + propertyType);
        return e == null ? null : EwsRecurrence.text(e, "Value");
    }

    /** One occurrence of a series as a calendar view shows it: generated, or an exception (modified occurrence). */
    public record Occurrence(Instant originalStart, Instant start, Instant end, String subject, boolean exception) {
    }

    /**
     * The occurrences of series {@code masterId} starting before {@code horizon}, deleted ones left out, in order
     * of their original start; empty when there is no such series.
     */
    public synchronized List<Occurrence> occurrences(String masterId, Instant horizon) {
        Item m = items.get(masterId);
        if (m == null || !m.master()) {
            return List.of();
        }
        List<Occurrence> out = new ArrayList<>();
        for (View v : occurrences(m, horizon)) {
            Map<String, Element> f = v.item() != null ? v.item().fields : m.fields;
            Element subject = f.get("Subject");
            out.add(new Occurrence(v.originalStart(), v.start(), v.end(),
                    subject == null ? null : subject.getTextContent(), "Exception".equals(v.type())));
        }
        return out;
    }

    /** Original starts of the deleted occurrences of series {@code masterId} (DeletedOccurrences). */
    public synchronized List<Instant> deletedOccurrences(String masterId) {
        Item m = items.get(masterId);
        return m == null ? List.of() : List.copyOf(m.deletedOccurrences);
    }

    public RequestJournal journal() {
        return journal;
    }

    /** SOAP requests answered (including 401s and faults). */
    public long totalRequests() {
        return journal.size();
    }

    /** CreateItem, UpdateItem and DeleteItem requests, whatever their outcome. */
    public long writeCalls() {
        return journal.count(e -> WRITE_OPERATIONS.contains(e.operation()));
    }

    /** Bytes of the SOAP answers sent so far (bodies only; 401s and HTTP errors without body count 0). */
    public synchronized long responseBytes() {
        return responseBytes;
    }

    /**
     * Every SyncState issued so far becomes invalid: the next SyncFolderItems with one of them gets
     * {@code ErrorInvalidSyncStateData}, as after a mailbox move or when Exchange dropped old states.
     */
    public synchronized void expireSyncStates() {
        syncStates.clear();
    }

    public long count(String operation) {
        return journal.count(e -> operation.equals(e.operation()));
    }

    // ---------------------------------------------------------------- HTTP and SOAP

    private void handle(HttpExchange ex) throws IOException {
        try (ex) {
            byte[] raw = ex.getRequestBody().readAllBytes();
            String body = new String(raw, StandardCharsets.UTF_8);
            String query = ex.getRequestURI().getRawQuery();
            if (!"POST".equalsIgnoreCase(ex.getRequestMethod())) {
                journal.add(entry(ex, query, "unknown", 405, body));
                ex.sendResponseHeaders(405, -1);
                return;
            }
            if (ntlm) {
                if (!ntlmAuthorized(ex, query, body)) {
                    return;
                }
            } else if (!authorized(ex.getRequestHeaders().getFirst("Authorization"))) {
                journal.add(entry(ex, query, "unauthorized", 401, body));
                ex.getResponseHeaders().set("WWW-Authenticate", "Basic realm=\"fake-ews\"");
                ex.sendResponseHeaders(401, -1);
                return;
            }
            String op = "unknown";
            int status;
            String response;
            try {
                Document doc = parse(raw);
                Element operation = operationElement(doc);
                op = operation.getLocalName();
                response = process(doc, operation);
                status = 200;
            } catch (SoapFault f) {
                response = f.xml;
                status = 500;
            }
            journal.add(entry(ex, query, op, status, body));
            byte[] out = response.getBytes(StandardCharsets.UTF_8);
            synchronized (this) {
                responseBytes += out.length;
            }
            ex.getResponseHeaders().set("Content-Type", "text/xml; charset=utf-8");
            ex.sendResponseHeaders(status, out.length);
            ex.getResponseBody().write(out);
        } catch (RuntimeException e) {
            LOG.error("fake EWS failed", e);
            ex.sendResponseHeaders(500, -1);
        }
    }

    private RequestJournal.Entry entry(HttpExchange ex, String query, String op, int status, String body) {
        return new RequestJournal.Entry(clock.instant(), ex.getRequestMethod(), ex.getRequestURI().getRawPath(),
                query, op, status, body);
    }

    /** NTLM handshakes started (CHALLENGE messages sent). */
    public synchronized long ntlmHandshakes() {
        return ntlmHandshakes;
    }

    /** AUTHENTICATE messages refused. */
    public synchronized long ntlmFailures() {
        return ntlmFailures;
    }

    /** Runs the NTLM handshake; false when the exchange was answered with a 401 (already sent). */
    private boolean ntlmAuthorized(HttpExchange ex, String query, String body) throws IOException {
        InetSocketAddress remote = ex.getRemoteAddress();
        String header = ex.getRequestHeaders().getFirst("Authorization");
        String challenge = null;
        synchronized (this) {
            NtlmServer conn = ntlmConnections.get(remote);
            if (header == null && conn != null && conn.authenticated()) {
                return true;
            }
            if (header != null && header.regionMatches(true, 0, "NTLM ", 0, 5)) {
                byte[] token = NtlmServer.decode(header.substring(5));
                int type = NtlmServer.type(token);
                if (type == 1) {
                    conn = new NtlmServer(ntlmDomain, user, password, clock, random);
                    ntlmConnections.put(remote, conn);
                    challenge = "NTLM " + Base64.getEncoder().encodeToString(conn.challenge());
                    ntlmHandshakes++;
                } else if (type == 3 && conn != null) {
                    if (conn.verify(token)) {
                        return true;
                    }
                    ntlmFailures++;
                    LOG.info("fake EWS: NTLM AUTHENTICATE refused: {}", conn.lastFailure());
                    ntlmConnections.remove(remote);
                } else {
                    ntlmConnections.remove(remote);
                }
            }
        }
        journal.add(entry(ex, query, "unauthorized", 401, body));
        ex.getResponseHeaders().set("WWW-Authenticate", challenge == null ? "NTLM" : challenge);
        ex.sendResponseHeaders(401, -1);
        return false;
    }

    private boolean authorized(String header) {
        if (user == null) {
            return true;
        }
        if (header == null || !header.regionMatches(true, 0, "Basic ", 0, 6)) {
            return false;
        }
        String decoded;
        try {
            decoded = new String(Base64.getDecoder().decode(header.substring(6).trim()), StandardCharsets.UTF_8);
        } catch (IllegalArgumentException e) {
            return false;
        }
        byte[] expected = (user + ":" + password).getBytes(StandardCharsets.UTF_8);
        return MessageDigest.isEqual(expected, decoded.getBytes(StandardCharsets.UTF_8));
    }

    private static final class SoapFault extends RuntimeException {
        final String xml;

        SoapFault(String xml) {
            super(null, null, false, false);
            this.xml = xml;
        }
    }

    private static DocumentBuilder newBuilder() throws ParserConfigurationException {
        DocumentBuilderFactory f = DocumentBuilderFactory.newInstance();
        f.setNamespaceAware(true);
        f.setFeature("http://apache.org/xml/features/disallow-doctype-decl", true);
        f.setFeature(XMLConstants.FEATURE_SECURE_PROCESSING, true);
        f.setXIncludeAware(false);
        f.setExpandEntityReferences(false);
        return f.newDocumentBuilder();
    }

    private static Document parse(byte[] raw) {
        try {
            DocumentBuilder b = newBuilder();
            b.setErrorHandler(null);
            return b.parse(new ByteArrayInputStream(raw));
        } catch (SAXParseException e) {
            throw schemaFault("The request is not well-formed XML: " + e.getMessage(), e.getLineNumber(),
                    e.getColumnNumber());
        } catch (SAXException | IOException | ParserConfigurationException e) {
            throw schemaFault("The request is not well-formed XML: " + e.getMessage(), 0, 0);
        }
    }

    /** Checks the envelope, validates header entries and the operation against the EWS schema. */
    private static Element operationElement(Document doc) {
        Element env = doc.getDocumentElement();
        if (!NS_SOAP.equals(env.getNamespaceURI()) || !"Envelope".equals(env.getLocalName())) {
            throw schemaFault("The root element must be soap:Envelope (SOAP 1.1).", 1, 1);
        }
        Element header = null;
        Element body = null;
        for (Element c : children(env)) {
            if (NS_SOAP.equals(c.getNamespaceURI()) && "Header".equals(c.getLocalName()) && body == null) {
                header = c;
            } else if (NS_SOAP.equals(c.getNamespaceURI()) && "Body".equals(c.getLocalName()) && body == null) {
                body = c;
            } else {
                throw schemaFault("Unexpected element " + c.getNodeName() + " in soap:Envelope.", 1, 1);
            }
        }
        if (body == null || children(body).size() != 1) {
            throw schemaFault("soap:Body must contain exactly one EWS operation.", 1, 1);
        }
        if (header != null) {
            for (Element h : children(header)) {
                if (NS_TYPES.equals(h.getNamespaceURI())) {
                    SAXParseException e = EwsSchema.validate(h);
                    if (e != null) {
                        throw schemaFault(e.getMessage(), e.getLineNumber(), e.getColumnNumber());
                    }
                }
            }
        }
        Element op = children(body).get(0);
        if (!NS_MESSAGES.equals(op.getNamespaceURI())) {
            throw schemaFault("The operation element must be in namespace " + NS_MESSAGES + ".", 1, 1);
        }
        SAXParseException e = EwsSchema.validate(op);
        if (e != null) {
            throw schemaFault(e.getMessage(), e.getLineNumber(), e.getColumnNumber());
        }
        return op;
    }

    private synchronized String process(Document doc, Element op) {
        if (!busyScript.isEmpty()) {
            long backOff = busyScript.remove(0);
            throw fault("ErrorServerBusy", "The server cannot service this request right now. Try again later.",
                    backOff >= 0 ? "<t:Value Name=\"BackOffMilliseconds\">" + backOff + "</t:Value>" : "");
        }
        ZoneId contextZone = contextZone(doc);
        StringBuilder sb = new StringBuilder();
        switch (op.getLocalName()) {
            case "CreateItem" -> createItem(op, contextZone, sb);
            case "UpdateItem" -> updateItem(op, contextZone, sb);
            case "DeleteItem" -> deleteItem(op, sb);
            case "GetItem" -> getItem(op, sb);
            case "FindItem" -> findItem(op, sb);
            case "SyncFolderItems" -> syncFolderItems(op, sb);
            case "UpdateFolder" -> updateFolder(op, sb);
            case "FindFolder" -> findFolder(op, sb);
            case "GetFolder" -> getFolder(op, sb);
            default -> throw fault("ErrorInvalidRequest",
                    "The fake EWS server does not implement " + op.getLocalName() + ".", "");
        }
        return envelope(op.getLocalName() + "Response", sb.toString());
    }

    private static ZoneId contextZone(Document doc) {
        for (Element env : children(doc.getDocumentElement())) {
            if ("Header".equals(env.getLocalName())) {
                for (Element h : children(env)) {
                    if ("TimeZoneContext".equals(h.getLocalName())) {
                        Element def = child(h, "TimeZoneDefinition");
                        if (def != null) {
                            return WindowsZones.toZone(attr(def, "Id"));
                        }
                    }
                }
            }
        }
        return ZoneOffset.UTC;
    }

    // ---------------------------------------------------------------- operations

    private void createItem(Element op, ZoneId contextZone, StringBuilder sb) {
        String send = attr(op, "SendMeetingInvitations");
        String folderId = calendarFolderId;
        Element saved = child(op, "SavedItemFolderId");
        List<String> messages = new ArrayList<>();
        String folderError = null;
        if (saved != null) {
            try {
                folderId = folder(children(saved).get(0));
            } catch (EwsFault f) {
                folderError = f.getMessage();
            }
        }
        for (Element in : children(child(op, "Items"))) {
            StringBuilder m = new StringBuilder();
            try {
                if (folderError != null) {
                    throw new EwsFault("ErrorFolderNotFound", folderError);
                }
                if (!"CalendarItem".equals(in.getLocalName())) {
                    throw new EwsFault("ErrorInvalidItemForOperationCreateItem",
                            "The fake EWS server only creates calendar items.");
                }
                if (send == null) {
                    throw new EwsFault("ErrorSendMeetingInvitationsRequired",
                            "SendMeetingInvitations attribute is required for Calendar items.");
                }
                Item item = new Item(newId("item"), folderId);
                for (Element f : children(in)) {
                    Element copy = (Element) storeDoc.importNode(f, true);
                    if ("ExtendedProperty".equals(f.getLocalName())) {
                        item.ext.put(extKey(child(f, "ExtendedFieldURI")), copy);
                    } else if (!SERVER_FIELDS.contains(f.getLocalName())) {
                        item.fields.put(f.getLocalName(), copy);
                    }
                }
                if (!item.fields.containsKey("ItemClass")) {
                    item.fields.put("ItemClass", textElement("ItemClass", "IPM.Appointment"));
                }
                if (!item.fields.containsKey("UID")) {
                    item.fields.put("UID", textElement("UID", "040000008200E00074C5B7101A82E008" + hex(16)));
                }
                normalizeTimes(item.fields, contextZone);
                if (item.master()) {
                    expand(item, item.fields, Instant.now(clock).plus(Duration.ofDays(1)));
                }
                Instant now = clock.instant();
                item.created = now;
                item.modified = now;
                item.seq = ++changeCounter;
                items.put(item.id, item);
                m.append("<m:Items><t:CalendarItem>").append(itemIdXml(item.id, changeKey(item)))
                        .append("</t:CalendarItem></m:Items>");
                messages.add(success("CreateItemResponseMessage", m.toString()));
            } catch (EwsFault f) {
                messages.add(error("CreateItemResponseMessage", f, "<m:Items/>"));
            }
        }
        sb.append("<m:ResponseMessages>").append(String.join("", messages)).append("</m:ResponseMessages>");
    }

    private void updateItem(Element op, ZoneId contextZone, StringBuilder sb) {
        String resolution = attr(op, "ConflictResolution");
        String send = attr(op, "SendMeetingInvitationsOrCancellations");
        sb.append("<m:ResponseMessages>");
        for (Element change : children(child(op, "ItemChanges"))) {
            try {
                if (send == null) {
                    throw new EwsFault("ErrorSendMeetingInvitationsOrCancellationsRequired",
                            "SendMeetingInvitationsOrCancellations attribute is required for Calendar items.");
                }
                Element idEl = children(change).get(0);
                View target = resolve(idEl);
                Item item = target.item();
                String givenKey = attr(idEl, "ChangeKey");
                List<Element> updates = children(child(change, "Updates"));
                Map<String, Element> fields = new LinkedHashMap<>(item == null ? occurrenceFields(target)
                        : item.fields);
                Map<String, Element> ext = new LinkedHashMap<>(item == null ? target.master().ext : item.ext);
                List<String> touched = new ArrayList<>();
                for (Element u : updates) {
                    applyUpdate(u, fields, ext, touched);
                }
                if (item != null) {
                    checkConflict(item, givenKey, resolution, touched);
                } else {
                    checkConflict(target.master(), givenKey, resolution, List.of());
                }
                normalizeTimes(fields, contextZone);
                if (fields.containsKey("Recurrence")) {
                    if (item == null || item.masterId != null) {
                        throw new EwsFault("ErrorCalendarCannotUseIdForRecurringMasterId",
                                "Recurrence can only be set on a single item or a recurring master.");
                    }
                    expand(item, fields, clock.instant().plus(Duration.ofDays(1)));
                    if (touched.contains("Recurrence") && item.master()) {
                        // like Exchange: (re)setting the pattern of a series drops its exceptions
                        dropSeries(item);
                        touched.add("ModifiedOccurrences");
                        touched.add("DeletedOccurrences");
                    }
                } else if (item != null && item.master() && touched.contains("Recurrence")) {
                    // like Exchange: deleting the pattern makes the series a single appointment, its modified and
                    // deleted occurrences gone
                    dropSeries(item);
                    touched.add("ModifiedOccurrences");
                    touched.add("DeletedOccurrences");
                }
                if (item == null) {
                    item = materializeException(target, fields, ext);
                } else {
                    item.fields = fields;
                    item.ext = ext;
                    bump(item, touched);
                }
                if (item.masterId != null) {
                    bump(items.get(item.masterId), List.of("ModifiedOccurrences"));
                }
                sb.append(success("UpdateItemResponseMessage", "<m:Items><t:CalendarItem>"
                        + itemIdXml(item.id, changeKey(item))
                        + "</t:CalendarItem></m:Items><m:ConflictResults><t:Count>0</t:Count></m:ConflictResults>"));
            } catch (EwsFault f) {
                sb.append(error("UpdateItemResponseMessage", f, "<m:Items/>"));
            }
        }
        sb.append("</m:ResponseMessages>");
    }

    private void checkConflict(Item item, String givenKey, String resolution, List<String> touched) {
        if (givenKey == null) {
            if ("NeverOverwrite".equals(resolution)) {
                throw new EwsFault("ErrorChangeKeyRequiredForWriteOperations",
                        "When making a write request, the ChangeKey is required.");
            }
            return;
        }
        int given = changeKeyVersion(item, givenKey);
        if (given == item.version || "AlwaysOverwrite".equals(resolution)) {
            return;
        }
        boolean overlap = touched.stream().anyMatch(k -> item.changedAt.getOrDefault(k, 0) > given);
        if ("NeverOverwrite".equals(resolution) || overlap) {
            throw new EwsFault("ErrorIrresolvableConflict",
                    "The send or update operation could not be performed because the change key passed in the "
                            + "request does not match the current change key for the item.");
        }
    }

    private void applyUpdate(Element u, Map<String, Element> fields, Map<String, Element> ext, List<String> touched) {
        Element path = children(u).get(0);
        String name = u.getLocalName();
        if ("DeleteItemField".equals(name)) {
            if ("ExtendedFieldURI".equals(path.getLocalName())) {
                String key = extKey(path);
                ext.remove(key);
                touched.add(key);
            } else {
                String field = fieldName(path);
                fields.remove(field);
                touched.add(field);
            }
            return;
        }
        Element holder = children(u).size() > 1 ? children(u).get(1) : null;
        List<Element> values = holder == null ? List.of() : children(holder);
        if (values.isEmpty()) {
            throw new EwsFault("ErrorIncorrectUpdatePropertyCount",
                    "An object within a change description must contain one and only one property to modify.");
        }
        Element value = values.get(0);
        if ("ExtendedProperty".equals(value.getLocalName())) {
            String key = extKey(child(value, "ExtendedFieldURI"));
            ext.put(key, (Element) storeDoc.importNode(value, true));
            touched.add(key);
            return;
        }
        if (!"ExtendedFieldURI".equals(path.getLocalName()) && !value.getLocalName().equals(fieldName(path))) {
            throw new EwsFault("ErrorInvalidPropertyRequest",
                    "The property " + fieldName(path) + " does not match the element " + value.getLocalName() + ".");
        }
        if (SERVER_FIELDS.contains(value.getLocalName())) {
            throw new EwsFault("ErrorInvalidPropertySet", "Property " + value.getLocalName() + " is read-only.");
        }
        if ("AppendToItemField".equals(name) && fields.containsKey(value.getLocalName())) {
            Element merged = (Element) fields.get(value.getLocalName()).cloneNode(true);
            for (Node n = value.getFirstChild(); n != null; n = n.getNextSibling()) {
                merged.appendChild(storeDoc.importNode(n, true));
            }
            fields.put(value.getLocalName(), merged);
        } else {
            fields.put(value.getLocalName(), (Element) storeDoc.importNode(value, true));
        }
        touched.add(value.getLocalName());
    }

    private void deleteItem(Element op, StringBuilder sb) {
        String send = attr(op, "SendMeetingCancellations");
        sb.append("<m:ResponseMessages>");
        for (Element idEl : children(child(op, "ItemIds"))) {
            try {
                if (send == null) {
                    throw new EwsFault("ErrorSendMeetingCancellationsRequired",
                            "SendMeetingCancellations attribute is required for Calendar items.");
                }
                View v = resolve(idEl);
                Instant now = clock.instant();
                if (v.item() == null || v.item().masterId != null) {
                    Item master = v.master();
                    master.deletedOccurrences.add(v.originalStart());
                    String exceptionId = master.exceptions.remove(v.originalStart());
                    if (exceptionId != null) {
                        items.remove(exceptionId);
                    }
                    bump(master, List.of("DeletedOccurrences"));
                } else {
                    Item item = v.item();
                    items.remove(item.id);
                    item.exceptions.values().forEach(items::remove);
                    tombstones.put(item.id, ++changeCounter);
                    tombstoneFolders.put(item.id, item.folderId);
                    item.modified = now;
                }
                sb.append(success("DeleteItemResponseMessage", ""));
            } catch (EwsFault f) {
                sb.append(error("DeleteItemResponseMessage", f, ""));
            }
        }
        sb.append("</m:ResponseMessages>");
    }

    private void getItem(Element op, StringBuilder sb) {
        Shape shape = shape(child(op, "ItemShape"));
        sb.append("<m:ResponseMessages>");
        for (Element idEl : children(child(op, "ItemIds"))) {
            try {
                View v = resolve(idEl);
                sb.append(success("GetItemResponseMessage", "<m:Items>" + itemXml(v, shape) + "</m:Items>"));
            } catch (EwsFault f) {
                sb.append(error("GetItemResponseMessage", f, "<m:Items/>"));
            }
        }
        sb.append("</m:ResponseMessages>");
    }

    private void findItem(Element op, StringBuilder sb) {
        Shape shape = shape(child(op, "ItemShape"));
        Element view = null;
        for (Element c : children(op)) {
            if (c.getLocalName().endsWith("View")) {
                view = c;
            }
        }
        try {
            Element parents = child(op, "ParentFolderIds");
            Set<String> folderIds = new HashSet<>();
            for (Element f : children(parents)) {
                folderIds.add(folder(f));
            }
            List<View> found = new ArrayList<>();
            int max = view != null && attr(view, "MaxEntriesReturned") != null
                    ? Integer.parseInt(attr(view, "MaxEntriesReturned")) : Integer.MAX_VALUE;
            int offset = 0;
            if (view != null && "CalendarView".equals(view.getLocalName())) {
                if (child(op, "Restriction") != null) {
                    throw new EwsFault("ErrorInvalidRestriction", "Restrictions are not allowed with CalendarView.");
                }
                Instant from = parseInstant(attr(view, "StartDate"), ZoneOffset.UTC);
                Instant to = parseInstant(attr(view, "EndDate"), ZoneOffset.UTC);
                if (!to.isAfter(from)) {
                    throw new EwsFault("ErrorCalendarEndDateIsEarlierThanStartDate",
                            "EndDate is earlier than StartDate");
                }
                for (Item i : items.values()) {
                    if (i.masterId != null || !folderIds.contains(i.folderId)) {
                        continue;
                    }
                    if (i.master()) {
                        for (View occ : occurrences(i, to)) {
                            if (occ.start().isBefore(to) && occ.end().isAfter(from)) {
                                found.add(occ);
                            }
                        }
                    } else {
                        View s = single(i);
                        if (s.start().isBefore(to) && (s.end().isAfter(from) || s.start().equals(from))) {
                            found.add(s);
                        }
                    }
                }
                found.sort(Comparator.comparing(View::start).thenComparing(View::id));
            } else {
                if (view != null && attr(view, "Offset") != null) {
                    offset = Integer.parseInt(attr(view, "Offset"));
                }
                for (Item i : items.values()) {
                    if (i.masterId == null && folderIds.contains(i.folderId)) {
                        found.add(single(i));
                    }
                }
            }
            int total = found.size();
            int first = Math.min(offset, total);
            List<View> page = found.subList(first, (int) Math.min(total, (long) first + max));
            boolean last = offset + page.size() >= total;
            StringBuilder m = new StringBuilder("<m:RootFolder TotalItemsInView=\"").append(total).append('"');
            if (view == null || !"CalendarView".equals(view.getLocalName())) {
                m.append(" IndexedPagingOffset=\"").append(offset + page.size()).append('"');
            }
            m.append(" IncludesLastItemInRange=\"").append(last).append("\"><t:Items>");
            for (View v : page) {
                m.append(itemXml(v, shape));
            }
            m.append("</t:Items></m:RootFolder>");
            sb.append("<m:ResponseMessages>").append(success("FindItemResponseMessage", m.toString()))
                    .append("</m:ResponseMessages>");
        } catch (EwsFault f) {
            sb.append("<m:ResponseMessages>").append(error("FindItemResponseMessage", f, ""))
                    .append("</m:ResponseMessages>");
        }
    }

    private void syncFolderItems(Element op, StringBuilder sb) {
        Shape shape = shape(child(op, "ItemShape"));
        try {
            String folderId = folder(children(child(op, "SyncFolderId")).get(0));
            String token = EwsRecurrence.text(op, "SyncState");
            Map<String, Integer> known;
            if (token == null || token.isBlank()) {
                known = new HashMap<>();
            } else {
                SyncState st = syncStates.get(token.trim());
                if (st == null || !st.folderId().equals(folderId)) {
                    throw new EwsFault("ErrorInvalidSyncStateData", "Synchronization state data is corrupt or "
                            + "otherwise invalid.");
                }
                known = new HashMap<>(st.known());
            }
            Set<String> ignore = new HashSet<>();
            Element ig = child(op, "Ignore");
            if (ig != null) {
                for (Element id : children(ig)) {
                    ignore.add(attr(id, "Id"));
                }
            }
            int max = Integer.parseInt(EwsRecurrence.text(op, "MaxChangesReturned").trim());
            record Change(String kind, String id, long seq) {
            }
            List<Change> changes = new ArrayList<>();
            for (Item i : items.values()) {
                if (i.masterId != null || !i.folderId.equals(folderId) || ignore.contains(i.id)) {
                    continue;
                }
                Integer seen = known.get(i.id);
                if (seen == null) {
                    changes.add(new Change("Create", i.id, i.seq));
                } else if (seen < i.version) {
                    changes.add(new Change("Update", i.id, i.seq));
                }
            }
            for (String id : known.keySet()) {
                if (!items.containsKey(id) && !ignore.contains(id)) {
                    changes.add(new Change("Delete", id, tombstones.getOrDefault(id, 0L)));
                }
            }
            changes.sort(Comparator.comparingLong(Change::seq).thenComparing(Change::id));
            List<Change> page = changes.subList(0, Math.min(max, changes.size()));
            StringBuilder c = new StringBuilder("<m:Changes>");
            for (Change ch : page) {
                if ("Delete".equals(ch.kind())) {
                    known.remove(ch.id());
                    c.append("<t:Delete>").append(itemIdXml(ch.id(), null)).append("</t:Delete>");
                } else {
                    Item i = items.get(ch.id());
                    known.put(i.id, i.version);
                    c.append("<t:").append(ch.kind()).append('>').append(itemXml(single(i), shape)).append("</t:")
                            .append(ch.kind()).append('>');
                }
            }
            c.append("</m:Changes>");
            String next = newId("sync");
            syncStates.put(next, new SyncState(folderId, known));
            sb.append("<m:ResponseMessages>").append(success("SyncFolderItemsResponseMessage",
                    "<m:SyncState>" + next + "</m:SyncState><m:IncludesLastItemInRange>"
                            + (page.size() == changes.size()) + "</m:IncludesLastItemInRange>" + c))
                    .append("</m:ResponseMessages>");
        } catch (EwsFault f) {
            sb.append("<m:ResponseMessages>").append(error("SyncFolderItemsResponseMessage", f, ""))
                    .append("</m:ResponseMessages>");
        }
    }

    /** UpdateFolder: SetFolderField of {@code folder:DisplayName} (the only folder property the fake keeps). */
    private void updateFolder(Element op, StringBuilder sb) {
        sb.append("<m:ResponseMessages>");
        for (Element change : children(child(op, "FolderChanges"))) {
            try {
                String folderId = folder(children(change).get(0));
                String name = folders.get(folderId);
                for (Element u : children(child(change, "Updates"))) {
                    Element path = children(u).get(0);
                    if (!"folder:DisplayName".equals(attr(path, "FieldURI"))) {
                        throw new EwsFault("ErrorInvalidPropertyRequest",
                                "The fake EWS server only updates folder:DisplayName.");
                    }
                    if (!"SetFolderField".equals(u.getLocalName())) {
                        throw new EwsFault("ErrorInvalidPropertyDelete", "DisplayName cannot be deleted.");
                    }
                    Element holder = children(u).size() > 1 ? children(u).get(1) : null;
                    Element value = holder == null ? null : child(holder, "DisplayName");
                    if (value == null || value.getTextContent().isBlank()) {
                        throw new EwsFault("ErrorInvalidPropertySet", "The folder name cannot be empty.");
                    }
                    name = value.getTextContent();
                }
                folders.put(folderId, name);
                sb.append(success("UpdateFolderResponseMessage", "<m:Folders><t:CalendarFolder><t:FolderId Id=\""
                        + esc(folderId) + "\" ChangeKey=\"AQAAAA==\"/></t:CalendarFolder></m:Folders>"));
            } catch (EwsFault f) {
                sb.append(error("UpdateFolderResponseMessage", f, "<m:Folders/>"));
            }
        }
        sb.append("</m:ResponseMessages>");
    }

    /**
     * FindFolder: the calendar folders below the parent. The default calendar sits directly under
     * {@code msgfolderroot}, the folders of {@link #createFolder} under the default calendar (where Outlook puts
     * "other calendars"): Shallow lists the direct children, Deep all descendants. Answered as
     * {@code t:CalendarFolder} with FolderId, ParentFolderId, FolderClass, DisplayName, TotalCount (single items and
     * series) and ChildFolderCount.
     */
    private void findFolder(Element op, StringBuilder sb) {
        boolean deep = "Deep".equals(attr(op, "Traversal"));
        try {
            List<String> found = new ArrayList<>();
            for (Element p : children(child(op, "ParentFolderIds"))) {
                String parent;
                if ("DistinguishedFolderId".equals(p.getLocalName()) && "msgfolderroot".equals(attr(p, "Id"))) {
                    parent = null;
                } else {
                    parent = folder(p);
                }
                if (parent == null) {
                    found.add(calendarFolderId);
                    if (deep) {
                        found.addAll(otherFolders());
                    }
                } else if (parent.equals(calendarFolderId)) {
                    found.addAll(otherFolders());
                }
            }
            StringBuilder m = new StringBuilder("<m:RootFolder TotalItemsInView=\"").append(found.size())
                    .append("\" IncludesLastItemInRange=\"true\"><t:Folders>");
            for (String id : found) {
                m.append(folderXml(id));
            }
            m.append("</t:Folders></m:RootFolder>");
            sb.append("<m:ResponseMessages>").append(success("FindFolderResponseMessage", m.toString()))
                    .append("</m:ResponseMessages>");
        } catch (EwsFault f) {
            sb.append("<m:ResponseMessages>").append(error("FindFolderResponseMessage", f, ""))
                    .append("</m:ResponseMessages>");
        }
    }

    /** GetFolder of calendar folders (by FolderId or the distinguished {@code calendar}). */
    private void getFolder(Element op, StringBuilder sb) {
        sb.append("<m:ResponseMessages>");
        for (Element id : children(child(op, "FolderIds"))) {
            try {
                sb.append(success("GetFolderResponseMessage", "<m:Folders>" + folderXml(folder(id)) + "</m:Folders>"));
            } catch (EwsFault f) {
                sb.append(error("GetFolderResponseMessage", f, ""));
            }
        }
        sb.append("</m:ResponseMessages>");
    }

    private List<String> otherFolders() {
        return folders.keySet().stream().filter(id -> !id.equals(calendarFolderId)).toList();
    }

    private String folderXml(String id) {
        long total = items.values().stream().filter(i -> i.masterId == null && i.folderId.equals(id)).count();
        boolean isDefault = id.equals(calendarFolderId);
        return "<t:CalendarFolder><t:FolderId Id=\"" + esc(id) + "\" ChangeKey=\"AgAAAA==\"/>"
                + "<t:ParentFolderId Id=\"" + (isDefault ? "msgfolderroot" : esc(calendarFolderId))
                + "\" ChangeKey=\"AQAAAA==\"/>" + el("FolderClass", "IPF.Appointment")
                + el("DisplayName", folders.get(id)) + el("TotalCount", String.valueOf(total))
                + el("ChildFolderCount", String.valueOf(isDefault ? folders.size() - 1 : 0)) + "</t:CalendarFolder>";
    }

    // ---------------------------------------------------------------- edits made by a person

    /** DisplayName of a folder (as UpdateFolder left it), or null. */
    public synchronized String folderName(String folderId) {
        return folders.get(folderId);
    }

    /**
     * A person edits an item in Outlook/OWA: the field (local name, e.g. {@code Subject}, {@code Location},
     * {@code ReminderMinutesBeforeStart}) gets {@code text}. Like Exchange: a new ChangeKey and LastModifiedTime,
     * and SyncFolderItems reports the item (an exception: its series) as updated. Not journaled.
     */
    public synchronized void userEdit(String itemId, String field, String text) {
        Item i = items.get(itemId);
        if (i == null) {
            throw new IllegalArgumentException("no item " + itemId);
        }
        i.fields.put(field, textElement(field, text));
        bump(i, List.of(field));
        if (i.masterId != null) {
            bump(items.get(i.masterId), List.of("ModifiedOccurrences"));
        }
    }

    /**
     * A person changes one occurrence of a series ("this occurrence"): it becomes an exception (own ItemId, the
     * series' extended properties copied, as Exchange does) with the field set; the series gets a new ChangeKey
     * and is reported by SyncFolderItems. Returns the exception's ItemId. Not journaled.
     */
    public synchronized String userEditOccurrence(String masterId, Instant originalStart, String field, String text) {
        Item master = items.get(masterId);
        if (master == null || !master.master()) {
            throw new IllegalArgumentException("no series " + masterId);
        }
        String existing = master.exceptions.get(originalStart);
        if (existing != null) {
            userEdit(existing, field, text);
            return existing;
        }
        View occ = occurrences(master, originalStart.plusSeconds(1)).stream()
                .filter(v -> originalStart.equals(v.originalStart())).findFirst()
                .orElseThrow(() -> new IllegalArgumentException("no occurrence at " + originalStart));
        Map<String, Element> fields = occurrenceFields(occ);
        fields.put(field, textElement(field, text));
        Item e = materializeException(occ, fields, new LinkedHashMap<>(master.ext));
        bump(master, List.of("ModifiedOccurrences"));
        return e.id;
    }

    /**
     * A person creates a single appointment in Outlook/OWA in the calendar folder: Subject, Start, End (UTC),
     * busy, and the {@code uid} Outlook gives it; no extended property. Like Exchange: SyncFolderItems reports it
     * as created. Not journaled. Returns its ItemId.
     */
    public synchronized String userCreate(String subject, Instant start, Instant end, String uid) {
        return userCreate(calendarFolderId, subject, start, end, uid);
    }

    /** {@link #userCreate(String, Instant, Instant, String)} in another calendar folder. */
    public synchronized String userCreate(String folderId, String subject, Instant start, Instant end, String uid) {
        if (!folders.containsKey(folderId)) {
            throw new IllegalArgumentException("no folder " + folderId);
        }
        Item item = new Item(newId("item"), folderId);
        item.fields.put("ItemClass", textElement("ItemClass", "IPM.Appointment"));
        item.fields.put("Subject", textElement("Subject", subject));
        item.fields.put("UID", textElement("UID", uid));
        item.fields.put("Start", textElement("Start", UTC.format(start)));
        item.fields.put("End", textElement("End", UTC.format(end)));
        item.fields.put("LegacyFreeBusyStatus", textElement("LegacyFreeBusyStatus", "Busy"));
        Instant now = clock.instant();
        item.created = now;
        item.modified = now;
        item.seq = ++changeCounter;
        items.put(item.id, item);
        return item.id;
    }

    /**
     * A person deletes one occurrence of a series ("delete this occurrence"): it joins DeletedOccurrences (an
     * exception at that time is removed), the series gets a new ChangeKey and SyncFolderItems reports it updated.
     * Not journaled.
     */
    public synchronized void userDeleteOccurrence(String masterId, Instant originalStart) {
        Item master = items.get(masterId);
        if (master == null || !master.master()) {
            throw new IllegalArgumentException("no series " + masterId);
        }
        master.deletedOccurrences.add(originalStart);
        String exceptionId = master.exceptions.remove(originalStart);
        if (exceptionId != null) {
            items.remove(exceptionId);
        }
        bump(master, List.of("DeletedOccurrences"));
    }

    /** A person deletes a single item or a whole series: SyncFolderItems reports a Delete. Not journaled. */
    public synchronized void userDelete(String itemId) {
        Item i = items.get(itemId);
        if (i == null || i.masterId != null) {
            throw new IllegalArgumentException("no single or master item " + itemId);
        }
        items.remove(itemId);
        i.exceptions.values().forEach(items::remove);
        tombstones.put(i.id, ++changeCounter);
        tombstoneFolders.put(i.id, i.folderId);
    }

    // ---------------------------------------------------------------- items, occurrences, ids

    private void bump(Item item, List<String> touched) {
        item.version++;
        item.seq = ++changeCounter;
        item.modified = clock.instant();
        for (String k : touched) {
            item.changedAt.put(k, item.version);
        }
    }

    /** Drops the modified occurrences (exception items) and the deleted occurrences of a series. */
    private void dropSeries(Item master) {
        master.exceptions.values().forEach(items::remove);
        master.exceptions.clear();
        master.deletedOccurrences.clear();
    }

    private Item materializeException(View occ, Map<String, Element> fields, Map<String, Element> ext) {
        Item master = occ.master();
        Item e = new Item(newId("item"), master.folderId);
        e.fields = fields;
        e.ext = ext;
        e.masterId = master.id;
        e.originalStart = occ.originalStart();
        e.created = clock.instant();
        e.modified = e.created;
        e.seq = ++changeCounter;
        items.put(e.id, e);
        master.exceptions.put(occ.originalStart(), e.id);
        return e;
    }

    private Map<String, Element> occurrenceFields(View occ) {
        Map<String, Element> f = new LinkedHashMap<>();
        occ.master().fields.forEach((k, v) -> {
            if (!SERIES_ONLY.contains(k)) {
                f.put(k, (Element) v.cloneNode(true));
            }
        });
        f.put("Start", textElement("Start", UTC.format(occ.start())));
        f.put("End", textElement("End", UTC.format(occ.end())));
        return f;
    }

    private View single(Item i) {
        if (i.master()) {
            return new View(i, i, i.id, changeKey(i), start(i.fields), end(i.fields), null, "RecurringMaster");
        }
        if (i.masterId != null) {
            return new View(i, items.get(i.masterId), i.id, changeKey(i), start(i.fields), end(i.fields),
                    i.originalStart, "Exception");
        }
        return new View(i, null, i.id, changeKey(i), start(i.fields), end(i.fields), null, "Single");
    }

    /** Occurrences of a master starting before {@code horizon}: generated ones and exceptions, deletions left out. */
    private List<View> occurrences(Item master, Instant horizon) {
        List<View> out = new ArrayList<>();
        List<Instant> starts = expand(master, master.fields, horizon);
        Duration length = Duration.between(start(master.fields), end(master.fields));
        for (int idx = 0; idx < starts.size(); idx++) {
            Instant original = starts.get(idx);
            if (master.deletedOccurrences.contains(original)) {
                continue;
            }
            String exceptionId = master.exceptions.get(original);
            if (exceptionId != null) {
                out.add(single(items.get(exceptionId)));
            } else {
                out.add(new View(null, master, occurrenceId(master.id, idx + 1), changeKey(master), original,
                        original.plus(length), original, "Occurrence"));
            }
        }
        return out;
    }

    private List<Instant> expand(Item item, Map<String, Element> fields, Instant horizon) {
        ZoneId zone = zone(fields);
        Instant start = start(fields);
        LocalDateTime local = LocalDateTime.ofInstant(start, zone);
        List<Instant> out = new ArrayList<>();
        try {
            for (LocalDateTime occ : EwsRecurrence.expand(fields.get("Recurrence"), local.toLocalTime(), zone,
                    horizon)) {
                out.add(occ.atZone(zone).toInstant());
            }
        } catch (RuntimeException e) {
            if (e instanceof EwsFault f) {
                throw f;
            }
            throw new EwsFault("ErrorCalendarInvalidRecurrence", "Invalid recurrence: " + e.getMessage());
        }
        return out;
    }

    /** Resolves ItemId, OccurrenceItemId or RecurringMasterItemId to a view. */
    private View resolve(Element idEl) {
        switch (idEl.getLocalName()) {
            case "ItemId" -> {
                String id = attr(idEl, "Id");
                Item i = items.get(id);
                if (i != null) {
                    return single(i);
                }
                String[] occ = decodeOccurrenceId(id);
                if (occ != null) {
                    return occurrence(occ[0], Integer.parseInt(occ[1]));
                }
                throw new EwsFault("ErrorItemNotFound", "The specified object was not found in the store.");
            }
            case "OccurrenceItemId" -> {
                return occurrence(attr(idEl, "RecurringMasterId"), Integer.parseInt(attr(idEl, "InstanceIndex")));
            }
            case "RecurringMasterItemId" -> {
                String occurrenceId = attr(idEl, "OccurrenceId");
                Item i = items.get(occurrenceId);
                String[] occ = decodeOccurrenceId(occurrenceId);
                String masterId = i != null && i.masterId != null ? i.masterId : occ != null ? occ[0] : null;
                if (masterId == null || !items.containsKey(masterId)) {
                    throw new EwsFault("ErrorItemNotFound", "The specified object was not found in the store.");
                }
                return single(items.get(masterId));
            }
            default -> throw new EwsFault("ErrorInvalidIdMalformed", "Id is malformed.");
        }
    }

    private View occurrence(String masterId, int index) {
        Item master = items.get(masterId);
        if (master == null) {
            throw new EwsFault("ErrorItemNotFound", "The specified object was not found in the store.");
        }
        if (!master.master()) {
            throw new EwsFault("ErrorCalendarOccurrenceIndexIsOutOfRecurrenceRange",
                    "The item is not a recurring master.");
        }
        List<Instant> starts = expand(master, master.fields, Instant.MAX.minusSeconds(1));
        if (index < 1 || index > starts.size()) {
            throw new EwsFault("ErrorCalendarOccurrenceIndexIsOutOfRecurrenceRange",
                    "The occurrence index is out of the recurrence range.");
        }
        Instant original = starts.get(index - 1);
        if (master.deletedOccurrences.contains(original)) {
            throw new EwsFault("ErrorCalendarOccurrenceIsDeletedFromRecurrence",
                    "The occurrence has been deleted from the recurrence.");
        }
        String exceptionId = master.exceptions.get(original);
        if (exceptionId != null) {
            return single(items.get(exceptionId));
        }
        Duration length = Duration.between(start(master.fields), end(master.fields));
        return new View(null, master, occurrenceId(masterId, index), changeKey(master), original,
                original.plus(length), original, "Occurrence");
    }

    private static String occurrenceId(String masterId, int index) {
        return Base64.getEncoder().encodeToString(("occ|" + masterId + "|" + index).getBytes(StandardCharsets.UTF_8));
    }

    private static String[] decodeOccurrenceId(String id) {
        try {
            String s = new String(Base64.getDecoder().decode(id), StandardCharsets.UTF_8);
            if (s.startsWith("occ|")) {
                String[] p = s.split("\\|");
                return p.length == 3 ? new String[] {p[1], p[2]} : null;
            }
        } catch (IllegalArgumentException e) {
            return null;
        }
        return null;
    }

    private String folder(Element id) {
        String folderId;
        if ("DistinguishedFolderId".equals(id.getLocalName())) {
            if (!"calendar".equals(attr(id, "Id"))) {
                throw new EwsFault("ErrorFolderNotFound", "The specified folder could not be found in the store.");
            }
            folderId = calendarFolderId;
        } else {
            folderId = attr(id, "Id");
        }
        if (!folders.containsKey(folderId)) {
            throw new EwsFault("ErrorFolderNotFound", "The specified folder could not be found in the store.");
        }
        return folderId;
    }

    private static String changeKey(Item i) {
        return Base64.getEncoder().encodeToString(("ck|" + i.version + "|" + i.id.hashCode())
                .getBytes(StandardCharsets.UTF_8));
    }

    private static int changeKeyVersion(Item item, String key) {
        try {
            String[] p = new String(Base64.getDecoder().decode(key), StandardCharsets.UTF_8).split("\\|");
            if (p.length == 3 && "ck".equals(p[0]) && p[2].equals(String.valueOf(item.id.hashCode()))) {
                return Integer.parseInt(p[1]);
            }
        } catch (IllegalArgumentException e) {
            throw new EwsFault("ErrorInvalidChangeKey", "ChangeKey is invalid.");
        }
        throw new EwsFault("ErrorInvalidChangeKey", "ChangeKey is invalid.");
    }

    private String newId(String kind) {
        byte[] b = new byte[33];
        random.nextBytes(b);
        b[0] = 0;
        b[1] = (byte) ("folder".equals(kind) ? 1 : 3);
        return "AAMk" + Base64.getEncoder().encodeToString(b);
    }

    private String hex(int bytes) {
        byte[] b = new byte[bytes];
        random.nextBytes(b);
        StringBuilder sb = new StringBuilder();
        for (byte x : b) {
            sb.append(String.format("%02X", x));
        }
        return sb.toString();
    }

    // ---------------------------------------------------------------- times and extended properties

    private static ZoneId zone(Map<String, Element> fields) {
        Element stz = fields.get("StartTimeZone");
        if (stz != null && attr(stz, "Id") != null) {
            return WindowsZones.toZone(attr(stz, "Id"));
        }
        Element mtz = fields.get("MeetingTimeZone");
        if (mtz != null && attr(mtz, "TimeZoneName") != null) {
            return WindowsZones.toZone(attr(mtz, "TimeZoneName"));
        }
        return ZoneOffset.UTC;
    }

    /** Stores Start/End in UTC; local times are read in the item's StartTimeZone or the request's context. */
    private void normalizeTimes(Map<String, Element> fields, ZoneId contextZone) {
        ZoneId zone = fields.containsKey("StartTimeZone") || fields.containsKey("MeetingTimeZone") ? zone(fields)
                : contextZone;
        for (String k : List.of("Start", "End")) {
            Element e = fields.get(k);
            if (e != null) {
                fields.put(k, textElement(k, UTC.format(parseInstant(e.getTextContent(), zone))));
            }
        }
        if (!fields.containsKey("Start")) {
            Instant now = clock.instant().truncatedTo(ChronoUnit.HOURS).plus(Duration.ofHours(1));
            fields.put("Start", textElement("Start", UTC.format(now)));
        }
        if (!fields.containsKey("End")) {
            fields.put("End", textElement("End", UTC.format(start(fields).plus(Duration.ofMinutes(30)))));
        }
        if (end(fields).isBefore(start(fields))) {
            throw new EwsFault("ErrorCalendarEndDateIsEarlierThanStartDate", "EndDate is earlier than StartDate");
        }
    }

    private static Instant start(Map<String, Element> f) {
        return Instant.parse(f.get("Start").getTextContent().trim());
    }

    private static Instant end(Map<String, Element> f) {
        return Instant.parse(f.get("End").getTextContent().trim());
    }

    private static Instant parseInstant(String text, ZoneId zone) {
        String t = text.trim();
        try {
            if (t.endsWith("Z") || t.matches(".*[+-]\\d\\d:\\d\\d$")) {
                return OffsetDateTime.parse(t).toInstant();
            }
            return LocalDateTime.parse(t).atZone(zone).toInstant();
        } catch (DateTimeParseException e) {
            throw new EwsFault("ErrorInvalidRequest", "Invalid date-time " + t);
        }
    }

    /** (property set, name or id or tag, type) with the GUID lower-cased and unbraced. */
    private static String extKey(Element uri) {
        if (uri == null) {
            throw new EwsFault("ErrorInvalidExtendedProperty", "ExtendedFieldURI is missing.");
        }
        String set = attr(uri, "PropertySetId") != null ? normalizeGuid(attr(uri, "PropertySetId"))
                : attr(uri, "DistinguishedPropertySetId") != null ? "D:" + attr(uri, "DistinguishedPropertySetId")
                : "";
        String name = attr(uri, "PropertyName") != null ? attr(uri, "PropertyName")
                : attr(uri, "PropertyId") != null ? "#" + attr(uri, "PropertyId")
                : "tag:" + String.valueOf(attr(uri, "PropertyTag")).toLowerCase(Locale.ROOT);
        return set + "|" + name + "|" + attr(uri, "PropertyType");
    }

    private static String normalizeGuid(String guid) {
        return guid.trim().replace("{", "").replace("}", "").toLowerCase(Locale.ROOT);
    }

    // ---------------------------------------------------------------- response writing

    private record Shape(String base, Set<String> fields, Set<String> ext) {
    }

    private static Shape shape(Element itemShape) {
        Set<String> fields = new HashSet<>();
        Set<String> ext = new HashSet<>();
        String base = itemShape == null ? "Default" : EwsRecurrence.text(itemShape, "BaseShape").trim();
        Element add = itemShape == null ? null : child(itemShape, "AdditionalProperties");
        if (add != null) {
            for (Element p : children(add)) {
                if ("ExtendedFieldURI".equals(p.getLocalName())) {
                    ext.add(extKey(p));
                } else {
                    fields.add(fieldName(p));
                }
            }
        }
        return new Shape(base, fields, ext);
    }

    private static String fieldName(Element path) {
        String uri = attr(path, "FieldURI");
        if (uri == null) {
            throw new EwsFault("ErrorInvalidPropertyRequest", "Unsupported property path " + path.getLocalName());
        }
        String name = uri.substring(uri.indexOf(':') + 1);
        return name.isEmpty() ? uri : Character.toUpperCase(name.charAt(0)) + name.substring(1);
    }

    private String itemXml(View v, Shape shape) {
        Map<String, String> out = new HashMap<>();
        Map<String, Element> fields = v.item() != null ? v.item().fields : occurrenceFields(v);
        Map<String, Element> ext = v.item() != null ? v.item().ext : v.master().ext;
        boolean all = !"IdOnly".equals(shape.base());
        out.put("ItemId", itemIdXml(v.id(), v.changeKey()));
        if (all) {
            for (Map.Entry<String, Element> f : fields.entrySet()) {
                if (v.item() != null || !SERIES_ONLY.contains(f.getKey())) {
                    out.put(f.getKey(), write(f.getValue()));
                }
            }
            Item owner = v.item() != null ? v.item() : v.master();
            String folderId = owner.folderId;
            out.put("ParentFolderId", "<t:ParentFolderId Id=\"" + folderId + "\" ChangeKey=\"AQAAAA==\"/>");
            out.put("DateTimeCreated", el("DateTimeCreated", UTC.format(owner.created)));
            out.put("LastModifiedTime", el("LastModifiedTime", UTC.format(owner.modified)));
            out.put("IsRecurring", el("IsRecurring", String.valueOf(!"Single".equals(v.type()))));
            out.put("CalendarItemType", el("CalendarItemType", v.type()));
            out.put("Start", el("Start", UTC.format(v.start())));
            out.put("End", el("End", UTC.format(v.end())));
            if (v.originalStart() != null) {
                out.put("OriginalStart", el("OriginalStart", UTC.format(v.originalStart())));
            }
            if ("RecurringMaster".equals(v.type())) {
                seriesXml(v.item(), out);
            }
        } else {
            for (String f : shape.fields()) {
                if (fields.containsKey(f)) {
                    out.put(f, write(fields.get(f)));
                }
            }
        }
        StringBuilder extXml = new StringBuilder();
        for (Map.Entry<String, Element> e : ext.entrySet()) {
            if (shape.ext().contains(e.getKey())) {
                extXml.append(write(e.getValue()));
            }
        }
        if (!extXml.isEmpty()) {
            out.put("ExtendedProperty", extXml.toString());
        }
        StringBuilder sb = new StringBuilder("<t:CalendarItem>");
        for (String name : ORDER) {
            String x = out.get(name);
            if (x != null) {
                sb.append(x);
            }
        }
        return sb.append("</t:CalendarItem>").toString();
    }

    private void seriesXml(Item master, Map<String, String> out) {
        if (!master.exceptions.isEmpty()) {
            StringBuilder m = new StringBuilder("<t:ModifiedOccurrences>");
            for (String id : master.exceptions.values()) {
                Item e = items.get(id);
                m.append("<t:Occurrence>").append(itemIdXml(e.id, changeKey(e)))
                        .append(el("Start", UTC.format(start(e.fields))))
                        .append(el("End", UTC.format(end(e.fields))))
                        .append(el("OriginalStart", UTC.format(e.originalStart))).append("</t:Occurrence>");
            }
            out.put("ModifiedOccurrences", m.append("</t:ModifiedOccurrences>").toString());
        }
        if (!master.deletedOccurrences.isEmpty()) {
            StringBuilder d = new StringBuilder("<t:DeletedOccurrences>");
            for (Instant s : master.deletedOccurrences) {
                d.append("<t:DeletedOccurrence>").append(el("Start", UTC.format(s))).append("</t:DeletedOccurrence>");
            }
            out.put("DeletedOccurrences", d.append("</t:DeletedOccurrences>").toString());
        }
    }

    private static String itemIdXml(String id, String changeKey) {
        return "<t:ItemId Id=\"" + esc(id) + "\"" + (changeKey == null ? "" : " ChangeKey=\"" + esc(changeKey) + "\"")
                + "/>";
    }

    private static String el(String name, String text) {
        return "<t:" + name + ">" + esc(text) + "</t:" + name + ">";
    }

    private Element textElement(String localName, String text) {
        Element e = storeDoc.createElementNS(NS_TYPES, "t:" + localName);
        e.setTextContent(text);
        return e;
    }

    /** Serializes a stored element with the t: prefix for the types namespace. */
    private static String write(Element e) {
        StringBuilder sb = new StringBuilder();
        write(e, sb);
        return sb.toString();
    }

    private static void write(Element e, StringBuilder sb) {
        String name = NS_TYPES.equals(e.getNamespaceURI()) ? "t:" + e.getLocalName() : e.getTagName();
        sb.append('<').append(name);
        NamedNodeMap attrs = e.getAttributes();
        for (int i = 0; i < attrs.getLength(); i++) {
            Attr a = (Attr) attrs.item(i);
            if (a.getName().startsWith("xmlns")) {
                continue;
            }
            sb.append(' ').append(a.getLocalName() != null && a.getNamespaceURI() == null ? a.getLocalName()
                    : a.getName()).append("=\"").append(esc(a.getValue())).append('"');
        }
        sb.append('>');
        for (Node n = e.getFirstChild(); n != null; n = n.getNextSibling()) {
            if (n instanceof Element c) {
                write(c, sb);
            } else if (n.getNodeType() == Node.TEXT_NODE || n.getNodeType() == Node.CDATA_SECTION_NODE) {
                sb.append(esc(n.getNodeValue()));
            }
        }
        sb.append("</").append(name).append('>');
    }

    private static String success(String messageName, String content) {
        return "<m:" + messageName + " ResponseClass=\"Success\"><m:ResponseCode>NoError</m:ResponseCode>" + content
                + "</m:" + messageName + ">";
    }

    private static String error(String messageName, EwsFault f, String content) {
        return "<m:" + messageName + " ResponseClass=\"Error\"><m:MessageText>" + esc(f.getMessage())
                + "</m:MessageText><m:ResponseCode>" + f.code() + "</m:ResponseCode>"
                + "<m:DescriptiveLinkKey>0</m:DescriptiveLinkKey>" + content + "</m:" + messageName + ">";
    }

    private static String envelope(String responseName, String content) {
        return "<?xml version=\"1.0\" encoding=\"utf-8\"?><s:Envelope xmlns:s=\"" + NS_SOAP + "\"><s:Header>"
                + "<h:ServerVersionInfo MajorVersion=\"15\" MinorVersion=\"2\" MajorBuildNumber=\"1544\" "
                + "MinorBuildNumber=\"4\" Version=\"V2017_07_11\" xmlns:h=\"" + NS_TYPES + "\"/></s:Header>"
                + "<s:Body><m:" + responseName + " xmlns:m=\"" + NS_MESSAGES + "\" xmlns:t=\"" + NS_TYPES + "\">"
                + content + "</m:" + responseName + "></s:Body></s:Envelope>";
    }

    private static SoapFault schemaFault(String violation, int line, int column) {
        return fault("ErrorSchemaValidation", "The request failed schema validation: " + violation,
                "<t:LineNumber>" + line + "</t:LineNumber><t:LinePosition>" + column + "</t:LinePosition>"
                        + "<t:Violation>" + esc(violation) + "</t:Violation>");
    }

    private static SoapFault fault(String code, String message, String messageXml) {
        return new SoapFault("<?xml version=\"1.0\" encoding=\"utf-8\"?><s:Envelope xmlns:s=\"" + NS_SOAP + "\">"
                + "<s:Body><s:Fault><faultcode xmlns:a=\"" + NS_TYPES + "\">a:" + code + "</faultcode>"
                + "<faultstring xml:lang=\"en-US\">" + esc(message) + "</faultstring><detail>"
                + "<e:ResponseCode xmlns:e=\"" + NS_ERRORS + "\">" + code + "</e:ResponseCode>"
                + "<e:Message xmlns:e=\"" + NS_ERRORS + "\">" + esc(message) + "</e:Message>"
                + (messageXml.isEmpty() ? "" : "<t:MessageXml xmlns:t=\"" + NS_TYPES + "\">" + messageXml
                        + "</t:MessageXml>")
                + "</detail></s:Fault></s:Body></s:Envelope>");
    }

    static String esc(String s) {
        StringBuilder sb = new StringBuilder(s.length());
        for (char c : s.toCharArray()) {
            switch (c) {
                case '<' -> sb.append("&lt;");
                case '>' -> sb.append("&gt;");
                case '&' -> sb.append("&amp;");
                case '"' -> sb.append("&quot;");
                default -> sb.append(c);
            }
        }
        return sb.toString();
    }

    // ---------------------------------------------------------------- DOM helpers

    static List<Element> children(Element parent) {
        List<Element> out = new ArrayList<>();
        if (parent == null) {
            return out;
        }
        for (Node n = parent.getFirstChild(); n != null; n = n.getNextSibling()) {
            if (n instanceof Element e) {
                out.add(e);
            }
        }
        return out;
    }

    static Element child(Element parent, String localName) {
        for (Element e : children(parent)) {
            if (localName.equals(e.getLocalName())) {
                return e;
            }
        }
        return null;
    }

    static String attr(Element e, String name) {
        String v = e.getAttribute(name);
        return v == null || v.isEmpty() ? null : v;
    }
}
