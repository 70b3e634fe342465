package io.chronoroute.agent.heartbeat;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.chronoroute.agent.AgentProperties;
import io.chronoroute.agent.transport.BundleConfirmations;
import io.chronoroute.processors.wire.WireJson;
import org.springframework.beans.factory.ObjectProvider;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.stereotype.Component;

import java.io.IOException;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;

/**
 * The master's HTTP API as the agent uses it (architecture.md "Wire protocol"), with the JDK {@link HttpClient}.
 * Chosen over camel-http because the heartbeat logic needs every status code as a value (201/200/404/409/413/5xx
 * each mean something different) and full control over what is logged: the credential only ever travels in the
 * {@code Authorization} header and the enrollment secret in the register body; neither is logged.
 *
 * <p>Connection problems are thrown as {@link IOException}; every HTTP answer, whatever its status, is returned.
 */
@Component
public class MasterClient {

    private static final ObjectMapper JSON = WireJson.mapper();

    private final HttpClient http;
    private final AgentProperties props;
    private final ObjectProvider<BundleConfirmations> confirmations;

    public MasterClient(HttpClient agentHttpClient, AgentProperties props) {
        this(agentHttpClient, props, null);
    }

    /**
     * With the air-gap confirmation queue: when the agent uses an air-gap transport, {@link #processed} queues the
     * confirmation for the next heartbeat bundle instead of calling the master (docs/air-gap.md).
     */
    @Autowired
    public MasterClient(HttpClient agentHttpClient, AgentProperties props,
                        ObjectProvider<BundleConfirmations> confirmations) {
        this.http = agentHttpClient;
        this.props = props;
        this.confirmations = confirmations;
    }

    /** An answer: status and the JSON body (null when the body is empty or not JSON). */
    public record Answer(int status, JsonNode body, int bodyBytes) {

        public boolean isServerError() {
            return status >= 500;
        }
    }

    public Answer register(String body, String credential) throws IOException {
        return send(post("/sync/agents/register", body, credential));
    }

    public Answer heartbeat(String agentId, String credential, String body) throws IOException {
        return send(post("/sync/agents/" + enc(agentId) + "/heartbeat", body, credential));
    }

    public Answer pendingUpdates(String agentId, String credential) throws IOException {
        HttpRequest.Builder b = request("/sync/agents/" + enc(agentId) + "/pending-updates", credential).GET();
        return send(b.build());
    }

    /** {@code body} null = success (no body, as the seed sends it). */
    public Answer processed(String agentId, String credential, String updateId, String body) throws IOException {
        BundleConfirmations queue = confirmations == null ? null : confirmations.getIfAvailable();
        if (queue != null && queue.active()) {
            queue.add(updateId, body);
            return new Answer(202, null, 0);
        }
        String path = "/sync/agents/" + enc(agentId) + "/updates/" + enc(updateId) + "/processed";
        HttpRequest.Builder b = request(path, credential);
        if (body == null) {
            b.POST(HttpRequest.BodyPublishers.noBody());
        } else {
            b.header("Content-Type", "application/json").POST(HttpRequest.BodyPublishers.ofString(body, StandardCharsets.UTF_8));
        }
        return send(b.build());
    }

    public URI masterUrl() {
        return props.masterUrl();
    }

    private HttpRequest post(String path, String body, String credential) {
        return request(path, credential)
                .header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString(body, StandardCharsets.UTF_8))
                .build();
    }

    private HttpRequest.Builder request(String path, String credential) {
        String base = props.masterUrl().toString();
        if (base.endsWith("/")) {
            base = base.substring(0, base.length() - 1);
        }
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(base + path))
                .timeout(props.requestTimeout() == null ? Duration.ofSeconds(30) : props.requestTimeout())
                .header("Accept", "application/json");
        if (credential != null && !credential.isBlank()) {
            b.header("Authorization", "Bearer " + credential);
        }
        return b;
    }

    private Answer send(HttpRequest request) throws IOException {
        HttpResponse<byte[]> r;
        try {
            r = http.send(request, HttpResponse.BodyHandlers.ofByteArray());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException("interrupted", e);
        }
        byte[] bytes = r.body() == null ? new byte[0] : r.body();
        JsonNode json = null;
        if (bytes.length > 0) {
            try {
                json = JSON.readTree(bytes);
            } catch (JsonProcessingException e) {
                json = null;
            }
        }
        return new Answer(r.statusCode(), json, bytes.length);
    }

    private static String enc(String s) {
        return URLEncoder.encode(s, StandardCharsets.UTF_8).replace("+", "%20");
    }
}
