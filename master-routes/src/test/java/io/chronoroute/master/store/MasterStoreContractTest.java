package io.chronoroute.master.store;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.chronoroute.processors.sync.SetDigest;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The behaviour every {@link MasterStore} implementation must show. Subclasses provide a fresh, empty store per test
 * and a way to close and reopen it on the same data.
 */
public abstract class MasterStoreContractTest {

    private static final Logger LOG = LoggerFactory.getLogger(MasterStoreContractTest.class);
    protected static final Instant T0 = Instant.parse("2025-06-10T09:00:00Z");

    protected MasterStore store;

    /** A new, empty store. */
    protected abstract MasterStore newStore();

    /** Closes {@code current} and opens the same data again. */
    protected abstract MasterStore reopen(MasterStore current);

    @BeforeEach
    void openStore() {
        store = newStore();
    }

    @AfterEach
    void closeStore() {
        if (store != null) {
            store.close();
        }
    }

    // ------------------------------------------------------------------ fixtures

    protected static AgentRecord agent(String id) {
        return new AgentRecord(id, "Agent " + id, "office", "python", "ab".repeat(32), false, T0, T0, T0, "active",
                0, 15, List.of("calendar_sync"), Map.of("time_zone", "Europe/Berlin", "version", "2.0"),
                Map.of("cpu_percent", 1.5));
    }

    protected static Observation obs(String agentId, String syncKey, String hash) {
        return new Observation(agentId, syncKey, "ident-" + syncKey, hash, "{\"uid\":\"" + syncKey + "\"}");
    }

    protected static ConsolidatedEvent event(String identity, boolean deleted) {
        return new ConsolidatedEvent(identity, deleted ? null : "{\"uid\":\"" + identity + "\"}",
                deleted ? null : "hash-" + identity, deleted ? List.of() : List.of("a1/" + identity), 1, 0, T0,
                deleted, "a1/" + identity);
    }

    protected static AgentUpdate update(String agentId, String id, Instant created) {
        return new AgentUpdate(id, agentId, "event_update", Map.of("action", "create", "source", "cal"),
                AgentUpdate.PENDING, created, null, 0, null);
    }

    protected static AgentUpdate processed(AgentUpdate u, Instant at, String status) {
        return new AgentUpdate(u.id(), u.agentId(), u.type(), u.data(), status, u.createdAt(), at, u.attempts() + 1,
                null);
    }

    protected static Conflict conflict(String id, Instant created) {
        return new Conflict(id, "ident-" + id, "a1", "key-" + id, "{\"v\":1}", "{\"v\":2}", "manual", "OPEN", null,
                created, null);
    }

    protected static String digestOf(Map<String, String> hashes) {
        SetDigest d = SetDigest.empty();
        hashes.forEach(d::add);
        return d.toString();
    }

    private void applyObservations(String agentId, int from, int toExclusive, String hashPrefix) {
        ChangeSet cs = new ChangeSet();
        for (int i = from; i < toExclusive; i++) {
            cs.putObservations.add(obs(agentId, "k" + i, hashPrefix + i));
        }
        store.apply(cs);
    }

    // ------------------------------------------------------------------ agents

    @Test
    void agentsAreSavedFoundListedAndRoundTripEveryField() {
        assertThat(store.findAgent("a1")).isEmpty();
        AgentRecord a = agent("a1");
        store.saveAgent(a);
        store.saveAgent(agent("a2"));
        assertThat(store.findAgent("a1")).contains(a);
        assertThat(store.listAgents()).extracting(AgentRecord::id).containsExactlyInAnyOrder("a1", "a2");

        AgentRecord seen = a.seen(T0.plusSeconds(60), "busy", Map.of("events_processed", 7), 42);
        store.saveAgent(seen);
        assertThat(store.findAgent("a1")).contains(seen);
        assertThat(store.listAgents()).hasSize(2);
    }

    @Test
    void deleteAgentRemovesItsObservationsDigestAndUpdatesButNotOthers() {
        store.saveAgent(agent("a"));
        store.saveAgent(agent("ab"));
        applyObservations("a", 0, 5, "h");
        applyObservations("ab", 0, 3, "h");
        store.saveUpdate(update("a", "u1", T0));
        store.saveUpdate(processed(update("a", "u2", T0), T0, AgentUpdate.PROCESSED));
        store.saveUpdate(update("ab", "u3", T0));

        assertThat(store.deleteAgent("a")).isTrue();

        assertThat(store.findAgent("a")).isEmpty();
        assertThat(store.observationCount("a")).isZero();
        assertThat(store.observationHashes("a")).isEmpty();
        assertThat(store.agentDigest("a")).isEqualTo(SetDigest.empty().toString());
        assertThat(store.findUpdate("a", "u1")).isEmpty();
        assertThat(store.pendingUpdates("a")).isEmpty();
        assertThat(store.updateHistory("a", 10)).isEmpty();
        assertThat(store.findAgent("ab")).isPresent();
        assertThat(store.observationCount("ab")).isEqualTo(3);
        assertThat(store.pendingUpdates("ab")).extracting(AgentUpdate::id).containsExactly("u3");
        assertThat(store.deleteAgent("a")).isFalse();
        assertThat(store.deleteAgent("unknown")).isFalse();
    }

