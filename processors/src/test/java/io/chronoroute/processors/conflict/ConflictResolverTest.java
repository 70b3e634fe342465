package io.chronoroute.processors.conflict;

import io.chronoroute.processors.model.CalendarEvent;
import io.chronoroute.processors.model.EventTime;
import io.chronoroute.processors.model.Origin;
import org.junit.jupiter.api.Test;

import java.time.Instant;
import java.time.LocalDate;

import static io.chronoroute.processors.conflict.Decision.Outcome.APPLY_INCOMING;
import static io.chronoroute.processors.conflict.Decision.Outcome.KEEP_CURRENT;
import static io.chronoroute.processors.conflict.Decision.Outcome.PARK;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class ConflictResolverTest {

    private final ConflictResolver r = new ConflictResolver();
    private static final Origin A = new Origin("agent-a", "src", null, null, null, null);
    private static final Origin B = new Origin("agent-b", "src", null, null, null, null);

    private static CalendarEvent ev(Origin o, String modified) {
        return CalendarEvent.builder().uid("u").start(EventTime.ofDate(LocalDate.parse("2025-06-10")))
                .lastModified(modified == null ? null : Instant.parse(modified)).origin(o).build();
    }

    @Test
    void newEventApplies() {
        Decision d = r.decide(ConflictStrategy.MANUAL, null, null, null, "h1", ev(A, null));
        assertThat(d.outcome()).isEqualTo(APPLY_INCOMING);
        assertThat(d.conflict()).isFalse();
    }

    @Test
    void sameAsCurrentKeeps() {
        Decision d = r.decide(ConflictStrategy.SOURCE_WINS, "h0", "h1", ev(B, null), "h1", ev(A, null));
        assertThat(d).extracting(Decision::outcome, Decision::conflict).containsExactly(KEEP_CURRENT, false);
    }

    @Test
    void unchangedSinceBaseKeepsWithoutConflict() {
        Decision d = r.decide(ConflictStrategy.SOURCE_WINS, "h0", "h2", ev(B, null), "h0", ev(A, null));
        assertThat(d).extracting(Decision::outcome, Decision::conflict).containsExactly(KEEP_CURRENT, false);
    }

    @Test
    void fastForward() {
        Decision d = r.decide(ConflictStrategy.DESTINATION_WINS, "h0", "h0", ev(A, null), "h1", ev(A, null));
        assertThat(d).extracting(Decision::outcome, Decision::conflict).containsExactly(APPLY_INCOMING, false);
    }

    @Test
    void noBaseSameOriginFastForward() {
        Decision d = r.decide(ConflictStrategy.DESTINATION_WINS, null, "h0", ev(A, null), "h1", ev(A, null));
        assertThat(d).extracting(Decision::outcome, Decision::conflict).containsExactly(APPLY_INCOMING, false);
    }

    @Test
    void noBaseOtherOriginIsConflict() {
        Decision d = r.decide(ConflictStrategy.DESTINATION_WINS, null, "h0", ev(B, null), "h1", ev(A, null));
        assertThat(d).extracting(Decision::outcome, Decision::conflict).containsExactly(KEEP_CURRENT, true);
    }

    @Test
    void strategiesOnConflict() {
        CalendarEvent cur = ev(B, "2025-06-02T00:00:00Z");
        CalendarEvent inc = ev(A, "2025-06-01T00:00:00Z");
        assertThat(r.decide(ConflictStrategy.SOURCE_WINS, "h0", "h2", cur, "h1", inc))
                .extracting(Decision::outcome, Decision::conflict).containsExactly(APPLY_INCOMING, true);
        assertThat(r.decide(ConflictStrategy.DESTINATION_WINS, "h0", "h2", cur, "h1", inc))
                .extracting(Decision::outcome, Decision::conflict).containsExactly(KEEP_CURRENT, true);
        assertThat(r.decide(ConflictStrategy.MANUAL, "h0", "h2", cur, "h1", inc))
                .extracting(Decision::outcome, Decision::conflict).containsExactly(PARK, true);
    }

    @Test
    void latestWins() {
        assertThat(latest("2025-06-02T00:00:00Z", "2025-06-01T00:00:00Z")).isEqualTo(KEEP_CURRENT);
        assertThat(latest("2025-06-01T00:00:00Z", "2025-06-02T00:00:00Z")).isEqualTo(APPLY_INCOMING);
        assertThat(latest("2025-06-01T00:00:00Z", "2025-06-01T00:00:00Z")).isEqualTo(APPLY_INCOMING);
        assertThat(latest(null, "2025-06-01T00:00:00Z")).isEqualTo(APPLY_INCOMING);
        assertThat(latest("2025-06-01T00:00:00Z", null)).isEqualTo(KEEP_CURRENT);
        assertThat(latest(null, null)).isEqualTo(APPLY_INCOMING);
    }

    private Decision.Outcome latest(String current, String incoming) {
        Decision d = r.decide(ConflictStrategy.LATEST_WINS, "h0", "h2", ev(B, current), "h1", ev(A, incoming));
        assertThat(d.conflict()).isTrue();
        return d.outcome();
    }

    @Test
    void parse() {
        assertThat(ConflictStrategy.parse("latest_wins")).isEqualTo(ConflictStrategy.LATEST_WINS);
        assertThat(ConflictStrategy.parse(" Source-Wins ")).isEqualTo(ConflictStrategy.SOURCE_WINS);
        assertThat(ConflictStrategy.parse("DESTINATION_WINS")).isEqualTo(ConflictStrategy.DESTINATION_WINS);
        assertThat(ConflictStrategy.parse("manual")).isEqualTo(ConflictStrategy.MANUAL);
        assertThat(ConflictStrategy.MANUAL.wireName()).isEqualTo("manual");
        assertThatThrownBy(() -> ConflictStrategy.parse("newest")).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("latest_wins");
        assertThatThrownBy(() -> ConflictStrategy.parse(null)).isInstanceOf(IllegalArgumentException.class);
    }
}
