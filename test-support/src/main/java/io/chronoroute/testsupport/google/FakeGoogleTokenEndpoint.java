package io.chronoroute.testsupport.google;

import com.sun.net.httpserver.HttpServer;

import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Google's OAuth token endpoint as the master's destination and the agent's source use it (JDK HttpServer, path
 * {@code /token}): the configured client exchanges its authorization code for the refresh token, and the refresh token
 * for fresh access tokens {@code at-<n>}; anything else is 400 {@code invalid_grant}, as Google answers. Shared by the
 * master's and the agent's tests and the end-to-end tests, beside {@link FakeGoogleCalendar} (which accepts any bearer).
 */
public final class FakeGoogleTokenEndpoint implements AutoCloseable {

    public static final String CLIENT_ID = "client-1";
    public static final String CLIENT_SECRET = "secret-1";
    public static final String CODE = "code-1";
    public static final String REFRESH = "rt-1";

    private final HttpServer server;
    private final AtomicInteger issued = new AtomicInteger();
    private final List<Map<String, String>> requests = new CopyOnWriteArrayList<>();

    /** Client {@link #CLIENT_ID}/{@link #CLIENT_SECRET}, code {@link #CODE}, refresh token {@link #REFRESH}. */
    public FakeGoogleTokenEndpoint() {
        this(CLIENT_ID, CLIENT_SECRET, REFRESH, CODE);
    }

    /** @param code the authorization code the client may exchange; null: only the refresh grant is known */
    public FakeGoogleTokenEndpoint(String clientId, String clientSecret, String refreshToken, String code) {
        try {
            server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 16);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
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
            boolean client = clientId.equals(form.get("client_id")) && clientSecret.equals(form.get("client_secret"));
            if (client && code != null && "authorization_code".equals(form.get("grant_type"))
                    && code.equals(form.get("code"))) {
                body = "{\"access_token\":\"at-" + issued.incrementAndGet() + "\",\"refresh_token\":\"" + refreshToken
                        + "\",\"expires_in\":3600,\"token_type\":\"Bearer\"}";
            } else if (client && "refresh_token".equals(form.get("grant_type"))
                    && refreshToken.equals(form.get("refresh_token"))) {
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

    public String uri() {
        return "http://127.0.0.1:" + server.getAddress().getPort() + "/token";
    }

    /** Access tokens issued so far. */
    public int issued() {
        return issued.get();
    }

    /** Every form posted, decoded, in order. */
    public List<Map<String, String>> requests() {
        return requests;
    }

    @Override
    public void close() {
        server.stop(0);
    }
}
