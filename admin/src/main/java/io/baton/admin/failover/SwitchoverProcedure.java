package io.baton.admin.failover;

import static io.baton.admin.failover.FailoverStep.step;

import io.baton.admin.config.BatonConfig;
import io.baton.admin.topology.Monitor;
import io.baton.admin.topology.ServerConnection;
import io.baton.admin.topology.ServerState;
import io.baton.admin.topology.TopologySnapshot;
import io.baton.dialect.Dialect;
import io.baton.proxy.routing.RoutingControl;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Planned switchover with the source alive (the manual's "make the source a source again", done
 * without losing a write): hold new statements, make the old source read-only, wait until the
 * candidate has executed everything it wrote, promote, route, open the gate; then repoint the others and
 * the old source (writes do not wait for that).
 */
final class SwitchoverProcedure extends Procedure {
    private final String target;
    private ServerState oldSource;
    private final List<String> others = new ArrayList<>();
    private boolean oldReadOnly;
    private boolean promoted;
    /** What the old source had written when it became read-only. */
    private String finalGtids;
    private String finalFile;
    private long finalPos;

    SwitchoverProcedure(BatonConfig config, Monitor monitor, RoutingControl routing, FailoverReport report, String target) {
        super(config, monitor, routing, report);
        this.target = target;
    }

    @Override
    List<FailoverStep> steps() {
        return List.of(
                step("pre-flight checks", this::preflight),
                step("pre-hook", this::preHook),
                step("let the candidate come close", this::approach),
                step("close the gate", () -> {
                    // Before the gate closes (no client waits for this write): where a successor finds the plan if
                    // this process dies between making the old source read-only and routing to the new one.
                    routing.intend("switchover", oldSource.name(), target);
                    routing.closeGate("switchover to " + target);
                    return "closed: new statements wait (at most gate.maxWait " + config.gate.maxWait.toMillis() + " ms)";
                }),
                step("wait for open transactions", this::awaitTransactions),
                step("make the old source read-only", this::oldSourceReadOnly),
                step("wait for the candidate to catch up", this::awaitCandidate),
                step("promote the candidate", () -> {
                    String r = promote(target);
                    promoted = true;
                    return r;
                }),
                // Route and open in one change (a cluster's node opens as soon as its own sessions moved); the
                // old source is read-only by now, so no route can reach a second writable server.
                step("route to the new source", () -> {
                    RoutingControl.MigrationSummary m = routing.switchToAndOpen(endpoint(target), config.gate.maxWait);
                    return "routing to " + endpoint(target) + ": " + m.moved() + " session(s) moved, " + m.failed()
                            + " failed, pause " + m.pauseMillis() + " ms";
                }),
                step("open the gate", () -> {
                    if (!routing.isGateOpen()) {
                        routing.openGate();
                    }
                    report.routed();
                    return "open: statements proceed on " + target;
                }),
                // After the gate opens: writes need not wait for it. A server not yet repointed is read-only and
                // only behind (the old source was made read-only before the promotion), never a second source.
                step("repoint the replicas and the old source", this::repointAll),
                step("post-hook", this::postHook));
    }

    private String preflight() throws StepFailedException {
        TopologySnapshot topo = monitor.refresh();
        oldSource = topo.source().orElseThrow(() -> new StepFailedException("no source known"));
        report.oldSource(oldSource.name());
        if (!oldSource.writable()) {
            throw new StepFailedException("the source " + oldSource.name() + " is not alive and writable ("
                    + (oldSource.reachable() ? "read-only" : oldSource.error()) + "): use failover");
        }
        if (oldSource.name().equals(target)) {
            throw new StepFailedException(target + " is the source already");
        }
        BatonConfig.Server cfg = config.server(target);
        if (cfg == null) {
            throw new StepFailedException("no server named " + target + " in the configuration");
        }
        ServerState t = topo.server(target).orElseThrow();
        if (!t.reachable()) {
            throw new StepFailedException(target + " is unreachable: " + t.error());
        }
        if (cfg.neverPromote) {
            throw new StepFailedException(target + " is on the never-promote list");
        }
        if (!t.replicatesFrom(oldSource.host(), oldSource.port()) || !t.replica().bothThreadsRunning()) {
            throw new StepFailedException(target + " is not a healthy replica of " + oldSource.name() + " ("
                    + (t.replica() == null ? "replicates from nobody" : "from " + t.replica().sourceAddress() + ", IO "
                    + t.replica().ioRunning() + ", SQL " + t.replica().sqlRunning()) + ")");
        }
        if (!t.logBin()) {
            throw new StepFailedException(target + " has no binary log: nothing could replicate from it");
        }
        if (gtidMode) {
            // A target with errant transactions would send them to every replica once promoted. Read the
            // target first, then the source: under write load, whatever the target received from the source
            // is then in the source's later state, so nothing is mistaken for errant.
            ServerState targetNow;
            ServerState sourceNow;
            try {
                targetNow = read(target);
                sourceNow = read(oldSource.name());
            } catch (SQLException e) {
                throw new StepFailedException("cannot read " + target + " and " + oldSource.name() + ": " + message(e), e);
            }
            ErrantTransactions errant = t.dialect() == Dialect.MARIADB ? ErrantTransactions.mariaDbGtid(targetNow, sourceNow)
                    : ErrantTransactions.mysqlGtid(targetNow, sourceNow);
            if (errant.found()) {
                throw new StepFailedException(errant.description() + "; promoting " + target
                        + " would send them to every replica: remove them first (or choose another replica)");
            }
        }
        PreflightChecks.run(topo, config, null).forEach(report::warn);
        for (ServerState s : topo.replicasOf(oldSource)) {
            if (!s.name().equals(target)) {
                others.add(s.name());
            }
        }
        for (ServerState s : topo.servers()) {
            if (!s.name().equals(target) && !s.name().equals(oldSource.name()) && !others.contains(s.name())) {
                report.leaveOut(s.name(), s.reachable() ? "does not replicate from " + oldSource.name() : "unreachable: " + s.error());
            }
        }
        report.position(oldSource.name() + " (old source)", "binlog " + oldSource.binlog());
        return oldSource.name() + " -> " + target + "; other replicas: " + (others.isEmpty() ? "none" : String.join(", ", others));
    }

