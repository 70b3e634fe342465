package io.chronoroute.bench;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;

import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;

/**
 * A loopback HTTP proxy between the agent and the master that records the size of every request and answer,
 * so the benchmark measures heartbeat bytes on the wire as the agent really sends them.
 */
final class CountingProxy implements AutoCloseable {

    record Exchange(String method, String path, int requestBytes, int responseBytes, int status, String requestBody) {
    }

    private static final Set<String> HOP = Set.of("connection", "content-length", "host", "transfer-encoding",
            "upgrade", "expect", "keep-alive");

    private final HttpServer server;
    private final ExecutorService executor = Executors.newFixedThreadPool(4);
    private final HttpClient client = HttpClient.newHttpClient();
    private final String target;
    final List<Exchange> exchanges = new CopyOnWriteArrayList<>();

    CountingProxy(String target) throws IOException {
        this.target = target;
        server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
        server.setExecutor(executor);
        server.createContext("/", this::handle);
        server.start();
    }

    String url() {
        return "http://127.0.0.1:" + server.getAddress().getPort();
    }

    private void handle(HttpExchange ex) throws IOException {
        byte[] body = ex.getRequestBody().readAllBytes();
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(target + ex.getRequestURI()))
                .method(ex.getRequestMethod(), body.length == 0 ? HttpRequest.BodyPublishers.noBody()
                        : HttpRequest.BodyPublishers.ofByteArray(body));
        ex.getRequestHeaders().forEach((k, v) -> {
            if (!HOP.contains(k.toLowerCase())) {
                v.forEach(x -> b.header(k, x));
            }
        });
        try {
            HttpResponse<byte[]> r = client.send(b.build(), HttpResponse.BodyHandlers.ofByteArray());
            r.headers().map().forEach((k, v) -> {
                if (!HOP.contains(k.toLowerCase()) && !k.startsWith(":")) {
                    ex.getResponseHeaders().put(k, v);
                }
            });
            byte[] out = r.body();
            exchanges.add(new Exchange(ex.getRequestMethod(), ex.getRequestURI().getPath(), body.length, out.length,
                    r.statusCode(), body.length < 4096 ? new String(body) : null));
            ex.sendResponseHeaders(r.statusCode(), out.length == 0 ? -1 : out.length);
            try (OutputStream os = ex.getResponseBody()) {
                os.write(out);
            }
        } catch (IOException e) {
            // master down: the agent must see a connection failure, as it would without the proxy
            ex.sendResponseHeaders(502, -1);
            ex.close();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            ex.sendResponseHeaders(503, -1);
            ex.close();
        }
    }

    List<Exchange> heartbeats() {
        return exchanges.stream().filter(e -> e.path().endsWith("/heartbeat")).toList();
    }

    @Override
    public void close() {
        server.stop(0);
        executor.shutdownNow(); // its threads are not daemons: left running, they kept the bench JVM alive at the end
    }
}
