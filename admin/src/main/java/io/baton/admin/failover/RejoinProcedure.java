package io.baton.admin.failover;

import static io.baton.admin.failover.FailoverStep.step;

import io.baton.admin.config.BatonConfig;
import io.baton.admin.topology.BinlogCoordinates;
import io.baton.admin.topology.Monitor;
import io.baton.admin.topology.ReplicaStatus;
import io.baton.admin.topology.ServerConnection;
import io.baton.admin.topology.ServerState;
import io.baton.admin.topology.TopologySnapshot;
import io.baton.dialect.Dialect;
import io.baton.proxy.routing.RoutingControl;
import java.sql.SQLException;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * Makes a server (typically the old source, back after a failover) a replica of the current source,
 * as the manual describes, after checking it holds no transactions the source lacks. Errant
 * transactions block the rejoin unless forced; they are reported exactly either way.
 */
final class RejoinProcedure extends Procedure {
    private final String server;
    private final boolean force;
    private final Optional<FailoverReport> replaced;
    private ServerState source;
    private ServerState state;
    private String mariaDbStartPos;

    RejoinProcedure(BatonConfig config, Monitor monitor, RoutingControl routing, FailoverReport report, String server,
                    boolean force, Optional<FailoverReport> replaced) {
        super(config, monitor, routing, report);
        this.server = server;
        this.force = force;
        this.replaced = replaced;
        report.oldSource(server);
    }

    @Override
    List<FailoverStep> steps() {
        return List.of(
                step("pre-flight checks", this::preflight),
                step("fence " + server, () -> {
                    conn(server).setReadOnly(true);
                    return server + " is read-only (" + dialect(server).readOnlyVariable() + "=ON)";
                }),
                step("find errant transactions", this::findErrant),
                step("point " + server + " at the source", () -> repoint(List.of(server), source.name(),
                        mariaDbStartPos == null ? Map.of() : Map.of(server, mariaDbStartPos))),
                step("catch up", this::catchUp));
    }

    private String preflight() throws StepFailedException, SQLException {
        TopologySnapshot topo = monitor.refresh();
        source = topo.source().orElseThrow(() -> new StepFailedException("no source known"));
        if (!source.writable()) {
            throw new StepFailedException("the source " + source.name() + " is not writable ("
                    + (source.reachable() ? "read-only" : source.error()) + ")");
        }
        if (source.name().equals(server)) {
            throw new StepFailedException(server + " is the source");
        }
        if (config.server(server) == null) {
            throw new StepFailedException("no server named " + server + " in the configuration");
        }
        state = read(server);
        source = read(source.name());
        report.newSource(source.name());
        report.position(server, state.summary());
        report.position(source.name() + " (source)", "binlog " + source.binlog()
                + (gtidMode ? (source.dialect().isMariaDb() ? " gtid_binlog_state " + source.gtidBinlogState()
                : " gtid_executed " + source.gtidExecuted()) : ""));
        return server + " (" + state.role() + ") will replicate from " + source.name();
    }

    private String findErrant() throws StepFailedException, SQLException {
        ErrantTransactions errant;
        if (gtidMode) {
            errant = state.dialect() == Dialect.MARIADB ? ErrantTransactions.mariaDbGtid(state, source)
                    : ErrantTransactions.mysqlGtid(state, source);
            mariaDbStartPos = errant.mariaDbStartPos();
        } else {
            errant = positionErrant();
        }
        if (errant.blocking()) {
            throw new StepFailedException(errant.description());
        }
        if (errant.found()) {
            if (!force) {
                throw new StepFailedException(errant.description() + "; rejoin with force to replicate anyway (they stay on "
                        + server + " only, and may stop replication on a duplicate key), or rebuild " + server);
            }
            report.warn("forced: " + errant.description());
            return "FORCED despite: " + errant.description();
        }
        return errant.description();
    }

    /** Position mode: compare with where the new source stopped applying the old source's binary log. */
    private ErrantTransactions positionErrant() throws SQLException {
        Optional<FailoverReport> r = replaced.filter(x -> x.sourceLogApplied() != null);
        ReplicaStatus rs = state.replica();
        if (r.isEmpty()) {
            if (rs != null && rs.sourcePort() == source.port()) {
                return ErrantTransactions.none(server + " replicates from " + source.name() + " already");
            }
            return new ErrantTransactions(true, "no failover report says where " + source.name() + " stopped applying "
                    + server + "'s binary log (failover.reportDir keeps them), so divergent writes cannot be ruled out",
                    false, null);
        }
        String[] fp = r.get().sourceLogApplied().split(":");
        BinlogCoordinates applied = new BinlogCoordinates(fp[0], Long.parseLong(fp[1]));
        if (server.equals(r.get().oldSource())) {
            return ErrantTransactions.positionOldSource(conn(server), applied);
        }
        if (rs != null) {
            return ErrantTransactions.positionReplica(state, applied);
        }
        return new ErrantTransactions(true, server + " was neither the replaced source nor a replica of it", false, null);
    }

    private String catchUp() throws StepFailedException, SQLException {
        ServerConnection c = conn(server);
        Dialect d = c.dialect();
        ServerState src = read(source.name());
        int timeout = seconds(config.failover.applyTimeout);
        boolean reached;
        if (gtidMode) {
            String gtids = d.isMariaDb() ? src.gtidBinlogPos().toString() : src.gtidExecuted().toString();
            reached = d.gtidWaitReached(c.scalar(d.waitForGtids(gtids, timeout)));
        } else {
            // Position: the source's own binary log, which the rejoined server reads from its first file.
            ReplicaStatus st = c.replicaStatus();
            long t0 = System.nanoTime();
            reached = false;
            while (System.nanoTime() - t0 < timeout * 1_000_000_000L) {
                st = c.replicaStatus();
                if (st.executed().compareTo(src.binlog()) >= 0 || !st.sqlThreadRunning()) {
                    reached = st.executed().compareTo(src.binlog()) >= 0;
                    break;
                }
                sleep(POLL_MILLIS);
            }
        }
        ReplicaStatus st = c.replicaStatus();
        if (st == null || !st.bothThreadsRunning()) {
            throw new StepFailedException(server + "'s replication stopped: IO " + (st == null ? "?" : st.ioRunning() + " "
                    + st.lastIoError()) + ", SQL " + (st == null ? "?" : st.sqlRunning() + " " + st.lastSqlError()));
        }
        if (!reached) {
            report.warn(server + " replicates but had not caught up with " + source.name() + " within " + timeout + " s");
            return "replicating, still catching up";
        }
        return server + " has executed everything " + source.name() + " had written (both threads running)";
    }

    @Override
    String stopSafely(String failedStep, Exception cause) {
        return server + " stays read-only and is not routed to; fix the cause and run rejoin again";
    }
}
