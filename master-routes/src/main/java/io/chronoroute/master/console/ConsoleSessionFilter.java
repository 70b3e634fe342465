package io.chronoroute.master.console;

import com.fasterxml.jackson.databind.ObjectMapper;
import jakarta.servlet.AsyncEvent;
import jakarta.servlet.AsyncListener;
import jakarta.servlet.FilterChain;
import jakarta.servlet.ServletException;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletRequestWrapper;
import jakarta.servlet.http.HttpServletResponse;
import jakarta.servlet.http.HttpSession;
import org.springframework.security.core.Authentication;
import org.springframework.security.core.context.SecurityContext;
import org.springframework.security.web.context.HttpSessionSecurityContextRepository;
import org.springframework.security.web.csrf.CsrfToken;
import org.springframework.security.web.csrf.HttpSessionCsrfTokenRepository;
import org.springframework.web.filter.OncePerRequestFilter;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.Collections;
import java.util.Enumeration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Lets the web console call the REST API with its login session instead of a bearer token.
 * <ul>
 *   <li>Any {@link ConsoleSessions#HEADER} a client sends is dropped, on every path.</li>
 *   <li>On the API paths ({@code /sync/**}, {@code /calendars/**}), a request without an {@code Authorization}
 *       header whose session is logged in to the console (role ADMIN) gets a one-time pass that the routes'
 *       access guard accepts as the admin. Writes (POST, PUT, PATCH, DELETE) must carry the session's CSRF token
 *       in {@code X-CSRF-TOKEN}; without it they are refused with 403 and a JSON reason before any route runs.</li>
 *   <li>A request with {@code Authorization} is left to the bearer checks exactly as before; a request without
 *       either reaches the routes unauthenticated and gets their 401.</li>
 * </ul>
 */
public class ConsoleSessionFilter extends OncePerRequestFilter {

    static final String CSRF_HEADER = "X-CSRF-TOKEN";
    private static final Set<String> SAFE = Set.of("GET", "HEAD", "OPTIONS", "TRACE");
    private static final ObjectMapper JSON = new ObjectMapper();

    private final ConsoleSessions sessions;
    private final HttpSessionCsrfTokenRepository csrf;

    public ConsoleSessionFilter(ConsoleSessions sessions, HttpSessionCsrfTokenRepository csrf) {
        this.sessions = sessions;
        this.csrf = csrf;
    }

    @Override
    protected void doFilterInternal(HttpServletRequest request, HttpServletResponse response, FilterChain chain)
            throws ServletException, IOException {
        String path = request.getRequestURI().substring(request.getContextPath().length());
        boolean api = path.startsWith("/sync/") || path.startsWith("/calendars/");
        if (!api || request.getHeader("Authorization") != null || !loggedIn(request)) {
            chain.doFilter(request.getHeader(ConsoleSessions.HEADER) == null ? request : new Pass(request, null), response);
            return;
        }
        if (!SAFE.contains(request.getMethod()) && !csrfMatches(request)) {
            refuse(response);
            return;
        }
        String pass = sessions.issue();
        boolean async = false;
        try {
            chain.doFilter(new Pass(request, pass), response);
            // Camel's platform-http answers asynchronously: the routes (and the guard) run after doFilter returns
            async = request.isAsyncStarted();
            if (async) {
                request.getAsyncContext().addListener(new Withdraw(sessions, pass));
            }
        } finally {
            if (!async) {
                sessions.withdraw(pass);
            }
        }
    }

    /** Withdraws the pass when an asynchronous request ends, however it ends. */
    private record Withdraw(ConsoleSessions sessions, String pass) implements AsyncListener {
        @Override
        public void onComplete(AsyncEvent event) {
            sessions.withdraw(pass);
        }

        @Override
        public void onTimeout(AsyncEvent event) {
            sessions.withdraw(pass);
        }

        @Override
        public void onError(AsyncEvent event) {
            sessions.withdraw(pass);
        }

        @Override
        public void onStartAsync(AsyncEvent event) {
            event.getAsyncContext().addListener(this);
        }
    }

    private static boolean loggedIn(HttpServletRequest request) {
        HttpSession session = request.getSession(false);
        if (session == null) {
            return false;
        }
        Object ctx = session.getAttribute(HttpSessionSecurityContextRepository.SPRING_SECURITY_CONTEXT_KEY);
        if (!(ctx instanceof SecurityContext sc)) {
            return false;
        }
        Authentication a = sc.getAuthentication();
        return a != null && a.isAuthenticated()
                && a.getAuthorities().stream().anyMatch(g -> "ROLE_ADMIN".equals(g.getAuthority()));
    }

    private boolean csrfMatches(HttpServletRequest request) {
        CsrfToken expected = csrf.loadToken(request);
        String presented = request.getHeader(CSRF_HEADER);
        return expected != null && presented != null && MessageDigest.isEqual(
                expected.getToken().getBytes(StandardCharsets.UTF_8), presented.getBytes(StandardCharsets.UTF_8));
    }

    private static void refuse(HttpServletResponse response) throws IOException {
        Map<String, Object> body = new LinkedHashMap<>();
        body.put("error", "forbidden");
        body.put("reason", "console session: the CSRF token (header " + CSRF_HEADER + ") is missing or invalid;"
                + " reload the console");
        response.setStatus(403);
        response.setContentType("application/json");
        response.getOutputStream().write(JSON.writeValueAsBytes(body));
    }

    /** The request without any client-sent pass header, plus this request's own pass when it has one. */
    private static final class Pass extends HttpServletRequestWrapper {
        private final String pass;

        Pass(HttpServletRequest request, String pass) {
            super(request);
            this.pass = pass;
        }

        @Override
        public String getHeader(String name) {
            return ConsoleSessions.HEADER.equalsIgnoreCase(name) ? pass : super.getHeader(name);
        }

        @Override
        public Enumeration<String> getHeaders(String name) {
            if (ConsoleSessions.HEADER.equalsIgnoreCase(name)) {
                return Collections.enumeration(pass == null ? List.of() : List.of(pass));
            }
            return super.getHeaders(name);
        }

        @Override
        public Enumeration<String> getHeaderNames() {
            List<String> names = Collections.list(super.getHeaderNames()).stream()
                    .filter(n -> !ConsoleSessions.HEADER.equalsIgnoreCase(n)).collect(java.util.stream.Collectors.toList());
            if (pass != null) {
                names.add(ConsoleSessions.HEADER);
            }
            return Collections.enumeration(names);
        }
    }
}
