package io.chronoroute.master.ingest;

/** Header names of the ingest routes. */
public final class IngestHeaders {

    /** Position of the chunk inside the split (for tracing which chunk a failure belongs to). */
    public static final String CHUNK_INDEX = "ChronorouteChunkIndex";

    private IngestHeaders() {
    }
}
