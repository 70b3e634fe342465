package io.chronoroute.master.web;

import org.apache.catalina.connector.Request;
import org.apache.catalina.connector.Response;
import org.apache.catalina.valves.ErrorReportValve;

import java.io.IOException;

/**
 * Tomcat's own error answers (a request line or header over the size limit, a NUL or backslash in the path, ...:
 * rejected before any filter or route sees the request) as our JSON error shape instead of Tomcat's HTML page.
 */
public class JsonErrorReportValve extends ErrorReportValve {

    @Override
    protected void report(Request request, Response response, Throwable throwable) {
        int status = response.getStatus();
        if (status < 400 || response.getContentWritten() > 0 || !response.setErrorReported()) {
            return;
        }
        String reason = switch (status) {
            case 400 -> "bad request: the request line, a header or the path is malformed, too long, or has characters that "
                    + "are not allowed";
            case 404 -> "no such resource";
            case 405 -> "method not allowed";
            case 413 -> "request body too large";
            case 414 -> "URI too long";
            default -> status >= 500 ? "internal error" : "request refused";
        };
        try {
            response.setContentType("application/json");
            response.setCharacterEncoding("UTF-8");
            response.getReporter().write(EdgeErrors.body(status, null, reason));
            response.finishResponse();
        } catch (IOException | IllegalStateException e) {
            // the connection is gone or the answer already started: nothing more to say
        }
    }
}
