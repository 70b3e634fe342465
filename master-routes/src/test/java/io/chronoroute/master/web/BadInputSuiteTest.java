package io.chronoroute.master.web;

import com.fasterxml.jackson.databind.JsonNode;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

import java.lang.management.ManagementFactory;
import java.lang.management.MemoryPoolMXBean;
import java.lang.management.MemoryType;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Function;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Every bad request of issue #15 that the master answers (the edge: sizes, encodings, media types, paths,
 * methods, string and date bounds). Each case asserts the status and the JSON reason (never an HTML page), that
 * the store is unchanged, that no secret reached the log, and that the master's heap did not grow with the input.
 */
class BadInputSuiteTest extends EdgeTestBase {

    private static final long MB = 1024 * 1024;
    private static String agent;
    private static String credential;

    record Case(String name, int status, String field, String reason, Function<BadInputSuiteTest, Http.Response> call,
                boolean big) {
        @Override
        public String toString() {
            return name;
        }
    }

    @BeforeEach
    void agentWithOneEvent() {
        if (agent == null) {
            agent = uniqueId("bad-input");
            credential = register(agent);
            Http.Response r = heartbeat("{\"protocol\":2,\"batch_id\":\"" + agent + "-1\",\"changed\":[" + event("e1",
                    "2025-06-10T09:00:00") + "],\"deleted\":[]}");
            assertThat(r.status()).as(r.body()).isEqualTo(200);
        }
    }

    Http.Response heartbeat(String body) {
        return heartbeatBytes(body.getBytes(StandardCharsets.UTF_8), "application/json");
    }

    Http.Response heartbeatBytes(byte[] body, String type) {
        return http.send("POST", "/sync/agents/" + agent + "/heartbeat", body, "Authorization", "Bearer " + credential,
                "Content-Type", type);
    }

    static String event(String uid, String start) {
        return "{\"uid\":\"" + uid + "\",\"title\":\"T\",\"source\":\"s\",\"start\":{\"date_time\":\"" + start
                + "\",\"time_zone\":\"UTC\"}}";
    }

    static byte[] bytes(String prefix, int[] raw, String suffix) {
        byte[] a = prefix.getBytes(StandardCharsets.UTF_8);
        byte[] c = suffix.getBytes(StandardCharsets.UTF_8);
        byte[] out = new byte[a.length + raw.length + c.length];
        System.arraycopy(a, 0, out, 0, a.length);
        for (int i = 0; i < raw.length; i++) {
            out[a.length + i] = (byte) raw[i];
        }
        System.arraycopy(c, 0, out, a.length + raw.length, c.length);
        return out;
    }

    static String repeat(char c, int n) {
        return String.valueOf(c).repeat(n);
    }

