package io.chronoroute.master.rest;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.chronoroute.master.web.EdgeFilter;
import io.chronoroute.processors.wire.WireFormatException;
import org.apache.camel.Exchange;
import org.apache.camel.Message;
import org.apache.camel.Processor;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.stereotype.Component;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.UUID;

/**
 * Turns the caught exception into the JSON error answer. Classified errors (ApiException, WireFormatException,
 * malformed JSON) become 4xx with a reason naming the field; anything else is 500
 * {@code {"error":"internal","id":"<correlation id>"}} and the stack trace goes to the log only.
 * The body is a ready JSON string: REST binding skips error codes, so nothing encodes it twice.
 */
@Component
public class ErrorResponder implements Processor {

    private static final Logger LOG = LoggerFactory.getLogger(ErrorResponder.class);
    private static final ObjectMapper JSON = new ObjectMapper();

    @Override
    public void process(Exchange exchange) throws Exception {
        Throwable ex = exchange.getProperty(Exchange.EXCEPTION_CAUGHT, Throwable.class);
        Map<String, Object> body = new LinkedHashMap<>();
        int status;
        ApiException api = find(ex, ApiException.class);
        if (api == null) {
            api = EdgeFilter.rejectedBody(exchange); // the body was refused as it streamed in (limit, not UTF-8)
        }
        WireFormatException wire = find(ex, WireFormatException.class);
        JsonProcessingException json = find(ex, JsonProcessingException.class);
        if (api != null) {
            status = api.status();
            body.put("error", api.code());
            if (api.field() != null) {
                body.put("field", api.field());
            }
            body.put("reason", api.reason());
        } else if (wire != null) {
            status = 400;
            body.put("error", "bad_request");
            body.put("field", wire.field());
            body.put("reason", wire.reason());
        } else if (json != null) {
            status = 400;
            body.put("error", "bad_request");
            body.put("field", "");
            body.put("reason", "malformed JSON" + (json.getLocation() == null ? ""
                    : " at line " + json.getLocation().getLineNr() + ", column " + json.getLocation().getColumnNr()));
        } else {
            status = 500;
            String id = UUID.randomUUID().toString();
            LOG.error("internal error id={} route={}", id, exchange.getFromRouteId(), ex);
            body.put("error", "internal");
            body.put("id", id);
        }
        if (status < 500) {
            LOG.debug("answering {} {}: {}", status, body.get("error"), body.get("reason"));
        }
        Message m = exchange.getMessage();
        m.setHeader(Exchange.HTTP_RESPONSE_CODE, status);
        m.setHeader(Exchange.CONTENT_TYPE, "application/json");
        if (status == 401) {
            m.setHeader("WWW-Authenticate", "Bearer");
        }
        if (status == 503) {
            m.setHeader("Retry-After", "5");
        }
        m.setBody(JSON.writeValueAsString(body));
    }

    private static <T extends Throwable> T find(Throwable t, Class<T> type) {
        for (Throwable c = t; c != null; c = c.getCause() == c ? null : c.getCause()) {
            if (type.isInstance(c)) {
                return type.cast(c);
            }
        }
        return null;
    }
}