    // ------------------------------------------------------------------ observations

    @Test
    void applyStoresObservationsAndKeepsTheDigest() {
        applyObservations("a1", 0, 3, "h");
        assertThat(store.findObservation("a1", "k1")).contains(obs("a1", "k1", "h1"));
        assertThat(store.findObservation("a1", "nope")).isEmpty();
        assertThat(store.observationCount("a1")).isEqualTo(3);
        Map<String, String> hashes = store.observationHashes("a1");
        assertThat(hashes).containsExactlyInAnyOrderEntriesOf(Map.of("k0", "h0", "k1", "h1", "k2", "h2"));
        assertThat(store.agentDigest("a1")).isEqualTo(digestOf(hashes)).startsWith("3:");
        assertThat(store.agentDigest("other")).isEqualTo("0:" + "0".repeat(64));
    }

    @Test
    void replacingAndRemovingObservationsUpdatesDigestAndCount() {
        applyObservations("a1", 0, 4, "h");
        ChangeSet cs = new ChangeSet();
        cs.putObservations.add(obs("a1", "k1", "changed"));
        cs.putObservations.add(obs("a1", "k2", "h2"));
        cs.removeObservation("a1", "k3").removeObservation("a1", "never-stored");
        store.apply(cs);

        assertThat(store.observationCount("a1")).isEqualTo(3);
        assertThat(store.findObservation("a1", "k3")).isEmpty();
        assertThat(store.findObservation("a1", "k1")).map(Observation::contentHash).contains("changed");
        assertThat(store.agentDigest("a1"))
                .isEqualTo(digestOf(Map.of("k0", "h0", "k1", "changed", "k2", "h2")));

        ChangeSet all = new ChangeSet();
        for (String k : List.of("k0", "k1", "k2")) {
            all.removeObservation("a1", k);
        }
        store.apply(all);
        assertThat(store.observationCount("a1")).isZero();
        assertThat(store.agentDigest("a1")).isEqualTo(SetDigest.empty().toString());
    }

    @Test
    void forEachObservationStreamsExactlyTheAgentsObservations() {
        applyObservations("a", 0, 700, "h");
        applyObservations("ab", 0, 5, "x");
        applyObservations("0", 0, 5, "y");
        Set<String> seen = new HashSet<>();
        AtomicInteger calls = new AtomicInteger();
        store.forEachObservation("a", o -> {
            assertThat(o.agentId()).isEqualTo("a");
            seen.add(o.syncKey());
            calls.incrementAndGet();
        });
        assertThat(calls.get()).isEqualTo(700);
        assertThat(seen).hasSize(700);
        List<Observation> none = new ArrayList<>();
        store.forEachObservation("missing", none::add);
        assertThat(none).isEmpty();
    }

    // ------------------------------------------------------------------ consolidated + change log

    @Test
    void consolidatedEventsGetAChangeSequenceAndAreFound() {
        ChangeSet cs = new ChangeSet();
        cs.putConsolidated.add(event("e1", false));
        cs.putConsolidated.add(event("e2", false));
        store.apply(cs);

        ConsolidatedEvent e1 = store.findConsolidated("e1").orElseThrow();
        assertThat(e1.changeSeq()).isPositive();
        assertThat(e1.origins()).containsExactly("a1/e1");
        assertThat(e1.updatedAt()).isEqualTo(T0);
        assertThat(store.findConsolidated("e2").orElseThrow().changeSeq()).isGreaterThan(e1.changeSeq());
        assertThat(cs.putConsolidated.get(1)).isEqualTo(store.findConsolidated("e2").orElseThrow());
        assertThat(store.currentChangeSeq()).isEqualTo(store.findConsolidated("e2").orElseThrow().changeSeq());
        assertThat(store.findConsolidated("unknown")).isEmpty();
        assertThat(store.consolidatedCount()).isEqualTo(2);
    }

