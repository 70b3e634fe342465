package io.chronoroute.master.rest;

import org.apache.camel.builder.RouteConfigurationBuilder;
import org.springframework.stereotype.Component;

/**
 * The one error handling shared by every master route (no id, so it applies to all routes, the REST ones included).
 * Client errors are not redelivered; the answer is built by {@link ErrorResponder}.
 */
@Component
public class MasterErrorHandling extends RouteConfigurationBuilder {

    private final ErrorResponder responder;

    public MasterErrorHandling(ErrorResponder responder) {
        this.responder = responder;
    }

    @Override
    public void configuration() {
        routeConfiguration()
                .onException(Exception.class)
                .handled(true)
                .process(responder)
                .id("master-error-respond");
    }
}
