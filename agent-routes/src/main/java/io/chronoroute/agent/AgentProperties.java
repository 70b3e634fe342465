package io.chronoroute.agent;

import org.springframework.boot.context.properties.ConfigurationProperties;
import org.springframework.boot.context.properties.bind.DefaultValue;

import java.net.URI;
import java.time.Duration;
import java.time.ZoneId;

/**
 * The agent's settings ({@code chronoroute.agent.*}). Seed names (outlook_config.json) in brackets.
 *
 * @param id                  agent id [agent_id]; part of every sync key, so never change it for an existing agent
 * @param name                display name [agent_name]
 * @param environment         network/environment description [environment]
 * @param masterUrl           the master's base URL [central_api_url]
 * @param enrollmentSecret    the master's enrollment secret, used once to obtain a credential; from the environment
 *                            ({@code CHRONOROUTE_AGENT_ENROLLMENT_SECRET}), never logged
 * @param heartbeatInterval   time between heartbeats [sync_interval_minutes]; the master may change it at runtime
 *                            with a {@code sync_config} update
 * @param heartbeatTick       how often the heartbeat route wakes up to check whether a heartbeat is due (the
 *                            granularity of {@code heartbeatInterval}, of runtime interval changes and of back-off)
 * @param heartbeatInitialDelay delay before the first tick, so that the sources register first
 * @param batchSize           maximum changes per heartbeat [batch_size]; below the master's 10,000 limit
 * @param maxBatchesPerTick   how many batches one tick may send while the outbox still holds more
 * @param requestTimeout      HTTP request timeout towards the master
 * @param maxBackoff          upper bound of the back-off after failed registrations / rejected credentials
 * @param timeZone            the sources' zone, sent as {@code config.time_zone} at registration and used by
 *                            sources without their own {@code timeZone}; empty = the machine's zone
 */
@ConfigurationProperties("chronoroute.agent")
public record AgentProperties(
        String id,
        @DefaultValue("Chronoroute agent") String name,
        @DefaultValue("default") String environment,
        @DefaultValue("http://localhost:8008") URI masterUrl,
        String enrollmentSecret,
        @DefaultValue("30s") Duration heartbeatInterval,
        @DefaultValue("1s") Duration heartbeatTick,
        @DefaultValue("2s") Duration heartbeatInitialDelay,
        @DefaultValue("5000") int batchSize,
        @DefaultValue("20") int maxBatchesPerTick,
        @DefaultValue("30s") Duration requestTimeout,
        @DefaultValue("10m") Duration maxBackoff,
        String timeZone) {

    public AgentProperties {
        if (id == null || id.isBlank()) {
            throw new IllegalArgumentException("chronoroute.agent.id must be set (it is part of every sync key)");
        }
        if (batchSize < 1 || batchSize > 10_000) {
            throw new IllegalArgumentException("chronoroute.agent.batch-size must be within 1..10000, was " + batchSize);
        }
        if (maxBatchesPerTick < 1) {
            throw new IllegalArgumentException("chronoroute.agent.max-batches-per-tick must be >= 1");
        }
    }

    /** The configured zone, or the machine's zone when none is configured. */
    public ZoneId zone() {
        return timeZone == null || timeZone.isBlank() ? ZoneId.systemDefault() : ZoneId.of(timeZone);
    }

    @Override
    public String toString() {
        // the enrollment secret is never printed
        return "AgentProperties[id=" + id + ", name=" + name + ", environment=" + environment + ", masterUrl="
                + masterUrl + ", heartbeatInterval=" + heartbeatInterval + ", batchSize=" + batchSize + ", timeZone="
                + timeZone + ", enrollmentSecret=" + (enrollmentSecret == null || enrollmentSecret.isBlank() ? "<none>" : "<set>") + "]";
    }
}