    @Test
    void tombstonesAreKeptButSkippedUnlessAskedFor() {
        ChangeSet cs = new ChangeSet();
        for (int i = 0; i < 300; i++) {
            cs.putConsolidated.add(event("e" + i, false));
        }
        store.apply(cs);
        ChangeSet del = new ChangeSet();
        del.putConsolidated.add(event("e7", true));
        store.apply(del);

        assertThat(store.findConsolidated("e7").orElseThrow().deleted()).isTrue();
        assertThat(store.consolidatedCount()).isEqualTo(299);
        List<String> live = new ArrayList<>();
        store.forEachConsolidated(false, e -> live.add(e.identity()));
        assertThat(live).hasSize(299).doesNotContain("e7").doesNotHaveDuplicates();
        AtomicInteger all = new AtomicInteger();
        store.forEachConsolidated(true, e -> all.incrementAndGet());
        assertThat(all.get()).isEqualTo(300);

        ChangeSet revive = new ChangeSet();
        revive.putConsolidated.add(event("e7", false));
        store.apply(revive);
        assertThat(store.consolidatedCount()).isEqualTo(300);
    }

    @Test
    void changeSequenceIsMonotonicAcrossApplies() {
        assertThat(store.currentChangeSeq()).isZero();
        long last = 0;
        for (int round = 0; round < 5; round++) {
            ChangeSet cs = new ChangeSet();
            cs.putConsolidated.add(event("same", false));
            cs.putConsolidated.add(event("r" + round, false));
            store.apply(cs);
            long now = store.currentChangeSeq();
            assertThat(now).isGreaterThan(last);
            last = now;
        }
        ChangeSet noConsolidated = new ChangeSet();
        noConsolidated.putObservations.add(obs("a1", "k", "h"));
        store.apply(noConsolidated);
        assertThat(store.currentChangeSeq()).isEqualTo(last);
    }

    @Test
    void changesSinceReturnsOneEntryPerIdentityOldestFirst() {
        for (String id : List.of("a", "b", "c")) {
            ChangeSet cs = new ChangeSet();
            cs.putConsolidated.add(event(id, false));
            store.apply(cs);
        }
        ChangeSet again = new ChangeSet();
        again.putConsolidated.add(event("a", false));
        store.apply(again);
        ChangeSet delete = new ChangeSet();
        delete.putConsolidated.add(event("b", true));
        store.apply(delete);

        List<ChangeEntry> all = store.changesSince(0, 100);
        assertThat(all).extracting(ChangeEntry::identity).containsExactly("c", "a", "b");
        assertThat(all).extracting(ChangeEntry::deleted).containsExactly(false, false, true);
        assertThat(all).extracting(ChangeEntry::seq).isSorted().doesNotHaveDuplicates();
        assertThat(all.get(2).seq()).isEqualTo(store.currentChangeSeq());
        assertThat(store.findConsolidated("a").orElseThrow().changeSeq()).isEqualTo(all.get(1).seq());
        assertThat(store.changesSince(store.currentChangeSeq(), 10)).isEmpty();
    }

    @Test
    void changesSinceHonoursLimitAndPagesWithoutGapsOrRepeats() {
        ChangeSet cs = new ChangeSet();
        for (int i = 0; i < 25; i++) {
            cs.putConsolidated.add(event("e" + i, false));
        }
        store.apply(cs);
        ChangeSet touch = new ChangeSet();
        touch.putConsolidated.add(event("e3", false));
        store.apply(touch);

        List<String> paged = new ArrayList<>();
        long after = 0;
        while (true) {
            List<ChangeEntry> page = store.changesSince(after, 7);
            assertThat(page.size()).isLessThanOrEqualTo(7);
            if (page.isEmpty()) {
                break;
            }
            page.forEach(e -> paged.add(e.identity()));
            after = page.get(page.size() - 1).seq();
        }
        assertThat(paged).hasSize(25).doesNotHaveDuplicates().endsWith("e3");
        assertThat(store.changesSince(0, 0)).isEmpty();
    }

    // ------------------------------------------------------------------ atomicity

    @Test
    void aChangeSetThatFailsValidationMidwayLeavesNothing() {
        store.saveAgent(agent("a1"));
        applyObservations("a1", 0, 2, "h");
        String digestBefore = store.agentDigest("a1");
        long seqBefore = store.currentChangeSeq();

        ChangeSet cs = new ChangeSet();
        cs.putAgent = agent("a1").seen(T0.plusSeconds(5), "changed", null, 99);
        cs.putObservations.add(obs("a1", "k5", "h5"));
        cs.putObservations.add(new Observation("a1", null, "ident", "h", "{}"));
        cs.removeObservation("a1", "k0");
        cs.putConsolidated.add(event("x", false));
        cs.putUpdates.add(update("a1", "u1", T0));
        cs.putConflicts.add(conflict("c1", T0));
        cs.activities.add(new Activity(T0, "a1", "heartbeat", "applied"));
        cs.addKey("batch", "a1-1");

        assertThatThrownBy(() -> store.apply(cs)).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("putObservations[1]");
        assertNothingFromFailedChangeSet(digestBefore, seqBefore);
    }

