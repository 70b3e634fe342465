package io.chronoroute.master.airgap;

import org.apache.camel.CamelContext;
import org.apache.camel.Exchange;
import org.apache.camel.support.DefaultExchange;
import org.springframework.core.env.Environment;
import org.springframework.stereotype.Component;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;

/**
 * The master's own REST API over loopback HTTP, for when the REST DSL inlined the direct route an air-gap bundle
 * must go through (see {@link AirgapService}). The bearer travels only in the {@code Authorization} header of a
 * request to 127.0.0.1 and is never logged.
 */
@Component
public class AirgapLoopback {

    private final Environment env;
    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(10)).build();

    public AirgapLoopback(Environment env) {
        this.env = env;
    }

    /** POSTs to this master; the answer as an exchange (body = answer text, HTTP_RESPONSE_CODE = status). */
    Exchange post(String path, String bearer, byte[] body, CamelContext camel) {
        String port = env.getProperty("local.server.port", env.getProperty("server.port", "8008"));
        String prefix = env.getProperty("server.servlet.context-path", "");
        HttpRequest req = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + prefix + path))
                .timeout(Duration.ofMinutes(5))
                .header("Content-Type", "application/json")
                .header("Authorization", "Bearer " + bearer)
                .POST(HttpRequest.BodyPublishers.ofByteArray(body))
                .build();
        HttpResponse<String> r;
        try {
            r = http.send(req, HttpResponse.BodyHandlers.ofString());
        } catch (IOException e) {
            throw new IllegalStateException("loopback call to " + path + " failed: " + e.getMessage(), e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted", e);
        }
        Exchange ex = new DefaultExchange(camel);
        ex.getMessage().setBody(r.body());
        ex.getMessage().setHeader(Exchange.HTTP_RESPONSE_CODE, r.statusCode());
        return ex;
    }
}
