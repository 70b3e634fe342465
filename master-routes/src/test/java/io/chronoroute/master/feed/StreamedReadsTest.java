package io.chronoroute.master.feed;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.chronoroute.master.ChronorouteMasterApplication;
import io.chronoroute.master.store.ChangeSet;
import io.chronoroute.master.store.ConsolidatedEvent;
import io.chronoroute.master.store.MasterStore;
import io.chronoroute.processors.model.CalendarEvent;
import io.chronoroute.processors.model.EventTime;
import io.chronoroute.processors.wire.WireJson;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Proxy;
import java.net.HttpURLConnection;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.time.LocalDateTime;
import java.time.ZoneId;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import org.apache.camel.test.spring.junit5.CamelSpringBootTest;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.beans.factory.annotation.Qualifier;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.boot.test.context.TestConfiguration;
import org.springframework.boot.test.web.server.LocalServerPort;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Primary;
import org.springframework.test.context.DynamicPropertyRegistry;
import org.springframework.test.context.DynamicPropertySource;

/**
 * The three whole-calendar reads ({@code /calendar.ics}, {@code /sync/events} paged and unpaged,
 * {@code /sync/events/fullcalendar}) over real HTTP on a store of {@value #SMALL} small events plus three of 1 MB:
 * every event exactly once, and proof that the answers stream (the first events reach the client while the walk of
 * the store is held in the middle), that whole-calendar reads are bounded in number (503 beyond) while other requests
 * are served, and that the feed's ETag follows the store's change sequence.
 */
@CamelSpringBootTest
@SpringBootTest(classes = {ChronorouteMasterApplication.class, StreamedReadsTest.PausingStore.class},
        webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT,
        properties = {"chronoroute.routes-dir=" + StreamedReadsTest.ROUTES_DIR, "chronoroute.reads.max-concurrent=2",
                "chronoroute.reads.max-wait=300ms"})
class StreamedReadsTest {

    static final String ROUTES_DIR = "target/empty-routes-folder";
    static final String ADMIN = "admin-token-for-stream-tests-0123";
    static final String FEED = "feed-token-for-stream-tests-01234";
    static final int SMALL = 6_000;
    /** Just under the 1 MiB a text property may hold. */
    static final int LARGE_CHARS = 1_000_000;
    static final ObjectMapper JSON = new ObjectMapper();

    /** While set, a store page asked for after this identity waits for {@link #RELEASE}. */
    static final AtomicReference<String> PAUSE_AFTER = new AtomicReference<>();
    static volatile CountDownLatch reached = new CountDownLatch(1);
    static volatile CountDownLatch RELEASE = new CountDownLatch(1);

