package io.chronoroute.processors.sync;

import java.util.HexFormat;

/**
 * An order-independent digest of a set of (sync key, content hash) pairs: the XOR of SHA-256(key ':' hash).
 * Adding and removing a member are O(1), so agent and master keep it up to date incrementally and compare it in
 * every heartbeat; when they disagree the master asks for a full snapshot. Not a security measure.
 */
public final class SetDigest {

    private final byte[] acc = new byte[32];
    private long count;

    public static SetDigest empty() {
        return new SetDigest();
    }

    public static SetDigest parse(String hex, long count) {
        SetDigest d = new SetDigest();
        byte[] b = HexFormat.of().parseHex(hex);
        System.arraycopy(b, 0, d.acc, 0, 32);
        d.count = count;
        return d;
    }

    public SetDigest add(String syncKey, String contentHash) {
        xor(syncKey, contentHash);
        count++;
        return this;
    }

    public SetDigest remove(String syncKey, String contentHash) {
        xor(syncKey, contentHash);
        count--;
        return this;
    }

    private void xor(String k, String h) {
        byte[] d = HexFormat.of().parseHex(SyncKey.sha256Hex(k + ':' + h));
        for (int i = 0; i < 32; i++) {
            acc[i] ^= d[i];
        }
    }

    public long count() {
        return count;
    }

    public String hex() {
        return HexFormat.of().formatHex(acc);
    }

    /** "count:hex", the form sent on the wire. */
    @Override
    public String toString() {
        return count + ":" + hex();
    }
}
