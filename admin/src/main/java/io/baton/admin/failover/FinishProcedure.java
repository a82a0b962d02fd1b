package io.baton.admin.failover;

import static io.baton.admin.failover.FailoverStep.step;

import io.baton.admin.config.BatonConfig;
import io.baton.admin.topology.Monitor;
import io.baton.admin.topology.ServerState;
import io.baton.admin.topology.TopologySnapshot;
import io.baton.proxy.routing.Endpoint;
import io.baton.proxy.routing.RoutingControl;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * Finishes a switchover or failover that the process which ran it (a cluster's previous leader) left in its
 * middle, from the plan it recorded before it touched the source ({@link RoutingControl#intend}) and what the
 * servers say now:
 * <ul>
 *   <li>the target is writable and the old source is not (read-only or gone): it was promoted; route to it,
 *       open the gate, repoint the others (GTID mode; position mode names them for REJOIN);</li>
 *   <li>a switchover whose target is not writable (read-only, or not answering), with the old source alive and
 *       still routed by the record: the old source is made writable again (if the dead leader had made it
 *       read-only) and the gate opens on it; a promotion that shows up later is a writable server no route
 *       reaches, which the monitor fences;</li>
 *   <li>a failover whose target is not writable: the plan is dropped and the engine fails over anew;</li>
 *   <li>otherwise (both writable; a switchover whose old source does not answer): nothing changes, the step
 *       fails and the leader tries again later (Cluster), while a dead old source is replaced by a failover.</li>
 * </ul>
 */
final class FinishProcedure extends Procedure {
    private enum Plan { ROUTE_TO_TARGET, BACK_TO_OLD_SOURCE, DROP }

    private final String kind;
    private final String oldSource;
    private final String target;
    private Plan plan = Plan.DROP;

    FinishProcedure(BatonConfig config, Monitor monitor, RoutingControl routing, FailoverReport report, String kind,
                    String oldSource, String target) {
        super(config, monitor, routing, report);
        this.kind = kind;
        this.oldSource = oldSource;
        this.target = target;
        report.oldSource(oldSource);
    }

    @Override
    List<FailoverStep> steps() {
        return List.of(
                step("read what was left", this::assess),
                step("make the old source writable again", () -> {
                    if (plan != Plan.BACK_TO_OLD_SOURCE) {
                        return "not needed";
                    }
                    if (Boolean.TRUE.equals(writableNow(oldSource))) {
                        return oldSource + " is writable";
                    }
                    conn(oldSource).setReadOnly(false);
                    return oldSource + " is writable again (" + dialect(oldSource).readOnlyVariable() + "=OFF)";
                }),
                step("route to the new source", () -> {
                    if (plan != Plan.ROUTE_TO_TARGET) {
                        return "not needed";
                    }
                    report.newSource(target);
                    // As the procedure would have: a switchover routes and opens at once (the old source is read-only),
                    // a failover moves every node's sessions before any node opens.
                    RoutingControl.MigrationSummary m = "switchover".equals(kind)
                            ? routing.switchToAndOpen(endpoint(target), config.gate.maxWait)
                            : routing.switchTo(endpoint(target), config.gate.maxWait);
                    return "routing to " + endpoint(target) + ": " + m.moved() + " session(s) moved, " + m.failed()
                            + " failed";
                }),
                step("open the gate", () -> {
                    if (plan == Plan.DROP) {
                        routing.intend(null, null, null);
                        return "left to the engine: the plan is dropped";
                    }
                    if (!routing.isGateOpen()) {
                        routing.openGate(); // drops the plan too
                    } else {
                        routing.intend(null, null, null);
                    }
                    if (plan == Plan.ROUTE_TO_TARGET) {
                        report.routed();
                    }
                    return "open: statements proceed on " + (plan == Plan.ROUTE_TO_TARGET ? target : oldSource);
                }),
                step("repoint the replicas and the old source", () -> plan == Plan.ROUTE_TO_TARGET ? repointOthers()
                        : "not needed"));
    }

    private String assess() throws StepFailedException {
        TopologySnapshot topo = monitor.refresh();
        Optional<ServerState> t = topo.server(target);
        Optional<ServerState> o = topo.server(oldSource);
        boolean targetReachable = t.map(ServerState::reachable).orElse(false);
        boolean targetWritable = targetReachable && t.get().writable();
        boolean oldReachable = o.map(ServerState::reachable).orElse(false);
        boolean oldWritable = oldReachable && o.get().writable();
        Endpoint routed = routing.source();
        boolean routedToOld = routed != null && routed.name().equals(oldSource);
        String what = kind + " " + oldSource + " -> " + target;
        String seen = target + " " + describe(t) + ", " + oldSource + " " + describe(o) + ", routed to "
                + (routed == null ? "nothing" : routed.name());
        if (targetWritable && oldWritable) {
            throw new StepFailedException(what + " was left half done and both are writable (" + seen + "): the gate stays"
                    + " closed until an operator makes one of them read-only (tried again in a while)");
        }
        if (targetWritable) {
            plan = Plan.ROUTE_TO_TARGET;
            return what + " was left after the promotion (" + seen + "): finish it";
        }
        if ("failover".equals(kind)) {
            // Not promoted (or promoted and lost since): the old source is dead; a failover decides anew.
            plan = Plan.DROP;
            return what + " was left before the promotion (" + seen + "): nothing to finish";
        }
        if (!oldReachable || !routedToOld) {
            // A switchover: going back needs the old source, and the record still routing to it; a dead old source is
            // replaced by a failover meanwhile (which writes its own plan).
            throw new StepFailedException(what + " was left with " + seen + ": cannot go back to " + oldSource + " now (tried"
                    + " again in a while; if " + oldSource + " stays dead, a failover replaces it)");
        }
        // The target is read-only or does not answer: no route reaches it (the record names the old source), and a
        // promotion that shows up later is a writable server nothing routes to, which the monitor fences.
        plan = Plan.BACK_TO_OLD_SOURCE;
        if (t.map(s -> s.reachable() && s.replica() == null).orElse(false)) {
            report.warn(target + " replicates from nobody (the promotion had begun): REJOIN it");
        }
        return what + " was left before the promotion (" + seen + "): back to " + oldSource;
    }

    private static String describe(Optional<ServerState> s) {
        return s.map(x -> !x.reachable() ? "unreachable" : x.writable() ? "writable" : "read-only").orElse("unknown");
    }

    /**
     * Every other reachable server that does not replicate from the target yet, if it has nothing the target lacks
     * (GTID mode; others are named for REJOIN). After a failover the lost old source is left to REJOIN, which checks
     * what it holds that the new source does not.
     */
    private String repointOthers() throws SQLException {
        TopologySnapshot topo = monitor.refresh();
        ServerState t = read(target);
        List<String> servers = new ArrayList<>();
        Map<String, String> startPos = new LinkedHashMap<>();
        List<String> left = new ArrayList<>();
        for (ServerState s : topo.servers()) {
            if (s.name().equals(target) || !s.reachable() || config.server(s.name()) == null) {
                continue;
            }
            if (s.replicatesFrom(t.host(), t.port()) && s.replica().bothThreadsRunning()) {
                continue;
            }
            if (!gtidMode || ("failover".equals(kind) && s.name().equals(oldSource))) {
                report.leaveOut(s.name(), (gtidMode ? "the lost source" : "position mode")
                        + ": REJOIN it (checks what it holds that " + target + " does not)");
                left.add(s.name());
                continue;
            }
            ServerState now = read(s.name());
            ErrantTransactions errant = now.dialect().isMariaDb() ? ErrantTransactions.mariaDbGtid(now, t)
                    : ErrantTransactions.mysqlGtid(now, t);
            if (errant.found()) {
                report.leaveOut(s.name(), errant.description() + ": REJOIN it with force, or rebuild it");
                left.add(s.name());
                continue;
            }
            if (errant.mariaDbStartPos() != null) {
                startPos.put(s.name(), errant.mariaDbStartPos());
            }
            servers.add(s.name());
        }
        if (servers.isEmpty()) {
            return left.isEmpty() ? "every reachable server replicates from " + target
                    : "left for REJOIN: " + String.join(", ", left);
        }
        return repoint(servers, target, startPos) + (left.isEmpty() ? "" : "; left for REJOIN: " + String.join(", ", left));
    }

    @Override
    String stopSafely(String failedStep, Exception cause) {
        if (failedStep.equals("read what was left")) {
            return "the gate stays as it is";
        }
        if (plan == Plan.ROUTE_TO_TARGET) {
            return finishRouting(target);
        }
        return reopenGateIfSourceWritable();
    }
}
