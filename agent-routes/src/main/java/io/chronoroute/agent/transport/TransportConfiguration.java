package io.chronoroute.agent.transport;

import io.chronoroute.agent.AgentProperties;
import io.chronoroute.agent.AgentStorageProperties;
import io.chronoroute.agent.heartbeat.HeartbeatService;
import io.chronoroute.agent.heartbeat.MasterClient;
import io.chronoroute.agent.state.AgentState;
import org.apache.camel.CamelContext;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.beans.factory.ObjectProvider;
import org.springframework.boot.context.properties.EnableConfigurationProperties;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;

import java.nio.file.Path;
import java.time.Clock;

/** Picks the heartbeat transport ({@code chronoroute.agent.transport}) and wires the air-gap return path. */
@Configuration(proxyBeanMethods = false)
@EnableConfigurationProperties(AirgapAgentProperties.class)
public class TransportConfiguration {

    private static final Logger LOG = LoggerFactory.getLogger(TransportConfiguration.class);

    @Bean
    public BundleConfirmations bundleConfirmations(AgentState state, AirgapAgentProperties props) {
        return new BundleConfirmations(state, !props.isHttp());
    }

    @Bean
    public HeartbeatTransport heartbeatTransport(AirgapAgentProperties props, MasterClient client, AgentState state,
                                                 BundleConfirmations confirmations, CamelContext camel,
                                                 Clock agentClock) {
        BundleTransport.Sink sink;
        switch (props.transport()) {
            case AirgapAgentProperties.FILE_DROP -> sink = new Sinks.FileDrop(props.bundle().outbox());
            case AirgapAgentProperties.EMAIL -> {
                AirgapAgentProperties.Mail m = props.mail();
                if (blank(m.smtpUri()) || blank(m.to()) || blank(m.from()) || blank(m.imapUri())) {
                    throw new IllegalArgumentException("chronoroute.agent.transport=email needs chronoroute.agent.mail."
                            + "smtp-uri, imap-uri, from and to");
                }
                sink = new Sinks.Mail(camel, m.smtpUri(), m.from(), m.to());
            }
            default -> {
                return new HttpTransport(client);
            }
        }
        LOG.info("Air-gap transport '{}': heartbeats as bundles to {}, re-sent after {} without answer", props.transport(),
                sink.describe(), props.bundle().resendAfter());
        return new BundleTransport(state, confirmations, sink, props.secretBytes(), props.bundle().resendAfter(),
                props.bundle().encrypt(), agentClock);
    }

    private static boolean blank(String s) {
        return s == null || s.isBlank();
    }

    @Bean
    public BundleInbox bundleInbox(AirgapAgentProperties props, AgentProperties agent, AgentStorageProperties storage,
                                   HeartbeatTransport heartbeatTransport, ObjectProvider<HeartbeatService> heartbeats,
                                   Clock agentClock) {
        if (!(heartbeatTransport instanceof BundleTransport bt)) {
            return null;
        }
        Path q = props.bundle().quarantine() != null ? props.bundle().quarantine()
                : storage.dataDir().resolve("airgap-quarantine");
        return new BundleInbox(agent.id(), props.secretBytes(), bt, heartbeats.getObject(), q, agentClock);
    }
}
