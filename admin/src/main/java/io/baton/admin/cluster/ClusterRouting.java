package io.baton.admin.cluster;

import io.baton.admin.config.BatonConfig;
import io.baton.proxy.routing.Endpoint;
import io.baton.proxy.routing.RoutingControl;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * The failover engine's routing on a cluster's leader: the same calls as a standalone proxy, done on every
 * node. Each one writes the route record (as the leader only) and returns once every live node has applied
 * it, so "the gate is closed" means closed on every node, and "routed to the new source" means by every node.
 */
public final class ClusterRouting implements RoutingControl {
    private final ClusterLeadership leadership;
    private final BatonConfig config;
    private volatile Routed routed;

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

    /** Every node applies the closed gate, and fences {@code lostSource}'s commits, before this returns. */
    @Override
    public void closeGate(String reason, String lostSource) {
        RouteRecord r = leadership.write(x -> x.withGateFencing(reason, lostSource));
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
     * it routes to the new source; at no time does a node route with an open gate to the old source, which a
     * switchover made read-only before. The barrier after the write only counts the moves.
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
        routed = new Routed(r.epoch(), nodes);
        int moved = nodes.stream().mapToInt(MemberStatus::moved).sum();
        int failed = nodes.stream().mapToInt(MemberStatus::failed).sum();
        return new MigrationSummary(moved, failed, (System.nanoTime() - t0) / 1_000_000);
    }

    /**
     * What every node's sessions got at {@code server} when the last route left it, summed over the nodes (each
     * node collects its own as it applies the record and publishes them in its status; the barrier read them).
     * The next change of route replaces them.
     */
    @Override
    public Map<String, Long> inFlightLostAt(String server) {
        Map<String, Long> out = new TreeMap<>();
        lostAt(server).forEach(m -> m.inFlight().forEach((fate, n) -> out.merge(fate, n, Long::sum)));
        return out;
    }

    /** As {@link #inFlightLostAt}, each node's session lines, prefixed with the node. */
    @Override
    public List<String> sessionsLostAt(String server) {
        List<String> out = new ArrayList<>();
        lostAt(server).forEach(m -> m.lostSessions().forEach(line -> out.add("node " + m.nodeId() + ": " + line)));
        return out;
    }

    private List<MemberStatus> lostAt(String server) {
        Routed x = routed;
        if (x == null) {
            return List.of();
        }
        return x.nodes().stream().filter(m -> server.equals(m.lostSource()) && m.lostEpoch() == x.epoch()
                && m.inFlight() != null && m.lostSessions() != null).toList();
    }

    /** The nodes' statuses as the barrier of the last route change read them. */
    private record Routed(long epoch, List<MemberStatus> nodes) {
    }

    @Override
    public boolean awaitNoOpenTransactions(Duration timeout) {
        RouteRecord r = leadership.current();
        return r != null && leadership.awaitDrained(r.epoch(), timeout.plus(config.cluster.barrier()));
    }
}
