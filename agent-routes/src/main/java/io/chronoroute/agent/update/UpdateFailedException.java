package io.chronoroute.agent.update;

/**
 * An update from the master could not be applied. {@code permanent}: retrying cannot help (read-only or unknown
 * source, malformed event, event not found), so the master is told and marks the update rejected; otherwise the
 * update is not acknowledged and stays pending at the master, which delivers it again with the next heartbeat.
 */
public class UpdateFailedException extends Exception {

    private final boolean permanent;

    public UpdateFailedException(String message, boolean permanent) {
        super(message);
        this.permanent = permanent;
    }

    public UpdateFailedException(String message, boolean permanent, Throwable cause) {
        super(message, cause);
        this.permanent = permanent;
    }

    public boolean permanent() {
        return permanent;
    }
}
