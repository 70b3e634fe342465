package io.chronoroute.master.ingest;

import io.chronoroute.master.store.MasterStore;
import io.chronoroute.master.store.StoreIdempotentRepository;
import org.apache.camel.spi.IdempotentRepository;
import org.apache.camel.support.service.ServiceSupport;
import org.springframework.stereotype.Component;

/**
 * The idempotent repository of heartbeat batch ids for the idempotent consumer EIP. The EIP takes one repository;
 * batch ids live in one store namespace per agent ({@code batch:<agent>}, a {@link StoreIdempotentRepository}
 * each), so one agent's batch ids can never collide with another's. Message ids are "agent\nbatch"
 * ({@link #keyOf}); the agent part selects the namespace. The ingest commit also adds the key inside the same atomic
 * {@code ChangeSet} as the data, so "applied" and "remembered" cannot disagree after a crash; the EIP's own add on
 * completion is then a no-op.
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

    /** {@link #keyOf} as an instance method, for the route's message id expression. */
    public String messageId(HeartbeatRequest req) {
        return keyOf(req);
    }

    private StoreIdempotentRepository repositoryOf(String key) {
        int i = key.indexOf('\n');
        if (i <= 0) {
            throw new IllegalArgumentException("batch key without agent");
        }
        return new StoreIdempotentRepository(store, namespace(key.substring(0, i)));
    }

    private static String batchOf(String key) {
        return key.substring(key.indexOf('\n') + 1);
    }

    @Override
    public boolean add(String key) {
        return repositoryOf(key).add(batchOf(key));
    }

    @Override
    public boolean contains(String key) {
        return repositoryOf(key).contains(batchOf(key));
    }

    @Override
    public boolean remove(String key) {
        return repositoryOf(key).remove(batchOf(key));
    }

    @Override
    public boolean confirm(String key) {
        return repositoryOf(key).confirm(batchOf(key));
    }

    /** Forgets the batch ids of one agent (when the agent is deleted). */
    public void clearAgent(String agentId) {
        new StoreIdempotentRepository(store, namespace(agentId)).clear();
    }

    /** Forgets the batch ids of every registered agent. */
    @Override
    public void clear() {
        for (var a : store.listAgents()) {
            clearAgent(a.id());
        }
    }
}