    @Test
    void aChangeSetWithAnUnstorableValueLeavesNothing() {
        store.saveAgent(agent("a1"));
        applyObservations("a1", 0, 2, "h");
        String digestBefore = store.agentDigest("a1");
        long seqBefore = store.currentChangeSeq();

        ChangeSet cs = new ChangeSet();
        cs.putAgent = agent("a1").seen(T0.plusSeconds(5), "changed", null, 99);
        cs.putObservations.add(obs("a1", "k5", "h5"));
        cs.removeObservation("a1", "k0");
        cs.putConsolidated.add(event("x", false));
        cs.putConflicts.add(conflict("c1", T0));
        cs.activities.add(new Activity(T0, "a1", "heartbeat", "applied"));
        cs.addKey("batch", "a1-1");
        Map<String, Object> data = new HashMap<>();
        data.put("not-json", new Object());
        cs.putUpdates.add(new AgentUpdate("u1", "a1", "event_update", data, AgentUpdate.PENDING, T0, null, 0, null));

        assertThatThrownBy(() -> store.apply(cs)).isInstanceOf(IllegalArgumentException.class);
        assertNothingFromFailedChangeSet(digestBefore, seqBefore);
    }

    private void assertNothingFromFailedChangeSet(String digestBefore, long seqBefore) {
        assertThat(store.findAgent("a1").orElseThrow().status()).isEqualTo("active");
        assertThat(store.findObservation("a1", "k5")).isEmpty();
        assertThat(store.findObservation("a1", "k0")).isPresent();
        assertThat(store.agentDigest("a1")).isEqualTo(digestBefore);
        assertThat(store.observationCount("a1")).isEqualTo(2);
        assertThat(store.findConsolidated("x")).isEmpty();
        assertThat(store.currentChangeSeq()).isEqualTo(seqBefore);
        assertThat(store.changesSince(seqBefore, 10)).isEmpty();
        assertThat(store.findUpdate("a1", "u1")).isEmpty();
        assertThat(store.findConflict("c1")).isEmpty();
        assertThat(store.recentActivity(10)).isEmpty();
        assertThat(store.containsKey("batch", "a1-1")).isFalse();
    }

    @Test
    @Timeout(value = 60, unit = TimeUnit.SECONDS)
    void readersNeverSeeHalfAnApply() throws Exception {
        int rounds = 150;
        int perRound = 4;
        AtomicBoolean done = new AtomicBoolean();
        CompletableFuture<Void> writer = CompletableFuture.runAsync(() -> {
            try {
                for (int r = 0; r < rounds; r++) {
                    ChangeSet cs = new ChangeSet();
                    for (int i = 0; i < perRound; i++) {
                        cs.putObservations.add(obs("a1", "k" + r + "-" + i, "h"));
                    }
                    store.apply(cs);
                }
            } finally {
                done.set(true);
            }
        });
        int reads = 0;
        while (!done.get() || reads == 0) {
            String digest = store.agentDigest("a1");
            long count = Long.parseLong(digest.substring(0, digest.indexOf(':')));
            assertThat(count % perRound).as("count seen by a reader").isZero();
            reads++;
        }
        writer.get(60, TimeUnit.SECONDS);
        assertThat(store.observationCount("a1")).isEqualTo((long) rounds * perRound);
        assertThat(store.agentDigest("a1")).isEqualTo(digestOf(store.observationHashes("a1")));
    }

    // ------------------------------------------------------------------ idempotency

    @Test
    void idempotencyKeysAreAddedOnceAndSeparatedByNamespace() {
        assertThat(store.containsKey("batch", "b1")).isFalse();
        assertThat(store.addKey("batch", "b1")).isTrue();
        assertThat(store.addKey("batch", "b1")).isFalse();
        assertThat(store.containsKey("batch", "b1")).isTrue();
        assertThat(store.containsKey("bundle", "b1")).isFalse();
        assertThat(store.addKey("bundle", "b1")).isTrue();
        assertThat(store.addKey("batch-x", "b1")).isTrue();

        assertThat(store.removeKey("batch", "b1")).isTrue();
        assertThat(store.removeKey("batch", "b1")).isFalse();
        assertThat(store.containsKey("batch", "b1")).isFalse();

        store.addKey("batch", "b2");
        store.addKey("batch", "b3");
        store.clearKeys("batch");
        assertThat(store.containsKey("batch", "b2")).isFalse();
        assertThat(store.containsKey("batch", "b3")).isFalse();
        assertThat(store.containsKey("bundle", "b1")).isTrue();
        assertThat(store.containsKey("batch-x", "b1")).isTrue();
    }

