package io.chronoroute.master.store;

import org.apache.camel.spi.IdempotentRepository;
import org.apache.camel.support.service.ServiceSupport;

/**
 * Camel {@link IdempotentRepository} on the durable {@link MasterStore} keys of one namespace (for the idempotent
 * consumer EIP). Keys survive restarts and kill -9 like everything else in the store. {@link #confirm} has nothing
 * to do: a key is stored as soon as it is added. {@link #clear()} forgets every key of the namespace.
 */
public class StoreIdempotentRepository extends ServiceSupport implements IdempotentRepository {

    private final MasterStore store;
    private final String namespace;

    public StoreIdempotentRepository(MasterStore store, String namespace) {
        this.store = store;
        this.namespace = StoreChecks.requireId(namespace, "namespace");
    }

    public String namespace() {
        return namespace;
    }

    @Override
    public boolean add(String key) {
        return store.addKey(namespace, key);
    }

    @Override
    public boolean contains(String key) {
        return store.containsKey(namespace, key);
    }

    @Override
    public boolean remove(String key) {
        return store.removeKey(namespace, key);
    }

    @Override
    public boolean confirm(String key) {
        return true;
    }

    @Override
    public void clear() {
        store.clearKeys(namespace);
    }
}
