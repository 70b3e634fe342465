package io.chronoroute.master.destination;

import java.util.List;

/**
 * A {@link DestinationWriter} that can send several writes in one HTTP round trip (Google: {@code POST
 * batch/calendar/v3}). Optional: the {@link DestinationSyncService} uses it when the writer implements it and the
 * destination's {@code batch-size} is 2 or more, and sends everything else (and every item the batch hands back
 * with {@link BatchOutcome.Status#SINGLE}) through {@link #upsert}/{@link #delete}.
 *
 * <p>Each item keeps the single-call contract of {@link DestinationWriter}: same deterministic id, same tags, same
 * "no invitations" parameters, same "already gone is success" for deletes. Each part is a request for the rate limit:
 * the writer takes one token per part from {@link DestinationContext#gate()} before sending the batch.
 */
public interface BatchingWriter extends DestinationWriter {

    /** The provider's largest batch (Google: 1000 parts). */
    int maxBatchSize();

    /**
     * Sends the items in one batch request and returns one outcome per item, in the items' order. Throws (the
     * provider's exception, classified by {@link #classifier()}) only when the batch as a whole failed and no part
     * has an outcome.
     */
    List<BatchOutcome> writeBatch(List<BatchItem> items) throws Exception;

    /**
     * One write of a batch, prepared by the sync exactly as for {@link #upsert} / {@link #delete}.
     *
     * @param kind    upsert or delete
     * @param event   the event (for an override with {@link DestinationEvent#masterRemoteId()} / master set)
     * @param current the mapping entry (null for an upsert of an event never written; never null for a delete)
     */
    record BatchItem(Kind kind, DestinationEvent event, MappingEntry current) {

        public enum Kind { UPSERT, DELETE }

        public static BatchItem upsert(DestinationEvent event, MappingEntry current) {
            return new BatchItem(Kind.UPSERT, event, current);
        }

        public static BatchItem delete(DestinationEvent event, MappingEntry current) {
            return new BatchItem(Kind.DELETE, event, current);
        }
    }

    /**
     * What became of one item.
     *
     * @param status DONE (written; for an upsert {@code result} is set), FAILED ({@code error} is the provider's
     *               exception for this part, classified like a single call's), SINGLE (this part needs the
     *               single-call path, e.g. an insert that met 409: the id exists and must be checked for our tag)
     */
    record BatchOutcome(Status status, WriteResult result, Exception error) {

        public enum Status { DONE, FAILED, SINGLE }

        public static BatchOutcome done(WriteResult result) {
            return new BatchOutcome(Status.DONE, result, null);
        }

        public static BatchOutcome failed(Exception error) {
            return new BatchOutcome(Status.FAILED, null, error);
        }

        public static BatchOutcome single() {
            return new BatchOutcome(Status.SINGLE, null, null);
        }
    }
}
