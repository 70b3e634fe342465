package io.chronoroute.master.airgap;

import jakarta.activation.DataHandler;
import jakarta.mail.Flags;
import jakarta.mail.internet.AddressException;
import jakarta.mail.internet.InternetAddress;
import jakarta.mail.util.ByteArrayDataSource;
import org.apache.camel.Exchange;
import org.apache.camel.Message;
import org.apache.camel.attachment.AttachmentMessage;
import org.apache.camel.component.mail.MailConstants;
import org.apache.camel.component.mail.MailMessage;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.stereotype.Component;

import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * Header and attachment plumbing between camel-mail and {@link AirgapService} (template {@code airgap-imap-inbox} and
 * {@code direct:master-airgap-send-answer}). Every {@code *.crb} attachment of a mail is one bundle. A mail with a
 * rejected bundle, or without any, is flagged ({@code \Flagged}) and moved to the quarantine mail folder (camel-mail's
 * per-message {@code moveTo} header) - kept, never deleted; a good one stays where it is, marked seen.
 */
@Component("airgapMail")
public class AirgapMail {

    /** Exchange property set by the template: the quarantine mail folder. */
    public static final String QUARANTINE_FOLDER = "ChronorouteAirgapQuarantineFolder";
    private static final Logger LOG = LoggerFactory.getLogger(AirgapMail.class);

    private final AirgapService service;
    private final AirgapProperties props;

    public AirgapMail(AirgapService service, AirgapProperties props) {
        this.service = service;
        this.props = props;
    }

    public List<AirgapService.Received> receive(Exchange exchange) throws IOException {
        Message in = exchange.getMessage();
        String messageId = in.getHeader("Message-ID", String.class);
        String from = address(in.getHeader("Reply-To", String.class));
        if (from == null) {
            from = address(in.getHeader("From", String.class));
        }
        String label = "mail " + (messageId == null ? "(no Message-ID)" : messageId) + " from " + from;
        List<AirgapService.Received> results = new ArrayList<>();
        AttachmentMessage am = exchange.getMessage(AttachmentMessage.class);
        Map<String, DataHandler> attachments = am == null ? null : am.getAttachments();
        if (attachments != null) {
            for (Map.Entry<String, DataHandler> a : attachments.entrySet()) {
                if (!a.getKey().endsWith(".crb")) {
                    continue;
                }
                DataHandler attachment = a.getValue();
                results.add(service.receive(attachment::getInputStream, label + " / " + a.getKey(),
                        AirgapService.CHANNEL_MAIL, from));
            }
        }
        if (results.isEmpty()) {
            results.add(service.quarantineMail(label, "NO_BUNDLE", "the mail has no *.crb attachment"));
        }
        if (results.stream().anyMatch(r -> "quarantined".equals(r.result()))) {
            String folder = exchange.getProperty(QUARANTINE_FOLDER, "Quarantine", String.class);
            in.setHeader(MailConstants.MAIL_MOVE_TO, folder);
            if (in instanceof MailMessage mm && mm.getOriginalMessage() != null) {
                try {
                    mm.getOriginalMessage().setFlag(Flags.Flag.FLAGGED, true);
                } catch (Exception e) {
                    LOG.debug("cannot flag {}: {}", label, e.toString());
                }
            }
            LOG.warn("Air-gap {} moved to mail folder '{}'", label, folder);
        }
        return results;
    }

    /** Turns an answer bundle (body) into a mail with the bundle as attachment. */
    public void prepareAnswer(Exchange exchange) {
        Message m = exchange.getMessage();
        byte[] data = m.getBody(byte[].class);
        String agent = m.getHeader(AirgapService.H_AGENT, String.class);
        Long seq = m.getHeader(AirgapService.H_SEQ, Long.class);
        String to = m.getHeader(AirgapService.H_REPLY_TO, String.class);
        m.removeHeaders("Chronoroute*");
        m.removeHeaders("Camel*");
        m.setHeader("To", to);
        m.setHeader("From", props.mail().from());
        m.setHeader("Subject", "Chronoroute answer for " + agent + " #" + seq);
        m.setHeader("Content-Type", "text/plain; charset=UTF-8");
        m.setBody("Chronoroute answer bundle for agent " + agent + ", sequence " + seq + " (attached).\n");
        AttachmentMessage am = exchange.getMessage(AttachmentMessage.class);
        am.addAttachment(AirgapService.fileName(agent, seq), new DataHandler(new ByteArrayDataSource(data,
                "application/octet-stream")));
    }

    static String address(String header) {
        if (header == null || header.isBlank()) {
            return null;
        }
        try {
            InternetAddress[] a = InternetAddress.parse(header);
            return a.length == 0 ? null : a[0].getAddress();
        } catch (AddressException e) {
            return null;
        }
    }
}