    private String preHook() throws StepFailedException {
        if (config.failover.preHook == null || config.failover.preHook.isBlank()) {
            return "none configured";
        }
        return Hooks.run(config.failover.preHook, "switchover", oldSource.name(), target, config.failover.hookTimeout);
    }

    /**
     * Before the gate closes, the candidate catches up with the source as it is now, a few passes while each
     * wait still takes long: what it has left to apply once the source is read-only is then only what was
     * written during the last pass and the gate's closing, not a backlog built up under load, and that backlog
     * is what clients would wait for. Never fails the switchover: "wait for the candidate to catch up" is the
     * wait that counts; this one only moves most of it out of the closed gate's window.
     */
    private String approach() {
        long bound = System.nanoTime() + config.failover.applyTimeout.toNanos();
        long lastMs = -1;
        int pass = 0;
        try {
            ServerConnection c = conn(target);
            Dialect d = c.dialect();
            while (pass < APPROACH_PASSES && System.nanoTime() < bound) {
                pass++;
                ServerState now = read(oldSource.name());
                long t0 = System.nanoTime();
                if (!executed(c, executedGtids(now, d), now.binlog().file(), now.binlog().pos(), APPROACH_WAIT_SECONDS)) {
                    return "still behind " + oldSource.name() + " after a " + APPROACH_WAIT_SECONDS + " s wait (pass "
                            + pass + "); the wait in the closed gate covers the rest";
                }
                lastMs = (System.nanoTime() - t0) / 1_000_000;
                if (lastMs <= CLOSE_ENOUGH_MILLIS) {
                    break;
                }
            }
        } catch (SQLException | RuntimeException e) {
            return "could not ask " + target + " (" + message(e) + "); the wait in the closed gate covers it";
        }
        return target + " caught up with " + oldSource.name() + " as it was " + lastMs + " ms before (" + pass
                + " pass" + (pass == 1 ? "" : "es") + ")";
    }

    /** What {@code s} has written, as a GTID wait takes it: MariaDB's gtid_binlog_pos, MySQL's gtid_executed. */
    private static String executedGtids(ServerState s, Dialect d) {
        return d.isMariaDb() ? s.gtidBinlogPos().toString() : s.gtidExecuted().toString();
    }

    /**
     * Waits at most {@code seconds} until {@code c}'s server has executed {@code gtids} (GTID mode) or the old source's
     * binary log up to {@code file}:{@code pos} (position mode); true if it has.
     */
    private boolean executed(ServerConnection c, String gtids, String file, long pos, int seconds) throws SQLException {
        Dialect d = c.dialect();
        return gtidMode ? d.gtidWaitReached(c.scalar(d.waitForGtids(gtids, seconds)))
                : d.positionWaitReached(c.scalar(d.waitForPosition(file, pos, seconds)));
    }

    /** At most this many catch-up passes before the gate closes, each waiting at most this long. */
    private static final int APPROACH_PASSES = 5;
    private static final int APPROACH_WAIT_SECONDS = 2;
    /** A pass that waited no longer than this leaves a backlog the closed gate's wait absorbs in about as long. */
    private static final long CLOSE_ENOUGH_MILLIS = 30;

    private String awaitTransactions() throws StepFailedException {
        long t0 = System.nanoTime();
        if (!routing.awaitNoOpenTransactions(config.gate.maxWait)) {
            throw new StepFailedException("sessions are still inside transactions after gate.maxWait ("
                    + config.gate.maxWait.toMillis() + " ms); making the source read-only now would fail their commits");
        }
        return "no session inside a transaction (" + (System.nanoTime() - t0) / 1_000_000 + " ms)";
    }

