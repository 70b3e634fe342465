package io.chronoroute.testsupport.google;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.google.api.client.googleapis.batch.BatchRequest;
import com.google.api.client.googleapis.batch.json.JsonBatchCallback;
import com.google.api.client.googleapis.json.GoogleJsonError;
import com.google.api.client.googleapis.json.GoogleJsonResponseException;
import com.google.api.client.http.HttpHeaders;
import com.google.api.client.http.javanet.NetHttpTransport;
import com.google.api.client.json.gson.GsonFactory;
import com.google.api.client.util.Data;
import com.google.api.client.util.DateTime;
import com.google.api.services.calendar.Calendar;
import com.google.api.services.calendar.model.Event;
import com.google.api.services.calendar.model.EventDateTime;
import com.google.api.services.calendar.model.Events;
import java.io.IOException;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** Drives the fake with Google's own client (google-api-services-calendar v3-rev20251207) to prove compatibility. */
class GoogleClientCompatibilityTest {

    private FakeGoogleCalendar fake;
    private Calendar client;

    @BeforeEach
    void start() {
        fake = new FakeGoogleCalendar().start();
        client = new Calendar.Builder(new NetHttpTransport(), GsonFactory.getDefaultInstance(), null)
                .setRootUrl(fake.baseUrl()).setApplicationName("chronoroute-test").build();
    }

    @AfterEach
    void stop() {
        fake.close();
    }

    private static Event event(String summary, String sourceKey) {
        Map<String, String> priv = new HashMap<>();
        priv.put("chronoroute.source", sourceKey);
        priv.put("chronoroute.hash", "h1");
        return new Event().setSummary(summary)
                .setStart(new EventDateTime().setDateTime(new DateTime("2025-06-10T09:00:00Z")))
                .setEnd(new EventDateTime().setDateTime(new DateTime("2025-06-10T10:00:00Z")))
                .setExtendedProperties(new Event.ExtendedProperties().setPrivate(priv));
    }

    @Test
    void insertDuplicatePatchListSyncAnd410WithTheRealClient() throws IOException {
        Event created = client.events().insert("primary", event("one", "s1").setId("0123456789abcdefghijklmnop"))
                .setSendUpdates("none").execute();
        assertThat(created.getEtag()).isNotBlank();
        assertThatThrownBy(() -> client.events().insert("primary", event("dup", "s1").setId(created.getId()))
                .execute())
                .isInstanceOfSatisfying(GoogleJsonResponseException.class, e -> {
                    assertThat(e.getStatusCode()).isEqualTo(409);
                    assertThat(e.getDetails().getErrors().get(0).getReason()).isEqualTo("duplicate");
                });
        client.events().calendarImport("primary", event("two", "s2").setICalUID("two@chronoroute")).execute();

        Map<String, String> removeHash = new HashMap<>();
        removeHash.put("chronoroute.hash", Data.NULL_STRING);
        Event patched = client.events().patch("primary", created.getId(), new Event().setSummary("one'")
                .setExtendedProperties(new Event.ExtendedProperties().setPrivate(removeHash))).execute();
        assertThat(patched.getExtendedProperties().getPrivate()).containsOnlyKeys("chronoroute.source");

        List<Event> all = new ArrayList<>();
        String pageToken = null;
        Events page;
        do {
            page = client.events().list("primary").setMaxResults(1).setPageToken(pageToken).execute();
            all.addAll(page.getItems());
            pageToken = page.getNextPageToken();
        } while (pageToken != null);
        assertThat(all).extracting(Event::getSummary).containsExactly("one'", "two");
        String syncToken = page.getNextSyncToken();
        assertThat(syncToken).isNotBlank();

        Events filtered = client.events().list("primary").setPrivateExtendedProperty(List.of("chronoroute.source=s2"))
                .execute();
        assertThat(filtered.getItems()).extracting(Event::getICalUID).containsExactly("two@chronoroute");

        client.events().delete("primary", created.getId()).execute();
        Events delta = client.events().list("primary").setSyncToken(syncToken).execute();
        assertThat(delta.getItems()).extracting(Event::getStatus).containsExactly("cancelled");

        fake.invalidateSyncTokens();
        assertThatThrownBy(() -> client.events().list("primary").setSyncToken(delta.getNextSyncToken()).execute())
                .isInstanceOfSatisfying(GoogleJsonResponseException.class,
                        e -> assertThat(e.getStatusCode()).isEqualTo(410));
        assertThat(fake.count("events.patch")).isEqualTo(1);
    }

