package io.chronoroute.agent.collect;

/** What one call of the collector changed. */
public record CollectSummary(int upserted, int deleted, int unchanged, int failedFiles) {

    public boolean changedAnything() {
        return upserted > 0 || deleted > 0;
    }
}
