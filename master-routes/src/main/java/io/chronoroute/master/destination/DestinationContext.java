package io.chronoroute.master.destination;

import io.chronoroute.master.store.MasterStore;
import io.chronoroute.providers.common.RequestGate;

import java.time.Clock;

/**
 * What a writer gets from the framework.
 *
 * @param name   destination name
 * @param config its settings
 * @param store  the master store (for writer-owned settings under {@link #settingKey(String)})
 * @param clock  time source
 * @param gate   rate limit and call counter; call before every request
 */
public record DestinationContext(String name, DestinationConfig config, MasterStore store, Clock clock,
                                 RequestGate gate) {

    /** Store settings key for writer-owned state, e.g. {@code destination.work.google.calendar-id}. */
    public String settingKey(String suffix) {
        return DestinationMapping.settingPrefix(name) + suffix;
    }

    public String owner() {
        return config.ownerOr(name);
    }
}
