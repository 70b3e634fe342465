package io.chronoroute.master.ingest;

import io.chronoroute.master.store.MasterStore;
import org.apache.camel.spi.IdempotentRepository;
import org.apache.camel.support.service.ServiceSupport;
import org.springframework.stereotype.Component;

/**
 * The idempotent repository of heartbeat batch ids: one store namespace per agent ({@code batch:<agent>}), so
 * one agent's batch ids can never collide with (or reveal) another's. Message ids are "agent\nbatch" (see
 * {@link #keyOf}). The ingest commit also adds the key inside the same atomic {@code ChangeSet} as the data, so
 * "applied" and "remembered" cannot disagree after a crash; the EIP's own add on completion is then a no-op.
 */
@Component
public class BatchIdempotentRepository extends ServiceSupport implements IdempotentRepository {

    private final MasterStore store;

    public BatchIdempotentRepository(MasterStore store) {
        this.store = store;
    }

    public static String namespace(String agentId) {
        return "batch:" + agentId;
    }

    /** Message id of a heartbeat for the idempotent consumer. */
    public static String keyOf(HeartbeatRequest req) {
        return req.agentId() + "\n" + req.batchId();
    }

    private static String[] split(String key) {
        int i = key.indexOf('\n');
        if (i < 0) {
            throw new IllegalArgumentException("batch key without agent");
        }
        return new String[] {namespace(key.substring(0, i)), key.substring(i + 1)};
    }

    @Override
    public boolean add(String key) {
        String[] k = split(key);
        return store.addKey(k[0], k[1]);
    }

    @Override
    public boolean contains(String key) {
        String[] k = split(key);
        return store.containsKey(k[0], k[1]);
    }

    @Override
    public boolean remove(String key) {
        String[] k = split(key);
        return store.removeKey(k[0], k[1]);
    }

    @Override
    public boolean confirm(String key) {
        return true;
    }

    @Override
    public void clear() {
        throw new UnsupportedOperationException("batch ids are cleared per agent, with the agent");
    }
}
