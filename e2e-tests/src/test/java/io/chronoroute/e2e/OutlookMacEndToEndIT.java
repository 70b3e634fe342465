package io.chronoroute.e2e;

import io.chronoroute.olk15.Olk15Parser;
import io.chronoroute.olk15.fixture.CorpusGenerator;
import io.chronoroute.olk15.fixture.CorpusSummary;
import io.chronoroute.olk15.fixture.EventEncoder;
import io.chronoroute.olk15.fixture.EventSpec;
import io.chronoroute.olk15.model.Olk15Event;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.extension.ExtensionContext;
import org.junit.jupiter.api.extension.TestWatcher;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * A generated (synthetic) Outlook for Mac profile → the agent's outlook-mac-source → the real master; then one file
 * changed, one added, one deleted and one corrupted, and exactly those changes arrive. Both apps are processes.
 */
@ExtendWith(OutlookMacEndToEndIT.ShowLogsOnFailure.class)
class OutlookMacEndToEndIT {

    static final int EVENTS = 400;
    static final Duration WAIT = Duration.ofSeconds(120);
    static Apps apps;
    static CorpusSummary corpus;

    static final class ShowLogsOnFailure implements TestWatcher {
        @Override
        public void testFailed(ExtensionContext context, Throwable cause) {
            if (apps != null) {
                System.err.println(apps.logs());
            }
        }
    }

    @BeforeAll
    static void start() throws Exception {
        Path work = Files.createTempDirectory("chronoroute-olk-e2e");
        corpus = CorpusGenerator.generate(work.resolve("profile"), 42L, EVENTS, 8);
        apps = new Apps(work.resolve("apps"));
        Files.writeString(apps.work.resolve("sources").resolve("outlook-mac.camel.yaml"), """
                - templatedRoute:
                    routeTemplateRef: outlook-mac-source
                    routeId: agent-poll-olk-e2e
                    parameters:
                      - name: sourceName
                        value: outlook-mac-e2e
                      - name: eventsDir
                        value: "%s"
                      - name: pollDelay
                        value: "500"
                      - name: settleTime
                        value: "200"
                """.formatted(corpus.eventsDir()));
        apps.startBoth();
    }

    @AfterAll
    static void stop() {
        if (apps != null) {
            apps.close();
        }
    }

    static int vevents(String feed) {
        return feed.split("BEGIN:VEVENT", -1).length - 1;
    }

    @Test
    void corpusArrivesThenExactlyTheChangesFollow() throws Exception {
        List<Path> files;
        try (Stream<Path> s = Files.walk(corpus.eventsDir())) {
            files = s.filter(p -> p.toString().endsWith(".olk15Event")).sorted().toList();
        }
        assertThat(files).hasSize(EVENTS);
        // every file is one VEVENT of the feed: a single event, a series master or one of its overrides
        await().atMost(WAIT).untilAsserted(() -> assertThat(vevents(apps.feed())).isEqualTo(EVENTS));

        List<Path> singles = new ArrayList<>();
        for (Path f : files) {
            Olk15Event e = Olk15Parser.parse(f);
            if (!Boolean.TRUE.equals(e.recurring()) && e.masterRecordId() == null && e.icalUid() != null
                    && !Boolean.TRUE.equals(e.allDay())) {
                singles.add(f);
            }
        }
        assertThat(singles).hasSizeGreaterThanOrEqualTo(3);
        Olk15Event changed = Olk15Parser.parse(singles.get(0));
        Olk15Event deleted = Olk15Parser.parse(singles.get(1));
        Olk15Event corrupted = Olk15Parser.parse(singles.get(2));

        Files.write(singles.get(0), EventEncoder.encode(spec(changed.recordId(), changed.icalUid(),
                "Changed by the e2e test", changed.start(), changed.end())));
        Files.delete(singles.get(1));
        byte[] bytes = Files.readAllBytes(singles.get(2));
        Files.write(singles.get(2), Arrays.copyOf(bytes, bytes.length / 2));
        Files.write(singles.get(0).resolveSibling("e2e-added.olk15Event"), EventEncoder.encode(spec(990_001,
                "e2e-added@chronoroute.invalid", "Added by the e2e test", Instant.parse("2026-12-09T09:00:00Z"),
                Instant.parse("2026-12-09T09:30:00Z"))));

        await().atMost(WAIT).untilAsserted(() -> {
            String feed = apps.feed();
            assertThat(feed).contains("SUMMARY:Changed by the e2e test").contains("SUMMARY:Added by the e2e test")
                    .contains("UID:e2e-added@chronoroute.invalid");
            assertThat(Apps.vevents(feed)).doesNotContainKey(deleted.icalUid())
                    .containsKey(corrupted.icalUid()); // a corrupt file keeps its last good events
            assertThat(vevents(feed)).isEqualTo(EVENTS); // one deleted, one added, nothing else
        });
    }

    static EventSpec spec(int recordId, String uid, String subject, Instant start, Instant end) {
        EventSpec s = EventSpec.of(recordId).subject(subject);
        s.icalUid = uid;
        s.start = start;
        s.end = end;
        s.allDay = false;
        s.recurring = false;
        return s;
    }
}
