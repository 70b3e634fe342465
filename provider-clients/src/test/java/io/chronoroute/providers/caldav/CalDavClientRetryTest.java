package io.chronoroute.providers.caldav;

import org.junit.jupiter.api.Test;

import java.io.EOFException;
import java.io.IOException;
import java.net.ConnectException;

import static org.assertj.core.api.Assertions.assertThat;

class CalDavClientRetryTest {

    @Test
    void onlyAConnectionClosedBeforeTheAnswerIsRetried() {
        assertThat(CalDavClient.isStaleConnection(new IOException("HTTP/1.1 header parser received no bytes",
                new EOFException("EOF reached while reading")))).isTrue();
        assertThat(CalDavClient.isStaleConnection(new IOException("wrapped", new EOFException()))).isTrue();
        assertThat(CalDavClient.isStaleConnection(new ConnectException("Connection refused"))).isFalse();
        assertThat(CalDavClient.isStaleConnection(new IOException("request timed out"))).isFalse();
    }
}
