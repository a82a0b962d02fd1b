package io.baton.admin.cluster;

import io.baton.admin.config.BatonConfig;
import io.baton.admin.failover.FailoverEngine;
import io.baton.admin.topology.Monitor;
import io.baton.admin.topology.SourceHealth;
import io.baton.admin.topology.TopologySnapshot;
import io.baton.proxy.ProxyServer;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
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

    public ClusterRouting routing() {
        return routing;
    }

    /** The engine and the monitor's fencing act only while this node leads. */
    public void govern(FailoverEngine engine, Monitor monitor) {
        this.monitor = monitor;
        engine.decideOnlyWhen(leadership::isLeader, leadership::notLeaderMessage);
        monitor.fenceOnlyWhen(leadership::isLeader);
        engine.onReport(r -> {
            if (leadership.isLeader()) {
                leadership.write(x -> x.withReport("#" + r.id() + " " + r.headline()));
            }
        });
        long at = joined.lastFailoverMillis();
        if (at > 0) {
            engine.restoreLastFailover(Instant.ofEpochMilli(at));
        }
    }

    public void start(ProxyServer proxy, Monitor monitor, FailoverEngine engine, String adminAddress, String metricsAddress,
                      MeterRegistry meters) {
        node.start(proxy, monitor, adminAddress, metricsAddress);
        leadership.start(r -> elections.execute(() -> elected(r, engine)));
        if (meters != null) {
            Gauge.builder("baton_cluster_leader", () -> leadership.isLeader() ? 1 : 0)
                    .description("1 while this node leads its cluster").register(meters);
            Gauge.builder("baton_cluster_epoch", () -> {
                RouteRecord r = node.applied();
                return r == null ? 0 : r.epoch();
            }).description("Epoch of the route record this node routes by").register(meters);
            Gauge.builder("baton_cluster_fenced", () -> node.fenced() ? 1 : 0)
                    .description("1 while this node may not route (no ZooKeeper lease)").register(meters);
            Gauge.builder("baton_cluster_zookeeper_connected", () -> node.connected() ? 1 : 0)
                    .description("1 while the ZooKeeper connection is up").register(meters);
            Gauge.builder("baton_cluster_nodes", () -> node.members().size())
                    .description("Nodes of this cluster with a live ZooKeeper session").register(meters);
            Gauge.builder("baton_cluster_lease_age_seconds", () -> node.leaseAgeMillis() / 1000.0)
                    .description("Seconds since the last confirmed contact with the ZooKeeper quorum").register(meters);
            Gauge.builder("baton_cluster_fencings", node::fencings)
                    .description("Times this node fenced itself since it started").register(meters);
        }
    }

    /**
     * A new leader takes over the anti-flapping state, and reopens a gate that a previous leader left closed
     * in the middle of a procedure when the source is alive (a PAUSE stays). A dead source is the engine's:
     * its next monitor round fails over, failover.blockSeconds permitting.
     */
    private void elected(RouteRecord r, FailoverEngine engine) {
        if (r == null) {
            return;
        }
        if (r.lastFailoverMillis() > 0) {
            engine.restoreLastFailover(Instant.ofEpochMilli(r.lastFailoverMillis()));
        }
        if (r.gateOpen() || (r.gateReason() != null && r.gateReason().startsWith("paused"))) {
            return;
        }
        TopologySnapshot snap = monitor.refresh();
        SourceHealth health = SourceHealth.assess(snap, node.config().monitor.failedChecks);
        if (health.verdict() == SourceHealth.Verdict.ALIVE && !engine.busy() && leadership.isLeader()) {
            try {
                routing.openGate();
                log.warn("cluster '{}': the previous leader left the gate closed ({}); the source {} is alive: gate"
                        + " reopened", node.config().cluster.name, r.gateReason(), r.source());
            } catch (RuntimeException e) {
                log.warn("cluster '{}': could not reopen the gate left closed by the previous leader: {}",
                        node.config().cluster.name, e.getMessage());
            }
        }
    }

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
        elections.shutdownNow();
        leadership.close();
        node.close();
    }
}
