package io.baton.admin.failover;

import io.baton.admin.config.BatonConfig;
import io.baton.admin.topology.Monitor;
import io.baton.admin.topology.ServerConnection;
import io.baton.admin.topology.ServerProbe;
import io.baton.admin.topology.ServerState;
import io.baton.dialect.Dialect;
import io.baton.proxy.routing.Endpoint;
import io.baton.proxy.routing.RoutingControl;
import java.sql.SQLException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * An operator procedure as a list of named {@link FailoverStep}s, run in order. Each step is logged
 * at INFO with its duration and result and recorded in the report. When a step fails the procedure
 * stops where it is and {@link #stopSafely} leaves the topology in a state a second attempt can
 * start from.
 */
abstract class Procedure implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(Procedure.class);
    /** How often waits poll the servers. */
    static final long POLL_MILLIS = 20;

    final BatonConfig config;
    final Monitor monitor;
    final RoutingControl routing;
    final FailoverReport report;
    final boolean gtidMode;
    private final Map<String, ServerConnection> connections = new LinkedHashMap<>();
    /** Servers {@link #repoint} saw replicating from the new source with both threads running. */
    final java.util.Set<String> repointedOk = new java.util.LinkedHashSet<>();
    /** True once Baton is stopping: a procedure stops before its next step while it can still stop safely. */
    private java.util.function.BooleanSupplier stopping = () -> false;
    /** False once this process no longer decides (a cluster node that lost its leadership or its lease). */
    private java.util.function.BooleanSupplier leading = () -> true;
    private Fault fault = (r, s) -> { };

    /** Fault injection for tests: runs as each step starts, inside it (what it throws fails the step). */
    @FunctionalInterface
    interface Fault {
        void before(FailoverReport report, String step) throws Exception;
    }

    Procedure(BatonConfig config, Monitor monitor, RoutingControl routing, FailoverReport report) {
        this.config = config;
        this.monitor = monitor;
        this.routing = routing;
        this.report = report;
        this.gtidMode = "gtid".equals(config.replication.mode);
    }

    abstract List<FailoverStep> steps();

    Procedure stopping(java.util.function.BooleanSupplier s) {
        this.stopping = s;
        return this;
    }

    /**
     * In a cluster: whether this node still leads. Checked before every step (the MySQL statements of a step go to
     * the servers directly, not through the route record): a node that lost its leadership stops at once and
     * changes nothing more, neither the next step nor an undo; the next leader finishes or undoes the procedure
     * from the plan it left in the record (see RoutingControl.intend).
     */
    Procedure leading(java.util.function.BooleanSupplier s) {
        this.leading = s;
        return this;
    }

    Procedure fault(Fault f) {
        this.fault = f;
        return this;
    }

    /**
     * Whether the procedure may still stop before its next step when Baton is stopping: true until it has
     * done something that only its remaining steps complete (a failover's promotion).
     */
    boolean mayStopBeforeNextStep() {
        return true;
    }

    /** Called once a step failed: make the state safe and say what was done (one sentence). */
    abstract String stopSafely(String failedStep, Exception cause);

    final FailoverReport run() {
        String what = report.kind().name().toLowerCase(java.util.Locale.ROOT) + " #" + report.id();
        log.info("{} starts ({})", what, report.trigger());
        for (FailoverStep step : steps()) {
            report.stepStarted(step.name());
            long start = System.currentTimeMillis();
            long t0 = System.nanoTime();
            try {
                if (!leading.getAsBoolean()) {
                    throw new StepFailedException("this node no longer leads its cluster; not started");
                }
                if (stopping.getAsBoolean() && mayStopBeforeNextStep()) {
                    throw new StepFailedException("Baton is stopping; not started");
                }
                fault.before(report, step.name());
                String result = step.action().run();
                long ms = (System.nanoTime() - t0) / 1_000_000;
                report.addStep(new FailoverReport.StepRecord(step.name(), start, ms, true, result));
                log.info("{} step '{}' ok in {} ms: {}", what, step.name(), ms, result);
            } catch (Exception e) {
                long ms = (System.nanoTime() - t0) / 1_000_000;
                String why = message(e);
                report.addStep(new FailoverReport.StepRecord(step.name(), start, ms, false, why));
                log.warn("{} step '{}' FAILED in {} ms: {}", what, step.name(), ms, why);
                String safe;
                try {
                    safe = leading.getAsBoolean() ? stopSafely(step.name(), e)
                            : "this node no longer leads its cluster: it changes nothing more; the next leader finishes or"
                            + " undoes this from the plan in the route record";
                } catch (RuntimeException bad) {
                    safe = "could not restore a safe state: " + message(bad);
                    log.error("{}: {}", what, safe, bad);
                }
                report.fail(step.name(), why + ". " + safe);
                log.warn("{} stopped at '{}': {}. {}", what, step.name(), why, safe);
                return report;
            }
        }
        report.succeed();
        log.info("{}", report.headline());
        return report;
    }

    static String message(Throwable e) {
        String m = e.getMessage() == null ? e.toString() : e.getMessage();
        return m.lines().findFirst().orElse(m);
    }

    // ---------------------------------------------------------------- connections and servers

    /** The server promote() tried to make writable (null: none yet); the attempt's outcome may be unknown. */
    String writableAttempted;

    /**
     * Whether {@code name} is writable now, asked on a fresh connection (the procedure's may have died with the
     * statement whose outcome is in question); null when it cannot be told.
     */
    Boolean writableNow(String name) {
        ServerConnection old = connections.remove(name);
        if (old != null) {
            old.close();
        }
        try {
            return read(name).writable();
        } catch (SQLException | RuntimeException e) {
            return null;
        }
    }

    /** A connection of this procedure to a server (opened on first use; statements may take up to applyTimeout). */
    ServerConnection conn(String name) throws SQLException {
        ServerConnection c = connections.get(name);
        if (c != null && c.isOpen()) {
            return c;
        }
        BatonConfig.Server s = config.server(name);
        Duration socket = config.failover.applyTimeout.plus(config.monitor.queryTimeout).plusSeconds(5);
        c = ServerConnection.open(config, s, config.monitor.connectTimeout, socket);
        connections.put(name, c);
        return c;
    }

    /**
     * STOP REPLICA on {@code name}, bounded by failover.stopTimeout. A multi-threaded applier whose relay log
     * ends inside a transaction (the source died, or its receiver stopped, while the transaction was being
     * sent) waits 60 s for the rest before it stops (MySQL bug 96400); when the source is lost the rest never
     * comes, and every write of the topology waits behind it. Past the bound Baton ends the applier's threads
     * with KILL from a second connection: the unfinished transaction rolls back (InnoDB), and STOP REPLICA
     * returns at once. Callers stop replication only after everything complete in the relay log was applied,
     * or where what was not applied is fetched again on the next START.
     */
    void stopReplication(String name) throws SQLException {
        ServerConnection c = conn(name);
        String stop = c.dialect().stopReplica();
        long bound = Math.max(1, config.failover.stopTimeout.toMillis());
        Killer killer = new Killer(name, bound);
        java.util.concurrent.ScheduledFuture<?> scheduled = STOPPER.schedule(killer::run, bound,
                java.util.concurrent.TimeUnit.MILLISECONDS);
        long t0 = System.nanoTime();
        try {
            c.exec(stop);
        } finally {
            scheduled.cancel(false);
            killer.stopReturned(); // a KILL under way finishes first; none is sent after this
        }
        long ms = (System.nanoTime() - t0) / 1_000_000;
        if (killer.killed > 0) {
            report.warn(name + ": " + stop + " took " + ms + " ms (failover.stopTimeout " + bound + " ms): its "
                    + killer.killed + " replication thread(s) were ended with KILL, an unfinished transaction at the end"
                    + " of its relay log rolled back");
        } else if (ms >= bound) {
            report.warn(name + ": " + stop + " took " + ms + " ms (failover.stopTimeout " + bound + " ms)"
                    + (killer.error == null ? "" : "; ending its replication threads failed: " + killer.error));
        }
    }

    /**
     * Ends the replication threads of a server whose STOP REPLICA is past failover.stopTimeout, from a connection of
     * its own. Never after that STOP returned: the procedure may START the threads again at once, and a late KILL
     * would end those.
     */
    private final class Killer {
        private final String name;
        private final long boundMillis;
        private boolean returned; // guarded by this
        volatile int killed;
        volatile String error;

        Killer(String name, long boundMillis) {
            this.name = name;
            this.boundMillis = boundMillis;
        }

        synchronized void stopReturned() {
            returned = true;
        }

        synchronized void run() {
            if (returned) {
                return;
            }
            BatonConfig.Server s = config.server(name);
            try (ServerConnection k = ServerConnection.open(config, s, config.monitor.connectTimeout,
                    config.monitor.queryTimeout.plusSeconds(1))) {
                List<Map<String, String>> threads = k.rows("SELECT ID, STATE FROM information_schema.PROCESSLIST"
                        + " WHERE USER = 'system user' AND COMMAND <> 'Daemon'", 64); // replication threads, not daemons
                log.warn("{}: STOP REPLICA still waits after {} ms (failover.stopTimeout); ending its {} replication"
                        + " thread(s) with KILL", name, boundMillis, threads.size());
                for (Map<String, String> t : threads) {
                    try {
                        k.exec("KILL " + Long.parseLong(t.get("ID")));
                        killed++;
                    } catch (SQLException e) {
                        if (e.getErrorCode() != 1094) { // 1094 unknown thread: already ended, what STOP waited for
                            error = message(e);
                        }
                    }
                }
            } catch (SQLException | RuntimeException e) {
                error = message(e);
            }
            if (error != null) {
                log.warn("{}: could not end its replication threads: {}", name, error);
            }
        }
    }

    /** Runs {@link #endApplier}: one daemon thread for every procedure, idle but for a STOP REPLICA past its bound. */
    private static final java.util.concurrent.ScheduledThreadPoolExecutor STOPPER = stopper();

    private static java.util.concurrent.ScheduledThreadPoolExecutor stopper() {
        var e = new java.util.concurrent.ScheduledThreadPoolExecutor(1, r -> {
            Thread t = new Thread(r, "baton-stop-replica");
            t.setDaemon(true);
            return t;
        });
        e.setRemoveOnCancelPolicy(true);
        return e;
    }

    /** The server's full state, read now through this procedure's connection. */
    ServerState read(String name) throws SQLException {
        return ServerProbe.read(conn(name), System.nanoTime());
    }

    /** How far a replica got: GTIDs executed (MariaDB: gtid_slave_pos), or its position in its source's binary log. */
    Progress progressOf(ServerState s) {
        if (!gtidMode) {
            return new Progress.Position(s.replica().sourceAddress(), s.replica().executed());
        }
        return s.dialect() == Dialect.MARIADB ? new Progress.MariaDb(s.gtidSlavePos()) : new Progress.Gtids(s.gtidExecuted());
    }

    Dialect dialect(String name) throws SQLException {
        return conn(name).dialect();
    }

    Endpoint endpoint(String name) {
        BatonConfig.Server s = config.server(name);
        return new Endpoint(s.name, s.host, s.port);
    }

    /** The statement that points a server at a new source: auto-position in GTID mode, first binlog / position 4 otherwise. */
    String changeSourceTo(Dialect d, String source) {
        return changeSourceTo(d, source, null);
    }

    /** As {@link #changeSourceTo(Dialect, String)}; in position mode from {@code file} position 4 when it is not null. */
    String changeSourceTo(Dialect d, String source, String file) {
        BatonConfig.Server s = config.server(source);
        String pw = config.replication.password == null ? "" : config.replication.password;
        return d.changeSource(gtidMode
                ? Dialect.ChangeSource.gtid(s.host, s.port, config.replication.user, pw)
                : Dialect.ChangeSource.position(s.host, s.port, config.replication.user, pw, file, file == null ? 0 : 4));
    }

    /** Promotes a replica: STOP REPLICA, RESET REPLICA ALL, (position mode) RESET MASTER, writable. */
    String promote(String candidate) throws StepFailedException {
        try {
            ServerConnection c = conn(candidate);
            Dialect d = c.dialect();
            stopReplication(candidate);
            c.exec(d.resetReplicaAll());
            if (!gtidMode) {
                // The manual: the new source's binary log must hold only what it writes from now on,
                // so that replicas pointed at its first file and position 4 get exactly that (G29).
                c.exec(d.resetBinaryLogs());
            }
            // Whether this statement took effect is unknown if it fails (the connection may die after the server ran
            // it): a procedure that stops here must ask the server before it makes any other server writable.
            writableAttempted = candidate;
            c.setReadOnly(false);
            // From here on the candidate is the source: the monitor must never fence it. Nothing after this may
            // fail the promotion: the candidate is writable.
            monitor.setElectedSource(candidate);
            report.newSource(candidate);
            String binlog;
            try {
                ServerState s = read(candidate);
                binlog = String.valueOf(s.binlog());
                report.position(candidate + " (promoted)", "binlog " + s.binlog()
                        + (gtidMode ? (d.isMariaDb() ? " gtid_binlog_pos " + s.gtidBinlogPos() : " gtid_executed " + s.gtidExecuted())
                        : ""));
            } catch (SQLException | RuntimeException e) {
                binlog = "unknown (" + message(e) + ")";
            }
            return candidate + " is writable, binlog at " + binlog
                    + (gtidMode ? " (GTID mode: binary logs kept, G13/G15)" : " (" + d.resetBinaryLogs() + " as the manual says)");
        } catch (SQLException e) {
            throw new StepFailedException(candidate + " failed during promotion: " + message(e), e);
        }
    }

    /**
     * Points each server at the new source, starts replication and waits (bounded) until both
     * threads run. Servers that fail are reported and left out; returns one line for the report.
     */
    String repoint(List<String> servers, String newSource, Map<String, String> mariaDbStartPos) {
        return repoint(servers, newSource, mariaDbStartPos, null);
    }

    /** As {@link #repoint(List, String, Map)}; in position mode from {@code file} position 4 when it is not null. */
    String repoint(List<String> servers, String newSource, Map<String, String> mariaDbStartPos, String file) {
        if (servers.isEmpty()) {
            return "no other server to repoint";
        }
        StringBuilder sb = new StringBuilder();
        java.util.List<String> started = new java.util.ArrayList<>();
        for (String r : servers) {
            try {
                ServerConnection c = conn(r);
                Dialect d = c.dialect();
                stopReplication(r);
                if (mariaDbStartPos.containsKey(r)) {
                    c.exec(d.setGtidSlavePos(mariaDbStartPos.get(r)));
                }
                c.exec(changeSourceTo(d, newSource, file));
                c.exec(d.startReplica());
                started.add(r);
            } catch (SQLException e) {
                report.leaveOut(r, "could not be repointed at " + newSource + ": " + message(e));
                sb.append(sb.length() == 0 ? "" : "; ").append(r).append(" FAILED: ").append(message(e));
            }
        }
        awaitReplicating(started, newSource, sb);
        return sb.toString();
    }

    /**
     * Waits (bounded) until each of {@code started} replicates from {@code newSource} with both threads
     * running ({@link #repointedOk}); the others are reported and left out. Appends one line each to {@code sb}.
     */
    void awaitReplicating(List<String> started, String newSource, StringBuilder sb) {
        long deadline = System.nanoTime() + Math.min(10_000, config.failover.applyTimeout.toMillis()) * 1_000_000L;
        java.util.Set<String> pending = new java.util.LinkedHashSet<>(started);
        Map<String, String> lastSeen = new LinkedHashMap<>();
        while (!pending.isEmpty() && System.nanoTime() < deadline) {
            for (String r : List.copyOf(pending)) {
                try {
                    var st = conn(r).replicaStatus();
                    if (st != null && st.bothThreadsRunning()) {
                        pending.remove(r);
                        repointedOk.add(r);
                        sb.append(sb.length() == 0 ? "" : "; ").append(r).append(" -> ").append(newSource)
                                .append(" (IO and SQL running)");
                    } else if (st != null) {
                        lastSeen.put(r, "IO " + st.ioRunning() + (st.lastIoErrno() != 0 ? " " + st.lastIoErrno() + " "
                                + st.lastIoError() : "") + ", SQL " + st.sqlRunning()
                                + (st.lastSqlErrno() != 0 ? " " + st.lastSqlErrno() + " " + st.lastSqlError() : ""));
                        if (st.lastSqlErrno() != 0 || (st.lastIoErrno() != 0 && "No".equalsIgnoreCase(st.ioRunning()))) {
                            break; // stopped on an error: no point waiting
                        }
                    }
                } catch (SQLException e) {
                    lastSeen.put(r, message(e));
                }
            }
            sleep(POLL_MILLIS);
        }
        for (String r : pending) {
            report.leaveOut(r, "replication from " + newSource + " does not run: " + lastSeen.getOrDefault(r, "?"));
            sb.append(sb.length() == 0 ? "" : "; ").append(r).append(" NOT RUNNING: ").append(lastSeen.getOrDefault(r, "?"));
        }
    }

    /**
     * After a stop past the promotion: the promoted server is the one writable source, so the right state
     * is to route to it and open the gate (replicas not yet repointed are only behind; they are never
     * writable). Done only if {@code promoted} answers and is writable; an interrupt that stopped the step
     * does not cut this short (it is restored afterwards). Returns one sentence for the report.
     */
    String finishRouting(String promoted) {
        boolean interrupted = Thread.interrupted();
        try {
            ServerState s;
            try {
                s = read(promoted);
            } catch (SQLException | RuntimeException e) {
                return "the gate stays closed: " + promoted + " was promoted but does not answer (" + message(e)
                        + "); routing follows it once the monitor sees it writable, or the next failover replaces it";
            }
            if (!s.writable()) {
                return "the gate stays closed: " + promoted + " was promoted but is read-only now";
            }
            List<String> did = new ArrayList<>();
            Endpoint ep = endpoint(promoted);
            Endpoint routed = routing.source();
            if (routed == null || routed.port() != ep.port() || !routed.host().equals(ep.host())) {
                RoutingControl.MigrationSummary m = routing.switchTo(ep, config.gate.maxWait);
                did.add("routed to " + promoted + " (" + m.moved() + " session(s) moved, " + m.failed() + " failed)");
            }
            if (!routing.isGateOpen()) {
                routing.openGate();
                did.add("opened the gate");
            }
            report.routed();
            String what = (did.isEmpty() ? "routing was complete" : String.join(", ", did)) + ": statements proceed on "
                    + promoted;
            report.recovery(what);
            log.info("{} #{}: {}", report.kind().name().toLowerCase(java.util.Locale.ROOT), report.id(), what);
            return what;
        } finally {
            if (interrupted) {
                Thread.currentThread().interrupt();
            }
        }
    }

    /** Opens the gate only if the routed server is reachable and writable; says which it did. */
    String reopenGateIfSourceWritable() {
        Endpoint ep = routing.source();
        if (routing.isGateOpen()) {
            return "the gate is open";
        }
        if (ep == null) {
            return "the gate stays closed: nothing is routed";
        }
        String name = config.servers.stream().filter(s -> s.port == ep.port() && s.host.equals(ep.host()))
                .map(s -> s.name).findFirst().orElse(ep.name());
        try {
            ServerState s = read(name);
            if (s.writable()) {
                routing.openGate();
                return "the gate is open again: " + name + " is routed and writable";
            }
            return "the gate stays closed: the routed server " + name + " is read-only";
        } catch (SQLException | RuntimeException e) {
            return "the gate stays closed: the routed server " + name + " is unreachable (" + message(e) + ")";
        }
    }

    static void sleep(long millis) {
        try {
            Thread.sleep(millis);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted", e);
        }
    }

    static int seconds(Duration d) {
        return (int) Math.max(1, (d.toMillis() + 999) / 1000);
    }

    @Override
    public void close() {
        connections.values().forEach(ServerConnection::close);
        connections.clear();
    }
}
