package io.chronoroute.master.destination;

import io.chronoroute.master.store.MasterStore;
import io.chronoroute.master.store.StaleEpochException;
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
 *
 * <p>Every write carries the leadership epoch of the run ({@link MasterStore#putSetting(String, String, long)}): with
 * several masters on one store, a master that lost leadership (paused past its lease) has its writes refused
 * ({@link StaleEpochException}); {@link MasterStore#UNFENCED} outside a cluster.
 */
public final class DestinationMapping {

    private final MasterStore store;
    private final String prefix;
    private final long epoch;

    public DestinationMapping(MasterStore store, String destination) {
        this(store, destination, MasterStore.UNFENCED);
    }

    public DestinationMapping(MasterStore store, String destination, long epoch) {
        this.store = store;
        this.prefix = settingPrefix(destination);
        this.epoch = epoch;
    }

    /** Throws {@link StaleEpochException} when this mapping's epoch is no longer current (checked before each write). */
    public void checkEpoch() {
        if (epoch != MasterStore.UNFENCED) {
            long current = store.currentEpoch();
            if (current != epoch) {
                throw new StaleEpochException(epoch, current);
            }
        }
    }

    public static String settingPrefix(String destination) {
        return "destination." + destination + ".";
    }

    public Optional<MappingEntry> get(String identity) {
        return store.getSetting(prefix + "map." + identity).map(s -> StoreJson.read(s, MappingEntry.class));
    }

    public void put(String identity, MappingEntry entry) {
        store.putSetting(prefix + "map." + identity, StoreJson.write(entry), epoch);
    }

    public void remove(String identity) {
        store.deleteSetting(prefix + "map." + identity, epoch);
    }

    /** The stored state, or null when there is none (first run or store lost). */
    public DestinationState loadState() {
        return store.getSetting(prefix + "state").map(s -> StoreJson.read(s, DestinationState.class)).orElse(null);
    }

    public void saveState(DestinationState state) {
        store.putSetting(prefix + "state", StoreJson.write(state), epoch);
    }
}
