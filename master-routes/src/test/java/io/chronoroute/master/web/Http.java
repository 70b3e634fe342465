package io.chronoroute.master.web;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Raw HTTP/1.1 over a socket: any method, any bytes in the request line, headers and body (what a well-behaved
 * client library refuses to send), a body streamed chunked while the answer is read, one connection per request.
 */
final class Http {

    static final ObjectMapper JSON = new ObjectMapper();
    private final int port;

    Http(int port) {
        this.port = port;
    }

    record Response(int status, Map<String, List<String>> headers, String body, long bodyBytesSent) {

        JsonNode json() {
            try {
                return JSON.readTree(body);
            } catch (IOException e) {
                throw new AssertionError("not JSON (" + status + "): " + body, e);
            }
        }

        String header(String name) {
            List<String> v = headers.get(name.toLowerCase(Locale.ROOT));
            return v == null ? null : v.get(0);
        }
    }

    Response json(String method, String target, String body, String... headers) {
        String[] h = Arrays.copyOf(headers, headers.length + 2);
        h[headers.length] = "Content-Type";
        h[headers.length + 1] = "application/json";
        return send(method, target, body == null ? null : body.getBytes(StandardCharsets.UTF_8), h);
    }

    /** One request with a Content-Length body (or none); headers as name/value pairs. */
    Response send(String method, String target, byte[] body, String... headers) {
        return exchange(method, target, headers, body, -1);
    }

    /**
     * A chunked body of {@code total} bytes produced on the fly ({@code prefix}, then spaces), written by a
     * separate thread while this one reads the answer; the writer stops when the server stops reading.
     */
    Response chunked(String method, String target, byte[] prefix, long total, String... headers) {
        String[] h = Arrays.copyOf(headers, headers.length + 2);
        h[headers.length] = "Transfer-Encoding";
        h[headers.length + 1] = "chunked";
        return exchange(method, target, h, prefix, total);
    }

    private Response exchange(String method, String target, String[] headers, byte[] body, long chunkedTotal) {
        try (Socket s = new Socket("127.0.0.1", port)) {
            s.setSoTimeout(60_000);
            StringBuilder head = new StringBuilder(method).append(' ').append(target).append(" HTTP/1.1\r\n")
                    .append("Host: 127.0.0.1:").append(port).append("\r\nConnection: close\r\n");
            for (int i = 0; i + 1 < headers.length; i += 2) {
                head.append(headers[i]).append(": ").append(headers[i + 1]).append("\r\n");
            }
            if (chunkedTotal < 0 && body != null) {
                head.append("Content-Length: ").append(body.length).append("\r\n");
            }
            head.append("\r\n");
            OutputStream out = s.getOutputStream();
            out.write(head.toString().getBytes(StandardCharsets.ISO_8859_1));
            AtomicLong sent = new AtomicLong();
            Thread writer = null;
            if (chunkedTotal >= 0) {
                writer = new Thread(() -> writeChunked(out, body, chunkedTotal, sent), "chunked-writer");
                writer.setDaemon(true);
                writer.start();
            } else {
                if (body != null) {
                    out.write(body);
                    sent.set(body.length);
                }
                out.flush();
            }
            Response r = read(s.getInputStream(), sent);
            if (writer != null) {
                writer.join(60_000);
            }
            return new Response(r.status(), r.headers(), r.body(), sent.get());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    private static void writeChunked(OutputStream out, byte[] prefix, long total, AtomicLong sent) {
        byte[] chunk = new byte[64 * 1024];
        Arrays.fill(chunk, (byte) ' ');
        try {
            if (prefix != null && prefix.length > 0) {
                writeChunk(out, prefix, prefix.length);
                sent.addAndGet(prefix.length);
            }
            while (sent.get() < total) {
                int n = (int) Math.min(chunk.length, total - sent.get());
                writeChunk(out, chunk, n);
                sent.addAndGet(n);
            }
            out.write("0\r\n\r\n".getBytes(StandardCharsets.ISO_8859_1));
            out.flush();
        } catch (IOException stoppedReading) {
            // the server answered and closed: the rest of the body is not wanted
        }
    }

    private static void writeChunk(OutputStream out, byte[] b, int n) throws IOException {
        out.write((Integer.toHexString(n) + "\r\n").getBytes(StandardCharsets.ISO_8859_1));
        out.write(b, 0, n);
        out.write("\r\n".getBytes(StandardCharsets.ISO_8859_1));
    }

    private static Response read(InputStream in, AtomicLong sent) throws IOException {
        int status;
        Map<String, List<String>> headers;
        do {
            String statusLine = line(in);
            if (statusLine == null) {
                throw new IOException("no answer");
            }
            status = Integer.parseInt(statusLine.split(" ", 3)[1]);
            headers = new LinkedHashMap<>();
            for (String l = line(in); l != null && !l.isEmpty(); l = line(in)) {
                int c = l.indexOf(':');
                headers.computeIfAbsent(l.substring(0, c).trim().toLowerCase(Locale.ROOT), k -> new ArrayList<>())
                        .add(l.substring(c + 1).trim());
            }
        } while (status == 100);
        ByteArrayOutputStream body = new ByteArrayOutputStream();
        List<String> te = headers.get("transfer-encoding");
        List<String> cl = headers.get("content-length");
        if (te != null && te.get(0).equalsIgnoreCase("chunked")) {
            for (String size = line(in); size != null; size = line(in)) {
                int n = Integer.parseInt(size.split(";")[0].trim(), 16);
                if (n == 0) {
                    break;
                }
                body.write(in.readNBytes(n));
                line(in);
            }
        } else if (cl != null) {
            body.write(in.readNBytes(Integer.parseInt(cl.get(0))));
        } else {
            body.write(in.readAllBytes());
        }
        return new Response(status, headers, body.toString(StandardCharsets.UTF_8), sent.get());
    }

    private static String line(InputStream in) throws IOException {
        ByteArrayOutputStream b = new ByteArrayOutputStream();
        int c;
        while ((c = in.read()) >= 0) {
            if (c == '\n') {
                break;
            }
            if (c != '\r') {
                b.write(c);
            }
        }
        if (c < 0 && b.size() == 0) {
            return null;
        }
        return b.toString(StandardCharsets.ISO_8859_1);
    }
}
