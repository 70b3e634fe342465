package io.chronoroute.agent.source.graph;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.chronoroute.agent.discover.DiscoverCommand;
import io.chronoroute.testsupport.graph.FakeGraph;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * {@code discover graph} against the fake Graph: app-only listing and the source file with the secret as a
 * placeholder; the device code sign-in writing the refresh token into a file, never to the terminal.
 */
class GraphDiscovererTest {

    static final String USER = "ada@contoso.example";

    @TempDir
    Path tmp;
    FakeGraph graph;
    final ByteArrayOutputStream out = new ByteArrayOutputStream();
    final ByteArrayOutputStream err = new ByteArrayOutputStream();

    @BeforeEach
    void start() {
        graph = new FakeGraph().start();
        graph.addMailbox(USER);
    }

    @AfterEach
    void stop() {
        graph.close();
    }

    int run(GraphDiscoverer d, Map<String, String> env, String... args) {
        return d.run(args, env, new PrintStream(out, true, StandardCharsets.UTF_8),
                new PrintStream(err, true, StandardCharsets.UTF_8));
    }

    @Test
    void appOnlyListsTheCalendarsAndWritesTheSourceFileWithAPlaceholder() throws IOException {
        ObjectNode e = new ObjectMapper().createObjectNode().put("subject", "x");
        e.putObject("start").put("dateTime", "2026-12-01T10:00:00").put("timeZone", "UTC");
        e.putObject("end").put("dateTime", "2026-12-01T11:00:00").put("timeZone", "UTC");
        graph.userCreate(USER, graph.defaultCalendarId(USER), e);
        String team = graph.createCalendar(USER, "Team");
        Path file = tmp.resolve("graph.camel.yaml");
        int code = run(new GraphDiscoverer(), Map.of("M_SECRET", graph.clientSecret()), "--tenant", graph.tenant(),
                "--client-id", graph.clientId(), "--mailbox", USER, "--client-secret-env", "M_SECRET",
                "--graph-url", graph.graphUrl(), "--authority-url", graph.authorityUrl(), "--calendars", team,
                "--source-name", "acme", "--allow-event-updates", "--write-route", file.toString());
        assertThat(code).as(err.toString(StandardCharsets.UTF_8)).isZero();
        String listing = out.toString(StandardCharsets.UTF_8);
        assertThat(listing).contains("\"Calendar\" (default)  1 event(s)").contains(team + "  \"Team\"  0 event(s)");
        String yaml = Files.readString(file);
        assertThat(yaml).contains("routeTemplateRef: graph-source").contains("value: \"{{M_SECRET}}\"")
                .contains("value: \"" + USER + "\"").contains("agent-poll-graph-acme").contains("value: \"" + team + "\"");
        assertThat(yaml + listing).doesNotContain(graph.clientSecret());
        assertThat(DiscoverCommand.run(new String[] {"graph", "--help"}, new PrintStream(out), new PrintStream(err)))
                .isZero();
    }

    @Test
    void deviceCodeSignInWritesTheRefreshTokenIntoAFileOnly() throws IOException {
        Path tokenFile = tmp.resolve("refresh-token");
        AtomicInteger polls = new AtomicInteger();
        // the "user" signs in while the command waits: the sleeper approves the code shown on the first wait
        GraphDiscoverer d = new GraphDiscoverer(wait -> {
            if (polls.incrementAndGet() == 1) {
                Matcher m = Pattern.compile("enter the code (\\S+) ").matcher(out.toString(StandardCharsets.UTF_8));
                assertThat(m.find()).isTrue();
                graph.approveDevice(m.group(1), USER);
            }
        });
        int code = run(d, Map.of(), "--tenant", graph.tenant(), "--client-id", graph.clientId(), "--device-code",
                "--refresh-token-file", tokenFile.toString(), "--graph-url", graph.graphUrl(), "--authority-url",
                graph.authorityUrl());
        assertThat(code).as(err.toString(StandardCharsets.UTF_8)).isZero();
        String token = Files.readString(tokenFile).strip();
        assertThat(token).isNotEmpty();
        assertThat(out.toString(StandardCharsets.UTF_8)).contains("\"Calendar\" (default)").doesNotContain(token);
    }

    @Test
    void missingOptionsAreAUsageErrorAndAWrongSecretAServerError() {
        assertThat(run(new GraphDiscoverer(), Map.of(), "--client-id", "x")).isEqualTo(2);
        assertThat(run(new GraphDiscoverer(), Map.of("CHRONOROUTE_GRAPH_CLIENT_SECRET", "wrong-secret-55"), "--tenant",
                graph.tenant(), "--client-id", graph.clientId(), "--mailbox", USER, "--graph-url", graph.graphUrl(),
                "--authority-url", graph.authorityUrl())).isEqualTo(1);
        assertThat(err.toString(StandardCharsets.UTF_8)).contains("invalid_client").doesNotContain("wrong-secret-55");
    }
}
