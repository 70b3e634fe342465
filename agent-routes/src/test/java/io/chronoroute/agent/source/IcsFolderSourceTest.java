package io.chronoroute.agent.source;

import io.chronoroute.agent.AgentProperties;
import io.chronoroute.agent.Ics;
import io.chronoroute.agent.collect.ChangeBatch;
import io.chronoroute.agent.collect.ChangeCollector;
import io.chronoroute.agent.collect.CollectSummary;
import io.chronoroute.agent.state.AgentState;
import io.chronoroute.agent.state.OutboxEntry;
import io.chronoroute.processors.sync.SyncKey;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.time.Duration;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

class IcsFolderSourceTest {

    static final String AGENT = "agent-1";
    static final String SOURCE = "cal";

    @TempDir
    Path tmp;
    Path folder;
    AgentState state;
    ChangeCollector collector;
    IcsFolderSource source;

    @BeforeEach
    void setUp() throws IOException {
        AgentProperties props = new AgentProperties(AGENT, "t", "test", URI.create("http://127.0.0.1:1"), null,
                Duration.ofSeconds(30), Duration.ofSeconds(1), Duration.ofSeconds(1), 5000, 20, Duration.ofSeconds(5),
                Duration.ofMinutes(1), "Europe/Berlin");
        state = AgentState.open(tmp.resolve("data"));
        collector = new ChangeCollector(state, props);
        source = new IcsFolderSource(state, new SourceRegistry(), props);
        folder = Files.createDirectories(tmp.resolve("folder"));
    }

    @AfterEach
    void tearDown() {
        state.close();
    }

    private long modifiedCounter = 1_750_000_000_000L;

    private void write(String name, String text) throws IOException {
        Path p = folder.resolve(name);
        Files.writeString(p, text, StandardCharsets.UTF_8);
        modifiedCounter += 1000;
        Files.setLastModifiedTime(p, FileTime.fromMillis(modifiedCounter));
    }

    private List<ChangeBatch> read(String name) throws IOException {
        Path p = folder.resolve(name);
        return source.readFile(SOURCE, null, name, Files.getLastModifiedTime(p).toMillis(), p.toAbsolutePath().toString());
    }

    private CollectSummary poll(String name) throws IOException {
        return collector.collect(read(name));
    }

    private Map<String, OutboxEntry> outbox() {
        return state.read(tx -> tx.outboxHead(10_000));
    }

    private void acknowledgeEverything() {
        state.write(tx -> {
            tx.outboxHead(10_000).forEach((k, e) -> tx.removeOutboxIfVersion(k, e.version()));
            return null;
        });
    }

    private static String key(String uid) {
        return new SyncKey(AGENT, SOURCE, uid, null).value();
    }

    @Test
    void newFileGivesOneUpsertPerEvent() throws IOException {
        write("a.ics", Ics.calendar(Ics.vevent("u1", "Standup", "20250610T070000Z"), Ics.vevent("u2", "Review", "20250611T120000Z")));

        CollectSummary s = poll("a.ics");

        assertThat(s.upserted()).isEqualTo(2);
        Map<String, OutboxEntry> out = outbox();
        assertThat(out).containsOnlyKeys(key("u1"), key("u2"));
        assertThat(out.get(key("u1")).isUpsert()).isTrue();
        assertThat(out.get(key("u1")).event().path("title").asText()).isEqualTo("Standup");
        assertThat(out.get(key("u1")).event().path("source").asText()).isEqualTo(SOURCE);
        assertThat(out.get(key("u1")).event().path("provider_id").asText()).isEqualTo("a.ics");
        assertThat(state.<Long>read(tx -> tx.digest().count())).isEqualTo(2);
        assertThat(state.<List<String>>read(tx -> tx.file(SOURCE, "a.ics").keys())).containsExactlyInAnyOrder(key("u1"), key("u2"));
    }

    @Test
    void editingOneVeventChangesExactlyThatEvent() throws IOException {
        write("a.ics", Ics.calendar(Ics.vevent("u1", "Standup", "20250610T070000Z"), Ics.vevent("u2", "Review", "20250611T120000Z")));
        poll("a.ics");
        acknowledgeEverything();
        String digestBefore = state.<String>read(tx -> tx.digest().toString());

        write("a.ics", Ics.calendar(Ics.vevent("u1", "Standup moved", "20250610T080000Z"), Ics.vevent("u2", "Review", "20250611T120000Z")));
        CollectSummary s = poll("a.ics");

        assertThat(s.upserted()).isEqualTo(1);
        assertThat(s.unchanged()).isEqualTo(1);
        assertThat(s.deleted()).isZero();
        Map<String, OutboxEntry> out = outbox();
        assertThat(out).containsOnlyKeys(key("u1"));
        assertThat(out.get(key("u1")).event().path("title").asText()).isEqualTo("Standup moved");
        assertThat(state.<String>read(tx -> tx.digest().toString())).isNotEqualTo(digestBefore).startsWith("2:");
    }

    @Test
    void removingAVeventDeletesIt() throws IOException {
        write("a.ics", Ics.calendar(Ics.vevent("u1", "Standup", "20250610T070000Z"), Ics.vevent("u2", "Review", "20250611T120000Z")));
        poll("a.ics");
        acknowledgeEverything();

        write("a.ics", Ics.calendar(Ics.vevent("u1", "Standup", "20250610T070000Z")));
        CollectSummary s = poll("a.ics");

        assertThat(s.deleted()).isEqualTo(1);
        assertThat(s.upserted()).isZero();
        OutboxEntry del = outbox().get(key("u2"));
        assertThat(del.op()).isEqualTo(OutboxEntry.DELETE);
        assertThat(del.deleted().path("uid").asText()).isEqualTo("u2");
        assertThat(del.deleted().path("source").asText()).isEqualTo(SOURCE);
        assertThat(del.deleted().get("recurrence_id").isNull()).isTrue();
        assertThat(outbox()).hasSize(1);
        assertThat(state.<Long>read(tx -> tx.currentSize())).isEqualTo(1);
        assertThat(state.<Long>read(tx -> tx.digest().count())).isEqualTo(1);
    }

