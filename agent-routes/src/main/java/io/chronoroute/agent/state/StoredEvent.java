package io.chronoroute.agent.state;

import com.fasterxml.jackson.databind.JsonNode;

/**
 * One member of the agent's current set: the source it came from, its {@code ContentHash} and its protocol-2
 * wire JSON ({@code WireJson.writeEvent}).
 */
public record StoredEvent(String source, String hash, JsonNode event) {
}
