package io.baton.admin.failover;

import static io.baton.admin.failover.FailoverStep.step;

import io.baton.admin.config.BatonConfig;
import io.baton.admin.topology.Monitor;
import io.baton.admin.topology.ReplicaStatus;
import io.baton.admin.topology.ServerConnection;
import io.baton.admin.topology.ServerState;
import io.baton.proxy.routing.RoutingControl;
import java.sql.SQLException;
import java.util.List;
import java.util.Map;

/**
 * The background retry of a failover that left a replica behind: the attempt promoted and routed to
 * its candidate, but did not get this replica (one of its followers) replicating from it — the step
 * was interrupted, or the replica did not answer. The replica is read-only and still points at the
 * lost source, so nothing is wrong but that it falls behind; this points it at the new source.
 *
 * <p>Only what the failover vetted is done: the replica must still stand where it stood when the
 * candidate was chosen (its IO thread was stopped then, so it cannot have moved unless someone
 * changed it), or already replicate from the new source (the attempt got as far as CHANGE SOURCE), in
 * which case replication is only started. Anything else is refused: rejoin it by hand.
 */
final class RepointRetry extends Procedure {
    private final FailoverProcedure.Pending pending;
    private final long failoverId;
    /** The failover got as far as CHANGE SOURCE on this replica: only replication needs starting. */
    private boolean alreadyRepointed;
    private boolean alreadyRunning;

    RepointRetry(BatonConfig config, Monitor monitor, RoutingControl routing, FailoverReport report,
                 FailoverProcedure.Pending pending, long failoverId) {
        super(config, monitor, routing, report);
        this.pending = pending;
        this.failoverId = failoverId;
        report.oldSource(pending.server());
        report.newSource(pending.source());
    }

    @Override
    List<FailoverStep> steps() {
        String server = pending.server();
        return List.of(
                step("pre-flight checks", this::preflight),
                step("point " + server + " at the source", this::repointOrStart));
    }

    private String preflight() throws StepFailedException, SQLException {
        String server = pending.server();
        String source = pending.source();
        if (!source.equals(monitor.electedSource())) {
            throw new StepFailedException("the source is " + monitor.electedSource() + " now, not " + source
                    + " (failover #" + failoverId + "'s): a later procedure decides where " + server + " replicates from");
        }
        ServerState src = read(source);
        if (!src.writable()) {
            throw new StepFailedException("the source " + source + " is not writable");
        }
        ServerState s = read(server);
        if (s.writable()) {
            throw new StepFailedException(server + " is writable: it is fenced by the monitor; rejoin it by hand");
        }
        ReplicaStatus rs = s.replica();
        if (rs == null) {
            throw new StepFailedException(server + " replicates from nobody now: rejoin it by hand");
        }
        BatonConfig.Server sc = config.server(source);
        if (s.replicatesFrom(sc.host, sc.port)) {
            alreadyRepointed = true;
            return server + " already replicates from " + source + " (failover #" + failoverId + " got that far)";
        }
        Progress now = progressOf(s);
        if (!now.missingFrom(pending.chosenAt()).isEmpty() || !pending.chosenAt().missingFrom(now).isEmpty()) {
            throw new StepFailedException(server + " has moved since failover #" + failoverId + " chose " + source
                    + " (then " + pending.chosenAt() + ", now " + now + "): check it, then rejoin it by hand");
        }
        report.position(server, s.summary());
        return server + " stands where failover #" + failoverId + " left it (" + now + "): it will replicate from "
                + source;
    }

    private String repointOrStart() throws StepFailedException, SQLException {
        String server = pending.server();
        String result;
        if (alreadyRepointed) {
            ServerConnection c = conn(server);
            ReplicaStatus st = c.replicaStatus();
            if (st == null || !st.bothThreadsRunning()) {
                c.exec(c.dialect().startReplica());
            }
            result = repointWait(server);
        } else {
            result = repoint(List.of(server), pending.source(), Map.of());
        }
        if (!repointedOk.contains(server) && !alreadyRunning) {
            throw new StepFailedException(result);
        }
        return result;
    }

    /** Waits (bounded, as repoint does) until both threads run. */
    private String repointWait(String server) throws SQLException {
        long deadline = System.nanoTime() + Math.min(10_000, config.failover.applyTimeout.toMillis()) * 1_000_000L;
        ReplicaStatus st = null;
        while (System.nanoTime() < deadline) {
            st = conn(server).replicaStatus();
            if (st != null && st.bothThreadsRunning()) {
                alreadyRunning = true;
                return server + " -> " + pending.source() + " (IO and SQL running)";
            }
            sleep(POLL_MILLIS);
        }
        return server + " NOT RUNNING: " + (st == null ? "no replication configuration"
                : "IO " + st.ioRunning() + " " + st.lastIoError() + ", SQL " + st.sqlRunning() + " " + st.lastSqlError());
    }

    @Override
    String stopSafely(String failedStep, Exception cause) {
        return pending.server() + " stays read-only and is not routed to; the retry runs again later";
    }
}
