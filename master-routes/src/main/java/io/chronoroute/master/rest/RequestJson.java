package io.chronoroute.master.rest;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.NullNode;
import io.chronoroute.master.config.ChronorouteProperties;
import org.springframework.stereotype.Component;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Request bodies of the verbs that parse their own JSON: the size limit is checked on the raw bytes before
 * parsing (413), malformed JSON is a 400 naming the position, and typed accessors give 400s naming the field.
 */
@Component
public class RequestJson {

    private final ObjectMapper mapper = new ObjectMapper();
    private final long maxBytes;

    public RequestJson(ChronorouteProperties props) {
        this.maxBytes = props.maxBody();
    }

    public ObjectMapper mapper() {
        return mapper;
    }

    public long maxBytes() {
        return maxBytes;
    }

    /** Parses the body; an empty body gives NullNode. */
    public JsonNode parse(byte[] body) {
        if (body == null || body.length == 0) {
            return NullNode.getInstance();
        }
        if (body.length > maxBytes) {
            throw ApiException.tooLarge("", "request body is " + body.length + " bytes; the limit is " + maxBytes);
        }
        try {
            JsonNode n = mapper.readTree(body);
            return n == null ? NullNode.getInstance() : n;
        } catch (JsonProcessingException e) {
            throw ApiException.badRequest("", "malformed JSON" + (e.getLocation() == null ? ""
                    : " at line " + e.getLocation().getLineNr() + ", column " + e.getLocation().getColumnNr()));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** The body as a JSON object; an empty body gives an empty object when {@code optional}. */
    public JsonNode object(byte[] body, boolean optional) {
        JsonNode n = parse(body);
        if (n.isNull() || n.isMissingNode()) {
            if (optional) {
                return mapper.createObjectNode();
            }
            throw ApiException.badRequest("", "a JSON object is required");
        }
        if (!n.isObject()) {
            throw ApiException.badRequest("", "expected a JSON object");
        }
        return n;
    }

    public static String text(JsonNode obj, String field, boolean required) {
        JsonNode v = obj.get(field);
        if (v == null || v.isNull()) {
            if (required) {
                throw ApiException.badRequest(field, "required");
            }
            return null;
        }
        if (!v.isTextual()) {
            throw ApiException.badRequest(field, "must be a string");
        }
        return v.asText();
    }

    /** As {@link #text(JsonNode, String, boolean)}, at most {@code max} characters, else 400 naming the limit. */
    public static String text(JsonNode obj, String field, boolean required, int max) {
        String v = text(obj, field, required);
        if (v != null && v.length() > max) {
            throw ApiException.badRequest(field, "longer than " + max + " characters (" + v.length() + ")");
        }
        return v;
    }

    /** A JSON value's serialized size is at most {@code maxChars}, else 400 naming the field and the limit. */
    public static void size(JsonNode obj, String field, int maxChars) {
        JsonNode v = obj.get(field);
        if (v != null && !v.isNull()) {
            int n = v.toString().length();
            if (n > maxChars) {
                throw ApiException.badRequest(field, "larger than " + maxChars + " characters of JSON (" + n + ")");
            }
        }
    }

    public static Boolean bool(JsonNode obj, String field) {
        JsonNode v = obj.get(field);
        if (v == null || v.isNull()) {
            return null;
        }
        if (!v.isBoolean()) {
            throw ApiException.badRequest(field, "must be true or false");
        }
        return v.booleanValue();
    }

    public static List<String> strings(JsonNode obj, String field) {
        JsonNode v = obj.get(field);
        if (v == null || v.isNull()) {
            return null;
        }
        if (!v.isArray()) {
            throw ApiException.badRequest(field, "must be an array of strings");
        }
        List<String> out = new ArrayList<>();
        for (int i = 0; i < v.size(); i++) {
            if (!v.get(i).isTextual()) {
                throw ApiException.badRequest(field + "[" + i + "]", "must be a string");
            }
            out.add(v.get(i).asText());
        }
        return out;
    }

    /** A JSON object field as a plain map (null when absent). */
    @SuppressWarnings("unchecked")
    public Map<String, Object> map(JsonNode obj, String field) {
        JsonNode v = obj.get(field);
        if (v == null || v.isNull()) {
            return null;
        }
        if (!v.isObject()) {
            throw ApiException.badRequest(field, "must be a JSON object");
        }
        return mapper.convertValue(v, LinkedHashMap.class);
    }

    /** Parses a query parameter as a non-negative int. */
    public static int intParam(Object value, String name, int dflt, int max) {
        if (value == null || value.toString().isBlank()) {
            return dflt;
        }
        try {
            int v = Integer.parseInt(value.toString().trim());
            if (v < 0) {
                throw ApiException.badRequest(name, "must not be negative");
            }
            return Math.min(v, max);
        } catch (NumberFormatException e) {
            throw ApiException.badRequest(name, "must be an integer");
        }
    }

    public static boolean boolParam(Object value, String name, boolean dflt) {
        if (value == null || value.toString().isBlank()) {
            return dflt;
        }
        String s = value.toString().trim().toLowerCase(java.util.Locale.ROOT);
        return switch (s) {
            case "true", "1", "yes" -> true;
            case "false", "0", "no" -> false;
            default -> throw ApiException.badRequest(name, "must be true or false");
        };
    }
}
