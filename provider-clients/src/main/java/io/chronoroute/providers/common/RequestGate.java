package io.chronoroute.providers.common;

/** What a writer calls before every request: waits for the rate limit and counts the call. */
@FunctionalInterface
public interface RequestGate {

    /** @param write true for a request that changes the destination (insert/update/patch/delete) */
    void acquire(boolean write) throws InterruptedException;
}
