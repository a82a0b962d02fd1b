package io.baton.admin.durability;

import io.baton.admin.config.BatonConfig;
import io.baton.admin.failover.AckedWrites;
import io.baton.admin.topology.GtidSet;
import io.baton.admin.topology.MariaDbGtids;
import io.baton.admin.topology.ReplicaStatus;
import io.baton.admin.topology.ServerConnection;
import io.baton.dialect.Dialect;
import io.baton.proxy.CommitAcks;
import java.sql.SQLException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * durability.mode replica: holds each commit's OK until {@code durability.replicas} servers other than the
 * one that committed it have its GTID. With durability.acknowledge received (the default) a server that reports
 * what it received (MySQL with performance_schema: {@code replication_connection_status.RECEIVED_TRANSACTION_SET})
 * is asked that, for everything pending at once, until it has them; otherwise one waiter thread per server asks,
 * for everything pending at once, {@code WAIT_FOR_EXECUTED_GTID_SET} (MySQL) or {@code MASTER_GTID_WAIT} (MariaDB).
 * Either way the commits that arrive while a question runs are covered by the next one, as group commit batches
 * fsyncs, so there is never one query per commit. A sweeper applies durability.timeout and durability.onTimeout.
 */
public final class ReplicaAcks implements CommitAcks, AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(ReplicaAcks.class);
    private static final long SWEEP_MILLIS = 10;
    /** A commit that waited this long is waited for by every server, not only the fastest. */
    private static final long HEDGE_NANOS = 2_000_000;
    /** Waits in flight per server at most. */
    private static final int LANES = 2;
    /** What a failed or timed-out wait counts as, for the ranking. */
    private static final long SLOW_NANOS = 1_000_000_000;
    /**
     * Pause between two reads of a received set that acknowledged nothing: a commit's events are on their way to
     * the replica when its OK reaches Baton, so the next read a tenth of a millisecond later usually finds them.
     * The pause grows with the age of the newest commit asked for (a tenth of it, at most {@link #MAX_POLL_NANOS}):
     * a replica that stopped receiving is not read in a tight loop.
     */
    private static final long POLL_NANOS = 100_000;
    private static final long MAX_POLL_NANOS = 20_000_000;
    /** How often a replica that acknowledges on receipt is checked for an applier able to apply what it received. */
    private static final long APPLIER_CHECK_NANOS = 100_000_000;
    private static final String NO_SOURCE = "replicates from nobody";
    /**
     * A commit not in the received set this long is also looked for in the executed set (a second query): a transaction
     * applied before a repoint reset the relay log is in no received set; every other one shows there within a
     * millisecond or two, so the second query is rare.
     */
    private static final long EXECUTED_TOO_NANOS = 20_000_000;
    /** The default channel's: the one Baton configures and a failover drains (a named channel's relay log is not). */
    static final String RECEIVED_SET = "SELECT RECEIVED_TRANSACTION_SET FROM performance_schema.replication_connection_status"
            + " WHERE CHANNEL_NAME = ''";

    private final BatonConfig config;
    private final Object lock = new Object();
    /** Commits whose OK is held, oldest first; guarded by {@link #lock}. */
    private final List<Pending> pending = new ArrayList<>();
    private final Map<String, Waiter> waiters = new LinkedHashMap<>();
    private final ScheduledExecutorService sweeper;
    private volatile boolean closed;
    /** The server Baton routes to now (null: unknown). */
    private volatile java.util.function.Supplier<String> routed = () -> null;
    /** The server the latest commit came from (the source); guarded by {@link #lock}. */
    private String lastOrigin;

    /** The GTIDs of the OKs released: what a failover's candidate must hold. */
    private final ReleasedCommits released = new ReleasedCommits();

    private final AtomicLong acknowledged = new AtomicLong();
    /** Questions asked of the servers (waits, reads of a received set): acknowledged / questions is the batching. */
    private final AtomicLong questions = new AtomicLong();
    private final AtomicLong timeouts = new AtomicLong();
    private final AtomicLong fallbacks = new AtomicLong();
    private final AtomicLong unknown = new AtomicLong();
    /** True from a fallback (onTimeout async) until a commit is acknowledged in time again: the health flag. */
    private volatile boolean degraded;
    private volatile boolean holdingTooLong;

    /** A commit whose OK waits. */
    static final class Pending {
        final String origin;
        final String gtid;
        final long t0 = System.nanoTime();
        final CompletableFuture<Outcome> result = new CompletableFuture<>();
        final Set<String> ackedBy = new HashSet<>(4);
        /** Servers with a wait in flight that covers this commit (one of their lanes). */
        final Set<String> claimedBy = new HashSet<>(4);
        boolean timedOut;
        /** The GTID parsed, once a received set is compared (MySQL). */
        GtidSet parsed;
        /** When Baton first routed elsewhere than where it committed (0: not yet): a failover or switchover. */
        long orphanedAt;

        Pending(String origin, String gtid) {
            this.origin = origin;
            this.gtid = gtid;
        }
    }

    public ReplicaAcks(BatonConfig config) {
        this.config = config;
        for (BatonConfig.Server s : config.servers) {
            if (!s.neverPromote) { // a commit only a never-promote server has is lost when another one is promoted
                waiters.put(s.name, new Waiter(s));
            }
        }
        sweeper = new ScheduledThreadPoolExecutor(1, r -> {
            Thread t = new Thread(r, "baton-durability-sweeper");
            t.setDaemon(true);
            return t;
        });
    }

    /** Where Baton routes now: a commit made on a server no longer routed is decided within durability.timeout. */
    public ReplicaAcks routedBy(java.util.function.Supplier<String> source) {
        this.routed = source;
        return this;
    }

    public ReplicaAcks start() {
        waiters.values().forEach(w -> w.threads.forEach(Thread::start));
        sweeper.scheduleWithFixedDelay(this::sweep, SWEEP_MILLIS, SWEEP_MILLIS, TimeUnit.MILLISECONDS);
        log.info("durability.mode replica: a commit's OK waits until {} replica(s) {} it (timeout {} ms, onTimeout {})",
                config.durability.replicas, config.durability.onReceipt() ? "received" : "executed",
                config.durability.timeout.toMillis(), config.durability.onTimeout);
        return this;
    }

    @Override
    public CompletableFuture<Outcome> acknowledged(String server, String gtid) {
        Pending p = new Pending(server, gtid.trim());
        if (!readable(p)) {
            return unreadable(p);
        }
        synchronized (lock) {
            if (closed) {
                p.result.complete(Outcome.UNKNOWN);
                return p.result;
            }
            pending.add(p);
            lastOrigin = p.origin;
        }
        for (Waiter w : waiters.values()) {
            if (!w.server.name.equals(p.origin)) {
                w.wake();
            }
        }
        return p.result;
    }

    // ------------------------------------------------------------------ waiters

    /**
     * One server's waiter: waits for everything pending that it has not acknowledged yet, in one query, on
     * {@link #LANES} connections: while one wait runs, the commits that arrive meanwhile start the next on
     * another instead of queueing behind it.
     */
    private final class Waiter {
        final BatonConfig.Server server;
        final List<Thread> threads = new ArrayList<>();
        volatile long lastAckNanos;
        volatile String lastError;
        /** Smoothed time of its recent successful waits, in ns; a failed wait counts as very slow. */
        volatile long ewmaNanos = 1_000_000;
        /** Among the durability.replicas fastest servers: waits as soon as a commit is pending. */
        volatile boolean primary = true;
        /**
         * It reports what it received (durability.acknowledge received, MySQL, performance_schema on): its first lane
         * reads that set, the others rest (a read sees every commit at once; a second reader would double the queries).
         */
        volatile boolean reportsReceipt;
        /** The first lane has connected once and set {@link #reportsReceipt}; until then the other lanes take nothing. */
        volatile boolean modeKnown;
        /**
         * Why what it received does not count now (null: it counts): its applier stopped on an error, applies with a
         * delay, or lags more than half of failover.applyTimeout; a failover would leave it out before its relay
         * log is applied, so only what it executed counts. Checked every {@link #APPLIER_CHECK_NANOS}.
         */
        volatile String applierUnfit;
        private long applierCheckedAt;

        /** Set (under {@link #signal}) when a commit it may acknowledge arrives; a lane that finds it set does not sleep. */
        final Object signal = new Object();
        boolean signalled;

        Waiter(BatonConfig.Server server) {
            this.server = server;
            for (int i = 1; i <= LANES; i++) {
                int lane = i;
                Thread t = new Thread(() -> run(lane), "baton-durability-" + server.name + "-" + i);
                t.setDaemon(true);
                t.setUncaughtExceptionHandler((th, e) -> {
                    lastError = "its waiter stopped: " + e;
                    log.error("durability: {} stopped: the replica {} no longer acknowledges commits", th.getName(),
                            server.name, e);
                });
                threads.add(t);
            }
        }

        private void run(int lane) {
            ServerConnection conn = null;
            while (!closed) {
                if (lane > 1 && (reportsReceipt || !modeKnown)) {
                    pause(modeKnown ? 200 : 50); // the first lane reads the received set for all; this one looks again later
                    continue;
                }
                List<Pending> mine;
                long sleep;
                synchronized (lock) {
                    mine = waitingFor();
                    for (Pending p : mine) {
                        p.claimedBy.add(server.name);
                    }
                    sleep = Math.max(1, nextHedgeMillis());
                }
                if (mine.isEmpty()) {
                    // Woken only by a commit this server may acknowledge (not every lane of every server per commit).
                    synchronized (signal) {
                        try {
                            if (!signalled && !closed) {
                                signal.wait(sleep);
                            }
                        } catch (InterruptedException e) {
                            break;
                        }
                        signalled = false;
                    }
                    continue;
                }
                if (closed) {
                    unclaim(mine);
                    break;
                }
                try {
                    if (conn == null || !conn.isOpen()) {
                        conn = ServerConnection.open(config, server, config.monitor.connectTimeout,
                                config.durability.timeout.plus(config.monitor.queryTimeout).plusSeconds(1));
                        if (lane == 1) {
                            reportsReceipt = reportsReceipt(conn);
                            applierCheckedAt = 0;
                            modeKnown = true;
                        }
                    }
                    Dialect d = conn.dialect();
                    if (reportsReceipt) {
                        if (lane == 1) {
                            readReceived(conn, mine);
                        }
                        continue;
                    }
                    String target = target(mine, d == Dialect.MARIADB);
                    if (target.isEmpty()) {
                        continue;
                    }
                    int seconds = (int) Math.max(1, (config.durability.timeout.toMillis() + 999) / 1000);
                    long q0 = System.nanoTime();
                    questions.incrementAndGet();
                    String r = conn.scalar(d.waitForGtids(target, seconds));
                    if (d.gtidWaitReached(r) && d == Dialect.MARIADB) {
                        // MASTER_GTID_WAIT compares sequence numbers per domain only: after a failover the new source's
                        // own commits reach the same numbers. The binlog state says which server's commits it has.
                        List<Pending> has = applied(mine, MariaDbGtids.parse(conn.scalar("SELECT @@GLOBAL.gtid_binlog_state")));
                        if (has.isEmpty()) {
                            pause(5); // the numbers match, not the commits: they are not there (yet)
                        } else {
                            lastAckNanos = System.nanoTime();
                            lastError = null;
                            observe(this, lastAckNanos - q0);
                            acked(server.name, has);
                        }
                    } else if (d.gtidWaitReached(r)) {
                        lastAckNanos = System.nanoTime();
                        lastError = null;
                        observe(this, lastAckNanos - q0);
                        acked(server.name, mine);
                    } else {
                        lastError = "had not executed them within durability.timeout";
                        observe(this, SLOW_NANOS);
                        // One commit that never comes (made on a source lost before sending it) must not hold up the
                        // others: those the server has are acknowledged now.
                        List<Pending> has = present(conn, d, mine);
                        if (!has.isEmpty()) {
                            lastAckNanos = System.nanoTime();
                            acked(server.name, has);
                        }
                    }
                    if (r == null) {
                        lastError = "the GTID wait returned NULL";
                        pause(50);
                    }
                } catch (SQLException | RuntimeException e) {
                    lastError = e.getMessage();
                    observe(this, SLOW_NANOS);
                    if (conn != null) {
                        conn.close();
                        conn = null;
                    }
                    pause(200); // a lost server: try again, without spinning
                } finally {
                    unclaim(mine);
                }
            }
            if (conn != null) {
                conn.close();
            }
        }

        /**
         * One read of what the server received (and, for a commit not in it after {@link #EXECUTED_TOO_NANOS} or while
         * its applier is unfit, of what it executed: a transaction applied before its relay log was reset by a repoint
         * is in no received set);
         * acknowledges the commits of {@code mine} it holds. The relay log holds only whole transactions: the
         * received set names a transaction once its last event is written, and a failover applies the relay log
         * before it compares its candidate (docs/durability.md).
         */
        private void readReceived(ServerConnection conn, List<Pending> mine) throws SQLException {
            long now = System.nanoTime();
            if (applierCheckedAt == 0 || now - applierCheckedAt >= APPLIER_CHECK_NANOS) {
                applierCheckedAt = now;
                questions.incrementAndGet();
                String unfit = applierUnfit(conn);
                boolean source = unfit != null && unfit.equals(NO_SOURCE); // a promoted server: nothing to warn of
                if (unfit != null && !source && !unfit.equals(applierUnfit)) {
                    log.warn("durability: {} {}: until it can, only the commits it executed count as acknowledged",
                            server.name, unfit);
                } else if (unfit == null && applierUnfit != null) {
                    log.info("durability: {} applies again: the commits it received count as acknowledged", server.name);
                }
                applierUnfit = unfit;
            }
            GtidSet has = GtidSet.EMPTY;
            if (applierUnfit == null) {
                for (Map<String, String> row : conn.rows(RECEIVED_SET, 1)) {
                    has = GtidSet.parse(row.get("RECEIVED_TRANSACTION_SET"));
                }
                questions.incrementAndGet();
            }
            List<Pending> got = holding(mine, has);
            now = System.nanoTime();
            long waited = oldestWithout(mine, got, now);
            if (waited >= EXECUTED_TOO_NANOS || applierUnfit != null) {
                questions.incrementAndGet();
                got = holding(mine, has.union(GtidSet.parse(conn.scalar("SELECT @@GLOBAL.gtid_executed"))));
                waited = oldestWithout(mine, got, now);
            }
            if (!got.isEmpty()) {
                lastAckNanos = now;
                lastError = null;
                observe(this, now - got.get(0).t0);
                acked(server.name, got);
            }
            if (waited >= config.durability.timeout.toNanos()) {
                lastError = applierUnfit != null ? applierUnfit : "had not received them within durability.timeout";
                observe(this, SLOW_NANOS);
            } else if (waited >= HEDGE_NANOS) {
                observe(this, waited);
            }
            if (got.isEmpty()) {
                long newest = now - mine.get(mine.size() - 1).t0;
                LockSupport.parkNanos(Math.min(MAX_POLL_NANOS, Math.max(POLL_NANOS, newest / 10)));
            }
        }

        /**
         * Why the server's received transactions would not reach a failover's candidate check, or null: the failover
         * applies each replica's relay log first, and leaves out one whose applier stopped on an error or does not
         * finish within failover.applyTimeout (an applier stopped cleanly is started by the failover).
         */
        private String applierUnfit(ServerConnection conn) throws SQLException {
            Dialect d = conn.dialect();
            Map<String, String> row = conn.row(d.showReplicaStatus());
            ReplicaStatus st = ReplicaStatus.of(d, row);
            if (st == null) {
                return NO_SOURCE;
            }
            if (!st.sqlThreadRunning() && st.lastSqlErrno() != 0) {
                return "has an applier stopped on error " + st.lastSqlErrno();
            }
            String delay = row.get("SQL_Delay");
            if (delay != null && !delay.equals("0")) {
                return "applies with a delay of " + delay + " s";
            }
            long behindMillis = st.secondsBehind() == null ? 0 : st.secondsBehind() * 1000;
            if (behindMillis > config.failover.applyTimeout.toMillis() / 2) {
                return "applies " + st.secondsBehind() + " s behind its source (more than half of failover.applyTimeout)";
            }
            return null;
        }

        void wake() {
            synchronized (signal) {
                signalled = true;
                if (reportsReceipt) {
                    signal.notifyAll(); // the resting lane must not take the signal meant for the reading one
                } else {
                    signal.notify();
                }
            }
        }

        /** Its wait for {@code mine} ended: what it did not acknowledge may be waited for again. */
        private void unclaim(List<Pending> mine) {
            synchronized (lock) {
                for (Pending p : mine) {
                    p.claimedBy.remove(server.name);
                }
            }
        }

        /**
         * Pending commits made elsewhere that this server has not acknowledged; under the lock. The fastest
         * {@code durability.replicas} servers wait at once; the others join for a commit only once it has
         * waited {@link #HEDGE_NANOS} (a slow or lost fast server): on few cores, a wait per replica per batch
         * would cost more than it gains.
         */
        private List<Pending> waitingFor() {
            boolean first = primary;
            long now = System.nanoTime();
            List<Pending> out = new ArrayList<>();
            for (Pending p : pending) {
                if (!p.origin.equals(server.name) && !p.ackedBy.contains(server.name)
                        && !p.claimedBy.contains(server.name) && (first || now - p.t0 >= HEDGE_NANOS)) {
                    out.add(p);
                }
            }
            return out;
        }

        /**
         * How long a lane may sleep before a pending commit needs it; under the lock. Only commits it could still take
         * count: one its other lane waits for, or that it acknowledged already, wakes nobody (a new commit does).
         */
        private long nextHedgeMillis() {
            if (primary) {
                return 200;
            }
            long now = System.nanoTime();
            long next = 200;
            for (Pending p : pending) {
                if (!p.origin.equals(server.name) && !p.ackedBy.contains(server.name)
                        && !p.claimedBy.contains(server.name)) {
                    next = Math.min(next, Math.max(1, (HEDGE_NANOS - (now - p.t0)) / 1_000_000));
                }
            }
            return next;
        }
    }

    /** Whether the server can say what it received: durability.acknowledge received, MySQL, performance_schema on. */
    private boolean reportsReceipt(ServerConnection conn) throws SQLException {
        if (!config.durability.onReceipt()) {
            return false;
        }
        String cannot = conn.dialect() == Dialect.MARIADB ? "MariaDB"
                : "1".equals(conn.scalar("SELECT @@GLOBAL.performance_schema")) ? null : "performance_schema is off";
        if (cannot == null) {
            try {
                conn.rows(RECEIVED_SET, 1);
            } catch (SQLException e) { // the monitor user may not read performance_schema
                cannot = "reading performance_schema.replication_connection_status failed: " + e.getMessage();
            }
        }
        if (cannot != null) {
            log.info("durability: {} cannot report the commits it received ({}): it acknowledges those it executed",
                    conn.name(), cannot);
        }
        return cannot == null;
    }

    /** Whether {@code p}'s GTID reads as one ({@code uuid[:tag]:n} or MariaDB {@code domain-server-seq}); parsed then. */
    private static boolean readable(Pending p) {
        try {
            if (p.gtid.indexOf(':') >= 0) {
                p.parsed = GtidSet.parse(p.gtid);
                return !p.parsed.isEmpty();
            }
            return !MariaDbGtids.parse(p.gtid).isEmpty();
        } catch (IllegalArgumentException e) {
            return false;
        }
    }

    /**
     * A commit whose GTID Baton cannot read: no server can be asked for it, and it must not join a wait (whose
     * question it would spoil for every commit in it). Decided at once as a commit no replica acknowledged in time:
     * onTimeout async releases it while Baton routes where it was made and no failover from there is under way; else
     * the client is told the outcome is unknown.
     */
    private CompletableFuture<Outcome> unreadable(Pending p) {
        String fencedOrigin = released.fencedOrigin(); // before the route: see releasable
        String source = routed.get();
        boolean release = "async".equals(config.durability.onTimeout) && !closed && !p.origin.equals(fencedOrigin)
                && (source == null || source.equals(p.origin));
        if (!warnedUnreadable) {
            warnedUnreadable = true;
            log.warn("durability: {} reported a commit GTID Baton cannot read ('{}'): its OK is {} (logged once)",
                    p.origin, p.gtid, release ? "released unacknowledged (onTimeout async)" : "an outcome-unknown error");
        }
        timeouts.incrementAndGet();
        if (release) {
            fallbacks.incrementAndGet();
            degraded = true; // as a fallback after a timeout: health says so until a commit is acknowledged in time
            p.result.complete(Outcome.RELEASED_UNACKNOWLEDGED);
        } else {
            unknown.incrementAndGet();
            p.result.complete(Outcome.UNKNOWN);
        }
        return p.result;
    }

    private volatile boolean warnedUnreadable;

    /** The commits of {@code mine} (oldest first) that {@code has} holds. */
    private static List<Pending> holding(List<Pending> mine, GtidSet has) {
        List<Pending> out = new ArrayList<>();
        for (Pending p : mine) {
            if (p.parsed == null) {
                p.parsed = GtidSet.parse(p.gtid);
            }
            if (has.containsAll(p.parsed)) {
                out.add(p);
            }
        }
        return out;
    }

    /** How long the oldest commit of {@code mine} not in {@code got} has waited (0: none). */
    private static long oldestWithout(List<Pending> mine, List<Pending> got, long now) {
        for (Pending p : mine) {
            if (!got.contains(p)) {
                return now - p.t0;
            }
        }
        return 0;
    }

    /**
     * Records a wait's time and re-ranks the servers: the durability.replicas fastest are the primaries. One at a time
     * (every lane of every server calls it): each lane's update counts, and a ranking is made of one set of paces.
     */
    private void observe(Waiter w, long nanos) {
        synchronized (ranking) {
            w.ewmaNanos = (w.ewmaNanos * 7 + Math.min(nanos, SLOW_NANOS)) / 8;
            List<Waiter> byPace = new ArrayList<>(waiters.values());
            byPace.sort(java.util.Comparator.comparingLong(x -> x.ewmaNanos));
            for (int i = 0; i < byPace.size(); i++) {
                byPace.get(i).primary = i < config.durability.replicas + (sourceIsAmong(byPace, i) ? 1 : 0);
            }
        }
    }

    /** Guards the servers' paces and ranks ({@link #observe}); taken before {@link #lock}, never inside it. */
    private final Object ranking = new Object();

    /** Whether one of the first {@code i + 1} servers is the one the commits come from (it never waits for them). */
    private boolean sourceIsAmong(List<Waiter> byPace, int i) {
        String origin;
        synchronized (lock) {
            origin = lastOrigin;
        }
        for (int k = 0; k <= i && k < byPace.size(); k++) {
            if (byPace.get(k).server.name.equals(origin)) {
                return true;
            }
        }
        return false;
    }

    /** The commits of {@code mine} that the server has executed (after a wait that did not see them all). */
    private static List<Pending> present(ServerConnection conn, Dialect d, List<Pending> mine) throws SQLException {
        if (d == Dialect.MARIADB) {
            return applied(mine, MariaDbGtids.parse(conn.scalar("SELECT @@GLOBAL.gtid_binlog_state")));
        }
        return holding(mine, GtidSet.parse(conn.scalar("SELECT @@GLOBAL.gtid_executed")));
    }

    /** The MariaDB commits of {@code mine} that {@code state} (a gtid_binlog_state: last seq per domain and server) holds. */
    static List<Pending> applied(List<Pending> mine, MariaDbGtids state) {
        Map<String, Long> last = ReleasedCommits.lastSeqs(state);
        List<Pending> out = new ArrayList<>();
        for (Pending p : mine) {
            boolean all = true;
            for (MariaDbGtids.Gtid g : MariaDbGtids.parse(p.gtid).gtids()) {
                all &= last.getOrDefault(ReleasedCommits.key(g), -1L) >= g.seq();
            }
            if (all) {
                out.add(p);
            }
        }
        return out;
    }

    /** One wait's argument for everything in {@code mine}: a GTID set (MySQL), the highest seq per domain (MariaDB). */
    static String target(List<Pending> mine, boolean mariaDb) {
        if (mariaDb) {
            Map<Long, MariaDbGtids.Gtid> last = new TreeMap<>();
            for (Pending p : mine) {
                for (MariaDbGtids.Gtid g : MariaDbGtids.parse(p.gtid).gtids()) {
                    last.merge(g.domain(), g, (a, b) -> a.seq() >= b.seq() ? a : b);
                }
            }
            return String.join(",", last.values().stream().map(MariaDbGtids.Gtid::toString).toList());
        }
        return GtidSet.parse(String.join(",", mine.stream().map(p -> p.gtid).toList())).toString();
    }

    /**
     * Whether {@code p}'s OK may go now, Baton routing to {@code source}; under the lock. Once Baton routes elsewhere
     * than where it committed, only the new source having it counts: the failover may have promoted a server without
     * it, and a replica's copy is then an errant transaction. While a failover from its source is under way and Baton
     * still routes there, nothing counts: the replica that has it may be the one the failover leaves out. Callers read
     * {@code fenced} before {@code source}: a failover switches the route before it lifts the fence, so a stale fence
     * with a fresh route is safe, the other way round it would not be.
     */
    private boolean releasable(Pending p, String source, boolean fenced) {
        if (p.ackedBy.size() < config.durability.replicas) {
            return false;
        }
        boolean moved = source != null && !source.equals(p.origin);
        return moved ? p.ackedBy.contains(source) : !fenced;
    }

    /** Package-private for tests: {@code server} has the commits {@code mine}. */
    void acked(String server, List<Pending> mine) {
        List<Pending> done = new ArrayList<>();
        String fencedOrigin = released.fencedOrigin();
        String source = routed.get();
        synchronized (lock) {
            for (Pending p : mine) {
                if (!pending.contains(p)) {
                    continue; // decided meanwhile (the sweeper)
                }
                p.ackedBy.add(server);
                if (releasable(p, source, p.origin.equals(fencedOrigin))) {
                    pending.remove(p);
                    done.add(p);
                }
            }
            // In the set before their OKs go: a failover's candidate check never misses an acknowledged commit.
            released.addAll(done.stream().map(p -> p.gtid).toList());
        }
        complete(done);
    }

    /** The OKs of {@code done} (already in the released set) go. */
    private void complete(List<Pending> done) {
        for (Pending p : done) {
            acknowledged.incrementAndGet();
            if (!p.timedOut) {
                degraded = false;
                holdingTooLong = false;
            }
            p.result.complete(Outcome.ACKNOWLEDGED);
        }
    }

    // ------------------------------------------------------------------ timeouts

    private void sweep() {
        try {
            long now = System.nanoTime();
            long timeout = config.durability.timeout.toNanos();
            long hold = config.gate.maxWait.toNanos();
            boolean async = "async".equals(config.durability.onTimeout);
            String fencedOrigin = released.fencedOrigin(); // before the route: see releasable
            String source = routed.get();
            List<Pending> release = new ArrayList<>();
            List<Pending> fail = new ArrayList<>();
            List<Pending> acknowledgedNow = new ArrayList<>();
            int newlyTimedOut = 0;
            synchronized (lock) {
                for (Pending p : List.copyOf(pending)) {
                    boolean fenced = p.origin.equals(fencedOrigin);
                    if (releasable(p, source, fenced)) {
                        // Acknowledged while a failover held it, and it counts now (the new source has it, or the
                        // failover stopped and Baton routes where it committed): no further acknowledgement will come.
                        pending.remove(p);
                        acknowledgedNow.add(p);
                        continue;
                    }
                    if (source != null && !source.equals(p.origin) && p.orphanedAt == 0) {
                        p.orphanedAt = now;
                    }
                    if (p.orphanedAt != 0) {
                        // Made on a source Baton no longer routes to: only the server routed now having it releases the
                        // OK (acked). Not there within durability.timeout, a failover chose a server without it: its OK
                        // is never released, whatever onTimeout says (not even by the fallback below, which would
                        // otherwise come first): the write is lost there.
                        if (now - p.orphanedAt >= timeout) {
                            pending.remove(p);
                            fail.add(p);
                        }
                        continue;
                    }
                    long age = now - p.t0;
                    if (age < timeout) {
                        continue;
                    }
                    if (!p.timedOut) {
                        p.timedOut = true;
                        newlyTimedOut++;
                    }
                    if (async && !fenced) {
                        pending.remove(p);
                        release.add(p);
                    } else if (age >= Math.max(hold, timeout)) {
                        pending.remove(p);
                        fail.add(p);
                    }
                }
                released.addAll(release.stream().map(p -> p.gtid).toList()); // in the set before their OKs go
                released.addAll(acknowledgedNow.stream().map(p -> p.gtid).toList());
            }
            complete(acknowledgedNow);
            if (newlyTimedOut > 0) {
                timeouts.addAndGet(newlyTimedOut);
            }
            if (!release.isEmpty()) {
                fallbacks.addAndGet(release.size());
                if (!degraded) {
                    degraded = true;
                    log.warn("durability: no replica acknowledged within durability.timeout ({} ms): onTimeout async"
                                    + " releases OKs unprotected until a replica acknowledges again ({})",
                            config.durability.timeout.toMillis(), replicaErrors());
                }
                release.forEach(p -> p.result.complete(Outcome.RELEASED_UNACKNOWLEDGED));
            }
            if (!fail.isEmpty()) {
                unknown.addAndGet(fail.size());
                if (!holdingTooLong) {
                    holdingTooLong = true;
                    log.warn("durability: {} commit OK(s) got no replica acknowledgement within gate.maxWait ({} ms), or"
                                    + " their source is no longer routed and the servers lack them; their clients are told the"
                                    + " outcome is unknown ({})", fail.size(), config.gate.maxWait.toMillis(), replicaErrors());
                }
                fail.forEach(p -> p.result.complete(Outcome.UNKNOWN));
            }
        } catch (RuntimeException | Error e) {
            // Never let it escape: the executor would stop sweeping, and held OKs would never time out.
            log.warn("durability: sweep failed: {}", e.toString());
        }
    }

    private String replicaErrors() {
        List<String> out = new ArrayList<>();
        String origin;
        synchronized (lock) {
            origin = lastOrigin;
        }
        waiters.forEach((n, w) -> {
            if (!n.equals(origin)) {
                out.add(n + ": " + (w.lastError == null ? "acknowledges" : w.lastError));
            }
        });
        return String.join("; ", out);
    }

    private static void pause(long ms) {
        try {
            Thread.sleep(ms);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    // ------------------------------------------------------------------ what others read

    /** The metrics (the held OKs and the wait histogram are the proxy's: baton_durability_held, _wait). */
    public void bind(io.micrometer.core.instrument.MeterRegistry r) {
        io.micrometer.core.instrument.FunctionCounter.builder("baton.durability.acknowledged", acknowledged, AtomicLong::get)
                .description("Commit OKs released because enough replicas had the transaction").register(r);
        io.micrometer.core.instrument.FunctionCounter.builder("baton.durability.questions", questions, AtomicLong::get)
                .description("Questions asked of the replicas (GTID waits, reads of a received set); each covers every"
                        + " commit pending at the time").register(r);
        io.micrometer.core.instrument.FunctionCounter.builder("baton.durability.timeouts", timeouts, AtomicLong::get)
                .description("Commit OKs that waited longer than durability.timeout").register(r);
        io.micrometer.core.instrument.FunctionCounter.builder("baton.durability.fallbacks", fallbacks, AtomicLong::get)
                .description("Commit OKs released without a replica's acknowledgement (onTimeout async)").register(r);
        io.micrometer.core.instrument.FunctionCounter.builder("baton.durability.unknown", unknown, AtomicLong::get)
                .description("Commits whose client got an error, outcome unknown (onTimeout hold, past gate.maxWait)")
                .register(r);
        io.micrometer.core.instrument.Gauge.builder("baton.durability.released.intervals", released,
                        ReleasedCommits::intervals)
                .description("Intervals of the released commits' GTID set kept for the failover's check (those every"
                        + " promotable server executed are forgotten)").register(r);
        io.micrometer.core.instrument.Gauge.builder("baton.durability.degraded", this, a -> a.degraded ? 1 : 0)
                .description("1 while OKs are released without a replica's acknowledgement (onTimeout async)").register(r);
        io.micrometer.core.instrument.Gauge.builder("baton.durability.fenced", released,
                        x -> x.fencedOrigin() == null ? 0 : 1)
                .description("1 while a failover under way holds the OKs of commits made on the source it replaces")
                .register(r);
    }

    /**
     * With each round of the monitor: forgets the released GTIDs that every server a failover could promote (all but
     * never-promote ones) has executed. Only when each of them answered this round: a server that is down may come
     * back lacking them, and the set is what a failover would check it against.
     */
    public void forgetWhatAllHave(io.baton.admin.topology.TopologySnapshot snapshot) {
        List<GtidSet> executed = new ArrayList<>();
        for (BatonConfig.Server s : config.servers) {
            if (s.neverPromote) {
                continue;
            }
            var st = snapshot.server(s.name).orElse(null);
            if (st == null || !st.reachable() || st.gtidExecuted() == null) {
                return;
            }
            executed.add(st.gtidExecuted());
        }
        released.forgetHeldByAll(executed);
    }

    /** Package-private for tests: the commits whose OK is held now, oldest first. */
    List<Pending> pendingNow() {
        synchronized (lock) {
            return List.copyOf(pending);
        }
    }

    /** Intervals of the released commits' GTID set kept now. */
    public int releasedIntervals() {
        return released.intervals();
    }

    /** OKs held now. */
    public int held() {
        synchronized (lock) {
            return pending.size();
        }
    }

    public long acknowledgedCount() {
        return acknowledged.get();
    }

    public long timeouts() {
        return timeouts.get();
    }

    public long fallbacks() {
        return fallbacks.get();
    }

    public long unknownOutcomes() {
        return unknown.get();
    }

    /** The health flag: OKs are being released without a replica's acknowledgement (onTimeout async). */
    public boolean degraded() {
        return degraded;
    }

    /**
     * Whether {@code server} acknowledged a commit within the last {@code within}: SHOW TOPOLOGY's "acknowledges".
     */
    public boolean acknowledges(String server, Duration within) {
        Waiter w = waiters.get(server);
        return w != null && w.lastAckNanos != 0 && System.nanoTime() - w.lastAckNanos <= within.toNanos();
    }

    /** The source whose commits' OKs wait for a failover under way to end (null: none). */
    public String fencedSource() {
        return released.fencedOrigin();
    }

    /**
     * What {@code /health/ready} and SHOW TOPOLOGY say of durability now: {@code replica}, or why OKs wait longer than
     * usual (a failover's fence) or go without a replica's word (the async fallback).
     */
    public String status() {
        String fenced = released.fencedOrigin();
        String fence = fenced == null ? null : "fenced: OKs of commits made on " + fenced + " wait for the failover"
                + " under way to end (a replica's word no longer releases them)";
        String fallback = degraded ? "degraded: commit OKs are released without a replica's acknowledgement"
                + " (durability.onTimeout async)" : null;
        return fence != null && fallback != null ? fence + "; " + fallback
                : fence != null ? fence : fallback != null ? fallback : "replica";
    }

    /** The commits whose OK went to a client, for the failover to check its candidate against. */
    public AckedWrites released() {
        return released;
    }

    @Override
    public void close() {
        if (!closed) {
            log.info("durability: {} commit OK(s) acknowledged with {} question(s) to the replicas", acknowledged.get(),
                    questions.get());
        }
        sweeper.shutdownNow();
        List<Pending> left;
        synchronized (lock) {
            closed = true;
            left = List.copyOf(pending);
            pending.clear();
        }
        waiters.values().forEach(Waiter::wake);
        left.forEach(p -> p.result.complete(Outcome.UNKNOWN));
        waiters.values().forEach(w -> w.threads.forEach(Thread::interrupt));
    }
}
