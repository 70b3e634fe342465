package io.chronoroute.master.rest;

/**
 * Lengths of what the master stores from agents (README "Security"); over a limit → 400 naming the field and the
 * limit. Event fields are bounded by the shared {@code EventValidator}; the whole body by
 * {@code chronoroute.max-body-bytes}.
 */
public final class Limits {

    /** Agent name, environment (registration and heartbeat). */
    public static final int NAME = 256;
    /** agent_type, heartbeat status, each capability. */
    public static final int WORD = 64;
    /** Number of capabilities. */
    public static final int CAPABILITIES = 64;
    /** Registration {@code config} and heartbeat {@code stats}, as serialized JSON. */
    public static final int OBJECT_JSON = 16 * 1024;
    /** A proposed credential: 43 (256 bits, base64url) to this many characters. */
    public static final int CREDENTIAL = 256;

    private Limits() {
    }
}
