package io.chronoroute.master.ingest;

import java.util.List;

/**
 * The way into the consolidated calendar for origins that are not agents (destinations, the API, conflict
 * resolution): the changes go through the same ingest route as a heartbeat (validate, de-duplicate, conflict
 * strategy, store, fan-out to every other origin) and are applied atomically. One result per change, in order.
 */
public interface ChangeIngest {

    List<OriginResult> ingest(OriginChanges changes);
}
