package io.chronoroute.agent.transport;

import org.springframework.boot.context.properties.ConfigurationProperties;
import org.springframework.boot.context.properties.bind.DefaultValue;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;

/**
 * The agent's transport settings ({@code chronoroute.agent.*}, next to {@code AgentProperties}; docs/air-gap.md).
 *
 * @param transport    {@code http} (default), {@code file-drop} or {@code email}
 * @param bundleSecret the secret {@code POST /sync/agents/{id}/airgap} returned; only from the environment
 *                     ({@code CHRONOROUTE_AGENT_BUNDLE_SECRET}), never logged
 * @param bundle       bundle settings common to both air-gap transports, and the file-drop folders
 * @param mail         the e-mail transport
 */
@ConfigurationProperties("chronoroute.agent")
public record AirgapAgentProperties(
        @DefaultValue("http") String transport,
        String bundleSecret,
        @DefaultValue Bundle bundle,
        @DefaultValue Mail mail) {

    public static final String HTTP = "http";
    public static final String FILE_DROP = "file-drop";
    public static final String EMAIL = "email";

    public AirgapAgentProperties {
        if (!HTTP.equals(transport) && !FILE_DROP.equals(transport) && !EMAIL.equals(transport)) {
            throw new IllegalArgumentException("chronoroute.agent.transport must be http, file-drop or email, was "
                    + transport);
        }
        if (!HTTP.equals(transport) && (bundleSecret == null
                || bundleSecret.getBytes(StandardCharsets.UTF_8).length < 16)) {
            throw new IllegalArgumentException("chronoroute.agent.transport=" + transport + " needs "
                    + "chronoroute.agent.bundle-secret (the secret POST /sync/agents/{id}/airgap returned)");
        }
    }

    /**
     * @param outbox      file-drop: folder the bundles are written to (temp file + rename)
     * @param inbox       file-drop: folder the master's answer bundles are read from
     * @param quarantine  rejected answer bundles (and {@code <name>.reason.txt}); blank = {@code <data-dir>/airgap-quarantine}
     * @param resendAfter an unanswered bundle is written again (same sequence, same batch) after this time
     * @param encrypt     AES-256-GCM on top of the HMAC
     * @param pollDelay   milliseconds between polls of the inbox (folder or mailbox)
     */
    public record Bundle(@DefaultValue("./airgap/outbox") Path outbox, @DefaultValue("./airgap/inbox") Path inbox,
                         Path quarantine, @DefaultValue("6h") Duration resendAfter,
                         @DefaultValue("true") boolean encrypt, @DefaultValue("5000") long pollDelay) {
    }

    /**
     * @param smtpUri          camel-mail producer URI heartbeats are sent with (password from the environment)
     * @param imapUri          camel-mail consumer URI of the agent's own mailbox, where the answers arrive
     * @param from             the agent's address (the master answers to it unless provisioned with another)
     * @param to               the master's address
     * @param quarantineFolder mail folder rejected answer mails are moved to
     */
    public record Mail(String smtpUri, String imapUri, String from, String to,
                       @DefaultValue("Quarantine") String quarantineFolder) {

        @Override
        public String toString() {
            return "Mail[smtpUri=<" + (smtpUri == null ? "none" : "set") + ">, imapUri=<" + (imapUri == null ? "none"
                    : "set") + ">, from=" + from + ", to=" + to + "]";
        }
    }

    public boolean isHttp() {
        return HTTP.equals(transport);
    }

    public byte[] secretBytes() {
        return bundleSecret.getBytes(StandardCharsets.UTF_8);
    }

    @Override
    public String toString() {
        return "AirgapAgentProperties[transport=" + transport + ", bundleSecret=" + (bundleSecret == null ? "<none>"
                : "<set>") + ", bundle=" + bundle + ", mail=" + mail + "]";
    }
}
