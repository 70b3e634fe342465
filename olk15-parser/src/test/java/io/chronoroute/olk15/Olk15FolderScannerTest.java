package io.chronoroute.olk15;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.chronoroute.olk15.fixture.EventEncoder;
import io.chronoroute.olk15.fixture.EventSpec;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class Olk15FolderScannerTest {

    @TempDir
    Path tmp;

    private Path write(Path events, String rel, int id) throws Exception {
        Path f = events.resolve(rel);
        Files.createDirectories(f.getParent());
        Files.write(f, EventEncoder.encode(EventSpec.of(id).subject("s" + id)));
        return f;
    }

    @Test
    void reportsAddedChangedRemovedAndNothingOnRescan() throws Exception {
        Path events = tmp.resolve("Data/Events");
        Path a = write(events, "0/1.olk15Event", 1);
        Path b = write(events, "1/deep/2.olk15Event", 2);
        Files.writeString(events.resolve("0/notes.txt"), "ignored");
        Path index = tmp.resolve("state/index.txt");

        Olk15FolderScanner scanner = new Olk15FolderScanner(events, index).load();
        Olk15FolderScanner.ScanResult first = scanner.scan();
        assertThat(first.added()).containsExactly(a, b);
        assertThat(first.changed()).isEmpty();
        scanner.accept(first);
        scanner.save();

        Olk15FolderScanner reloaded = new Olk15FolderScanner(events, index).load();
        Olk15FolderScanner.ScanResult none = reloaded.scan();
        assertThat(none.isEmpty()).isTrue();
        assertThat(none.filesSeen()).isEqualTo(2);

        Files.write(a, EventEncoder.encode(EventSpec.of(1).subject("changed subject")));
        Files.setLastModifiedTime(a, FileTime.fromMillis(Files.getLastModifiedTime(a).toMillis() + 5_000));
        Files.delete(b);
        Path c = write(events, "2/3.olk15Event", 3);
        Olk15FolderScanner.ScanResult delta = reloaded.scan();
        assertThat(delta.changed()).containsExactly(a);
        assertThat(delta.removed()).containsExactly(b);
        assertThat(delta.added()).containsExactly(c);

        reloaded.accept(delta);
        assertThat(reloaded.scan().isEmpty()).isTrue();
        assertThat(reloaded.index()).containsOnlyKeys("0/1.olk15Event", "2/3.olk15Event");
    }

    @Test
    void unacceptedChangesAreReportedAgain() throws Exception {
        Path events = tmp.resolve("Events");
        write(events, "0/1.olk15Event", 1);
        Olk15FolderScanner scanner = new Olk15FolderScanner(events, tmp.resolve("idx")).load();
        assertThat(scanner.scan().added()).hasSize(1);
        assertThat(scanner.scan().added()).hasSize(1);
    }

    @Test
    void neverWritesInsideTheScannedFolder() throws Exception {
        Path events = tmp.resolve("Events");
        write(events, "0/1.olk15Event", 1);
        assertThatThrownBy(() -> new Olk15FolderScanner(events, events.resolve("index.txt")))
                .isInstanceOf(IllegalArgumentException.class);
        Olk15FolderScanner scanner = new Olk15FolderScanner(events, tmp.resolve("idx/index.txt")).load();
        scanner.accept(scanner.scan());
        scanner.save();
        try (Stream<Path> s = Files.walk(events)) {
            assertThat(s.filter(Files::isRegularFile).toList()).containsExactly(events.resolve("0/1.olk15Event"));
        }
        try (Stream<Path> s = Files.list(tmp.resolve("idx"))) {
            assertThat(s.toList()).containsExactly(tmp.resolve("idx/index.txt"));
        }
    }

    @Test
    void oddFileNamesSurviveTheIndex() throws Exception {
        Path events = tmp.resolve("Events");
        write(events, "0/tab\there back\\slash 😀.olk15Event", 1);
        Path index = tmp.resolve("index.txt");
        Olk15FolderScanner s = new Olk15FolderScanner(events, index).load();
        s.accept(s.scan());
        s.save();
        assertThat(new Olk15FolderScanner(events, index).load().scan().isEmpty()).isTrue();
    }

    @Test
    void corruptIndexAndMissingFolderAreTypedErrors() throws Exception {
        Path index = tmp.resolve("index.txt");
        Files.writeString(index, "garbage\n");
        assertThatThrownBy(() -> new Olk15FolderScanner(tmp.resolve("Events"), index).load())
                .isInstanceOf(Olk15IndexException.class);
        Files.writeString(index, Olk15FolderScanner.HEADER + "\n12\tx\tpath\n");
        assertThatThrownBy(() -> new Olk15FolderScanner(tmp.resolve("Events"), index).load())
                .isInstanceOfSatisfying(Olk15IndexException.class, e -> assertThat(e.line()).isEqualTo(2));
        assertThatThrownBy(() -> new Olk15FolderScanner(tmp.resolve("missing"), tmp.resolve("i2")).scan())
                .isInstanceOf(NoSuchFileException.class);
        assertThat(List.of(Olk15FolderScanner.escape("a\\b\nc"))).containsExactly("a\\\\b\\nc");
    }
}