    @Test
    void batchWithTheRealClient() throws IOException {
        BatchRequest batch = client.batch();
        List<String> ids = new ArrayList<>();
        List<Integer> failures = new ArrayList<>();
        JsonBatchCallback<Event> callback = new JsonBatchCallback<>() {
            @Override
            public void onSuccess(Event e, HttpHeaders headers) {
                ids.add(e.getId());
            }

            @Override
            public void onFailure(GoogleJsonError error, HttpHeaders headers) {
                failures.add(error.getCode());
            }
        };
        for (int i = 0; i < 3; i++) {
            client.events().insert("primary", event("b" + i, "s" + i)).queue(batch, callback);
        }
        client.events().insert("primary", event("bad", "x").setId("NOT-BASE32")).queue(batch, callback);
        batch.execute();
        assertThat(ids).hasSize(3);
        assertThat(failures).containsExactly(400);
        assertThat(fake.totalRequests()).isEqualTo(4);
        assertThat(fake.httpRequests()).isEqualTo(1);
    }

    /** Each part answers with its own status and headers (Retry-After of a 429 part), deletes answer 204. */
    @Test
    void batchPartsAnswerWithTheirOwnStatusAndHeaders() throws IOException {
        Event existing = client.events().insert("primary", event("kept", "k").setId("0123456789abcdefghijklmnop"))
                .execute();
        fake.failNext(1, 429, "rateLimitExceeded", 9);
        BatchRequest batch = client.batch();
        List<String> answers = new ArrayList<>();
        JsonBatchCallback<Event> insertCallback = new JsonBatchCallback<>() {
            @Override
            public void onSuccess(Event e, HttpHeaders headers) {
                answers.add("200 " + e.getId());
            }

            @Override
            public void onFailure(GoogleJsonError error, HttpHeaders headers) {
                answers.add(error.getCode() + " " + error.getErrors().get(0).getReason() + " retry-after="
                        + headers.getFirstHeaderStringValue("Retry-After"));
            }
        };
        client.events().insert("primary", event("limited", "a").setId("aaaaaaaaaaaaaaaaaaaaaaaaaa")).setSendUpdates("none")
                .queue(batch, insertCallback);
        client.events().insert("primary", event("dup", "b").setId(existing.getId())).setSendUpdates("none")
                .queue(batch, insertCallback);
        client.events().delete("primary", existing.getId()).setSendUpdates("none").queue(batch,
                new JsonBatchCallback<Void>() {
                    @Override
                    public void onSuccess(Void v, HttpHeaders headers) {
                        answers.add("204");
                    }

                    @Override
                    public void onFailure(GoogleJsonError error, HttpHeaders headers) {
                        answers.add("delete " + error.getCode());
                    }
                });
        batch.execute();
        assertThat(answers).containsExactly("429 rateLimitExceeded retry-after=9", "409 duplicate retry-after=null",
                "204");
        assertThat(fake.httpRequests()).isEqualTo(2);
        assertThat(fake.totalRequests()).isEqualTo(4);
        assertThat(fake.writes()).extracting(GoogleWrite::sendUpdates).contains("none");
    }

    /** A batch refused as a whole runs none of its parts. */
    @Test
    void refusedBatchRunsNoPart() throws IOException {
        fake.failNextBatch(1, 503, "backendError", 0);
        BatchRequest batch = client.batch();
        JsonBatchCallback<Event> callback = new JsonBatchCallback<>() {
            @Override
            public void onSuccess(Event e, HttpHeaders headers) {
            }

            @Override
            public void onFailure(GoogleJsonError error, HttpHeaders headers) {
            }
        };
        client.events().insert("primary", event("x", "x")).queue(batch, callback);
        client.events().insert("primary", event("y", "y")).queue(batch, callback);
        assertThatThrownBy(batch::execute).isInstanceOfSatisfying(com.google.api.client.http.HttpResponseException.class,
                e -> assertThat(e.getStatusCode()).isEqualTo(503));
        assertThat(fake.totalRequests()).isZero();
        assertThat(fake.storedEvents("primary")).isEmpty();
        assertThat(fake.count("batch")).isEqualTo(1);
    }
}
