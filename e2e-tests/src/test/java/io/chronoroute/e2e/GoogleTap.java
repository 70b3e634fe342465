package io.chronoroute.e2e;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;

/**
 * A pass-through HTTP proxy in front of the fake Google Calendar (or any server: Radicale, the fake EWS), one per master, so the test knows which master
 * sent which request (the fake's own journal cannot tell). Each request is forwarded as is and recorded with its
 * arrival time. {@link #holdNextWrite()} lets the next write reach the fake and then holds its answer until
 * released: the master is then provably waiting for that answer (the test pauses it there). {@link #down} makes
 * the server look down (every request answered 503 without reaching it); {@link #responseBytesAfter} counts what
 * the server answered. Absolute links to the server in a JSON answer are rewritten to the tap's own address.
 */
final class GoogleTap implements AutoCloseable {

    private static final Set<String> HOP_HEADERS = Set.of("host", "content-length", "connection", "transfer-encoding",
            "expect", "upgrade", "keep-alive", "http2-settings");

    /**
     * One request: {@code path} with its query, {@code body} the start (4 KiB at most) of what was sent, for asserting
     * on their content.
     */
    record Request(Instant at, String method, String path, boolean write, long responseBytes, String body) {
    }

    private final String target;
    private final Duration delay;
    private final HttpServer server;
    private final ExecutorService executor = Executors.newFixedThreadPool(4, r -> {
        Thread t = new Thread(r, "google-tap");
        t.setDaemon(true);
        return t;
    });
    private final HttpClient client = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
            .connectTimeout(Duration.ofSeconds(5)).build();
    private final List<Request> requests = new ArrayList<>();
    private CompletableFuture<Void> holdArrived;
    private CountDownLatch holdRelease;
    private volatile boolean down;

    /** @param target the fake's base URL; @param delay added before each answer (a slower Google) */
    GoogleTap(String target, Duration delay) {
        this.target = target.endsWith("/") ? target.substring(0, target.length() - 1) : target;
        this.delay = delay;
        try {
            server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 64);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        server.setExecutor(executor);
        server.createContext("/", this::handle);
        server.start();
    }

    String baseUrl() {
        return "http://127.0.0.1:" + server.getAddress().getPort() + "/";
    }

    synchronized List<Request> requests() {
        return List.copyOf(requests);
    }

    /** While true, every request is answered 503 Service Unavailable and never reaches the server. */
    void down(boolean value) {
        down = value;
    }

    /** Bytes of the answers (bodies) the server gave to requests that arrived at or after {@code t}. */
    synchronized long responseBytesAfter(Instant t) {
        return requests.stream().filter(r -> !r.at().isBefore(t)).mapToLong(Request::responseBytes).sum();
    }

    synchronized long writes() {
        return requests.stream().filter(Request::write).count();
    }

    synchronized long writesAfter(Instant t) {
        return requests.stream().filter(r -> r.write() && !r.at().isBefore(t)).count();
    }

    /** The next write goes through to the fake; its answer waits for {@code release.countDown()}. */
    synchronized CompletableFuture<Void> holdNextWrite(CountDownLatch release) {
        holdArrived = new CompletableFuture<>();
        holdRelease = release;
        return holdArrived;
    }

    private static boolean isWrite(String method, String path) {
        // batch requests carry writes; events list/get and the calendar reads are GETs
        return !"GET".equals(method) || path.startsWith("/batch");
    }

    private void handle(HttpExchange ex) throws IOException {
        try (ex) {
            forward(ex);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private void forward(HttpExchange ex) throws IOException, InterruptedException {
        String method = ex.getRequestMethod();
        URI uri = ex.getRequestURI();
        boolean write = isWrite(method, uri.getPath());
        byte[] body = ex.getRequestBody().readAllBytes();
        if (down) {
            ex.sendResponseHeaders(503, -1);
            return;
        }
        Instant at = Instant.now();
        CompletableFuture<Void> arrived = null;
        CountDownLatch release = null;
        String sent = new String(body, 0, Math.min(body.length, 4096), java.nio.charset.StandardCharsets.UTF_8);
        String recorded = uri.getPath() + (uri.getRawQuery() == null ? "" : "?" + uri.getRawQuery());
        Request arrival = new Request(at, method, recorded, write, 0, sent);
        int index;
        synchronized (this) {
            index = requests.size();
            requests.add(arrival);
            if (write && holdArrived != null) {
                arrived = holdArrived;
                release = holdRelease;
                holdArrived = null;
                holdRelease = null;
            }
        }
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(target + uri.getRawPath()
                        + (uri.getRawQuery() == null ? "" : "?" + uri.getRawQuery())))
                .timeout(Duration.ofSeconds(30))
                .method(method, body.length == 0 ? HttpRequest.BodyPublishers.noBody()
                        : HttpRequest.BodyPublishers.ofByteArray(body));
        ex.getRequestHeaders().forEach((name, values) -> {
            if (!HOP_HEADERS.contains(name.toLowerCase(Locale.ROOT))) {
                values.forEach(v -> b.header(name, v));
            }
        });
        HttpResponse<byte[]> r = client.send(b.build(), HttpResponse.BodyHandlers.ofByteArray());
        synchronized (this) {
            requests.set(index, new Request(at, method, recorded, write, r.body().length, sent));
        }
        if (arrived != null) {
            arrived.complete(null);
            release.await(60, TimeUnit.SECONDS);
        }
        if (!delay.isZero()) {
            Thread.sleep(delay.toMillis());
        }
        r.headers().map().forEach((name, values) -> {
            if (!HOP_HEADERS.contains(name.toLowerCase(Locale.ROOT)) && !name.startsWith(":")) {
                values.forEach(v -> ex.getResponseHeaders().add(name, v));
            }
        });
        byte[] out = r.body();
        if (r.headers().firstValue("Content-Type").orElse("").contains("json")) {
            // absolute links in the answer (Graph's @odata.nextLink / deltaLink) lead back through the tap, as a
            // reverse proxy rewrites them: otherwise a client would follow them around it
            String text = new String(out, java.nio.charset.StandardCharsets.UTF_8);
            String own = baseUrl().substring(0, baseUrl().length() - 1);
            if (text.contains(target)) {
                out = text.replace(target, own).getBytes(java.nio.charset.StandardCharsets.UTF_8);
            }
        }
        ex.sendResponseHeaders(r.statusCode(), out.length == 0 ? -1 : out.length);
        if (out.length > 0) {
            ex.getResponseBody().write(out);
        }
    }

    @Override
    public void close() {
        server.stop(0);
        executor.shutdownNow();
    }
}
