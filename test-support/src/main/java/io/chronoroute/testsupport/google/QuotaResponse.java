package io.chronoroute.testsupport.google;

/** How the fake answers a request beyond the per-user rate. Google uses both. */
public enum QuotaResponse {
    /** 403, domain {@code usageLimits}, reason {@code userRateLimitExceeded}. */
    FORBIDDEN_403,
    /** 429, domain {@code usageLimits}, reason {@code rateLimitExceeded}, with a {@code Retry-After} header. */
    TOO_MANY_REQUESTS_429
}
