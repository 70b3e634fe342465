package io.chronoroute.agent.state;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;

import static org.assertj.core.api.Assertions.assertThat;

class StateFileIdempotentRepositoryTest {

    @TempDir
    Path dir;

    @Test
    void keepsOneKeyPerFileAndSurvivesARestart() {
        try (AgentState s = AgentState.open(dir)) {
            StateFileIdempotentRepository repo = new StateFileIdempotentRepository(s);
            assertThat(repo.add("src|a.ics|10|1000")).isTrue();
            assertThat(repo.add("src|a.ics|10|1000")).isFalse();
            assertThat(repo.add("src|b.ics|10|1000")).isTrue();
            assertThat(repo.add("src|a.ics|12|2000")).isTrue();
            assertThat(repo.contains("src|a.ics|10|1000")).isFalse();
            assertThat(repo.contains("src|a.ics|12|2000")).isTrue();
        }
        try (AgentState s = AgentState.open(dir)) {
            StateFileIdempotentRepository repo = new StateFileIdempotentRepository(s);
            assertThat(repo.contains("src|a.ics|12|2000")).isTrue();
            assertThat(repo.contains("src|b.ics|10|1000")).isTrue();
            s.write(tx -> {
                tx.removeFileKeysWithPrefix(AgentState.fileKeyPrefix("src", "a.ics"));
                return null;
            });
            assertThat(repo.contains("src|a.ics|12|2000")).isFalse();
            assertThat(repo.contains("src|b.ics|10|1000")).isTrue();
        }
    }
}
