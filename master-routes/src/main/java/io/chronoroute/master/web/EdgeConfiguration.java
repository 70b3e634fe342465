package io.chronoroute.master.web;

import io.chronoroute.master.config.ChronorouteProperties;
import jakarta.servlet.DispatcherType;
import org.apache.camel.component.platform.http.PlatformHttpComponent;
import org.apache.camel.spi.ComponentCustomizer;
import org.apache.catalina.Valve;
import org.apache.catalina.core.StandardHost;
import org.apache.catalina.valves.ErrorReportValve;
import org.springframework.boot.web.embedded.tomcat.TomcatServletWebServerFactory;
import org.springframework.boot.web.server.WebServerFactoryCustomizer;
import org.springframework.boot.web.servlet.FilterRegistrationBean;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.core.Ordered;
import org.springframework.security.web.firewall.RequestRejectedHandler;

import java.util.Locale;

/**
 * The master's HTTP edge, for every route and every answer: the body guard ({@link EdgeFilter}) first of all
 * filters, the response header policy on platform-http ({@link ResponseHeaderPolicy}), and JSON instead of HTML
 * from Spring ({@link JsonErrorController}), Spring Security's firewall and Tomcat ({@link JsonErrorReportValve}).
 */
@Configuration
public class EdgeConfiguration {

    @Bean
    FilterRegistrationBean<EdgeFilter> chronorouteEdgeFilter(ChronorouteProperties props) {
        FilterRegistrationBean<EdgeFilter> reg = new FilterRegistrationBean<>(new EdgeFilter(props.maxBody()));
        reg.setOrder(Ordered.HIGHEST_PRECEDENCE);
        reg.setDispatcherTypes(DispatcherType.REQUEST);
        reg.addUrlPatterns("/*");
        reg.setName("chronorouteEdgeFilter");
        return reg;
    }

    @Bean
    ComponentCustomizer chronorouteResponseHeaderPolicy() {
        return ComponentCustomizer.forType(PlatformHttpComponent.class,
                c -> c.setHeaderFilterStrategy(new ResponseHeaderPolicy()));
    }

    /**
     * Requests Spring Security's firewall refuses (encoded "..", "/", "\" or "%", NUL or control characters, an
     * unsupported method such as TRACE): a JSON 400/405 whose reason never quotes the request (the firewall's own
     * message may quote a header value).
     */
    @Bean
    RequestRejectedHandler chronorouteRequestRejectedHandler() {
        return (request, response, rejected) -> {
            String m = rejected.getMessage() == null ? "" : rejected.getMessage().toLowerCase(Locale.ROOT);
            if (m.contains("http method")) {
                EdgeErrors.write(response, 405, null, "method not allowed; the API uses GET, POST, PUT and DELETE",
                        "GET, HEAD, POST, PUT, DELETE, OPTIONS");
            } else if (m.contains("header")) {
                EdgeErrors.write(response, 400, null, "a request header name or value has characters that are not "
                        + "allowed");
            } else {
                EdgeErrors.write(response, 400, null, "the path has characters that are not allowed (an encoded "
                        + "'.', '/', '\\' or '%', a NUL or control character, '//' or ';')");
            }
        };
    }

    /** Tomcat's own rejections answer JSON: our valve replaces the host's HTML error report valve. */
    @Bean
    WebServerFactoryCustomizer<TomcatServletWebServerFactory> chronorouteJsonErrorValve() {
        return new OrderedCustomizer();
    }

    static final class OrderedCustomizer implements WebServerFactoryCustomizer<TomcatServletWebServerFactory>, Ordered {

        @Override
        public void customize(TomcatServletWebServerFactory factory) {
            factory.addContextCustomizers(context -> {
                if (context.getParent() instanceof StandardHost host) {
                    for (Valve v : host.getPipeline().getValves()) {
                        if (v instanceof ErrorReportValve && !(v instanceof JsonErrorReportValve)) {
                            host.getPipeline().removeValve(v);
                        }
                    }
                    host.setErrorReportValveClass(JsonErrorReportValve.class.getName());
                }
            });
        }

        @Override
        public int getOrder() {
            return Ordered.LOWEST_PRECEDENCE;
        }
    }
}
