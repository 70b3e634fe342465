package io.chronoroute.testsupport.redis;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.chronoroute.testsupport.Ports;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class RedisLauncherTest {

    /** A minimal RESP client: sends one command, reads one reply (simple, bulk or array of bulk strings). */
    private static final class Resp implements AutoCloseable {
        private final Socket socket;
        private final BufferedReader in;
        private final OutputStream out;

        Resp(String host, int port) throws IOException {
            socket = new Socket(host, port);
            socket.setSoTimeout(5000);
            in = new BufferedReader(new InputStreamReader(socket.getInputStream(), StandardCharsets.UTF_8));
            out = socket.getOutputStream();
        }

        List<String> call(String... args) throws IOException {
            StringBuilder sb = new StringBuilder("*").append(args.length).append("\r\n");
            for (String a : args) {
                sb.append('$').append(a.getBytes(StandardCharsets.UTF_8).length).append("\r\n").append(a).append("\r\n");
            }
            out.write(sb.toString().getBytes(StandardCharsets.UTF_8));
            out.flush();
            return read();
        }

        private List<String> read() throws IOException {
            String line = in.readLine();
            List<String> result = new ArrayList<>();
            switch (line.charAt(0)) {
                case '+', '-', ':' -> result.add(line);
                case '$' -> result.add(bulk(Integer.parseInt(line.substring(1))));
                case '*' -> {
                    int n = Integer.parseInt(line.substring(1));
                    for (int i = 0; i < n; i++) {
                        result.addAll(read());
                    }
                }
                default -> throw new IOException("unexpected reply " + line);
            }
            return result;
        }

        private String bulk(int length) throws IOException {
            if (length < 0) {
                return null;
            }
            char[] buf = new char[length];
            int off = 0;
            while (off < length) {
                off += in.read(buf, off, length - off);
            }
            in.readLine();
            return new String(buf);
        }

        @Override
        public void close() throws IOException {
            socket.close();
        }
    }

    @Test
    void embeddedRedisAnswersPingSetGetWithAppendOnlyPersistence() throws IOException {
        Path dataDir;
        try (RedisLauncher redis = RedisLauncher.embedded(); Resp resp = new Resp("127.0.0.1", redis.port())) {
            assertThat(redis.url()).isEqualTo("redis://127.0.0.1:" + redis.port());
            assertThat(resp.call("PING")).containsExactly("+PONG");
            assertThat(resp.call("SET", "chronoroute:k", "v1")).containsExactly("+OK");
            assertThat(resp.call("GET", "chronoroute:k")).containsExactly("v1");
            assertThat(resp.call("CONFIG", "GET", "appendonly")).containsExactly("appendonly", "yes");
            assertThat(resp.call("CONFIG", "GET", "dir")).containsExactly("dir",
                    redis.dataDir().toRealPath().toString());
            dataDir = redis.dataDir();
            assertThat(dataDir.resolve("appendonly.aof")).exists();
        }
        assertThat(Files.exists(dataDir)).isFalse();
    }

    @Test
    void startHonoursTheEnvironmentOrStartsTheBinary() throws IOException {
        try (RedisLauncher redis = RedisLauncher.start(); Resp resp = new Resp(redis.host(), redis.port())) {
            assertThat(resp.call("PING")).containsExactly("+PONG");
        }
    }

    @Test
    void anUnreachableRedisFailsLoudly() {
        int port = Ports.free();
        assertThatThrownBy(() -> RedisLauncher.external("redis://127.0.0.1:" + port))
                .isInstanceOf(RedisLauncher.RedisUnavailableException.class)
                .hasMessageContaining("does not answer PING");
        assertThatThrownBy(() -> RedisLauncher.external("http://127.0.0.1:" + port))
                .isInstanceOf(RedisLauncher.RedisUnavailableException.class);
    }
}
