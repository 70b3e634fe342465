package io.chronoroute.providers.graph;

import io.chronoroute.providers.common.DestinationErrorClassifier;
import io.chronoroute.providers.common.DestinationException;
import io.chronoroute.providers.common.ErrorKind;

import java.util.Set;

/**
 * Microsoft Graph and identity-platform errors:
 * <ul>
 *   <li>429 (ApplicationThrottled, per-mailbox limit or MailboxConcurrency), 503, 504, other 5xx → TRANSIENT,
 *       Retry-After kept</li>
 *   <li>401 (InvalidAuthenticationToken), 403 (ErrorAccessDenied, Authorization_RequestDenied), OAuth
 *       {@code invalid_client}/{@code invalid_grant}/{@code unauthorized_client}/{@code invalid_scope} → AUTH</li>
 *   <li>410 (SyncStateNotFound, resyncRequired) → CURSOR_EXPIRED: the delta link is dropped, the calendar read
 *       fully</li>
 *   <li>other 4xx (400, 404 ErrorItemNotFound, 409, 412 ErrorIrresolvableConflict) → PERMANENT</li>
 * </ul>
 */
public final class GraphErrorClassifier implements DestinationErrorClassifier {

    private static final Set<String> OAUTH_AUTH = Set.of("invalid_client", "invalid_grant", "unauthorized_client",
            "invalid_scope", "expired_token", "access_denied");

    @Override
    public DestinationException classify(Throwable error) {
        GraphHttpException g = find(error);
        if (g == null) {
            return GENERIC.classify(error);
        }
        int s = g.status();
        ErrorKind kind;
        if (s == 429 || s >= 500) {
            kind = ErrorKind.TRANSIENT;
        } else if (s == 401 || s == 403 || OAUTH_AUTH.contains(g.code())) {
            kind = ErrorKind.AUTH;
        } else if (s == 410) {
            kind = ErrorKind.CURSOR_EXPIRED;
        } else {
            kind = ErrorKind.PERMANENT;
        }
        return new DestinationException(kind, g.code() == null ? "http" + s : g.code(), g.getMessage(),
                g.retryAfter(), error);
    }

    static GraphHttpException find(Throwable error) {
        for (Throwable t = error; t != null; t = t.getCause()) {
            if (t instanceof GraphHttpException g) {
                return g;
            }
        }
        return null;
    }

    /** The HTTP status of the first {@link GraphHttpException} in the cause chain, or -1. */
    public static int statusOf(Throwable error) {
        GraphHttpException g = find(error);
        return g == null ? -1 : g.status();
    }
}
