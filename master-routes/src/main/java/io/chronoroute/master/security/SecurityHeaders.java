package io.chronoroute.master.security;

/**
 * Names used by the access checks. Inputs are HTTP headers; the authenticated principal is kept in exchange
 * <em>properties</em>, which an HTTP client cannot set (headers can be forged by any caller).
 */
public final class SecurityHeaders {

    /** HTTP input: {@code Authorization: Bearer <token>}. Removed from the message after the check. */
    public static final String AUTHORIZATION = "Authorization";
    /** HTTP input: enrollment secret as a header, alternative to the body field {@code enrollment_secret}. */
    public static final String ENROLLMENT = "X-Chronoroute-Enrollment";
    /** HTTP input: the feed's {@code ?token=} (platform-http maps query parameters to headers). */
    public static final String FEED_TOKEN = "token";
    /** Exchange property: the agent id the caller is authenticated as (agent calls). */
    public static final String AGENT_ID = "ChronorouteAgentId";
    /** Exchange property: the authenticated agent's {@code AgentRecord} (agent calls). */
    public static final String AGENT = "ChronorouteAgent";
    /** Exchange property: "admin", "agent" or "legacy". */
    public static final String PRINCIPAL_KIND = "ChronoroutePrincipalKind";
    /** Exchange property: the bearer token presented (kept off the message headers; never logged). */
    public static final String BEARER = "ChronorouteBearer";

    private SecurityHeaders() {
    }
}
