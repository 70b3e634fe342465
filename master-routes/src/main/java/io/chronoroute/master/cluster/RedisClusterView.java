package io.chronoroute.master.cluster;

import io.chronoroute.master.store.MasterStore;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import org.apache.camel.cluster.CamelClusterMember;
import org.apache.camel.support.cluster.AbstractCamelClusterView;
import org.redisson.api.RBucket;
import org.redisson.api.RLock;
import org.redisson.api.RedissonClient;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One election (namespace) of {@link RedisClusterService}. A single thread owns the Redisson lock (locks belong to a
 * thread): every {@code interval} a follower tries to take it without waiting, and the leader checks it still holds
 * it. On taking it the new leader starts a term: a new epoch in the store, then its id, epoch and start time under
 * {@code <prefix>leader} for the other masters to show, then the leadership event. Losing it (lease expired while
 * paused, Redis unreachable) ends the term at once. Leadership events go out on their own thread, so stopping a route
 * that is finishing a run never delays the lock checks.
 *
 * <p>Redis keys: {@code <prefix>lock} (the Redisson lock), {@code <prefix>leader} ("id TAB epoch TAB since-millis").
 */
final class RedisClusterView extends AbstractCamelClusterView {

    private static final Logger LOG = LoggerFactory.getLogger(RedisClusterView.class);

    private final RedisClusterService service;
    private final String localId;
    private final String keyPrefix;
    private RLock lock;
    private RBucket<String> leaderInfo;
    private final MasterStore store;
    private final Duration interval;
    private final Clock clock;
    private volatile ExecutorService events;
    private volatile boolean running;
    private volatile Thread loop;
    private volatile long epoch = Leadership.NOT_LEADER;
    private volatile Instant since;
    private volatile LeaderInfo known;

    private record LeaderInfo(String id, long epoch, Instant since) {

        static LeaderInfo parse(String s) {
            if (s == null) {
                return null;
            }
            String[] p = s.split("\t");
            if (p.length != 3) {
                return null;
            }
            try {
                return new LeaderInfo(p[0], Long.parseLong(p[1]), Instant.ofEpochMilli(Long.parseLong(p[2])));
            } catch (NumberFormatException e) {
                return null;
            }
        }

        String format() {
            return id + "\t" + epoch + "\t" + since.toEpochMilli();
        }
    }

    private final class Member implements CamelClusterMember {
        private final String id;

        Member(String id) {
            this.id = id;
        }

        @Override
        public boolean isLeader() {
            return id.equals(localId) ? epoch != Leadership.NOT_LEADER : known != null && id.equals(known.id());
        }

        @Override
        public boolean isLocal() {
            return id.equals(localId);
        }

        @Override
        public String getId() {
            return id;
        }

        @Override
        public String toString() {
            return "Member[" + id + "]";
        }
    }

    RedisClusterView(RedisClusterService service, String namespace, String keyPrefix, MasterStore store,
                     Duration interval, Clock clock) {
        super(service, namespace);
        this.service = service;
        this.localId = service.getId();
        this.keyPrefix = keyPrefix;
        this.store = store;
        this.interval = interval;
        this.clock = clock;
    }

    long writeEpoch() {
        return epoch;
    }

    ClusterStatus status(long leaseMillis) {
        long e = epoch;
        long storeEpoch = store.currentEpoch();
        if (e != Leadership.NOT_LEADER) {
            return new ClusterStatus(true, localId, getNamespace(), true, localId, e, since, leaseMillis, storeEpoch);
        }
        LeaderInfo k = known;
        return new ClusterStatus(true, localId, getNamespace(), false, k == null ? null : k.id(),
                k == null ? 0 : k.epoch(), k == null ? null : k.since(), leaseMillis, storeEpoch);
    }

    @Override
    public CamelClusterMember getLocalMember() {
        return new Member(localId);
    }

    @Override
    public List<CamelClusterMember> getMembers() {
        List<CamelClusterMember> out = new ArrayList<>();
        out.add(getLocalMember());
        LeaderInfo k = known;
        if (k != null && !k.id().equals(localId)) {
            out.add(new Member(k.id()));
        }
        return out;
    }

    @Override
    public Optional<CamelClusterMember> getLeader() {
        if (epoch != Leadership.NOT_LEADER) {
            return Optional.of(getLocalMember());
        }
        LeaderInfo k = known;
        return k == null ? Optional.empty() : Optional.of(new Member(k.id()));
    }

