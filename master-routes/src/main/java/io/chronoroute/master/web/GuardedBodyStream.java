package io.chronoroute.master.web;

import io.chronoroute.master.rest.ApiException;
import jakarta.servlet.ReadListener;
import jakarta.servlet.ServletInputStream;

import java.io.IOException;

/**
 * A request body as it streams in, checked byte by byte before anyone sees it: more than {@code limit} bytes fail
 * the read (413; a chunked body is cut off at the limit, never read whole), and when {@code utf8} is set, the bytes
 * must be well-formed UTF-8 (RFC 3629: no overlong forms, no surrogates, nothing above U+10FFFF, no sequence cut
 * off at the end), else the read fails with a 400 naming the byte offset. The failure is a
 * {@link BodyRejectedException} (an IOException, so every reader passes it up) whose cause is the
 * {@link ApiException} the error handling answers; once failed, every further read fails the same way.
 */
final class GuardedBodyStream extends ServletInputStream {

    private final ServletInputStream in;
    private final long limit;
    private final boolean utf8;
    private long count;
    private int need;          // continuation bytes still expected
    private int lo = 0x80;     // allowed range of the next continuation byte
    private int hi = 0xBF;
    private long seqStart;     // offset of the lead byte of the open sequence
    private final java.util.function.Consumer<ApiException> onFailure;
    private BodyRejectedException failure;

    GuardedBodyStream(ServletInputStream in, long limit, boolean utf8, java.util.function.Consumer<ApiException> onFailure) {
        this.in = in;
        this.limit = limit;
        this.utf8 = utf8;
        this.onFailure = onFailure;
    }

    BodyRejectedException failure() {
        return failure;
    }

    @Override
    public int read() throws IOException {
        check();
        int b = in.read();
        if (b < 0) {
            atEnd();
            return b;
        }
        accept(b);
        count++;
        return b;
    }

    @Override
    public int read(byte[] buf, int off, int len) throws IOException {
        check();
        int n = in.read(buf, off, len);
        if (n < 0) {
            atEnd();
            return n;
        }
        if (count + n > limit) {
            fail(ApiException.tooLarge("", "request body is over the limit of " + limit
                    + " bytes (chronoroute.max-body-bytes); reading stopped at that limit"));
        }
        for (int i = 0; i < n; i++) {
            accept(buf[off + i] & 0xFF);
            count++;
        }
        return n;
    }

    private void check() throws BodyRejectedException {
        if (failure != null) {
            throw failure;
        }
    }

    private void accept(int b) throws BodyRejectedException {
        if (count + 1 > limit) {
            fail(ApiException.tooLarge("", "request body is over the limit of " + limit
                    + " bytes (chronoroute.max-body-bytes); reading stopped at that limit"));
        }
        if (!utf8) {
            return;
        }
        if (need > 0) {
            if (b < lo || b > hi) {
                fail(ApiException.badRequest("", "request body is not valid UTF-8: byte 0x" + hex(b) + " at offset "
                        + count + " does not continue the sequence started at offset " + seqStart));
            }
            lo = 0x80;
            hi = 0xBF;
            need--;
            return;
        }
        if (b < 0x80) {
            return;
        }
        seqStart = count;
        if (b >= 0xC2 && b <= 0xDF) {
            need = 1;
        } else if (b >= 0xE0 && b <= 0xEF) {
            need = 2;
            lo = b == 0xE0 ? 0xA0 : 0x80;
            hi = b == 0xED ? 0x9F : 0xBF;
        } else if (b >= 0xF0 && b <= 0xF4) {
            need = 3;
            lo = b == 0xF0 ? 0x90 : 0x80;
            hi = b == 0xF4 ? 0x8F : 0xBF;
        } else {
            fail(ApiException.badRequest("", "request body is not valid UTF-8: byte 0x" + hex(b) + " at offset "
                    + count + " cannot start a character"));
        }
    }

    private void atEnd() throws BodyRejectedException {
        if (utf8 && need > 0) {
            fail(ApiException.badRequest("", "request body is not valid UTF-8: the sequence started at offset "
                    + seqStart + " is cut off by the end of the body"));
        }
    }

    private void fail(ApiException reason) throws BodyRejectedException {
        failure = new BodyRejectedException(reason);
        onFailure.accept(reason);
        throw failure;
    }

    private static String hex(int b) {
        return String.format("%02X", b);
    }

    @Override
    public boolean isFinished() {
        return failure != null || in.isFinished();
    }

    @Override
    public boolean isReady() {
        return in.isReady();
    }

    @Override
    public void setReadListener(ReadListener listener) {
        in.setReadListener(listener);
    }

    @Override
    public int available() throws IOException {
        return failure != null ? 0 : in.available();
    }

    @Override
    public void close() throws IOException {
        in.close();
    }

    /** A request body refused while it was read; {@link #getCause()} is the answer to give. */
    static final class BodyRejectedException extends IOException {

        private static final long serialVersionUID = 1L;

        BodyRejectedException(ApiException reason) {
            super(reason.getMessage(), reason);
        }

        ApiException reason() {
            return (ApiException) getCause();
        }
    }
}
