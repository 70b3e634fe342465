package io.chronoroute.master.web;

import jakarta.servlet.RequestDispatcher;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import org.springframework.boot.web.servlet.error.ErrorController;
import org.springframework.web.bind.annotation.RequestMapping;
import org.springframework.web.bind.annotation.RestController;

import java.io.IOException;

/**
 * Replaces Spring Boot's error controller (and its Whitelabel HTML page): whatever Spring MVC or the container
 * answers outside the routes (an unknown path, a method a path does not have, ...) is our JSON error shape. The
 * reason names the method and path, never a query string or a header value.
 */
@RestController
public class JsonErrorController implements ErrorController {

    @RequestMapping("${server.error.path:/error}")
    public void error(HttpServletRequest request, HttpServletResponse response) throws IOException {
        Object code = request.getAttribute(RequestDispatcher.ERROR_STATUS_CODE);
        int status = code instanceof Integer i ? i : 404;
        Object uri = request.getAttribute(RequestDispatcher.ERROR_REQUEST_URI);
        String path = uri == null ? request.getRequestURI() : uri.toString();
        String allow = response.getHeader("Allow");
        String reason = switch (status) {
            case 404 -> "no such resource: " + path;
            case 405 -> allow == null ? "method " + request.getMethod() + " not allowed on " + path
                    : "method " + request.getMethod() + " not allowed on " + path + "; allowed: " + allow;
            case 413 -> "request body too large";
            case 415 -> "unsupported Content-Type: send JSON (application/json, UTF-8)";
            default -> status >= 500 ? "internal error" : "bad request";
        };
        EdgeErrors.write(response, status, null, reason, status == 405 ? allow : null);
    }
}
