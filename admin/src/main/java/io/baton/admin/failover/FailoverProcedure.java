package io.baton.admin.failover;

import static io.baton.admin.failover.FailoverStep.step;

import io.baton.admin.config.BatonConfig;
import io.baton.admin.topology.GtidSet;
import io.baton.admin.topology.MariaDbGtids;
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
import java.util.Optional;
import java.util.Set;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Failover when the source is lost: the manual's procedure (Switching Sources During Failover),
 * automated, with the traps of TOPOLOGY-FACTS.md avoided.
 *
 * <p>When a step fails the attempt stops there. Until the candidate is writable and routed nothing
 * irreversible has happened: a candidate that failed half-way through its promotion (it died, it
 * hung) is made read-only again if it answers, the monitor's elected source is put back, the replicas
 * receive from the lost source again as before, and the gate stays closed while no writable source
 * is routed (each held statement gets an error after gate.maxWait). A second attempt starts from there.
 */
final class FailoverProcedure extends Procedure {
    private static final Logger log = LoggerFactory.getLogger(FailoverProcedure.class);

    private final String requested;
    private final LastSeen lastSeen;
    /** Why the lost source's last-seen state was not used to find errant transactions. */
    private String lastSeenIgnored;
    private ServerState oldSource;
    /** The monitor's elected source before this attempt (promotion changes it; a failed attempt puts it back). */
    private String electedBefore;
    /** Replicas taking part, in configuration order. */
    private final List<String> replicas = new ArrayList<>();
    private final Set<String> ioStopped = new LinkedHashSet<>();
    private final Map<String, ServerState> drained = new LinkedHashMap<>();
    /** GTID mode: each replica's errant transactions, exactly (for the report and the choice). */
    private final Map<String, String> errant = new LinkedHashMap<>();
    /** MySQL GTID: the errant GTIDs per replica, left out of the progress that ranks candidates. */
    private final Map<String, GtidSet> errantGtids = new LinkedHashMap<>();
    private String candidate;
    private final List<String> followers = new ArrayList<>();
    /** The replica the requested candidate caught up from, or null. */
    private String caughtUpFrom;
    private boolean promotionStarted;
    private boolean promoted;
    private boolean retriesNoted;
    private boolean postHookStarted;
    /** Position mode: the candidate's binary log file right after its promotion. */
    private String promotedBinlog;

    private AckedWrites acked;

    FailoverProcedure(BatonConfig config, Monitor monitor, RoutingControl routing, FailoverReport report, String requested,
                      LastSeen lastSeen) {
        super(config, monitor, routing, report);
        this.requested = requested;
        this.lastSeen = lastSeen;
    }

    @Override
    List<FailoverStep> steps() {
        return List.of(
                step("pre-flight checks", this::preflight),
                step("close the gate", this::closeGate),
                step("stop the IO threads", this::stopIoThreads),
                step("apply the relay logs", this::applyRelayLogs),
                step("find errant transactions", this::findErrant),
                step("catch up the requested candidate", this::catchUpRequested),
                step("choose the candidate", this::chooseCandidate),
                step("pre-hook", this::preHook),
                step("promote the candidate", () -> {
                    // Where a successor finds the plan if this process dies from here on (a cluster's record; a
                    // leader that lost its leadership fails this write and promotes nothing).
                    routing.intend("failover", oldSource.name(), candidate);
                    promotionStarted = true;
                    String r = promote(candidate);
                    promoted = true;
                    if (acked != null) {
                        acked.settle(drained.get(candidate));
                    }
                    try {
                        promotedBinlog = read(candidate).binlog().file();
                    } catch (SQLException e) {
                        promotedBinlog = null; // a retry then refuses to repoint in position mode
                    }
                    return r;
                }),
                step("repoint the replicas", () -> {
                    String r = repoint(followers, candidate, Map.of());
                    noteRetries();
                    return r;
                }),
                step("route to the new source", this::route),
                step("open the gate", () -> {
                    if (!routing.isGateOpen()) {
                        routing.openGate();
                    }
                    report.routed();
                    return "open: statements proceed on " + candidate;
                }),
                step("post-hook", this::postHook));
    }

