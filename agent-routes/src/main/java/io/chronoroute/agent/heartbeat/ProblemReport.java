package io.chronoroute.agent.heartbeat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.chronoroute.agent.state.AgentState;
import io.chronoroute.processors.problem.InputProblem;
import io.chronoroute.processors.wire.WireJson;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * The heartbeat's {@code problems} field (architecture.md "Heartbeat"): everything this agent found wrong with its
 * input, for the master's agent status - the problems its sources recorded per file (repairs, skipped properties,
 * rejected events), the files skipped whole ({@code failed}) and the events refused ({@code rejected}: by the
 * master, or not sendable). {@code {"version", "total", "counts": {kind → n}, "items": [...]}} with at most
 * {@value #MAX_ITEMS} items; {@code version} is a hash of the whole list, so the field is sent only when the list
 * changed (the master answers the version it holds as {@code problems_version}).
 */
final class ProblemReport {

    static final int MAX_ITEMS = 200;
    private static final int MAX_TEXT = 1000;

    private ProblemReport() {
    }

    static ObjectNode build(AgentState.Tx tx) {
        List<ObjectNode> all = new ArrayList<>();
        for (InputProblem p : tx.allProblems()) {
            all.add(item(p.kind().name(), p.source(), p.file(), p.line(), p.uid(), p.recurrenceId(), p.property(),
                    p.message()));
        }
        tx.failedFiles().forEach((sourceAndFile, reason) -> {
            int slash = sourceAndFile.indexOf('/');
            String source = slash < 0 ? null : sourceAndFile.substring(0, slash);
            String file = slash < 0 ? sourceAndFile : sourceAndFile.substring(slash + 1);
            if (source != null && tx.problemsOf(source, file).stream()
                    .anyMatch(p -> p.kind() == InputProblem.Kind.FILE_REJECTED)) {
                return; // the reader recorded it already, with its line
            }
            all.add(item(InputProblem.Kind.FILE_REJECTED.name(), source, file, 0, null, null, null,
                    "the file was skipped, its previously collected events are kept: " + reason));
        });
        for (Map.Entry<String, JsonNode> r : tx.allRejected().entrySet()) {
            JsonNode entry = r.getValue().path("entry");
            JsonNode ev = entry.path("event").isObject() ? entry.path("event") : entry.path("deleted");
            String reason = r.getValue().path("reason").asText("");
            int colon = reason.indexOf(": ");
            all.add(item(InputProblem.Kind.EVENT_REJECTED.name(), text(entry.get("source")), null, 0,
                    text(ev.get("uid")), timeText(ev.get("recurrence_id")), colon > 0 ? reason.substring(0, colon) : null,
                    (entry.path("event").isObject() ? "the event" : "the deletion") + " is not sent until it changes: "
                            + reason));
        }
        Map<String, Long> counts = new TreeMap<>();
        all.forEach(i -> counts.merge(i.path("kind").asText(), 1L, Long::sum));
        ObjectNode field = WireJson.mapper().createObjectNode();
        field.put("version", version(all));
        field.put("total", all.size());
        field.set("counts", WireJson.mapper().valueToTree(counts));
        ArrayNode items = field.putArray("items");
        all.stream().limit(MAX_ITEMS).forEach(items::add);
        return field;
    }

    private static ObjectNode item(String kind, String source, String file, int line, String uid, String rid,
                                   String property, String message) {
        ObjectNode n = WireJson.mapper().createObjectNode();
        n.put("kind", kind);
        put(n, "source", source);
        put(n, "file", file);
        if (line > 0) {
            n.put("line", line);
        }
        put(n, "uid", uid);
        put(n, "recurrence_id", rid);
        put(n, "property", property);
        put(n, "message", message);
        return n;
    }

    private static void put(ObjectNode n, String k, String v) {
        if (v != null) {
            n.put(k, v.length() <= MAX_TEXT ? v : v.substring(0, MAX_TEXT - 3) + "...");
        }
    }

    private static String text(JsonNode v) {
        return v == null || v.isNull() || v.isMissingNode() ? null : v.asText();
    }

    private static String timeText(JsonNode v) {
        if (v == null || v.isNull() || v.isMissingNode()) {
            return null;
        }
        if (v.isObject()) {
            return text(v.has("date_time") ? v.get("date_time") : v.get("date"));
        }
        return v.asText();
    }

    private static String version(List<ObjectNode> all) {
        try {
            MessageDigest md = MessageDigest.getInstance("SHA-256");
            for (ObjectNode n : all) {
                md.update(n.toString().getBytes(StandardCharsets.UTF_8));
                md.update((byte) '\n');
            }
            return HexFormat.of().formatHex(md.digest()).substring(0, 32);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
