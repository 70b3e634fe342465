package io.chronoroute.master.ingest;

import java.util.List;

/** Changes of one non-agent origin ({@code destination:<name>}, {@code api:<user>}, {@code conflict:<id>}), applied atomically. */
public record OriginChanges(String origin, List<OriginChange> changes) {

    public OriginChanges {
        changes = List.copyOf(changes);
    }
}
