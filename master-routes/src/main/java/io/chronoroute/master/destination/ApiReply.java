package io.chronoroute.master.destination;

/** An HTTP answer of the destination endpoints: status and a JSON-serialisable body. */
public record ApiReply(int status, Object body) {

    public static ApiReply ok(Object body) {
        return new ApiReply(200, body);
    }

    public static ApiReply error(int status, String error, String reason) {
        return new ApiReply(status, java.util.Map.of("error", error, "reason", reason == null ? "" : reason));
    }
}