    static List<Case> cases() {
        List<Case> l = new ArrayList<>();
        // media types: 415 before anything parses the form (and logs it)
        l.add(new Case("registration as a form", 415, "Content-Type", "form bodies are not accepted",
                t -> t.http.send("POST", "/sync/agents/register", ("id=x1&enrollment_secret=" + ENROLL)
                        .getBytes(StandardCharsets.UTF_8), "Content-Type", "application/x-www-form-urlencoded"), false));
        l.add(new Case("heartbeat as a form", 415, "Content-Type", "form bodies are not accepted",
                t -> t.heartbeatBytes("status=active".getBytes(StandardCharsets.UTF_8),
                        "application/x-www-form-urlencoded"), false));
        l.add(new Case("heartbeat as multipart", 415, "Content-Type", "form bodies are not accepted",
                t -> t.heartbeatBytes("--b\r\n\r\nx\r\n--b--".getBytes(StandardCharsets.UTF_8),
                        "multipart/form-data; boundary=b"), false));
        l.add(new Case("heartbeat declared Latin-1", 415, "Content-Type", "must be UTF-8",
                t -> t.heartbeatBytes("{}".getBytes(StandardCharsets.UTF_8), "application/json; charset=ISO-8859-1"),
                false));
        // bodies that are not UTF-8: 400 naming the byte offset
        l.add(new Case("Latin-1 title", 400, "", "offset 31",
                t -> t.heartbeatBytes(bytes("{\"status\":\"active\",\"title\":\"Caf", new int[]{0xE9}, "\"}"),
                        "application/json"), false));
        l.add(new Case("invalid continuation", 400, "", "offset 12",
                t -> t.heartbeatBytes(bytes("{\"status\":\"", new int[]{0xC3, 0x28}, "\"}"), "application/json"), false));
        l.add(new Case("overlong encoding", 400, "", "offset 11",
                t -> t.heartbeatBytes(bytes("{\"status\":\"", new int[]{0xC0, 0xAF}, "\"}"), "application/json"), false));
        l.add(new Case("UTF-16 with BOM", 400, "", "offset 0",
                t -> t.heartbeatBytes("\uFEFF{\"status\":\"active\"}".getBytes(StandardCharsets.UTF_16LE),
                        "application/json"), false));
        l.add(new Case("encoded surrogate", 400, "", "offset 12",
                t -> t.heartbeatBytes(bytes("{\"status\":\"", new int[]{0xED, 0xA0, 0x80}, "\"}"), "application/json"),
                false));
        l.add(new Case("binary", 400, "", "offset 0",
                t -> t.heartbeatBytes(new byte[]{(byte) 0xFF, 0x00, 0x13, (byte) 0x8F}, "application/octet-stream"),
                false));
        l.add(new Case("sequence cut off by the end", 400, "", "cut off",
                t -> t.heartbeatBytes(bytes("{\"status\":\"a", new int[]{0xE2, 0x82}, ""), "application/json"), false));
        l.add(new Case("registration not UTF-8", 400, "", "offset 7",
                t -> t.http.send("POST", "/sync/agents/register", bytes("{\"id\":\"", new int[]{0xFF}, "\"}"),
                        "Content-Type", "application/json"), false));
        // sizes: declared or streamed, always before authentication
        l.add(new Case("declared length over the limit", 413, "", "limit is " + LIMIT,
                t -> t.http.send("POST", "/sync/agents/register", null, "Content-Type", "application/json",
                        "Content-Length", Long.toString(300 * MB)), false));
        l.add(new Case("40 MB chunked registration, unauthenticated", 413, "", "limit of " + LIMIT,
                t -> t.http.chunked("POST", "/sync/agents/register", "{\"id\":\"big\",\"name\":\""
                        .getBytes(StandardCharsets.UTF_8), 40 * MB, "Content-Type", "application/json"), true));
        l.add(new Case("40 MB chunked heartbeat", 413, "", "limit of " + LIMIT,
                t -> t.http.chunked("POST", "/sync/agents/" + agent + "/heartbeat", "{\"status\":\""
                        .getBytes(StandardCharsets.UTF_8), 40 * MB, "Content-Type", "application/json",
                        "Authorization", "Bearer " + credential), true));
        // odd requests
        l.add(new Case("huge bearer token", 400, null, "too long",
                t -> t.http.send("GET", "/sync/events", null, "Authorization", "Bearer " + repeat('a', 20_000)), false));
        l.add(new Case("long invalid bearer token", 401, null, "invalid",
                t -> t.http.send("GET", "/sync/events", null, "Authorization", "Bearer " + repeat('a', 6_000)), false));
        l.add(new Case("over-long URL", 400, null, "too long",
                t -> t.http.send("GET", "/sync/events?agent_id=" + repeat('x', 20_000), null), false));
        l.add(new Case("encoded .. as agent id", 400, null, "not allowed",
                t -> t.heartbeatTo("%2e%2e"), false));
        l.add(new Case("encoded NUL in agent id", 400, null, "not allowed",
                t -> t.heartbeatTo("a%00b"), false));
        l.add(new Case("encoded backslash in agent id", 400, null, "not allowed",
                t -> t.heartbeatTo("a%5Cb"), false));
        l.add(new Case("raw backslash in agent id", 400, null, "not allowed",
                t -> t.heartbeatTo("a\\b"), false));
        l.add(new Case("agent id of 300 characters", 400, "agent_id", "1-128 characters",
                t -> t.heartbeatTo(repeat('a', 300)), false));
        l.add(new Case("TRACE", 405, null, "method not allowed",
                t -> t.http.send("TRACE", "/sync/events", null), false));
        l.add(new Case("PATCH on a GET resource", 405, null, "allowed: GET",
                t -> t.http.send("PATCH", "/sync/stats", null), false));
        l.add(new Case("DELETE on a GET resource", 405, null, "allowed: GET",
                t -> t.http.send("DELETE", "/sync/stats", null, "Authorization", "Bearer " + ADMIN), false));
        l.add(new Case("unknown path", 404, null, "no such resource",
                t -> t.http.send("GET", "/sync/nothing-here", null, "Accept", "text/html"), false));
        // strings we store are bounded, dates are sane
        l.add(new Case("1 MB agent name", 400, "name", "longer than 256",
                t -> t.http.json("POST", "/sync/agents/register", "{\"id\":\"" + uniqueId("n") + "\",\"name\":\""
                        + repeat('n', (int) MB) + "\",\"enrollment_secret\":\"" + ENROLL + "\"}"), false));
        l.add(new Case("long environment at registration", 400, "environment", "longer than 256",
                t -> t.http.json("POST", "/sync/agents/register", "{\"id\":\"" + uniqueId("n") + "\",\"environment\":\""
                        + repeat('e', 300) + "\",\"enrollment_secret\":\"" + ENROLL + "\"}"), false));
        l.add(new Case("20 kB config at registration", 400, "config", "larger than 16384",
                t -> t.http.json("POST", "/sync/agents/register", "{\"id\":\"" + uniqueId("n") + "\",\"config\":{\"x\":\""
                        + repeat('c', 20_000) + "\"},\"enrollment_secret\":\"" + ENROLL + "\"}"), false));
        l.add(new Case("malformed proposed credential", 400, "proposed_credential", "43-256 characters",
                t -> t.http.json("POST", "/sync/agents/register", "{\"id\":\"" + uniqueId("n")
                        + "\",\"proposed_credential\":\"short\",\"enrollment_secret\":\"" + ENROLL + "\"}"), false));
        l.add(new Case("1 MB heartbeat status", 400, "status", "longer than 64",
                t -> t.heartbeat("{\"status\":\"" + repeat('s', (int) MB) + "\"}"), false));
        l.add(new Case("1 MB heartbeat stats", 400, "stats", "larger than 16384",
                t -> t.heartbeat("{\"status\":\"active\",\"stats\":{\"x\":\"" + repeat('s', (int) MB) + "\"}}"), false));
        l.add(new Case("long event source", 200, "source", "longer than 1024",
                t -> t.heartbeat("{\"protocol\":2,\"changed\":[" + event("e2", "2025-06-10T09:00:00")
                        .replace("\"source\":\"s\"", "\"source\":\"" + repeat('s', 2000) + "\"") + "],\"deleted\":[]}"),
                false));
        l.add(new Case("event in year 0", 200, "start", "1601..9999",
                t -> t.heartbeat("{\"protocol\":2,\"changed\":[" + event("e3", "0000-06-10T09:00:00")
                        + "],\"deleted\":[]}"), false));
        l.add(new Case("event in year 99999", 200, "start", "1601..9999",
                t -> t.heartbeat("{\"protocol\":2,\"changed\":[" + event("e4", "+99999-06-10T09:00:00")
                        + "],\"deleted\":[]}"), false));
        return l;
    }

