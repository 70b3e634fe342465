package io.chronoroute.processors.bundle;

/** A bundle that cannot be accepted; {@link #reason()} says why, for logs and for quarantining the file. */
public final class BundleException extends Exception {

    private static final long serialVersionUID = 1L;

    /** Why a bundle was rejected. */
    public enum Reason {
        /** Not a bundle, or a structurally broken one (bad magic, header, trailing bytes). */
        MALFORMED,
        /** Shorter than its own length fields say. */
        TRUNCATED,
        /** A format version this code does not read. */
        UNSUPPORTED_VERSION,
        /** No secret is known for the header's agent id. */
        UNKNOWN_AGENT,
        /** The HMAC does not match: tampered, or written with another secret. */
        BAD_SIGNATURE,
        /** The MAC was right but AES-GCM decryption failed (should not happen unless the writer is broken). */
        DECRYPTION_FAILED
    }

    private final Reason reason;

    public BundleException(Reason reason, String message) {
        this(reason, message, null);
    }

    public BundleException(Reason reason, String message, Throwable cause) {
        super(reason + ": " + message, cause);
        this.reason = reason;
    }

    public Reason reason() {
        return reason;
    }
}