    @Test
    void removingTheFileDeletesAllItsEvents() throws IOException {
        write("a.ics", Ics.calendar(Ics.vevent("u1", "Standup", "20250610T070000Z"), Ics.vevent("u2", "Review", "20250611T120000Z")));
        write("b.ics", Ics.calendar(Ics.vevent("u3", "Lunch", "20250612T110000Z")));
        poll("a.ics");
        poll("b.ics");
        acknowledgeEverything();

        Files.delete(folder.resolve("a.ics"));
        List<ChangeBatch> removed = source.detectRemovedFiles(SOURCE, folder.toString());
        CollectSummary s = collector.collect(removed);

        assertThat(removed).extracting(ChangeBatch::file).containsExactly("a.ics");
        assertThat(s.deleted()).isEqualTo(2);
        assertThat(outbox()).containsOnlyKeys(key("u1"), key("u2"));
        assertThat(outbox().values()).allMatch(e -> OutboxEntry.DELETE.equals(e.op()));
        assertThat(state.<Object>read(tx -> tx.file(SOURCE, "a.ics"))).isNull();
        assertThat(state.<Long>read(tx -> tx.currentSize())).isEqualTo(1);
        assertThat(source.detectRemovedFiles(SOURCE, folder.toString())).isEmpty();
    }

    @Test
    void aMissingFolderIsNotTakenAsDeletion() throws IOException {
        write("a.ics", Ics.calendar(Ics.vevent("u1", "Standup", "20250610T070000Z")));
        poll("a.ics");

        assertThat(source.detectRemovedFiles(SOURCE, tmp.resolve("unmounted").toString())).isEmpty();
    }

    @Test
    void aCorruptFileIsReportedAndSkippedAndKeepsItsEventsAndTheNextFileFlows() throws IOException {
        write("a.ics", Ics.calendar(Ics.vevent("u1", "Standup", "20250610T070000Z"), Ics.vevent("u2", "Review", "20250611T120000Z")));
        poll("a.ics");
        acknowledgeEverything();

        write("a.ics", Ics.BROKEN);
        List<ChangeBatch> broken = read("a.ics");
        CollectSummary s = collector.collect(broken);

        assertThat(broken).singleElement().extracting(ChangeBatch::kind).isEqualTo(ChangeBatch.Kind.FAILED);
        assertThat(s.failedFiles()).isEqualTo(1);
        assertThat(s.deleted()).isZero();
        assertThat(outbox()).isEmpty();
        assertThat(state.<Long>read(tx -> tx.currentSize())).isEqualTo(2);
        assertThat(state.<Map<String, String>>read(tx -> tx.failedFiles())).containsKey(SOURCE + "/a.ics");
        assertThat(state.<List<String>>read(tx -> tx.file(SOURCE, "a.ics").keys())).hasSize(2);

        write("b.ics", Ics.calendar(Ics.vevent("u3", "Lunch", "20250612T110000Z")));
        assertThat(poll("b.ics").upserted()).isEqualTo(1);
        assertThat(outbox()).containsOnlyKeys(key("u3"));

        write("a.ics", Ics.calendar(Ics.vevent("u1", "Standup", "20250610T070000Z"), Ics.vevent("u2", "Review", "20250611T120000Z")));
        CollectSummary repaired = poll("a.ics");
        assertThat(repaired.changedAnything()).isFalse();
        assertThat(state.<Map<String, String>>read(tx -> tx.failedFiles())).isEmpty();
    }

    @Test
    void readingTheSameFileTwiceChangesNothing() throws IOException {
        write("a.ics", Ics.calendar(Ics.vevent("u1", "Standup", "20250610T070000Z")));
        poll("a.ics");
        acknowledgeEverything();

        List<ChangeBatch> again = read("a.ics");
        assertThat(again).singleElement().extracting(ChangeBatch::kind).isEqualTo(ChangeBatch.Kind.TOUCHED);
        CollectSummary s = collector.collect(again);
        assertThat(s.changedAnything()).isFalse();
        assertThat(outbox()).isEmpty();
        // the same parsed content collected twice is a no-op too (idempotent hop)
        write("a.ics", Ics.calendar(Ics.vevent("u1", "Standup", "20250610T070000Z")) + "\r\n");
        assertThat(poll("a.ics").changedAnything()).isFalse();
        assertThat(outbox()).isEmpty();
    }

    @Test
    void theSameUidInTwoFilesIsDeletedOnlyWhenNoFileHoldsIt() throws IOException {
        write("a.ics", Ics.calendar(Ics.vevent("u1", "Standup", "20250610T070000Z")));
        write("b.ics", Ics.calendar(Ics.vevent("u1", "Standup", "20250610T070000Z")));
        poll("a.ics");
        poll("b.ics");
        acknowledgeEverything();

        Files.delete(folder.resolve("a.ics"));
        assertThat(collector.collect(source.detectRemovedFiles(SOURCE, folder.toString())).deleted()).isZero();
        Files.delete(folder.resolve("b.ics"));
        assertThat(collector.collect(source.detectRemovedFiles(SOURCE, folder.toString())).deleted()).isEqualTo(1);
    }
}
