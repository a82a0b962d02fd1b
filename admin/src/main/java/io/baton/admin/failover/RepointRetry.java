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
    /** Set when the retry refused for a reason another try cannot change: the engine stops retrying. */
    private boolean permanent;

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
            throw refuse("the source is " + monitor.electedSource() + " now, not " + source
                    + " (failover #" + failoverId + "'s): a later procedure decides where " + server + " replicates from");
        }
        ServerState src = read(source);
        if (!src.writable()) {
            throw new StepFailedException("the source " + source + " is not writable");
        }
        ServerState s = read(server);
        if (s.writable()) {
            throw new StepFailedException(server + " is writable: the monitor fences it; the next retry checks it again");
        }
        ReplicaStatus rs = s.replica();
        if (rs == null) {
            throw refuse(server + " replicates from nobody now: rejoin it by hand");
        }
        BatonConfig.Server sc = config.server(source);
        if (s.replicatesFrom(sc.host, sc.port)) {
            alreadyRepointed = true;
            return server + " already replicates from " + source + " (failover #" + failoverId + " got that far)";
        }
        if (!gtidMode) {
            // RESET MASTER at the promotion: the follower must read the new source from that file's position 4.
            String first = pending.firstBinlog() == null ? null
                    : conn(source).rows(conn(source).dialect().showBinaryLogs(), 1).stream().findFirst()
                    .map(r -> r.get("Log_name")).orElse(null);
            if (first == null || !first.equals(pending.firstBinlog())) {
                throw refuse(source + "'s binary log since the promotion (" + pending.firstBinlog() + ") is not its first"
                        + " any more (" + first + "): " + server + " cannot follow it from there; rebuild it from " + source);
            }
        }
        // Stop it before comparing, so that it cannot receive anything between the check and the repoint.
        ServerConnection c = conn(server);
        stopReplication(server);
        s = read(server);
        Progress now = progressOf(s);
        if (!now.missingFrom(pending.chosenAt()).isEmpty() || !pending.chosenAt().missingFrom(now).isEmpty()) {
            throw refuse(server + " has moved since failover #" + failoverId + " chose " + source
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
            StringBuilder sb = new StringBuilder();
            awaitReplicating(List.of(server), pending.source(), sb);
            result = sb.toString();
        } else {
            // Position mode: from the promotion's first binary log, position 4 (checked in the pre-flight).
            result = repoint(List.of(server), pending.source(), Map.of(), pending.firstBinlog());
        }
        if (!repointedOk.contains(server)) {
            throw new StepFailedException(result);
        }
        return result;
    }

    private StepFailedException refuse(String why) {
        permanent = true;
        return new StepFailedException(why);
    }

    /** True if it refused for good (the source changed, the replica moved or was changed by hand). */
    boolean refusedForGood() {
        return permanent;
    }

    @Override
    String stopSafely(String failedStep, Exception cause) {
        return pending.server() + " stays read-only and is not routed to; " + (permanent ? "no further retry"
                : "the retry runs again later");
    }
}
