package io.chronoroute.master.ready;

import jakarta.servlet.FilterChain;
import jakarta.servlet.ServletException;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import org.springframework.web.filter.OncePerRequestFilter;

import java.io.IOException;
import java.nio.charset.StandardCharsets;

/**
 * Answers every request 503 with {@code Retry-After} and a JSON reason while the master is not
 * {@link MasterReadiness#ready() ready}, so no client ever sees the 404 that an unmapped route would give during the
 * start (an agent takes 404 as "unknown agent"). {@code /actuator/**} (probes, console), {@code /login} and
 * {@code /logout} pass: the liveness probe must answer while the master starts, and the readiness probe answers
 * 503 by itself.
 */
public class ReadinessGateFilter extends OncePerRequestFilter {

    /** Seconds a client should wait before trying again. */
    public static final int RETRY_AFTER_SECONDS = 1;

    private final MasterReadiness readiness;

    public ReadinessGateFilter(MasterReadiness readiness) {
        this.readiness = readiness;
    }

    @Override
    protected void doFilterInternal(HttpServletRequest request, HttpServletResponse response, FilterChain chain)
            throws ServletException, IOException {
        if (readiness.ready() || exempt(request)) {
            chain.doFilter(request, response);
            return;
        }
        String reason = readiness.reason();
        response.setStatus(HttpServletResponse.SC_SERVICE_UNAVAILABLE);
        response.setHeader("Retry-After", Integer.toString(RETRY_AFTER_SECONDS));
        response.setHeader("Cache-Control", "no-store");
        response.setContentType("application/json");
        response.setCharacterEncoding(StandardCharsets.UTF_8.name());
        response.getWriter().write("{\"status\":\"starting\",\"error\":\"not_ready\",\"reason\":"
                + quote(reason == null ? "starting" : reason) + ",\"retry_after_seconds\":" + RETRY_AFTER_SECONDS
                + ",\"service\":\"chronoroute-master\"}");
    }

    private static boolean exempt(HttpServletRequest request) {
        String path = request.getRequestURI().substring(request.getContextPath().length());
        return path.equals("/actuator") || path.startsWith("/actuator/") || path.equals("/login")
                || path.equals("/logout");
    }

    static String quote(String s) {
        StringBuilder b = new StringBuilder("\"");
        for (char c : s.toCharArray()) {
            switch (c) {
                case '"' -> b.append("\\\"");
                case '\\' -> b.append("\\\\");
                default -> {
                    if (c < 0x20) {
                        b.append(String.format("\\u%04x", (int) c));
                    } else {
                        b.append(c);
                    }
                }
            }
        }
        return b.append('"').toString();
    }
}
