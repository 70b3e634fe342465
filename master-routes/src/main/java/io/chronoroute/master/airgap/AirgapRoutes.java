package io.chronoroute.master.airgap;

import io.chronoroute.master.config.ChronorouteProperties;
import org.apache.camel.LoggingLevel;
import org.apache.camel.builder.RouteBuilder;
import org.apache.camel.model.dataformat.JsonLibrary;
import org.apache.camel.model.rest.RestBindingMode;
import org.apache.camel.model.rest.RestParamType;
import org.springframework.boot.context.properties.EnableConfigurationProperties;
import org.springframework.stereotype.Component;

/**
 * Air-gap routes of the master (docs/air-gap.md). The pollers are YAML templates
 * ({@code airgap-file-inbox}, {@code airgap-imap-inbox}); here: provisioning and status (REST, admin), sending the
 * answers back ({@code direct:master-airgap-send-answer}: file → {@code <outbox>/<agent>/} written as a temp file
 * and renamed; mail → SMTP with the bundle attached) and the timer that retries parked bundles.
 *
 * <p>The non-REST routes use route configuration {@value AirgapErrorHandling#ID}: errors are logged and <em>not</em>
 * handled, so a file or mail that could not be taken over stays where it is and is polled again (the master's
 * default configuration answers HTTP errors and would otherwise make the consumer commit).
 */
@Component
@EnableConfigurationProperties(AirgapProperties.class)
public class AirgapRoutes extends RouteBuilder {

    public static final String SEND_ANSWER = "direct:master-airgap-send-answer";

    private final AirgapProperties props;
    private final ChronorouteProperties master;

    public AirgapRoutes(AirgapProperties props, ChronorouteProperties master) {
        this.props = props;
        this.master = master;
    }

    @Override
    public void configure() {
        rest("/sync/agents").description("Air-gap agents (admin)")
                .post("/{agent_id}/airgap").routeId("master-rest-provision-airgap").bindingMode(RestBindingMode.off)
                .description("Create an air-gap agent or rotate its bundle secret; the secret is returned once. "
                        + "Optional body {name, environment, email, time_zone, reset_sequence}")
                .produces("application/json")
                .param().name("agent_id").type(RestParamType.path).required(true).endParam()
                .responseMessage().code(201).message("created").endResponseMessage()
                .responseMessage().code(200).message("secret rotated").endResponseMessage()
                .to("direct:master-airgap-provision");

        rest("/sync/airgap").description("Air-gap transport (admin)")
                .get("/status").routeId("master-rest-airgap-status").produces("application/json")
                .description("Bundle counts since start (applied/parked/duplicate/quarantined, by reason), waiting agents")
                .to("direct:master-airgap-status");

        from("direct:master-airgap-provision").routeId("master-airgap-provision")
                .bean("accessGuard", "admin")
                .bean("airgapAgents", "provision").id("master-airgap-provision-bean")
                .marshal().json(JsonLibrary.Jackson);

        from("direct:master-airgap-status").routeId("master-airgap-status")
                .bean("accessGuard", "admin")
                .bean("airgapService", "status");

        from(SEND_ANSWER).routeId("master-airgap-send-answer").routeConfigurationId(AirgapErrorHandling.ID)
                .choice()
                    .when(header(AirgapService.H_CHANNEL).isEqualTo(AirgapService.CHANNEL_MAIL))
                        .bean("airgapMail", "prepareAnswer")
                        .to(props.mailConfigured() ? props.mail().smtpUri() : "log:master-airgap-no-smtp?level=WARN")
                            .id("master-airgap-send-mail")
                    .otherwise()
                        .to("file:" + props.outboxOr(master.dataDir()).toAbsolutePath()
                                + "?tempPrefix=.tmp-&fileExist=Override&autoCreate=true").id("master-airgap-write-answer")
                .end();

        from("timer:master-airgap-drain?delay=" + props.drainPeriod().toMillis() + "&period="
                + props.drainPeriod().toMillis())
                .routeId("master-airgap-drain").routeConfigurationId(AirgapErrorHandling.ID)
                .bean("airgapService", "drainAll")
                .filter(simple("${body} > 0"))
                    .log(LoggingLevel.INFO, "Air-gap: ${body} parked bundle(s) applied on retry")
                .end();
    }
}
