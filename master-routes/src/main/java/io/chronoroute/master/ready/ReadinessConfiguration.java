package io.chronoroute.master.ready;

import org.springframework.boot.actuate.health.Health;
import org.springframework.boot.actuate.health.HealthIndicator;
import org.springframework.boot.web.servlet.FilterRegistrationBean;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.core.Ordered;

/**
 * The readiness gate in front of every request and the {@code masterReadiness} health indicator of the readiness
 * group ({@code /actuator/health/readiness}, see application.yml): UP once every route has started and the store
 * answers, the same condition {@code /health} and {@code /sync/health} answer 200 on.
 */
@Configuration
public class ReadinessConfiguration {

    @Bean
    FilterRegistrationBean<ReadinessGateFilter> readinessGateFilter(MasterReadiness readiness) {
        FilterRegistrationBean<ReadinessGateFilter> reg = new FilterRegistrationBean<>(new ReadinessGateFilter(readiness));
        reg.setName("chronorouteReadinessGate");
        reg.addUrlPatterns("/*");
        // before Spring Security and everything else: nothing has to run for a request that is answered 503
        reg.setOrder(Ordered.HIGHEST_PRECEDENCE + 5);
        return reg;
    }

    /** Contributor name "masterReadiness" (Spring Boot drops the HealthIndicator suffix). */
    @Bean
    HealthIndicator masterReadinessHealthIndicator(MasterReadiness readiness) {
        return () -> {
            if (!readiness.ready()) {
                return Health.outOfService().withDetail("reason", String.valueOf(readiness.reason())).build();
            }
            String down = readiness.storeProblem();
            return down == null ? Health.up().build() : Health.down().withDetail("store", down).build();
        };
    }
}
