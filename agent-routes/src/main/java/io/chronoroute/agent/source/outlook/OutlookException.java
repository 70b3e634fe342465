package io.chronoroute.agent.source.outlook;

/**
 * A failed call into Outlook (COM error, Outlook not running or not installed, not Windows). {@code permanent} when
 * retrying cannot help (the item or occurrence does not exist, a property value Outlook refuses); otherwise the next
 * poll or the master's retry tries again.
 */
public class OutlookException extends Exception {

    private final boolean permanent;

    public OutlookException(String message, boolean permanent) {
        super(message);
        this.permanent = permanent;
    }

    public OutlookException(String message, boolean permanent, Throwable cause) {
        super(message, cause);
        this.permanent = permanent;
    }

    public boolean permanent() {
        return permanent;
    }
}
