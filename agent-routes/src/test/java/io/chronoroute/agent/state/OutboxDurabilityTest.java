package io.chronoroute.agent.state;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.chronoroute.processors.wire.WireJson;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

class OutboxDurabilityTest {

    @TempDir
    Path dir;

    private static ObjectNode event(String uid, String title) {
        ObjectNode n = WireJson.mapper().createObjectNode();
        n.put("uid", uid);
        n.put("title", title);
        return n;
    }

    @Test
    void outboxCurrentSetAndInflightBatchSurviveARestart() {
        try (AgentState s = AgentState.open(dir)) {
            s.write(tx -> {
                tx.enqueueUpsert("k1", "src", "h1", event("u1", "one"));
                tx.enqueueDelete("k2", "src", event("u2", null));
                tx.putCurrent("k1", new StoredEvent("src", "h1", event("u1", "one")));
                tx.setInflight(new InflightBatch("agent-7", "{\"batch_id\":\"agent-7\"}",
                        List.of(new InflightBatch.Item("k1", 1, OutboxEntry.UPSERT, "h1")), false));
                return null;
            });
        }
        try (AgentState s = AgentState.open(dir)) {
            assertThat(s.<java.util.Map<String, OutboxEntry>>read(tx -> tx.outboxHead(10))).containsOnlyKeys("k1", "k2");
            assertThat(s.<String>read(tx -> tx.outbox("k1").event().path("title").asText())).isEqualTo("one");
            assertThat(s.<String>read(tx -> tx.outbox("k2").op())).isEqualTo(OutboxEntry.DELETE);
            assertThat(s.<String>read(tx -> tx.current("k1").hash())).isEqualTo("h1");
            assertThat(s.<String>read(tx -> tx.inflight().batchId())).isEqualTo("agent-7");
            assertThat(s.<String>read(tx -> tx.inflight().body())).isEqualTo("{\"batch_id\":\"agent-7\"}");
        }
    }

    /** A change batch far over MVStore's own auto-commit threshold (~19 MB) still reaches the disk as one commit. */
    @Test
    void aLargeWriteIsExactlyOneCommit() {
        try (AgentState s = AgentState.open(dir)) {
            String filler = "x".repeat(2000);
            long before = s.storeVersion();
            s.write(tx -> {
                for (int i = 0; i < 10_000; i++) {
                    ObjectNode e = event("u" + i, filler);
                    tx.enqueueUpsert("k" + i, "src", "h" + i, e);
                    tx.putCurrent("k" + i, new StoredEvent("src", "h" + i, e));
                }
                return null;
            });
            assertThat(s.storeVersion()).isEqualTo(before + 1);
        }
    }

    @Test
    void anAcknowledgementRemovesOnlyTheVersionThatWasSent() {
        try (AgentState s = AgentState.open(dir)) {
            long sent = s.<Long>write(tx -> {
                tx.enqueueUpsert("k1", "src", "h1", event("u1", "one"));
                return tx.outbox("k1").version();
            });
            s.write(tx -> {
                tx.enqueueUpsert("k1", "src", "h2", event("u1", "changed while in flight"));
                return null;
            });
            assertThat(s.<Boolean>write(tx -> tx.removeOutboxIfVersion("k1", sent))).isFalse();
            assertThat(s.<String>read(tx -> tx.outbox("k1").hash())).isEqualTo("h2");
            long newer = s.<Long>read(tx -> tx.outbox("k1").version());
            assertThat(newer).isGreaterThan(sent);
            assertThat(s.<Boolean>write(tx -> tx.removeOutboxIfVersion("k1", newer))).isTrue();
            assertThat(s.<Long>read(AgentState.Tx::outboxSize)).isZero();
        }
    }

    @Test
    void aFailedWriteIsRolledBack() {
        try (AgentState s = AgentState.open(dir)) {
            try {
                s.write(tx -> {
                    tx.enqueueUpsert("k1", "src", "h1", event("u1", "one"));
                    throw new IllegalStateException("boom");
                });
            } catch (IllegalStateException expected) {
                // the batch must not be half applied
            }
            assertThat(s.<Long>read(AgentState.Tx::outboxSize)).isZero();
        }
        try (AgentState s = AgentState.open(dir)) {
            assertThat(s.<Long>read(AgentState.Tx::outboxSize)).isZero();
        }
    }

    @Test
    void theCredentialFileIsOwnerOnly() throws Exception {
        try (AgentState s = AgentState.open(dir)) {
            CredentialStore c = new CredentialStore(s);
            c.save("secret-credential");
            assertThat(Files.readString(dir.resolve("credential"))).isEqualTo("secret-credential");
            assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(dir.resolve("credential"))))
                    .isEqualTo("rw-------");
            assertThat(c.load()).contains("secret-credential");
            assertThat(c.toString()).doesNotContain("secret-credential");
        }
        try (AgentState s = AgentState.open(dir)) {
            assertThat(new CredentialStore(s).load()).contains("secret-credential");
        }
    }
}
