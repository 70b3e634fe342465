package io.chronoroute.providers.caldav;

import io.chronoroute.providers.common.RequestGate;
import org.w3c.dom.Document;
import org.w3c.dom.Element;
import org.w3c.dom.Node;
import org.w3c.dom.NodeList;

import javax.xml.XMLConstants;
import javax.xml.parsers.DocumentBuilderFactory;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The few WebDAV/CalDAV calls the writer needs, on the JDK {@link HttpClient}: GET, PUT with
 * {@code If-None-Match: *} / {@code If-Match}, DELETE with {@code If-Match}, REPORT (calendar-query,
 * sync-collection), PROPFIND depth 0, MKCALENDAR. Every request passes the destination's {@link RequestGate} first.
 * Hrefs are absolute paths as the server reports them ({@code /alice/cal/x.ics}).
 * <p>The agent's CalDAV source (issue #10) uses the same client for reading: discovery
 * ({@link #currentUserPrincipal}, {@link #calendarHomeSet}, {@link #calendars}), sync-collection with the server's
 * truncation followed ({@link #syncCollectionAll}), the ETag listing ({@link #etags}) and calendar-multiget
 * ({@link #multiget}) for servers without sync-collection, and the PROPPATCH of name and colour
 * ({@link #setNameAndColor}).
 */
public final class CalDavClient {

    public static final String NS_DAV = "DAV:";
    public static final String NS_CALDAV = "urn:ietf:params:xml:ns:caldav";
    /** Apple's namespace of {@code calendar-color} (iCloud, Radicale, Nextcloud, SOGo, Fastmail all use it). */
    public static final String NS_APPLE = "http://apple.com/ns/ical/";
    public static final String NS_CALSERVER = "http://calendarserver.org/ns/";

    /**
     * A calendar collection as discovery sees it.
     *
     * @param href          its path, ending with {@code /}
     * @param displayName   {@code DAV:displayname}, null when it has none
     * @param color         Apple's {@code calendar-color} as sent ({@code #RRGGBB} or {@code #RRGGBBAA}), null: none
     * @param components    {@code supported-calendar-component-set} (VEVENT, VTODO, ...); empty when the server does
     *                      not say (then every component is allowed, RFC 4791 5.2.3)
     * @param reports       the local names of {@code supported-report-set} (sync-collection, calendar-multiget, ...);
     *                      empty when the server does not say
     * @param syncToken     {@code DAV:sync-token}, null when not given
     * @param ctag          CalendarServer's {@code getctag}, null when not given
     */
    public record CalendarInfo(String href, String displayName, String color, Set<String> components,
                               Set<String> reports, String syncToken, String ctag) {

        /** Whether events can live in it (VEVENT listed, or no list at all). */
        public boolean holdsEvents() {
            return components.isEmpty() || components.contains("VEVENT");
        }

        /** Whether it announces RFC 6578 sync-collection (an empty report set counts as "not said": tried). */
        public boolean syncCollection() {
            return reports.isEmpty() || reports.contains("sync-collection");
        }
    }

    /** A resource as read: its ETag (quoted, as sent) and its iCalendar text. */
    public record Resource(String href, String etag, String body) {
    }

    /**
     * One {@code DAV:response} of a multistatus: status 404 = gone (sync-collection). {@code lastModified}: the
     * {@code DAV:getlastmodified} property as sent (HTTP date), null when not asked for or not given.
     */
    public record Entry(String href, int status, String etag, String calendarData, String lastModified) {

        public Entry(String href, int status, String etag, String calendarData) {
            this(href, status, etag, calendarData, null);
        }
    }

    public record MultiStatus(List<Entry> entries, String syncToken) {
    }

    private final CalDavSettings settings;
    private final URI base;
    private final RequestGate gate;
    private final HttpClient http;
    private final String authorization;

    public CalDavClient(CalDavSettings settings, RequestGate gate) {
        this.settings = settings;
        this.base = URI.create(settings.url());
        this.gate = gate;
        this.http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).connectTimeout(settings.timeout())
                .followRedirects(HttpClient.Redirect.NEVER).build();
        if (settings.bearerToken() != null && !settings.bearerToken().isBlank()) {
            authorization = "Bearer " + settings.bearerToken();
        } else if (settings.username() != null && !settings.username().isBlank()) {
            String pw = settings.password() == null ? "" : settings.password();
            authorization = "Basic " + Base64.getEncoder().encodeToString((settings.username() + ":" + pw)
                    .getBytes(StandardCharsets.UTF_8));
        } else {
            authorization = null;
        }
    }

    /** The collection path, e.g. {@code /alice/cal/}. */
    public String collectionPath() {
        return base.getRawPath();
    }

    /** GET; null when the resource does not exist. */
    public Resource get(String href) throws Exception {
        HttpResponse<String> r = send(request(href).GET(), false);
        if (r.statusCode() == 404 || r.statusCode() == 410) {
            return null;
        }
        check("GET", href, r);
        return new Resource(href, r.headers().firstValue("ETag").orElse(null), r.body());
    }

    /**
     * PUT. {@code ifMatch} null and {@code create} true → {@code If-None-Match: *}. Returns the new ETag (may be null
     * when the server sends none); a failed precondition throws with status 412.
     */
    public String put(String href, String ics, String ifMatch, boolean create) throws Exception {
        HttpRequest.Builder b = request(href).header("Content-Type", "text/calendar; charset=utf-8")
                .PUT(HttpRequest.BodyPublishers.ofString(ics, StandardCharsets.UTF_8));
        if (create) {
            b.header("If-None-Match", "*");
        } else if (ifMatch != null) {
            b.header("If-Match", ifMatch);
        }
        HttpResponse<String> r = send(b, true);
        check("PUT", href, r);
        return r.headers().firstValue("ETag").orElse(null);
    }

    /** DELETE with If-Match (when given); false when it was already gone. */
    public boolean delete(String href, String ifMatch) throws Exception {
        HttpRequest.Builder b = request(href).DELETE();
        if (ifMatch != null) {
            b.header("If-Match", ifMatch);
        }
        HttpResponse<String> r = send(b, true);
        if (r.statusCode() == 404 || r.statusCode() == 410) {
            return false;
        }
        check("DELETE", href, r);
        return true;
    }

    /** Every resource of the collection with its data (calendar-query, no time range). */
    public MultiStatus listAll() throws Exception {
        return report("<?xml version=\"1.0\" encoding=\"utf-8\"?><C:calendar-query xmlns:D=\"DAV:\" "
                + "xmlns:C=\"urn:ietf:params:xml:ns:caldav\"><D:prop><D:getetag/><C:calendar-data/></D:prop>"
                + "<C:filter><C:comp-filter name=\"VCALENDAR\"><C:comp-filter name=\"VEVENT\"/></C:comp-filter>"
                + "</C:filter></C:calendar-query>", "1");
    }

    /** The members holding a VEVENT (calendar-query, ETags only, no data): to count a calendar's events cheaply. */
    public MultiStatus eventHrefs() throws Exception {
        return report("<?xml version=\"1.0\" encoding=\"utf-8\"?><C:calendar-query xmlns:D=\"DAV:\" "
                + "xmlns:C=\"urn:ietf:params:xml:ns:caldav\"><D:prop><D:getetag/></D:prop>"
                + "<C:filter><C:comp-filter name=\"VCALENDAR\"><C:comp-filter name=\"VEVENT\"/></C:comp-filter>"
                + "</C:filter></C:calendar-query>", "1");
    }

    /** RFC 6578 sync-collection; {@code token} null = initial (all members, new token). */
    public MultiStatus syncCollection(String token, boolean withData) throws Exception {
        return report("<?xml version=\"1.0\" encoding=\"utf-8\"?><D:sync-collection xmlns:D=\"DAV:\" "
                + "xmlns:C=\"urn:ietf:params:xml:ns:caldav\">"
                + (token == null ? "<D:sync-token/>" : "<D:sync-token>" + esc(token) + "</D:sync-token>")
                + "<D:sync-level>1</D:sync-level><D:prop><D:getetag/>"
                + (withData ? "<D:getlastmodified/><C:calendar-data/>" : "")
                + "</D:prop></D:sync-collection>", null);
    }

    /**
     * {@link #syncCollection} until complete: a server that truncates its answer (RFC 6578 3.6: a response with
     * status 507 for the collection itself, and a token for what was sent) is asked again from that token, and the
     * pages are joined (a later entry for a href replaces an earlier one).
     *
     * @param maxPages a bound against a server that never finishes
     */
    public MultiStatus syncCollectionAll(String token, boolean withData, int maxPages) throws Exception {
        Map<String, Entry> joined = new LinkedHashMap<>();
        String next = token;
        for (int page = 0; page < maxPages; page++) {
            MultiStatus ms = syncCollection(next, withData);
            boolean truncated = false;
            for (Entry e : ms.entries()) {
                if (e.status() == 507 && isCollection(e.href())) {
                    truncated = true;
                } else if (!isCollection(e.href())) {
                    joined.remove(e.href());
                    joined.put(e.href(), e);
                }
            }
            if (!truncated || ms.syncToken() == null || ms.syncToken().equals(next)) {
                return new MultiStatus(new ArrayList<>(joined.values()), ms.syncToken());
            }
            next = ms.syncToken();
        }
        throw new CalDavHttpException("REPORT", collectionPath(), 507, "sync-collection not complete after "
                + maxPages + " pages", null);
    }

    private boolean isCollection(String href) {
        String c = collectionPath();
        return href.equals(c) || (href + "/").equals(c);
    }

    /** href → ETag of every member of the collection (PROPFIND depth 1 {@code getetag}), the collection left out. */
    public Map<String, String> etags() throws Exception {
        HttpResponse<String> r = send(request(collectionPath()).header("Depth", "1")
                .header("Content-Type", "application/xml; charset=utf-8")
                .method("PROPFIND", HttpRequest.BodyPublishers.ofString("<?xml version=\"1.0\" encoding=\"utf-8\"?>"
                        + "<D:propfind xmlns:D=\"DAV:\"><D:prop><D:getetag/><D:resourcetype/></D:prop></D:propfind>")),
                false);
        check("PROPFIND", collectionPath(), r);
        Map<String, String> out = new LinkedHashMap<>();
        for (Entry e : parseMultiStatus(r.body()).entries()) {
            if (!isCollection(e.href()) && !e.href().endsWith("/") && e.status() == 200) {
                out.put(e.href(), e.etag());
            }
        }
        return out;
    }

    /** RFC 4791 calendar-multiget: these members with ETag and data (a missing one answers 404). */
    public MultiStatus multiget(List<String> hrefs) throws Exception {
        StringBuilder xml = new StringBuilder("<?xml version=\"1.0\" encoding=\"utf-8\"?><C:calendar-multiget "
                + "xmlns:D=\"DAV:\" xmlns:C=\"urn:ietf:params:xml:ns:caldav\"><D:prop><D:getetag/>"
                + "<C:calendar-data/></D:prop>");
        for (String h : hrefs) {
            xml.append("<D:href>").append(esc(h)).append("</D:href>");
        }
        return report(xml.append("</C:calendar-multiget>").toString(), "1");
    }

    /**
     * Discovery step 1: the authenticated user's principal URL ({@code DAV:current-user-principal}, RFC 5397) asked
     * at {@code path} (the URL given, or the server root); null when the server does not say.
     */
    public String currentUserPrincipal(String path) throws Exception {
        return hrefProperty(path, NS_DAV, "current-user-principal");
    }

    /** Discovery step 2: the principal's {@code calendar-home-set} URL (RFC 4791 6.2.1); null when none. */
    public String calendarHomeSet(String principalPath) throws Exception {
        return hrefProperty(principalPath, NS_CALDAV, "calendar-home-set");
    }

    /**
     * Discovery step 3 (depth 1 on a calendar home) or the description of one collection (depth 0 on a calendar):
     * the calendar collections found (resourcetype {@code calendar}), whatever components they hold.
     */
    public List<CalendarInfo> calendars(String path, boolean depth1) throws Exception {
        HttpResponse<String> r = send(request(path).header("Depth", depth1 ? "1" : "0")
                .header("Content-Type", "application/xml; charset=utf-8")
                .method("PROPFIND", HttpRequest.BodyPublishers.ofString("<?xml version=\"1.0\" encoding=\"utf-8\"?>"
                        + "<D:propfind xmlns:D=\"DAV:\" xmlns:C=\"urn:ietf:params:xml:ns:caldav\" "
                        + "xmlns:A=\"http://apple.com/ns/ical/\" xmlns:CS=\"http://calendarserver.org/ns/\"><D:prop>"
                        + "<D:resourcetype/><D:displayname/><A:calendar-color/><C:supported-calendar-component-set/>"
                        + "<D:supported-report-set/><D:sync-token/><CS:getctag/></D:prop></D:propfind>")), false);
        check("PROPFIND", path, r);
        List<CalendarInfo> out = new ArrayList<>();
        Element root = parse(r.body()).getDocumentElement();
        for (Node n = root.getFirstChild(); n != null; n = n.getNextSibling()) {
            if (!(n instanceof Element resp) || !"response".equals(resp.getLocalName())) {
                continue;
            }
            String href = text(resp, NS_DAV, "href");
            Element ok = okPropstat(resp);
            if (href == null || ok == null || ok.getElementsByTagNameNS(NS_CALDAV, "calendar").getLength() == 0) {
                continue;
            }
            href = URI.create(href.trim()).getRawPath();
            Set<String> comps = new LinkedHashSet<>();
            NodeList cl = ok.getElementsByTagNameNS(NS_CALDAV, "comp");
            for (int i = 0; i < cl.getLength(); i++) {
                comps.add(((Element) cl.item(i)).getAttribute("name").toUpperCase(java.util.Locale.ROOT));
            }
            Set<String> reports = new LinkedHashSet<>();
            NodeList rl = ok.getElementsByTagNameNS(NS_DAV, "report");
            for (int i = 0; i < rl.getLength(); i++) {
                for (Node c = rl.item(i).getFirstChild(); c != null; c = c.getNextSibling()) {
                    if (c instanceof Element ce) {
                        reports.add(ce.getLocalName());
                    }
                }
            }
            String color = text(ok, NS_APPLE, "calendar-color");
            out.add(new CalendarInfo(href.endsWith("/") ? href : href + "/", blankToNull(text(ok, NS_DAV,
                    "displayname")), color == null ? null : color.trim(), comps, reports,
                    blankToNull(text(ok, NS_DAV, "sync-token")), blankToNull(text(ok, NS_CALSERVER, "getctag"))));
        }
        return out;
    }

    /**
     * PROPPATCH of the collection's {@code DAV:displayname} and/or Apple's {@code calendar-color} (a null one is left
     * as it is); every property's own status must be 2xx.
     */
    public void setNameAndColor(String displayName, String color) throws Exception {
        StringBuilder prop = new StringBuilder();
        if (displayName != null) {
            prop.append("<D:displayname>").append(esc(displayName)).append("</D:displayname>");
        }
        if (color != null) {
            prop.append("<A:calendar-color>").append(esc(color)).append("</A:calendar-color>");
        }
        if (prop.isEmpty()) {
            return;
        }
        HttpResponse<String> r = send(request(collectionPath()).header("Content-Type", "application/xml; charset=utf-8")
                .method("PROPPATCH", HttpRequest.BodyPublishers.ofString("<?xml version=\"1.0\" encoding=\"utf-8\"?>"
                        + "<D:propertyupdate xmlns:D=\"DAV:\" xmlns:A=\"http://apple.com/ns/ical/\"><D:set><D:prop>"
                        + prop + "</D:prop></D:set></D:propertyupdate>", StandardCharsets.UTF_8)), true);
        check("PROPPATCH", collectionPath(), r);
        if (r.statusCode() == 207) {
            NodeList statuses = parse(r.body()).getElementsByTagNameNS(NS_DAV, "status");
            for (int i = 0; i < statuses.getLength(); i++) {
                int status = statusOf(statuses.item(i).getTextContent());
                if (status >= 300) {
                    throw new CalDavHttpException("PROPPATCH", collectionPath(), status, "displayname/calendar-color",
                            null);
                }
            }
        }
    }

    /** A property holding one {@code DAV:href} (PROPFIND depth 0), as an absolute URL (it may be on another host, as
     * iCloud's calendar home is); null when absent. */
    private String hrefProperty(String path, String ns, String name) throws Exception {
        String prefix = NS_DAV.equals(ns) ? "D" : "C";
        HttpResponse<String> r = send(request(path).header("Depth", "0")
                .header("Content-Type", "application/xml; charset=utf-8")
                .method("PROPFIND", HttpRequest.BodyPublishers.ofString("<?xml version=\"1.0\" encoding=\"utf-8\"?>"
                        + "<D:propfind xmlns:D=\"DAV:\" xmlns:C=\"urn:ietf:params:xml:ns:caldav\"><D:prop><"
                        + prefix + ":" + name + "/></D:prop></D:propfind>")), false);
        check("PROPFIND", path, r);
        Document doc = parse(r.body());
        NodeList l = doc.getElementsByTagNameNS(ns, name);
        for (int i = 0; i < l.getLength(); i++) {
            String href = text((Element) l.item(i), NS_DAV, "href");
            if (href != null && !href.isBlank()) {
                return base.resolve(href.trim()).toString();
            }
        }
        return null;
    }

    private static Element okPropstat(Element response) {
        for (Node c = response.getFirstChild(); c != null; c = c.getNextSibling()) {
            if (c instanceof Element ce && "propstat".equals(ce.getLocalName())
                    && statusOf(text(ce, NS_DAV, "status")) == 200) {
                return ce;
            }
        }
        return null;
    }

    private static String blankToNull(String s) {
        return s == null || s.isBlank() ? null : s.trim();
    }

    /** True when the collection exists (PROPFIND depth 0 answers 207). */
    public boolean collectionExists() throws Exception {
        HttpResponse<String> r = send(request(collectionPath()).header("Depth", "0")
                .header("Content-Type", "application/xml; charset=utf-8")
                .method("PROPFIND", HttpRequest.BodyPublishers.ofString("<?xml version=\"1.0\" encoding=\"utf-8\"?>"
                        + "<D:propfind xmlns:D=\"DAV:\"><D:prop><D:resourcetype/></D:prop></D:propfind>")), false);
        if (r.statusCode() == 404) {
            return false;
        }
        check("PROPFIND", collectionPath(), r);
        return true;
    }

    /** PROPPATCH of the collection's {@code DAV:displayname}. */
    public void setDisplayName(String displayName) throws Exception {
        HttpResponse<String> r = send(request(collectionPath()).header("Content-Type", "application/xml; charset=utf-8")
                .method("PROPPATCH", HttpRequest.BodyPublishers.ofString("<?xml version=\"1.0\" encoding=\"utf-8\"?>"
                        + "<D:propertyupdate xmlns:D=\"DAV:\"><D:set><D:prop><D:displayname>" + esc(displayName)
                        + "</D:displayname></D:prop></D:set></D:propertyupdate>", StandardCharsets.UTF_8)), true);
        check("PROPPATCH", collectionPath(), r);
        if (r.statusCode() == 207) {
            // a multistatus answers per property: the displayname's own status must be 2xx
            NodeList statuses = parse(r.body()).getElementsByTagNameNS(NS_DAV, "status");
            for (int i = 0; i < statuses.getLength(); i++) {
                int status = statusOf(statuses.item(i).getTextContent());
                if (status >= 300) {
                    throw new CalDavHttpException("PROPPATCH", collectionPath(), status, "displayname", null);
                }
            }
        }
    }

    /** The collection's {@code DAV:displayname} (PROPFIND depth 0), null when it has none. */
    public String displayName() throws Exception {
        HttpResponse<String> r = send(request(collectionPath()).header("Depth", "0")
                .header("Content-Type", "application/xml; charset=utf-8")
                .method("PROPFIND", HttpRequest.BodyPublishers.ofString("<?xml version=\"1.0\" encoding=\"utf-8\"?>"
                        + "<D:propfind xmlns:D=\"DAV:\"><D:prop><D:displayname/></D:prop></D:propfind>")), false);
        check("PROPFIND", collectionPath(), r);
        NodeList l = parse(r.body()).getElementsByTagNameNS(NS_DAV, "displayname");
        return l.getLength() == 0 || l.item(0).getTextContent().isEmpty() ? null : l.item(0).getTextContent();
    }

    public void mkcalendar() throws Exception {
        HttpResponse<String> r = send(request(collectionPath()).header("Content-Type", "application/xml; charset=utf-8")
                .method("MKCALENDAR", HttpRequest.BodyPublishers.ofString("<?xml version=\"1.0\" encoding=\"utf-8\"?>"
                        + "<C:mkcalendar xmlns:D=\"DAV:\" xmlns:C=\"urn:ietf:params:xml:ns:caldav\"><D:set><D:prop>"
                        + "<D:displayname>" + esc(settings.displayName()) + "</D:displayname>"
                        + "<C:supported-calendar-component-set><C:comp name=\"VEVENT\"/>"
                        + "</C:supported-calendar-component-set></D:prop></D:set></C:mkcalendar>",
                        StandardCharsets.UTF_8)), true);
        check("MKCALENDAR", collectionPath(), r);
    }

    private MultiStatus report(String xml, String depth) throws Exception {
        HttpRequest.Builder b = request(collectionPath()).header("Content-Type", "application/xml; charset=utf-8")
                .method("REPORT", HttpRequest.BodyPublishers.ofString(xml, StandardCharsets.UTF_8));
        if (depth != null) {
            b.header("Depth", depth);
        }
        HttpResponse<String> r = send(b, false);
        check("REPORT", collectionPath(), r);
        return parseMultiStatus(r.body());
    }

    private HttpRequest.Builder request(String href) {
        HttpRequest.Builder b = HttpRequest.newBuilder(base.resolve(href)).timeout(settings.timeout());
        if (authorization != null) {
            b.header("Authorization", authorization);
        }
        return b;
    }

    private HttpResponse<String> send(HttpRequest.Builder b, boolean write) throws IOException, InterruptedException {
        gate.acquire(write);
        HttpRequest request = b.build();
        try {
            return http.send(request, HttpResponse.BodyHandlers.ofString(StandardCharsets.UTF_8));
        } catch (IOException e) {
            if (!isStaleConnection(e)) {
                throw e;
            }
            // The server closed a kept-alive connection just as we reused it (Radicale does this routinely): the
            // request never reached it. PUT and DELETE are idempotent (and conditional with If-Match /
            // If-None-Match where it matters), REPORT/PROPFIND/GET only read: sending once more is safe.
            return http.send(request, HttpResponse.BodyHandlers.ofString(StandardCharsets.UTF_8));
        }
    }

    public static boolean isStaleConnection(IOException e) {
        for (Throwable t = e; t != null; t = t.getCause()) {
            if (t instanceof java.io.EOFException
                    || (t.getMessage() != null && t.getMessage().contains("header parser received no bytes"))) {
                return true;
            }
        }
        return false;
    }

    private static void check(String method, String href, HttpResponse<String> r) throws CalDavHttpException {
        int s = r.statusCode();
        if (s >= 200 && s < 300) {
            return;
        }
        Duration retryAfter = r.headers().firstValue("Retry-After").map(CalDavClient::retryAfter).orElse(null);
        throw new CalDavHttpException(method, href, s, davError(r.body()), retryAfter);
    }

    private static Duration retryAfter(String v) {
        try {
            return Duration.ofSeconds(Long.parseLong(v.trim()));
        } catch (NumberFormatException e) {
            return null;
        }
    }

    /** The first child's local name of a {@code DAV:error} body, or null. */
    public static String davError(String body) {
        if (body == null || !body.contains("error")) {
            return null;
        }
        try {
            Element root = parse(body).getDocumentElement();
            if (!"error".equals(root.getLocalName())) {
                return null;
            }
            for (Node n = root.getFirstChild(); n != null; n = n.getNextSibling()) {
                if (n instanceof Element e) {
                    return e.getLocalName();
                }
            }
        } catch (Exception e) {
            return null;
        }
        return null;
    }

    public static MultiStatus parseMultiStatus(String xml) throws Exception {
        Document doc = parse(xml);
        Element root = doc.getDocumentElement();
        List<Entry> entries = new ArrayList<>();
        String token = null;
        for (Node n = root.getFirstChild(); n != null; n = n.getNextSibling()) {
            if (!(n instanceof Element e) || !NS_DAV.equals(e.getNamespaceURI())) {
                continue;
            }
            if ("sync-token".equals(e.getLocalName())) {
                token = e.getTextContent().trim();
            } else if ("response".equals(e.getLocalName())) {
                String href = null;
                int status = 0;
                String etag = null;
                String data = null;
                String modified = null;
                for (Node c = e.getFirstChild(); c != null; c = c.getNextSibling()) {
                    if (!(c instanceof Element ce)) {
                        continue;
                    }
                    switch (ce.getLocalName()) {
                        case "href" -> href = URI.create(ce.getTextContent().trim()).getRawPath();
                        case "status" -> status = statusOf(ce.getTextContent());
                        case "propstat" -> {
                            int ps = statusOf(text(ce, NS_DAV, "status"));
                            if (ps == 200) {
                                status = status == 0 ? 200 : status;
                                etag = text(ce, NS_DAV, "getetag");
                                data = text(ce, NS_CALDAV, "calendar-data");
                                modified = text(ce, NS_DAV, "getlastmodified");
                            }
                        }
                        default -> {
                        }
                    }
                }
                if (href != null) {
                    entries.add(new Entry(href, status == 0 ? 200 : status, etag, data, modified));
                }
            }
        }
        return new MultiStatus(entries, token);
    }

    private static String text(Element parent, String ns, String localName) {
        NodeList l = parent.getElementsByTagNameNS(ns, localName);
        if (l.getLength() == 0) {
            return null;
        }
        String t = l.item(0).getTextContent();
        return t == null || t.isEmpty() ? null : t;
    }

    private static int statusOf(String line) {
        if (line == null) {
            return 0;
        }
        String[] p = line.trim().split("\\s+");
        try {
            return p.length > 1 ? Integer.parseInt(p[1]) : 0;
        } catch (NumberFormatException e) {
            return 0;
        }
    }

    private static Document parse(String xml) throws Exception {
        DocumentBuilderFactory f = DocumentBuilderFactory.newInstance();
        f.setNamespaceAware(true);
        f.setFeature("http://apache.org/xml/features/disallow-doctype-decl", true);
        f.setFeature(XMLConstants.FEATURE_SECURE_PROCESSING, true);
        f.setXIncludeAware(false);
        f.setExpandEntityReferences(false);
        return f.newDocumentBuilder().parse(new ByteArrayInputStream(xml.getBytes(StandardCharsets.UTF_8)));
    }

    public static String esc(String s) {
        StringBuilder sb = new StringBuilder(s.length());
        for (char c : s.toCharArray()) {
            switch (c) {
                case '<' -> sb.append("&lt;");
                case '>' -> sb.append("&gt;");
                case '&' -> sb.append("&amp;");
                case '"' -> sb.append("&quot;");
                case '\'' -> sb.append("&apos;");
                default -> sb.append(c);
            }
        }
        return sb.toString();
    }
}