    @Override
    boolean mayStopBeforeNextStep() {
        return !promotionStarted; // once promoting, the attempt finishes (or undoes a half-done promotion)
    }

    /** Followers the attempt did not get replicating from the new source: a background retry repoints them. */
    List<Pending> pendingRepoints() {
        return followers.stream().filter(f -> promoted && !repointedOk.contains(f))
                .map(f -> new Pending(f, candidate, progressOf(drained.get(f)), gtidMode ? null : promotedBinlog)).toList();
    }

    /**
     * A follower left behind: where it stood when the candidate was chosen (it must still stand there to be
     * repointed), and in position mode the new source's binary log file right after its promotion (RESET
     * MASTER: the follower must read from that file's position 4, and only while the file still exists).
     */
    record Pending(String server, String source, Progress chosenAt, String firstBinlog) {
    }

    private void noteRetries() {
        if (!retriesNoted) {
            retriesNoted = true;
            for (Pending p : pendingRepoints()) {
                report.retry("repoint " + p.server() + " at " + p.source() + " (in the background, until it replicates)");
            }
        }
    }

    /** Finds the lost source and the replicas that take part; records the warnings. */
    private String preflight() throws StepFailedException {
        TopologySnapshot topo = monitor.refresh();
        oldSource = topo.source().orElseThrow(() -> new StepFailedException(
                "no source known: no writable server, and no replica says where it replicates from"));
        report.oldSource(oldSource.name());
        electedBefore = monitor.electedSource();
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
        if (acked != null) {
            acked.fence(oldSource.name()); // until the engine sees this procedure end (routed, or stopped unpromoted)
        }
        routing.closeGate("failover: source " + oldSource.name() + " lost", oldSource.name());
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

    /**
     * Errant transactions: what each replica executed that the lost source did not write. The source
     * is gone, so this uses what is known of it: its executed set as the monitor last saw it, less its
     * own transactions (its server_uuid; on MariaDB its server_id), which it may have committed after
     * that. Without any sight of the source (a process started after it died) only a replica's own
     * writes can be told apart: those no other replica has. Nothing is refused here; the choice prefers
     * replicas without errant transactions and the report names them.
     */
    private String findErrant() {
        if (!gtidMode) {
            return "not checked in position mode: binary log events carry no origin (no GTID), so a replica's own"
                    + " writes cannot be told from the source's; rejoin checks the old source against this report";
        }
        Optional<ServerState> seen = sourceAsLastSeen();
        String basis;
        if (seen.isPresent()) {
            ServerState src = seen.get();
            basis = "compared with " + src.name() + "'s " + (src.dialect() == Dialect.MARIADB ? "gtid_binlog_state "
                    + src.gtidBinlogState() : "gtid_executed " + src.gtidExecuted()) + " as last seen at " + src.checkedAt()
                    + "; its own transactions (" + (src.dialect() == Dialect.MARIADB ? "server_id " + src.serverId()
                    : "server_uuid " + src.serverUuid()) + ") do not count: it may have committed more after that";
        } else if (replicas.size() > 1) {
            basis = lastSeenIgnored + ", so its executed set is not known well enough: only each replica's own writes"
                    + " were checked, against the other replicas";
        } else {
            return "not checked: " + lastSeenIgnored + " and " + replicas.get(0)
                    + " is the only replica, so nothing tells its own writes from the source's";
        }
        for (String r : replicas) {
            checkErrant(r);
        }
        if (errant.isEmpty()) {
            return "none on " + String.join(", ", replicas) + " (" + basis + ")";
        }
        List<String> clean = replicas.stream().filter(r -> !errant.containsKey(r)).toList();
        return String.join("; ", errant.entrySet().stream().map(e -> e.getKey() + " has " + e.getValue()).toList())
                + (clean.isEmpty() ? "" : "; none on " + String.join(", ", clean)) + " (" + basis + ")";
    }

    /**
     * The lost source as the monitor last saw it, when that sight can tell errant transactions: recent
     * (what it executed since is only its own writes) and not itself a replica (an intermediate source
     * goes on receiving other servers' transactions, which would look errant on the replicas). Else
     * empty, and {@link #lastSeenIgnored} says why.
     */
    private Optional<ServerState> sourceAsLastSeen() {
        if (oldSource.reachable()) {
            return Optional.of(oldSource);
        }
        Optional<ServerState> seen = lastSeen.of(oldSource.name());
        if (seen.isEmpty()) {
            lastSeenIgnored = oldSource.name() + " was never seen alive by this process";
            return seen;
        }
        java.time.Duration age = java.time.Duration.between(seen.get().checkedAt(), java.time.Instant.now());
        java.time.Duration fresh = java.time.Duration.ofSeconds(10)
                .plus(config.monitor.interval.multipliedBy(10L * Math.max(1, config.monitor.failedChecks)));
        if (age.compareTo(fresh) > 0) {
            lastSeenIgnored = oldSource.name() + " was last seen alive " + age.toSeconds() + " s ago (more may have reached"
                    + " it since)";
            return Optional.empty();
        }
        if (seen.get().replica() != null) {
            lastSeenIgnored = oldSource.name() + " was itself a replica (transactions from its own source kept arriving)";
            return Optional.empty();
        }
        return seen;
    }

    /** Finds one replica's errant transactions (see {@link #findErrant}), records and logs them. */
    private void checkErrant(String r) {
        Optional<ServerState> seen = sourceAsLastSeen();
        ServerState s = drained.get(r);
        errant.remove(r);
        errantGtids.remove(r);
        String found;
        if (s.dialect() == Dialect.MARIADB) {
            List<String> e;
            if (seen.isPresent()) {
                ServerState src = seen.get();
                e = ErrantTransactions.mariaDbAtFailover(ErrantTransactions.mariaDbHistory(s),
                        ErrantTransactions.mariaDbHistory(src), src.serverId(), src.name());
            } else {
                List<MariaDbGtids.Gtid> others = new ArrayList<>();
                replicas.stream().filter(o -> !o.equals(r))
                        .forEach(o -> others.addAll(ErrantTransactions.mariaDbHistory(drained.get(o)).gtids()));
                e = ErrantTransactions.mariaDbOwnWrites(ErrantTransactions.mariaDbHistory(s), s.serverId(),
                        new MariaDbGtids(others));
            }
            found = e.isEmpty() ? null : String.join(", ", e);
        } else {
            GtidSet e;
            if (seen.isPresent()) {
                e = ErrantTransactions.mysqlAtFailover(s.gtidExecuted(), seen.get().gtidExecuted(), seen.get().serverUuid());
            } else {
                GtidSet others = GtidSet.EMPTY;
                for (String o : replicas) {
                    if (!o.equals(r)) {
                        others = others.union(drained.get(o).gtidExecuted());
                    }
                }
                e = ErrantTransactions.mysqlOwnWrites(s.gtidExecuted(), s.serverUuid(), others);
            }
            if (!e.isEmpty()) {
                errantGtids.put(r, e);
            }
            found = e.isEmpty() ? null : e.toString();
        }
        if (found != null) {
            errant.put(r, found);
            report.errantTransactions(r, found);
            log.warn("failover #{}: errant transactions on {} (not written by the source {}): {}", report.id(), r,
                    oldSource.name(), found);
        }
    }

    /** The replicas as the choice sees them: progress without errant transactions, priority, eligibility. */
    private List<CandidateChooser.Candidate> candidates() {
        List<CandidateChooser.Candidate> cands = new ArrayList<>();
        for (String r : replicas) {
            BatonConfig.Server cfg = config.server(r);
            ServerState s = drained.get(r);
            String ineligible = cfg.neverPromote ? "is on the never-promote list" : !s.logBin() ? "has no binary log" : null;
            Progress received = errantGtids.containsKey(r)
                    ? new Progress.Gtids(s.gtidExecuted().subtract(errantGtids.get(r))) : progressOf(s);
            cands.add(new CandidateChooser.Candidate(r, cfg.priority, config.servers.indexOf(cfg), received, ineligible,
                    errant.get(r)));
        }
        return cands;
    }

    /**
     * {@code failover --to X} when X lacks transactions another replica has (GTID mode): rather than
     * refuse, X first replicates from the replica that has everything (auto-position) until it has
     * executed all that one has, then the failover goes on with X. The replica it catches up from needs
     * those transactions in its binary log (log_replica_updates, not purged). Position mode cannot do
     * this (coordinates in one server's binary log mean nothing in another's): the choice refuses X.
     */
    private String catchUpRequested() throws StepFailedException {
        if (requested == null) {
            return "no candidate requested";
        }
        if (!replicas.contains(requested)) {
            return "not done: " + requested + " does not take part (the choice says why)";
        }
        List<CandidateChooser.Candidate> cands = candidates();
        CandidateChooser.Candidate x = cands.stream().filter(c -> c.name().equals(requested)).findFirst().orElseThrow();
        List<String> ahead = cands.stream().filter(o -> o != x && !x.progress().missingFrom(o.progress()).isEmpty())
                .map(o -> o.name() + " (" + x.progress().missingFrom(o.progress()) + ")").toList();
        if (ahead.isEmpty()) {
            return "not needed: " + requested + " has executed everything the other replicas have";
        }
        if (!gtidMode) {
            return "not possible in position mode: " + requested + " lacks what " + String.join(", ", ahead)
                    + " executed, and binary log coordinates cannot be carried from one replica to another";
        }
        if (!x.eligible()) {
            return "not done: " + requested + " " + x.ineligible();
        }
        CandidateChooser.Choice best = CandidateChooser.choose(cands, null);
        Optional<CandidateChooser.Candidate> from = best.chosen().filter(b -> cands.stream()
                .allMatch(o -> b.progress().missingFrom(o.progress()).isEmpty()));
        if (from.isEmpty()) {
            return "not possible: no replica has everything the others executed (" + best.reason() + ")";
        }
        String m = from.get().name();
        ServerState ms = drained.get(m);
        if (!canCatchUp(ms, drained.get(requested))) {
            return "not possible: " + m + " lacks what " + requested + " misses in its binary log (log_replica_updates OFF"
                    + " or purged)";
        }
        long t0 = System.nanoTime();
        int timeout = seconds(config.failover.applyTimeout);
        String target = ms.dialect() == Dialect.MARIADB ? ms.gtidBinlogPos().toString() : ms.gtidExecuted().toString();
        ServerConnection c;
        try {
            c = conn(requested);
        } catch (SQLException e) {
            throw new StepFailedException(requested + " is unreachable: " + message(e), e);
        }
        Dialect d = c.dialect();
        boolean reached;
        try {
            stopReplication(c.name());
            c.exec(changeSourceTo(d, m));
            c.exec(d.startReplica());
            reached = d.gtidWaitReached(c.scalar(d.waitForGtids(target, timeout)));
        } catch (SQLException e) {
            pointBackAtOldSource(c);
            throw new StepFailedException(requested + " failed while catching up from " + m + ": " + message(e), e);
        }
        if (!reached) {
            pointBackAtOldSource(c);
            throw new StepFailedException(requested + " did not execute everything " + m + " has (" + target
                    + ") within failover.applyTimeout (" + timeout + " s); it replicates from " + oldSource.name() + " again");
        }
        caughtUpFrom = m;
        try {
            stopReplication(c.name());
            drained.put(requested, read(requested));
        } catch (SQLException e) {
            throw new StepFailedException(requested + " failed after catching up from " + m + ": " + message(e), e);
        }
        checkErrant(requested);
        report.position(requested + " (caught up from " + m + ")", progressOf(drained.get(requested)).toString());
        if (errant.containsKey(m)) {
            report.warn(requested + " received " + m + "'s errant transactions (" + errant.get(m) + ") while catching up");
        }
        return requested + " replicated from " + m + " until it had executed " + target + " ("
                + (System.nanoTime() - t0) / 1_000_000 + " ms): it lacked " + String.join(", ", ahead);
    }

    /** After a failed catch-up: the requested replica follows the lost source again, as before the attempt. */
    private void pointBackAtOldSource(ServerConnection c) {
        try {
            Dialect d = c.dialect();
            stopReplication(c.name());
            c.exec(changeSourceTo(d, oldSource.name()));
            c.exec(d.startReplica());
        } catch (SQLException | RuntimeException e) {
            report.warn("could not point " + c.name() + " back at " + oldSource.name() + ": " + message(e));
        }
    }

    /**
     * The most advanced replica (by what it received from the source: errant transactions left out),
     * then one without errant transactions, then priority; then which replicas can follow it. In
     * position mode a replica behind the candidate cannot catch up (the new source's binary log starts
     * after the promotion): it is reported and left out rather than silently missing transactions.
     */
    /** Sets what the candidate must hold (durability.mode replica); null: nothing to check. */
    FailoverProcedure acked(AckedWrites a) {
        this.acked = a;
        return this;
    }

    private String chooseCandidate() throws StepFailedException {
        List<CandidateChooser.Candidate> cands = candidates();
        List<CandidateChooser.Candidate> eligible = cands;
        String want = requested;
        if (acked != null && acked.count() > 0) {
            // durability.mode replica: a replica that lacks an acknowledged commit is never chosen while a promotable
            // one has them all. It stays in the comparison (and a follower): it may not be promoted this time.
            List<CandidateChooser.Candidate> complete = cands.stream().filter(c -> c.ineligible() == null
                    && acked.missingFrom(drained.get(c.name())).isEmpty()).toList();
            if (complete.isEmpty()) {
                report.warn("no promotable replica has every acknowledged commit: the most advanced one is chosen and"
                        + " the report names what it lacks");
            } else {
                List<CandidateChooser.Candidate> marked = new ArrayList<>();
                for (CandidateChooser.Candidate c : cands) {
                    String lacks = c.ineligible() == null ? acked.missingFrom(drained.get(c.name())) : "";
                    if (lacks.isEmpty()) {
                        marked.add(c);
                        continue;
                    }
                    report.warn(c.name() + " lacks acknowledged commits (" + lacks + "): not a candidate while "
                            + complete.get(0).name() + " has them all");
                    marked.add(new CandidateChooser.Candidate(c.name(), c.priority(), c.order(), c.progress(),
                            "lacks acknowledged commits (" + lacks + ")", c.errant()));
                    if (c.name().equals(want)) {
                        report.warn("the requested candidate " + want + " lacks acknowledged commits: not chosen");
                        want = null;
                    }
                }
                eligible = marked; // the others stay followers: they catch up from the new source
            }
        }
        CandidateChooser.Choice choice = CandidateChooser.choose(eligible, want);
        choice.warnings().forEach(report::warn);
        choice.warnings().forEach(w -> log.warn("failover #{}: {}", report.id(), w));
        report.choiceReason(choice.reason());
        CandidateChooser.Candidate chosen = choice.chosen().orElseThrow(() -> new StepFailedException(choice.reason()));
        candidate = chosen.name();
        report.candidate(candidate);
        ServerState cand = drained.get(candidate);
        if (acked != null) {
            long n = acked.count();
            String lacks = acked.missingFrom(cand);
            report.acknowledgedWrites(lacks.isEmpty() ? "all on the new source (" + n + " checked)"
                    : "NOT all on the new source: it lacks " + lacks + " (" + n + " checked; no replica has them all)");
            if (!lacks.isEmpty()) {
                report.warn("acknowledged commits missing on " + candidate + ": " + lacks);
            }
        }
        if (!gtidMode) {
            report.sourceLogApplied(cand.replica().executed().toString());
        }
        Progress candProgress = progressOf(cand);
        List<String> notes = new ArrayList<>();
        for (CandidateChooser.Candidate o : cands) {
            if (o == chosen) {
                continue;
            }
            // Followers are compared on everything they executed, errant transactions included: repointing a
            // replica that has transactions the candidate lacks would leave them there, different from the source.
            ServerState os = drained.get(o.name());
            Progress oProgress = progressOf(os);
            String lacksFromCandidate = oProgress.missingFrom(candProgress);
            String extra = candProgress.missingFrom(oProgress);
            if (extra.isEmpty() && errant.containsKey(o.name()) && os.dialect() == Dialect.MARIADB) {
                // MariaDB's gtid_slave_pos does not show local writes: compare the histories as rejoin does.
                ErrantTransactions e = ErrantTransactions.mariaDbGtid(os, cand);
                extra = e.found() ? errant.get(o.name()) : "";
            }
            if (!extra.isEmpty()) {
                report.leaveOut(o.name(), "has transactions " + candidate + " lacks (" + extra
                        + "); repointing it would leave them there, different from the new source; check them, then rejoin it");
                notes.add(o.name() + " left out (" + (errant.containsKey(o.name()) ? "errant transactions" : "ahead") + ")");
            } else if (!lacksFromCandidate.isEmpty() && !canCatchUp(cand, os)) {
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
        return candidate + ": " + choice.reason() + (notes.isEmpty() ? "" : "; " + String.join("; ", notes))
                + (chosen.clean() ? "" : "; WARNING: promoted with errant transactions " + chosen.errant());
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
        // Route first, open in the next step: a source the monitor holds for dead may still answer some node, whose
        // sessions inside a transaction go on through the closed gate; every node moves them before any opens.
        RoutingControl.MigrationSummary m = routing.switchTo(endpoint(candidate), config.gate.maxWait);
        String inFlight = describeInFlight(routing.inFlightLostAt(oldSource.name()));
        if (inFlight != null) {
            report.inFlight(inFlight);
        }
        report.sessions(routing.sessionsLostAt(oldSource.name()));
        return "routing to " + endpoint(candidate) + ": " + m.moved() + " session(s) moved, " + m.failed()
                + " failed, pause " + m.pauseMillis() + " ms";
    }

    /** The report's line on what the statements in flight at the lost source got (docs/in-flight.md), or null. */
    static String describeInFlight(Map<String, Long> byFate) {
        List<String> parts = counted(byFate, IN_FLIGHT_TEXT);
        // Open transactions (with or without a statement in flight): what their replay gave (docs/replay.md).
        List<String> tx = counted(byFate, REPLAY_TEXT);
        if (!tx.isEmpty()) {
            parts.add("open transactions: " + String.join(", ", tx));
        }
        return parts.isEmpty() ? null : String.join(", ", parts);
    }

    /** The report's words for each fate and replay outcome, in the order they are listed. */
    private static final Map<String, String> IN_FLIGHT_TEXT = orderedTexts("rerun", "read(s) answered from the new source",
            "rolled_back", "rolled back with their transaction (ERR 1213)", "rolled_back_as_asked", "ROLLBACK(s) answered OK",
            "unknown", "with an unknown outcome (ERR 1317)", "replayed", "run again after their transaction's replay",
            "not_rerun", "read(s) that had lost their server before, not run again (ERR 1317)");
    private static final Map<String, String> REPLAY_TEXT = orderedTexts("replay_replayed", "replayed on the new source",
            "replay_different", "answered differently there (ERR 1213)", "replay_refused", "not replayable (ERR 1213)",
            "replay_failed", "whose replay failed (ERR 1213)");

    private static Map<String, String> orderedTexts(String... keysAndTexts) {
        Map<String, String> m = new java.util.LinkedHashMap<>();
        for (int i = 0; i < keysAndTexts.length; i += 2) {
            m.put(keysAndTexts[i], keysAndTexts[i + 1]);
        }
        return m;
    }

    /** "n text" for each key counted above zero, in {@code texts}' order. */
    private static List<String> counted(Map<String, Long> byKey, Map<String, String> texts) {
        List<String> out = new ArrayList<>();
        texts.forEach((key, text) -> {
            long n = byKey.getOrDefault(key, 0L);
            if (n > 0) {
                out.add(n + " " + text);
            }
        });
        return out;
    }

    private String postHook() {
        postHookStarted = true;
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
            // Nothing irreversible happened: undo a half-done promotion, let the replicas receive again as before.
            if (promotionStarted) {
                done.add(undoPromotion());
            }
            List<String> restarted = new ArrayList<>();
            for (String r : ioStopped) {
                if (promotionStarted && r.equals(candidate)) {
                    continue; // undoPromotion did it, or said why it could not
                }
                try {
                    ServerConnection c = conn(r);
                    if (r.equals(requested) && caughtUpFrom != null) {
                        pointBackAtOldSource(c); // it replicated from caughtUpFrom to catch up
                    } else {
                        c.exec(c.dialect().startReplica());
                    }
                    restarted.add(r);
                } catch (SQLException | RuntimeException e) {
                    done.add("could not restart replication on " + r + " (" + message(e) + ")");
                }
            }
            if (!restarted.isEmpty()) {
                done.add("replication restarted on " + String.join(", ", restarted) + " (nothing was promoted)");
            }
        } else {
            // Past the promotion the only safe and available state is forward: route to the new source, open
            // the gate, run the post-hook, and leave the replicas not yet repointed to a background retry.
            done.add(candidate + " was promoted and is the writable source");
            boolean interrupted = Thread.interrupted(); // what stopped the step must not cut the rest short
            try {
                done.add(finishRouting(candidate));
                if (report.isRouted() && !postHookStarted) {
                    done.add("post-hook: " + postHook());
                }
            } finally {
                if (interrupted) {
                    Thread.currentThread().interrupt();
                }
            }
            noteRetries();
            List<String> behind = pendingRepoints().stream().map(Pending::server).toList();
            if (!behind.isEmpty()) {
                done.add("retried in the background: repoint " + String.join(", ", behind) + " at " + candidate
                        + " (read-only; not yet replicating from it)");
            }
            return String.join("; ", done);
        }
        String gate = reopenGateIfSourceWritable();
        done.add(routing.isGateOpen() ? gate : gate + " (each held statement gets an error after gate.maxWait "
                + config.gate.maxWait.toMillis() + " ms; the gate opens once a source is promoted and routed)");
        done.add("a second attempt can start from here");
        return String.join("; ", done);
    }

    /**
     * The candidate failed half-way through its promotion (it died, or a statement failed): it must not
     * stay the monitor's elected source, nor writable, nor without its replication configuration, so
     * that a second attempt sees the topology as this one found it. If it does not answer, the monitor
     * fences it when it comes back (it is no longer the elected source).
     */
    private String undoPromotion() {
        monitor.setElectedSource(electedBefore);
        try {
            ServerConnection c = conn(candidate);
            Dialect d = c.dialect();
            c.setReadOnly(true);
            String how = "";
            boolean reset = c.replicaStatus() == null;
            if (reset || caughtUpFrom != null) {
                // RESET REPLICA ALL ran (or it replicated from caughtUpFrom to catch up): point it at the lost
                // source where it stood, so that it takes part again.
                if (!reset) {
                    stopReplication(c.name());
                }
                if (gtidMode) {
                    c.exec(changeSourceTo(d, oldSource.name()));
                } else {
                    // Where it stood in the lost source's binary log (the coordinates RESET REPLICA ALL dropped).
                    ServerState was = drained.get(candidate);
                    BatonConfig.Server src = config.server(oldSource.name());
                    String pw = config.replication.password == null ? "" : config.replication.password;
                    c.exec(d.changeSource(Dialect.ChangeSource.position(src.host, src.port, config.replication.user, pw,
                            was.replica().executed().file(), was.replica().executed().pos())));
                }
                how = ", its replication configuration restored";
            }
            c.exec(d.startReplica());
            return candidate + " is read-only again" + how + " and replicates from " + oldSource.name() + " as before";
        } catch (SQLException | RuntimeException e) {
            return candidate + " does not answer (" + message(e) + "): it is left out of a second attempt, and fenced by"
                    + " the monitor if it comes back writable";
        }
    }
}
