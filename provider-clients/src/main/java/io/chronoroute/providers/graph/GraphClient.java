package io.chronoroute.providers.graph;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.chronoroute.providers.common.Backoff;
import io.chronoroute.providers.common.DestinationException;
import io.chronoroute.providers.common.ErrorKind;
import io.chronoroute.providers.common.RequestGate;
import io.chronoroute.providers.common.Sleeper;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Semaphore;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Microsoft Graph over plain HTTP (the JDK client and Jackson; the Graph SDK is a 64 MB jar with 43 dependencies,
 * providers.md §3), for one mailbox: every request
 * <ul>
 *   <li>carries a bearer token from {@link GraphAuth} (a 401 drops it and retries once with a new one);</li>
 *   <li>asks for times in UTC and text bodies ({@code Prefer: outlook.timezone="UTC", outlook.body-content-type="text"}):
 *       instants are exact whatever the mailbox's zone; the zone an event was written in is read from
 *       {@code originalStartTimeZone} ({@link GraphEventMapper});</li>
 *   <li>passes the {@link RequestGate} (client-side rate) and a semaphore of {@value #MAX_CONCURRENT} (Exchange
 *       Online refuses a fifth concurrent request to one mailbox with 429);</li>
 *   <li>is retried through the {@link Backoff} while {@link GraphErrorClassifier} calls it transient (429, 5xx, I/O),
 *       Retry-After honoured; anything else is thrown as the classified {@link DestinationException}.</li>
 * </ul>
 * Collections are read page by page ({@code @odata.nextLink}); a delta round ends with its {@code @odata.deltaLink}
 * ({@link #delta}); {@link #batch} sends JSON batches of at most {@value #MAX_BATCH} requests.
 */
public final class GraphClient {

    public static final String DEFAULT_GRAPH_URL = "https://graph.microsoft.com/v1.0";
    public static final int MAX_BATCH = 20;
    public static final int MAX_CONCURRENT = 4;
    static final String PREFER = "outlook.timezone=\"UTC\", outlook.body-content-type=\"text\"";
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Logger LOG = LoggerFactory.getLogger(GraphClient.class);
    private static final GraphErrorClassifier CLASSIFIER = new GraphErrorClassifier();

    private final HttpClient http;
    private final GraphAuth auth;
    private final String graphUrl;
    private final Duration timeout;
    private final RequestGate gate;
    private final Backoff backoff;
    private final Sleeper sleeper;
    private final Semaphore concurrency = new Semaphore(MAX_CONCURRENT, true);
    private final AtomicLong requests = new AtomicLong();

    public GraphClient(HttpClient http, GraphAuth auth, String graphUrl, Duration timeout, RequestGate gate,
                       Backoff backoff, Sleeper sleeper) {
        this.http = http;
        this.auth = auth;
        String u = graphUrl == null || graphUrl.isBlank() ? DEFAULT_GRAPH_URL : graphUrl.strip();
        this.graphUrl = u.endsWith("/") ? u.substring(0, u.length() - 1) : u;
        this.timeout = timeout;
        this.gate = gate;
        this.backoff = backoff;
        this.sleeper = sleeper;
    }

    /** The default backoff: 1 s doubling to 32 s, 5 attempts. */
    public static Backoff defaultBackoff() {
        return new Backoff(Duration.ofSeconds(1), Duration.ofSeconds(32), 5, Math::random);
    }

    public String graphUrl() {
        return graphUrl;
    }

    /** HTTP requests sent so far (retries included, a batch once). */
    public long requests() {
        return requests.get();
    }

    // ---------------------------------------------------------------- calls

    public JsonNode get(String pathOrUrl) {
        return send("GET", pathOrUrl, null, null);
    }

    /**
     * One request, retried while transient. {@code pathOrUrl} is relative to the Graph URL ({@code /users/...}) or
     * a link Graph gave (nextLink, deltaLink). Returns the JSON answer (an empty object for 204).
     */
    public JsonNode send(String method, String pathOrUrl, JsonNode body, String ifMatch) {
        String url = pathOrUrl.startsWith("http") ? pathOrUrl : graphUrl + pathOrUrl;
        boolean write = !method.equals("GET");
        boolean reauthorized = false;
        for (int attempt = 0; ; attempt++) {
            try {
                return once(method, url, body, ifMatch, write);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new DestinationException(ErrorKind.TRANSIENT, "interrupted", "interrupted during " + method);
            } catch (Exception e) {
                DestinationException d = CLASSIFIER.classify(e);
                GraphHttpException g = GraphErrorClassifier.find(e);
                if (g != null && g.status() == 401 && "InvalidAuthenticationToken".equals(g.code()) && !reauthorized) {
                    reauthorized = true;
                    auth.invalidate();
                    attempt--;
                    continue;
                }
                if (d.kind() != ErrorKind.TRANSIENT || attempt + 1 >= backoff.maxAttempts()) {
                    throw d;
                }
                Duration wait = backoff.delay(attempt, d.retryAfter());
                LOG.debug("Graph {} {} failed ({}); retry in {} ms", method, path(url), d.getMessage(),
                        wait.toMillis());
                try {
                    sleeper.sleep(wait);
                } catch (InterruptedException ie) {
                    Thread.currentThread().interrupt();
                    throw d;
                }
            }
        }
    }

    private JsonNode once(String method, String url, JsonNode body, String ifMatch, boolean write)
            throws IOException, InterruptedException {
        gate.acquire(write);
        String token = auth.accessToken();
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(url)).timeout(timeout)
                .header("Authorization", "Bearer " + token).header("Prefer", PREFER)
                .header("Accept", "application/json");
        if (ifMatch != null) {
            b.header("If-Match", ifMatch);
        }
        b.method(method, body == null ? HttpRequest.BodyPublishers.noBody()
                : HttpRequest.BodyPublishers.ofString(JSON.writeValueAsString(body)));
        if (body != null) {
            b.header("Content-Type", "application/json");
        }
        HttpResponse<String> r;
        concurrency.acquire();
        try {
            requests.incrementAndGet();
            r = http.send(b.build(), HttpResponse.BodyHandlers.ofString());
        } finally {
            concurrency.release();
        }
        JsonNode json = r.body() == null || r.body().isBlank() ? JSON.createObjectNode() : JSON.readTree(r.body());
        if (r.statusCode() / 100 != 2) {
            throw error(r.statusCode(), json, retryAfter(r));
        }
        return json;
    }

    private static GraphHttpException error(int status, JsonNode json, Duration retryAfter) {
        JsonNode e = json.path("error");
        return new GraphHttpException(status, e.path("code").asText(null), e.path("message").asText(null),
                retryAfter);
    }

    static Duration retryAfter(HttpResponse<?> r) {
        return r.headers().firstValue("Retry-After").map(GraphClient::seconds).orElse(null);
    }

    private static Duration seconds(String v) {
        try {
            long s = Long.parseLong(v.trim());
            return s >= 0 ? Duration.ofSeconds(s) : null;
        } catch (NumberFormatException e) {
            return null;
        }
    }

    // ---------------------------------------------------------------- collections, delta, batch

    /** Every item of a collection, following {@code @odata.nextLink}. */
    public List<JsonNode> list(String pathOrUrl) {
        List<JsonNode> out = new ArrayList<>();
        String next = pathOrUrl;
        while (next != null) {
            JsonNode page = get(next);
            page.path("value").forEach(out::add);
            next = page.path("@odata.nextLink").asText(null);
        }
        return out;
    }

    /** One delta round: its items (changes and {@code @removed}) and the delta link that starts the next round. */
    public record Delta(List<JsonNode> items, String deltaLink) {
    }

    /**
     * Follows a delta round from {@code start} (the first request, or a stored delta link) through every
     * {@code @odata.nextLink} to its {@code @odata.deltaLink}. A delta link Graph no longer knows is thrown as
     * CURSOR_EXPIRED (410).
     */
    public Delta delta(String start) {
        List<JsonNode> items = new ArrayList<>();
        String next = start;
        while (true) {
            JsonNode page = get(next);
            page.path("value").forEach(items::add);
            if (page.hasNonNull("@odata.deltaLink")) {
                return new Delta(items, page.get("@odata.deltaLink").asText());
            }
            next = page.path("@odata.nextLink").asText(null);
            if (next == null) {
                throw new DestinationException(ErrorKind.PERMANENT, "noDeltaLink", "Graph ended a delta round "
                        + "without a deltaLink");
            }
        }
    }

    /** One request of a JSON batch: relative URL ({@code /users/...}), method, optional body and If-Match. */
    public record BatchRequest(String method, String url, JsonNode body, String ifMatch) {
    }

    /** One answer of a batch, in request order. */
    public record BatchResponse(int status, JsonNode body, Duration retryAfter) {
        public boolean ok() {
            return status / 100 == 2;
        }
    }

    /**
     * Sends the requests as JSON batches of at most {@value #MAX_BATCH}; parts answered 429/5xx are sent again
     * (in a later batch, after the backoff) until they succeed or the attempts are spent. Answers in request order.
     */
    public List<BatchResponse> batch(List<BatchRequest> all) {
        BatchResponse[] out = new BatchResponse[all.size()];
        List<Integer> pending = new ArrayList<>();
        for (int i = 0; i < all.size(); i++) {
            pending.add(i);
        }
        for (int attempt = 0; !pending.isEmpty(); attempt++) {
            List<Integer> retry = new ArrayList<>();
            Duration wait = null;
            for (int from = 0; from < pending.size(); from += MAX_BATCH) {
                List<Integer> chunk = pending.subList(from, Math.min(pending.size(), from + MAX_BATCH));
                ObjectNode env = JSON.createObjectNode();
                ArrayNode reqs = env.putArray("requests");
                for (int i : chunk) {
                    BatchRequest r = all.get(i);
                    ObjectNode o = reqs.addObject().put("id", Integer.toString(i)).put("method", r.method())
                            .put("url", r.url());
                    ObjectNode h = o.putObject("headers").put("Prefer", PREFER);
                    if (r.body() != null) {
                        o.set("body", r.body());
                        h.put("Content-Type", "application/json");
                    }
                    if (r.ifMatch() != null) {
                        h.put("If-Match", r.ifMatch());
                    }
                }
                JsonNode answer = send("POST", "/$batch", env, null);
                for (JsonNode part : answer.path("responses")) {
                    int i = Integer.parseInt(part.path("id").asText());
                    Duration ra = part.path("headers").hasNonNull("Retry-After")
                            ? seconds(part.path("headers").get("Retry-After").asText()) : null;
                    BatchResponse br = new BatchResponse(part.path("status").asInt(), part.path("body"), ra);
                    out[i] = br;
                    if ((br.status() == 429 || br.status() >= 500) && attempt + 1 < backoff.maxAttempts()) {
                        retry.add(i);
                        wait = ra == null ? wait : ra;
                    }
                }
            }
            if (retry.isEmpty()) {
                break;
            }
            try {
                sleeper.sleep(backoff.delay(attempt, wait));
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                break;
            }
            pending = retry;
        }
        return List.of(out);
    }

    // ---------------------------------------------------------------- helpers

    /** A path segment (an opaque id, a UPN) made safe for a URL. */
    public static String seg(String s) {
        return URLEncoder.encode(s, StandardCharsets.UTF_8).replace("+", "%20");
    }

    /** A query value made safe for a URL. */
    public static String q(String s) {
        return URLEncoder.encode(s, StandardCharsets.UTF_8).replace("+", "%20");
    }

    private static String path(String url) {
        int q = url.indexOf('?');
        return q < 0 ? url : url.substring(0, q);
    }

    /** The HTTP status of a classified failure (-1 when it was no HTTP answer). */
    public static int status(DestinationException e) {
        return GraphErrorClassifier.statusOf(e);
    }
}
