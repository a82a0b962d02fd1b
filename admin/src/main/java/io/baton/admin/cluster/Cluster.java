package io.baton.admin.cluster;

import io.baton.admin.config.BatonConfig;
import io.baton.admin.failover.FailoverEngine;
import io.baton.admin.topology.Monitor;
import io.baton.admin.topology.SourceHealth;
import io.baton.admin.topology.TopologySnapshot;
import io.baton.proxy.ProxyServer;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One Baton node's part in a cluster: its membership ({@link ClusterNode}: session, lease, route, status),
 * the election ({@link ClusterLeadership}), and the routing its failover engine drives while it leads
 * ({@link ClusterRouting}). {@code BatonNode} starts it in order: {@link #join} (connect, read or create
 * the route), {@link #holdUntilJoined} (before the proxy listens), {@link #govern} (the engine and the
 * monitor decide only while this node leads), {@link #start}.
 */
public final class Cluster implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(Cluster.class);

    private final ClusterNode node;
    private final ClusterLeadership leadership;
    private final ClusterRouting routing;
    private final RouteRecord joined;
    private final ExecutorService elections = Executors.newSingleThreadExecutor(r -> {
        Thread t = new Thread(r, "baton-cluster-elected");
        t.setDaemon(true);
        return t;
    });
    private Monitor monitor;
    private FailoverEngine engine;
    private MeterRegistry meters;
    private final List<io.micrometer.core.instrument.Meter> gauges = new java.util.ArrayList<>();
    private final java.util.concurrent.atomic.AtomicBoolean reopenPending = new java.util.concurrent.atomic.AtomicBoolean();
    private volatile boolean closed;
    /** False from an election until this node has finished (or dropped) the plan a previous leader left. */
    private volatile boolean leftBehindChecked;

    private Cluster(ClusterNode node, RouteRecord joined) {
        this.node = node;
        this.joined = joined;
        this.leadership = new ClusterLeadership(node);
        this.routing = new ClusterRouting(leadership);
    }

    /** Connects to ZooKeeper and reads the route record (creating it with {@code discovered} if it is the first node). */
    public static Cluster join(BatonConfig config, BatonConfig.Server discovered) throws InterruptedException {
        ClusterNode node = ClusterNode.connect(config);
        try {
            RouteRecord r = node.join(discovered);
            log.info("cluster '{}': node {} joins at epoch {} (source {}, gate {})", config.cluster.name, node.nodeId(),
                    r.epoch(), r.source(), r.gateOpen() ? "open" : "closed");
            return new Cluster(node, r);
        } catch (RuntimeException e) {
            node.close();
            throw e;
        }
    }

    /** The route record as read when joining (the proxy starts routing there). */
    public RouteRecord route() {
        RouteRecord applied = node.applied();
        return applied != null ? applied : joined;
    }

    /** The proxy holds every statement until this node has its lease and has applied the current record. */
    public void holdUntilJoined(ProxyServer proxy) {
        proxy.gate().requireLease();
        proxy.gate().fence("joining cluster '" + node.config().cluster.name + "'");
    }

    /** This node's released-commit set: fenced while the route record says a failover replaces its source. */
    public void fenceCommits(io.baton.admin.failover.AckedWrites writes) {
        node.fenceCommits(writes);
    }

    public ClusterRouting routing() {
        return routing;
    }

    /** The engine and the monitor's fencing act only while this node leads. */
    public void govern(FailoverEngine engine, Monitor monitor) {
        this.monitor = monitor;
        engine.leadOnlyWhile(leadership::isLeader);
        engine.decideOnlyWhen(() -> leadership.isLeader() && leftBehindChecked, () -> leadership.isLeader()
                ? "this Baton node (" + node.nodeId() + ") was just elected and first finishes what the previous leader"
                + " left; try again in a moment" : leadership.notLeaderMessage());
        // Only the leader fences stray writers, and only while the cluster's gate is open: a closed gate means a
        // procedure runs or one was left half done by a leader that died, and a writable server other than the
        // record's source may then be the server it promoted.
        monitor.fenceOnlyWhen(() -> {
            RouteRecord r = leadership.current();
            return leadership.isLeader() && r != null && r.gateOpen();
        });
        engine.onReport(r -> {
            if (leadership.isLeader()) {
                leadership.write(x -> x.withReport(r.headline()));
            }
        });
        long at = joined.lastFailoverMillis();
        if (at > 0) {
            engine.restoreLastFailover(Instant.ofEpochMilli(at));
        }
    }

    public void start(ProxyServer proxy, Monitor monitor, FailoverEngine engine, String adminAddress, String metricsAddress,
                      MeterRegistry meters) {
        this.engine = engine;
        this.meters = meters;
        node.start(proxy, monitor, adminAddress, metricsAddress);
        leadership.start(r -> elections.execute(() -> elected(engine)));
        monitor.addListener(this::onSnapshot);
        if (meters != null) {
            gauges.add(Gauge.builder("baton_cluster_leader", () -> leadership.isLeader() ? 1 : 0)
                    .description("1 while this node leads its cluster").register(meters));
            gauges.add(Gauge.builder("baton_cluster_epoch", () -> {
                RouteRecord r = node.applied();
                return r == null ? 0 : r.epoch();
            }).description("Epoch of the route record this node routes by").register(meters));
            gauges.add(Gauge.builder("baton_cluster_fenced", () -> node.fenced() ? 1 : 0)
                    .description("1 while this node may not route (no ZooKeeper lease)").register(meters));
            gauges.add(Gauge.builder("baton_cluster_zookeeper_connected", () -> node.connected() ? 1 : 0)
                    .description("1 while the ZooKeeper connection is up").register(meters));
            gauges.add(Gauge.builder("baton_cluster_nodes", () -> node.members().size())
                    .description("Nodes of this cluster with a live ZooKeeper session").register(meters));
            gauges.add(Gauge.builder("baton_cluster_lease_age_seconds", () -> node.leaseAgeMillis() / 1000.0)
                    .description("Seconds since the last confirmed contact with the ZooKeeper quorum").register(meters));
            gauges.add(Gauge.builder("baton_cluster_fencings", node::fencings)
                    .description("Times this node fenced itself since it started").register(meters));
        }
    }

    /**
     * A new leader first catches up (reads the newest record and applies it: it never decides on an older
     * route), then takes over the anti-flapping state. Until it has caught up it does not decide; it keeps
     * trying while it holds the latch.
     */
    private void elected(FailoverEngine engine) {
        leftBehindChecked = false;
        Duration wait = node.config().gate.maxWait.plus(node.config().cluster.barrier());
        try {
            RouteRecord r = null;
            while (r == null && leadership.holdsLatch() && !closed) {
                r = leadership.catchUp(wait);
                if (r == null) {
                    log.warn("cluster '{}': node {} leads but has not caught up with the route yet; it decides once it has",
                            name(), nodeId());
                    Thread.sleep(500);
                }
            }
            if (r != null && r.lastFailoverMillis() > 0) {
                engine.restoreLastFailover(Instant.ofEpochMilli(r.lastFailoverMillis()));
            }
            if (r != null && r.intent() != null && leadership.isLeader()) {
                finishLeftBehind(engine, r.intent());
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } finally {
            leftBehindChecked = true;
        }
    }

    /**
     * The record names a procedure that has not routed or reopened yet, and this node was just elected: its
     * leader died (or lost its leadership) in its middle. Finish it from the plan and what the servers say.
     */
    private void finishLeftBehind(FailoverEngine engine, RouteRecord.Intent plan) {
        log.warn("cluster '{}': node {} finds the plan of a {} {} -> {} by {} in the route record (gate {}); finishing it", name(),
                nodeId(), plan.kind(), plan.oldSource(), plan.target(), plan.leader(),
                leadership.current().gateOpen() ? "open" : "closed");
        try {
            lastFinishAttempt = System.currentTimeMillis();
            engine.finishLeftBehind(plan.kind(), plan.oldSource(), plan.target(), "node " + plan.leader());
        } catch (RuntimeException e) {
            // Another procedure runs here (this node led before and its own procedure goes on), or Baton stops.
            log.warn("cluster '{}': the {} left by {} is not finished here: {}", name(), plan.kind(), plan.leader(),
                    e.getMessage());
        }
    }

    /**
     * On the leader, after each monitor round: a gate that a previous leader left closed in the middle of a
     * procedure is reopened once its source is seen writable and no procedure runs (a PAUSE stays paused; a
     * dead source is the engine's, which fails over).
     */
    private void onSnapshot(TopologySnapshot snapshot) {
        RouteRecord r = leadership.current();
        if (r != null && r.intent() != null) {
            retryFinishing(r.intent());
            return; // a plan is finished (or undone) by FinishProcedure, not by reopening the gate
        }
        if (closed || r == null || r.gateOpen() || !leadership.isLeader() || engine.busy()
                || (r.gateReason() != null && r.gateReason().startsWith("paused"))
                || snapshot.server(r.source()).filter(s -> s.reachable() && s.writable()).isEmpty()
                || SourceHealth.assess(snapshot, node.config().monitor.failedChecks).verdict() != SourceHealth.Verdict.ALIVE
                || !reopenPending.compareAndSet(false, true)) {
            return;
        }
        elections.execute(() -> {
            try {
                engine.whenIdle(() -> {
                    RouteRecord now = leadership.current();
                    if (now == null || now.gateOpen() || now.intent() != null || !leadership.isLeader()) {
                        return;
                    }
                    routing.openGate();
                    log.warn("cluster '{}': the gate was left closed ({}) with no procedure running; the source {} is"
                            + " writable: gate reopened on every node", name(), now.gateReason(), now.source());
                });
            } catch (RuntimeException e) {
                log.warn("cluster '{}': could not reopen the gate: {}", name(), e.getMessage());
            } finally {
                reopenPending.set(false);
            }
        });
    }

    /**
     * On the leader, after a monitor round: a plan is still in the record and no procedure runs (the one that wrote it
     * stopped without routing or reopening, here or on a dead leader, or finishing it failed): try to finish it again,
     * at most every {@link #FINISH_RETRY_MILLIS}, as the servers are now (a target that answers again, an old source
     * that comes back).
     */
    private void retryFinishing(RouteRecord.Intent plan) {
        long now = System.currentTimeMillis();
        if (!plan.equals(retriedPlan)) {
            retriedPlan = plan;
            finishRetryMillis = FINISH_RETRY_MILLIS;
        }
        if (closed || !leadership.isLeader() || !leftBehindChecked || engine.busy() || now - lastFinishAttempt < finishRetryMillis
                || !reopenPending.compareAndSet(false, true)) {
            return;
        }
        lastFinishAttempt = now;
        finishRetryMillis = Math.min(finishRetryMillis * 2, 60_000); // a plan that stays (both servers writable) is retried less
        elections.execute(() -> {
            try {
                RouteRecord r = leadership.current();
                if (r != null && plan.equals(r.intent()) && leadership.isLeader() && !engine.busy()) {
                    finishLeftBehind(engine, plan);
                }
            } finally {
                reopenPending.set(false);
            }
        });
    }

    private static final long FINISH_RETRY_MILLIS = 5_000;
    private volatile long lastFinishAttempt;
    private volatile long finishRetryMillis = FINISH_RETRY_MILLIS;
    private volatile RouteRecord.Intent retriedPlan;

    public String nodeId() {
        return node.nodeId();
    }

    public boolean isLeader() {
        return leadership.isLeader();
    }

    public String leaderId() {
        return leadership.leaderId();
    }

    public String notLeaderMessage() {
        return leadership.notLeaderMessage();
    }

    public List<MemberStatus> members() {
        return node.members();
    }

    public ClusterNode node() {
        return node;
    }

    public String name() {
        return node.config().cluster.name;
    }

    @Override
    public void close() {
        closed = true;
        if (meters != null) {
            gauges.forEach(meters::remove);
        }
        elections.shutdownNow();
        leadership.close();
        node.close();
    }
}
