package io.chronoroute.master.airgap;

import org.springframework.boot.context.properties.ConfigurationProperties;
import org.springframework.boot.context.properties.bind.DefaultValue;
import org.springframework.util.unit.DataSize;

import java.nio.file.Path;
import java.time.Duration;

/**
 * Air-gap settings ({@code chronoroute.airgap.*}, docs/air-gap.md). Folders left blank live under
 * {@code <chronoroute.data-dir>/airgap/}. The pollers themselves (file inbox, IMAP mailbox) are YAML route templates
 * ({@code airgap-file-inbox}, {@code airgap-imap-inbox}); these properties are what the Java side needs.
 *
 * @param outbox         answers for file-drop agents go to {@code <outbox>/<agent id>/} (blank: data-dir/airgap/outbox)
 * @param quarantine     rejected bundles and their {@code .reason.txt} (blank: data-dir/airgap/quarantine)
 * @param parked         verified bundles waiting for their turn, per agent (blank: data-dir/airgap/parked)
 * @param encryptAnswers answer bundles are AES-256-GCM encrypted (the MAC is always there)
 * @param maxBundleBytes larger files/attachments are quarantined unread (TOO_LARGE)
 * @param drainPeriod    how often parked bundles are retried (after a transient failure of the ingest)
 * @param mail           how answers go out by e-mail
 */
@ConfigurationProperties("chronoroute.airgap")
public record AirgapProperties(
        Path outbox,
        Path quarantine,
        Path parked,
        @DefaultValue("true") boolean encryptAnswers,
        @DefaultValue("40MB") DataSize maxBundleBytes,
        @DefaultValue("60s") Duration drainPeriod,
        @DefaultValue Mail mail) {

    /**
     * @param smtpUri camel-mail producer URI for answer mails, e.g.
     *                {@code smtps://mail.example.org:465?username=chronoroute&password=RAW(${MAIL_PASSWORD})};
     *                blank = mail answers are not possible (a mail heartbeat is still ingested, its answer is logged
     *                as undeliverable and sent again when the agent re-sends)
     * @param from    sender address of answer mails
     */
    public record Mail(String smtpUri, @DefaultValue("chronoroute-master@localhost") String from) {

        @Override
        public String toString() {
            return "Mail[smtpUri=" + (smtpUri == null || smtpUri.isBlank() ? "<none>" : "<set>") + ", from=" + from + "]";
        }
    }

    public Path outboxOr(Path dataDir) {
        return outbox != null ? outbox : dataDir.resolve("airgap").resolve("outbox");
    }

    public Path quarantineOr(Path dataDir) {
        return quarantine != null ? quarantine : dataDir.resolve("airgap").resolve("quarantine");
    }

    public Path parkedOr(Path dataDir) {
        return parked != null ? parked : dataDir.resolve("airgap").resolve("parked");
    }

    public boolean mailConfigured() {
        return mail != null && mail.smtpUri() != null && !mail.smtpUri().isBlank();
    }
}