    @Test
    void idempotencyKeysInAChangeSetAreAppliedWithIt() {
        ChangeSet cs = new ChangeSet().addKey("batch", "a1-7");
        cs.putObservations.add(obs("a1", "k", "h"));
        assertThat(cs.isEmpty()).isFalse();
        store.apply(cs);
        assertThat(store.containsKey("batch", "a1-7")).isTrue();
        assertThat(store.addKey("batch", "a1-7")).isFalse();
        assertThat(new ChangeSet().isEmpty()).isTrue();
        store.apply(new ChangeSet());
    }

    // ------------------------------------------------------------------ updates

    @Test
    void pendingUpdatesAreOldestFirstAndLeaveWhenProcessed() {
        store.saveUpdate(update("a1", "u2", T0.plusSeconds(2)));
        store.saveUpdate(update("a1", "u1", T0.plusSeconds(1)));
        store.saveUpdate(update("a1", "u3", T0.plusSeconds(3)));
        store.saveUpdate(update("a2", "other", T0));
        assertThat(store.pendingUpdates("a1")).extracting(AgentUpdate::id).containsExactly("u1", "u2", "u3");

        AgentUpdate failed = new AgentUpdate("u2", "a1", "event_update", Map.of("action", "create"),
                AgentUpdate.PENDING, T0.plusSeconds(2), null, 1, "disk full");
        store.saveUpdate(failed);
        assertThat(store.findUpdate("a1", "u2")).contains(failed);
        assertThat(store.pendingUpdates("a1")).extracting(AgentUpdate::id).containsExactly("u1", "u2", "u3");

        store.saveUpdate(processed(store.findUpdate("a1", "u1").orElseThrow(), T0.plusSeconds(9),
                AgentUpdate.PROCESSED));
        store.saveUpdate(processed(store.findUpdate("a1", "u3").orElseThrow(), T0.plusSeconds(9),
                AgentUpdate.REJECTED));
        assertThat(store.pendingUpdates("a1")).extracting(AgentUpdate::id).containsExactly("u2");
        assertThat(store.findUpdate("a1", "u1").orElseThrow().status()).isEqualTo(AgentUpdate.PROCESSED);
        assertThat(store.findUpdate("a1", "u1").orElseThrow().processedAt()).isEqualTo(T0.plusSeconds(9));
        assertThat(store.findUpdate("a1", "missing")).isEmpty();
        assertThat(store.pendingUpdates("a2")).hasSize(1);
    }

    @Test
    void updateHistoryIsNewestFirstWithLimit() {
        for (int i = 0; i < 6; i++) {
            AgentUpdate u = update("a1", "u" + i, T0.plusSeconds(i));
            store.saveUpdate(i % 2 == 0 ? processed(u, T0.plusSeconds(10), AgentUpdate.PROCESSED) : u);
        }
        store.saveUpdate(update("a10", "x", T0.plusSeconds(100)));
        store.saveUpdate(update("a0", "y", T0.plusSeconds(100)));
        assertThat(store.updateHistory("a1", 10)).extracting(AgentUpdate::id)
                .containsExactly("u5", "u4", "u3", "u2", "u1", "u0");
        assertThat(store.updateHistory("a1", 2)).extracting(AgentUpdate::id).containsExactly("u5", "u4");
        assertThat(store.updateHistory("nobody", 5)).isEmpty();
    }

    @Test
    void purgeDeletesOnlyFinishedUpdatesProcessedBeforeTheCutoff() {
        AgentUpdate old = processed(update("a1", "old", T0), T0.plusSeconds(10), AgentUpdate.PROCESSED);
        AgentUpdate rejected = processed(update("a2", "rej", T0), T0.plusSeconds(20), AgentUpdate.REJECTED);
        AgentUpdate recent = processed(update("a1", "recent", T0), T0.plusSeconds(100), AgentUpdate.PROCESSED);
        AgentUpdate pending = update("a1", "pending", T0.minusSeconds(1000));
        ChangeSet cs = new ChangeSet();
        cs.putUpdates.addAll(List.of(old, rejected, recent, pending));
        store.apply(cs);

        assertThat(store.purgeUpdates(T0.plusSeconds(50))).isEqualTo(2);
        assertThat(store.findUpdate("a1", "old")).isEmpty();
        assertThat(store.findUpdate("a2", "rej")).isEmpty();
        assertThat(store.findUpdate("a1", "recent")).isPresent();
        assertThat(store.findUpdate("a1", "pending")).isPresent();
        assertThat(store.updateHistory("a1", 10)).extracting(AgentUpdate::id)
                .containsExactlyInAnyOrder("recent", "pending");
        assertThat(store.purgeUpdates(T0.plusSeconds(50))).isZero();
    }

