package io.chronoroute.agent.transport;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.chronoroute.agent.state.AgentState;
import io.chronoroute.processors.wire.WireJson;

import java.io.IOException;
import java.util.Collection;

/**
 * Update confirmations of an air-gap agent: what an HTTP agent sends as {@code POST .../updates/{id}/processed} is
 * kept in the state ({@code meta/bundle.confirmations}) and travels in the next heartbeat bundle as
 * {@code "processed":[{"update_id","success","permanent","error"}]}; removed once the answer to that bundle arrived.
 */
public class BundleConfirmations {

    static final String KEY = "bundle.confirmations";
    private static final ObjectMapper JSON = WireJson.mapper();

    private final AgentState state;
    private final boolean active;

    public BundleConfirmations(AgentState state, boolean active) {
        this.state = state;
        this.active = active;
    }

    /** True when the agent uses an air-gap transport (then {@code MasterClient.processed} queues here). */
    public boolean active() {
        return active;
    }

    /** {@code body} null = success, else the JSON {@code {success, permanent, error}}. */
    public void add(String updateId, String body) {
        state.write(tx -> {
            ObjectNode all = read(tx.meta(KEY));
            ObjectNode c = JSON.createObjectNode();
            c.put("update_id", updateId);
            if (body != null) {
                try {
                    JsonNode b = JSON.readTree(body);
                    if (b.isObject()) {
                        c.setAll((ObjectNode) b);
                    }
                } catch (IOException e) {
                    throw new IllegalArgumentException("confirmation body is not JSON", e);
                }
            }
            all.set(updateId, c);
            tx.putMeta(KEY, all.toString());
            return null;
        });
    }

    /** The pending confirmations as the {@code processed} array. */
    ArrayNode pending(AgentState.Tx tx) {
        ArrayNode out = JSON.createArrayNode();
        read(tx.meta(KEY)).elements().forEachRemaining(out::add);
        return out;
    }

    void remove(AgentState.Tx tx, Collection<String> ids) {
        ObjectNode all = read(tx.meta(KEY));
        ids.forEach(all::remove);
        tx.putMeta(KEY, all.isEmpty() ? null : all.toString());
    }

    private static ObjectNode read(String s) {
        if (s == null || s.isBlank()) {
            return JSON.createObjectNode();
        }
        try {
            return (ObjectNode) JSON.readTree(s);
        } catch (IOException | ClassCastException e) {
            return JSON.createObjectNode();
        }
    }
}
