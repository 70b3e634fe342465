package io.chronoroute.agent.discover;

import io.chronoroute.testsupport.ews.FakeEwsServer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/** {@code discover ews} against the fake EWS: calendars with item counts, the YAML, and the exit codes. */
class EwsDiscovererTest {

    @TempDir
    Path tmp;
    final ByteArrayOutputStream out = new ByteArrayOutputStream();
    final ByteArrayOutputStream err = new ByteArrayOutputStream();

    private int run(Map<String, String> env, String... args) {
        return new EwsDiscoverer().run(args, env, new PrintStream(out, true, StandardCharsets.UTF_8),
                new PrintStream(err, true, StandardCharsets.UTF_8));
    }

    @Test
    void listsEveryCalendarWithItsCountAndWritesTheChosenOnes() throws Exception {
        assertThat(DiscoverCommand.kinds()).containsKey("ews");
        try (FakeEwsServer ews = FakeEwsServer.builder().credentials("EXAMPLE\\alice", "pw-1").build().start()) {
            String team = ews.createFolder("Team \"A\"");
            ews.userCreate("One", Instant.parse("2026-02-02T10:00:00Z"), Instant.parse("2026-02-02T11:00:00Z"), "u1");
            ews.userCreate(team, "Two", Instant.parse("2026-02-02T10:00:00Z"), Instant.parse("2026-02-02T11:00:00Z"),
                    "u2");
            ews.userCreate(team, "Three", Instant.parse("2026-02-03T10:00:00Z"),
                    Instant.parse("2026-02-03T11:00:00Z"), "u3");
            Path file = tmp.resolve("sources/ews.camel.yaml");
            int rc = run(Map.of("EWS_PW", "pw-1"), "--url", ews.url(), "--user", "EXAMPLE\\alice", "--auth", "basic",
                    "--password-env", "EWS_PW", "--calendars", "calendar,Team \"A\"", "--write-route",
                    file.toString(), "--source-name", "work");
            assertThat(rc).as(err.toString(StandardCharsets.UTF_8)).isZero();
            String listing = out.toString(StandardCharsets.UTF_8);
            assertThat(listing).containsPattern("calendar\\s+1\\n").containsPattern("Team \"A\"\\s+2\\n")
                    .contains("2 calendar(s)");
            String yaml = Files.readString(file);
            assertThat(yaml).contains("value: \"{{EWS_PW}}\"").contains("value: \"EXAMPLE\\\\alice\"")
                    .contains("value: \"calendar,Team \\\"A\\\"\"").contains("routeId: agent-poll-ews-work")
                    .doesNotContain("pw-1");
            assertThat(ews.journal().entries()).extracting(e -> e.operation()).containsOnly("FindFolder");

            assertThat(run(Map.of("EWS_PW", "wrong"), "--url", ews.url(), "--user", "alice", "--password-env",
                    "EWS_PW")).isEqualTo(1);
            assertThat(err.toString(StandardCharsets.UTF_8)).contains("credentials were refused")
                    .doesNotContain("wrong");
            assertThat(run(Map.of("EWS_PW", "pw-1"), "--url", ews.url(), "--user", "alice", "--password-env",
                    "EWS_PW", "--calendars", "Nope")).isEqualTo(1);
        }
    }

    @Test
    void usageErrorsAndUnreachableServers() {
        assertThat(run(Map.of(), "--user", "alice")).isEqualTo(2);
        assertThat(run(Map.of(), "--url", "http://127.0.0.1:1/EWS/Exchange.asmx", "--password-env", "MISSING"))
                .isEqualTo(2);
        assertThat(run(Map.of(), "--url", "http://127.0.0.1:1/EWS/Exchange.asmx", "--write-route", "x.yaml"))
                .isEqualTo(2);
        assertThat(run(Map.of(), "--url", "http://127.0.0.1:1/EWS/Exchange.asmx")).isEqualTo(1);
        assertThat(err.toString(StandardCharsets.UTF_8)).contains("cannot be reached");
    }
}
