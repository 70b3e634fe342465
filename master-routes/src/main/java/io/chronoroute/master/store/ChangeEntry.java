package io.chronoroute.master.store;

/** One entry of the consolidated change log: the change sequence number and the identity that changed. */
public record ChangeEntry(long seq, String identity, boolean deleted) {
}
