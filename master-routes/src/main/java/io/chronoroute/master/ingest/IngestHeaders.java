package io.chronoroute.master.ingest;

/** Header names of the ingest routes. */
public final class IngestHeaders {

    /** Position of the item inside the split (for tracing which item a failure belongs to). */
    public static final String ITEM_INDEX = "ChronorouteItemIndex";

    private IngestHeaders() {
    }
}
