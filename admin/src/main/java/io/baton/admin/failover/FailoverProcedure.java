package io.baton.admin.failover;

import static io.baton.admin.failover.FailoverStep.step;

import io.baton.admin.config.BatonConfig;
import io.baton.admin.topology.GtidSet;
import io.baton.admin.topology.Monitor;
import io.baton.admin.topology.ReplicaStatus;
import io.baton.admin.topology.ServerConnection;
import io.baton.admin.topology.ServerState;
import io.baton.admin.topology.TopologySnapshot;
import io.baton.dialect.Dialect;
import io.baton.proxy.routing.RoutingControl;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Failover when the source is lost: the manual's procedure (Switching Sources During Failover),
 * automated, with the traps of TOPOLOGY-FACTS.md avoided.
 */
final class FailoverProcedure extends Procedure {
    private final String requested;
    private ServerState oldSource;
    /** Replicas taking part, in configuration order. */
    private final List<String> replicas = new ArrayList<>();
    private final Set<String> ioStopped = new LinkedHashSet<>();
    private final Map<String, ServerState> drained = new LinkedHashMap<>();
    private String candidate;
    private final List<String> followers = new ArrayList<>();
    private boolean promoted;

    FailoverProcedure(BatonConfig config, Monitor monitor, RoutingControl routing, FailoverReport report, String requested) {
        super(config, monitor, routing, report);
        this.requested = requested;
    }

    @Override
    List<FailoverStep> steps() {
        return List.of(
                step("pre-flight checks", this::preflight),
                step("close the gate", this::closeGate),
                step("stop the IO threads", this::stopIoThreads),
                step("apply the relay logs", this::applyRelayLogs),
                step("choose the candidate", this::chooseCandidate),
                step("pre-hook", this::preHook),
                step("promote the candidate", () -> {
                    String r = promote(candidate);
                    promoted = true;
                    return r;
                }),
                step("repoint the replicas", () -> repoint(followers, candidate, Map.of())),
                step("route to the new source", this::route),
                step("open the gate", () -> {
                    routing.openGate();
                    return "open: statements proceed on " + candidate;
                }),
                step("post-hook", this::postHook));
    }

    /** Finds the lost source and the replicas that take part; records the warnings. */
    private String preflight() throws StepFailedException {
        TopologySnapshot topo = monitor.refresh();
        oldSource = topo.source().orElseThrow(() -> new StepFailedException(
                "no source known: no writable server, and no replica says where it replicates from"));
        report.oldSource(oldSource.name());
        report.position(oldSource.name() + " (lost source)", oldSource.reachable() ? "reachable" : oldSource.error());
        if (oldSource.writable()) {
            throw new StepFailedException("the source " + oldSource.name() + " is alive and writable: use switchover to move it");
        }
        PreflightChecks.run(topo, config, null).forEach(report::warn);
        List<String> skipped = new ArrayList<>();
        for (ServerState s : topo.servers()) {
            if (s.name().equals(oldSource.name())) {
                continue;
            }
            if (!s.reachable()) {
                report.leaveOut(s.name(), "unreachable during the failover (" + s.error() + ")");
                skipped.add(s.name() + " unreachable");
            } else if (s.replica() == null) {
                report.leaveOut(s.name(), "replicates from nobody (" + s.role() + "); rejoin it once the failover is done");
                skipped.add(s.name() + " not a replica");
            } else if (!gtidMode && !s.replicatesFrom(oldSource.host(), oldSource.port())) {
                report.leaveOut(s.name(), "replicates from " + s.replica().sourceAddress() + ", not from the lost source:"
                        + " its binary log position cannot be compared (position mode)");
                skipped.add(s.name() + " replicates from " + s.replica().sourceAddress());
            } else {
                replicas.add(s.name());
            }
        }
        if (replicas.isEmpty()) {
            throw new StepFailedException("no reachable replica to promote" + (skipped.isEmpty() ? "" : " (" + String.join(", ", skipped) + ")"));
        }
        return "lost source " + oldSource.name() + "; replicas " + String.join(", ", replicas)
                + (skipped.isEmpty() ? "" : "; left out: " + String.join(", ", skipped))
                + "; " + report.warnings().size() + " warning(s)";
    }

    private String closeGate() {
        routing.closeGate("failover: source " + oldSource.name() + " lost");
        return "closed: new statements wait (at most gate.maxWait " + config.gate.maxWait.toMillis() + " ms)";
    }

    /** The IO thread only: on MariaDB GTID, stopping both threads discards the unapplied relay log (G14). */
    private String stopIoThreads() throws StepFailedException {
        List<String> done = new ArrayList<>();
        for (String r : List.copyOf(replicas)) {
            try {
                ServerConnection c = conn(r);
                c.exec(c.dialect().stopReplicaIoThread());
                ioStopped.add(r);
                done.add(r);
            } catch (SQLException e) {
                replicas.remove(r);
                report.leaveOut(r, "could not stop its IO thread: " + message(e));
            }
        }
        if (replicas.isEmpty()) {
            throw new StepFailedException("no replica answered STOP REPLICA IO_THREAD");
        }
        return "stopped on " + String.join(", ", done);
    }

