package io.chronoroute.master.config;

import org.springframework.boot.context.properties.ConfigurationProperties;
import org.springframework.boot.context.properties.bind.DefaultValue;
import org.springframework.util.unit.DataSize;

import java.nio.file.Path;
import java.time.ZoneId;

/**
 * Master settings ({@code chronoroute.*}). Secrets left blank are generated once and kept in the store
 * (see {@link MasterSecrets}). {@link #toString()} never shows secret values.
 *
 * @param dataDir                   folder for the embedded store and {@code secrets.txt}
 * @param adminToken                bearer token of the admin endpoints (blank: generated)
 * @param feedToken                 {@code ?token=} of {@code /calendar.ics} (blank: generated)
 * @param enrollmentSecret          secret an agent presents to register (blank: generated)
 * @param legacyAgents              seed agents without credentials (off by default)
 * @param maxEventsPerHeartbeat     more events in one heartbeat → 413
 * @param maxBodyBytes              larger request bodies → 413, checked before parsing
 * @param conflictResolution        latest_wins | source_wins | destination_wins | manual
 * @param updateQueueRetentionDays  processed/rejected updates older than this are purged
 * @param displayZone               zone in which dates and floating times are placed for range queries/views
 * @param enableBidirectionalSync   reported to agents in sync_config and /sync/config
 * @param purgeCron                 Quartz cron of the update-queue purge
 */
@ConfigurationProperties("chronoroute")
public record ChronorouteProperties(
        @DefaultValue("./chronoroute-data/master") Path dataDir,
        String adminToken,
        String feedToken,
        String enrollmentSecret,
        @DefaultValue LegacyAgents legacyAgents,
        @DefaultValue("10000") int maxEventsPerHeartbeat,
        @DefaultValue("32MB") DataSize maxBodyBytes,
        @DefaultValue("latest_wins") String conflictResolution,
        @DefaultValue("30") int updateQueueRetentionDays,
        @DefaultValue("UTC") ZoneId displayZone,
        @DefaultValue("true") boolean enableBidirectionalSync,
        @DefaultValue("0 15 3 * * ?") String purgeCron) {

    /** @param enabled accept seed agents that register and call without credentials (logged loudly) */
    public record LegacyAgents(@DefaultValue("false") boolean enabled) {
    }

    public boolean legacyEnabled() {
        return legacyAgents != null && legacyAgents.enabled();
    }

    public long maxBody() {
        return maxBodyBytes.toBytes();
    }

    @Override
    public String toString() {
        return "ChronorouteProperties[dataDir=" + dataDir + ", adminToken=" + mask(adminToken) + ", feedToken="
                + mask(feedToken) + ", enrollmentSecret=" + mask(enrollmentSecret) + ", legacyAgents=" + legacyEnabled()
                + ", maxEventsPerHeartbeat=" + maxEventsPerHeartbeat + ", maxBodyBytes=" + maxBodyBytes
                + ", conflictResolution=" + conflictResolution + ", updateQueueRetentionDays="
                + updateQueueRetentionDays + ", displayZone=" + displayZone + ", enableBidirectionalSync="
                + enableBidirectionalSync + ", purgeCron=" + purgeCron + "]";
    }

    private static String mask(String s) {
        return s == null || s.isBlank() ? "<blank>" : "<set>";
    }
}
