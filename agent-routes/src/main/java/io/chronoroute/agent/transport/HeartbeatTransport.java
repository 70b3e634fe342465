package io.chronoroute.agent.transport;

import io.chronoroute.agent.heartbeat.MasterClient.Answer;

import java.io.IOException;
import java.util.Optional;

/**
 * How a heartbeat body reaches the master ({@code chronoroute.agent.transport}). The heartbeat logic (batches,
 * outbox, answer handling) is the same for all: {@code HeartbeatService}.
 */
public interface HeartbeatTransport {

    /**
     * Sends one heartbeat. A synchronous transport (HTTP) returns the master's answer; a store-and-forward transport
     * (file drop, e-mail) returns empty - the answer comes back later as an answer bundle.
     *
     * @param batchId the batch the body carries, null for a status heartbeat
     * @throws IOException the master (or the drop folder / mail server) cannot be reached; everything is kept
     */
    Optional<Answer> send(String agentId, String credential, String batchId, String body) throws IOException;

    /** True for HTTP: the agent registers, and fetches pending updates when an answer lacks them. */
    boolean http();

    /** For log lines: where heartbeats go. */
    String describe();
}