    Http.Response heartbeatTo(String rawId) {
        return http.send("POST", "/sync/agents/" + rawId + "/heartbeat", "{}".getBytes(StandardCharsets.UTF_8),
                "Authorization", "Bearer " + credential, "Content-Type", "application/json");
    }

    private static long heapBaseline = -1;

    @ParameterizedTest(name = "{0}")
    @MethodSource("cases")
    void badInputGetsAClearJsonAnswerAndChangesNothing(Case c) {
        // a heartbeat whose only event is refused is still a heartbeat (200, the event listed in "rejected"): only
        // the calendar must stay unchanged then, the agent's last-seen time moves on
        boolean perEvent = c.status() == 200;
        String before = perEvent ? calendarSnapshot() : snapshot();
        if (heapBaseline < 0) {
            heapBaseline = heapAfterGc();
        }
        long heapBefore = c.big() ? heapAfterGc() : heapBaseline;
        resetPeaks();

        Http.Response r = c.call().apply(this);

        assertThat(r.status()).as(c.name() + ": " + r.body()).isEqualTo(c.status());
        assertThat(r.header("Content-Type")).as(c.name()).startsWith("application/json");
        JsonNode j = r.json();
        if (perEvent) {
            assertThat(j.path("rejected")).as(c.name() + ": " + r.body()).hasSize(1);
            j = j.path("rejected").path(0);
        } else {
            assertThat(j.path("error").asText()).as(c.name()).isNotBlank();
        }
        assertThat(j.path("reason").asText()).as(c.name()).containsIgnoringCase(c.reason());
        if (c.field() != null) {
            assertThat(j.path("field").asText()).as(c.name()).contains(c.field());
        }
        assertThat(r.body()).doesNotContainIgnoringCase("<html");
        assertThat(r.headers().keySet()).as(c.name()).doesNotContain("authorization", "cookie", "x-chronoroute-enrollment");
        assertThat(r.headers().toString()).as(c.name()).doesNotContain(credential, ENROLL, ADMIN);
        assertThat(perEvent ? calendarSnapshot() : snapshot()).as(c.name() + ": stored data changed").isEqualTo(before);
        assertNoSecretLogged(ENROLL, ADMIN, credential);
        assertThat(logText()).as(c.name() + ": logged as an error").doesNotContain("internal error id=");
        // nothing of the input is kept, and a streamed body was never held whole
        assertThat(heapAfterGc() - heapBaseline).as(c.name() + ": heap kept").isLessThan(32 * MB);
        if (c.big()) {
            assertThat(peakHeapUsed() - heapBefore).as(c.name() + ": heap peak while reading").isLessThan(40 * MB);
            Http.Response health = http.send("GET", "/health", null);
            assertThat(health.status()).isEqualTo(200);
        }
    }

    private String calendarSnapshot() {
        return store.currentChangeSeq() + "|" + store.consolidatedCount();
    }

    private String snapshot() {
        return store.listAgents() + "|" + store.currentChangeSeq() + "|" + store.consolidatedCount();
    }

    private static long heapAfterGc() {
        System.gc();
        return ManagementFactory.getMemoryMXBean().getHeapMemoryUsage().getUsed();
    }

    private static void resetPeaks() {
        for (MemoryPoolMXBean p : ManagementFactory.getMemoryPoolMXBeans()) {
            if (p.getType() == MemoryType.HEAP) {
                p.resetPeakUsage();
            }
        }
    }

    private static long peakHeapUsed() {
        long sum = 0;
        for (MemoryPoolMXBean p : ManagementFactory.getMemoryPoolMXBeans()) {
            if (p.getType() == MemoryType.HEAP) {
                sum += p.getPeakUsage().getUsed();
            }
        }
        return sum;
    }
}
