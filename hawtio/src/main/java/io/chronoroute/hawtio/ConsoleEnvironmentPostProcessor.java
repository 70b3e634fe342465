package io.chronoroute.hawtio;

import org.springframework.boot.SpringApplication;
import org.springframework.boot.env.EnvironmentPostProcessor;
import org.springframework.core.env.ConfigurableEnvironment;
import org.springframework.core.env.PropertiesPropertySource;

import java.util.Properties;

/**
 * Defaults for the console that both apps share (lowest precedence: any application property overrides them):
 * expose Hawtio, Jolokia and the Camel routes endpoint under /actuator, Hawtio's own login off (Spring Security
 * guards the path, see {@link ConsoleSecurityAutoConfiguration}).
 */
public class ConsoleEnvironmentPostProcessor implements EnvironmentPostProcessor {

    @Override
    public void postProcessEnvironment(ConfigurableEnvironment env, SpringApplication app) {
        Properties p = new Properties();
        p.setProperty("management.endpoints.web.exposure.include", "health,info,camelroutes,hawtio,jolokia,metrics,prometheus");
        p.setProperty("hawtio.authenticationEnabled", "false");
        p.setProperty("management.endpoint.health.probes.enabled", "true");
        p.setProperty("camel.management.enabled", "true");
        env.getPropertySources().addLast(new PropertiesPropertySource("chronoroute-console-defaults", p));
    }
}