    // ------------------------------------------------------------------ conflicts

    @Test
    void conflictsAreNewestFirstAndResolvingKeepsOneEntry() {
        store.saveConflict(conflict("c1", T0));
        store.saveConflict(conflict("c3", T0.plusSeconds(3)));
        ChangeSet cs = new ChangeSet();
        cs.putConflicts.add(conflict("c2", T0.plusSeconds(2)));
        store.apply(cs);
        assertThat(store.recentConflicts(10)).extracting(Conflict::id).containsExactly("c3", "c2", "c1");
        assertThat(store.recentConflicts(1)).extracting(Conflict::id).containsExactly("c3");

        Conflict c1 = store.findConflict("c1").orElseThrow();
        Conflict resolved = new Conflict(c1.id(), c1.identity(), c1.agentId(), c1.syncKey(), c1.currentJson(),
                c1.incomingJson(), c1.strategy(), "RESOLVED", "source_wins", c1.createdAt(), T0.plusSeconds(60));
        store.saveConflict(resolved);
        assertThat(store.findConflict("c1")).contains(resolved);
        assertThat(store.recentConflicts(10)).extracting(Conflict::id).containsExactly("c3", "c2", "c1");
        assertThat(store.findConflict("none")).isEmpty();
    }

    // ------------------------------------------------------------------ activity

    @Test
    void activityIsNewestFirstAndBoundedToTenThousand() {
        ChangeSet first = new ChangeSet();
        for (int i = 0; i < 6_000; i++) {
            first.activities.add(new Activity(T0.plusMillis(i), i % 2 == 0 ? "a1" : null, "heartbeat", "n" + i));
        }
        store.apply(first);
        assertThat(store.recentActivity(3)).extracting(Activity::message).containsExactly("n5999", "n5998", "n5997");
        ChangeSet second = new ChangeSet();
        for (int i = 6_000; i < 10_050; i++) {
            second.activities.add(new Activity(T0.plusMillis(i), "a2", "heartbeat", "n" + i));
        }
        store.apply(second);

        List<Activity> all = store.recentActivity(20_000);
        assertThat(all).hasSize(10_000);
        assertThat(all.get(0).message()).isEqualTo("n10049");
        assertThat(all.get(9_999).message()).isEqualTo("n50");
        assertThat(store.recentActivity(2).get(1)).isEqualTo(new Activity(T0.plusMillis(10_048), "a2", "heartbeat",
                "n10048"));
    }

    // ------------------------------------------------------------------ settings

    @Test
    void settingsArePutReadOverwrittenAndDeleted() {
        assertThat(store.getSetting("google.sync_token")).isEmpty();
        store.putSetting("google.sync_token", "t1");
        store.putSetting("other", "x");
        store.putSetting("google.sync_token", "t2");
        assertThat(store.getSetting("google.sync_token")).contains("t2");
        store.deleteSetting("google.sync_token");
        assertThat(store.getSetting("google.sync_token")).isEmpty();
        assertThat(store.getSetting("other")).contains("x");
        store.deleteSetting("never-set");
    }

    // ------------------------------------------------------------------ durability + volume

    @Test
    void reopeningKeepsEverything() {
        store.saveAgent(agent("a1"));
        ChangeSet cs = new ChangeSet().addKey("batch", "a1-1");
        cs.putObservations.add(obs("a1", "k1", "h1"));
        cs.putConsolidated.add(event("e1", false));
        cs.putUpdates.add(update("a1", "u1", T0));
        cs.putConflicts.add(conflict("c1", T0));
        cs.activities.add(new Activity(T0, "a1", "heartbeat", "hello"));
        store.apply(cs);
        store.putSetting("s", "v");
        String digest = store.agentDigest("a1");
        long seq = store.currentChangeSeq();

        store = reopen(store);

        assertThat(store.findAgent("a1")).contains(agent("a1"));
        assertThat(store.findObservation("a1", "k1")).contains(obs("a1", "k1", "h1"));
        assertThat(store.agentDigest("a1")).isEqualTo(digest);
        assertThat(store.findConsolidated("e1")).contains(cs.putConsolidated.get(0));
        assertThat(store.currentChangeSeq()).isEqualTo(seq);
        assertThat(store.changesSince(0, 10)).extracting(ChangeEntry::identity).containsExactly("e1");
        assertThat(store.pendingUpdates("a1")).extracting(AgentUpdate::id).containsExactly("u1");
        assertThat(store.findConflict("c1")).isPresent();
        assertThat(store.recentActivity(5)).extracting(Activity::message).containsExactly("hello");
        assertThat(store.containsKey("batch", "a1-1")).isTrue();
        assertThat(store.getSetting("s")).contains("v");

        ChangeSet next = new ChangeSet();
        next.putConsolidated.add(event("e2", false));
        store.apply(next);
        assertThat(store.currentChangeSeq()).isGreaterThan(seq);
    }