    static {
        try {
            Files.createDirectories(Path.of(ROUTES_DIR));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    @TempDir
    static Path dataDir;

    @DynamicPropertySource
    static void props(DynamicPropertyRegistry r) {
        r.add("chronoroute.data-dir", () -> dataDir.toString());
        r.add("chronoroute.admin-token", () -> ADMIN);
        r.add("chronoroute.feed-token", () -> FEED);
        r.add("chronoroute.enrollment-secret", () -> "enroll-secret-for-stream-tests-0123");
    }

    /** The store of the app, seen through a proxy that can hold a walk in the middle. */
    @TestConfiguration
    static class PausingStore {
        @Bean
        @Primary
        MasterStore pausingStore(@Qualifier("masterStore") MasterStore real) {
            return (MasterStore) Proxy.newProxyInstance(MasterStore.class.getClassLoader(),
                    new Class<?>[] {MasterStore.class}, (proxy, method, args) -> {
                        String pause = PAUSE_AFTER.get();
                        if (pause != null && method.getName().equals("consolidatedPage") && args[0] != null
                                && ((String) args[0]).compareTo(pause) >= 0) {
                            reached.countDown();
                            if (!RELEASE.await(60, TimeUnit.SECONDS)) {
                                throw new IllegalStateException("the test never released the walk");
                            }
                        }
                        try {
                            return method.invoke(real, args);
                        } catch (InvocationTargetException e) {
                            throw e.getCause();
                        }
                    });
        }
    }

    @LocalServerPort
    int port;
    @Autowired
    MasterStore store;
    @Autowired
    ReadGate gate;

    static boolean loaded;
    static final Set<String> ALL = new HashSet<>();

    @BeforeEach
    void load() {
        if (loaded) {
            return;
        }
        ChangeSet cs = new ChangeSet();
        for (int i = 0; i < SMALL; i++) {
            String id = String.format("s-%06d", i);
            cs.putConsolidated.add(consolidated(id, "Event " + i, null));
            if (cs.putConsolidated.size() == 2_500) {
                store.apply(cs);
                cs = new ChangeSet();
            }
        }
        for (int i = 0; i < 3; i++) {
            // among the small ones in identity order
            String id = String.format("s-%06dL", i * 2_000 + 17);
            cs.putConsolidated.add(consolidated(id, "Large " + i, ("large-" + i + " ").repeat(LARGE_CHARS / 8)));
        }
        store.apply(cs);
        store.forEachConsolidated(false, e -> ALL.add(e.identity()));
        assertThat(ALL).hasSize(SMALL + 3);
        loaded = true;
    }

    @AfterEach
    void noPause() {
        PAUSE_AFTER.set(null);
        RELEASE.countDown();
    }

    static ConsolidatedEvent consolidated(String id, String title, String description) {
        CalendarEvent e = CalendarEvent.builder().uid(id).title(title).description(description).location("Room 1")
                .start(EventTime.ofZoned(LocalDateTime.of(2030, 1, 7, 9, 0), ZoneId.of("Europe/Berlin")))
                .end(EventTime.ofZoned(LocalDateTime.of(2030, 1, 7, 10, 0), ZoneId.of("Europe/Berlin")))
                .build();
        return new ConsolidatedEvent(id, WireJson.toJson(e), "hash-" + id, List.of("agent-1/" + id), 1, 0,
                Instant.parse("2030-01-01T00:00:00Z"), false, "agent-1/" + id);
    }

    // ------------------------------------------------------------------ every path, every event once

    @Test
    void everyReadPathAnswersEveryEventOnceLargeOnesIncluded() throws Exception {
        // the seed's unpaged form
        JsonNode all = JSON.readTree(get("/sync/events", ADMIN).body);
        assertThat(all.get("status").asText()).isEqualTo("success");
        assertThat(all.get("count").asInt()).isEqualTo(SMALL + 3);
        assertThat(all.has("next_cursor")).isFalse();
        assertThat(ids(all.get("events"))).containsExactlyInAnyOrderElementsOf(ALL);
        for (JsonNode e : all.get("events")) {
            if (e.get("id").asText().endsWith("L")) {
                assertThat(e.get("description").asText()).hasSizeGreaterThan(LARGE_CHARS - 16);
            }
        }

        // pages
        List<String> paged = new ArrayList<>();
        String cursor = null;
        int pages = 0;
        do {
            JsonNode page = JSON.readTree(get("/sync/events?limit=2000" + (cursor == null ? "" : "&cursor=" + cursor),
                    ADMIN).body);
            assertThat(page.get("events").size()).isLessThanOrEqualTo(2000).isEqualTo(page.get("count").asInt());
            assertThat(page.get("limit").asInt()).isEqualTo(2000);
            paged.addAll(ids(page.get("events")));
            cursor = page.get("next_cursor").isNull() ? null : page.get("next_cursor").asText();
            pages++;
        } while (cursor != null);
        assertThat(pages).isEqualTo(4);
        assertThat(paged).doesNotHaveDuplicates().isSorted().containsExactlyInAnyOrderElementsOf(ALL);
        // a cursor alone pages with the default size; filters still apply
        JsonNode afterCursor = JSON.readTree(get("/sync/events?agent_id=agent-1&cursor="
                + FeedService.encodeCursor("s-005990"), ADMIN).body);
        assertThat(ids(afterCursor.get("events"))).hasSize(9);
        assertThat(afterCursor.get("next_cursor").isNull()).isTrue();
        assertThat(JSON.readTree(get("/sync/events?agent_id=nobody&limit=5", ADMIN).body).get("count").asInt())
                .isZero();
        // bad paging input: 400 naming the field
        for (String bad : List.of("limit=0", "limit=10001", "limit=ten", "cursor=not-a-cursor",
                "cursor=" + java.util.Base64.getUrlEncoder().encodeToString("x".getBytes()))) {
            Answer r = get("/sync/events?" + bad, ADMIN);
            assertThat(r.status).as(bad).isEqualTo(400);
            assertThat(JSON.readTree(r.body).get("field").asText()).isEqualTo(bad.substring(0, bad.indexOf('=')));
        }

        JsonNode fc = JSON.readTree(get("/sync/events/fullcalendar", ADMIN).body);
        assertThat(ids(fc)).containsExactlyInAnyOrderElementsOf(ALL);

        Answer ics = get("/calendar.ics?token=" + FEED, null);
        assertThat(ics.status).isEqualTo(200);
        assertThat(ics.body).startsWith("BEGIN:VCALENDAR\r\n").endsWith("END:VEVENT\r\nEND:VCALENDAR\r\n");
        assertThat(ics.body.split("BEGIN:VEVENT", -1)).hasSize(SMALL + 3 + 1);
        assertThat(ics.body.split("BEGIN:VTIMEZONE", -1)).hasSize(2);
        assertThat(ics.body.indexOf("TZID:Europe/Berlin")).isLessThan(ics.body.indexOf("BEGIN:VEVENT"));
        assertThat(ics.body).contains("UID:s-002017L");
        assertThat(gate.available()).isEqualTo(2);
    }

    // ------------------------------------------------------------------ streaming, bounded concurrency

    @Test
    void answersStreamWhileTheStoreIsReadAndWholeCalendarReadsAreBounded() throws Exception {
        reached = new CountDownLatch(1);
        RELEASE = new CountDownLatch(1);
        PAUSE_AFTER.set(String.format("s-%06d", SMALL / 2));

        // the feed: its first events arrive while the walk of the store is held in the middle
        HttpURLConnection feed = open("/calendar.ics?token=" + FEED, null);
        InputStream feedIn = feed.getInputStream();
        String head = readUntil(feedIn, "UID:s-001000");
        assertThat(head).startsWith("BEGIN:VCALENDAR");
        assertThat(reached.await(30, TimeUnit.SECONDS)).isTrue();

        // a second whole-calendar read takes the second slot and is held the same way
        HttpURLConnection list = open("/sync/events", ADMIN);
        InputStream listIn = list.getInputStream();
        String listHead = readUntil(listIn, "\"id\":\"s-001000\"");
        assertThat(listHead).startsWith("{\"status\":\"success\",\"events\":[");
        await().atMost(Duration.ofSeconds(30)).until(() -> gate.available() == 0);

        // a third waits max-wait, then 503 with a JSON reason
        Answer busy = get("/sync/events/fullcalendar", ADMIN);
        assertThat(busy.status).isEqualTo(503);
        assertThat(JSON.readTree(busy.body).get("error").asText()).isEqualTo("busy");
        assertThat(busy.retryAfter).isEqualTo("5");
        // everything else is served meanwhile
        assertThat(get("/sync/health", null).status).isEqualTo(200);
        assertThat(get("/sync/agents/status", ADMIN).status).isEqualTo(200);

        RELEASE.countDown();
        String restOfFeed = new String(feedIn.readAllBytes(), StandardCharsets.UTF_8);
        assertThat(restOfFeed).endsWith("END:VCALENDAR\r\n");
        assertThat((head + restOfFeed).split("BEGIN:VEVENT", -1)).hasSize(SMALL + 3 + 1);
        JsonNode listed = JSON.readTree(listHead + readAll(listIn, list));
        assertThat(listed.get("count").asInt()).isEqualTo(SMALL + 3);
        await().atMost(Duration.ofSeconds(30)).until(() -> gate.available() == 2);
    }

    @Test
    void aClientThatGoesAwayGivesItsSlotBack() throws Exception {
        reached = new CountDownLatch(1);
        RELEASE = new CountDownLatch(1);
        PAUSE_AFTER.set(String.format("s-%06d", SMALL / 2));
        HttpURLConnection c = open("/sync/events/fullcalendar", ADMIN);
        readUntil(c.getInputStream(), "\"id\":\"s-001000\"");
        assertThat(reached.await(30, TimeUnit.SECONDS)).isTrue();
        c.disconnect();
        RELEASE.countDown();
        await().atMost(Duration.ofSeconds(30)).until(() -> gate.available() == 2);
    }

    // ------------------------------------------------------------------ ETag / 304

    @Test
    void theFeedsEtagFollowsTheChangeSequence() throws Exception {
        Answer first = get("/calendar.ics?token=" + FEED, null);
        assertThat(first.etag).isNotBlank();
        assertThat(get("/calendar.ics?token=" + FEED, null, "If-None-Match", first.etag).status).isEqualTo(304);
        assertThat(get("/calendar.ics?token=" + FEED, null, "If-None-Match", "W/" + first.etag).status).isEqualTo(304);
        ChangeSet cs = new ChangeSet();
        cs.putConsolidated.add(consolidated("s-000003", "Event 3 moved", null));
        store.apply(cs);
        Answer changed = get("/calendar.ics?token=" + FEED, null, "If-None-Match", first.etag);
        assertThat(changed.status).isEqualTo(200);
        assertThat(changed.etag).isNotEqualTo(first.etag);
        assertThat(changed.body).contains("SUMMARY:Event 3 moved");
        assertThat(get("/calendar.ics?token=" + FEED, null, "If-None-Match", changed.etag).status).isEqualTo(304);
    }

    // ------------------------------------------------------------------ helpers

    record Answer(int status, String body, String etag, String retryAfter) {
    }

    Answer get(String path, String bearer, String... headers) throws IOException {
        HttpURLConnection c = open(path, bearer, headers);
        int status = c.getResponseCode();
        InputStream in = status >= 400 ? c.getErrorStream() : c.getInputStream();
        String body = in == null ? "" : readAll(in, c);
        return new Answer(status, body, c.getHeaderField("ETag"), c.getHeaderField("Retry-After"));
    }

    HttpURLConnection open(String path, String bearer, String... headers) throws IOException {
        HttpURLConnection c = (HttpURLConnection) URI.create("http://127.0.0.1:" + port + path).toURL()
                .openConnection();
        c.setReadTimeout(60_000);
        if (bearer != null) {
            c.setRequestProperty("Authorization", "Bearer " + bearer);
        }
        for (int i = 0; i + 1 < headers.length; i += 2) {
            c.setRequestProperty(headers[i], headers[i + 1]);
        }
        return c;
    }

    static String readAll(InputStream in, HttpURLConnection c) throws IOException {
        try (in) {
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        } finally {
            c.disconnect();
        }
    }

    /** Reads until {@code marker} has arrived (the read times out if the server sends nothing). */
    static String readUntil(InputStream in, String marker) throws IOException {
        ByteArrayOutputStream got = new ByteArrayOutputStream();
        byte[] buf = new byte[8192];
        while (!got.toString(StandardCharsets.UTF_8).contains(marker)) {
            int n = in.read(buf);
            if (n < 0) {
                throw new IOException("the answer ended before " + marker);
            }
            got.write(buf, 0, n);
        }
        return got.toString(StandardCharsets.UTF_8);
    }

    static List<String> ids(JsonNode events) {
        List<String> out = new ArrayList<>();
        events.forEach(e -> out.add(e.get("id").asText()));
        return out;
    }
}
