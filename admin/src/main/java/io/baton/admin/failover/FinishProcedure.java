package io.baton.admin.failover;

import static io.baton.admin.failover.FailoverStep.step;

import io.baton.admin.config.BatonConfig;
import io.baton.admin.topology.Monitor;
import io.baton.admin.topology.ServerState;
import io.baton.admin.topology.TopologySnapshot;
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
 *   <li>a switchover whose target was not promoted, with the old source alive: the old source is made writable
 *       again (if the dead leader had made it read-only) and the gate opens on it, as a standalone switchover
 *       that stops before its promotion does;</li>
 *   <li>both writable: nothing is decided (the gate stays closed; an operator chooses);</li>
 *   <li>otherwise (a failover whose promotion did not happen, or both servers gone): the plan is dropped and the
 *       engine handles the lost source as any other.</li>
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
                    RoutingControl.MigrationSummary m = routing.switchToAndOpen(endpoint(target), config.gate.maxWait);
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
        boolean targetWritable = t.map(s -> s.reachable() && s.writable()).orElse(false);
        boolean oldReachable = o.map(ServerState::reachable).orElse(false);
        boolean oldWritable = oldReachable && o.get().writable();
        String seen = target + " " + describe(t) + ", " + oldSource + " " + describe(o);
        if (targetWritable && oldWritable) {
            throw new StepFailedException(kind + " " + oldSource + " -> " + target + " was left half done and both are"
                    + " writable (" + seen + "): the gate stays closed until an operator makes one of them read-only");
        }
        if (targetWritable) {
            plan = Plan.ROUTE_TO_TARGET;
            return kind + " " + oldSource + " -> " + target + " was left after the promotion (" + seen + "): finish it";
        }
        if ("switchover".equals(kind) && oldReachable) {
            plan = Plan.BACK_TO_OLD_SOURCE;
            return kind + " " + oldSource + " -> " + target + " was left before the promotion (" + seen + "): stay on "
                    + oldSource;
        }
        plan = Plan.DROP;
        return kind + " " + oldSource + " -> " + target + " was left with nothing to finish (" + seen + ")";
    }

    private static String describe(Optional<ServerState> s) {
        return s.map(x -> !x.reachable() ? "unreachable" : x.writable() ? "writable" : "read-only").orElse("unknown");
    }

    /** Every other reachable server that does not replicate from the target yet. */
    private String repointOthers() throws SQLException {
        TopologySnapshot topo = monitor.refresh();
        ServerState t = topo.server(target).orElseThrow();
        List<String> servers = new ArrayList<>();
        for (ServerState s : topo.servers()) {
            if (s.name().equals(target) || !s.reachable() || config.server(s.name()) == null) {
                continue;
            }
            if (s.replicatesFrom(t.host(), t.port()) && s.replica().bothThreadsRunning()) {
                continue;
            }
            servers.add(s.name());
        }
        if (servers.isEmpty()) {
            return "every reachable server replicates from " + target;
        }
        if (!gtidMode) {
            servers.forEach(s -> report.leaveOut(s, "position mode: where it stands in " + target
                    + "'s binary log is not known here; REJOIN it"));
            return "left for REJOIN (position mode): " + String.join(", ", servers);
        }
        Map<String, String> startPos = new LinkedHashMap<>();
        ServerState o = topo.server(oldSource).orElse(null);
        if (o != null && o.reachable() && o.dialect().isMariaDb() && servers.contains(oldSource)) {
            // The old source's own writes are in its binary log, not in its gtid_slave_pos: start after them.
            startPos.put(oldSource, read(oldSource).gtidBinlogPos().toString());
        }
        return repoint(servers, target, startPos);
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
