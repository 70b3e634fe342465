package io.chronoroute.master.destination.google;

import com.sun.net.httpserver.HttpServer;

import java.io.IOException;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;

/** A tiny OAuth token endpoint (JDK HttpServer): code "code-1" → refresh token "rt-1"; "rt-1" → fresh access tokens. */
final class FakeTokenEndpoint implements AutoCloseable {

    static final String CODE = "code-1";
    static final String REFRESH = "rt-1";

    private final HttpServer server;
    private final AtomicInteger issued = new AtomicInteger();
    private final List<Map<String, String>> requests = new CopyOnWriteArrayList<>();

    FakeTokenEndpoint() throws IOException {
        server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 16);
        server.createContext("/token", ex -> {
            Map<String, String> form = new HashMap<>();
            for (String pair : new String(ex.getRequestBody().readAllBytes(), StandardCharsets.UTF_8).split("&")) {
                int eq = pair.indexOf('=');
                if (eq > 0) {
                    form.put(URLDecoder.decode(pair.substring(0, eq), StandardCharsets.UTF_8),
                            URLDecoder.decode(pair.substring(eq + 1), StandardCharsets.UTF_8));
                }
            }
            requests.add(form);
            String body;
            int status = 200;
            boolean client = "client-1".equals(form.get("client_id")) && "secret-1".equals(form.get("client_secret"));
            if (client && "authorization_code".equals(form.get("grant_type")) && CODE.equals(form.get("code"))) {
                body = "{\"access_token\":\"at-" + issued.incrementAndGet() + "\",\"refresh_token\":\"" + REFRESH
                        + "\",\"expires_in\":3600,\"token_type\":\"Bearer\"}";
            } else if (client && "refresh_token".equals(form.get("grant_type"))
                    && REFRESH.equals(form.get("refresh_token"))) {
                body = "{\"access_token\":\"at-" + issued.incrementAndGet() + "\",\"expires_in\":3600}";
            } else {
                status = 400;
                body = "{\"error\":\"invalid_grant\"}";
            }
            byte[] out = body.getBytes(StandardCharsets.UTF_8);
            ex.getResponseHeaders().set("Content-Type", "application/json");
            ex.sendResponseHeaders(status, out.length);
            try (OutputStream os = ex.getResponseBody()) {
                os.write(out);
            }
        });
        server.start();
    }

    String uri() {
        return "http://127.0.0.1:" + server.getAddress().getPort() + "/token";
    }

    int issued() {
        return issued.get();
    }

    List<Map<String, String>> requests() {
        return requests;
    }

    @Override
    public void close() {
        server.stop(0);
    }
}
