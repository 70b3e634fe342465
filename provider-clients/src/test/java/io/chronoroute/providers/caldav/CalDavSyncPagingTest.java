package io.chronoroute.providers.caldav;

import com.sun.net.httpserver.HttpServer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * {@link CalDavClient#syncCollectionAll}: a server that truncates its sync-collection answer (RFC 6578 3.6: a 507
 * response for the collection itself) is asked again from the token it gave, and the pages are joined. Radicale
 * never truncates, hence a scripted server here.
 */
class CalDavSyncPagingTest {

    HttpServer server;
    final List<String> bodies = new CopyOnWriteArrayList<>();

    @BeforeEach
    void setUp() throws IOException {
        server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
        server.createContext("/", ex -> {
            String req = new String(ex.getRequestBody().readAllBytes(), StandardCharsets.UTF_8);
            bodies.add(req);
            String answer = req.contains("<D:sync-token/>")
                    ? multistatus("t1", response("/u/cal/a.ics", "\"1\"") + response("/u/cal/b.ics", "\"1\"")
                    + "<D:response><D:href>/u/cal/</D:href><D:status>HTTP/1.1 507 Insufficient Storage</D:status>"
                    + "</D:response>")
                    : req.contains(">t1<") ? multistatus("t2", response("/u/cal/b.ics", "\"2\"")
                    + "<D:response><D:href>/u/cal/c.ics</D:href><D:status>HTTP/1.1 404 Not Found</D:status></D:response>")
                    : multistatus("t2", "");
            byte[] b = answer.getBytes(StandardCharsets.UTF_8);
            ex.getResponseHeaders().add("Content-Type", "application/xml");
            ex.sendResponseHeaders(207, b.length);
            ex.getResponseBody().write(b);
            ex.close();
        });
        server.start();
    }

    @AfterEach
    void tearDown() {
        server.stop(0);
    }

    static String multistatus(String token, String responses) {
        return "<?xml version=\"1.0\"?><D:multistatus xmlns:D=\"DAV:\">" + responses + "<D:sync-token>" + token
                + "</D:sync-token></D:multistatus>";
    }

    static String response(String href, String etag) {
        return "<D:response><D:href>" + href + "</D:href><D:propstat><D:prop><D:getetag>" + etag.replace("\"", "&quot;")
                + "</D:getetag></D:prop><D:status>HTTP/1.1 200 OK</D:status></D:propstat></D:response>";
    }

    @Test
    void aTruncatedAnswerIsFollowedUpFromItsTokenAndThePagesJoined() throws Exception {
        CalDavClient client = new CalDavClient(CalDavSettings.of("http://127.0.0.1:" + server.getAddress().getPort()
                + "/u/cal/", "u", "p"), w -> { });
        CalDavClient.MultiStatus all = client.syncCollectionAll(null, false, 10);
        assertThat(bodies).hasSize(2);
        assertThat(all.syncToken()).isEqualTo("t2");
        assertThat(all.entries()).extracting(e -> e.href() + " " + e.status() + " " + e.etag())
                .containsExactly("/u/cal/a.ics 200 \"1\"", "/u/cal/b.ics 200 \"2\"", "/u/cal/c.ics 404 null");
    }
}