    /**
     * Waits until each replica has applied all it received: the SQL thread says it "has read all
     * relay log" AND the executed position equals the received one. A relay log that ends inside a
     * transaction (the source died while sending it) never reaches the received position: it counts
     * as applied once the SQL thread has been idle at the same position for half a second.
     */
    private String applyRelayLogs() throws StepFailedException {
        long deadline = System.nanoTime() + config.failover.applyTimeout.toNanos();
        Set<String> pending = new LinkedHashSet<>(replicas);
        Map<String, String> idleAt = new LinkedHashMap<>();
        Map<String, Long> idleSince = new LinkedHashMap<>();
        Set<String> sqlStarted = new LinkedHashSet<>();
        Map<String, String> last = new LinkedHashMap<>();
        List<String> notes = new ArrayList<>();
        while (!pending.isEmpty() && System.nanoTime() < deadline) {
            for (String r : List.copyOf(pending)) {
                ReplicaStatus st;
                try {
                    st = conn(r).replicaStatus();
                } catch (SQLException e) {
                    pending.remove(r);
                    replicas.remove(r);
                    report.leaveOut(r, "became unreachable while applying its relay log: " + message(e));
                    continue;
                }
                if (st == null) {
                    pending.remove(r);
                    replicas.remove(r);
                    report.leaveOut(r, "has no replication configuration any more");
                    continue;
                }
                last.put(r, "received " + st.received() + ", executed " + st.executed());
                if (!st.sqlThreadRunning()) {
                    if (st.lastSqlErrno() != 0) {
                        pending.remove(r);
                        replicas.remove(r);
                        report.leaveOut(r, "its SQL thread stopped on error " + st.lastSqlErrno() + ": " + st.lastSqlError());
                        continue;
                    }
                    if (sqlStarted.add(r)) {
                        try {
                            ServerConnection c = conn(r);
                            c.exec(c.dialect().startReplicaSqlThread());
                            notes.add(r + ": started its stopped SQL thread");
                        } catch (SQLException e) {
                            pending.remove(r);
                            replicas.remove(r);
                            report.leaveOut(r, "could not start its stopped SQL thread: " + message(e));
                        }
                    }
                    continue;
                }
                if (!st.hasReadAllRelayLog()) {
                    idleSince.remove(r);
                    continue;
                }
                boolean complete = st.executedAllReceived() || gtidRetrievedApplied(st);
                String at = st.executed().toString();
                if (!at.equals(idleAt.get(r))) {
                    idleAt.put(r, at);
                    idleSince.put(r, System.nanoTime());
                }
                boolean idleLongEnough = System.nanoTime() - idleSince.get(r) > 500_000_000L;
                if (complete || idleLongEnough) {
                    pending.remove(r);
                    if (!complete) {
                        notes.add(r + ": relay log ends inside a transaction (received " + st.received() + ", executed "
                                + st.executed() + "): the incomplete transaction is lost with the source");
                    }
                }
            }
            if (!pending.isEmpty()) {
                sleep(POLL_MILLIS);
            }
        }
        for (String r : pending) {
            replicas.remove(r);
            report.leaveOut(r, "did not apply its relay log within failover.applyTimeout ("
                    + config.failover.applyTimeout.toMillis() + " ms): " + last.get(r));
        }
        if (replicas.isEmpty()) {
            throw new StepFailedException("no replica finished applying its relay log within failover.applyTimeout");
        }
        for (String r : replicas) {
            try {
                ServerState s = read(r);
                drained.put(r, s);
                report.position(r, last.get(r) + "; " + progressOf(s));
            } catch (SQLException e) {
                report.leaveOut(r, "became unreachable after applying its relay log: " + message(e));
            }
        }
        replicas.retainAll(drained.keySet());
        notes.forEach(report::warn);
        return "applied: " + String.join(", ", replicas.stream().map(r -> r + " (" + last.get(r) + ")").toList())
                + (notes.isEmpty() ? "" : "; " + String.join("; ", notes));
    }

    private boolean gtidRetrievedApplied(ReplicaStatus st) {
        if (!gtidMode || st.retrievedGtidSet() == null || st.executedGtidSet() == null) {
            return false;
        }
        return GtidSet.parse(st.executedGtidSet()).containsAll(GtidSet.parse(st.retrievedGtidSet()));
    }

    Progress progressOf(ServerState s) {
        if (!gtidMode) {
            return new Progress.Position(s.replica().sourceAddress(), s.replica().executed());
        }
        return s.dialect() == Dialect.MARIADB ? new Progress.MariaDb(s.gtidSlavePos()) : new Progress.Gtids(s.gtidExecuted());
    }

