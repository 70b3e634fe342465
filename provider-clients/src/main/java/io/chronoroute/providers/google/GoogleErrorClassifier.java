package io.chronoroute.providers.google;

import com.google.api.client.googleapis.json.GoogleJsonError;
import com.google.api.client.googleapis.json.GoogleJsonResponseException;
import com.google.api.client.http.HttpResponseException;
import io.chronoroute.providers.common.DestinationErrorClassifier;
import io.chronoroute.providers.common.DestinationException;
import io.chronoroute.providers.common.ErrorKind;

import java.time.Duration;
import java.time.Instant;
import java.time.LocalDate;
import java.time.ZoneId;
import java.util.Set;

/**
 * Google Calendar errors (developers.google.com/calendar/api/guides/errors, providers.md §1):
 * <ul>
 *   <li>429, 403 {@code rateLimitExceeded}/{@code userRateLimitExceeded}, 5xx → TRANSIENT (Retry-After kept)</li>
 *   <li>403 {@code quotaExceeded}/{@code dailyLimitExceeded} → QUOTA (destination paused)</li>
 *   <li>401, 403 {@code forbidden}/{@code insufficientPermissions}/{@code requiredAccessLevel} → AUTH</li>
 *   <li>410 → CURSOR_EXPIRED (sync token; deletes handle their own 410)</li>
 *   <li>other 4xx (400, 404, 409, 412, ...) → PERMANENT (that event is parked)</li>
 * </ul>
 * Messages carry the status, reason and Google's message only, never request headers. The daily quota
 * ({@code dailyLimitExceeded}) resets at midnight Pacific Time ({@link #quotaResetAfter}).
 */
public final class GoogleErrorClassifier implements DestinationErrorClassifier {

    private static final Set<String> RATE = Set.of("rateLimitExceeded", "userRateLimitExceeded");
    private static final Set<String> QUOTA = Set.of("quotaExceeded", "dailyLimitExceeded");
    private static final Set<String> AUTH = Set.of("forbidden", "insufficientPermissions", "requiredAccessLevel",
            "authError", "accessNotConfigured");
    /** Google's daily quotas reset at midnight in this zone. */
    private static final ZoneId QUOTA_ZONE = ZoneId.of("America/Los_Angeles");

    @Override
    public DestinationException classify(Throwable error) {
        HttpResponseException http = find(error);
        if (http == null) {
            return GENERIC.classify(error);
        }
        int status = http.getStatusCode();
        String reason = reasonOf(http);
        String message = "HTTP " + status + (reason == null ? "" : " " + reason) + messageOf(http);
        Duration retryAfter = retryAfter(http);
        ErrorKind kind;
        if (status == 429 || status >= 500 || (status == 403 && RATE.contains(reason))) {
            kind = ErrorKind.TRANSIENT;
        } else if (status == 403 && QUOTA.contains(reason)) {
            kind = ErrorKind.QUOTA;
        } else if (status == 401 || (status == 403 && (reason == null || AUTH.contains(reason)))) {
            kind = ErrorKind.AUTH;
        } else if (status == 410) {
            kind = ErrorKind.CURSOR_EXPIRED;
        } else {
            kind = ErrorKind.PERMANENT;
        }
        return new DestinationException(kind, reason == null ? "http" + status : reason, message, retryAfter, error);
    }

    /** {@code dailyLimitExceeded}: the next midnight America/Los_Angeles; other quotas: no fixed reset (null). */
    @Override
    public Instant quotaResetAfter(DestinationException quota, Instant now) {
        if (!"dailyLimitExceeded".equals(quota.reason())) {
            return null;
        }
        LocalDate tomorrow = now.atZone(QUOTA_ZONE).toLocalDate().plusDays(1);
        return tomorrow.atStartOfDay(QUOTA_ZONE).toInstant();
    }

    static HttpResponseException find(Throwable error) {
        for (Throwable t = error; t != null; t = t.getCause()) {
            if (t instanceof HttpResponseException h) {
                return h;
            }
        }
        return null;
    }

    /** The HTTP status of the first {@link HttpResponseException} in the cause chain, or -1. */
    public static int statusOf(Throwable error) {
        HttpResponseException h = find(error);
        return h == null ? -1 : h.getStatusCode();
    }

    static String reasonOf(HttpResponseException http) {
        if (http instanceof GoogleJsonResponseException g && g.getDetails() != null) {
            GoogleJsonError d = g.getDetails();
            if (d.getErrors() != null && !d.getErrors().isEmpty() && d.getErrors().get(0).getReason() != null) {
                return d.getErrors().get(0).getReason();
            }
        }
        return null;
    }

    private static String messageOf(HttpResponseException http) {
        if (http instanceof GoogleJsonResponseException g && g.getDetails() != null
                && g.getDetails().getMessage() != null) {
            return ": " + g.getDetails().getMessage();
        }
        return "";
    }

    private static Duration retryAfter(HttpResponseException http) {
        Object v = http.getHeaders() == null ? null : http.getHeaders().get("retry-after");
        if (v instanceof java.util.List<?> l && !l.isEmpty()) {
            v = l.get(0);
        }
        if (v == null) {
            return null;
        }
        try {
            long seconds = Long.parseLong(v.toString().trim());
            return seconds >= 0 ? Duration.ofSeconds(seconds) : null;
        } catch (NumberFormatException httpDate) {
            return null;
        }
    }
}
