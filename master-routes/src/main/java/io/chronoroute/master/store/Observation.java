package io.chronoroute.master.store;

/**
 * What one agent's source last said about one event record. {@code eventJson} is the wire JSON (protocol 2
 * spelling) of the normalized event with its origin; {@code identity} links it to its consolidated event.
 */
public record Observation(String agentId, String syncKey, String identity, String contentHash, String eventJson) {
}
