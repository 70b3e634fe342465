package io.chronoroute.master.web;

import com.fasterxml.jackson.databind.ObjectMapper;
import jakarta.servlet.http.HttpServletResponse;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The JSON error answer for everything answered outside the Camel routes (the edge filter, Spring's error
 * dispatch, Spring Security's firewall, Tomcat's own rejections): the same shape as the routes' errors,
 * {@code {"error":code,"field":field,"reason":reason}}, and never a request value in a header.
 */
public final class EdgeErrors {

    private static final ObjectMapper JSON = new ObjectMapper();

    private EdgeErrors() {
    }

    /** The error code of a status, as the routes name it. */
    public static String code(int status) {
        return switch (status) {
            case 400 -> "bad_request";
            case 401 -> "unauthorized";
            case 403 -> "forbidden";
            case 404 -> "not_found";
            case 405 -> "method_not_allowed";
            case 406 -> "not_acceptable";
            case 408 -> "request_timeout";
            case 409 -> "conflict";
            case 411 -> "length_required";
            case 413 -> "payload_too_large";
            case 414 -> "uri_too_long";
            case 415 -> "unsupported_media_type";
            case 431 -> "request_header_fields_too_large";
            case 501 -> "not_implemented";
            case 503 -> "unavailable";
            default -> status >= 500 ? "internal" : "bad_request";
        };
    }

    public static String body(int status, String field, String reason) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("error", code(status));
        if (field != null) {
            m.put("field", field);
        }
        m.put("reason", reason);
        try {
            return JSON.writeValueAsString(m);
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }

    /** Resets whatever was buffered (headers included) and writes the JSON answer. */
    public static void write(HttpServletResponse response, int status, String field, String reason) throws IOException {
        write(response, status, field, reason, null);
    }

    /** As {@link #write(HttpServletResponse, int, String, String)}, with an {@code Allow} header (405). */
    public static void write(HttpServletResponse response, int status, String field, String reason, String allow)
            throws IOException {
        if (response.isCommitted()) {
            return;
        }
        response.reset();
        response.setStatus(status);
        if (allow != null) {
            response.setHeader("Allow", allow);
        }
        response.setContentType("application/json");
        response.setCharacterEncoding("UTF-8");
        byte[] b = body(status, field, reason).getBytes(StandardCharsets.UTF_8);
        response.setContentLength(b.length);
        response.getOutputStream().write(b);
        response.flushBuffer();
    }
}
