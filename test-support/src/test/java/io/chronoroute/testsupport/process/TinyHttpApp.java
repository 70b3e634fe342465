package io.chronoroute.testsupport.process;

import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;

/** A minimal app for AppProcessTest: {@code --server.port=N}, answers 200 on /health, prints $GREETING. */
public final class TinyHttpApp {

    private TinyHttpApp() {
    }

    public static void main(String[] args) throws IOException {
        int port = 0;
        for (String a : args) {
            if (a.startsWith("--server.port=")) {
                port = Integer.parseInt(a.substring("--server.port=".length()));
            }
        }
        HttpServer server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), port), 8);
        server.createContext("/health", ex -> {
            byte[] ok = "{\"status\":\"UP\"}".getBytes(StandardCharsets.UTF_8);
            ex.sendResponseHeaders(200, ok.length);
            ex.getResponseBody().write(ok);
            ex.close();
        });
        server.start();
        Runtime.getRuntime().addShutdownHook(new Thread(() -> System.out.println("tiny app: shutdown hook ran")));
        System.out.println("tiny app: " + System.getenv("GREETING") + " on port " + port);
    }
}
