package io.chronoroute.master.destination;

import io.chronoroute.master.store.MasterStore;
import io.chronoroute.master.store.StoreJson;

import java.util.Optional;

/**
 * The durable link between consolidated identities and destination objects, kept in the master store's settings:
 * <pre>
 * destination.&lt;name&gt;.map.&lt;identity&gt;   {@link MappingEntry} (JSON)
 * destination.&lt;name&gt;.state                {@link DestinationState} (JSON)
 * destination.&lt;name&gt;.google.*             writer-owned values (refresh token (encrypted), calendar id)
 * </pre>
 * The mapping is a cache of what the destination's tags say: losing it costs one full reconcile, never a duplicate.
 * One entry per identity means one small write per destination write, right after it succeeded.
 */
public final class DestinationMapping {

    private final MasterStore store;
    private final String prefix;

    public DestinationMapping(MasterStore store, String destination) {
        this.store = store;
        this.prefix = settingPrefix(destination);
    }

    public static String settingPrefix(String destination) {
        return "destination." + destination + ".";
    }

    public Optional<MappingEntry> get(String identity) {
        return store.getSetting(prefix + "map." + identity).map(s -> StoreJson.read(s, MappingEntry.class));
    }

    public void put(String identity, MappingEntry entry) {
        store.putSetting(prefix + "map." + identity, StoreJson.write(entry));
    }

    public void remove(String identity) {
        store.deleteSetting(prefix + "map." + identity);
    }

    /** The stored state, or null when there is none (first run or store lost). */
    public DestinationState loadState() {
        return store.getSetting(prefix + "state").map(s -> StoreJson.read(s, DestinationState.class)).orElse(null);
    }

    public void saveState(DestinationState state) {
        store.putSetting(prefix + "state", StoreJson.write(state));
    }
}
