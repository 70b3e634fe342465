package io.chronoroute.master.web;

import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.classic.spi.ThrowableProxyUtil;
import ch.qos.logback.core.read.ListAppender;
import io.chronoroute.master.ChronorouteMasterApplication;
import io.chronoroute.master.store.MasterStore;
import org.apache.camel.test.spring.junit5.CamelSpringBootTest;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.slf4j.LoggerFactory;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.boot.test.web.server.LocalServerPort;
import org.springframework.test.context.DynamicPropertyRegistry;
import org.springframework.test.context.DynamicPropertySource;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.UUID;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * One master (real HTTP, random port) shared by the edge test classes: the same configuration here and nowhere
 * else, so Spring starts it once. The body limit is 4 MB so that "over the limit" is cheap to send, and every log
 * event is captured so a test can assert that no secret was logged.
 */
@CamelSpringBootTest
@SpringBootTest(classes = ChronorouteMasterApplication.class, webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT,
        properties = {"chronoroute.routes-dir=target/empty-routes-folder", "chronoroute.max-body-bytes=4MB",
                "chronoroute.console.password=console-password-for-edge-tests"})
abstract class EdgeTestBase {

    static final String ADMIN = "admin-token-edge-0123456789";
    static final String FEED = "feed-token-edge-0123456789";
    static final String ENROLL = "enroll-secret-edge-0123456789";
    static final long LIMIT = 4L * 1024 * 1024;
    static final Path DATA;

    static {
        try {
            Files.createDirectories(Path.of("target/empty-routes-folder"));
            DATA = Files.createDirectories(Path.of("target/edge-tests", UUID.randomUUID().toString()));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    @DynamicPropertySource
    static void props(DynamicPropertyRegistry r) {
        r.add("chronoroute.data-dir", DATA::toString);
        r.add("chronoroute.admin-token", () -> ADMIN);
        r.add("chronoroute.feed-token", () -> FEED);
        r.add("chronoroute.enrollment-secret", () -> ENROLL);
    }

    @LocalServerPort
    int port;
    @Autowired
    MasterStore store;
    Http http;
    final ListAppender<ILoggingEvent> logs = new ListAppender<>();

    @BeforeEach
    void start() {
        http = new Http(port);
        logs.start();
        root().addAppender(logs);
    }

    @AfterEach
    void stopCapture() {
        root().detachAppender(logs);
    }

    private static Logger root() {
        return (Logger) LoggerFactory.getLogger(org.slf4j.Logger.ROOT_LOGGER_NAME);
    }

    /** Every captured log line, with its stack trace. */
    String logText() {
        StringBuilder sb = new StringBuilder();
        for (ILoggingEvent e : List.copyOf(logs.list)) {
            sb.append(e.getFormattedMessage()).append('\n');
            if (e.getThrowableProxy() != null) {
                sb.append(ThrowableProxyUtil.asString(e.getThrowableProxy())).append('\n');
            }
        }
        return sb.toString();
    }

    void assertNoSecretLogged(String... secrets) {
        String text = logText();
        for (String s : secrets) {
            assertThat(text).as("a log line contains a secret").doesNotContain(s);
        }
    }

    /** Registers a new agent the classic way; returns its credential. */
    String register(String id) {
        Http.Response r = http.json("POST", "/sync/agents/register",
                "{\"id\":\"" + id + "\",\"name\":\"n\",\"enrollment_secret\":\"" + ENROLL + "\"}");
        assertThat(r.status()).as(r.body()).isEqualTo(201);
        return r.json().get("credential").asText();
    }

    static String uniqueId(String prefix) {
        return prefix + "-" + UUID.randomUUID().toString().substring(0, 8);
    }
}
