package io.baton.admin.topology;

import io.baton.dialect.Dialect;
import java.time.Instant;
import java.util.List;

/**
 * One server as the monitor last saw it. Immutable; fields a failed check could not read are null
 * (or the previous check's values are not carried over: a state is one observation).
 *
 * @param consecutiveFailures failed checks in a row (0 when this check succeeded)
 * @param gtidExecuted MySQL {@code @@GLOBAL.gtid_executed} (empty on MariaDB or with GTIDs off)
 * @param binlog this server's own binary log position ({@code SHOW MASTER STATUS}), null without binary log
 * @param replica its {@code SHOW REPLICA STATUS}, null when it replicates from nobody
 * @param replicasSeen replicas registered with it ({@code SHOW REPLICAS}), as host:port
 */
public record ServerState(String name, String host, int port, boolean reachable, String error, Instant checkedAt,
                          int consecutiveFailures, long checkMillis, String version, Dialect dialect, long serverId,
                          String serverUuid, boolean readOnly, boolean superReadOnly, boolean logBin,
                          boolean logReplicaUpdates, boolean gtidMode, GtidSet gtidExecuted, GtidSet gtidPurged,
                          MariaDbGtids gtidCurrentPos, MariaDbGtids gtidSlavePos, MariaDbGtids gtidBinlogPos,
                          MariaDbGtids gtidBinlogState, BinlogCoordinates binlog, ReplicaStatus replica,
                          List<String> replicasSeen) {

    public static ServerState unreachable(String name, String host, int port, String error, int failures, long millis) {
        return new ServerState(name, host, port, false, error, Instant.now(), failures, millis, null, null, 0, null,
                false, false, false, false, false, GtidSet.EMPTY, GtidSet.EMPTY, MariaDbGtids.EMPTY, MariaDbGtids.EMPTY,
                MariaDbGtids.EMPTY, MariaDbGtids.EMPTY, null, null, List.of());
    }

    public String address() {
        return host + ":" + port;
    }

    public Role role() {
        if (!reachable) {
            return Role.UNKNOWN;
        }
        if (replica != null) {
            return Role.REPLICA;
        }
        return readOnly ? Role.FENCED : Role.SOURCE;
    }

    /** Accepts writes from the application (MariaDB read_only still lets admin users write: G18). */
    public boolean writable() {
        return reachable && !readOnly;
    }

    /** Whether this server replicates from the given address. */
    public boolean replicatesFrom(String host, int port) {
        return replica != null && replica.sourcePort() == port && sameHost(replica.sourceHost(), host);
    }

    static boolean sameHost(String a, String b) {
        if (a == null || b == null) {
            return false;
        }
        return a.equalsIgnoreCase(b) || (isLoopback(a) && isLoopback(b));
    }

    private static boolean isLoopback(String h) {
        return h.equals("127.0.0.1") || h.equalsIgnoreCase("localhost") || h.equals("::1");
    }

    /** A one-line summary for logs and the topology command. */
    public String summary() {
        if (!reachable) {
            return name + " " + address() + " UNREACHABLE (" + consecutiveFailures + " failed checks: " + error + ")";
        }
        StringBuilder sb = new StringBuilder();
        sb.append(name).append(' ').append(address()).append(' ').append(role());
        sb.append(" v").append(version).append(" id=").append(serverId);
        sb.append(readOnly ? (superReadOnly ? " super_read_only" : " read_only") : " writable");
        if (replica != null) {
            sb.append(" <- ").append(replica.sourceAddress()).append(" IO=").append(replica.ioRunning())
                    .append(" SQL=").append(replica.sqlRunning()).append(" lag=")
                    .append(replica.secondsBehind() == null ? "NULL" : replica.secondsBehind() + "s")
                    .append(" exec=").append(replica.executed());
            if (replica.lastIoErrno() != 0) {
                sb.append(" io_error=").append(replica.lastIoErrno());
            }
            if (replica.lastSqlErrno() != 0) {
                sb.append(" sql_error=").append(replica.lastSqlErrno()).append(" (").append(replica.lastSqlError()).append(')');
            }
        }
        if (binlog != null) {
            sb.append(" binlog=").append(binlog);
        }
        if (dialect == Dialect.MARIADB) {
            sb.append(" gtid_current_pos=").append(gtidCurrentPos);
        } else if (!gtidExecuted.isEmpty()) {
            sb.append(" gtid_executed=").append(gtidExecuted);
        }
        return sb.toString();
    }
}
