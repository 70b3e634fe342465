package io.chronoroute.agent.state;

import org.apache.camel.spi.IdempotentRepository;
import org.apache.camel.support.service.ServiceSupport;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The persistent idempotent repository of the file-polling source routes ({@code idempotentRepository=#agentFileRepository}),
 * backed by the agent state, so a restarted agent does not re-parse files it has already collected. Keys are
 * {@code source|file name|size|mtime}; adding a key drops the older keys of the same file, and a removed file's keys
 * are dropped by the collector (so a file restored with the same name, size and time is read again).
 *
 * <p>The file consumer adds a key only when the exchange completed; a failed exchange leaves the file to be read
 * again on the next poll.
 */
public final class StateFileIdempotentRepository extends ServiceSupport implements IdempotentRepository {

    private static final Logger LOG = LoggerFactory.getLogger(StateFileIdempotentRepository.class);
    private final AgentState state;

    public StateFileIdempotentRepository(AgentState state) {
        this.state = state;
    }

    @Override
    public boolean add(String key) {
        LOG.debug("File done: {}", key);
        return state.write(tx -> tx.addFileKey(key));
    }

    @Override
    public boolean contains(String key) {
        boolean known = state.read(tx -> tx.containsFileKey(key));
        LOG.trace("File {}: {}", known ? "unchanged" : "new or changed", key);
        return known;
    }

    @Override
    public boolean remove(String key) {
        return state.write(tx -> tx.removeFileKey(key));
    }

    @Override
    public boolean confirm(String key) {
        return true;
    }

    @Override
    public void clear() {
        state.write(tx -> {
            tx.clearFileKeys();
            return null;
        });
    }
}
