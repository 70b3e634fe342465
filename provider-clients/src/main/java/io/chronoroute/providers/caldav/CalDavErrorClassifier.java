package io.chronoroute.providers.caldav;

import io.chronoroute.providers.common.DestinationErrorClassifier;
import io.chronoroute.providers.common.DestinationException;
import io.chronoroute.providers.common.ErrorKind;

/**
 * CalDAV status codes → {@link ErrorKind}:
 * <ul>
 *   <li>401 → AUTH (credentials wrong or missing);</li>
 *   <li>403 with {@code DAV:valid-sync-token} (RFC 6578 §3.2) → CURSOR_EXPIRED (full resync);</li>
 *   <li>412 → TRANSIENT (the writer already re-read once; the next attempt re-reads again);</li>
 *   <li>408, 423, 425, 429, 5xx → TRANSIENT (Retry-After honoured);</li>
 *   <li>other 4xx (400, 403, 404, 405, 409 UID conflict, 415, ...) → PERMANENT (parked);</li>
 *   <li>anything else → {@link DestinationErrorClassifier#GENERIC} (I/O transient).</li>
 * </ul>
 */
public final class CalDavErrorClassifier implements DestinationErrorClassifier {

    @Override
    public DestinationException classify(Throwable error) {
        for (Throwable t = error; t != null; t = t.getCause()) {
            if (t instanceof DestinationException d) {
                return d;
            }
            if (t instanceof CalDavHttpException h) {
                return classify(h);
            }
        }
        return GENERIC.classify(error);
    }

    private static DestinationException classify(CalDavHttpException h) {
        int s = h.status();
        ErrorKind kind;
        String reason;
        if (s == 401) {
            kind = ErrorKind.AUTH;
            reason = "unauthorized";
        } else if (s == 403 && "valid-sync-token".equals(h.davError())) {
            kind = ErrorKind.CURSOR_EXPIRED;
            reason = "invalidSyncToken";
        } else if (s == 412) {
            kind = ErrorKind.TRANSIENT;
            reason = "preconditionFailed";
        } else if (s == 408 || s == 423 || s == 425 || s == 429 || s >= 500) {
            kind = ErrorKind.TRANSIENT;
            reason = s == 429 ? "rateLimited" : "http" + s;
        } else if (s == 409) {
            kind = ErrorKind.PERMANENT;
            reason = "conflict";
        } else if (s >= 400) {
            kind = ErrorKind.PERMANENT;
            reason = s == 404 ? "notFound" : s == 403 ? "forbidden" : "http" + s;
        } else {
            kind = ErrorKind.PERMANENT;
            reason = "http" + s;
        }
        return new DestinationException(kind, reason, h.getMessage(), h.retryAfter(), h);
    }
}
