package io.chronoroute.agent.transport;

import io.chronoroute.agent.heartbeat.MasterClient;
import io.chronoroute.agent.heartbeat.MasterClient.Answer;

import java.io.IOException;
import java.util.Optional;

/** {@code chronoroute.agent.transport=http} (the default): {@code POST /sync/agents/{id}/heartbeat}. */
public final class HttpTransport implements HeartbeatTransport {

    private final MasterClient client;

    public HttpTransport(MasterClient client) {
        this.client = client;
    }

    @Override
    public Optional<Answer> send(String agentId, String credential, String batchId, String body) throws IOException {
        return Optional.of(client.heartbeat(agentId, credential, body));
    }

    @Override
    public boolean http() {
        return true;
    }

    @Override
    public String describe() {
        return String.valueOf(client.masterUrl());
    }
}
