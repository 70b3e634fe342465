package io.chronoroute.master.destination;

import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The state of one run of one destination, shared by the parts of the run (change feed, plan, guard, writes, series
 * resets): the mapping and durable state it updates, and its counters.
 */
final class SyncRun {

    final String name;
    final DestinationConfig config;
    final DestinationRuntime rt;
    final DestinationMapping mapping;
    final DestinationState state;
    final Set<String> done = new HashSet<>();
    /** Identities to write although the mapping says they are current (edited or deleted outside Chronoroute). */
    final Set<String> repair = new HashSet<>();
    /** Series masters whose write reset the series: their final mapping entry, put once the overrides are back. */
    final Map<String, MappingEntry> resetMasters = new LinkedHashMap<>();
    /** Overrides of reset series still to be written again in this run. */
    final Set<String> resetQueue = new LinkedHashSet<>();
    /** Overrides whose mapping entry a series reset marked deleted (for mappedLive, booked once). */
    final Set<String> vanished = new HashSet<>();
    /** Overrides the plan counted unchanged (a reset writes them after all: counted once, as updated). */
    final Set<String> unchangedOverrides = new HashSet<>();
    /** Override identities by series identity, read from the store on the first series reset of the run. */
    Map<String, List<String>> overridesBySeries;
    int inserted;
    int updated;
    int deleted;
    int unchanged;
    int parked;
    int retries;
    /** Two-way: destination edits handed to the ingest in this run. */
    int edits;
    long waitedMillis;

    SyncRun(String name, DestinationConfig config, DestinationRuntime rt, DestinationMapping mapping,
            DestinationState state) {
        this.name = name;
        this.config = config;
        this.rt = rt;
        this.mapping = mapping;
        this.state = state;
    }
}
