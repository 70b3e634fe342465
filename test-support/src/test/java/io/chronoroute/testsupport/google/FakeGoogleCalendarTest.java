package io.chronoroute.testsupport.google;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.chronoroute.testsupport.MutableClock;
import java.io.IOException;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

class FakeGoogleCalendarTest {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final HttpClient HTTP = HttpClient.newHttpClient();

    private final MutableClock clock = MutableClock.at("2025-06-01T08:00:00Z");
    private FakeGoogleCalendar fake;
    private String events;

    record Reply(int status, HttpResponse<String> raw, JsonNode json) {
        String reason() {
            return json.path("error").path("errors").path(0).path("reason").asText();
        }
    }

    @BeforeEach
    void start() {
        fake = FakeGoogleCalendar.builder().clock(clock).build().start();
        events = "calendar/v3/calendars/primary/events";
    }

    @AfterEach
    void stop() {
        fake.close();
    }

    private Reply send(String method, String pathAndQuery, String body, String... headers) throws Exception {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(fake.baseUrl() + pathAndQuery))
                .method(method, body == null ? HttpRequest.BodyPublishers.noBody()
                        : HttpRequest.BodyPublishers.ofString(body))
                .header("Content-Type", "application/json");
        for (int i = 0; i < headers.length; i += 2) {
            b.header(headers[i], headers[i + 1]);
        }
        HttpResponse<String> r = HTTP.send(b.build(), HttpResponse.BodyHandlers.ofString());
        JsonNode json = r.body() == null || r.body().isEmpty() ? JSON.nullNode() : JSON.readTree(r.body());
        return new Reply(r.statusCode(), r, json);
    }

    private static String event(String idOrNull, String summary, String extra) {
        return "{" + (idOrNull == null ? "" : "\"id\":\"" + idOrNull + "\",") + "\"summary\":\"" + summary + "\","
                + "\"start\":{\"dateTime\":\"2025-06-10T09:00:00Z\"},\"end\":{\"dateTime\":\"2025-06-10T10:00:00Z\"}"
                + (extra == null ? "" : "," + extra) + "}";
    }

    private static String enc(String s) {
        return URLEncoder.encode(s, StandardCharsets.UTF_8);
    }

    @Test
    void clientIdMustBeBase32hexAndIsNeverReusedEvenAfterDelete() throws Exception {
        assertThat(send("POST", events, event("UPPERCASE1", "x", null)).status()).isEqualTo(400);
        assertThat(send("POST", events, event("abc", "too short", null)).status()).isEqualTo(400);
        assertThat(send("POST", events, event("wxyz12345", "w is not base32hex", null)).status()).isEqualTo(400);

        assertThat(send("POST", events + "?sendUpdates=nobody", event("c0ffee0001", "x", null)).status())
                .isEqualTo(400);
        Reply created = send("POST", events + "?sendUpdates=none", event("c0ffee0001", "first", null));
        assertThat(created.status()).isEqualTo(200);
        assertThat(created.json().path("iCalUID").asText()).isEqualTo("c0ffee0001@google.com");
        assertThat(created.json().path("sequence").asInt()).isZero();

        Reply dup = send("POST", events, event("c0ffee0001", "again", null));
        assertThat(dup.status()).isEqualTo(409);
        assertThat(dup.reason()).isEqualTo("duplicate");

        assertThat(send("DELETE", events + "/c0ffee0001", null).status()).isEqualTo(204);
        assertThat(send("DELETE", events + "/c0ffee0001", null).status()).isEqualTo(410);
        Reply gone = send("GET", events + "/c0ffee0001", null);
        assertThat(gone.json().path("status").asText()).isEqualTo("cancelled");
        Reply dupAfterDelete = send("POST", events, event("c0ffee0001", "after delete", null));
        assertThat(dupAfterDelete.status()).isEqualTo(409);
        assertThat(dupAfterDelete.reason()).isEqualTo("duplicate");

        Reply revived = send("PUT", events + "/c0ffee0001", event(null, "revived", null));
        assertThat(revived.status()).isEqualTo(200);
        assertThat(revived.json().path("status").asText()).isEqualTo("confirmed");
        assertThat(fake.writes()).extracting(GoogleWrite::sendUpdates).first().isEqualTo("none");
    }

    @Test
    void importNeedsIcalUidAndRejectsIdWithIt() throws Exception {
        assertThat(send("POST", events + "/import", event(null, "no uid", null)).status()).isEqualTo(400);
        assertThat(send("POST", events + "/import", event("abcdef12", "both", "\"iCalUID\":\"u1@x\"")).status())
                .isEqualTo(400);
        assertThat(send("POST", events, event("abcdef12", "both", "\"iCalUID\":\"u1@x\"")).status()).isEqualTo(400);
        Reply imported = send("POST", events + "/import", event(null, "ok", "\"iCalUID\":\"u1@x\""));
        assertThat(imported.status()).isEqualTo(200);
        assertThat(send("POST", events + "/import", event(null, "again", "\"iCalUID\":\"u1@x\"")).status())
                .isEqualTo(409);
        fake.importDuplicateMode(ImportDuplicateMode.UPSERT);
        Reply upserted = send("POST", events + "/import", event(null, "again", "\"iCalUID\":\"u1@x\""));
        assertThat(upserted.status()).isEqualTo(200);
        assertThat(upserted.json().path("id").asText()).isEqualTo(imported.json().path("id").asText());
        Reply byUid = send("GET", events + "?iCalUID=" + enc("u1@x"), null);
        assertThat(byUid.json().path("items")).hasSize(1);
        assertThat(byUid.json().path("items").path(0).path("summary").asText()).isEqualTo("again");
        assertThat(fake.writeCalls()).isEqualTo(6);
    }

    @Test
    void etagMismatchIs412AndPatchEditsPrivateProperties() throws Exception {
        Reply created = send("POST", events, event("e7a90001", "tagged",
                "\"extendedProperties\":{\"private\":{\"src\":\"a\",\"tmp\":\"1\"}}"));
        String etag = created.json().path("etag").asText();
        assertThat(created.raw().headers().firstValue("ETag")).hasValue(etag);
        clock.advance(Duration.ofSeconds(5));
        Reply patched = send("PATCH", events + "/e7a90001",
                "{\"summary\":\"renamed\",\"extendedProperties\":{\"private\":{\"tmp\":null,\"k\":\"v\"}}}",
                "If-Match", etag);
        assertThat(patched.status()).isEqualTo(200);
        assertThat(patched.json().path("extendedProperties").path("private").toString())
                .isEqualTo("{\"src\":\"a\",\"k\":\"v\"}");
        assertThat(patched.json().path("etag").asText()).isNotEqualTo(etag);
        assertThat(patched.json().path("updated").asText()).isEqualTo("2025-06-01T08:00:05.000Z");

        Reply stale = send("PUT", events + "/e7a90001", event(null, "stale", null), "If-Match", etag);
        assertThat(stale.status()).isEqualTo(412);
        assertThat(send("DELETE", events + "/e7a90001", null, "If-Match", etag).status()).isEqualTo(412);

        Reply moved = send("PUT", events + "/e7a90001", "{\"summary\":\"moved\",\"start\":{\"dateTime\":"
                + "\"2025-06-11T09:00:00Z\"},\"end\":{\"dateTime\":\"2025-06-11T10:00:00Z\"}}");
        assertThat(moved.json().path("sequence").asInt()).isEqualTo(1);
        assertThat(moved.json().has("extendedProperties")).isFalse();
        Reply lowerSequence = send("PUT", events + "/e7a90001", event(null, "x", "\"sequence\":0"));
        assertThat(lowerSequence.status()).isEqualTo(400);
    }

    @Test
    void privateExtendedPropertyFiltersAreAnded() throws Exception {
        send("POST", events, event(null, "a", "\"extendedProperties\":{\"private\":{\"src\":\"s1\",\"kind\":\"x\"}}"));
        send("POST", events, event(null, "b", "\"extendedProperties\":{\"private\":{\"src\":\"s1\",\"kind\":\"y\"}}"));
        send("POST", events, event(null, "c", "\"extendedProperties\":{\"shared\":{\"src\":\"s1\"}}"));
        Reply one = send("GET", events + "?privateExtendedProperty=" + enc("src=s1"), null);
        assertThat(one.json().path("items")).hasSize(2);
        Reply both = send("GET", events + "?privateExtendedProperty=" + enc("src=s1") + "&privateExtendedProperty="
                + enc("kind=y"), null);
        assertThat(both.json().path("items")).hasSize(1);
        assertThat(both.json().path("items").path(0).path("summary").asText()).isEqualTo("b");
    }

    @Test
    void calendarsPatchRenamesAndEditsByAPersonAreSeenByTheSyncTokenButAreNoApiWrites() throws Exception {
        String calendar = "calendar/v3/calendars/primary";
        Reply patched = send("PATCH", calendar, "{\"summary\":\"Team calendar\"}");
        assertThat(patched.status()).isEqualTo(200);
        assertThat(patched.json().path("summary").asText()).isEqualTo("Team calendar");
        assertThat(send("GET", calendar, null).json().path("summary").asText()).isEqualTo("Team calendar");
        assertThat(fake.calendar("primary").path("summary").asText()).isEqualTo("Team calendar");
        assertThat(send("PATCH", calendar, "{\"summary\":\"\"}").status()).isEqualTo(400);
        assertThat(send("PUT", calendar, "{\"description\":\"no title\"}").status()).isEqualTo(400);
        assertThat(fake.count("calendars.patch")).isEqualTo(2);

        Reply a = send("POST", events, event(null, "a", null));
        Reply b = send("POST", events, event(null, "b", null));
        String syncToken = send("GET", events, null).json().path("nextSyncToken").asText();
        long writes = fake.writes().size();
        clock.advance(Duration.ofMinutes(3));
        ObjectNode edited = fake.userEditSummary(fake.primaryCalendarId(), a.json().path("id").asText(), "a2");
        fake.userDelete(fake.primaryCalendarId(), b.json().path("id").asText());
        assertThat(fake.writes()).hasSize((int) writes);
        assertThat(edited.path("etag").asText()).isNotEqualTo(a.json().path("etag").asText());
        assertThat(edited.path("updated").asText()).isEqualTo("2025-06-01T08:03:00.000Z");

        Reply delta = send("GET", events + "?syncToken=" + enc(syncToken), null);
        assertThat(delta.json().path("items")).hasSize(2);
        assertThat(delta.json().path("items").path(0).path("summary").asText()).isEqualTo("a2");
        assertThat(delta.json().path("items").path(1).path("status").asText()).isEqualTo("cancelled");
    }

    @Test
    void pagingHandsOutSyncTokenOnlyOnTheLastPageAndSyncReturnsDeletions() throws Exception {
        List<String> ids = new ArrayList<>();
        for (int i = 0; i < 5; i++) {
            ids.add(send("POST", events, event(null, "e" + i, null)).json().path("id").asText());
        }
        Set<String> seen = new HashSet<>();
        String pageToken = null;
        String syncToken = null;
        int pages = 0;
        do {
            Reply page = send("GET", events + "?maxResults=2" + (pageToken == null ? "" : "&pageToken=" + pageToken),
                    null);
            pages++;
            page.json().path("items").forEach(i -> seen.add(i.path("id").asText()));
            pageToken = page.json().path("nextPageToken").asText(null);
            if (pageToken != null) {
                assertThat(page.json().has("nextSyncToken")).isFalse();
            } else {
                syncToken = page.json().path("nextSyncToken").asText(null);
            }
        } while (pageToken != null);
        assertThat(pages).isEqualTo(3);
        assertThat(seen).containsExactlyInAnyOrderElementsOf(ids);
        assertThat(syncToken).isNotBlank();

        Reply nothing = send("GET", events + "?syncToken=" + enc(syncToken), null);
        assertThat(nothing.json().path("items")).isEmpty();

        send("DELETE", events + "/" + ids.get(1), null);
        send("PATCH", events + "/" + ids.get(2), "{\"summary\":\"changed\"}");
        Reply delta = send("GET", events + "?syncToken=" + enc(syncToken), null);
        assertThat(delta.status()).isEqualTo(200);
        assertThat(delta.json().path("items")).hasSize(2);
        assertThat(delta.json().path("items").path(0).path("status").asText()).isEqualTo("cancelled");
        assertThat(delta.json().path("items").path(1).path("summary").asText()).isEqualTo("changed");

        Reply full = send("GET", events, null);
        assertThat(full.json().path("items")).hasSize(4);
        assertThat(send("GET", events + "?showDeleted=true", null).json().path("items")).hasSize(5);
    }

    @Test
    void syncTokenForbidsFilterParametersAndExpiresWith410() throws Exception {
        send("POST", events, event(null, "a", null));
        String token = send("GET", events, null).json().path("nextSyncToken").asText();
        for (String forbidden : List.of("iCalUID=x", "orderBy=updated", "privateExtendedProperty=" + enc("a=b"),
                "q=x", "sharedExtendedProperty=" + enc("a=b"), "timeMin=" + enc("2025-01-01T00:00:00Z"),
                "timeMax=" + enc("2026-01-01T00:00:00Z"), "updatedMin=" + enc("2025-01-01T00:00:00Z"))) {
            Reply r = send("GET", events + "?syncToken=" + enc(token) + "&" + forbidden, null);
            assertThat(r.status()).as(forbidden).isEqualTo(400);
        }
        fake.invalidateSyncTokens();
        Reply gone = send("GET", events + "?syncToken=" + enc(token), null);
        assertThat(gone.status()).isEqualTo(410);
        assertThat(gone.reason()).isEqualTo("fullSyncRequired");

        fake.syncTokenExpiry(Duration.ofHours(1));
        String fresh = send("GET", events, null).json().path("nextSyncToken").asText();
        clock.advance(Duration.ofMinutes(59));
        assertThat(send("GET", events + "?syncToken=" + enc(fresh), null).status()).isEqualTo(200);
        clock.advance(Duration.ofMinutes(2));
        assertThat(send("GET", events + "?syncToken=" + enc(fresh), null).status()).isEqualTo(410);
        assertThat(send("GET", events + "?syncToken=garbage", null).status()).isEqualTo(400);
    }

    @Test
    void quotaAnswers403Or429WithRetryAfterAndRefillsWithTheClock() throws Exception {
        fake.requestsPerMinute(3);
        for (int i = 0; i < 3; i++) {
            assertThat(send("GET", events, null).status()).isEqualTo(200);
        }
        Reply limited = send("GET", events, null);
        assertThat(limited.status()).isEqualTo(403);
        assertThat(limited.json().path("error").path("errors").path(0).path("domain").asText())
                .isEqualTo("usageLimits");
        assertThat(limited.reason()).isEqualTo("userRateLimitExceeded");
        assertThat(send("GET", events + "?quotaUser=other", null).status()).isEqualTo(200);

        fake.quotaResponse(QuotaResponse.TOO_MANY_REQUESTS_429);
        Reply tooMany = send("GET", events, null);
        assertThat(tooMany.status()).isEqualTo(429);
        assertThat(tooMany.raw().headers().firstValue("Retry-After")).hasValue("20");
        clock.advance(Duration.ofSeconds(20));
        assertThat(send("GET", events, null).status()).isEqualTo(200);

        fake.requestsPerMinute(0);
        fake.failNext(2, 503, "backendError", 7);
        Reply scripted = send("POST", events, event(null, "x", null));
        assertThat(scripted.status()).isEqualTo(503);
        assertThat(scripted.raw().headers().firstValue("Retry-After")).hasValue("7");
        assertThat(send("GET", events, null).status()).isEqualTo(503);
        assertThat(send("GET", events, null).status()).isEqualTo(200);
        assertThat(fake.journal().entries()).extracting(e -> e.status()).contains(403, 429, 503);
    }

    @Test
    void recurringSeriesExpandsIntoInstancesAndOverridesReplaceThem() throws Exception {
        Reply master = send("POST", events, "{\"id\":\"5e41e5000001\",\"summary\":\"weekly\","
                + "\"start\":{\"dateTime\":\"2025-03-24T09:00:00+01:00\",\"timeZone\":\"Europe/Berlin\"},"
                + "\"end\":{\"dateTime\":\"2025-03-24T09:30:00+01:00\",\"timeZone\":\"Europe/Berlin\"},"
                + "\"recurrence\":[\"RRULE:FREQ=WEEKLY;BYDAY=MO;COUNT=4\",\"EXDATE;TZID=Europe/Berlin:20250407T090000\"]}");
        assertThat(master.status()).isEqualTo(200);
        Reply inst = send("GET", events + "/5e41e5000001/instances", null);
        assertThat(inst.json().path("items")).hasSize(3);
        JsonNode second = inst.json().path("items").path(1);
        // DST started on 30 March: wall-clock time kept, offset changes
        assertThat(second.path("start").path("dateTime").asText()).isEqualTo("2025-03-31T09:00:00+02:00");
        assertThat(second.path("id").asText()).isEqualTo("5e41e5000001_20250331T070000Z");
        assertThat(second.path("recurringEventId").asText()).isEqualTo("5e41e5000001");

        Reply override = send("PATCH", events + "/5e41e5000001_20250331T070000Z", "{\"summary\":\"moved\"}");
        assertThat(override.status()).isEqualTo(200);
        assertThat(override.json().path("originalStartTime").path("dateTime").asText())
                .isEqualTo("2025-03-31T09:00:00+02:00");
        assertThat(send("DELETE", events + "/5e41e5000001_20250414T070000Z", null).status()).isEqualTo(204);

        Reply singles = send("GET", events + "?singleEvents=true&orderBy=startTime", null);
        assertThat(singles.json().path("items")).extracting(n -> n.path("summary").asText())
                .containsExactly("weekly", "moved");
        Reply series = send("GET", events + "?showDeleted=true", null);
        assertThat(series.json().path("items")).hasSize(3);
        assertThat(send("GET", events + "?orderBy=startTime", null).status()).isEqualTo(400);
    }

    @Test
    void calendarsCanBeCreatedListedAndRead() throws Exception {
        Reply created = send("POST", "calendar/v3/calendars", "{\"summary\":\"Consolidated\",\"timeZone\":\"Europe/Berlin\"}");
        assertThat(created.status()).isEqualTo(200);
        String id = created.json().path("id").asText();
        assertThat(id).endsWith("@group.calendar.google.com");
        assertThat(send("GET", "calendar/v3/calendars/" + enc(id), null).json().path("summary").asText())
                .isEqualTo("Consolidated");
        Reply list = send("GET", "calendar/v3/users/me/calendarList", null);
        assertThat(list.json().path("items")).hasSize(2);
        assertThat(send("POST", "calendar/v3/calendars/" + enc(id) + "/events", event(null, "x", null)).status())
                .isEqualTo(200);
        assertThat(fake.storedEvents(id)).hasSize(1);
        assertThat(send("GET", "calendar/v3/calendars/nope/events", null).status()).isEqualTo(404);
    }

    @Test
    void calendarListPatchSetsTheUsersColourOnlyWithColorRgbFormat() throws Exception {
        String entry = "calendar/v3/users/me/calendarList/primary";
        assertThat(send("PATCH", entry, "{\"backgroundColor\":\"#FF0000\"}").status()).isEqualTo(400);
        assertThat(send("PATCH", entry + "?colorRgbFormat=true", "{\"backgroundColor\":\"red\"}").status())
                .isEqualTo(400);
        Reply ok = send("PATCH", entry + "?colorRgbFormat=true", "{\"backgroundColor\":\"#FF0000\"}");
        assertThat(ok.status()).isEqualTo(200);
        assertThat(ok.json().path("backgroundColor").asText()).isEqualTo("#ff0000");
        assertThat(send("GET", entry, null).json().path("backgroundColor").asText()).isEqualTo("#ff0000");
        assertThat(fake.calendar("primary").path("summary").asText()).isEqualTo(FakeGoogleCalendar.DEFAULT_PRIMARY_ID);
        assertThat(fake.count("calendarList.patch")).isEqualTo(3);
    }

    @Test
    void batchRunsEachPartAndCountsEachAgainstQuota() throws Exception {
        fake.requestsPerMinute(2);
        String boundary = "b0undary";
        StringBuilder body = new StringBuilder();
        for (int i = 1; i <= 3; i++) {
            String json = event(null, "batched" + i, null);
            body.append("--").append(boundary).append("\r\nContent-Type: application/http\r\nContent-ID: <").append(i)
                    .append(">\r\n\r\nPOST /calendar/v3/calendars/primary/events?sendUpdates=none HTTP/1.1\r\n")
                    .append("Content-Type: application/json\r\n\r\n").append(json).append("\r\n");
        }
        body.append("--").append(boundary).append("--\r\n");
        HttpResponse<String> r = HTTP.send(HttpRequest.newBuilder(URI.create(fake.baseUrl() + "batch/calendar/v3"))
                .header("Content-Type", "multipart/mixed; boundary=" + boundary)
                .POST(HttpRequest.BodyPublishers.ofString(body.toString())).build(), HttpResponse.BodyHandlers.ofString());
        assertThat(r.statusCode()).isEqualTo(200);
        assertThat(r.headers().firstValue("Content-Type")).hasValueSatisfying(v -> assertThat(v).startsWith("multipart/mixed"));
        assertThat(r.body()).contains("Content-ID: <response-1>").contains("HTTP/1.1 200 OK")
                .contains("HTTP/1.1 403 Forbidden");
        assertThat(fake.storedEvents("primary")).hasSize(2);
        assertThat(fake.totalRequests()).isEqualTo(3);
        assertThat(fake.httpRequests()).isEqualTo(1);
    }

    @Test
    void batchOfMoreThanAThousandCallsIsRejected() throws Exception {
        String boundary = "xyz";
        StringBuilder body = new StringBuilder();
        for (int i = 0; i <= FakeGoogleCalendar.MAX_BATCH_PARTS; i++) {
            body.append("--").append(boundary).append("\r\nContent-Type: application/http\r\n\r\n")
                    .append("GET /calendar/v3/calendars/primary/events HTTP/1.1\r\n\r\n\r\n");
        }
        body.append("--").append(boundary).append("--\r\n");
        HttpResponse<String> r = HTTP.send(HttpRequest.newBuilder(URI.create(fake.baseUrl() + "batch/calendar/v3"))
                .header("Content-Type", "multipart/mixed; boundary=" + boundary)
                .POST(HttpRequest.BodyPublishers.ofString(body.toString())).build(), HttpResponse.BodyHandlers.ofString());
        assertThat(r.statusCode()).isEqualTo(400);
        assertThat(fake.totalRequests()).isZero();
    }

    @Test
    void concurrentInsertsAreAllStored() throws IOException, InterruptedException {
        List<Thread> threads = new ArrayList<>();
        for (int t = 0; t < 4; t++) {
            int n = t;
            Thread th = new Thread(() -> {
                for (int i = 0; i < 10; i++) {
                    try {
                        send("POST", events, event(null, "t" + n + "-" + i, null));
                    } catch (Exception e) {
                        throw new IllegalStateException(e);
                    }
                }
            });
            th.start();
            threads.add(th);
        }
        for (Thread t : threads) {
            t.join();
        }
        assertThat(fake.storedEvents("primary")).hasSize(40);
        assertThat(fake.writeCalls()).isEqualTo(40);
    }
}
