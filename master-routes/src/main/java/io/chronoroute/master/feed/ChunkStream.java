package io.chronoroute.master.feed;

import java.io.IOException;
import java.io.InputStream;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * A response body produced while it is read: the HTTP binding copies it to the response in chunks, and each time its
 * buffer is empty the next chunk (one event's encoding, say) is made from the next store page. Nothing but the
 * current chunk and the source's current page is held, whatever the size of the answer.
 * <p>
 * {@link #close()} (at the end, on any failure, or by the exchange's completion when the client went away) runs the
 * release action once.
 */
final class ChunkStream extends InputStream {

    /** Makes the next chunk; null at the end. */
    interface Source {
        byte[] next() throws IOException;
    }

    private final Source source;
    private final Runnable onClose;
    private final AtomicBoolean closed = new AtomicBoolean();
    private byte[] chunk = new byte[0];
    private int pos;
    private boolean end;

    ChunkStream(Source source, Runnable onClose) {
        this.source = source;
        this.onClose = onClose;
    }

    private boolean fill() throws IOException {
        while (pos >= chunk.length) {
            if (end || closed.get()) {
                return false;
            }
            byte[] b;
            try {
                b = source.next();
            } catch (IOException | RuntimeException | Error e) {
                close();
                throw e;
            }
            if (b == null) {
                end = true;
                chunk = new byte[0];
                pos = 0;
                close();
                return false;
            }
            chunk = b;
            pos = 0;
        }
        return true;
    }

    @Override
    public int read() throws IOException {
        return fill() ? chunk[pos++] & 0xff : -1;
    }

    @Override
    public int read(byte[] b, int off, int len) throws IOException {
        if (len == 0) {
            return 0;
        }
        if (!fill()) {
            return -1;
        }
        // fill the caller's buffer from as many chunks as fit: the binding writes (and flushes) once per read
        int done = 0;
        do {
            int n = Math.min(len - done, chunk.length - pos);
            System.arraycopy(chunk, pos, b, off + done, n);
            pos += n;
            done += n;
        } while (done < len && fill());
        return done;
    }

    @Override
    public int available() {
        return chunk.length - pos;
    }

    @Override
    public void close() {
        if (closed.compareAndSet(false, true)) {
            onClose.run();
        }
    }
}
