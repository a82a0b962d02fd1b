package io.baton.admin.failover;

import io.baton.admin.config.BatonConfig;
import io.baton.admin.topology.ServerState;
import io.baton.admin.topology.TopologySnapshot;
import io.baton.dialect.Dialect;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * What would make a failover lose data or fail, checked on a snapshot: shown as warnings by the
 * topology command and run before every failover and switchover.
 */
public final class PreflightChecks {
    private PreflightChecks() {
    }

    /** Looks up whether the replication user exists on a server (by a query), or null if unknown. */
    @FunctionalInterface
    public interface UserLookup {
        Boolean replicationUserExists(String server);
    }

    public static List<String> run(TopologySnapshot topo, BatonConfig config, UserLookup users) {
        List<String> w = new ArrayList<>();
        boolean gtid = "gtid".equals(config.replication.mode);
        ServerState source = topo.source().orElse(null);
        if (source == null) {
            w.add("no source found: no writable server, and no replica says where it replicates from");
        }
        Map<Long, String> ids = new HashMap<>();
        for (ServerState s : topo.servers()) {
            if (!s.reachable()) {
                w.add(s.name() + " is unreachable: " + s.error());
                continue;
            }
            String prev = ids.putIfAbsent(s.serverId(), s.name());
            if (prev != null) {
                w.add(s.name() + " and " + prev + " share server_id " + s.serverId() + ": replication between them breaks");
            }
            boolean isSource = source != null && s.name().equals(source.name());
            if (!s.logBin()) {
                w.add(s.name() + " has no binary log: it cannot be promoted, and nothing can replicate from it");
            }
            if (!isSource) {
                if (gtid && !s.logReplicaUpdates()) {
                    w.add(s.name() + " runs with log_replica_updates OFF in GTID mode: if promoted, replicas behind it could"
                            + " not catch up from its binary log");
                }
                if (!gtid && s.logReplicaUpdates()) {
                    w.add(s.name() + " runs with log_replica_updates ON in position mode: as the manual warns, replicas"
                            + " would receive updates twice if it were promoted");
                }
            }
            if (s.dialect() != Dialect.MARIADB && gtid != s.gtidMode()) {
                w.add(s.name() + " has gtid_mode " + (s.gtidMode() ? "ON" : "OFF") + " but replication.mode is "
                        + config.replication.mode);
            }
            Boolean hasUser = users == null ? null : users.replicationUserExists(s.name());
            if (Boolean.FALSE.equals(hasUser)) {
                w.add(s.name() + " has no replication user '" + config.replication.user
                        + "': replicas could not connect to it if it were promoted");
            }
            if (s.replica() != null) {
                var r = s.replica();
                if (r.lastSqlErrno() != 0) {
                    w.add(s.name() + "'s SQL thread stopped on error " + r.lastSqlErrno() + ": " + r.lastSqlError());
                } else if (!r.sqlThreadRunning()) {
                    w.add(s.name() + "'s SQL thread is stopped");
                }
                if (source != null && source.reachable() && s.replicatesFrom(source.host(), source.port())
                        && !r.ioThreadRunning()) {
                    w.add(s.name() + "'s IO thread is not running (" + r.ioRunning()
                            + (r.lastIoErrno() != 0 ? ", error " + r.lastIoErrno() + ": " + r.lastIoError() : "") + ")");
                }
                BatonConfig.Server cfg = config.server(s.name());
                if (r.secondsBehind() != null && r.secondsBehind() > config.failover.maxPromotionLagSeconds
                        && cfg != null && !cfg.neverPromote) {
                    w.add(s.name() + " is " + r.secondsBehind() + " s behind (more than failover.maxPromotionLagSeconds "
                            + config.failover.maxPromotionLagSeconds + "): too far behind to promote quickly");
                }
            }
        }
        // Replicas drifting apart: transactions a replica has that the source (or another replica) lacks.
        List<ServerState> replicas = topo.servers().stream().filter(s -> s.reachable() && s.replica() != null).toList();
        if (gtid) {
            for (ServerState r : replicas) {
                if (source != null && source.reachable()) {
                    var errant = r.dialect() == Dialect.MARIADB ? ErrantTransactions.mariaDbGtid(r, source)
                            : ErrantTransactions.mysqlGtid(r, source);
                    if (errant.found()) {
                        w.add("replicas drifting apart: " + errant.description());
                    }
                }
            }
            if (source == null || !source.reachable()) {
                for (int i = 0; i < replicas.size(); i++) {
                    for (int j = i + 1; j < replicas.size(); j++) {
                        Progress a = progressOf(replicas.get(i));
                        Progress b = progressOf(replicas.get(j));
                        if (a != null && b != null && a.compare(b) == Progress.Comparison.DIVERGED) {
                            w.add("replicas drifting apart: " + replicas.get(i).name() + " and " + replicas.get(j).name()
                                    + " each have transactions the other lacks");
                        }
                    }
                }
            }
        }
        for (String extra : topo.unconfiguredReplicas()) {
            w.add("a replica at " + extra + " replicates but is not in the configuration: Baton will not repoint it");
        }
        return w;
    }

    static Progress progressOf(ServerState s) {
        if (s.dialect() == Dialect.MARIADB) {
            return new Progress.MariaDb(s.gtidSlavePos());
        }
        return new Progress.Gtids(s.gtidExecuted());
    }
}
