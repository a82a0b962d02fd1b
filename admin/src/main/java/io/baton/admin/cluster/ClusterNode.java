package io.baton.admin.cluster;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.baton.admin.config.BatonConfig;
import io.baton.admin.topology.Monitor;
import io.baton.proxy.Gate;
import io.baton.proxy.ProxyServer;
import io.baton.proxy.routing.Endpoint;
import io.baton.proxy.routing.RoutingControl;
import java.io.IOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeSet;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicInteger;
import org.apache.curator.framework.CuratorFramework;
import org.apache.curator.framework.CuratorFrameworkFactory;
import org.apache.curator.framework.recipes.cache.ChildData;
import org.apache.curator.framework.recipes.cache.CuratorCache;
import org.apache.curator.framework.recipes.cache.CuratorCacheListener;
import org.apache.curator.framework.recipes.nodes.PersistentNode;
import org.apache.curator.framework.state.ConnectionState;
import org.apache.curator.retry.ExponentialBackoffRetry;
import org.apache.zookeeper.CreateMode;
import org.apache.zookeeper.KeeperException;
import org.apache.zookeeper.ZooKeeper;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * This Baton's membership in its cluster (docs/cluster.md): the ZooKeeper session, the lease, the route
 * record it follows and the status it publishes.
 *
 * <ul>
 * <li><b>Lease.</b> Every {@code leaseTimeout / 4} the node asks the ZooKeeper quorum for a {@code sync};
 * when it completes, the node may route until {@code leaseTimeout} after the moment it asked. The proxy
 * checks the lease on every statement ({@link Gate#mayRoute}). A lapsed lease, a SUSPENDED or LOST
 * connection fence the node: every statement is held until the node has read the current record and
 * applied it.</li>
 * <li><b>Route.</b> A watch on /route hands each new record to one applying thread, which closes the local
 * gate, moves the sessions to the new source and opens the gate as the record says, then publishes the
 * epoch it applied. A closed gate is also drained on a second thread (open transactions finish or time out
 * per gate.maxWait) and reported, for the leader's switchover barrier.</li>
 * <li><b>Status.</b> An ephemeral znode under /nodes, rewritten on each change and every second.</li>
 * </ul>
 */
public final class ClusterNode implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(ClusterNode.class);
    static final ObjectMapper JSON = new ObjectMapper();

    private final BatonConfig config;
    private final BatonConfig.Cluster settings;
    private final String nodeId;
    private final String base;
    private final CuratorFramework client;
    private final Duration lease;
    private ProxyServer proxy;
    private Monitor monitor;
    private String adminAddress;
    private String metricsAddress;
    private PersistentNode member;
    private CuratorCache routeCache;
    private CuratorCache membersCache;
    private ScheduledExecutorService leaseTimer;
    private ExecutorService applier;
    private ExecutorService drainer;
    private volatile RouteRecord applied;
    /** This node's released-commit set (durability.mode replica; null otherwise): fenced as the record says. */
    private volatile io.baton.admin.failover.AckedWrites acked;
    private volatile long drainedEpoch;
    private volatile boolean drained;
    private volatile RoutingControl.MigrationSummary lastSwitch = new RoutingControl.MigrationSummary(0, 0, 0);
    /** What this node's sessions got at the source its last change of route left (published for the report). */
    private volatile Lost lost = NOTHING_LOST;
    private static final Lost NOTHING_LOST = new Lost(null, 0, Map.of(), List.of(), 0);
    /** How long a change's session lines stay in the published status: long enough for the leader's barrier. */
    private static final long LOST_KEPT_MILLIS = 60_000;

    private record Lost(String source, long epoch, Map<String, Long> inFlight, List<String> sessions, long atMillis) {
    }
    private volatile ConnectionState connection = ConnectionState.LOST;
    private volatile long lastContactNanos = System.nanoTime();
    private final AtomicInteger fencings = new AtomicInteger();
    private volatile boolean closed;

    private ClusterNode(BatonConfig config, String nodeId, CuratorFramework client) {
        this.config = config;
        this.settings = config.cluster;
        this.nodeId = nodeId;
        this.base = "/baton/" + settings.name;
        this.client = client;
        this.lease = settings.lease();
    }

    /**
     * Connects to ZooKeeper (bounded by cluster.connectionTimeout). Fails with one clear message when the
     * ensemble cannot be reached; nothing is left running then.
     */
    public static ClusterNode connect(BatonConfig config) throws InterruptedException {
        BatonConfig.Cluster k = config.cluster;
        String id = k.nodeId != null ? k.nodeId : defaultNodeId(config);
        CuratorFramework client = CuratorFrameworkFactory.builder()
                .connectString(k.zookeeper.strip())
                .sessionTimeoutMs((int) k.sessionTimeout.toMillis())
                .connectionTimeoutMs((int) k.connectionTimeout.toMillis())
                .retryPolicy(new ExponentialBackoffRetry(100, 3, 1000))
                .build();
        ClusterNode node = new ClusterNode(config, id, client);
        client.getConnectionStateListenable().addListener((c, state) -> node.onConnectionState(state));
        client.start();
        boolean connected;
        try {
            connected = client.blockUntilConnected((int) k.connectionTimeout.toMillis(), TimeUnit.MILLISECONDS);
        } catch (InterruptedException e) {
            client.close();
            throw e;
        }
        if (!connected) {
            client.close();
            throw new ClusterException("cluster '" + k.name + "': cannot reach ZooKeeper at " + k.zookeeper + " within "
                    + k.connectionTimeout.toMillis() + " ms (cluster.connectionTimeout); is the ensemble up?");
        }
        node.connection = ConnectionState.CONNECTED;
        try {
            long negotiated = client.getZookeeperClient().getZooKeeper().getSessionTimeout();
            if (negotiated > 0 && node.lease.toMillis() * 2 > negotiated) {
                client.close();
                throw new ClusterException("cluster '" + k.name + "': ZooKeeper granted a session timeout of " + negotiated
                        + " ms, less than twice cluster.leaseTimeout (" + node.lease.toMillis() + " ms); lower"
                        + " cluster.leaseTimeout or let the ensemble grant cluster.sessionTimeout (its minSessionTimeout /"
                        + " maxSessionTimeout, 2 to 20 ticks by default)");
            }
        } catch (ClusterException e) {
            throw e;
        } catch (Exception e) {
            client.close();
            throw new ClusterException("cluster '" + k.name + "': ZooKeeper session failed: " + e.getMessage());
        }
        return node;
    }

    public String nodeId() {
        return nodeId;
    }

    /** The proxy's host:port; a wildcard listen address says nothing about the node, so the host name stands in. */
    static String defaultNodeId(BatonConfig config) {
        String host = config.proxy.host;
        if (host == null || host.equals("0.0.0.0") || host.equals("::") || host.equals("[::]")) {
            try {
                host = java.net.InetAddress.getLocalHost().getHostName();
            } catch (java.net.UnknownHostException e) {
                host = "node";
            }
        }
        return host + ":" + config.proxy.port;
    }

    String base() {
        return base;
    }

    CuratorFramework client() {
        return client;
    }

    BatonConfig config() {
        return config;
    }

    /**
     * Reads the route record, or creates it (epoch 1, routing to {@code discovered}) when this is the
     * cluster's first node. Refuses a record whose servers differ from this configuration's.
     */
    public RouteRecord join(BatonConfig.Server discovered) {
        List<String> servers = fingerprint(config);
        String path = base + "/route";
        try {
            RouteRecord r = read(path);
            if (r == null) {
                RouteRecord first = new RouteRecord(1, discovered.name, discovered.host, discovered.port, true, "", 0, null,
                        nodeId, servers, System.currentTimeMillis(), null, null);
                try {
                    client.create().creatingParentsIfNeeded().forPath(path, JSON.writeValueAsBytes(first));
                    log.info("cluster '{}': first node; route record created at epoch 1: source {}", settings.name,
                            discovered.name);
                    return first;
                } catch (KeeperException.NodeExistsException raced) {
                    r = read(path); // another node created it first
                }
            }
            if (!servers.equals(r.servers())) {
                throw new ClusterException("cluster '" + settings.name + "' in ZooKeeper routes the servers " + r.servers()
                        + ", but this configuration has " + servers + ": each MySQL topology needs its own cluster.name");
            }
            if (config.server(r.source()) == null) {
                throw new ClusterException("cluster '" + settings.name + "' routes to " + r.source()
                        + ", which this configuration does not name");
            }
            return r;
        } catch (ClusterException e) {
            throw e;
        } catch (Exception e) {
            throw new ClusterException("cluster '" + settings.name + "': cannot read or create " + path + ": " + e);
        }
    }

    static List<String> fingerprint(BatonConfig c) {
        TreeSet<String> s = new TreeSet<>();
        c.servers.forEach(x -> s.add(x.name + "@" + x.host + ":" + x.port));
        return new ArrayList<>(s);
    }

    RouteRecord read(String path) throws Exception {
        try {
            byte[] b = client.getData().forPath(path);
            return JSON.readValue(b, RouteRecord.class);
        } catch (KeeperException.NoNodeException e) {
            return null;
        }
    }

    /**
     * Starts following the cluster. The proxy already holds every statement ({@link Cluster#holdUntilJoined})
     * until the first record is applied under a fresh lease.
     */
    public void start(ProxyServer proxy, Monitor monitor, String adminAddress, String metricsAddress) {
        this.proxy = proxy;
        this.monitor = monitor;
        this.adminAddress = adminAddress;
        this.metricsAddress = metricsAddress;
        // The proxy holds every statement from here until the first record is applied (Cluster.holdUntilJoined).
        applier = Executors.newSingleThreadExecutor(daemon("baton-cluster-apply"));
        drainer = Executors.newSingleThreadExecutor(daemon("baton-cluster-drain"));
        leaseTimer = Executors.newSingleThreadScheduledExecutor(daemon("baton-cluster-lease"));
        try {
            org.apache.zookeeper.data.Stat taken = client.checkExists().forPath(memberPath());
            if (taken != null && taken.getEphemeralOwner() != client.getZookeeperClient().getZooKeeper().getSessionId()) {
                throw new ClusterException("cluster '" + settings.name + "': node id " + nodeId + " is in use by another"
                        + " live node; give each node its own cluster.nodeId (default: the proxy's host:port). If that was this node"
                        + " before it crashed, its session ends within cluster.sessionTimeout");
            }
            member = new PersistentNode(client, CreateMode.EPHEMERAL, false, memberPath(), status());
            member.start();
            if (!member.waitForInitialCreate(settings.connectionTimeout.toMillis(), TimeUnit.MILLISECONDS)) {
                throw new ClusterException("cluster '" + settings.name + "': could not register node " + nodeId
                        + " within " + settings.connectionTimeout.toMillis() + " ms");
            }
            routeCache = CuratorCache.build(client, base + "/route", CuratorCache.Options.SINGLE_NODE_CACHE);
            routeCache.listenable().addListener(CuratorCacheListener.builder()
                    .forCreatesAndChanges((before, after) -> applier.execute(this::applyLatest)).build());
            routeCache.start();
            membersCache = CuratorCache.build(client, base + "/nodes");
            membersCache.start();
        } catch (ClusterException e) {
            throw e;
        } catch (Exception e) {
            throw new ClusterException("cluster '" + settings.name + "': " + e.getMessage());
        }
        long period = Math.max(20, lease.toMillis() / 4);
        leaseTimer.scheduleWithFixedDelay(this::renewQuietly, 0, period, TimeUnit.MILLISECONDS);
        leaseTimer.scheduleWithFixedDelay(this::publishQuietly, 1000, 1000, TimeUnit.MILLISECONDS);
    }

    private static java.util.concurrent.ThreadFactory daemon(String name) {
        return r -> {
            Thread t = new Thread(r, name);
            t.setDaemon(true);
            return t;
        };
    }

    // ------------------------------------------------------------------------------ lease and fencing

    private void onConnectionState(ConnectionState state) {
        connection = state;
        log.info("cluster '{}': ZooKeeper connection {}", settings.name, state);
        // SUSPENDED alone does not fence: the session lives on and the lease runs out by itself if the client
        // cannot reconnect within it (a lost ZooKeeper server is then invisible to clients). LOST means the
        // session expired: the cluster has counted this node out.
        if (state == ConnectionState.LOST && proxy != null) {
            fence("lost its ZooKeeper session");
        }
    }

    private void fence(String why) {
        Gate gate = proxy.gate();
        if (!gate.isFenced()) {
            gate.fence("this Baton node is fenced: it " + why + "; it routes again once it has read the current route");
            fencings.incrementAndGet();
            log.warn("cluster '{}': node {} fenced: it {}", settings.name, nodeId, why);
        }
    }

    private void renewQuietly() {
        try {
            renew();
        } catch (RuntimeException | Error e) {
            log.error("cluster '{}': lease renewal failed", settings.name, e); // the next round tries again
        }
    }

    /** One lease round: confirm contact with the quorum; after a fence, catch up before routing again. */
    private void renew() {
        if (closed) {
            return;
        }
        Gate gate = proxy.gate();
        if (!gate.mayRoute() && !gate.isFenced()) {
            fence("had no confirmed contact with the ZooKeeper quorum for " + lease.toMillis() + " ms (cluster.leaseTimeout)");
        }
        long asked = System.nanoTime();
        if (!syncWithQuorum(lease.toMillis() / 2)) {
            return;
        }
        lastContactNanos = asked;
        long until = asked + lease.toNanos();
        if (!gate.isFenced() && gate.renewLease(until)) {
            return;
        }
        fence("lost its lease");
        // Fenced: first be a member the leader waits for (our own status znode, of this session), then read the
        // current record and apply it, then route again. Any write of the leader after the znode exists waits
        // for us; any write before our read we see.
        try {
            if (!registered()) {
                return;
            }
            RouteRecord current = read(base + "/route");
            if (current == null) {
                return;
            }
            Future<?> f = applier.submit(() -> apply(current));
            f.get(config.gate.maxWait.toMillis() + 1000, TimeUnit.MILLISECONDS);
            RouteRecord now = applied;
            if (now != null && now.epoch() >= current.epoch() && connection.isConnected() && !closed) {
                gate.unfence(until);
                log.info("cluster '{}': node {} routes again at epoch {} (source {})", settings.name, nodeId, now.epoch(),
                        now.source());
                publishQuietly();
            }
        } catch (TimeoutException e) {
            log.warn("cluster '{}': catching up with the route took longer than gate.maxWait; still fenced", settings.name);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (Exception e) {
            log.warn("cluster '{}': could not catch up with the route ({}); still fenced", settings.name, e.toString());
        }
    }

    /** This node's status znode exists and belongs to its current ZooKeeper session. */
    private boolean registered() throws Exception {
        org.apache.zookeeper.data.Stat st = client.checkExists().forPath(memberPath());
        long session = client.getZookeeperClient().getZooKeeper().getSessionId();
        return st != null && st.getEphemeralOwner() == session;
    }

    private String memberPath() {
        return base + "/nodes/" + nodeId;
    }

    /** A {@code sync} through the quorum's leader: proof that this session is heard, as of when it was sent. */
    boolean syncWithQuorum(long timeoutMs) {
        if (!connection.isConnected()) {
            return false;
        }
        try {
            ZooKeeper zk = client.getZookeeperClient().getZooKeeper();
            CountDownLatch done = new CountDownLatch(1);
            int[] rc = {-1};
            zk.sync(base, (code, path, ctx) -> {
                rc[0] = code;
                done.countDown();
            }, null);
            return done.await(timeoutMs, TimeUnit.MILLISECONDS) && rc[0] == KeeperException.Code.OK.intValue();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return false;
        } catch (Exception e) {
            return false;
        }
    }

    // ------------------------------------------------------------------------------ applying the route

    private void applyLatest() {
        Optional<ChildData> d = routeCache.get(base + "/route");
        if (d.isEmpty() || closed) {
            return;
        }
        try {
            apply(JSON.readValue(d.get().getData(), RouteRecord.class));
        } catch (IOException e) {
            log.error("cluster '{}': unreadable route record: {}", settings.name, e.getMessage());
        }
    }

    /**
     * Durability: a record that names a failover's lost source ({@code fenced}) fences that source's commits on this
     * node before the node counts as having applied it, so by the barrier that precedes the candidate check no node
     * releases an OK on the word of a replica the failover may leave out. Lifted by the first record without it (one
     * that routes elsewhere or opens the gate), and only once this node routes as that record says: a replica's word
     * must not count while the node still routes to the lost source (docs/durability.md). Applying thread only.
     */
    private void fenceAsRecorded(RouteRecord r, boolean routed) {
        io.baton.admin.failover.AckedWrites a = acked;
        if (a == null) {
            return;
        }
        if (r.fenced() != null && !routed) {
            a.fenceRecorded(r.fenced());
        } else if (r.fenced() == null && routed) {
            a.fenceRecorded(null); // apart from the leader's own: its engine lifts that one as it does alone
        }
    }

    /** Commits of this node's sessions to fence as the route record says (durability.mode replica). */
    void fenceCommits(io.baton.admin.failover.AckedWrites writes) {
        this.acked = writes;
    }

    /** Runs on the applying thread only: records are applied in epoch order, each once. */
    private void apply(RouteRecord r) {
        RouteRecord before = applied;
        if (before != null && r.epoch() < before.epoch()) {
            return;
        }
        if (before != null && r.epoch() == before.epoch()) {
            applied = r; // the same route, with news that changes no routing (the last report)
            return;
        }
        BatonConfig.Server s = config.server(r.source());
        if (s == null) {
            log.error("cluster '{}': epoch {} routes to {}, which this configuration does not name; not applied",
                    settings.name, r.epoch(), r.source());
            return;
        }
        long t0 = System.nanoTime();
        fenceAsRecorded(r, false);
        if (!r.gateOpen()) {
            proxy.closeGate(r.gateReason() == null || r.gateReason().isEmpty() ? "closed by the cluster leader" : r.gateReason());
        }
        Endpoint target = new Endpoint(s.name, s.host, s.port);
        monitor.setElectedSource(s.name);
        String moved = "";
        if (!target.equals(proxy.source())) {
            Endpoint left = proxy.source();
            RoutingControl.MigrationSummary m = proxy.switchTo(target, config.gate.maxWait);
            lastSwitch = m;
            if (left != null) {
                List<String> lines = proxy.sessionsLostAt(left.name());
                lost = new Lost(left.name(), r.epoch(), proxy.inFlightLostAt(left.name()),
                        List.copyOf(lines.subList(0, Math.min(lines.size(), MemberStatus.LOST_SESSION_LINES))),
                        System.currentTimeMillis());
            }
            moved = String.format(", %d session(s) moved, %d failed", m.moved(), m.failed());
        }
        if (r.gateOpen()) {
            proxy.openGate();
        }
        fenceAsRecorded(r, true);
        applied = r;
        publishQuietly();
        if (!r.gateOpen()) {
            drainer.execute(() -> drain(r.epoch()));
        }
        log.info("cluster '{}': epoch {} applied in {} ms: source {}, gate {}{}", settings.name, r.epoch(),
                (System.nanoTime() - t0) / 1_000_000, r.source(), r.gateOpen() ? "open" : "closed", moved);
    }

    private void drain(long epoch) {
        RouteRecord now = applied;
        if (now == null || now.epoch() != epoch || closed) {
            return; // the route moved on meanwhile
        }
        boolean none = proxy.awaitNoOpenTransactions(config.gate.maxWait);
        drained = none;
        drainedEpoch = epoch;
        publishQuietly();
    }

    // ------------------------------------------------------------------------------ status

    private byte[] status() {
        try {
            return JSON.writeValueAsBytes(currentStatus());
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }

    /** What this node would publish now. */
    public MemberStatus currentStatus() {
        RouteRecord r = applied;
        Gate gate = proxy == null ? null : proxy.gate();
        RoutingControl.MigrationSummary m = lastSwitch;
        long lease = gate == null ? 0 : gate.leaseRemainingNanos() / 1_000_000;
        Lost lost = System.currentTimeMillis() - this.lost.atMillis() < LOST_KEPT_MILLIS ? this.lost : NOTHING_LOST;
        return new MemberStatus(nodeId, proxy == null ? null : config.proxy.host + ":" + proxy.port(), adminAddress,
                metricsAddress, r == null ? 0 : r.epoch(), drainedEpoch, drained, gate != null && gate.isOpen(),
                gate != null && gate.isFenced(), gate == null ? "" : gate.isOpen() ? "" : gate.reason(),
                proxy == null ? 0 : proxy.sessions().open(), m.moved(), m.failed(), m.pauseMillis(), lease,
                System.currentTimeMillis(), lost.source(), lost.epoch(), lost.inFlight(), lost.sessions());
    }

    /** One at a time (apply, drain and lease threads all publish): ZooKeeper then applies them in this order. */
    private synchronized void publishQuietly() {
        PersistentNode n = member;
        if (n == null || closed || !connection.isConnected()) {
            return;
        }
        try {
            n.setData(status());
        } catch (Exception e) {
            log.debug("cluster '{}': status not published: {}", settings.name, e.toString());
        }
    }

    /** Every node's last published status, this one's as of now, sorted by node id. */
    public List<MemberStatus> members() {
        List<MemberStatus> out = new ArrayList<>();
        CuratorCache c = membersCache;
        if (c != null) {
            String prefix = base + "/nodes/";
            c.stream().filter(d -> d.getPath().startsWith(prefix) && d.getData() != null && d.getData().length > 0)
                    .forEach(d -> {
                        try {
                            MemberStatus s = JSON.readValue(d.getData(), MemberStatus.class);
                            out.add(s.nodeId().equals(nodeId) ? currentStatus() : s);
                        } catch (IOException e) {
                            log.debug("unreadable member status at {}", d.getPath());
                        }
                    });
        }
        if (out.stream().noneMatch(s -> s.nodeId().equals(nodeId)) && proxy != null) {
            out.add(currentStatus());
        }
        out.sort(java.util.Comparator.comparing(MemberStatus::nodeId));
        return out;
    }

    /**
     * Every live node's status read from ZooKeeper now, on this node's session (not from the cache): after a
     * write of this session, ZooKeeper's ordering guarantees that every node registered before it is listed.
     */
    List<MemberStatus> membersFromQuorum() throws Exception {
        List<MemberStatus> out = new ArrayList<>();
        String dir = base + "/nodes";
        for (String child : client.getChildren().forPath(dir)) {
            if (child.equals(nodeId)) {
                out.add(currentStatus());
                continue;
            }
            try {
                out.add(JSON.readValue(client.getData().forPath(dir + "/" + child), MemberStatus.class));
            } catch (KeeperException.NoNodeException gone) {
                // its session ended between the listing and the read: it is out
            }
        }
        return out;
    }

    /** The record this node routes by (null before the first). */
    public RouteRecord applied() {
        return applied;
    }

    public boolean connected() {
        return connection.isConnected();
    }

    public String connectionState() {
        return connection.name();
    }

    public boolean fenced() {
        return proxy != null && !proxy.gate().mayRoute();
    }

    public int fencings() {
        return fencings.get();
    }

    /** Milliseconds since this node's last confirmed contact with the ZooKeeper quorum. */
    public long leaseAgeMillis() {
        return (System.nanoTime() - lastContactNanos) / 1_000_000;
    }

    @Override
    public void close() {
        closed = true;
        for (ExecutorService e : new ExecutorService[] {leaseTimer, applier, drainer}) {
            if (e != null) {
                e.shutdownNow();
            }
        }
        try {
            // No lease round may unfence after the fence below: wait for the lease thread to stop.
            if (leaseTimer != null && !leaseTimer.awaitTermination(5, TimeUnit.SECONDS)) {
                log.warn("cluster '{}': the lease thread did not stop within 5 s", settings.name);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        if (proxy != null) {
            // Fenced before it leaves: once its znode is gone the leader no longer waits for it, so from then on
            // it must not route on its lease (its sessions are closed right after, with the proxy).
            proxy.gate().fence("this Baton node is leaving its cluster");
        }
        for (AutoCloseable c : new AutoCloseable[] {routeCache, membersCache, member}) {
            if (c != null) {
                try {
                    c.close();
                } catch (Exception e) {
                    log.debug("cluster close: {}", e.toString());
                }
            }
        }
        client.close();
    }
}
