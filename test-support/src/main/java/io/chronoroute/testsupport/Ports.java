package io.chronoroute.testsupport;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;

/** Free TCP ports on the loopback interface, for servers that cannot bind port 0 themselves. */
public final class Ports {

    private Ports() {
    }

    /**
     * Returns a port that was free on 127.0.0.1 a moment ago. The socket is closed before returning, so a
     * concurrent process could in theory take it; callers that can bind port 0 should prefer that.
     */
    public static int free() {
        try (ServerSocket socket = new ServerSocket()) {
            socket.setReuseAddress(false);
            socket.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0));
            return socket.getLocalPort();
        } catch (IOException e) {
            throw new UncheckedIOException("no free port on loopback", e);
        }
    }
}
