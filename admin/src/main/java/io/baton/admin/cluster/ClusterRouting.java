package io.baton.admin.cluster;

import io.baton.admin.config.BatonConfig;
import io.baton.proxy.routing.Endpoint;
import io.baton.proxy.routing.RoutingControl;
import java.time.Duration;
import java.util.List;

/**
 * The failover engine's routing on a cluster's leader: the same calls as a standalone proxy, done on every
 * node. Each one writes the route record (as the leader only) and returns once every live node has applied
 * it, so "the gate is closed" means closed on every node, and "routed to the new source" means by every node.
 */
public final class ClusterRouting implements RoutingControl {
    private final ClusterLeadership leadership;
    private final BatonConfig config;

    public ClusterRouting(ClusterLeadership leadership) {
        this.leadership = leadership;
        this.config = leadership.config();
    }

    @Override
    public Endpoint source() {
        RouteRecord r = leadership.current();
        return r == null ? null : new Endpoint(r.source(), r.host(), r.port());
    }

    @Override
    public void closeGate(String reason) {
        RouteRecord r = leadership.write(x -> x.withGate(false, reason));
        leadership.awaitApplied(r.epoch(), config.cluster.barrier());
    }

    @Override
    public void openGate() {
        RouteRecord r = leadership.write(x -> x.withGate(true, ""));
        leadership.awaitApplied(r.epoch(), config.cluster.barrier());
    }

    /** Same epoch (no node's routing changes): one write, no barrier. A null {@code kind} drops the plan. */
    @Override
    public void intend(String kind, String oldSource, String target) {
        leadership.write(x -> x.withIntent(kind == null ? null : new RouteRecord.Intent(kind, oldSource, target,
                leadership.nodeId(), System.currentTimeMillis())));
    }

    @Override
    public boolean isGateOpen() {
        RouteRecord r = leadership.current();
        return r != null && r.gateOpen();
    }

    @Override
    public MigrationSummary switchTo(Endpoint newSource, Duration timeout) {
        return route(x -> x.withSource(newSource.name(), newSource.host(), newSource.port(), System.currentTimeMillis()),
                timeout);
    }

    /**
     * One record for the new source and the open gate: a node opens as soon as it has moved its own sessions, not
     * after the slowest node has moved its. Safe because every live node applied the closed gate before the
     * promotion (the barrier of {@link #closeGate}): until a node applies this record it holds statements, after
     * it routes to the new source; at no time does a node route with an open gate to the old source, which is
     * read-only (switchover) or dead (failover) by now. The barrier after the write only counts the moves.
     */
    @Override
    public MigrationSummary switchToAndOpen(Endpoint newSource, Duration timeout) {
        return route(x -> x.withSourceOpen(newSource.name(), newSource.host(), newSource.port(), System.currentTimeMillis()),
                timeout);
    }

    private MigrationSummary route(java.util.function.UnaryOperator<RouteRecord> change, Duration timeout) {
        long t0 = System.nanoTime();
        RouteRecord r = leadership.write(change);
        List<MemberStatus> nodes = leadership.awaitApplied(r.epoch(), timeout.plus(config.cluster.barrier()));
        int moved = nodes.stream().mapToInt(MemberStatus::moved).sum();
        int failed = nodes.stream().mapToInt(MemberStatus::failed).sum();
        return new MigrationSummary(moved, failed, (System.nanoTime() - t0) / 1_000_000);
    }

    @Override
    public boolean awaitNoOpenTransactions(Duration timeout) {
        RouteRecord r = leadership.current();
        return r != null && leadership.awaitDrained(r.epoch(), timeout.plus(config.cluster.barrier()));
    }
}
