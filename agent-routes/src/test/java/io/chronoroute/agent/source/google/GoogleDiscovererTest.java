package io.chronoroute.agent.source.google;

import io.chronoroute.testsupport.google.FakeGoogleTokenEndpoint;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.chronoroute.agent.discover.DiscoverCommand;
import io.chronoroute.testsupport.google.FakeGoogleCalendar;
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

import static org.assertj.core.api.Assertions.assertThat;

/**
 * {@code discover google} against the fake Google and a token endpoint: the calendars with their event counts, the
 * source file with the secrets as placeholders of the variables they were read from, and the usage/credential errors.
 */
class GoogleDiscovererTest {

    static final String SECRET = "disc-secret-91x";
    static final String REFRESH = "disc-refresh-42y";

    @TempDir
    Path tmp;
    FakeGoogleCalendar fake;
    FakeGoogleTokenEndpoint tokens;
    final ByteArrayOutputStream out = new ByteArrayOutputStream();
    final ByteArrayOutputStream err = new ByteArrayOutputStream();

    @BeforeEach
    void start() throws IOException {
        fake = FakeGoogleCalendar.builder().build().start();
        tokens = new FakeGoogleTokenEndpoint("disc-client", SECRET, REFRESH, null);
    }

    @AfterEach
    void stop() {
        fake.close();
        tokens.close();
    }

    int run(Map<String, String> env, String... args) {
        return new GoogleDiscoverer().run(args, env, new PrintStream(out, true, StandardCharsets.UTF_8),
                new PrintStream(err, true, StandardCharsets.UTF_8));
    }

    @Test
    void listsTheCalendarsAndWritesTheSourceFileWithPlaceholders() throws IOException {
        ObjectNode e = new ObjectMapper().createObjectNode().put("summary", "x");
        e.putObject("start").put("date", "2026-12-01");
        e.putObject("end").put("date", "2026-12-02");
        fake.userCreate(fake.primaryCalendarId(), e);
        String team = fake.createCalendar("Team");
        Path file = tmp.resolve("google.camel.yaml");

        int code = run(Map.of("G_SECRET", SECRET, "G_REFRESH", REFRESH), "--client-id", "disc-client",
                "--client-secret-env", "G_SECRET", "--refresh-token-env", "G_REFRESH", "--root-url", fake.baseUrl(),
                "--token-uri", tokens.uri(), "--calendars", "primary," + team, "--source-name", "acme",
                "--allow-event-updates", "--write-route", file.toString());

        assertThat(code).as(err.toString(StandardCharsets.UTF_8)).isZero();
        String listing = out.toString(StandardCharsets.UTF_8);
        assertThat(listing).contains(fake.primaryCalendarId()).contains("(primary)  1 event(s)")
                .contains(team + "  \"Team\"  owner  0 event(s)");
        String yaml = Files.readString(file);
        assertThat(yaml).contains("routeTemplateRef: google-source").contains("value: \"{{G_SECRET}}\"")
                .contains("value: \"{{G_REFRESH}}\"").contains("value: \"primary," + team + "\"")
                .contains("value: \"true\"").contains("agent-poll-google-acme");
        assertThat(yaml + listing).doesNotContain(SECRET).doesNotContain(REFRESH);
        assertThat(DiscoverCommand.run(new String[] {"google", "--help"}, new PrintStream(out), new PrintStream(err)))
                .isZero();
    }

    @Test
    void missingSecretsAreAUsageErrorAndARefusedGrantAServerError() {
        assertThat(run(Map.of(), "--client-id", "disc-client")).isEqualTo(2);
        assertThat(run(Map.of("CHRONOROUTE_GOOGLE_CLIENT_SECRET", SECRET, "CHRONOROUTE_GOOGLE_REFRESH_TOKEN", "wrong"),
                "--client-id", "disc-client", "--root-url", fake.baseUrl(), "--token-uri", tokens.uri())).isEqualTo(1);
        assertThat(err.toString(StandardCharsets.UTF_8)).contains("invalid_grant").doesNotContain(SECRET);
    }
}
