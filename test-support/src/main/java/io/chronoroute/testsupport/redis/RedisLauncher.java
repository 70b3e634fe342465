package io.chronoroute.testsupport.redis;

import io.chronoroute.testsupport.Ports;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.stream.Stream;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import redis.embedded.RedisServer;

/**
 * A real Redis for tests. If {@code CHRONOROUTE_TEST_REDIS_URL} is set (e.g. {@code redis://127.0.0.1:6379}) that
 * server is used as is; otherwise the redis-server binary bundled in embedded-redis is started on a free loopback
 * port with append-only persistence in a fresh temporary directory. Failing to start throws
 * {@link RedisUnavailableException}: tests that need Redis fail instead of passing silently.
 */
public final class RedisLauncher implements AutoCloseable {

    public static final String URL_ENV = "CHRONOROUTE_TEST_REDIS_URL";

    private static final Logger LOG = LoggerFactory.getLogger(RedisLauncher.class);

    private final RedisServer server;
    private final Path dataDir;
    private final String host;
    private final int port;
    private final String url;

    private RedisLauncher(RedisServer server, Path dataDir, String host, int port, String url) {
        this.server = server;
        this.dataDir = dataDir;
        this.host = host;
        this.port = port;
        this.url = url;
    }

    /** Uses {@code CHRONOROUTE_TEST_REDIS_URL} when set, otherwise starts the embedded binary. */
    public static RedisLauncher start() {
        String external = System.getenv(URL_ENV);
        if (external != null && !external.isBlank()) {
            return external(external.trim());
        }
        return embedded();
    }

    /** Always starts the embedded redis-server, ignoring the environment. */
    public static RedisLauncher embedded() {
        Path dir;
        try {
            dir = Files.createTempDirectory("chronoroute-redis-");
        } catch (IOException e) {
            throw new RedisUnavailableException("cannot create a data directory for redis-server", e);
        }
        IOException last = null;
        for (int attempt = 0; attempt < 3; attempt++) {
            int port = Ports.free();
            RedisServer server;
            try {
                server = RedisServer.newRedisServer()
                        .bind("127.0.0.1")
                        .port(port)
                        .setting("appendonly yes")
                        .setting("appendfsync everysec")
                        .setting("dir " + dir.toAbsolutePath())
                        .setting("save \"\"")
                        .build();
                server.start();
            } catch (IOException | RuntimeException e) {
                last = e instanceof IOException io ? io : new IOException(e);
                LOG.debug("redis-server did not start on port {} (attempt {})", port, attempt + 1, e);
                continue;
            }
            RedisLauncher launcher = new RedisLauncher(server, dir, "127.0.0.1", port, "redis://127.0.0.1:" + port);
            try {
                launcher.ping();
            } catch (RuntimeException e) {
                launcher.close();
                throw new RedisUnavailableException("redis-server started but does not answer PING on port " + port, e);
            }
            LOG.info("embedded redis-server on port {} (data in {})", port, dir);
            return launcher;
        }
        deleteRecursively(dir);
        throw new RedisUnavailableException(
                "cannot start the embedded redis-server (embedded-redis 1.4.3, linux-amd64 binary); set "
                        + URL_ENV + " to use an existing Redis", last);
    }

    /** Uses an already running Redis at {@code redis://host:port}; verifies it answers PING. */
    public static RedisLauncher external(String redisUrl) {
        URI uri = URI.create(redisUrl);
        if (!"redis".equals(uri.getScheme()) || uri.getHost() == null) {
            throw new RedisUnavailableException(URL_ENV + " must look like redis://host:port", null);
        }
        int port = uri.getPort() > 0 ? uri.getPort() : 6379;
        RedisLauncher launcher = new RedisLauncher(null, null, uri.getHost(), port, redisUrl);
        try {
            launcher.ping();
        } catch (RuntimeException e) {
            throw new RedisUnavailableException("Redis at " + uri.getHost() + ":" + port + " does not answer PING", e);
        }
        return launcher;
    }

    public String url() {
        return url;
    }

    public String host() {
        return host;
    }

    public int port() {
        return port;
    }

    /** Directory with the append-only file, or null for an external Redis. */
    public Path dataDir() {
        return dataDir;
    }

    public boolean embeddedServer() {
        return server != null;
    }

    private void ping() {
        try (Socket socket = new Socket()) {
            socket.connect(new InetSocketAddress(host, port), 2000);
            socket.setSoTimeout(2000);
            OutputStream out = socket.getOutputStream();
            out.write("*1\r\n$4\r\nPING\r\n".getBytes(StandardCharsets.US_ASCII));
            out.flush();
            InputStream in = socket.getInputStream();
            byte[] buf = new byte[7];
            int n = in.readNBytes(buf, 0, buf.length);
            String reply = new String(buf, 0, n, StandardCharsets.US_ASCII);
            if (!reply.startsWith("+PONG")) {
                throw new IllegalStateException("unexpected PING reply: " + reply.strip());
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    @Override
    public void close() {
        if (server != null) {
            try {
                server.stop();
            } catch (IOException e) {
                LOG.warn("stopping redis-server on port {} failed", port, e);
            }
            deleteRecursively(dataDir);
        }
    }

    private static void deleteRecursively(Path dir) {
        if (dir == null || !Files.exists(dir)) {
            return;
        }
        try (Stream<Path> walk = Files.walk(dir)) {
            walk.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        } catch (IOException e) {
            LOG.debug("cannot delete {}", dir, e);
        }
    }

    /** Redis is needed but cannot be started or reached. */
    public static final class RedisUnavailableException extends RuntimeException {
        public RedisUnavailableException(String message, Throwable cause) {
            super(message, cause);
        }
    }
}
