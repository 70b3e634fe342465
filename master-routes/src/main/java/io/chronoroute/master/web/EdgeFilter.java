package io.chronoroute.master.web;

import io.chronoroute.master.rest.ApiException;
import jakarta.servlet.FilterChain;
import jakarta.servlet.ServletException;
import jakarta.servlet.ServletInputStream;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletRequestWrapper;
import jakarta.servlet.http.HttpServletResponse;
import org.apache.camel.Exchange;
import org.apache.camel.component.platform.http.springboot.PlatformHttpMessage;
import org.apache.camel.http.common.HttpMessage;
import org.springframework.web.filter.OncePerRequestFilter;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.Charset;
import java.nio.charset.StandardCharsets;
import java.util.Locale;
import java.util.Set;

/**
 * The first thing every request meets, before authentication and before any body is parsed:
 * <ul>
 *   <li>a declared {@code Content-Length} over {@code chronoroute.max-body-bytes} → 413 at once, body unread;</li>
 *   <li>a body without a length (chunked) is counted while it streams and cut off at the limit → 413;</li>
 *   <li>on the API (everything but the login forms: {@code /actuator/**}, {@code /login}, {@code /logout},
 *       {@code /console/login}, {@code /console/logout}): form
 *       bodies ({@code application/x-www-form-urlencoded}, {@code multipart/form-data}) → 415 before anything
 *       parses them (a form's fields, the enrollment secret among them, would otherwise reach parameter maps and
 *       logs), a declared charset other than UTF-8 → 415, and bytes that are not UTF-8 → 400 naming the offset.</li>
 * </ul>
 * Answers are JSON ({@link EdgeErrors}); the routes see a body failure as an exception whose cause is the
 * {@code ApiException} to answer, so their shared error handling answers the same.
 */
public class EdgeFilter extends OncePerRequestFilter {

    /** Request attribute: the {@link ApiException} a body was refused with while it streamed in. */
    public static final String BODY_REJECTED = "io.chronoroute.master.web.bodyRejected";

    static final Set<String> FORM_TYPES = Set.of("application/x-www-form-urlencoded", "multipart/form-data");

    private final long limit;

    public EdgeFilter(long limit) {
        this.limit = limit;
    }

    /** The consoles' login paths (Hawtio's and the web console's): their login forms post a form there. */
    static boolean console(String path) {
        return path.equals("/login") || path.equals("/logout") || path.equals("/console/login")
                || path.equals("/console/logout") || path.equals("/actuator")
                || path.startsWith("/actuator/");
    }

    @Override
    protected void doFilterInternal(HttpServletRequest request, HttpServletResponse response, FilterChain chain)
            throws ServletException, IOException {
        long declared = request.getContentLengthLong();
        if (declared > limit) {
            EdgeErrors.write(response, 413, "", "request body is " + declared + " bytes; the limit is " + limit
                    + " bytes (chronoroute.max-body-bytes)");
            return;
        }
        String path = request.getRequestURI() == null ? "/" : request.getRequestURI();
        boolean api = !console(path);
        String type = request.getContentType();
        if (api && type != null && !type.isBlank()) {
            String media = type.split(";", 2)[0].trim().toLowerCase(Locale.ROOT);
            if (FORM_TYPES.contains(media)) {
                EdgeErrors.write(response, 415, "Content-Type", "form bodies are not accepted: send JSON "
                        + "(Content-Type: application/json, UTF-8)");
                return;
            }
            String charset = request.getCharacterEncoding();
            if (charset != null && !isUtf8(charset)) {
                EdgeErrors.write(response, 415, "Content-Type", "request bodies must be UTF-8; the declared charset "
                        + "is not");
                return;
            }
        }
        boolean body = declared > 0 || request.getHeader("Transfer-Encoding") != null;
        if (!body) {
            // a Content-Type without a body describes nothing; left in, the REST binding takes it for the answer's
            chain.doFilter(type == null ? request : new WithoutContentType(request), response);
            return;
        }
        Guarded guarded = new Guarded(request, limit, api);
        try {
            chain.doFilter(guarded, response);
        } catch (IOException | ServletException | RuntimeException e) {
            if (guarded.failure() != null && !response.isCommitted()) {
                answer(guarded, response);
                return;
            }
            throw e;
        }
        if (guarded.failure() != null && !request.isAsyncStarted() && !response.isCommitted()
                && (response.getStatus() < 400 || response.getStatus() >= 500)) {
            answer(guarded, response);
        }
    }

