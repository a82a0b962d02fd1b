package io.baton.admin.topology;

import io.baton.admin.config.BatonConfig;
import java.sql.SQLException;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Checks one server: keeps one connection, reconnects after a failure, and turns what the server
 * says into a {@link ServerState}. Used by one thread at a time.
 */
public final class ServerProbe implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(ServerProbe.class);

    private final BatonConfig config;
    private final BatonConfig.Server server;
    private ServerConnection connection;
    private int failures;

    public ServerProbe(BatonConfig config, BatonConfig.Server server) {
        this.config = config;
        this.server = server;
    }

    public BatonConfig.Server server() {
        return server;
    }

    /**
     * One check: never throws. A check fails when the server cannot be reached within
     * {@code monitor.connectTimeout} or does not answer within {@code monitor.queryTimeout}; a
     * server that answers slowly but within the timeout is reachable.
     */
    public ServerState check() {
        long t0 = System.nanoTime();
        try {
            if (connection == null || !connection.isOpen()) {
                connection = ServerConnection.open(config, server, config.monitor.connectTimeout, config.monitor.queryTimeout);
            }
            ServerState s = read(connection, t0);
            if (failures > 0) {
                log.info("{} ({}:{}) answers again after {} failed check(s)", server.name, server.host, server.port, failures);
            }
            failures = 0;
            return s;
        } catch (SQLException | RuntimeException e) {
            failures++;
            lastFailureAbrupt = abrupt(e);
            closeConnection();
            String why = e.getMessage() == null ? e.toString() : e.getMessage().lines().findFirst().orElse("");
            if (failures == 1) {
                log.warn("{} ({}:{}) check failed: {}", server.name, server.host, server.port, why);
            } else {
                log.debug("{} check failed {} times in a row: {}", server.name, failures, why);
            }
            return ServerState.unreachable(server.name, server.host, server.port, why, failures, millisSince(t0));
        }
    }

    /** Whether the last check failed because the server refused or reset the connection (not a timeout). */
    private volatile boolean lastFailureAbrupt;

    public boolean lastFailureAbrupt() {
        return failures > 0 && lastFailureAbrupt;
    }

    /**
     * A refused connection or one the server's host reset or closed: nothing listens, or the process died (its
     * host is alive and said so at once). A timeout says nothing of the kind: the server may only be slow.
     */
    static boolean abrupt(Throwable e) {
        for (Throwable c = e; c != null; c = c.getCause() == c ? null : c.getCause()) {
            if (c instanceof java.net.SocketTimeoutException) {
                return false;
            }
            if (c instanceof java.net.ConnectException || c instanceof java.io.EOFException
                    || (c instanceof java.net.SocketException && c.getMessage() != null
                    && c.getMessage().toLowerCase(java.util.Locale.ROOT).contains("reset"))) {
                return true;
            }
        }
        return false;
    }

    /** Reads a full state through an open connection (also used by procedures on their own connections). */
    public static ServerState read(ServerConnection c, long startNanos) throws SQLException {
        Map<String, String> v = c.row(c.dialect().serverStateQuery());
        Map<String, String> binlog = "1".equals(v.get("log_bin")) ? c.row(c.dialect().showBinaryLogStatus()) : Map.of();
        ReplicaStatus replica = c.replicaStatus();
        List<String> seen = new ArrayList<>();
        for (Map<String, String> r : c.rows(c.dialect().showReplicas(), 1000)) {
            seen.add(r.get("Host") + ":" + r.get("Port"));
        }
        return new ServerState(c.name(), c.host(), c.port(), true, null, Instant.now(), 0, millisSince(startNanos),
                c.version(), c.dialect(), Long.parseLong(v.get("server_id")), v.get("server_uuid"),
                "1".equals(v.get("read_only")), "1".equals(v.get("super_read_only")), "1".equals(v.get("log_bin")),
                "1".equals(v.get("log_replica_updates")), "ON".equalsIgnoreCase(v.get("gtid_mode")),
                GtidSet.parse(v.get("gtid_executed")), GtidSet.parse(v.get("gtid_purged")),
                MariaDbGtids.parse(v.get("gtid_current_pos")), MariaDbGtids.parse(v.get("gtid_slave_pos")),
                MariaDbGtids.parse(v.get("gtid_binlog_pos")), MariaDbGtids.parse(v.get("gtid_binlog_state")),
                binlog.isEmpty() ? null : new BinlogCoordinates(binlog.get("File"), Long.parseLong(binlog.get("Position"))),
                replica, List.copyOf(seen));
    }

    private static long millisSince(long t0) {
        return (System.nanoTime() - t0) / 1_000_000;
    }

    private void closeConnection() {
        if (connection != null) {
            connection.close();
            connection = null;
        }
    }

    @Override
    public void close() {
        closeConnection();
    }
}
