package io.chronoroute.processors.model;

/**
 * Where an observation of an event came from: the agent, the source (the YAML source route's name), the
 * calendar inside that source, and the provider's own id for the item (file path, EntryID, ...).
 */
public record Origin(String agentId, String source, String calendarId, String calendarName, String provider,
                     String providerId) {

    public Origin withAgent(String agent) {
        return new Origin(agent, source, calendarId, calendarName, provider, providerId);
    }
}
