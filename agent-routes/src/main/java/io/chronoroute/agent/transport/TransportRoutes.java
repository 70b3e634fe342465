package io.chronoroute.agent.transport;

import io.chronoroute.agent.heartbeat.HeartbeatRoutes;
import org.apache.camel.builder.RouteBuilder;
import org.springframework.stereotype.Component;

/**
 * The air-gap return path: {@code agent-poll-airgap-inbox} (file drop: the inbox folder, {@code *.crb},
 * {@code readLock=changed}, deleted after reading) or {@code agent-poll-airgap-mailbox} (e-mail: the agent's IMAP
 * mailbox, unseen mails, never deleted; a rejected one is moved to the quarantine folder). Each answer bundle goes to
 * {@code BundleInbox}; the updates it carries go one by one to {@code agent-apply-update}, as after an HTTP answer.
 * Nothing for {@code transport=http}.
 */
@Component
public class TransportRoutes extends RouteBuilder {

    private final AirgapAgentProperties props;

    public TransportRoutes(AirgapAgentProperties props) {
        this.props = props;
    }

    @Override
    public void configure() {
        long delay = props.bundle().pollDelay();
        long check = Math.max(50, Math.min(1000, delay / 2));
        if (AirgapAgentProperties.FILE_DROP.equals(props.transport())) {
            from("file:" + props.bundle().inbox().toAbsolutePath().normalize() + "?include=.*\\.crb&readLock=changed"
                    + "&readLockCheckInterval=" + check + "&readLockMinAge=" + check + "&delete=true&autoCreate=true"
                    + "&sortBy=file:name&delay=" + delay)
                    .routeId("agent-poll-airgap-inbox")
                    .bean("bundleInbox", "receiveFile").id("agent-airgap-receive-file")
                    .split(body())
                        .to(HeartbeatRoutes.APPLY_UPDATE)
                    .end();
        } else if (AirgapAgentProperties.EMAIL.equals(props.transport())) {
            String uri = props.mail().imapUri();
            from(uri + (uri.contains("?") ? "&" : "?") + "unseen=true&delete=false&closeFolder=false&delay=" + delay)
                    .routeId("agent-poll-airgap-mailbox")
                    .setProperty(BundleInbox.QUARANTINE_FOLDER, constant(props.mail().quarantineFolder()))
                    .bean("bundleInbox", "receiveMail").id("agent-airgap-receive-mail")
                    .split(body())
                        .to(HeartbeatRoutes.APPLY_UPDATE)
                    .end();
        }
    }
}