    @Override
    protected void doStart() {
        RedissonClient redisson = service.redisson();
        lock = redisson.getLock(keyPrefix + "lock");
        leaderInfo = redisson.getBucket(keyPrefix + "leader");
        events = Executors.newSingleThreadExecutor(r -> {
            Thread t = new Thread(r, "chronoroute-cluster-events-" + getNamespace());
            t.setDaemon(true);
            return t;
        });
        running = true;
        Thread t = new Thread(this::run, "chronoroute-cluster-" + getNamespace());
        t.setDaemon(true);
        loop = t;
        t.start();
    }

    @Override
    protected void doStop() throws InterruptedException {
        running = false;
        Thread t = loop;
        if (t != null) {
            t.interrupt();
            t.join(interval.toMillis() * 5 + 5000);
        }
        events.shutdown();
        events.awaitTermination(30, TimeUnit.SECONDS);
    }

    private void run() {
        LOG.info("cluster {}: master {} joins the election (every {} ms)", getNamespace(), localId, interval.toMillis());
        while (running) {
            try {
                if (epoch == Leadership.NOT_LEADER) {
                    tryToLead();
                } else {
                    checkStillLeading();
                }
            } catch (RuntimeException e) {
                LOG.warn("cluster {}: election step failed: {}", getNamespace(), e.toString());
                if (epoch != Leadership.NOT_LEADER) {
                    lost("cannot check the lock: " + e.getMessage());
                }
            }
            try {
                Thread.sleep(interval.toMillis());
            } catch (InterruptedException e) {
                break;
            }
        }
        resign();
    }

    private void tryToLead() {
        boolean taken;
        try {
            taken = lock.tryLock(0, TimeUnit.MILLISECONDS); // leaseTime unset: Redisson's watchdog renews it
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return;
        }
        if (!taken) {
            LeaderInfo current = lock.isLocked() ? LeaderInfo.parse(leaderInfo.get()) : null;
            LeaderInfo before = known;
            known = current;
            if (!sameLeader(before, current)) {
                LOG.info("cluster {}: leader is now {}", getNamespace(), current == null ? "unknown" : current.id());
                Optional<CamelClusterMember> leader = current == null ? Optional.empty()
                        : Optional.of(new Member(current.id()));
                events.execute(() -> fireLeadershipChangedEvent(leader));
            }
            return;
        }
        long e;
        Instant now = clock.instant();
        LeaderInfo mine;
        try {
            e = store.advanceEpoch();
            mine = new LeaderInfo(localId, e, now);
            leaderInfo.set(mine.format());
        } catch (RuntimeException failed) {
            lock.unlock(); // no term without an epoch: let the next attempt (here or elsewhere) start over
            throw failed;
        }
        known = mine;
        since = now;
        epoch = e;
        LOG.info("cluster {}: master {} leads (epoch {})", getNamespace(), localId, e);
        CamelClusterMember me = getLocalMember();
        events.execute(() -> fireLeadershipChangedEvent(me));
    }

    private void checkStillLeading() {
        if (!lock.isHeldByCurrentThread()) {
            lost("the lock expired or was taken over");
        }
    }

    private void lost(String why) {
        long was = epoch;
        epoch = Leadership.NOT_LEADER;
        since = null;
        known = null;
        LOG.warn("cluster {}: master {} no longer leads (epoch {}): {}", getNamespace(), localId, was, why);
        events.execute(() -> fireLeadershipChangedEvent(Optional.empty()));
    }

    /** Graceful stop: hand the lock over at once instead of after the lease. */
    private void resign() {
        if (epoch == Leadership.NOT_LEADER) {
            return;
        }
        long was = epoch;
        epoch = Leadership.NOT_LEADER;
        events.execute(() -> fireLeadershipChangedEvent(Optional.empty()));
        Thread.interrupted(); // the stop interrupted the loop: the unlock below must still go out
        try {
            if (lock.isHeldByCurrentThread()) {
                lock.unlock();
            }
            LOG.info("cluster {}: master {} resigned (epoch {})", getNamespace(), localId, was);
        } catch (RuntimeException e) {
            LOG.warn("cluster {}: could not release the lock (it expires after the lease): {}", getNamespace(),
                    e.toString());
        }
    }

    private static boolean sameLeader(LeaderInfo a, LeaderInfo b) {
        return a == null ? b == null : b != null && a.id().equals(b.id()) && a.epoch() == b.epoch();
    }
}
