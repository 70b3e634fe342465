package io.chronoroute.master.web;

import org.apache.camel.CamelContext;
import org.apache.camel.model.Model;
import org.apache.camel.model.rest.RestDefinition;
import org.apache.camel.model.rest.VerbDefinition;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * No request header comes back in a response (issue #15): every REST route the CamelContext defines (enumerated,
 * so a new route is covered without touching this test), plus the feed, the API document, actuator/console, an
 * unknown path and Tomcat's own rejections, called with every header the master reads and a few arbitrary ones,
 * as the admin, and the agent routes also as the agent (so success and error answers are both covered).
 */
class ResponseHeadersTest extends EdgeTestBase {

    @Autowired
    CamelContext camel;

    static final Map<String, String> PROBES = Map.of(
            "Cookie", "session=probe-cookie-5ea1",
            "X-Chronoroute-Enrollment", ENROLL,
            "If-None-Match", "\"probe-etag-77\"",
            "X-Probe", "probe-arbitrary-31",
            "Cache-Control", "probe-cache-control-9",
            "Accept-Language", "probe-language-4",
            "X-Forwarded-For", "10.99.88.77",
            "Referer", "http://probe-referer.example/");
    static final Set<String> REQUEST_ONLY = Set.of("cookie", "authorization", "x-chronoroute-enrollment",
            "if-none-match", "x-probe", "accept-language", "x-forwarded-for", "referer", "user-agent", "host",
            "transfer-encoding-probe");

    record Call(String method, String target) {
    }

    List<Call> calls(String agent) {
        List<Call> calls = new ArrayList<>();
        Model model = camel.getCamelContextExtension().getContextPlugin(Model.class);
        for (RestDefinition rest : model.getRestDefinitions()) {
            for (VerbDefinition verb : rest.getVerbs()) {
                String path = (rest.getPath() == null ? "" : rest.getPath()) + (verb.getPath() == null ? "" : verb.getPath());
                path = path.replace("{agent_id}", agent).replaceAll("\\{[^}]+}", "probe-id");
                if (path.equals("/calendar.ics")) {
                    path += "?token=" + FEED;
                }
                calls.add(new Call(verb.asVerb().toUpperCase(Locale.ROOT), path));
            }
        }
        assertThat(calls).as("REST routes found in the CamelContext").hasSizeGreaterThan(25);
        calls.sort(Comparator.comparing(c -> c.method().equals("DELETE"))); // deletions last
        calls.addAll(List.of(new Call("GET", "/api-doc"), new Call("GET", "/actuator/health"),
                new Call("GET", "/actuator/hawtio/"), new Call("GET", "/actuator/camelroutes"),
                new Call("GET", "/sync/no-such-route"), new Call("PATCH", "/sync/stats"),
                new Call("GET", "/sync/agents/%2e%2e/status"), new Call("GET", "/sync/agents/a%00b/status")));
        return calls;
    }

    @Test
    void noRequestHeaderIsEverEchoedOnAnyRoute() {
        String agent = uniqueId("headers");
        String credential = register(agent);
        List<String> secrets = List.of(ADMIN, ENROLL, FEED, credential);
        int checked = 0;
        List<Call> all = calls(agent);
        for (String token : List.of(ADMIN, credential)) {
            // the admin on every route; the agent on its own routes (the admin gets 403 there)
            List<Call> mine = token.equals(ADMIN) ? all : all.stream().filter(c -> c.target().contains("/" + agent + "/")
                    && !c.method().equals("DELETE")).toList();
            for (Call c : mine) {
                List<String> h = new ArrayList<>();
                PROBES.forEach((k, v) -> {
                    h.add(k);
                    h.add(v);
                });
                h.add("Authorization");
                h.add("Bearer " + token);
                boolean body = c.method().equals("POST") || c.method().equals("PUT");
                if (body) {
                    h.add("Content-Type");
                    h.add("application/json; probe=ct-1");
                }
                Http.Response r = http.send(c.method(), c.target(), body ? "{}".getBytes(StandardCharsets.UTF_8) : null,
                        h.toArray(String[]::new));
                String where = c.method() + " " + c.target() + " → " + r.status();
                for (Map.Entry<String, List<String>> e : r.headers().entrySet()) {
                    assertThat(REQUEST_ONLY).as(where + ": response header " + e.getKey()).doesNotContain(e.getKey());
                    for (String value : e.getValue()) {
                        for (String probe : PROBES.values()) {
                            assertThat(value).as(where + ": header " + e.getKey()).doesNotContain(probe);
                        }
                        for (String secret : secrets) {
                            assertThat(value).as(where + ": header " + e.getKey()).doesNotContain(secret);
                        }
                        assertThat(value).as(where + ": header " + e.getKey()).doesNotContain("probe=ct-1");
                    }
                }
                for (String secret : secrets) {
                    assertThat(r.body()).as(where + ": body").doesNotContain(secret);
                }
                assertThat(r.body()).as(where + ": an HTML error page").doesNotContainIgnoringCase("<html");
                checked++;
            }
        }
        assertThat(checked).isGreaterThan(all.size());
        assertNoSecretLogged(ADMIN, ENROLL, FEED, credential);
    }
}
