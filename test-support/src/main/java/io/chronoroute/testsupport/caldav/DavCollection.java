package io.chronoroute.testsupport.caldav;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * One CalDAV collection as a calendar user's client sees it, for tests and benchmarks that play the person editing
 * a destination calendar: list the resources with their ETags (PROPFIND depth 1), GET one, PUT one back with
 * {@code If-Match} (the client keeps every property it does not know, so the text is edited, never re-rendered), read
 * the collection's {@code DAV:displayname}. Deliberately independent of the master's CalDAV client: what it checks is
 * what any client would see.
 */
public final class DavCollection {

    /** One calendar resource: its path on the server, body and ETag. */
    public record Resource(String href, String body, String etag) {
    }

    private static final Pattern RESPONSE = Pattern.compile("<(?:\\w+:)?response\\b.*?</(?:\\w+:)?response>",
            Pattern.DOTALL);
    private static final Pattern HREF = Pattern.compile("<(?:\\w+:)?href>([^<]*)</(?:\\w+:)?href>");
    private static final Pattern ETAG = Pattern.compile("<(?:\\w+:)?getetag>([^<]*)</(?:\\w+:)?getetag>");
    private static final Pattern DISPLAY_NAME = Pattern.compile(
            "<(?:\\w+:)?displayname>([^<]*)</(?:\\w+:)?displayname>");

    public final String collection;
    private final String origin;
    private final String authorization;
    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(3)).build();

    /**
     * @param collection the collection URL ({@code http://host:port/user/calendar/})
     * @param user       Basic user (Radicale without auth accepts any password; owner_only rights: the first path
     *                   segment must be this user)
     */
    public DavCollection(String collection, String user) {
        this.collection = collection.endsWith("/") ? collection : collection + "/";
        URI uri = URI.create(this.collection);
        this.origin = uri.getScheme() + "://" + uri.getRawAuthority();
        this.authorization = "Basic " + Base64.getEncoder().encodeToString((user + ":" + user)
                .getBytes(StandardCharsets.UTF_8));
    }

    /** The path of a resource named {@code name}.ics in the collection. */
    public String href(String name) {
        return URI.create(collection).getRawPath() + name + ".ics";
    }

    /** href → ETag of every calendar resource in the collection (not the collection itself). */
    public Map<String, String> etags() {
        String body = send("PROPFIND", URI.create(collection).getRawPath(), "1",
                "<?xml version=\"1.0\"?><d:propfind xmlns:d=\"DAV:\"><d:prop><d:getetag/></d:prop></d:propfind>",
                null, 207).body();
        Map<String, String> out = new TreeMap<>();
        Matcher m = RESPONSE.matcher(body);
        while (m.find()) {
            Matcher h = HREF.matcher(m.group());
            Matcher e = ETAG.matcher(m.group());
            if (h.find() && e.find() && !h.group(1).equals(URI.create(collection).getRawPath())) {
                out.put(h.group(1), unescape(e.group(1)));
            }
        }
        return out;
    }

    public Resource get(String href) {
        HttpResponse<String> r = send("GET", href, null, null, null, 200);
        return new Resource(href, r.body(), r.headers().firstValue("ETag").orElse(null));
    }

    /** PUT with {@code If-Match: etag}; returns the status (201/204 when accepted, 412 when it changed meanwhile). */
    public int put(String href, String body, String etag) {
        return send("PUT", href, null, body, etag, -1).statusCode();
    }

    /** Every resource with a VEVENT that holds the line {@code key} ({@code UID:...}, {@code X-CHRONOROUTE-KEY:...}). */
    public List<Resource> holding(String key) {
        List<Resource> out = new ArrayList<>();
        for (String href : etags().keySet()) {
            Resource r = get(href);
            if (!IcsText.blocks(r.body(), key).isEmpty()) {
                out.add(r);
            }
        }
        return out;
    }

    /** The collection's {@code DAV:displayname}, null when it has none. */
    public String displayName() {
        String body = send("PROPFIND", URI.create(collection).getRawPath(), "0",
                "<?xml version=\"1.0\"?><d:propfind xmlns:d=\"DAV:\"><d:prop><d:displayname/></d:prop></d:propfind>",
                null, 207).body();
        Matcher m = DISPLAY_NAME.matcher(body);
        return m.find() ? unescape(m.group(1)) : null;
    }

    private HttpResponse<String> send(String method, String path, String depth, String body, String ifMatch,
                                      int expected) {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(origin + path)).timeout(Duration.ofSeconds(20))
                .header("Authorization", authorization)
                .method(method, body == null ? HttpRequest.BodyPublishers.noBody()
                        : HttpRequest.BodyPublishers.ofString(body, StandardCharsets.UTF_8));
        if (depth != null) {
            b.header("Depth", depth).header("Content-Type", "application/xml; charset=utf-8");
        } else if (body != null) {
            b.header("Content-Type", "text/calendar; charset=utf-8");
        }
        if (ifMatch != null) {
            b.header("If-Match", ifMatch);
        }
        try {
            HttpResponse<String> r;
            try {
                r = http.send(b.build(), HttpResponse.BodyHandlers.ofString(StandardCharsets.UTF_8));
            } catch (IOException closed) {
                // Radicale closes idle keep-alive connections; a request sent on one just then gets no answer at all.
                // Sent again once on a new connection (a PUT that did arrive meets its own ETag change: 412).
                r = http.send(b.build(), HttpResponse.BodyHandlers.ofString(StandardCharsets.UTF_8));
            }
            if (expected > 0 && r.statusCode() != expected) {
                throw new IllegalStateException(method + " " + path + " answered " + r.statusCode() + ": " + r.body());
            }
            return r;
        } catch (IOException e) {
            throw new IllegalStateException(method + " " + path + " failed: " + e.getMessage(), e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    private static String unescape(String xml) {
        return xml.replace("&quot;", "\"").replace("&lt;", "<").replace("&gt;", ">").replace("&apos;", "'")
                .replace("&amp;", "&");
    }
}
