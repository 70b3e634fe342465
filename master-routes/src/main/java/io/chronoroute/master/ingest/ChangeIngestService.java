package io.chronoroute.master.ingest;

import io.chronoroute.processors.wire.WireFormatException;
import io.chronoroute.processors.wire.WireJson;
import org.apache.camel.ProducerTemplate;
import org.springframework.stereotype.Component;

import java.util.ArrayList;
import java.util.List;

/**
 * {@link ChangeIngest} over the one ingest route: each change is validated as an agent's event would be (the wire
 * reader's rules: identity, dates 1601..9999, bounded strings); invalid ones are answered REJECTED with the reason
 * and the others are sent together to {@code direct:master-ingest}, applied atomically and fanned out.
 */
@Component
public class ChangeIngestService implements ChangeIngest {

    private final ProducerTemplate producer;

    public ChangeIngestService(ProducerTemplate producer) {
        this.producer = producer;
    }

    @Override
    @SuppressWarnings("unchecked")
    public List<OriginResult> ingest(OriginChanges changes) {
        List<OriginResult> results = new ArrayList<>(changes.changes().size());
        List<OriginChange> valid = new ArrayList<>();
        List<Integer> slots = new ArrayList<>();
        for (OriginChange c : changes.changes()) {
            String reason = invalid(c);
            if (reason != null) {
                results.add(new OriginResult(c.identity(), OriginResult.Outcome.REJECTED, null, reason));
            } else {
                results.add(null);
                slots.add(results.size() - 1);
                valid.add(c);
            }
        }
        if (!valid.isEmpty()) {
            List<OriginResult> applied;
            try {
                applied = producer.requestBody("direct:master-ingest", new OriginChanges(changes.origin(), valid),
                        List.class);
            } catch (org.apache.camel.CamelExecutionException e) {
                throw e.getCause() instanceof RuntimeException re ? re : e;
            }
            for (int i = 0; i < slots.size(); i++) {
                results.set(slots.get(i), applied.get(i));
            }
        }
        return results;
    }

    /** Null when the change can be applied; else why not. */
    static String invalid(OriginChange c) {
        if (c.identity() == null || c.identity().isBlank()) {
            return "identity missing";
        }
        if (c.event() == null) {
            return null;
        }
        try {
            var read = WireJson.readEvent(WireJson.writeEvent(c.event().withOrigin(null)), null);
            if (!io.chronoroute.processors.sync.SyncKey.identityOf(read).equals(c.identity())) {
                return "the event's UID/RECURRENCE-ID do not match the identity " + c.identity();
            }
        } catch (WireFormatException e) {
            return e.field() + ": " + e.reason();
        }
        if (c.createTarget() != null) {
            int slash = c.createTarget().indexOf('/');
            if (slash <= 0 || slash == c.createTarget().length() - 1) {
                return "create target must be <agent-id>/<source>, was '" + c.createTarget() + "'";
            }
        }
        return null;
    }
}