    /** Micro-check, not a timing assertion: the elapsed time is logged for the reader of the test report. */
    @Test
    void aTenThousandObservationChangeSetIsAppliedInOneStep() {
        ChangeSet cs = new ChangeSet();
        for (int i = 0; i < 10_000; i++) {
            String key = String.format("%032x", i);
            cs.putObservations.add(new Observation("big", key, "ident-" + i, "hash-" + i,
                    "{\"uid\":\"" + key + "\",\"title\":\"Meeting " + i + "\",\"start\":{\"date_time\":"
                            + "\"2025-06-10T09:00:00+02:00\",\"time_zone\":\"Europe/Berlin\"}}"));
            cs.putConsolidated.add(new ConsolidatedEvent("ident-" + i, "{\"uid\":\"" + key + "\"}", "hash-" + i,
                    List.of("big/" + key), 1, 0, T0, false, "big/" + key));
        }
        cs.addKey("batch", "big-1");
        long start = System.nanoTime();
        store.apply(cs);
        long applyMs = (System.nanoTime() - start) / 1_000_000;

        ChangeSet again = new ChangeSet();
        for (int i = 0; i < 10_000; i++) {
            String key = String.format("%032x", i);
            again.putObservations.add(new Observation("big", key, "ident-" + i, "hash2-" + i, "{}"));
        }
        start = System.nanoTime();
        store.apply(again);
        long replaceMs = (System.nanoTime() - start) / 1_000_000;
        LOG.info("{}: 10,000 new observations + consolidated applied in {} ms, 10,000 replaced in {} ms",
                getClass().getSimpleName(), applyMs, replaceMs);

        assertThat(store.observationCount("big")).isEqualTo(10_000);
        assertThat(store.consolidatedCount()).isEqualTo(10_000);
        assertThat(store.changesSince(0, 20_000)).hasSize(10_000);
        assertThat(store.agentDigest("big")).isEqualTo(digestOf(store.observationHashes("big")));
    }

    @Test
    void fencedSettingWritesAreRefusedFromAStaleEpochAndUnfencedOnesAlwaysApply() {
        assertThat(store.currentEpoch()).isZero();
        assertThat(store.advanceEpoch()).isEqualTo(1);
        assertThat(store.advanceEpoch()).isEqualTo(2);
        assertThat(store.advanceEpoch()).isEqualTo(3);
        assertThat(store.currentEpoch()).isEqualTo(3);

        store.putSetting("destination.g.state", "a", 3);
        assertThat(store.getSetting("destination.g.state")).contains("a");
        assertThatThrownBy(() -> store.putSetting("destination.g.state", "stale", 2))
                .isInstanceOfSatisfying(StaleEpochException.class, e -> {
                    assertThat(e.epoch()).isEqualTo(2);
                    assertThat(e.current()).isEqualTo(3);
                });
        assertThatThrownBy(() -> store.deleteSetting("destination.g.state", 2)).isInstanceOf(StaleEpochException.class);
        assertThat(store.getSetting("destination.g.state")).as("nothing written by a stale epoch").contains("a");

        assertThat(store.advanceEpoch()).isEqualTo(4);
        assertThatThrownBy(() -> store.putSetting("destination.g.state", "b", 3)).isInstanceOf(StaleEpochException.class);
        store.putSetting("destination.g.state", "unfenced", MasterStore.UNFENCED);
        assertThat(store.getSetting("destination.g.state")).contains("unfenced");
        store.deleteSetting("destination.g.state", 4);
        assertThat(store.getSetting("destination.g.state")).isEmpty();

        store = reopen(store);
        assertThat(store.currentEpoch()).as("the epoch is durable").isEqualTo(4);
    }

    // ------------------------------------------------------------------ paged reads of the consolidated calendar

    /** Walks the whole calendar in pages; returns the identities in walk order and checks every page's bounds. */
    protected List<String> walk(int maxEvents, long maxBytes, boolean includeDeleted) {
        List<String> seen = new ArrayList<>();
        String after = null;
        int pages = 0;
        do {
            ConsolidatedPage page = store.consolidatedPage(after, maxEvents, maxBytes, includeDeleted);
            assertThat(page.events().size()).isLessThanOrEqualTo(maxEvents);
            page.events().forEach(e -> seen.add(e.identity()));
            if (page.next() != null && !page.events().isEmpty()) {
                assertThat(page.next()).isGreaterThanOrEqualTo(page.events().get(page.events().size() - 1).identity());
            }
            after = page.next();
            assertThat(++pages).as("the walk ends").isLessThan(100_000);
        } while (after != null);
        return seen;
    }

