package io.chronoroute.master.store;

import java.util.List;

/**
 * One page of a walk over the consolidated events in identity order ({@link MasterStore#consolidatedPage}).
 *
 * @param events the events of the page (may be fewer than asked, even none, while {@code next} is not null)
 * @param next   the identity to continue after, null when the walk is complete
 */
public record ConsolidatedPage(List<ConsolidatedEvent> events, String next) {

    public ConsolidatedPage {
        events = List.copyOf(events);
    }
}