    /**
     * The most advanced replica, then priority; then which replicas can follow it. In position mode
     * a replica behind the candidate cannot catch up (the new source's binary log starts after the
     * promotion): it is reported and left out rather than silently missing transactions.
     */
    private String chooseCandidate() throws StepFailedException {
        List<CandidateChooser.Candidate> cands = new ArrayList<>();
        for (String r : replicas) {
            BatonConfig.Server cfg = config.server(r);
            ServerState s = drained.get(r);
            String ineligible = cfg.neverPromote ? "is on the never-promote list" : !s.logBin() ? "has no binary log" : null;
            cands.add(new CandidateChooser.Candidate(r, cfg.priority, config.servers.indexOf(cfg), progressOf(s), ineligible));
        }
        CandidateChooser.Choice choice = CandidateChooser.choose(cands, requested);
        choice.warnings().forEach(report::warn);
        report.choiceReason(choice.reason());
        CandidateChooser.Candidate chosen = choice.chosen().orElseThrow(() -> new StepFailedException(choice.reason()));
        candidate = chosen.name();
        ServerState cand = drained.get(candidate);
        if (!gtidMode) {
            report.sourceLogApplied(cand.replica().executed().toString());
        }
        List<String> notes = new ArrayList<>();
        for (CandidateChooser.Candidate o : cands) {
            if (o == chosen) {
                continue;
            }
            String lacksFromCandidate = o.progress().missingFrom(chosen.progress());
            String extra = chosen.progress().missingFrom(o.progress());
            if (!extra.isEmpty()) {
                report.leaveOut(o.name(), "has transactions " + candidate + " lacks (" + extra
                        + "); repointing it would leave them there, different from the new source; check them, then rejoin it");
                notes.add(o.name() + " left out (ahead)");
            } else if (!lacksFromCandidate.isEmpty() && !canCatchUp(cand, drained.get(o.name()))) {
                report.leaveOut(o.name(), "is behind " + candidate + " (missing " + lacksFromCandidate + ") and cannot catch up"
                        + (gtidMode ? ": " + candidate + " lacks them in its binary log (log_replica_updates OFF or purged)"
                        : " in position mode: " + candidate + "'s binary log starts at the promotion; rebuild it from " + candidate));
                notes.add(o.name() + " left out (behind, cannot catch up)");
            } else {
                followers.add(o.name());
                if (!lacksFromCandidate.isEmpty()) {
                    notes.add(o.name() + " will catch up from " + candidate + "'s binary log (" + lacksFromCandidate + ")");
                }
            }
        }
        return candidate + ": " + choice.reason() + (notes.isEmpty() ? "" : "; " + String.join("; ", notes));
    }

    private boolean canCatchUp(ServerState cand, ServerState behind) {
        if (!gtidMode || !cand.logReplicaUpdates()) {
            return false;
        }
        if (cand.dialect() == Dialect.MARIADB) {
            return true;
        }
        GtidSet missing = cand.gtidExecuted().subtract(behind.gtidExecuted());
        return missing.subtract(cand.gtidPurged()).equals(missing);
    }

    private String preHook() throws StepFailedException {
        if (config.failover.preHook == null || config.failover.preHook.isBlank()) {
            return "none configured";
        }
        return Hooks.run(config.failover.preHook, "failover", oldSource.name(), candidate, config.failover.hookTimeout);
    }

    private String route() {
        RoutingControl.MigrationSummary m = routing.switchTo(endpoint(candidate), config.gate.maxWait);
        return "routing to " + endpoint(candidate) + ": " + m.moved() + " session(s) moved, " + m.failed()
                + " failed, pause " + m.pauseMillis() + " ms";
    }

    private String postHook() {
        if (config.failover.postHook == null || config.failover.postHook.isBlank()) {
            return "none configured";
        }
        try {
            return Hooks.run(config.failover.postHook, "failover", oldSource.name(), candidate, config.failover.hookTimeout);
        } catch (StepFailedException e) {
            report.warn("post-hook failed (the failover stands): " + e.getMessage());
            return "failed, the failover stands: " + e.getMessage();
        }
    }

    @Override
    String stopSafely(String failedStep, Exception cause) {
        List<String> done = new ArrayList<>();
        if (!promoted) {
            // Nothing irreversible happened: let the replicas receive again, as before the attempt.
            for (String r : ioStopped) {
                try {
                    ServerConnection c = conn(r);
                    c.exec(c.dialect().startReplica());
                } catch (SQLException | RuntimeException e) {
                    done.add("could not restart replication on " + r + " (" + message(e) + ")");
                }
            }
            if (!ioStopped.isEmpty()) {
                done.add("replication restarted on " + String.join(", ", ioStopped) + " (nothing was promoted)");
            }
        } else {
            done.add(candidate + " was promoted and is the writable source; servers not yet repointed still point at "
                    + oldSource.name() + ": rejoin them");
        }
        done.add(reopenGateIfSourceWritable());
        done.add("a second attempt can start from here");
        return String.join("; ", done);
    }
}