    /**
     * The reason a route's request body was refused while it streamed in, or null. A reader may swallow the
     * failure and a later read only sees a closed stream; the request remembers the first failure.
     */
    public static ApiException rejectedBody(Exchange exchange) {
        HttpServletRequest request = servletRequest(exchange);
        return request != null && request.getAttribute(BODY_REJECTED) instanceof ApiException a ? a : null;
    }

    /** The servlet request behind a platform-http exchange (null for other exchanges). */
    static HttpServletRequest servletRequest(Exchange exchange) {
        if (exchange == null) {
            return null;
        }
        for (org.apache.camel.Message m : new org.apache.camel.Message[]{exchange.getIn(), exchange.getMessage()}) {
            if (m instanceof PlatformHttpMessage pm && pm.getRequest() != null) {
                return pm.getRequest();
            }
            if (m instanceof HttpMessage hm && hm.getRequest() != null) {
                return hm.getRequest();
            }
        }
        return exchange.getIn().getHeader(Exchange.HTTP_SERVLET_REQUEST, HttpServletRequest.class);
    }

    private static void answer(Guarded guarded, HttpServletResponse response) throws IOException {
        var reason = guarded.failure().reason();
        EdgeErrors.write(response, reason.status(), reason.field(), reason.reason());
    }

    private static boolean isUtf8(String charset) {
        try {
            return Charset.forName(charset.trim()).equals(StandardCharsets.UTF_8);
        } catch (IllegalArgumentException e) {
            return false;
        }
    }

    /** A request without a body, seen without its (meaningless) Content-Type. */
    static final class WithoutContentType extends HttpServletRequestWrapper {

        WithoutContentType(HttpServletRequest request) {
            super(request);
        }

        private static boolean isContentType(String name) {
            return "content-type".equalsIgnoreCase(name);
        }

        @Override
        public String getContentType() {
            return null;
        }

        @Override
        public String getHeader(String name) {
            return isContentType(name) ? null : super.getHeader(name);
        }

        @Override
        public java.util.Enumeration<String> getHeaders(String name) {
            return isContentType(name) ? java.util.Collections.emptyEnumeration() : super.getHeaders(name);
        }

        @Override
        public java.util.Enumeration<String> getHeaderNames() {
            java.util.List<String> names = java.util.Collections.list(super.getHeaderNames());
            names.removeIf(WithoutContentType::isContentType);
            return java.util.Collections.enumeration(names);
        }
    }

    /** The request with its body stream (and a reader over it) guarded. */
    static final class Guarded extends HttpServletRequestWrapper {

        private final long limit;
        private final boolean utf8;
        private GuardedBodyStream stream;
        private BufferedReader reader;

        Guarded(HttpServletRequest request, long limit, boolean utf8) {
            super(request);
            this.limit = limit;
            this.utf8 = utf8;
        }

        GuardedBodyStream.BodyRejectedException failure() {
            return stream == null ? null : stream.failure();
        }

        @Override
        public ServletInputStream getInputStream() throws IOException {
            if (stream == null) {
                stream = new GuardedBodyStream(super.getInputStream(), limit, utf8,
                        failure -> setAttribute(BODY_REJECTED, failure));
            }
            return stream;
        }

        @Override
        public BufferedReader getReader() throws IOException {
            if (reader == null) {
                String enc = getCharacterEncoding();
                Charset cs = utf8 || enc == null ? StandardCharsets.UTF_8 : Charset.forName(enc);
                reader = new BufferedReader(new InputStreamReader(getInputStream(), cs));
            }
            return reader;
        }
    }
}