    private String oldSourceReadOnly() throws SQLException {
        ServerConnection c = conn(oldSource.name());
        Dialect d = c.dialect();
        c.setReadOnly(true);
        oldReadOnly = true;
        ServerState s = read(oldSource.name());
        finalFile = s.binlog().file();
        finalPos = s.binlog().pos();
        finalGtids = executedGtids(s, d);
        report.position(oldSource.name() + " (read-only)", "binlog " + s.binlog() + (gtidMode ? " gtids " + finalGtids : ""));
        if (d.isMariaDb()) {
            report.warn("MariaDB has no super_read_only: read_only does not stop users with READ ONLY ADMIN / SUPER (G18);"
                    + " writes by such users on " + oldSource.name() + " after this point would be lost");
        }
        return oldSource.name() + " is read-only (" + d.readOnlyVariable() + "=ON) at binlog " + s.binlog()
                + (gtidMode ? ", gtids " + finalGtids : "");
    }

    /** The candidate, and in position mode every replica, must execute all the old source wrote. */
    private String awaitCandidate() throws StepFailedException {
        List<String> waitFor = new ArrayList<>();
        waitFor.add(target);
        if (!gtidMode) {
            waitFor.addAll(others); // their next binary log position is the candidate's first file, position 4
        }
        int timeout = seconds(config.failover.applyTimeout);
        Map<String, String> results = new LinkedHashMap<>();
        for (String r : waitFor) {
            long t0 = System.nanoTime();
            try {
                boolean reached = executed(conn(r), finalGtids, finalFile, finalPos, timeout);
                long ms = (System.nanoTime() - t0) / 1_000_000;
                if (!reached) {
                    if (r.equals(target)) {
                        throw new StepFailedException(target + " did not execute everything " + oldSource.name()
                                + " wrote within failover.applyTimeout (" + timeout + " s)");
                    }
                    others.remove(r);
                    report.leaveOut(r, "did not catch up with " + oldSource.name() + " within " + timeout
                            + " s; in position mode it cannot follow " + target + " without missing transactions");
                } else {
                    results.put(r, ms + " ms");
                }
            } catch (SQLException e) {
                if (r.equals(target)) {
                    throw new StepFailedException(target + " failed while catching up: " + message(e), e);
                }
                others.remove(r);
                report.leaveOut(r, "failed while catching up: " + message(e));
            }
        }
        return "executed everything " + oldSource.name() + " wrote: " + results;
    }

    private String repointAll() throws SQLException {
        List<String> servers = new ArrayList<>(others);
        servers.add(oldSource.name());
        Map<String, String> startPos = new LinkedHashMap<>();
        if (gtidMode && dialect(oldSource.name()).isMariaDb()) {
            // The old source's own writes are in its binary log, not in its gtid_slave_pos: start after them.
            startPos.put(oldSource.name(), finalGtids);
        }
        return repoint(servers, target, startPos);
    }

    private String postHook() {
        if (config.failover.postHook == null || config.failover.postHook.isBlank()) {
            return "none configured";
        }
        try {
            return Hooks.run(config.failover.postHook, "switchover", oldSource.name(), target, config.failover.hookTimeout);
        } catch (StepFailedException e) {
            report.warn("post-hook failed (the switchover stands): " + e.getMessage());
            return "failed, the switchover stands: " + e.getMessage();
        }
    }

    @Override
    boolean mayStopBeforeNextStep() {
        return !promoted;
    }

    @Override
    String stopSafely(String failedStep, Exception cause) {
        List<String> done = new ArrayList<>();
        if (!promoted && target.equals(writableAttempted)) {
            // The promotion failed at or after making the target writable: making the old source writable again
            // without asking could leave two writable servers. Ask the target first.
            Boolean writable = writableNow(target);
            if (writable == null) {
                done.add("could not tell whether " + target + " became writable before the promotion failed: "
                        + oldSource.name() + " stays read-only and the gate closed (never two writable servers);"
                        + " check both, then SWITCHOVER or FAILOVER");
                return String.join("; ", done);
            }
            if (writable) {
                promoted = true;
                monitor.setElectedSource(target);
                report.newSource(target);
                done.add(target + " became writable before the promotion failed: it is the source now");
            } else {
                done.add(target + " stayed read-only; its replication may have been reset by the promotion: rejoin it");
            }
        }
        if (oldReadOnly && !promoted) {
            try {
                conn(oldSource.name()).setReadOnly(false);
                done.add(oldSource.name() + " is writable again (nothing was promoted)");
            } catch (SQLException e) {
                done.add("could not make " + oldSource.name() + " writable again: " + message(e));
            }
        }
        if (promoted) {
            // The old source is read-only and the target writable: route forward rather than hold the gate.
            done.add(target + " was promoted and is the writable source; servers not yet repointed: rejoin them");
            done.add(finishRouting(target));
            return String.join("; ", done);
        }
        done.add(reopenGateIfSourceWritable());
        return String.join("; ", done);
    }
}
