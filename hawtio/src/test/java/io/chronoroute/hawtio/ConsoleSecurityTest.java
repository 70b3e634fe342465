package io.chronoroute.hawtio;

import org.junit.jupiter.api.Test;
import org.springframework.boot.autoconfigure.SpringBootApplication;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.boot.test.web.server.LocalServerPort;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.RestController;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.util.Base64;

import static org.assertj.core.api.Assertions.assertThat;

@SpringBootTest(webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT,
        properties = {"chronoroute.console.username=ops", "chronoroute.console.password=s3cret-for-test"})
class ConsoleSecurityTest {

    @SpringBootApplication
    @RestController
    static class App {
        @GetMapping("/sync/health")
        String api() {
            return "{\"status\":\"ok\"}";
        }
    }

    @LocalServerPort
    int port;

    private final HttpClient http = HttpClient.newBuilder().followRedirects(HttpClient.Redirect.NEVER).build();

    private HttpResponse<String> get(String path, String user, String password) throws Exception {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path));
        if (user != null) {
            b.header("Authorization", "Basic " + Base64.getEncoder()
                    .encodeToString((user + ":" + password).getBytes(StandardCharsets.UTF_8)));
        }
        return http.send(b.build(), HttpResponse.BodyHandlers.ofString());
    }

    @Test
    void consoleRedirectsBrowsersToTheLoginPage() throws Exception {
        HttpResponse<String> r = get("/actuator/hawtio/", null, null);
        assertThat(r.statusCode()).isIn(302, 401);
        if (r.statusCode() == 302) {
            assertThat(r.headers().firstValue("Location")).hasValueSatisfying(l -> assertThat(l).endsWith("/login"));
        }
        assertThat(get("/actuator/jolokia/version", null, null).statusCode()).isIn(302, 401);
        assertThat(get("/actuator/camelroutes", null, null).statusCode()).isIn(302, 401);
    }

    @Test
    void wrongPasswordIsRejected() throws Exception {
        assertThat(get("/actuator/jolokia/version", "ops", "nope").statusCode()).isEqualTo(401);
    }

    @Test
    void consoleOpensWithConfiguredCredentials() throws Exception {
        assertThat(get("/actuator/hawtio/", "ops", "s3cret-for-test").statusCode()).isEqualTo(200);
        HttpResponse<String> jolokia = get("/actuator/jolokia/version", "ops", "s3cret-for-test");
        assertThat(jolokia.statusCode()).isEqualTo(200);
        assertThat(jolokia.body()).contains("agent");
    }

    @Test
    void healthAndApiStayOpen() throws Exception {
        assertThat(get("/actuator/health", null, null).statusCode()).isEqualTo(200);
        assertThat(get("/sync/health", null, null).statusCode()).isEqualTo(200);
    }
}
