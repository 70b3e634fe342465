package io.chronoroute.master.web;

import jakarta.servlet.http.HttpServletRequest;
import org.apache.camel.Exchange;
import org.apache.camel.http.base.HttpHeaderFilterStrategy;

import java.util.Locale;
import java.util.Set;

/**
 * Which message headers of a platform-http route leave as response headers: only the response headers a route
 * means to send ({@link #ALLOWED}), and never one that merely repeats a request header (same name, same value).
 * A Camel message carries the request's headers ({@code Authorization}, {@code Cookie}, the enrollment secret,
 * anything a client sends) to the end of the route, and platform-http would write them all back; this strategy,
 * set on the platform-http component, is the one place that decides for every route (REST DSL, the feed, the
 * API document, error answers). A route that needs a new response header adds its name here.
 */
public class ResponseHeaderPolicy extends HttpHeaderFilterStrategy {

    /** Response headers routes set (lower case). */
    public static final Set<String> ALLOWED = Set.of("content-type", "etag", "last-modified", "cache-control",
            "expires", "pragma", "www-authenticate", "retry-after", "location", "content-disposition",
            "content-language", "allow", "link", "vary");

    @Override
    public boolean applyFilterToCamelHeaders(String headerName, Object headerValue, Exchange exchange) {
        if (headerName == null || super.applyFilterToCamelHeaders(headerName, headerValue, exchange)) {
            return true;
        }
        if (!ALLOWED.contains(headerName.toLowerCase(Locale.ROOT))) {
            return true;
        }
        HttpServletRequest request = request(exchange);
        if (request != null && headerValue != null) {
            String sent = request.getHeader(headerName);
            return sent != null && sent.equals(headerValue.toString());
        }
        return false;
    }

    private static HttpServletRequest request(Exchange exchange) {
        return EdgeFilter.servletRequest(exchange);
    }
}
