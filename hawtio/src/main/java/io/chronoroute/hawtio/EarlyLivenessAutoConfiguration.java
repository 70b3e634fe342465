package io.chronoroute.hawtio;

import org.springframework.boot.autoconfigure.AutoConfiguration;
import org.springframework.boot.availability.AvailabilityChangeEvent;
import org.springframework.boot.availability.LivenessState;
import org.springframework.context.ApplicationEventPublisher;
import org.springframework.context.SmartLifecycle;
import org.springframework.context.annotation.Bean;

/**
 * Liveness stays UP while the app starts. Spring Boot reports {@link LivenessState#CORRECT} only once the context
 * has started, but the HTTP port opens earlier (the web server starts before Camel starts its routes, which takes
 * seconds): a liveness probe arriving in between would read BROKEN and a supervisor could restart a healthy,
 * starting app. This lifecycle bean, started first (lowest phase, before the web server), declares the app alive
 * once all its beans exist. Readiness is a separate matter (the master's readiness group).
 */
@AutoConfiguration
public class EarlyLivenessAutoConfiguration {

    @Bean
    SmartLifecycle chronorouteEarlyLiveness(ApplicationEventPublisher publisher) {
        return new SmartLifecycle() {
            private volatile boolean running;

            @Override
            public void start() {
                AvailabilityChangeEvent.publish(publisher, this, LivenessState.CORRECT);
                running = true;
            }

            @Override
            public void stop() {
                running = false;
            }

            @Override
            public boolean isRunning() {
                return running;
            }

            @Override
            public int getPhase() {
                return Integer.MIN_VALUE;
            }
        };
    }
}