    @Test
    void consolidatedPagesWalkEveryEventOnceInIdentityOrder() {
        assertThat(store.consolidatedPage(null, 10, 1 << 20, false)).isEqualTo(new ConsolidatedPage(List.of(), null));
        ChangeSet cs = new ChangeSet();
        List<String> live = new ArrayList<>();
        List<String> all = new ArrayList<>();
        for (int i = 0; i < 1_200; i++) {
            String id = String.format("id-%05d", i);
            boolean dead = i % 7 == 0;
            cs.putConsolidated.add(event(id, dead));
            all.add(id);
            if (!dead) {
                live.add(id);
            }
        }
        store.apply(cs);

        assertThat(walk(100, 1 << 20, false)).containsExactlyElementsOf(live);
        assertThat(walk(100, 1 << 20, true)).containsExactlyElementsOf(all);
        assertThat(walk(1, 1 << 20, false)).containsExactlyElementsOf(live);
        assertThat(walk(5_000, 1 << 20, false)).containsExactlyElementsOf(live);
        // the byte bound: pages end once their events hold maxBytes, after at least one event (tombstones are
        // skipped without being read: id-00000 is one)
        ConsolidatedPage one = store.consolidatedPage(null, 100, 1, false);
        assertThat(one.events()).extracting(ConsolidatedEvent::identity).containsExactly("id-00001");
        assertThat(one.next()).isEqualTo("id-00001");
        assertThat(walk(100, 1, false)).containsExactlyElementsOf(live);
        // forEachConsolidated is the same walk
        List<String> each = new ArrayList<>();
        store.forEachConsolidated(false, e -> each.add(e.identity()));
        assertThat(each).containsExactlyElementsOf(live);

        // after the last identity: nothing more
        assertThat(store.consolidatedPage("id-01199", 10, 1 << 20, true)).isEqualTo(new ConsolidatedPage(List.of(),
                null));
        // a cursor that is not an identity still continues in order
        assertThat(store.consolidatedPage("id-00001x", 2, 1 << 20, false).events())
                .extracting(ConsolidatedEvent::identity).containsExactly("id-00002", "id-00003");
        // a page looks at maxEvents identities, tombstones included (id-00007 is one)
        assertThat(store.consolidatedPage("id-00005", 2, 1 << 20, false))
                .isEqualTo(new ConsolidatedPage(List.of(store.findConsolidated("id-00006").orElseThrow()), "id-00007"));
    }

    @Test
    void aPagedWalkSeesEventsThatExistedThroughoutExactlyOnceWhileOthersChange() {
        ChangeSet cs = new ChangeSet();
        for (int i = 0; i < 300; i++) {
            cs.putConsolidated.add(event(String.format("id-%05d", i * 2), false));
        }
        store.apply(cs);
        List<String> seen = new ArrayList<>();
        String after = null;
        int round = 0;
        do {
            ConsolidatedPage page = store.consolidatedPage(after, 50, 1 << 20, false);
            page.events().forEach(e -> seen.add(e.identity()));
            after = page.next();
            // between pages: new events behind and ahead of the cursor, and rewrites of seen and unseen ones
            ChangeSet between = new ChangeSet();
            between.putConsolidated.add(event(String.format("id-%05d", round * 2 + 1), false));
            between.putConsolidated.add(event(String.format("id-%05d", 599 - round * 2), false));
            between.putConsolidated.add(event("id-00000", false));
            between.putConsolidated.add(event("id-00598", false));
            store.apply(between);
            round++;
        } while (after != null);
        assertThat(seen).doesNotHaveDuplicates().isSorted();
        for (int i = 0; i < 300; i++) {
            assertThat(seen).contains(String.format("id-%05d", i * 2));
        }
    }

    @Test
    void largeEventsComeOnePerPageWhenTheyExceedTheByteBound() {
        ChangeSet cs = new ChangeSet();
        String big = "x".repeat(300_000);
        for (int i = 0; i < 6; i++) {
            String id = "big-" + i;
            cs.putConsolidated.add(new ConsolidatedEvent(id, "{\"uid\":\"" + id + "\",\"description\":\"" + big
                    + "\"}", "hash-" + id, List.of("a1/" + id), 1, 0, T0, false, "a1/" + id));
        }
        store.apply(cs);
        ConsolidatedPage p = store.consolidatedPage(null, 100, 500_000, false);
        assertThat(p.events()).hasSize(2);
        assertThat(p.next()).isEqualTo("big-1");
        assertThat(walk(100, 500_000, false)).hasSize(6);
    }
}
