package io.baton.admin.cluster;

import io.baton.admin.config.BatonConfig;
import java.time.Duration;
import java.util.List;
import java.util.function.Consumer;
import java.util.function.UnaryOperator;
import java.util.stream.Collectors;
import org.apache.curator.framework.CuratorFramework;
import org.apache.curator.framework.api.transaction.CuratorTransactionResult;
import org.apache.curator.framework.recipes.leader.LeaderLatch;
import org.apache.curator.framework.recipes.leader.LeaderLatchListener;
import org.apache.curator.framework.recipes.leader.Participant;
import org.apache.zookeeper.KeeperException;
import org.apache.zookeeper.data.Stat;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Which node decides, and how the one that does writes: leader election with Curator's {@link LeaderLatch}
 * under /baton/&lt;name&gt;/leader, and the leader's only way to change the route — a transaction that checks
 * the leader's own election znode and the record's version (KAFKA-6082's controller-epoch fencing), so a
 * node that lost its leadership, or was paused through somebody else's term, cannot write. Then it waits
 * for every live node to apply what it wrote (a barrier; a node whose session expired is out, and its lease
 * ended before that).
 */
public final class ClusterLeadership implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(ClusterLeadership.class);
    private static final long POLL_MILLIS = 5;

    private final ClusterNode node;
    private final CuratorFramework client;
    private final LeaderLatch latch;
    private final String routePath;
    /** The newest record this node wrote or saw, for {@code source()} and {@code isGateOpen()} between writes. */
    private volatile RouteRecord latest;
    /** What this node wrote last, to write the next change without reading first (null: read first). */
    private volatile Written written;
    /** Set once a newly elected leader has applied the newest record: only then does it decide. */
    private volatile boolean caughtUp;

    public ClusterLeadership(ClusterNode node) {
        this.node = node;
        this.client = node.client();
        this.latch = new LeaderLatch(client, node.base() + "/leader", node.nodeId());
        this.routePath = node.base() + "/route";
    }

    /** Joins the election; {@code elected} runs (on Curator's thread) each time this node becomes leader. */
    public void start(Consumer<RouteRecord> elected) {
        latch.addListener(new LeaderLatchListener() {
            @Override
            public void isLeader() {
                caughtUp = false;
                written = null;
                RouteRecord r = current();
                log.info("cluster '{}': node {} is the leader (epoch {}, source {})", node.config().cluster.name,
                        node.nodeId(), r == null ? 0 : r.epoch(), r == null ? "-" : r.source());
                elected.accept(r);
            }

            @Override
            public void notLeader() {
                caughtUp = false;
                written = null;
                log.info("cluster '{}': node {} is no longer the leader", node.config().cluster.name, node.nodeId());
            }
        });
        try {
            latch.start();
        } catch (Exception e) {
            throw new ClusterException("cluster '" + node.config().cluster.name + "': cannot join the leader election: "
                    + e.getMessage());
        }
    }

    /** This node decides: it holds the latch, may route (not fenced, lease running) and has caught up. */
    public boolean isLeader() {
        return caughtUp && latch.hasLeadership() && !node.fenced();
    }

    /** Holds the latch (it may still be catching up before it decides). */
    boolean holdsLatch() {
        return latch.hasLeadership();
    }

    /**
     * A newly elected leader first reads the newest record through the quorum and waits until this node has
     * applied it: it must not decide on a route older than the one every node follows. Returns the record,
     * or null if it could not within {@code timeout} (the caller tries again).
     */
    RouteRecord catchUp(Duration timeout) throws InterruptedException {
        if (!node.syncWithQuorum(Math.max(100, timeout.toMillis() / 2))) {
            return null;
        }
        RouteRecord newest;
        try {
            newest = node.read(routePath);
        } catch (Exception e) {
            return null;
        }
        if (newest == null) {
            return null;
        }
        long deadline = System.nanoTime() + timeout.toNanos();
        while (node.applied() == null || node.applied().epoch() < newest.epoch() || node.fenced()) {
            if (System.nanoTime() > deadline || !latch.hasLeadership()) {
                return null;
            }
            Thread.sleep(POLL_MILLIS);
        }
        caughtUp = latch.hasLeadership();
        // The record as the quorum has it: a same-epoch change (a procedure's plan, the last report) may not have
        // reached this node's applied copy yet, and the plan is what this leader must finish.
        return caughtUp ? newest : null;
    }

    /** The leader's node id, or null when there is none (or ZooKeeper cannot say now). */
    public String leaderId() {
        if (latch.hasLeadership()) {
            return node.nodeId();
        }
        try {
            Participant p = latch.getLeader();
            return p != null && p.isLeader() ? p.getId() : null;
        } catch (Exception e) {
            return null;
        }
    }

    /** Why this node refuses a command that only the leader runs, and where to go instead. */
    public String notLeaderMessage() {
        String leader = leaderId();
        if (node.fenced()) {
            return "this Baton node (" + node.nodeId() + ") is fenced from its cluster (no ZooKeeper lease): it decides"
                    + " nothing until it is back";
        }
        if (leader == null) {
            return "this Baton node (" + node.nodeId() + ") is not the cluster leader, and no leader is elected right now;"
                    + " try again in a few seconds";
        }
        String admin = node.members().stream().filter(m -> m.nodeId().equals(leader)).map(MemberStatus::admin)
                .filter(a -> a != null).findFirst().orElse("?");
        return "this Baton node (" + node.nodeId() + ") is not the cluster leader: FAILOVER, SWITCHOVER, REJOIN, PAUSE"
                + " and RESUME run on the leader, " + leader + " (admin console " + admin + ")";
    }

    /** The newest record known here: written by this node, or applied. */
    public RouteRecord current() {
        RouteRecord a = node.applied();
        RouteRecord w = latest;
        if (a == null) {
            return w;
        }
        return w == null || a.epoch() >= w.epoch() ? a : w;
    }

    /**
     * Changes the route record as the leader: reads it with its version, applies {@code change}, and writes it
     * in one transaction with a check of this node's election znode. Fails (IllegalStateException) when this
     * node is not the leader or lost it meanwhile; nothing is written then.
     */
    public RouteRecord write(UnaryOperator<RouteRecord> change) {
        if (!isLeader()) {
            throw new IllegalStateException(notLeaderMessage());
        }
        String ours = latch.getOurPath();
        Written w = written;
        try {
            if (w != null) {
                // This leader wrote the record last (as far as it knows): write on top of that, one round trip less in
                // a closed gate's window. If anyone wrote since, the version check fails and we read it fresh.
                try {
                    return writeOver(w.record(), w.version(), change, ours);
                } catch (KeeperException.BadVersionException stale) {
                    written = null;
                    Written now = readRoute();
                    if (now.record().epoch() != w.record().epoch() || !node.nodeId().equals(now.record().leader())) {
                        // Somebody else changed the route since this leader's last write (a leader elected while this
                        // node had lost its leadership): what this node meant to change no longer applies.
                        throw new IllegalStateException("node " + node.nodeId() + " did not write the route: it changed"
                                + " since this node's last write (epoch " + w.record().epoch() + " -> " + now.record().epoch()
                                + ", written by " + now.record().leader() + "); nothing was written");
                    }
                    return writeOver(now.record(), now.version(), change, ours);
                }
            }
            Written now = readRoute();
            return writeOver(now.record(), now.version(), change, ours);
        } catch (KeeperException.NoNodeException | KeeperException.BadVersionException e) {
            written = null;
            throw new IllegalStateException("node " + node.nodeId() + " lost the cluster leadership before it could write"
                    + " the route (" + e.code() + "); nothing was written");
        } catch (IllegalStateException e) {
            throw e;
        } catch (Exception e) {
            written = null;
            throw new IllegalStateException("node " + node.nodeId() + " could not write the route record: " + e, e);
        }
    }

    /** The check of our election znode and the versioned write, in one transaction. */
    private RouteRecord writeOver(RouteRecord before, int version, UnaryOperator<RouteRecord> change, String ours)
            throws Exception {
        RouteRecord after = change.apply(before).writtenBy(node.nodeId(), System.currentTimeMillis());
        List<CuratorTransactionResult> results = client.transaction().forOperations(
                client.transactionOp().check().forPath(ours),
                client.transactionOp().setData().withVersion(version)
                        .forPath(routePath, ClusterNode.JSON.writeValueAsBytes(after)));
        Stat stat = results.stream().filter(r -> r.getForPath().equals(routePath)).map(CuratorTransactionResult::getResultStat)
                .filter(x -> x != null).findFirst().orElse(null);
        written = stat == null ? null : new Written(after, stat.getVersion());
        latest = after;
        return after;
    }

    /** The route record as the znode holds it now, with its version. */
    private Written readRoute() throws Exception {
        Stat stat = new Stat();
        byte[] data = client.getData().storingStatIn(stat).forPath(routePath);
        return new Written(ClusterNode.JSON.readValue(data, RouteRecord.class), stat.getVersion());
    }

    /** A route record and its znode version (the one this node wrote last, or one just read). */
    private record Written(RouteRecord record, int version) {
    }

    /**
     * Waits until every live node has applied {@code epoch}. Nodes whose znode disappears (session expired) are
     * out: their lease ended before. Returns the statuses of the nodes that applied it.
     */
    public List<MemberStatus> awaitApplied(long epoch, Duration timeout) {
        return await(timeout, m -> m.appliedEpoch() >= epoch, "apply epoch " + epoch);
    }

    /** Waits until every live node has drained its sessions for the closed gate of {@code epoch}; true if none was left. */
    public boolean awaitDrained(long epoch, Duration timeout) {
        return await(timeout, m -> m.drainedEpoch() >= epoch, "drain its sessions").stream().allMatch(MemberStatus::drained);
    }

    private List<MemberStatus> await(Duration timeout, java.util.function.Predicate<MemberStatus> done, String what) {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (true) {
            List<MemberStatus> members;
            try {
                members = node.membersFromQuorum();
            } catch (Exception e) {
                throw new IllegalStateException("could not read the cluster's nodes from ZooKeeper while waiting for them to "
                        + what + ": " + e, e);
            }
            List<MemberStatus> missing = members.stream().filter(done.negate()).toList();
            if (missing.isEmpty()) {
                return members;
            }
            if (System.nanoTime() - deadline > 0) {
                throw new IllegalStateException("cluster node(s) " + missing.stream().map(MemberStatus::nodeId)
                        .collect(Collectors.joining(", ")) + " did not " + what + " within " + timeout.toMillis() + " ms");
            }
            try {
                Thread.sleep(POLL_MILLIS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IllegalStateException("interrupted while waiting for the cluster's nodes to " + what);
            }
        }
    }

    String nodeId() {
        return node.nodeId();
    }

    BatonConfig config() {
        return node.config();
    }

    @Override
    public void close() {
        try {
            latch.close(LeaderLatch.CloseMode.SILENT);
        } catch (Exception e) {
            log.debug("leader latch close: {}", e.toString());
        }
    }
}
