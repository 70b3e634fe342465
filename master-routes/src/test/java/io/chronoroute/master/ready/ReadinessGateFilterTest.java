package io.chronoroute.master.ready;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.chronoroute.master.store.MasterStore;
import org.apache.camel.CamelContext;
import org.apache.camel.impl.DefaultCamelContext;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.support.StaticListableBeanFactory;
import org.springframework.mock.web.MockFilterChain;
import org.springframework.mock.web.MockHttpServletRequest;
import org.springframework.mock.web.MockHttpServletResponse;

import java.lang.reflect.Proxy;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;

import static org.assertj.core.api.Assertions.assertThat;

/** The gate: 503 + Retry-After + JSON reason until Spring, Camel and the store are all ready; probes pass. */
class ReadinessGateFilterTest {

    final CamelContext camel = new DefaultCamelContext();
    final AtomicBoolean storeUp = new AtomicBoolean(true);
    final AtomicInteger pings = new AtomicInteger();
    final MasterStore store = (MasterStore) Proxy.newProxyInstance(MasterStore.class.getClassLoader(),
            new Class<?>[]{MasterStore.class}, (proxy, method, args) -> {
                if (method.getName().equals("currentChangeSeq")) {
                    pings.incrementAndGet();
                    if (!storeUp.get()) {
                        throw new IllegalStateException("connection refused");
                    }
                    return 0L;
                }
                throw new UnsupportedOperationException(method.getName());
            });
    final MasterReadiness readiness;
    final ReadinessGateFilter filter;

    ReadinessGateFilterTest() {
        StaticListableBeanFactory beans = new StaticListableBeanFactory();
        beans.addBean("camelContext", camel);
        beans.addBean("store", store);
        readiness = new MasterReadiness(beans.getBeanProvider(CamelContext.class), beans.getBeanProvider(MasterStore.class));
        filter = new ReadinessGateFilter(readiness);
    }

    @AfterEach
    void stop() {
        camel.stop();
    }

    MockHttpServletResponse call(String method, String path) throws Exception {
        MockHttpServletRequest req = new MockHttpServletRequest(method, path);
        MockHttpServletResponse res = new MockHttpServletResponse();
        MockFilterChain chain = new MockFilterChain();
        filter.doFilter(req, res, chain);
        if (chain.getRequest() != null) {
            res.setStatus(299); // marks "passed to the application"
        }
        return res;
    }

    @Test
    void everyRequestIs503UntilSpringCamelAndTheStoreAreReady() throws Exception {
        for (String path : new String[]{"/health", "/sync/health", "/sync/agents/a1/heartbeat", "/calendar.ics",
                "/no/such/path"}) {
            MockHttpServletResponse r = call("POST", path);
            assertThat(r.getStatus()).as(path).isEqualTo(503);
            assertThat(r.getHeader("Retry-After")).isEqualTo("1");
            assertThat(r.getContentType()).startsWith("application/json");
            JsonNode body = new ObjectMapper().readTree(r.getContentAsString());
            assertThat(body.path("error").asText()).isEqualTo("not_ready");
            assertThat(body.path("reason").asText()).contains("routes are not started");
        }
        // the probes and the console login are never gated
        assertThat(call("GET", "/actuator/health/liveness").getStatus()).isEqualTo(299);
        assertThat(call("GET", "/actuator/health/readiness").getStatus()).isEqualTo(299);
        assertThat(call("GET", "/login").getStatus()).isEqualTo(299);

        readiness.applicationReady(); // Spring is ready but Camel is not started: still 503
        assertThat(call("GET", "/health").getStatus()).isEqualTo(503);
        assertThat(pings).hasValue(0);

        camel.start();
        storeUp.set(false);
        MockHttpServletResponse storeDown = call("GET", "/health");
        assertThat(storeDown.getStatus()).isEqualTo(503);
        assertThat(storeDown.getContentAsString()).contains("the store does not answer").contains("connection refused");
        int afterFirstPing = pings.get();
        call("GET", "/health");
        assertThat(pings).as("no store ping per request while starting").hasValue(afterFirstPing);

        storeUp.set(true);
        org.awaitility.Awaitility.await().until(() -> call("GET", "/health").getStatus() == 299);
        assertThat(readiness.reason()).isNull();
        // latched: a later store outage is reported by /health and the readiness probe, not by the gate
        storeUp.set(false);
        assertThat(call("GET", "/sync/agents/a1/heartbeat").getStatus()).isEqualTo(299);
        assertThat(readiness.storeAnswers()).isFalse();
    }
}
