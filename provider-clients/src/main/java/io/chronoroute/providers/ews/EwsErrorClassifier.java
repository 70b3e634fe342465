package io.chronoroute.providers.ews;

import io.chronoroute.providers.common.DestinationErrorClassifier;
import io.chronoroute.providers.common.DestinationException;
import io.chronoroute.providers.common.ErrorKind;

import java.time.Duration;
import java.util.Set;

/**
 * EWS response codes → {@link ErrorKind}:
 * <ul>
 *   <li>{@code ErrorServerBusy} → TRANSIENT, Retry-After = {@code BackOffMilliseconds} (the framework's backoff
 *       then waits at least that long);</li>
 *   <li>{@code ErrorIrresolvableConflict} (stale ChangeKey; the writer already re-read and retried once),
 *       {@code ErrorTimeoutExpired}, {@code ErrorInternalServerTransientError}, {@code ErrorMailboxStoreUnavailable},
 *       {@code ErrorConnectionFailed}, HTTP 429/5xx without SOAP → TRANSIENT;</li>
 *   <li>{@code ErrorInvalidSyncStateData} → CURSOR_EXPIRED (full resync);</li>
 *   <li>HTTP 401/403, {@code ErrorAccessDenied}, {@code ErrorNotDelegate} → AUTH;</li>
 *   <li>anything else ({@code ErrorItemNotFound}, {@code ErrorSchemaValidation}, {@code ErrorInvalid*}, our own
 *       "unsupportedRecurrence", ...) → PERMANENT (the event is parked).</li>
 * </ul>
 */
public final class EwsErrorClassifier implements DestinationErrorClassifier {

    private static final Set<String> TRANSIENT = Set.of("ErrorServerBusy", "ErrorIrresolvableConflict",
            "ErrorTimeoutExpired", "ErrorInternalServerTransientError", "ErrorMailboxStoreUnavailable",
            "ErrorConnectionFailed", "ErrorBatchProcessingStopped", "ErrorMailboxMoveInProgress");
    private static final Set<String> AUTH = Set.of("ErrorAccessDenied", "ErrorNotDelegate", "HTTP401", "HTTP403",
            "ErrorInvalidLicense");

    @Override
    public DestinationException classify(Throwable error) {
        for (Throwable t = error; t != null; t = t.getCause()) {
            if (t instanceof DestinationException d) {
                return d;
            }
            if (t instanceof EwsException e) {
                return classify(e);
            }
        }
        return GENERIC.classify(error);
    }

    private static DestinationException classify(EwsException e) {
        String code = e.code();
        ErrorKind kind;
        if (TRANSIENT.contains(code) || "HTTP429".equals(code) || (code.startsWith("HTTP") && e.httpStatus() >= 500)) {
            kind = ErrorKind.TRANSIENT;
        } else if ("ErrorInvalidSyncStateData".equals(code)) {
            kind = ErrorKind.CURSOR_EXPIRED;
        } else if (AUTH.contains(code)) {
            kind = ErrorKind.AUTH;
        } else {
            kind = ErrorKind.PERMANENT;
        }
        Duration retryAfter = e.backOffMillis() >= 0 ? Duration.ofMillis(e.backOffMillis()) : null;
        return new DestinationException(kind, code, e.getMessage(), retryAfter, e);
    }
}
