package io.chronoroute.agent.source.google;

import com.sun.net.httpserver.HttpServer;

import java.io.IOException;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A tiny OAuth token endpoint (JDK HttpServer), refresh grant only: the given client and refresh token get a fresh
 * access token {@code atoken-<n>}; anything else is 400 invalid_grant.
 */
final class TokenEndpoint implements AutoCloseable {

    private final HttpServer server;
    private final AtomicInteger issued = new AtomicInteger();

    TokenEndpoint(String clientId, String clientSecret, String refreshToken) throws IOException {
        server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 8);
        server.createContext("/token", ex -> {
            String form = new String(ex.getRequestBody().readAllBytes(), StandardCharsets.UTF_8);
            boolean ok = form.contains("grant_type=refresh_token") && form.contains("client_id=" + clientId)
                    && form.contains("client_secret=" + clientSecret) && form.contains("refresh_token=" + refreshToken);
            String body = ok ? "{\"access_token\":\"atoken-" + issued.incrementAndGet() + "\",\"expires_in\":3600}"
                    : "{\"error\":\"invalid_grant\"}";
            byte[] out = body.getBytes(StandardCharsets.UTF_8);
            ex.getResponseHeaders().set("Content-Type", "application/json");
            ex.sendResponseHeaders(ok ? 200 : 400, out.length);
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

    @Override
    public void close() {
        server.stop(0);
    }
}
